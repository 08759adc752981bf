"""Pose benchmark: how right are refprep's view classes and yaw on a labelled folder?

    python benchmarks/pose_bench.py ../shared/devdata            # a folder with labels.json
    python benchmarks/pose_bench.py ../shared/devdata --json     # machine-readable
    python benchmarks/pose_bench.py ../shared/devdata --batch aside   # only the held-aside sheets

The folder follows ../shared/devdata's format: ``labels.json`` is a list of objects with
``file``, ``category``, ``view_labels`` (row-major, one per view) and optional ``yaw_deg``.
Where a label gives ``view_bboxes_approx``, each labelled view is matched to the found view
that overlaps it most (IoU >= 0.3); a labelled view no found view matches counts as
``missed`` and is not scored. Otherwise views are matched to labels in reading order; an
image whose view count differs from its labels is scored on the views it has in common and
counted in ``count_mismatch``.

Rows are grouped by style and by batch: ``first`` (entries 1-40 of devdata), and the second
batch's ``tune`` and ``aside`` halves (its ``split`` field), so a change tuned on ``tune``
is judged on ``aside``.

It prints view-class accuracy, coarse accuracy (front / three_quarter / side / back),
left/right accuracy on views whose true class has a side, yaw MAE where labels give yaw
(and, separately, for |yaw| <= 60), per-style rows (photo, render, stylised) and seconds
per view.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

# Which style each devdata category is; a label may also carry its own "style".
CATEGORY_STYLE = {
    "photo_pose_gt": "photo", "photo_portrait": "photo", "photo_back": "photo", "bg_removal_photo": "photo",
    "cutout_full_body": "photo", "quality_lighting": "photo", "quality_degraded": "photo",
    "render_known_azimuth": "render", "multiview_sheet": "render", "single_character": "render",
    "multiview_sheet_ui": "stylised", "drawn_sheet": "stylised",
}
# CharacterGen's anime characters are drawn, not rendered photo-realistically.
STYLISED_SOURCES = ("zjp-shadow/CharacterGen",)


SURE_CONFIDENCE = 0.7  # refprep marks views under it unsure (thresholds.UNSURE_BELOW)


def coarse(view_class: str) -> str:
    return view_class.replace("_left", "").replace("_right", "")


def side_of(view_class: str) -> str | None:
    if view_class.endswith("_left"):
        return "left"
    if view_class.endswith("_right"):
        return "right"
    return None


def style_of(label: dict) -> str:
    if "style" in label:
        return label["style"]
    if label.get("source", "").startswith(STYLISED_SOURCES):
        return "stylised"
    return CATEGORY_STYLE.get(label["category"], "ai_sheet")


FIRST_BATCH = 40  # devdata's first 40 entries; later ones carry split: tune | aside
MIN_MATCH_IOU = 0.3  # labelled boxes are approximate (+-20 px); views are often small


def batch_of(index: int, label: dict) -> str:
    return label.get("split") or ("first" if index < FIRST_BATCH else "other")


def box_iou(a, b) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    return inter / float(aw * ah + bw * bh - inter) if inter else 0.0


def match_views(found_boxes: list, true_boxes: list | None, true_count: int) -> list[int | None]:
    """For each labelled view, the index of the found view it is scored on (None: missed)."""
    if not true_boxes:
        return [i if i < len(found_boxes) else None for i in range(true_count)]
    pairs = sorted(((box_iou(t, f), ti, fi) for ti, t in enumerate(true_boxes) for fi, f in enumerate(found_boxes)),
                   reverse=True)
    matched: list[int | None] = [None] * true_count
    used = set()
    for iou, ti, fi in pairs:
        if iou >= MIN_MATCH_IOU and matched[ti] is None and fi not in used:
            matched[ti] = fi
            used.add(fi)
    return matched


def _neutral_name(path: Path, scratch: str) -> Path:
    """``path`` under a name that says nothing: devdata's names were given by its curator
    (``..._back.jpg``), and a file's name is pose evidence; the benchmark measures the image."""
    link = Path(scratch) / f"input{path.suffix}"
    link.unlink(missing_ok=True)
    link.symlink_to(path.resolve())
    return link


