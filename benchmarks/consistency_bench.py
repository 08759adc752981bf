"""Does the consistency check tell one character from several? Controlled edits on real sheets.

    python benchmarks/consistency_bench.py [DEVDATA_DIR] [--cache DIR] [--json] [--markdown]

Every devdata sheet with several views is split and cleaned by refprep (``Pipeline.prepare``;
``--cache`` keeps the views between runs), then:

- as it is: a real turnaround, every view must pass (false alarms);
- recoloured: one region of one view (a band across the figure holding 5-30 % of its pixels, at
  the hair, the torso or the legs) has its hue turned by 20, 40 or 90 degrees; the view should
  fail from 40 degrees on 15 % up (the region's achromatic pixels -- black, white, grey -- do not
  change with hue, so each case also records the share that actually changed colour);
- swapped: one view replaced by a view of another devdata character; the stranger should fail;
- a line-up: one view from each of three different characters; the package should fail;
- scaled: one full figure shrunk to 0.8 of its height; its proportions check should fail;
- several files: the single views of one character in several files must pass; photos of
  different people as one package should fail.

Sheets are tuned on the first 40 devdata entries and those marked ``split: tune``; the entries
marked ``split: aside`` are reported separately (held out). Times are the consistency stage
alone, per view, with the views already cleaned (the best of three runs per sheet).
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DEVDATA = REPO.parent / "shared" / "devdata"

HUE_SHIFTS = (20, 40, 90)
REGION_SHARES = (0.05, 0.15, 0.30)
# Where the recoloured band starts, as a share of the figure's height: hair, torso, legs.
REGION_PLACES = {"top": 0.0, "middle": 0.4, "bottom": 0.75}
SCALE = 0.8
TIMING_RUNS = 3
# A pixel whose colour moved by at least this (CIELAB Delta E) changed visibly: a hue shift
# barely moves black, white, grey and dark pixels.
VISIBLE_CHANGE = 15.0
# Recoloured cases are reported by the share of the figure that visibly changed.
CHANGED_BINS = ((0.0, 0.05), (0.05, 0.15), (0.15, 1.0))
# Single views of one character, kept in several files (devdata indices).
ONE_CHARACTER_FILES = {"mvadapter renders": (2, 3, 4), "charactergen views": (6, 7),
                       "hunyuan3d-2mv views": (63, 64, 65)}
# Photos of different people, as if one package.
DIFFERENT_PEOPLE_FILES = {"deepface people": (17, 18, 20, 24, 25), "pshuman cut-outs": (37, 38),
                          "two stylised characters": (8, 9)}


def group_of(index: int, label: dict) -> str:
    return label.get("split") or ("tune" if index < 40 else "aside")


def analysed_views(devdata: Path, labels: list[dict], index: int, cache: Path | None, pipeline):
    """The cleaned views of devdata entry ``index`` (cached in ``cache`` when given)."""
    cached = cache / f"entry{index}.pkl" if cache else None
    if cached is not None and cached.is_file():
        return pickle.loads(cached.read_bytes())
    analysis = pipeline.prepare([devdata / labels[index]["file"]], (255, 255, 255))
    views = [replace(view, cleaned=None, backdrop=None, source_index=0) for view in analysis.views]
    if cached is not None:
        cache.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(pickle.dumps(views))
    return views


def hue_shifted(view, degrees: int, share: float, start: float):
    """``view`` with the hue of a band of its figure turned by ``degrees``: the band starts at
    ``start`` of the figure's height and holds ``share`` of its pixels. Returns the new view and
    the share of the figure that visibly changed colour (by VISIBLE_CHANGE or more)."""
    import cv2

    from refprep.stages.measures import lab

    mask = view.subject_mask
    rows = mask.sum(axis=1)
    top = np.flatnonzero(rows)[0]
    height = np.flatnonzero(rows)[-1] - top + 1
    first = top + int(start * height)
    cumulative = np.cumsum(rows[first:])
    last = first + int(np.searchsorted(cumulative, share * mask.sum())) + 1
    if cumulative[-1] < share * mask.sum():  # the band runs off the feet: grow it upwards
        first = max(top, first - int(np.searchsorted(np.cumsum(rows[:first][::-1]), share * mask.sum() - cumulative[-1])) - 1)
    band = np.zeros_like(mask)
    band[first:last] = mask[first:last]
    hsv = cv2.cvtColor(view.image, cv2.COLOR_RGB2HSV_FULL)
    hsv[..., 0] = ((hsv[..., 0].astype(int) + round(degrees * 256 / 360)) % 256).astype(np.uint8)
    image = view.image.copy()
    image[band] = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB_FULL)[band]
    moved = np.linalg.norm(lab(image[band]) - lab(view.image[band]), axis=1)
    return replace(view, image=image), float((moved >= VISIBLE_CHANGE).sum() / mask.sum())


def scaled(view, factor: float):
    """``view`` with its figure shrunk to ``factor`` of its size (image and matte)."""
    import cv2

    height, width = view.alpha.shape
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    image = cv2.resize(view.image, size, interpolation=cv2.INTER_AREA)
    alpha = cv2.resize(view.alpha.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    return replace(view, image=image, alpha=alpha, mask=alpha > 0.5)


_palettes: dict[int, object] = {}  # id(view) -> its palette: each view is read once


def judged(views, limits, check_id: str = "consistency") -> list:
    """Each view's ``check_id`` check when ``views`` are judged together."""
    from refprep.stages.consistency import judge_views, view_palette

    for view in views:
        if id(view) not in _palettes:
            _palettes[id(view)] = (view, view_palette(view))  # the view too, so its id stays its own
    checked = judge_views(views, [_palettes[id(view)][1] for view in views], limits)
    return [next(c for c in view.checks if c.id == check_id) for view in checked]


