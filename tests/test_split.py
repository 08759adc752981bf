"""Split stage: views found with exact boxes, labels left out, one scale per sheet."""

from __future__ import annotations

import numpy as np
import pytest

from refprep.stages.load import load_image
from refprep.data import View
from refprep.stages.split import estimate_background, split_source

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


@pytest.mark.parametrize("name, min_iou", [("sheet_touching_row4.png", 0.85), ("sheet_ui_grid.png", 0.95),
                                            ("sheet_frames_3x2.png", 0.95), ("sheet_head_mix.png", 0.95)])
def test_touching_ui_framed_and_mixed_sheets_split_into_their_views(name, min_iou, ground_truth):
    """Every figure of the touching row touches its neighbours: there is no free sibling to
    measure a figure's width by (a side view's hidden hair is in its true box: min_iou)."""
    truth = ground_truth["sheets"][name]
    result = split_source(load_image(FIXTURES / name))
    assert len(result.views) == len(truth["views"])
    for view, expected in zip(result.views, truth["views"]):
        assert box_iou(view.bbox, expected["bbox"]) >= min_iou, (view.bbox, expected["bbox"])


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
    for framing in {v.framing for v in views}:
        alike = [v for v in views if v.framing == framing]
        assert len({v.canvas[:2] for v in alike}) == 1
        assert len({v.canvas[3] + v.bbox[3] for v in alike}) == 1  # paste y + height = feet line
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


def _figure_mask(centre: int, height: int, width: int = 700) -> np.ndarray:
    """A stick-figure mask: a round head, a torso, two legs; feet on the bottom row."""
    rows, cols = np.mgrid[:height, :width]
    head = (rows - 14) ** 2 + (cols - centre) ** 2 <= 12 ** 2
    torso = (rows >= 26) & (rows < 95) & (abs(cols - centre) <= 16)
    legs = (rows >= 95) & ((abs(cols - centre + 9) <= 6) | (abs(cols - centre - 9) <= 6))
    return head | torso | legs


def test_touching_figures_are_cut_along_a_seam_not_a_straight_line():
    """A's hand reaches over to touch B with a fingertip; B's elbow juts out towards A above
    it, over the same columns. No straight cut keeps both with their own figure; the seam
    runs between them and through the fingertip."""
    from refprep.stages.split import Piece, separate_touching

    height = 160
    own = _figure_mask(40, height, 130) | _figure_mask(90, height, 130)   # torsos x 24-56, 74-106
    own[80:90, 56:70] = True        # A's hand...
    own[84:86, 70:75] = True        # ...touches B's side with a fingertip
    own[30:40, 62:74] = True        # B's elbow, reaching left over the hand's columns
    labels = own.astype(np.int32)
    piece = Piece(1, 0, 0, own.shape[1], height, int(own.sum()))
    labels, parts = separate_touching(labels, [piece])
    assert len(parts) == 2
    left, right = sorted(parts, key=lambda p: p.x)
    assert (labels[80:90, 24:70] == left.label).all()     # the hand stays with A
    assert (labels[30:40, 62:107] == right.label).all()   # the elbow with B


@pytest.mark.parametrize("extra", ["wings", "staff_held_out", "creature"])
def test_one_wide_figure_is_not_cut(extra):
    """A figure with wings, one holding a staff out sideways, a four-legged creature: wide,
    with deep valleys in their column profile, but one head, so one view each. (What a cheap
    seam cuts off the first two does not reach the feet; the creature's hind half does, its
    back as high as its head, but it has no head: the top outline does not fall around a peak.)"""
    height, width = 160, 400
    rows, cols = np.mgrid[:height, :width]
    if extra == "creature":   # a head at the front, a long body, four legs
        own = ((rows - 22) ** 2 + (cols - 50) ** 2 <= 16 ** 2) | ((rows >= 30) & (rows < 90) & (cols >= 50) & (cols < 330))
        for x in (75, 105, 285, 315):
            own |= (rows >= 90) & (abs(cols - x) <= 7)
    else:
        own = _figure_mask(200, height, width)
        if extra == "wings":      # from the shoulders, tips above the head, down to the knees
            for side in (-1, 1):
                own |= ((rows - 55) / 50.0) ** 2 + ((cols - 200 - side * 95) / 80.0) ** 2 <= 1
                own |= (rows >= 30) & (rows < 40) & (abs(cols - 200 - side * 20) <= 6)
        else:                     # a staff held out at shoulder height, its orb at the end
            own |= (rows >= 40) & (rows < 46) & (cols >= 200) & (cols < 380)
            own |= (rows - 43) ** 2 + (cols - 385) ** 2 <= 10 ** 2
    rgb = np.where(own[..., None], np.uint8(60), np.uint8(235)).repeat(3, axis=2)
    rgb = np.pad(rgb, ((20, 20), (20, 20), (0, 0)), constant_values=235)
    result = split_source(Source_from(rgb))
    assert len(result.views) == 1