def run(folder: Path, batches: set[str] | None = None, jobs: int = 1) -> dict:
    """Measure every labelled sheet of ``folder`` (only ``batches``, when given).

    ``jobs`` > 1 spreads the sheets over that many worker processes, one ONNX Runtime
    thread each: the rows are the same, the seconds are each worker's own (so longer than
    one process with every core would take), and the whole run ends sooner.
    """
    labels = json.loads((folder / "labels.json").read_text())
    chosen = [index for index, label in enumerate(labels)
              if label.get("view_labels") and label.get("subjects", 1) == 1  # nothing to score, or several people
              and (not batches or batch_of(index, label) in batches)]
    if jobs > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            # Interleaved shares: devdata's photos come first and its big sheets last.
            parts = list(pool.map(_measure, [folder] * jobs, [chosen[k::jobs] for k in range(jobs)], [1] * jobs))
    else:
        parts = [_measure(folder, chosen, None)]
    order = {index: place for place, index in enumerate(chosen)}
    sheets = sorted((sheet for part in parts for sheet in part), key=lambda sheet: order[sheet["index"]])
    view_count = max(sum(sheet["views"] for sheet in sheets), 1)
    multi = [sheet["pose_seconds"] for sheet in sheets if sheet["views"] > 1]
    return {"rows": [row for sheet in sheets for row in sheet["rows"]],
            "count_mismatch": [sheet["file"] for sheet in sheets if sheet["mismatched"]],
            "missed": sum(sheet["missed"] for sheet in sheets),
            "seconds_per_view": sum(sheet["seconds"] for sheet in sheets) / view_count,
            "pose_seconds_per_view": sum(sheet["pose_seconds"] for sheet in sheets) / view_count,
            "pose_seconds_per_sheet": sum(multi) / max(len(multi), 1)}


def _measure(folder: Path, indices: list[int], threads: int | None) -> list[dict]:
    """Split, matte and classify the sheets at ``indices`` of ``folder``'s labels: per
    sheet, its scored rows and its timings."""
    from refprep.api import Pipeline

    labels = json.loads((folder / "labels.json").read_text())
    sheets = []
    with Pipeline(progress=None, threads=threads) as pipeline, tempfile.TemporaryDirectory() as scratch:
        # Text is read in the split (captions may place the views) and used by the pose stage:
        # its time counts as the pose stage's.
        reader = pipeline.poser.text
        read, text_seconds = reader.read, [0.0]

        def timed_read(*args, **kwargs):
            begin = time.perf_counter()
            try:
                return read(*args, **kwargs)
            finally:
                text_seconds[0] += time.perf_counter() - begin

        reader.read = timed_read
        for index in indices:
            label = labels[index]
            truth = label["view_labels"]
            start = time.perf_counter()
            text_seconds[0] = 0.0
            analysis = pipeline.split(pipeline.load([_neutral_name(folder / label["file"], scratch)]))
            pipeline.matte(analysis)
            pose_start = time.perf_counter()
            pipeline.pose(analysis)
            now = time.perf_counter()
            yaws = label.get("yaw_deg") or [None] * len(truth)
            matches = match_views([v.bbox for v in analysis.views], label.get("view_bboxes_approx"), len(truth))
            rows = []
            for number, (found, true_class, true_yaw) in enumerate(zip(matches, truth, yaws), 1):
                if found is None:
                    continue
                pose = analysis.views[found].pose
                rows.append({
                    "file": label["file"], "view": number, "style": style_of(label), "batch": batch_of(index, label),
                    "true": true_class, "pred": pose.view, "true_yaw": true_yaw, "pred_yaw": pose.yaw_deg,
                    "confidence": pose.confidence, "method": pose.method, "evidence": list(pose.evidence),
                    "kind": analysis.views[found].kind,
                })
            sheets.append({"index": index, "file": label["file"], "rows": rows, "views": len(analysis.views),
                           "mismatched": len(analysis.views) != len(truth), "missed": matches.count(None),
                           "seconds": now - start, "pose_seconds": now - pose_start + text_seconds[0]})
    return sheets


