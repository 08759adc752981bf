"""How well `refprep check` catches labelled problems in real images, and how fast it is.

    python benchmarks/quality_bench.py [DEVDATA_DIR] [--json]

DEVDATA_DIR (default ../shared/devdata beside the repository) holds ``labels.json`` whose
``quality_issues`` name what is visibly wrong with each image. For every labelled issue that a
check is meant to catch, the image counts as caught when that check fails ("fail" recall) or at
least warns ("flag" recall). Images labelled with no issue at all are clean references: any
failing check on them is a false alarm. Times are per image with the models already loaded
(the first image is run twice so model loading is not counted), as wall-clock and as CPU
seconds of this process (all threads): on a shared machine the CPU figure is the steadier.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DEVDATA = REPO.parent / "shared" / "devdata"

# The issue types the project's targets name (recall >= 90% on them).
TARGET_ISSUES = ("harsh_shadow", "low_res", "blur", "cluttered_bg", "cropped", "multiple_subjects")
# Labelled issue -> the check ids meant to catch it.
ISSUE_CHECKS = {
    "harsh_shadow": ("shadow",),
    "blur": ("sharpness",),
    "low_res": ("resolution",),
    "cluttered_bg": ("background",),
    "cropped": ("cropped",),
    "multiple_subjects": ("single_subject",),
    "background_people": ("single_subject",),
    "small_face": ("face_size",),
    "extreme_pose": ("pose_extreme",),
    "jpeg_artifacts": ("jpeg_artifacts",),
    "low_light": ("exposure", "brightness", "dynamic_range"),
    "grayscale": ("colour",),
    "occlusion": ("eyes_visible", "face_visible"),
}


def issues_of(label: dict) -> set[str]:
    """The labelled issues, with a cluttered backdrop counted as cluttered_bg."""
    issues = set(label["quality_issues"])
    if label.get("background") == "cluttered":
        issues.add("cluttered_bg")
    return issues


class StageClock:
    """A progress callback that notes when each stage finishes its last item."""

    def __init__(self):
        self.finished: dict[str, float] = {}
        self.finished_cpu: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if done >= total:
            self.finished[stage] = time.perf_counter()
            self.finished_cpu[stage] = time.process_time()


def run(devdata: Path) -> dict:
    from refprep import api

    labels = json.loads((devdata / "labels.json").read_text())
    results = []
    clock = StageClock()
    with api.Pipeline(progress=clock) as pipeline:
        api.check([devdata / labels[0]["file"]], pipeline=pipeline)  # load the models
        for label in labels:
            start, start_cpu = time.perf_counter(), time.process_time()
            image = api.check([devdata / label["file"]], pipeline=pipeline)["images"][0]
            seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
            statuses = {c["id"]: c["status"] for c in image["checks"]}
            views = max(1, len(image["views"]))
            results.append({"file": label["file"], "issues": sorted(issues_of(label)), "status": image["status"],
                            "checks": statuses, "seconds": seconds, "cpu_seconds": cpu_seconds,
                            "check_seconds_per_view": (clock.finished["check"] - clock.finished["pose"]) / views,
                            "check_cpu_seconds_per_view":
                                (clock.finished_cpu["check"] - clock.finished_cpu["pose"]) / views,
                            "megapixels": label["width"] * label["height"] / 1e6})
    return summarise(results)


def summarise(results: list[dict]) -> dict:
    recall: dict[str, dict] = defaultdict(lambda: {"n": 0, "fail": 0, "flag": 0, "missed": []})
    for result in results:
        for issue in result["issues"]:
            if issue not in ISSUE_CHECKS:
                continue
            found = [result["checks"].get(check_id, "missing") for check_id in ISSUE_CHECKS[issue]]
            entry = recall[issue]
            entry["n"] += 1
            entry["fail"] += "fail" in found
            entry["flag"] += bool({"fail", "warn"} & set(found))
            if "fail" not in found:
                entry["missed"].append(f"{Path(result['file']).name} ({'/'.join(found)})")
    clean = [r for r in results if not r["issues"]]
    alarms = [f"{Path(r['file']).name}: " + ", ".join(k for k, v in r["checks"].items() if v == "fail")
              for r in clean if r["status"] == "fail"]
    def spread(key: str) -> dict:
        values = [r[key] for r in results]
        return {"mean": sum(values) / len(values), "max": max(values)}

    targets = [recall[issue] for issue in TARGET_ISSUES if issue in recall]
    return {
        "recall": dict(sorted(recall.items())),
        "target_recall": {key: sum(e[key] for e in targets) / max(1, sum(e["n"] for e in targets))
                          for key in ("fail", "flag")},
        "clean_images": len(clean),
        "false_alarms": alarms,
        "seconds_per_image": spread("seconds"),
        "cpu_seconds_per_image": spread("cpu_seconds"),
        "check_seconds_per_view": spread("check_seconds_per_view"),
        "check_cpu_seconds_per_view": spread("check_cpu_seconds_per_view"),
        "images": results,
    }


def print_table(summary: dict) -> None:
    print(f"{'issue':<18} {'n':>3} {'fail':>6} {'flag':>6}  missed (status of the check)")
    total = {"n": 0, "fail": 0, "flag": 0}
    for issue, entry in summary["recall"].items():
        for key in total:
            total[key] += entry[key]
        print(f"{issue:<18} {entry['n']:>3} {entry['fail'] / entry['n']:>6.0%} {entry['flag'] / entry['n']:>6.0%}  "
              + ", ".join(entry["missed"]))
    print(f"{'all':<18} {total['n']:>3} {total['fail'] / total['n']:>6.0%} {total['flag'] / total['n']:>6.0%}")
    target = summary["target_recall"]
    print(f"{'target types':<18} {'':>3} {target['fail']:>6.0%} {target['flag']:>6.0%}  ({', '.join(TARGET_ISSUES)})")
    alarms = summary["false_alarms"]
    print(f"\nfalse alarms (any fail) on clean references: {len(alarms)}/{summary['clean_images']}")
    for alarm in alarms:
        print(f"  {alarm}")
    timing, checks = summary["seconds_per_image"], summary["check_seconds_per_view"]
    cpu, checks_cpu = summary["cpu_seconds_per_image"], summary["check_cpu_seconds_per_view"]
    print(f"\nseconds per image, whole check (models loaded): mean {timing['mean']:.2f}, max {timing['max']:.2f}"
          f" (CPU: mean {cpu['mean']:.2f}, max {cpu['max']:.2f})")
    print(f"seconds per view, quality checks alone: mean {checks['mean']:.3f}, max {checks['max']:.3f}"
          f" (CPU: mean {checks_cpu['mean']:.3f}, max {checks_cpu['max']:.3f})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("devdata", nargs="?", type=Path, default=DEFAULT_DEVDATA)
    parser.add_argument("--json", action="store_true", help="print the full result as JSON")
    args = parser.parse_args()
    if not (args.devdata / "labels.json").is_file():
        print(f"no labels.json in {args.devdata}", file=sys.stderr)
        return 2
    summary = run(args.devdata)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print_table(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