def statuses(views, limits, check_id: str = "consistency") -> list[str]:
    return [check.status for check in judged(views, limits, check_id)]


def run(devdata: Path, cache: Path | None) -> dict:
    from refprep import api
    from refprep.stages.consistency import check_consistency
    from refprep.thresholds import QUALITY_THRESHOLDS

    limits = QUALITY_THRESHOLDS
    labels = json.loads((devdata / "labels.json").read_text())
    sheets = [i for i, label in enumerate(labels) if label["kind"] == "sheet" and label["views"] >= 2]
    singles = sorted({i for group in (*ONE_CHARACTER_FILES.values(), *DIFFERENT_PEOPLE_FILES.values()) for i in group})
    with api.Pipeline() as pipeline:
        views = {i: analysed_views(devdata, labels, i, cache, pipeline) for i in sheets + singles}
    sheets = [i for i in sheets if len(views[i]) >= 2]

    real, seconds, counted = [], 0.0, 0
    for i in sheets:
        # The best of TIMING_RUNS: on a shared machine other work only ever adds time.
        times = []
        for _ in range(TIMING_RUNS):
            start = time.perf_counter()
            checked = check_consistency(views[i], limits)
            times.append(time.perf_counter() - start)
        seconds += min(times)
        counted += len(checked)
        for number, view in enumerate(checked, 1):
            found = {c.id: c for c in view.checks}
            real.append({"entry": i, "file": labels[i]["file"], "group": group_of(i, labels[i]), "view": number,
                         "framing": view.framing, "class": view.pose.view,
                         "consistency": found["consistency"].value, "consistency_status": found["consistency"].status,
                         "proportions": found["proportions"].value, "proportions_status": found["proportions"].status,
                         "message": found["consistency"].message if found["consistency"].status != "pass"
                         else found["proportions"].message if found["proportions"].status != "pass" else ""})

    recoloured = []
    for i in sheets:
        for target in range(len(views[i])):
            if views[i][target].framing != "full_body":
                continue
            for degrees in HUE_SHIFTS:
                for share in REGION_SHARES:
                    for place, start in REGION_PLACES.items():
                        edited, changed = hue_shifted(views[i][target], degrees, share, start)
                        found = judged([*views[i][:target], edited, *views[i][target + 1:]], limits)[target]
                        recoloured.append({"entry": i, "group": group_of(i, labels[i]), "view": target + 1,
                                           "degrees": degrees, "share": share, "place": place,
                                           "changed": round(changed, 3), "status": found.status,
                                           "value": found.value})

    swapped = []
    for i in sheets:
        for j in sheets:
            if i == j:
                continue
            stranger = replace(views[j][0], source_index=1)
            for target in range(len(views[i])):
                found = judged([*views[i][:target], stranger, *views[i][target + 1:]], limits)[target]
                swapped.append({"entry": i, "stranger": j, "group": group_of(i, labels[i]), "view": target + 1,
                                "status": found.status, "value": found.value})

    lineups = []
    rng = np.random.default_rng(0)
    for _ in range(200):
        trio = rng.choice(sheets, 3, replace=False)
        lineup = [replace(views[int(k)][int(rng.integers(len(views[int(k)])))], source_index=0) for k in trio]
        found = statuses(lineup, limits)
        lineups.append({"entries": [int(k) for k in trio], "statuses": found})

    scaled_rows = []
    for i in sheets:
        figures = [t for t, view in enumerate(views[i]) if view.framing == "full_body"]
        if len(figures) < 3:
            continue
        for target in figures:
            edited = [*views[i][:target], scaled(views[i][target], SCALE), *views[i][target + 1:]]
            found = statuses(edited, limits, "proportions")
            scaled_rows.append({"entry": i, "group": group_of(i, labels[i]), "view": target + 1, "status": found[target]})

    files = []
    for name, group in ONE_CHARACTER_FILES.items():
        combined = [replace(views[k][0], source_index=n) for n, k in enumerate(group)]
        files.append({"set": name, "one_character": True, "statuses": statuses(combined, limits)})
    for name, group in DIFFERENT_PEOPLE_FILES.items():
        combined = [replace(views[k][0], source_index=n) for n, k in enumerate(group)]
        files.append({"set": name, "one_character": False, "statuses": statuses(combined, limits)})

    return {"real": real, "recoloured": recoloured, "swapped": swapped, "lineups": lineups, "scaled": scaled_rows,
            "files": files, "seconds_per_view": seconds / max(1, counted), "views_timed": counted}