def summarise(rows: list[dict]) -> dict:
    def share(hits: list[bool]):
        return None if not hits else round(sum(hits) / len(hits), 3)

    sided = [r for r in rows if side_of(r["true"])]
    with_yaw = [r for r in rows if r["true_yaw"] is not None and r["pred_yaw"] is not None]
    small_yaw = [r for r in with_yaw if abs(r["true_yaw"]) <= 60]

    def yaw_error(r):
        error = abs(r["pred_yaw"] - r["true_yaw"]) % 360
        return min(error, 360 - error)

    confident_front_wrong = [r for r in rows if r["pred"] == "front" and r["confidence"] >= 0.8
                             and coarse(r["true"]) in ("back", "side")]
    # Views with a known coarse class: unknown-labelled crops (eyes, sketches) have none to get right.
    classed = [r for r in rows if r["true"] != "unknown"]
    per_class = [share([coarse(r["pred"]) == c for r in classed if coarse(r["true"]) == c])
                 for c in ("front", "three_quarter", "side", "back")]
    per_class = [s for s in per_class if s is not None]
    sure = [r for r in classed if r["confidence"] >= SURE_CONFIDENCE]
    return {
        "views": len(rows),
        "class_accuracy": share([r["pred"] == r["true"] for r in rows]),
        "coarse_accuracy": share([coarse(r["pred"]) == coarse(r["true"]) for r in rows]),
        "coarse_classed": share([coarse(r["pred"]) == coarse(r["true"]) for r in classed]),
        "coarse_balanced": None if not per_class else round(sum(per_class) / len(per_class), 3),
        "sure_share": share([r["confidence"] >= SURE_CONFIDENCE for r in classed]),
        "sure_accuracy": share([coarse(r["pred"]) == coarse(r["true"]) for r in sure]),
        "left_right_accuracy": share([side_of(r["pred"]) == side_of(r["true"]) for r in sided]),
        "left_right_views": len(sided),
        "yaw_mae": None if not with_yaw else round(sum(map(yaw_error, with_yaw)) / len(with_yaw), 1),
        "yaw_mae_within_60": None if not small_yaw else round(sum(map(yaw_error, small_yaw)) / len(small_yaw), 1),
        "yaw_measured": f"{len(with_yaw)}/{sum(r['true_yaw'] is not None for r in rows)}",
        "unknown_share": share([r["pred"] == "unknown" for r in rows]),
        "confident_front_on_back_or_side": len(confident_front_wrong),
    }


MARKDOWN_COLUMNS = ["views", "coarse_classed", "coarse_balanced", "left_right_accuracy", "sure_share", "sure_accuracy",
                    "yaw_mae", "unknown_share", "confident_front_on_back_or_side"]
GROUP_NOTES = {
    "all": "every labelled view found",
    "batch:first": "devdata entries 1-40 (renders, photos, MV-Adapter / CharacterGen sheets)",
    "batch:tune": "second batch, the half the pose stage was tuned on",
    "batch:aside": "second batch, held aside: measured only",
    "batch:extra": "real sheets collected later, never tuned on",
    "batch:fresh": "public sheets of benchmarks/data/fresh_sheets.json, collected at stops 22-25",
    "ai_sheet": "real AI-made character sheets",
    "photo": "photographs", "render": "3D renders", "stylised": "drawn / anime sheets of the first batch",
}