def _gallery(rows: int, cols: int, size, tile_grey: int, page_grey: int):
    """A screenshot-like grid of 180x190 tiles 190 px apart, a front figure standing in each."""
    tiles, figures = [], []
    for row in range(rows):
        for col in range(cols):
            x, y = 20 + col * 190, 60 + row * 200
            tiles.append((x, y, 180, 190, tile_grey))
            figures.append(("front", x + 55, y + 180))
    return _draw(figures, size, page_grey, tiles)


def test_screenshot_chrome_and_swatches_are_not_views():
    """A gallery with a scrollbar taller than any tile, a button with a caption, a prompt box
    and colour swatches (a square and a circle) under it: only the figures are views."""
    source, boxes = _gallery(2, 2, (420, 520), tile_grey=150, page_grey=250)
    rgb = source.rgb
    rgb[60:450, 404:410] = (196, 198, 206)             # the scrollbar
    rgb[15:40, 20:300] = (230, 230, 235)               # the prompt box
    rgb[15:40, 320:400] = (242, 112, 28)               # a button...
    rgb[24:31, 330:390:4] = 255                        # ...with a caption
    rgb[470:500, 20:50] = (200, 60, 40)                # a square swatch
    rows, cols = np.mgrid[:520, :420]
    rgb[(rows - 485) ** 2 + (cols - 85) ** 2 <= 15 ** 2] = (60, 90, 200)    # a round swatch
    result = split_source(source)
    assert len(result.views) == 4
    for view, box in zip(result.views, boxes):
        assert box_iou(view.bbox, box) > 0.9
    swatches = [a["bbox"] for a in result.annotations if a["kind"] == "swatch"]
    assert any(b[0] >= 400 and b[3] > 300 for b in swatches)            # the scrollbar
    assert sum(b[1] >= 460 for b in swatches) == 2                      # the two swatches


def test_big_headings_and_labels_are_not_views():
    """Midjourney-style text: a heading whose capitals are 0.4 of the figures' height and
    bold labels under each figure, as tall as a view may be beside the tallest."""
    import sys

    sys.path.insert(0, str(FIXTURES))
    import make_fixtures as draw

    figures = [("front", 60 + i * 290, 300) for i in range(3)]
    source, boxes = _draw(figures, (900, 400), 235)
    heading = draw.label_mask("MODEL SHEET", 10)
    source.rgb[10:10 + heading.shape[0], 20:20 + heading.shape[1]][heading] = 40
    for i, text in enumerate(("FRONT", "3/4", "BACK")):
        label = draw.label_mask(text, 9)
        x = 20 + i * 290
        source.rgb[320:320 + label.shape[0], x:x + label.shape[1]][label] = 40
    result = split_source(source)
    assert len(result.views) == 3
    for view, box in zip(result.views, boxes):
        assert box_iou(view.bbox, box) > 0.9