def summary(results: dict) -> dict:
    """The headline numbers, by devdata group (tune / aside)."""
    out = {}
    for group in ("tune", "aside"):
        real = [r for r in results["real"] if r["group"] == group]
        entries = sorted({r["entry"] for r in real})
        failing = sorted({r["entry"] for r in real if "fail" in (r["consistency_status"], r["proportions_status"])})
        recolour = {}
        for degrees in HUE_SHIFTS:
            for low, high in CHANGED_BINS:
                rows = [r for r in results["recoloured"] if r["group"] == group and r["degrees"] == degrees
                        and low <= r["changed"] < high]
                recolour[f"{degrees}deg/{low:.0%}-{high:.0%}"] = (sum(r["status"] == "fail" for r in rows),
                                                                  sum(r["status"] == "warn" for r in rows), len(rows))
        swapped = [r for r in results["swapped"] if r["group"] == group]
        scaled_rows = [r for r in results["scaled"] if r["group"] == group]
        out[group] = {
            "sheets": len(entries), "sheets_failing": failing,
            "views": len(real),
            "worst_consistency": sorted((round(r["consistency"], 3), r["entry"], r["view"]) for r in real
                                        if r["consistency"] is not None)[-3:],
            "worst_proportions": sorted((round(r["proportions"], 3), r["entry"], r["view"]) for r in real
                                        if r["proportions"] is not None)[-3:],
            "views_failing": sum(r["consistency_status"] == "fail" or r["proportions_status"] == "fail" for r in real),
            "views_warning": sum("warn" in (r["consistency_status"], r["proportions_status"]) for r in real),
            "recoloured_failing": recolour,
            "swapped_failing": (sum(r["status"] == "fail" for r in swapped), len(swapped)),
            "scaled_failing": (sum(r["status"] == "fail" for r in scaled_rows), len(scaled_rows)),
        }
    out["lineups_failing"] = (sum("fail" in r["statuses"] for r in results["lineups"]), len(results["lineups"]))
    out["files"] = results["files"]
    out["seconds_per_view"] = round(results["seconds_per_view"], 4)
    return out