def write_markdown(report: dict, args) -> None:
    from markdown import table, write_section

    rows = [[f"{name} ({GROUP_NOTES.get(name, '')})"] + [summary[c] for c in MARKDOWN_COLUMNS]
            for name, summary in report.items() if isinstance(summary, dict)]
    body = (f"## Pose: view classes on `{args.folder.name}` (`benchmarks/pose_bench.py`)\n\n"
            "Coarse = front / three-quarter / side / back, on views with a known class; balanced = the mean over "
            "those four classes; sure = views given confidence >= 0.7 (the rest are marked unsure and point to "
            "`--views`); yaw MAE in degrees where labels give yaw. Views are the ones the split found, matched to "
            "labelled boxes (IoU >= 0.3).\n\n"
            + table(["group"] + MARKDOWN_COLUMNS, rows)
            + f"\n\nLabelled views no found view matched (split misses): {report['missed']}. "
            f"Seconds per view, split + clean + pose: {report['seconds_per_view']}; pose stage alone, reading text "
            "included, "
            f"{report['pose_seconds_per_view']} per view and {report['pose_seconds_per_sheet']} per multi-view sheet.")
    command = "python benchmarks/pose_bench.py " + " ".join(
        [args.folder.name] + [f"--batch {b}" for b in (args.batch or [])]
        + ([f"--jobs {args.jobs}"] if args.jobs > 1 else []) + ["--markdown"])
    write_section(f"pose_bench {args.folder.name}", body, command)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="folder with labels.json and the images")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--rows", action="store_true", help="also print every view's result")
    parser.add_argument("--markdown", action="store_true",
                        help="also write the results into docs/benchmarks.md (section pose_bench)")
    parser.add_argument("--batch", action="append", choices=["first", "tune", "aside", "extra", "fresh", "other"],
                        help="only these batches (repeatable; default all)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="worker processes (default 1; more ends sooner but makes the seconds per view "
                             "each worker's own)")
    args = parser.parse_args(argv)
    if not (args.folder / "labels.json").is_file():
        print(f"{args.folder}: no labels.json", file=sys.stderr)
        return 2
    result = run(args.folder, set(args.batch) if args.batch else None, args.jobs)
    groups = defaultdict(list)
    for row in result["rows"]:
        groups[row["style"]].append(row)
        groups[f"batch:{row['batch']}"].append(row)
    report = {"all": summarise(result["rows"]), **{s: summarise(r) for s, r in sorted(groups.items())},
              "seconds_per_view": round(result["seconds_per_view"], 3),
              "pose_seconds_per_view": round(result["pose_seconds_per_view"], 3),
              "pose_seconds_per_sheet": round(result["pose_seconds_per_sheet"], 3),
              "count_mismatch": result["count_mismatch"],
              "missed": result["missed"]}
    if args.markdown:
        write_markdown(report, args)
    if args.json:
        print(json.dumps({**report, "rows": result["rows"] if args.rows else None}, indent=2))
        return 0
    columns = ["views", "class_accuracy", "coarse_accuracy", "coarse_classed", "coarse_balanced", "sure_share",
               "sure_accuracy", "left_right_accuracy", "yaw_mae", "yaw_measured", "unknown_share",
               "confident_front_on_back_or_side"]
    print(f"{'':12}" + "".join(f"{c[:12]:>13}" for c in columns))
    for name, summary in report.items():
        if isinstance(summary, dict):
            print(f"{name:12}" + "".join(f"{str(summary[c]):>13}" for c in columns))
    print(f"labelled views no found view matched: {report['missed']}")
    print(f"seconds per view (split + clean + pose): {report['seconds_per_view']}; pose stage alone (with the "
          f"text reading) {report['pose_seconds_per_view']} per view, {report['pose_seconds_per_sheet']} per "
          "multi-view sheet")
    if report["count_mismatch"]:
        print(f"view count differs from labels: {', '.join(report['count_mismatch'])}")
    if args.rows:
        for row in result["rows"]:
            print(f"  {row['file'][:48]:48} {row['view']:>3} {row['true']:20} {row['pred']:20} "
                  f"{str(row['true_yaw']):>7} {str(None if row['pred_yaw'] is None else round(row['pred_yaw'])):>6} "
                  f"{row['confidence']:.2f} {row['method']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
