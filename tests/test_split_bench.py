"""The split benchmark: its generated ground truth is exact, and it runs and reports sane numbers.

How well refprep splits is what benchmarks/split_bench.py measures; these tests only check that
the measuring is right.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import DEVDATA, REPO

import sheet_generator
import split_bench
from sheet_generator import mf  # fixtures/make_fixtures.py

# Sheet 0 is the 4608x768 timing strip, slow to draw; 1.. take the layouts in turn.
FIRST_RANDOM = 1


@pytest.fixture(scope="module")
def sheets() -> list:
    return list(sheet_generator.generate(len(sheet_generator.LAYOUTS), start=FIRST_RANDOM))


def test_generator_draws_every_layout(sheets):
    assert [s.tags[0] for s in sheets] == list(sheet_generator.LAYOUTS)


def test_generated_ground_truth_is_exact(sheets):
    for sheet in sheets:    # tight boxes on the drawn pixels, nothing drawn outside them
        mf.check_sheet(sheet.name, sheet.drawn)


def test_annotations_lie_outside_the_views(sheets):
    for sheet in sheets:
        views = [v["bbox"] for v in sheet.drawn.truth["views"]]
        for note in sheet.drawn.truth["annotations"]:
            inside = [mf.contains(note["bbox"], box) for box in views if mf.overlaps(note["bbox"], box)]
            # Only frames and tiles may hold views, and then wholly.
            assert all(inside) and (not inside or note["kind"] in mf.CONTAINER_KINDS), (sheet.name, note)


def test_ground_truth_names_class_and_kind(sheets):
    kinds = set()
    for sheet in sheets:
        for view in sheet.drawn.truth["views"]:
            assert view["view"] in mf.VIEW_CLASSES and view["kind"] in ("full_body", "head")
            kinds.add(view["kind"])
    assert kinds == {"full_body", "head"}


def test_extra_series_has_exact_ground_truth_and_big_text():
    extra = list(sheet_generator.generate_extra(len(sheet_generator.EXTRA_LAYOUTS)))
    assert [s.tags[0] for s in extra] == list(sheet_generator.EXTRA_LAYOUTS)
    for sheet in extra:
        mf.check_sheet(sheet.name, sheet.drawn)
        title = next(n for n in sheet.drawn.truth["annotations"] if n["kind"] == "title")
        tallest = max(v["bbox"][3] for v in sheet.drawn.truth["views"])
        assert title["bbox"][3] >= 0.15 * tallest     # a heading, not a caption


def test_a_sheet_depends_only_on_seed_and_index(sheets):
    again = next(sheet_generator.generate(1, start=FIRST_RANDOM + 1))
    assert again.drawn.truth == sheets[1].drawn.truth
    assert np.array_equal(np.asarray(again.drawn.image), np.asarray(sheets[1].drawn.image))


def _views(boxes, canvas=(100, 200), framing="full_body"):
    """Stand-ins for split_source's views: boxes on one canvas, feet on one line."""
    width, height = canvas
    return [SimpleNamespace(bbox=tuple(b), framing=framing, canvas=(width, height, 10, height - 10 - b[3]))
            for b in boxes]


def test_scoring_a_known_answer():
    truth = {"views": [{"bbox": [0, 0, 10, 40], "kind": "full_body"}, {"bbox": [20, 0, 10, 40], "kind": "head"}],
             "annotations": [{"bbox": [0, 45, 10, 5], "kind": "label"}]}
    perfect = split_bench.score("s", _views([[0, 0, 10, 40], [20, 0, 10, 40]]), 0.1, 2, truth)
    assert perfect["exact"] and perfect["ious"] == [1.0, 1.0] and perfect["notes_as_views"] == []
    assert perfect["framing_ok"] == [True, False] and perfect["same_canvas"] and perfect["feet_aligned"]
    # The second view cut in half, the label kept as a view.
    worse = split_bench.score("s", _views([[0, 0, 10, 40], [20, 0, 10, 20], [0, 45, 10, 5]]), 0.1, 2, truth)
    assert not worse["exact"] and worse["ious"] == [1.0, 0.5] and worse["notes_as_views"] == ["label"]
    crashed = split_bench.score("s", [], 0.1, 2, truth)     # what a sheet that raised scores
    assert not (crashed["exact"] or crashed["same_canvas"]) and crashed["ious"] == []


def test_benchmark_runs_and_reports_numbers_in_range():
    report = split_bench.run(count=3, seed=sheet_generator.DEFAULT_SEED, start=FIRST_RANDOM)
    summary = report["groups"]["generated"]
    assert summary["sheets"] == 3
    for key in ("exact_count", "mean_iou", "iou>=0.9", "same_canvas", "feet_aligned"):
        assert 0.0 <= summary[key] <= 1.0, key
    assert summary["notes_views"] >= 0 and summary["s/sheet"] > 0 and 0 <= summary["errors"] <= 3
    for row in report["rows"]:
        assert len(row["ious"]) <= min(row["views"], row["true_views"])
        assert all(0.0 < x <= 1.0 for x in row["ious"])
    assert set(report["groups"]) >= {"generated", "row", "grid", "frames"}
    with_extra = split_bench.run(count=1, seed=sheet_generator.DEFAULT_SEED, start=FIRST_RANDOM, extra=1)
    assert with_extra["groups"]["generated"]["sheets"] == 1 and with_extra["groups"]["extra"]["sheets"] == 1
    assert "extra:big_text" in with_extra["groups"] and "big_text" not in with_extra["groups"]


