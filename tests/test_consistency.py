"""The consistency stage: one character in every view (palette and proportions)."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from conftest import DEVDATA
from refprep.data import View
from refprep.stages.consistency import (check_consistency, height_deviation, package_consistency, palette, unmatched,
                                        view_palette)
from refprep.thresholds import QUALITY_THRESHOLDS

WHITE = (255, 255, 255)
HAIR, SKIN, JACKET, TROUSERS = (90, 55, 30), (235, 195, 165), (190, 35, 40), (40, 50, 110)


def figure(colours=(HAIR, SKIN, JACKET, TROUSERS), shares=(0.15, 0.15, 0.35, 0.35), height=200, top=0,
           source_index=0, width=70) -> View:
    """A figure drawn as horizontal bands of ``colours`` (shares of its height) on white."""
    image = np.full((height, width, 3), 255, np.uint8)
    alpha = np.zeros((height, width), np.float32)
    alpha[:, 10:width - 10] = 1.0
    edges = np.round(np.cumsum((0,) + tuple(shares)) * height).astype(int)
    for colour, start, end in zip(colours, edges[:-1], edges[1:]):
        image[start:end, 10:width - 10] = colour
    # Shading across the figure, as a lit turnaround has: lightness only.
    shade = np.linspace(0.85, 1.0, width)[None, :, None]
    image = np.where(alpha[:, :, None] > 0, np.clip(image * shade, 0, 255), image).astype(np.uint8)
    return View(source_index, (width * 2, top, width, height), image, mask=alpha > 0.5, alpha=alpha)


def hue_turned(rgb, degrees: float):
    hsv = cv2.cvtColor(np.array([[rgb]], np.uint8), cv2.COLOR_RGB2HSV_FULL)
    hsv[..., 0] = (hsv[..., 0].astype(int) + round(degrees * 256 / 360)) % 256
    return tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB_FULL)[0, 0])


def statuses(views, check_id="consistency"):
    return [next(c.status for c in view.checks if c.id == check_id)
            for view in check_consistency(views, QUALITY_THRESHOLDS)]


def test_palette_weights_colours_by_area():
    pixels = np.array([HAIR] * 15 + [SKIN] * 15 + [JACKET] * 35 + [TROUSERS] * 35, np.uint8)
    found = palette(pixels)
    assert sorted(np.round(found.shares[found.shares > 0], 2).tolist()) == [0.15, 0.15, 0.35, 0.35]
    drawn = view_palette(figure())  # shaded bands: each colour may take several clusters
    assert abs(drawn.shares.sum() - 1) < 1e-6 and len(drawn.pixels) > 1000


def test_unmatched_share_is_the_area_of_colours_no_other_view_has():
    own = palette(np.array([JACKET] * 30 + [SKIN] * 70, np.uint8))
    same = palette(np.array([JACKET] * 5 + [SKIN] * 95, np.uint8))
    other = palette(np.array([TROUSERS] * 50 + [SKIN] * 50, np.uint8))
    assert unmatched(own, [same])[0] == 0.0  # present in the other view, whatever its area there
    share, name, name_share = unmatched(own, [other])
    assert abs(share - 0.3) < 1e-6 and abs(name_share - 0.3) < 1e-6 and name == "red"


def test_a_turnaround_passes_and_the_back_view_may_show_mostly_hair():
    back = figure(colours=(HAIR, JACKET, TROUSERS), shares=(0.45, 0.25, 0.30))
    assert statuses([figure(), figure(), back]) == ["pass", "pass", "pass"]


@pytest.mark.parametrize("degrees", [40, 90])
def test_a_recoloured_jacket_fails_only_in_its_view(degrees):
    recoloured = figure(colours=(HAIR, SKIN, hue_turned(JACKET, degrees), TROUSERS))
    found = check_consistency([figure(), recoloured, figure()], QUALITY_THRESHOLDS)
    assert [next(c.status for c in v.checks if c.id == "consistency") for v in found] == ["pass", "fail", "pass"]
    message = next(c.message for c in found[1].checks if c.id == "consistency")
    assert message.startswith("View 2's main colour (") and "35% of the figure) appears in no other view" in message
    assert "--exclude 2" in message


def test_a_slight_hue_drift_passes():
    drifted = figure(colours=(HAIR, SKIN, hue_turned(JACKET, 8), TROUSERS))
    assert statuses([figure(), drifted, figure()]) == ["pass", "pass", "pass"]


def test_a_line_up_of_different_characters_fails():
    second = figure(colours=((230, 220, 120), (120, 80, 60), (40, 140, 70), (200, 200, 200)))
    third = figure(colours=((20, 20, 20), (250, 215, 190), (120, 60, 160), (60, 160, 200)))
    assert statuses([figure(), second, third]) == ["fail", "fail", "fail"]


def test_a_figure_at_another_scale_fails_proportions_in_its_row_only():
    small = figure(height=160, top=40)
    assert statuses([figure(), small, figure()], "proportions") == ["pass", "fail", "pass"]
    assert height_deviation(160, [200, 200]) == pytest.approx(0.2)
    lower_row = figure(height=120, top=400)  # an action pose under the turnaround: its own scale
    assert statuses([figure(), figure(), lower_row], "proportions") == ["pass", "pass", "skip"]
    assert statuses([figure(), replace(figure(height=160), source_index=1)], "proportions") == ["skip", "skip"]


def test_one_view_has_nothing_to_compare():
    assert statuses([figure()]) == ["skip"]


def test_package_verdict_names_the_flagged_views():
    entries = [{"file": f"0{i}.png", "checks": [{"id": "consistency", "status": status},
                                                {"id": "sharpness", "status": "fail"}]}
               for i, status in enumerate(("pass", "fail", "pass"), 1)]
    verdict = package_consistency(entries)
    assert verdict["status"] == "fail" and verdict["flagged"] == ["02.png"] and verdict["views_compared"] == 3
    assert package_consistency(entries[:1] + entries[2:])["status"] == "pass"
    assert package_consistency([])["status"] == "skip"


# Two real turnarounds (devdata): a chibi schoolgirl 3-view and a cat 3-view.
REAL_SHEETS = ("images/yuyuimage/yuyu_chibi_schoolgirl_3view.png", "images/dreamwright/dreamwright_ember_cat_3view.png")


@pytest.mark.devdata
def test_devdata_turnarounds_pass_and_their_line_up_fails(pipeline, devdata_labels):
    sheets = [pipeline.prepare([DEVDATA / name], WHITE).views for name in REAL_SHEETS]
    for name, views in zip(REAL_SHEETS, sheets):
        assert all(status != "fail" for status in statuses(views)), name
        assert all(status != "fail" for status in statuses(views, "proportions")), name
    line_up = [sheets[0][0], replace(sheets[1][0], source_index=1)]
    assert statuses(line_up) == ["fail", "fail"]


def test_the_docstring_examples_run():
    import doctest

    import refprep.stages.consistency

    results = doctest.testmod(refprep.stages.consistency, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert results.attempted >= 7 and results.failed == 0
