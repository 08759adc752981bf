"""Split stage: views found with exact boxes, labels left out, one scale per sheet."""

from __future__ import annotations

import numpy as np
import pytest

from refprep.load import load_image
from refprep.split import estimate_background, split_source

from conftest import DEVDATA, FIXTURES, box_iou

SHEETS = ["sheet_row6_gray.png", "sheet_row4_gradient.png", "sheet_grid2x2_transparent.png",
          "sheet_row3_vignette.png", "sheet_row5_offwhite.png", "single_front_white.png", "example_sheet.png"]


@pytest.mark.parametrize("name", SHEETS)
def test_generated_sheets_split_into_their_views(name, ground_truth):
    truth = ground_truth["sheets"][name]
    result = split_source(load_image(FIXTURES / name))
    assert len(result.views) == len(truth["views"])
    for view, expected in zip(result.views, truth["views"]):  # row-major order
        assert box_iou(view.bbox, expected["bbox"]) >= 0.95, (view.bbox, expected["bbox"])


@pytest.mark.parametrize("name, kind", [("sheet_row6_gray.png", "flat"), ("sheet_row4_gradient.png", "gradient"),
                                        ("sheet_row3_vignette.png", "vignette"),
                                        ("sheet_grid2x2_transparent.png", "transparent")])
def test_backdrop_kind_is_recognised(name, kind):
    assert estimate_background(load_image(FIXTURES / name)).kind == kind


def test_labels_are_annotations_not_views(ground_truth):
    truth = ground_truth["sheets"]["sheet_row4_gradient.png"]
    result = split_source(load_image(FIXTURES / "sheet_row4_gradient.png"))
    assert len(result.views) == 4
    # Every label's box is covered by some annotation, and by no view.
    for label in truth["annotations"]:
        lx, ly, lw, lh = label["bbox"]
        centre = (lx + lw / 2, ly + lh / 2)
        assert any(a["bbox"][0] <= centre[0] <= a["bbox"][0] + a["bbox"][2] + 1 for a in result.annotations)
        assert all(box_iou(v.bbox, label["bbox"]) == 0 for v in result.views)


def test_detached_pieces_and_props_join_their_figure(ground_truth):
    truth = ground_truth["sheets"]["sheet_row3_vignette.png"]
    result = split_source(load_image(FIXTURES / "sheet_row3_vignette.png"))
    assert [box_iou(v.bbox, t["bbox"]) > 0.95 for v, t in zip(result.views, truth["views"])] == [True] * 3
    assert result.annotations == []


@pytest.mark.parametrize("name", SHEETS)
def test_all_views_of_a_sheet_share_one_canvas_and_floor(name):
    views = split_source(load_image(FIXTURES / name)).views
    canvases = {v.canvas[:2] for v in views}
    assert len(canvases) == 1
    floors = {v.canvas[3] + v.bbox[3] for v in views}  # paste y + height = feet line
    assert len(floors) == 1
    for view in views:
        canvas_w, canvas_h, px, py = view.canvas
        assert px > 0 and py > 0 and px + view.bbox[2] < canvas_w and py + view.bbox[3] < canvas_h


def test_cluttered_photo_is_one_view(astronaut):
    from refprep.data import Source
    from pathlib import Path

    source = Source(Path("astronaut.png"), astronaut, None, "0" * 64, "PNG", "RGB")
    result = split_source(source)
    assert result.background.kind == "cluttered"
    assert len(result.views) == 1 and result.views[0].kind == "photo"
    assert result.views[0].bbox == (0, 0, 512, 512)


def test_view_mask_marks_the_figure(ground_truth):
    result = split_source(load_image(FIXTURES / "sheet_row6_gray.png"))
    for view in result.views:
        assert view.mask.shape == view.image.shape[:2]
        # Tight box: the mask reaches every side of the crop.
        assert view.mask[0].any() and view.mask[-1].any() and view.mask[:, 0].any() and view.mask[:, -1].any()


@pytest.mark.devdata
def test_devdata_sheets_view_counts(devdata_labels):
    for label in devdata_labels:
        if label["category"] not in ("multiview_sheet", "drawn_sheet"):
            continue
        result = split_source(load_image(DEVDATA / label["file"]))
        assert len(result.views) == label["views"], label["file"]


@pytest.mark.devdata
def test_devdata_strip_boxes_fall_in_their_panels(devdata_labels):
    label = next(l for l in devdata_labels if l["file"].endswith("mvadapter_t2mv_multi_loras.png"))
    result = split_source(load_image(DEVDATA / label["file"]))
    for i, view in enumerate(result.views):  # six 768x768 panels left to right
        x, y, w, h = view.bbox
        assert 768 * i <= x and x + w <= 768 * (i + 1)
        assert h > 600