def test_scoring_a_labelled_image():
    truth = [(0, 0, 100, 200), (200, 0, 100, 200), (400, 0, 100, 200)]
    # The first view found whole, the second cut to its top half, the third missed; a caption kept.
    row = split_bench.score_labelled([(0, 0, 100, 200), (200, 0, 100, 100), (600, 0, 50, 20)], 3, truth)
    assert row["exact"] and row["ious"] == [1.0, 0.5, None] and row["extra_views"] == 1
    summary = split_bench.summarise_labelled([{**row, "seconds": 1.0, "error": None}])
    assert summary["matched"] == round(2 / 3, 3) and summary["iou>=0.85"] == round(1 / 3, 3)
    assert summary["mean_iou"] == 0.75 and summary["extra_views"] == 1
    photo = split_bench.score_labelled([(0, 0, 10, 10), (20, 0, 10, 10)], 1, None)   # no boxes: count only
    assert not photo["exact"] and photo["ious"] is None and photo["extra_views"] is None


def test_targets_say_which_hold():
    sheets = {"images": 10, "exact_count": 0.9, "boxes": 20, "matched": 0.9, "iou>=0.85": 0.5, "mean_iou": 0.8,
              "extra_views": 0}
    timing = [{"sheet": "strip", "size": [4608, 768], "split": 0.2, "split + text": 1.0, "target_s": 0.3},
              {"sheet": "production", "size": [1536, 1024], "split": 0.5, "split + text": 2.0, "target_s": 1.5}]
    report = {"labelled": {"groups": {"kind:sheet": sheets}}, "timing": timing}
    # Exact count at the target, boxes too loose, no extra view; the strip alone is timed without
    # text, the production sheet with it.
    assert [holds for _, _, holds in split_bench.targets(report)] == [True, False, True, True, False]
    assert split_bench.targets({"labelled": None, "timing": []}) == []


def test_a_labelled_folder_is_split_as_build_splits_it(sheets, tmp_path):
    """Generated sheets written as a labelled folder: the build's split finds their views."""
    labels = []
    for number, sheet in enumerate(sheets[:2]):
        name = f"images/sheet_{number}.png"
        (tmp_path / "images").mkdir(exist_ok=True)
        sheet.drawn.image.save(tmp_path / name)
        boxes = [v["bbox"] for v in sheet.drawn.truth["views"]]
        labels.append({"file": name, "category": sheet.tags[0], "kind": "sheet", "views": len(boxes),
                       "split": "extra", "view_bboxes_approx": boxes if number == 0 else None})
    (tmp_path / "labels.json").write_text(json.dumps(labels))
    report = split_bench.run_labelled(tmp_path)
    assert set(report["groups"]) == {"all", "batch:extra", "kind:sheet", *(s.tags[0] for s in sheets[:2])}
    first, second = report["rows"]
    assert first["exact"] and min(first["ious"]) >= 0.85 and first["extra_views"] == 0
    assert second["ious"] is None and second["views"] == len(second["found_boxes"])
    summary = report["groups"]["all"]
    assert summary["images"] == 2 and summary["boxes"] == len(labels[0]["view_bboxes_approx"])
    assert summary["iou>=0.85"] == 1.0 and summary["errors"] == 0 and summary["s/image"] > 0


@pytest.mark.slow
@pytest.mark.devdata
@pytest.mark.skipif(not DEVDATA.is_dir(), reason="needs ../shared/devdata")
def test_full_benchmark_with_the_timing_sheets_and_devdata():
    timing = split_bench.time_targets(DEVDATA, repeats=1)
    assert [t["sheet"] for t in timing] == ["strip", "production"]
    assert timing[0]["size"] == [4608, 768] and timing[1]["size"] == list(split_bench.PRODUCTION_SIZE)
    assert all(t["split"] > 0 and t["split + text"] > 0 for t in timing)
    report = split_bench.run_labelled(DEVDATA)
    assert {"batch:first", "batch:tune", "batch:aside"} <= set(report["groups"])
    assert report["groups"]["all"]["images"] == len(report["rows"]) and report["groups"]["all"]["boxes"] > 0


def test_a_figure_in_a_backdrop_coloured_shirt_is_one_view():
    """The shirt matches the backdrop, so the figure falls apart into a head and two halves
    whose boxes barely overlap: they are one subject, not three views."""
    import clean_bench

    from refprep.data import Source
    from refprep.stages.split import split_source

    case = clean_bench.generated_case(3, "vignette", clean_bench.DEFAULT_SEED)
    views = split_source(Source(REPO / "shirt.png", case.image, None, "0" * 64, "PNG", "RGB")).views
    assert len(views) == 1
    x, y, w, h = views[0].bbox
    ys, xs = np.nonzero(case.alpha > 0)
    assert x <= xs.min() and y <= ys.min() and x + w > xs.max() and y + h > ys.max()
