"""Split benchmark: does refprep cut every view out of a sheet whole, alone and at one scale?

    python benchmarks/split_bench.py                        # 60 + 10 generated sheets + ../shared/devdata
    python benchmarks/split_bench.py --count 200 --seed 3   # another, larger draw
    python benchmarks/split_bench.py --json                 # machine-readable, with every sheet

Sheets come from benchmarks/sheet_generator.py (exact boxes; sheet 0 is a 4608x768 strip for the
speed target; --extra sheets of its second series, kinds the first lacks, are scored apart so the
first series' numbers compare from run to run) and, when the folder is there, from the devdata sheets (labels.json categories in
DEVDATA_CATEGORIES: only their view count is known). refprep.stages.split.split_source runs on each; the
process is pinned to --cores CPUs (default 2, as in the issue's target). Per group of sheets:

* exact_count  share of sheets split into exactly the true number of views
* mean_iou     mean IoU of true and predicted boxes matched greedily by IoU
* iou>=0.9     share of true views matched with IoU >= 0.9
* framing_ok   share of true views matched with IoU >= 0.5 whose view.framing is right
               (head: close_up, full_body: full_body); '-' where refprep names no framing
* notes_views  predicted views that are annotations: best IoU with any true view < NOTE_IOU,
               overlapping an annotation's box (label, title, swatch, signature, frame, tile, ui)
* same_canvas  share of sheets whose views all have one canvas size
* feet_aligned share of sheets whose views' feet (paste_y + box height) are on one line
* s/sheet      mean seconds of split_source per sheet
* errors       sheets on which split_source raised (scored as no views; the errors are listed)

Groups: the generated (main) series, one per tag of it (layout kind, features, backdrop); the
extra series and one per tag of it ("extra:" ...); devdata and its categories.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from itertools import chain
from pathlib import Path
from statistics import median

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import sheet_generator  # noqa: E402  (the sibling module, whatever the working directory)

DEVDATA = HERE.parents[1] / "shared" / "devdata"
DEVDATA_CATEGORIES = ("multiview_sheet", "multiview_sheet_ui", "drawn_sheet")
NOTE_IOU = 0.3          # a predicted view matching no true view better than this is not a view
GOOD_IOU = 0.9          # the target for mean IoU
SAME_VIEW_IOU = 0.5     # a match this good is the same view, whatever its box's quality
FRAMING = {"full_body": "full_body", "head": "close_up"}   # ground-truth kind -> refprep's framing
TIMING_REPEATS = 3      # the speed sheet is split this many times; the median counts
TIMING_TARGET_S = 1.0
COLUMNS = ("sheets", "exact_count", "mean_iou", "iou>=0.9", "framing_ok", "notes_views", "same_canvas",
           "feet_aligned", "s/sheet", "errors")


# ---------------------------------------------------------------- scoring one sheet
def iou_matrix(a: list, b: list) -> np.ndarray:
    """IoU of every box in `a` with every box in `b`; boxes are (x, y, w, h)."""
    a = np.asarray(a, float).reshape(-1, 1, 4)
    b = np.asarray(b, float).reshape(1, -1, 4)
    iw = np.clip(np.minimum(a[..., 0] + a[..., 2], b[..., 0] + b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 1] + a[..., 3], b[..., 1] + b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    return inter / (a[..., 2] * a[..., 3] + b[..., 2] * b[..., 3] - inter)


def greedy_match(iou: np.ndarray) -> list[tuple[int, int, float]]:
    """(row, column, IoU) pairs taken best first, each box in at most one pair, IoU > 0."""
    iou = iou.copy()
    matched = []
    while iou.size and iou.max() > 0:
        i, j = np.unravel_index(np.argmax(iou), iou.shape)
        matched.append((int(i), int(j), float(iou[i, j])))
        iou[i, :] = 0
        iou[:, j] = 0
    return matched


def notes_kept_as_views(predicted: list, truth: dict) -> list[str]:
    """The annotation kind each wrongly kept predicted view covers most of."""
    notes = truth["annotations"]
    if not predicted or not notes:
        return []
    best = iou_matrix(predicted, [v["bbox"] for v in truth["views"]]).max(axis=1, initial=0.0)
    covered = iou_matrix(predicted, [n["bbox"] for n in notes])
    return [notes[int(np.argmax(covered[i]))]["kind"]
            for i in range(len(predicted)) if best[i] < NOTE_IOU and covered[i].max() > 0]


def score(name: str, views: list, seconds: float, true_count: int, truth: dict | None) -> dict:
    """One sheet's row from split_source's views: counts, matched IoUs, framing, annotations kept
    as views, scale consistency."""
    boxes = [list(v.bbox) for v in views]
    row = {
        "name": name, "true_views": true_count, "views": len(boxes), "exact": len(boxes) == true_count,
        "same_canvas": len({v.canvas[:2] for v in views}) == 1,
        "feet_aligned": len({v.canvas[3] + v.bbox[3] for v in views}) == 1,
        "seconds": round(seconds, 4), "ious": None, "framing_ok": [], "notes_as_views": [], "error": None,
    }
    if truth is not None:
        pairs = greedy_match(iou_matrix([v["bbox"] for v in truth["views"]], boxes))
        row["ious"] = [round(x, 4) for _, _, x in pairs]
        row["framing_ok"] = [getattr(views[j], "framing", None) == FRAMING[truth["views"][i]["kind"]]
                             for i, j, x in pairs if x >= SAME_VIEW_IOU and hasattr(views[j], "framing")]
        row["notes_as_views"] = notes_kept_as_views(boxes, truth)
    return row


def summarise(rows: list[dict]) -> dict:
    def share(flags) -> float:
        return round(sum(flags) / len(flags), 3)

    scored = [r for r in rows if r["ious"] is not None]
    ious = [x for r in scored for x in r["ious"]]
    framings = [ok for r in scored for ok in r["framing_ok"]]
    true_views = sum(r["true_views"] for r in scored)
    return {
        "sheets": len(rows),
        "exact_count": share([r["exact"] for r in rows]),
        "mean_iou": round(float(np.mean(ious)), 3) if ious else None,
        "iou>=0.9": round(sum(x >= GOOD_IOU for x in ious) / true_views, 3) if true_views else None,
        "framing_ok": share(framings) if framings else None,
        "notes_views": sum(len(r["notes_as_views"]) for r in scored) if scored else None,
        "same_canvas": share([r["same_canvas"] for r in rows]),
        "feet_aligned": share([r["feet_aligned"] for r in rows]),
        "s/sheet": round(float(np.mean([r["seconds"] for r in rows])), 3),
        "errors": sum(r["error"] is not None for r in rows),
    }


# ---------------------------------------------------------------- running
def _source(image, name: str):
    """An in-memory Source as refprep.stages.load makes one: RGB, alpha only where not all opaque."""
    from refprep.data import Source

    pixels = np.asarray(image)
    alpha = pixels[..., 3] if image.mode == "RGBA" and pixels[..., 3].min() < 255 else None
    return Source(Path(name), np.ascontiguousarray(pixels[..., :3]), alpha, "0" * 64, "PNG", image.mode)


def _timed_split(source) -> tuple[list, float, str | None]:
    """split_source's views, its seconds, and the error it raised if it failed (then no views)."""
    from refprep.stages.split import split_source

    start = time.perf_counter()
    try:
        views, error = split_source(source).views, None
    except Exception as exc:    # one sheet that crashes the splitter is a result, not the end of the run
        views, error = [], f"{type(exc).__name__}: {exc}"
    return views, time.perf_counter() - start, error