def test_jpeg_ringing_does_not_widen_the_boxes(ground_truth):
    """At JPEG quality 50 the ringing around dark outlines leaves specks off the figures."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.open(FIXTURES / "sheet_row5_offwhite.png").convert("RGB").save(buffer, "JPEG", quality=50)
    rgb = np.asarray(Image.open(buffer).convert("RGB"))
    result = split_source(Source_from(np.ascontiguousarray(rgb)))
    truth = ground_truth["sheets"]["sheet_row5_offwhite.png"]["views"]
    assert len(result.views) == len(truth)
    for view, expected in zip(result.views, truth):
        assert box_iou(view.bbox, expected["bbox"]) >= 0.96, (view.bbox, expected["bbox"])


def test_gallery_tiles_are_split_inside():
    """A screenshot-like grid: grey tiles on a white page, a figure standing in each tile."""
    source, boxes = _gallery(2, 3, (600, 470), tile_grey=128, page_grey=255)
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
    # The frames' long sides are ruling (split.ruling); what is left of them is no view.
    assert all(a["kind"] in ("frame", "mark", "swatch") for a in result.annotations), result.annotations


def test_graph_paper_does_not_join_the_figures_drawn_on_it():
    figures = [("front", 40 + i * 200, 200) for i in range(3)]
    source, boxes = _draw(figures, (620, 230), 240)
    grid = np.zeros(source.rgb.shape[:2], bool)
    grid[::12, :] = grid[:, ::12] = True
    source.rgb[grid & (source.rgb == 240).all(axis=2)] = 200    # grey graph paper under the figures
    result = split_source(source)
    assert len(result.views) == 3
    for view, box in zip(result.views, boxes):
        assert box_iou(view.bbox, box) > 0.8


def test_thick_height_lines_come_off_but_a_lone_staff_stays():
    from refprep.stages.split import ruling

    page = np.zeros((300, 600), bool)
    for x in (60, 260, 460):
        page[40:290, x:x + 60] = True                  # three figures
    for y in (50, 110, 170, 230, 280):
        page[y:y + 5, 20:580] = True                   # 5 px height lines across them all
    page[20:290, 140:145] = True                       # one 5 px staff beside the first figure
    lines = ruling(page)
    assert lines[112, 200] and lines[282, 400]         # the height lines, between the figures
    assert not lines[60, 142] and not lines[150, 90]   # the staff and the figures stay
    assert not ruling(page, min_family=6)[112, 200]    # too few lines for a family that size


def test_a_strand_as_tall_as_the_page_stays_with_its_figure():
    from refprep.stages.split import _without_ruling

    page = np.zeros((100, 60), bool)
    page[10:95, 20:28] = page[10:95, 32:40] = page[10:14, 20:40] = True   # a figure's legs and hips
    page[14:95, 29:31] = True   # a strand between the legs, thin and most of the page's height
    kept = _without_ruling(page, np.zeros_like(page))
    assert kept[70, 29] and kept[70, 30]


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
    from refprep.stages.split import Piece, group_pieces

    scrollbar = Piece(1, 590, 0, 4, 400, 1600)
    banner = Piece(2, 0, 0, 500, 100, 50000)
    groups, annotations, _ = group_pieces([scrollbar, banner])
    assert groups and groups[0][0] is banner


def test_overlapping_boxes_are_one_subject_unless_each_shows_a_face():
    """A seated figure's bench reaches under the bust beside it: their boxes overlap, yet
    each shows a face of its own, so they stay two views."""
    from refprep.stages.split import Piece, group_pieces

    seated = Piece(1, 0, 0, 300, 500, 90000)
    bust = Piece(2, 260, 0, 200, 260, 40000)
    assert len(group_pieces([seated, bust])[0]) == 1
    groups, _, _ = group_pieces([seated, bust], apart=lambda a, b: {a.label, b.label} == {1, 2})
    assert [[p.label for p in g] for g in groups] == [[1], [2]]


def _split_bench_case(index: int, kind: str, seed: int, tmp_path):
    """One of benchmarks/clean_bench.py's generated composites, saved and split as a user's
    file would be: (the case, its views)."""
    import clean_bench
    from PIL import Image

    case = clean_bench.generated_case(index, kind, seed)
    path = tmp_path / f"{case.name}.png"
    Image.fromarray(case.image).save(path)
    return case, split_source(load_image(path)).views


@pytest.mark.parametrize("index", [5, 6])
def test_figure_in_a_shirt_of_the_backdrop_colour_keeps_its_head(index, tmp_path):
    """clean_bench's seed-11 gen05_flat and gen06_flat: a grey shirt within the backdrop
    threshold of a grey backdrop leaves head, arms and legs as separate pieces, the legs
    joined by their floor shadow. The head floats over the figure (it was taken for a caption
    and dropped), and the seam between the legs runs under it (the legs were cut apart as
    two figures): one view holds the whole figure."""
    case, views = _split_bench_case(index, "flat", 11, tmp_path)
    assert len(views) == 1
    x, y, w, h = views[0].bbox
    inside = case.alpha[y:y + h, x:x + w].sum() / case.alpha.sum()
    assert inside > 0.97, (views[0].bbox, inside)   # all but grey hair tips


@pytest.mark.parametrize("index, kind, seed", [(0, "green", 11), (3, "green", 21)])
def test_head_over_a_torso_of_the_backdrops_colour_joins_its_figure(index, kind, seed, tmp_path):
    """clean_bench's green shirt on a green screen: the split sees the head, then nothing
    down to the hands and legs (a gap of 0.5-0.55 of their height). The head joins the
    figure: one view, from the head down (the head was left out as a mark, the view began at
    the hands)."""
    case, views = _split_bench_case(index, kind, seed, tmp_path)
    rows = np.flatnonzero((case.alpha > 0.5).any(axis=1))
    top, height = int(rows[0]), int(rows[-1] - rows[0] + 1)
    assert len(views) == 1
    # from the face down (the hat above it is as green as the shirt)
    assert views[0].bbox[1] <= top + 0.2 * height, (views[0].bbox, top, height)


@pytest.mark.parametrize("index, kind, seed", [(7, "flat", 44), (5, "green", 5), (0, "green", 33)])
def test_head_joined_by_a_faint_shirt_is_no_figure_of_its_own(index, kind, seed, tmp_path):
    """clean_bench's seed-44 gen07_flat, gen05_green, seed-33 gen00_green: the head
    is a third of the rest's height, enough to count as a figure of its own, so it became a
    second view over a headless one. The faint shirt (off the backdrop, under the figure
    threshold) joins it to the figure below: one view from the head down."""
    case, views = _split_bench_case(index, kind, seed, tmp_path)
    rows = np.flatnonzero((case.alpha > 0.5).any(axis=1))
    assert len(views) == 1, [v.bbox for v in views]
    assert views[0].bbox[1] <= rows[0] + 2, (views[0].bbox, rows[0])


@pytest.mark.parametrize("index, kind, seed", [(6, "vignette", 44), (9, "vignette", 33), (6, "gradient", 44)])
def test_a_saddle_filled_by_a_pale_shirt_is_no_gap_between_heads(index, kind, seed, tmp_path):
    """clean_bench's seed-44 gen06_vignette and gen06_gradient, seed-33 gen09_vignette: a
    white shirt with no line art leaves a dip in the figure's outline between head and arm,
    which passed for the gap between two touching figures' heads, and the figure was cut in
    two views. The outline taken with the faint shirt has no such dip: one view."""
    case, views = _split_bench_case(index, kind, seed, tmp_path)
    assert len(views) == 1, [v.bbox for v in views]
    x, y, w, h = views[0].bbox
    # all but the top of a white hat, as pale as the backdrop
    assert case.alpha[y:y + h, x:x + w].sum() / case.alpha.sum() > 0.9


@pytest.mark.parametrize("index, seed", [(4, 44), (9, 44), (16, 21)])
def test_a_scene_whose_border_looks_plain_is_one_photo(index, seed, tmp_path):
    """clean_bench's photo-like scenes (seed-44 gen04 and gen09, seed-21 gen16): wall and floor
    fit a gradient along the border, so the out-of-focus blobs and poles came out as two or
    three figure views, each cut against a backdrop that is not there. The border's noise (a
    camera's, over paper's grain) and the pieces running off the frame say photograph: one
    whole-image view, on a backdrop called cluttered (the model cuts it out)."""
    case, views = _split_bench_case(index, "photo", seed, tmp_path)
    assert [(v.kind, v.bbox) for v in views] == [("photo", (0, 0, case.image.shape[1], case.image.shape[0]))]
    assert views[0].backdrop.kind == "cluttered"


def _photo(rng, height: int, width: int) -> np.ndarray:
    """A photograph-like tile: a smooth random field with camera noise, no plain border."""
    import cv2

    field = cv2.resize(rng.uniform(40, 220, (9, 9, 3)).astype(np.float32), (width, height),
                       interpolation=cv2.INTER_CUBIC)
    return np.clip(field + rng.normal(0, 6, field.shape), 0, 255).astype(np.uint8)


def test_photo_grid_splits_into_one_view_per_photo():
    """Six portraits in a 3x2 grid with white gutters (an identity sheet): each photo is a view,
    although what it shows runs off its edges."""
    from refprep.stages.split import find_panels

    rng = np.random.default_rng(7)
    rgb = np.full((430, 640, 3), 255, np.uint8)
    boxes = [(10 + c * 210, 10 + r * 210, 200, 200) for r in range(2) for c in range(3)]
    for x, y, w, h in boxes:
        rgb[y:y + h, x:x + w] = _photo(rng, h, w)
    assert len(find_panels(rgb)) == 6
    result = split_source(Source_from(rgb))
    assert len(result.views) == 6
    for view, box in zip(result.views, boxes):
        assert box_iou(view.bbox, box) > 0.9, (view.bbox, box)


def test_ruled_paper_and_checkerboards_are_one_panel():
    """Graph paper's lines and a fake-transparency checkerboard are straight and one colour,
    but they divide nothing: the figures on them are one sheet."""
    from refprep.stages.split import find_panels

    paper = np.full((400, 600, 3), 250, np.uint8)
    paper[::25] = paper[:, ::25] = 200
    paper[100:300, 80:120] = paper[100:300, 300:340] = 60      # two figures on the grid
    assert find_panels(paper) == [(0, 0, 600, 400)]
    rows, cols = np.mgrid[:400, :600]
    checker = np.where(((rows // 44 + cols // 44) % 2)[..., None] == 0, 155, 92).astype(np.uint8).repeat(3, axis=2)
    checker[100:300, 80:120] = (200, 30, 30)
    assert find_panels(checker) == [(0, 0, 600, 400)]


def _astronaut_head(astronaut, side: int) -> np.ndarray:
    """The astronaut's head and shoulders in an ellipse on white, ``side`` pixels square."""
    from PIL import Image

    head = np.asarray(Image.fromarray(astronaut[20:260, 120:320]).resize((side, side)))
    rows, cols = np.mgrid[:side, :side]
    inside = ((rows - side / 2) / (side / 2)) ** 2 + ((cols - side / 2) / (side / 2.2)) ** 2 <= 1
    return np.where(inside[..., None], head, 255).astype(np.uint8)