def _draw(figures, size, backdrop, tiles=()):
    """A sheet drawn with the fixture generator's figures: (view, x, sole_y) per figure,
    optional filled tiles (x, y, w, h, grey) under them. Returns (Source, true boxes)."""
    import sys
    from pathlib import Path

    from refprep.data import Source

    sys.path.insert(0, str(FIXTURES))
    import make_fixtures as draw

    width, height = size
    canvas = np.full((height, width, 3), float(backdrop))
    for x, y, w, h, grey in tiles:
        canvas[y:y + h, x:x + w] = grey
    boxes = []
    for view, x, sole in figures:
        sprite = draw.render_figure(view, 150)
        w, h = sprite.size
        y = sole - int(round(sprite.sole_y))
        a = sprite.alpha[..., None]
        canvas[y:y + h, x:x + w] = canvas[y:y + h, x:x + w] * (1 - a) + sprite.rgb * a
        boxes.append((x, y, w, h))
    rgb = np.round(canvas).astype(np.uint8)
    return Source(Path("drawn.png"), rgb, None, "0" * 64, "PNG", "RGB"), boxes


def test_touching_figures_are_separated():
    views = ("front", "three_quarter_right", "side_right", "back", "front")
    xs = (20, 130, 240, 262, 420)  # the profile overlaps the back view
    source, boxes = _draw([(v, x, 175) for v, x in zip(views, xs)], (540, 190), 117)
    result = split_source(source)
    assert len(result.views) == 5
    for view, box in zip(result.views, boxes):
        assert box_iou(view.bbox, box) > 0.75


def test_gallery_tiles_are_split_inside():
    """A screenshot-like grid: grey tiles on a white page, a figure standing in each tile."""
    tiles, figures = [], []
    for row in range(2):
        for col in range(3):
            x, y = 20 + col * 190, 60 + row * 200
            tiles.append((x, y, 180, 190, 128))
            figures.append(("front", x + 55, y + 180))
    source, boxes = _draw(figures, (600, 470), 255, tiles)
    source.rgb[15:40, 20:300] = 230  # a prompt box above the gallery
    result = split_source(source)
    assert len(result.views) == 6
    for view, box in zip(result.views, boxes):
        assert box_iou(view.bbox, box) > 0.9
        assert view.backdrop.color[0] == 128  # matted against its tile, not the page
    assert sum(a["kind"] == "panel" for a in result.annotations) == 6


def test_drawn_panel_frames_are_not_views():
    figures = [("front", 40 + i * 200, 200) for i in range(3)]
    source, boxes = _draw(figures, (620, 230), 240)
    for i in range(3):  # a thin dark frame around each cell
        x0, x1 = 10 + i * 200, 200 + i * 200
        source.rgb[8:10, x0:x1] = source.rgb[218:220, x0:x1] = 30
        source.rgb[8:220, x0:x0 + 2] = source.rgb[8:220, x1 - 2:x1] = 30
    result = split_source(source)
    assert len(result.views) == 3
    for view, box in zip(result.views, boxes):
        assert box_iou(view.bbox, box) > 0.9
    assert sum(a["kind"] == "frame" for a in result.annotations) == 3


def test_margin_is_configurable_and_framing_is_named():
    source = load_image(FIXTURES / "sheet_row6_gray.png")
    default, wide = split_source(source), split_source(source, margin=0.25)
    assert wide.views[0].canvas[1] > default.views[0].canvas[1] + 0.3 * default.views[0].bbox[3]
    assert {v.framing for v in default.views} == {"full_body"}
    busts = split_source(Source_from(np.ascontiguousarray(load_image(FIXTURES / "sheet_row6_gray.png").rgb[:90])))
    assert {v.framing for v in busts.views} == {"close_up"}


def Source_from(rgb):
    from pathlib import Path

    from refprep.data import Source

    return Source(Path("crop.png"), rgb, None, "0" * 64, "PNG", "RGB")


def test_grouping_survives_a_tall_thin_line_beside_a_short_wide_block():
    """A UI scrollbar (tallest) and a wide banner (largest): neither passes both view tests."""
    from refprep.split import Piece, group_pieces

    scrollbar = Piece(1, 590, 0, 4, 400, 1600)
    banner = Piece(2, 0, 0, 500, 100, 50000)
    groups, annotations = group_pieces([scrollbar, banner])
    assert groups and groups[0][0] is banner