def run(count: int, seed: int, devdata: Path | None, start: int = 0, extra: int = 0) -> dict:
    """Split generated sheets start .. start + count - 1, `extra` sheets of the extra series and
    the devdata sheets; rows and groups."""
    rows, timing = [], None
    series = chain(((s, "generated") for s in sheet_generator.generate(count, seed, start)),
                   ((s, "extra") for s in sheet_generator.generate_extra(extra, seed)))
    for sheet, source_kind in series:
        source = _source(sheet.drawn.image, sheet.name)
        if not rows:
            _timed_split(source)    # warm-up: the first call pays for lazy imports
        views, seconds, error = _timed_split(source)
        if sheet.name == sheet_generator.TIMING_SPEC.name:
            seconds = median([seconds] + [_timed_split(source)[1] for _ in range(TIMING_REPEATS - 1)])
            timing = {"sheet": sheet.name, "size": list(sheet.drawn.image.size), "seconds": round(seconds, 3)}
        row = score(sheet.name, views, seconds, len(sheet.drawn.truth["views"]), sheet.drawn.truth)
        rows.append({**row, "error": error, "source": source_kind, "tags": list(sheet.tags)})
    if devdata is not None and (devdata / "labels.json").is_file():
        from refprep.stages.load import load_image

        for label in json.loads((devdata / "labels.json").read_text()):
            if label["category"] in DEVDATA_CATEGORIES:
                views, seconds, error = _timed_split(load_image(devdata / label["file"]))
                row = score(label["file"], views, seconds, label["views"], None)
                rows.append({**row, "error": error, "source": "devdata", "tags": [label["category"]]})
    return {"groups": _groups(rows), "timing": timing, "rows": rows}