def _textured(rng, height: int, width: int, base: int) -> np.ndarray:
    return np.clip(base + rng.normal(0, 25, (height, width, 3)), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def faces():
    from refprep.evidence.face import FaceAnalyzer

    with FaceAnalyzer() as analyzer:
        yield analyzer


def test_close_ups_keep_a_canvas_of_their_own_size():
    from refprep.stages.split import layout_views

    def view(box):
        return View(source_index=0, bbox=box, image=np.zeros((box[3], box[2], 3), np.uint8))

    # Two standing figures (one holding a sword out, as wide as tall) and more heads than figures.
    boxes = [(0, 0, 200, 600), (300, 0, 560, 590)] + [(x, 700, 150, 160) for x in range(0, 900, 180)]
    views = layout_views([view(box) for box in boxes])
    assert [v.framing for v in views] == ["full_body", "full_body"] + ["close_up"] * 5
    assert views[0].canvas[:2] == views[1].canvas[:2]
    head_w, head_h = views[2].canvas[:2]
    assert 160 < head_h < 220 and head_w >= head_h / 2     # the head's size plus margins, not a figure's


def test_a_head_standing_apart_is_a_close_up_view_and_a_prop_is_not(astronaut, faces):
    """Beside a full figure, a head a third of its height is a view where a face detector finds
    a face in it; a textured prop of that size stays an annotation."""
    rng = np.random.default_rng(3)
    sheet = np.full((760, 1000, 3), 255, np.uint8)
    sheet[80:680, 60:240] = _textured(rng, 600, 180, 70)          # the full figure
    sheet[120:320, 420:620] = _astronaut_head(astronaut, 200)      # a close-up of a head
    sheet[480:600, 700:900] = _textured(rng, 120, 200, 140)        # a prop
    with_faces = split_source(Source_from(sheet), find_faces=faces.find_faces)
    boxes = [v.bbox for v in with_faces.views]
    assert len(boxes) == 2 and any(box_iou(b, (420, 120, 200, 200)) >= 0.8 for b in boxes), boxes
    assert any(n["kind"] == "detail" and box_iou(n["bbox"], (700, 480, 200, 120)) >= 0.8 for n in with_faces.annotations)
    assert len(split_source(Source_from(sheet)).views) == 1    # no face finder: no close-ups


def test_heads_drawn_touching_are_one_view_per_face(astronaut, faces):
    """Two heads that overlap are one piece; the faces in it cut it into one view each."""
    sheet = np.full((400, 700, 3), 255, np.uint8)
    head = _astronaut_head(astronaut, 260)
    sheet[70:330, 90:350] = head
    right = sheet[70:330, 250:510]
    np.copyto(right, head, where=head.min(axis=2, keepdims=True) < 250)   # overlaps the left one by 100 px
    assert len(split_source(Source_from(sheet)).views) == 1
    views = split_source(Source_from(sheet), find_faces=faces.find_faces).views
    assert len(views) == 2
    assert views[0].bbox[0] + views[0].bbox[2] / 2 < 300 < views[1].bbox[0] + views[1].bbox[2] / 2


def _checkered(height: int, width: int, cell: int, light=255, dark=204) -> np.ndarray:
    cells = (np.indices((height, width)) // cell).sum(axis=0) % 2
    return np.where(cells[..., None] == 1, dark, light).astype(np.uint8).repeat(3, axis=2)


def test_a_painted_transparency_checkerboard_becomes_transparency():
    """Three figures on the grey-and-white checks a generator painted for "transparent",
    saved as JPEG: the checks become transparent and each figure one view."""
    import io

    from PIL import Image

    from refprep.stages.split import checkerboard_colours, without_fake_checkerboard

    rng = np.random.default_rng(5)
    sheet = _checkered(500, 900, 24)
    for x, colour in ((80, (200, 60, 50)), (380, (40, 90, 190)), (680, (60, 150, 70))):
        sheet[60:440, x:x + 140] = np.clip(np.array(colour) + rng.normal(0, 12, (380, 140, 3)), 0, 255)
    sheet[200:260, 110:190] = 255        # a white shirt patch: one of the checks' colours, kept
    buffer = io.BytesIO()
    Image.fromarray(sheet).save(buffer, "JPEG", quality=85)
    rgb = np.asarray(Image.open(buffer).convert("RGB"))
    source = without_fake_checkerboard(Source_from(rgb))
    assert source.alpha is not None
    assert source.alpha[5, 5] == 0 and source.alpha[300, 150] == 255 and source.alpha[230, 150] == 255
    views = split_source(source).views
    assert len(views) == 3 and all(box_iou(v.bbox, (x, 60, 140, 380)) >= 0.9 for v, x in zip(views, (80, 380, 680)))
    # Two-colour stripes and plain sheets are no checkerboard.
    assert checkerboard_colours(load_image(FIXTURES / "sheet_row6_gray.png").rgb) is None
    stripes = np.where((np.arange(900) // 24 % 2)[None, :, None] == 1, 204, 255).astype(np.uint8).repeat(500, 0).repeat(3, 2)
    assert checkerboard_colours(stripes) is None


def test_figures_on_a_busy_backdrop_are_the_views_the_saliency_model_sees(ground_truth):
    """A ref sheet drawn on a pattern has no plain border to split against: alone, the split
    keeps it as one picture; with the saliency model it finds each figure."""
    import cv2

    from refprep.stages.clean import U2netpSession
    from refprep.stages.split import salient_figures

    name = "example_sheet.png"
    source = load_image(FIXTURES / name)
    height, width = source.rgb.shape[:2]
    rng = np.random.default_rng(3)
    field = cv2.resize(rng.uniform(170, 240, (3, 4, 3)).astype(np.float32), (width, height),
                       interpolation=cv2.INTER_CUBIC)
    bands = ((np.add.outer(np.arange(height), np.arange(width)) // 90) % 2)[..., None] * 25.0
    busy = np.clip(field + bands, 0, 255).astype(np.uint8)
    for view in split_source(source).views:
        x, y, w, h = view.bbox
        busy[y:y + h, x:x + w][view.mask] = source.rgb[y:y + h, x:x + w][view.mask]
    painted = Source_from(busy)
    assert [v.kind for v in split_source(painted).views] == ["photo"]
    views = split_source(painted, find_salient=U2netpSession().predict_mask).views
    truth = [v["bbox"] for v in ground_truth["sheets"][name]["views"]]
    assert len(views) == len(truth)
    for view, expected in zip(views, truth):
        assert view.kind == "figure" and box_iou(view.bbox, expected) >= 0.9, (view.bbox, expected)
    # one subject in a scene stays a picture of the whole
    lone = np.zeros((100, 100), np.float32)
    lone[20:90, 30:60] = 1.0
    assert len(salient_figures(lone)) == 1
