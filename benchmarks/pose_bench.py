"""Pose benchmark: how right are refprep's view classes and yaw on a labelled folder?

    python benchmarks/pose_bench.py ../shared/devdata            # a folder with labels.json
    python benchmarks/pose_bench.py ../shared/devdata --json     # machine-readable

The folder follows ../shared/devdata's format: ``labels.json`` is a list of objects with
``file``, ``category``, ``view_labels`` (row-major, one per view) and optional ``yaw_deg``.
Views are matched to labels in reading order; an image whose view count differs from its
labels is scored on the views it has in common and counted in ``count_mismatch``.

It prints view-class accuracy, coarse accuracy (front / three_quarter / side / back),
left/right accuracy on views whose true class has a side, yaw MAE where labels give yaw
(and, separately, for |yaw| <= 60), per-style rows (photo, render, stylised) and seconds
per view.
"""

from __future__ import annotations

import argparse
import json
import sys
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
    return CATEGORY_STYLE.get(label["category"], "other")


def run(folder: Path) -> dict:
    from refprep.api import Pipeline

    labels = json.loads((folder / "labels.json").read_text())
    rows = []
    mismatched = []
    seconds = 0.0
    view_count = 0
    with Pipeline(progress=None) as pipeline:
        for label in labels:
            truth = label.get("view_labels") or []
            if not truth or label.get("subjects", 1) > 1:
                continue  # nothing to score, or several people in one view
            start = time.perf_counter()
            analysis = pipeline.split(pipeline.load([folder / label["file"]]))
            pipeline.matte(analysis)
            pipeline.pose(analysis)
            seconds += time.perf_counter() - start
            view_count += len(analysis.views)
            if len(analysis.views) != len(truth):
                mismatched.append(label["file"])
            yaws = label.get("yaw_deg") or [None] * len(truth)
            for view, true_class, true_yaw in zip(analysis.views, truth, yaws):
                rows.append({
                    "file": label["file"], "style": style_of(label), "true": true_class, "pred": view.pose.view,
                    "true_yaw": true_yaw, "pred_yaw": view.pose.yaw_deg, "confidence": view.pose.confidence,
                    "method": view.pose.method,
                })
    return {"rows": rows, "count_mismatch": mismatched, "seconds_per_view": seconds / max(view_count, 1)}


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
    return {
        "views": len(rows),
        "class_accuracy": share([r["pred"] == r["true"] for r in rows]),
        "coarse_accuracy": share([coarse(r["pred"]) == coarse(r["true"]) for r in rows]),
        "left_right_accuracy": share([side_of(r["pred"]) == side_of(r["true"]) for r in sided]),
        "left_right_views": len(sided),
        "yaw_mae": None if not with_yaw else round(sum(map(yaw_error, with_yaw)) / len(with_yaw), 1),
        "yaw_mae_within_60": None if not small_yaw else round(sum(map(yaw_error, small_yaw)) / len(small_yaw), 1),
        "yaw_measured": f"{len(with_yaw)}/{sum(r['true_yaw'] is not None for r in rows)}",
        "unknown_share": share([r["pred"] == "unknown" for r in rows]),
        "confident_front_on_back_or_side": len(confident_front_wrong),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="folder with labels.json and the images")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--rows", action="store_true", help="also print every view's result")
    args = parser.parse_args(argv)
    if not (args.folder / "labels.json").is_file():
        print(f"{args.folder}: no labels.json", file=sys.stderr)
        return 2
    result = run(args.folder)
    by_style = defaultdict(list)
    for row in result["rows"]:
        by_style[row["style"]].append(row)
    report = {"all": summarise(result["rows"]), **{s: summarise(r) for s, r in sorted(by_style.items())},
              "seconds_per_view": round(result["seconds_per_view"], 3), "count_mismatch": result["count_mismatch"]}
    if args.json:
        print(json.dumps({**report, "rows": result["rows"] if args.rows else None}, indent=2))
        return 0
    columns = ["views", "class_accuracy", "coarse_accuracy", "left_right_accuracy", "left_right_views", "yaw_mae",
               "yaw_mae_within_60", "yaw_measured", "unknown_share", "confident_front_on_back_or_side"]
    print(f"{'':10}" + "".join(f"{c[:14]:>16}" for c in columns))
    for name, summary in report.items():
        if isinstance(summary, dict):
            print(f"{name:10}" + "".join(f"{str(summary[c]):>16}" for c in columns))
    print(f"seconds per view (split + clean + pose): {report['seconds_per_view']}")
    if report["count_mismatch"]:
        print(f"view count differs from labels: {', '.join(report['count_mismatch'])}")
    if args.rows:
        for row in result["rows"]:
            print(f"  {row['file'][:48]:48} {row['true']:20} {row['pred']:20} "
                  f"{str(row['true_yaw']):>7} {str(None if row['pred_yaw'] is None else round(row['pred_yaw'])):>6} "
                  f"{row['confidence']:.2f} {row['method']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