def _groups(rows: list[dict]) -> dict:
    order = {t: i for i, t in enumerate(sheet_generator.LAYOUTS + sheet_generator.EXTRA_LAYOUTS)}
    groups = {}
    for source, prefix in (("generated", ""), ("extra", "extra:"), ("devdata", "")):
        members = [r for r in rows if r["source"] == source]
        tags = Counter(t for r in members for t in r["tags"])
        # Layouts first, then features, then backdrops (devdata: its categories).
        ranked = sorted(tags, key=lambda t: (t.startswith("bg:"), order.get(t, len(order)), t))
        if source == "devdata":
            groups.update({t: [r for r in members if t in r["tags"]] for t in ranked})
        groups[source] = members
        if source != "devdata":
            groups.update({prefix + t: [r for r in members if t in r["tags"]] for t in ranked})
    return {name: summarise(members) for name, members in groups.items() if members}


def pin_cores(cores: int) -> str:
    """Run on `cores` CPUs (Linux); says what it did."""
    if not hasattr(os, "sched_setaffinity"):
        return f"cannot pin to {cores} cores here; {os.cpu_count()} available"
    available = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, available[:cores])
    return f"pinned to {len(os.sched_getaffinity(0))} of {len(available)} cores"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=60, help="generated sheets (default 60)")
    parser.add_argument("--extra", type=int, default=10, help="sheets of the extra series (default 10)")
    parser.add_argument("--seed", type=int, default=sheet_generator.DEFAULT_SEED)
    parser.add_argument("--devdata", type=Path, default=DEVDATA, help="folder with labels.json")
    parser.add_argument("--no-devdata", action="store_true", help="generated sheets only")
    parser.add_argument("--cores", type=int, default=2, help="CPUs to run on (default 2)")
    parser.add_argument("--json", action="store_true", help="print one JSON document, with every sheet")
    args = parser.parse_args(argv)
    pinned = pin_cores(args.cores)
    report = run(args.count, args.seed, None if args.no_devdata else args.devdata, extra=args.extra)
    import refprep

    report["setup"] = {"refprep": str(Path(refprep.__file__).parent), "count": args.count, "extra": args.extra,
                       "seed": args.seed, "cores": pinned}
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(f"refprep from {report['setup']['refprep']}; seed {args.seed}; {pinned}")
    print(f"{'':22}" + "".join(f"{c:>13}" for c in COLUMNS))
    for name, summary in report["groups"].items():
        print(f"{name[:22]:22}" + "".join(f"{'-' if summary[c] is None else summary[c]!s:>13}" for c in COLUMNS))
    if report["timing"]:
        t = report["timing"]
        print(f"{t['size'][0]}x{t['size'][1]} sheet: {t['seconds']} s (median of {TIMING_REPEATS}; "
              f"target < {TIMING_TARGET_S} s on 2 cores)")
    wrong = [f"{r['name']} ({r['views']}/{r['true_views']})" for r in report["rows"] if not r["exact"]]
    if wrong:
        print(f"wrong view count (got/true): {', '.join(wrong)}")
    for row in report["rows"]:
        if row["error"]:
            print(f"split_source failed on {row['name']}: {row['error']}")
    kept = Counter(kind for r in report["rows"] for kind in r["notes_as_views"])
    if kept:
        print("annotations kept as views: " + ", ".join(f"{k} {n}" for k, n in kept.most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