def markdown(results: dict) -> str:
    """The section of docs/benchmarks.md: false alarms on real sheets, then each edit's catch rate."""
    from markdown import table

    numbers = summary(results)

    def rate(found: tuple) -> str:
        return f"{found[0]}/{found[-1]}" if found[-1] else "-"

    real_rows = [[group, numbers[group]["sheets"], numbers[group]["views"], numbers[group]["views_failing"],
                  numbers[group]["views_warning"], ", ".join(map(str, numbers[group]["sheets_failing"])) or "none",
                  numbers[group]["worst_consistency"][-1][0], numbers[group]["worst_proportions"][-1][0]]
                 for group in ("tune", "aside")]
    recolour_rows = []
    for degrees in HUE_SHIFTS:
        for low, high in CHANGED_BINS:
            key = f"{degrees}deg/{low:.0%}-{high:.0%}"
            row = [f"{degrees} deg", f"{low:.0%}-{high:.0%}"]
            for group in ("tune", "aside"):
                failed, warned, total = numbers[group]["recoloured_failing"][key]
                row.append(f"{failed}/{total} ({failed + warned} flagged)" if total else "-")
            recolour_rows.append(row)
    edit_rows = [["another character's view swapped in (that view fails)",
                  rate(numbers["tune"]["swapped_failing"]), rate(numbers["aside"]["swapped_failing"])],
                 [f"one full figure scaled by {SCALE} (its proportions fail)",
                  rate(numbers["tune"]["scaled_failing"]), rate(numbers["aside"]["scaled_failing"])],
                 ["line-up: one view of each of 3 characters (a view fails)", rate(numbers["lineups_failing"]), ""]]
    file_rows = [[item["set"], "one" if item["one_character"] else "several", ", ".join(item["statuses"])]
                 for item in numbers["files"]]
    return "\n\n".join([
        "## Consistency: one character in every view",
        "Devdata sheets with several views, split and cleaned by refprep, judged as they are (every "
        "view should pass) and after controlled edits. tune = the first 40 entries and those marked "
        "`split: tune` (thresholds set on these); aside = entries marked `split: aside` (held out).",
        table(["group", "sheets", "views", "views failing", "views warning", "sheets with a failing view",
               "worst consistency", "worst proportions"], real_rows),
        "Recoloured: a band of one full figure holding 5-30 % of its pixels (hair, torso or legs) has "
        "its hue turned; cases by the share of the figure that visibly changed (Delta E >= 15: black, "
        "white, grey and dark pixels barely change with hue). Cells: views failing / cases (failing "
        "or warning).",
        table(["hue shift", "figure visibly changed", "tune", "aside"], recolour_rows),
        table(["edit", "tune", "aside"], edit_rows),
        "Several files of one character must pass; files of different people should fail:",
        table(["files", "characters", "consistency per view"], file_rows),
        f"Time: {numbers['seconds_per_view'] * 1000:.1f} ms per view for the consistency stage "
        f"({results['views_timed']} views, cleaned views given; the best of {TIMING_RUNS} runs per sheet).",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("devdata", nargs="?", type=Path, default=DEFAULT_DEVDATA)
    parser.add_argument("--cache", type=Path, help="keep the cleaned views here between runs")
    parser.add_argument("--json", action="store_true", help="print every measurement as JSON")
    parser.add_argument("--markdown", action="store_true", help="write the results into docs/benchmarks.md")
    args = parser.parse_args(argv)
    if not (args.devdata / "labels.json").is_file():
        print(f"{args.devdata}: no labels.json here", file=sys.stderr)
        return 2
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(REPO / "benchmarks"))
    results = run(args.devdata, args.cache)
    if args.json:
        print(json.dumps(results, indent=1))
    print(json.dumps(summary(results), indent=1), file=sys.stderr if args.json else sys.stdout)
    if args.markdown:
        from markdown import write_section

        write_section("consistency_bench", markdown(results), "python benchmarks/consistency_bench.py --markdown")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
