"""Quality checks flip from pass to fail at their documented levels on controlled degradations
of a real photo (skimage's astronaut, a frontal portrait)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from refprep.api import SheetAnalysis
from refprep.data import Source
from refprep.presets import get_preset
from refprep.split import split_source


def checked_view(rgb: np.ndarray, pipeline):
    """Run split, matte, pose and the checks (as `refprep check` does) on one image."""
    rgb = np.ascontiguousarray(rgb)
    source = Source(Path("test.png"), rgb, None, "0" * 64, "PNG", "RGB")
    result = split_source(source)
    analysis = SheetAnalysis([source], [result.background], result.views, [result.annotations])
    pipeline.matte(analysis)
    pipeline.pose(analysis)
    pipeline.check(analysis, get_preset("generic"), None, cleaned=False)
    return analysis.views[0]


def status(view, check_id: str) -> str:
    return next(c.status for c in view.checks if c.id == check_id)


def value(view, check_id: str) -> float:
    return next(c.value for c in view.checks if c.id == check_id)


@pytest.fixture(scope="module")
def original(astronaut, pipeline):
    return checked_view(astronaut, pipeline)


def test_every_check_id_is_reported(original):
    ids = [c.id for c in original.checks]
    assert ids == ["resolution", "face_size", "sharpness", "exposure", "shadow", "background", "cropped",
                   "single_subject", "face_visible", "pose_extreme"]
    for c in original.checks:
        assert c.status in ("pass", "warn", "fail", "skip") and c.message


def test_clean_portrait_passes_the_face_checks(original):
    for check_id in ("resolution", "face_size", "sharpness", "exposure", "shadow", "single_subject",
                     "face_visible", "pose_extreme"):
        assert status(original, check_id) == "pass", (check_id, original.checks)
    assert original.pose.view == "front"


@pytest.mark.parametrize("sigma, expected", [(0.5, "pass"), (2.0, "warn"), (4.0, "fail")])
def test_sharpness_flips_with_blur(astronaut, pipeline, sigma, expected):
    blurred = cv2.GaussianBlur(astronaut, (0, 0), sigma)
    assert status(checked_view(blurred, pipeline), "sharpness") == expected


@pytest.mark.parametrize("size, expected", [(512, "pass"), (400, "warn"), (256, "fail")])
def test_resolution_flips_with_downscaling(astronaut, pipeline, size, expected):
    small = cv2.resize(astronaut, (size, size), interpolation=cv2.INTER_AREA)
    assert status(checked_view(small, pipeline), "resolution") == expected


def test_half_face_shadow_fails(astronaut, pipeline, original):
    x, y, w, h = original.pose.face_box
    shaded = astronaut.astype(np.float32)
    shaded[:, x + w // 2:] *= 0.3  # the right half of the face (and all right of it) in deep shadow
    view = checked_view(shaded.astype(np.uint8), pipeline)
    assert status(view, "shadow") == "fail"
    assert value(view, "shadow") > 2.2


def test_overexposure_fails(astronaut, pipeline):
    bright = np.clip(astronaut.astype(np.int16) * 3, 0, 255).astype(np.uint8)
    assert status(checked_view(bright, pipeline), "exposure") == "fail"


def test_two_faces_fail_single_subject(astronaut, pipeline):
    pair = np.concatenate([astronaut, np.fliplr(astronaut)], axis=1)
    view = checked_view(pair, pipeline)
    assert status(view, "single_subject") == "fail"


def test_strong_roll_fails_pose_extreme(astronaut, pipeline):
    height, width = astronaut.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 3), -45, 1.0)  # 45 deg clockwise
    tilted = cv2.warpAffine(astronaut, matrix, (width, height), borderMode=cv2.BORDER_REFLECT)
    view = checked_view(tilted, pipeline)
    assert status(view, "pose_extreme") == "fail"


def test_head_cut_by_top_edge_fails_cropped(astronaut, pipeline, original):
    x, y, w, h = original.pose.face_box
    cut = astronaut[y:]  # the frame cuts through the forehead: hair and skull are gone
    assert status(checked_view(cut, pipeline), "cropped") == "fail"
    assert status(original, "cropped") in ("pass", "warn")


def test_no_face_warns_face_visible(pipeline):
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 255, (300, 300, 3), dtype=np.uint8)
    view = checked_view(noise, pipeline)
    assert status(view, "face_visible") == "warn"
    assert view.pose.view == "unknown"


def test_preset_overrides_thresholds():
    from refprep.presets import Preset

    strict = Preset(name="t", description="", threshold_overrides={"resolution": {"warn": 4000}})
    assert strict.thresholds()["resolution"]["warn"] == 4000
    assert strict.thresholds()["resolution"]["fail"] == get_preset("generic").thresholds()["resolution"]["fail"]


@pytest.mark.parametrize("backdrop, expected", [(255, "pass"), (128, "warn")])
def test_plain_backdrop_is_judged_around_the_subject(astronaut, pipeline, original, backdrop, expected):
    """The astronaut on a plain backdrop: her shoulders fill the border, yet the backdrop is
    judged plain (white passes, grey warns); on the original flag-and-spacecraft scene it fails."""
    alpha = original.alpha[:, :, None]
    plain = (alpha * astronaut + (1 - alpha) * backdrop).astype(np.uint8)
    assert status(checked_view(plain, pipeline), "background") == expected
    assert status(original, "background") == "fail"
