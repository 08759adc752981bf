"""Presets as data, the export stage (select, fit, encode) and the package rules, without models."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from refprep.data import Check, Pose, View
from refprep.targets.export import Chosen, canvas_coverage, encode, export_view, fit_picture, select_views
from refprep.targets.presets import ALIASES, GROUP_ORDER, PRESETS, Preset, get_preset
from refprep.targets.rules import (RULES, file_problems, file_warnings, package_findings, regrade,
                                   transparency_problem, view_set_problems)
from refprep.thresholds import QUALITY_THRESHOLDS

from conftest import heavy_imports

ISSUE_PRESETS = {"generic", "kling-element", "kling-omni", "kling-4", "runway-gen4", "vidu-q2", "vidu-q4",
                 "hailuo-s2v", "hailuo-h3", "veo-3.1", "seedance-2", "wan-2.7", "pixverse-v6"}
WHITE = (255, 255, 255)


# --- the table ---------------------------------------------------------------------------

def test_every_documented_generator_has_a_preset_and_generic_is_png():
    assert set(PRESETS) == ISSUE_PRESETS
    generic = get_preset("generic")
    assert generic.formats == ("png",) and generic.include_all and generic.max_side == 2048
    with pytest.raises(ValueError, match="nope"):
        get_preset("nope")


def test_earlier_names_select_the_renamed_presets():
    assert {alias: get_preset(alias).name for alias in ALIASES} == {
        "vidu-reference": "vidu-q2", "veo-ingredients": "veo-3.1", "pixverse-fusion": "pixverse-v6"}
    assert PRESETS["vidu-q2"].aliases == ("vidu-reference",)


@pytest.mark.parametrize("name", sorted(ISSUE_PRESETS))
def test_every_limit_names_its_source(name):
    preset = PRESETS[name]
    used = {"formats"}
    used |= {"views"} if preset.max_views is not None or preset.min_views > 1 else set()
    used |= {rule for rule, value in (("required", preset.required_views), ("recommended", preset.recommended_views),
                                      ("frontal_first", preset.frontal_first), ("min_side", preset.min_side),
                                      ("max_side", preset.max_side), ("max_bytes", preset.max_bytes),
                                      ("aspect", preset.min_aspect or preset.max_aspect),
                                      ("transparency", not preset.transparency),
                                      ("real_faces", preset.refuses_real_faces),
                                      ("data_uri", preset.max_data_uri_bytes),
                                      ("request_bytes", preset.max_request_bytes),
                                      ("thresholds", preset.threshold_overrides)) if value}
    assert used <= set(preset.sources), used - set(preset.sources)
    assert set(preset.sources) <= set(RULES)
    assert all(len(text) > 20 for text in preset.sources.values())
    # Every vendor limit says where and when it was read (refprep's own choices say so instead).
    assert all("refprep" in text or "2026" in text for text in preset.sources.values())


@pytest.mark.parametrize("name", sorted(ISSUE_PRESETS))
def test_limits_are_coherent(name):
    preset = PRESETS[name]
    assert set(preset.formats) <= {"png", "jpeg", "webp"} and preset.formats[0] == "png"
    assert preset.max_views is None or 1 <= preset.min_views <= preset.max_views
    assert (preset.min_aspect or 0) <= 1 <= (preset.max_aspect or float("inf"))
    assert set(preset.required_views) | set(preset.recommended_views) <= set(GROUP_ORDER)
    assert set(preset.threshold_overrides) <= set(QUALITY_THRESHOLDS)
    assert preset.thresholds()["resolution"] == {**QUALITY_THRESHOLDS["resolution"],
                                                 **preset.threshold_overrides.get("resolution", {})}


def test_vendor_numbers_as_documented():
    kling = PRESETS["kling-element"]
    assert (kling.min_views, kling.max_views, kling.required_views, kling.frontal_first) == (2, 4, ("front",), True)
    assert (kling.min_side, kling.min_aspect, kling.max_aspect, kling.max_bytes) == (300, 0.4, 2.5, 10_000_000)
    runway = PRESETS["runway-gen4"]
    assert (runway.max_views, runway.min_aspect, runway.max_aspect, runway.max_side) == (3, 0.5, 2.0, 7999)
    hailuo = PRESETS["hailuo-s2v"]
    assert (hailuo.min_views, hailuo.max_views, hailuo.required_views, hailuo.min_side) == (1, 1, ("front",), 301)
    assert PRESETS["pixverse-v6"].max_side == 4000 and PRESETS["vidu-q2"].min_side == 128
    vidu = PRESETS["vidu-q2"]  # the body is limited (20MB), not each image to 10MB
    assert (vidu.max_views, vidu.max_request_bytes, vidu.max_bytes) == (3, 20_000_000, 50_000_000)
    assert (PRESETS["vidu-q4"].max_views, PRESETS["vidu-q4"].min_aspect, PRESETS["vidu-q4"].max_aspect) == (12, 0.2, 5.0)
    assert (PRESETS["kling-4"].min_side, PRESETS["kling-4"].min_aspect, PRESETS["kling-4"].max_aspect) == (300, 0.4, 2.5)
    assert PRESETS["runway-gen4"].max_data_uri_bytes == 5_000_000
    assert (PRESETS["hailuo-h3"].max_views, PRESETS["hailuo-h3"].min_side) == (9, 256)
    assert (PRESETS["seedance-2"].max_views, PRESETS["seedance-2"].min_side, PRESETS["seedance-2"].refuses_real_faces) \
        == (9, 300, True)
    wan = PRESETS["wan-2.7"]
    assert (wan.max_views, wan.min_side, wan.max_side, wan.max_bytes, wan.transparency) == (5, 240, 8000, 20_000_000, False)
    assert (PRESETS["pixverse-v6"].max_views, PRESETS["veo-3.1"].max_views, PRESETS["veo-3.1"].formats) == \
        (7, 3, ("png", "jpeg"))
    assert [name for name, preset in PRESETS.items() if not preset.transparency] == ["wan-2.7"]


def test_transparency_is_refused_only_where_the_vendor_refuses_alpha():
    assert transparency_problem("transparent", PRESETS["wan-2.7"]).startswith("Preset wan-2.7, rule transparency:")
    assert transparency_problem("white", PRESETS["wan-2.7"]) is None
    assert transparency_problem("transparent", PRESETS["kling-element"]) is None


def test_seedance_warns_on_a_photographed_face_only():
    face = [{"method": "face_landmarks", "view": "front", "yaw_deg": 1.0, "confidence": 0.9}]
    photo = _entry(kind="photo", pose_evidence=face)
    seedance = PRESETS["seedance-2"]
    assert any("rule real_faces: 01_front.png shows a photographed human face" in w
               for w in file_warnings(photo, seedance))
    assert file_warnings(_entry(kind="figure", pose_evidence=face), seedance) == []  # a drawn character
    assert file_warnings(_entry(kind="photo", pose_evidence=[{"method": "body", "view": "back"}]), seedance) == []
    assert file_warnings(photo, PRESETS["kling-element"]) == []


def test_presets_command_lists_sources_and_imports_nothing_heavy():
    result = subprocess.run([sys.executable, "-m", "refprep", "presets", "--json"], capture_output=True, text=True)
    listed = {p["name"]: p for p in json.loads(result.stdout)["presets"]}
    assert set(listed) == ISSUE_PRESETS
    assert "klingai" in listed["kling-element"]["sources"]["min_side"]
    text = subprocess.run([sys.executable, "-m", "refprep", "presets"], capture_output=True, text=True).stdout
    assert "docs.dev.runwayml.com" in text and "hailuo-s2v" in text
    assert heavy_imports(["presets"], ["presets", "--json"]) == []


# --- fitting -------------------------------------------------------------------------------

def _picture(width: int, height: int, channels: int = 3):
    """A canvas with a noisy subject block in the middle, and the subject mask."""
    rng = np.random.default_rng(0)
    picture = np.full((height, width, channels), 255, np.uint8)
    if channels == 4:
        picture[:] = 0
    mask = np.zeros((height, width), bool)
    mask[height // 4:3 * height // 4, width // 4:3 * width // 4] = True
    picture[mask, :3] = rng.integers(0, 200, (mask.sum(), 3))
    if channels == 4:
        picture[mask, 3] = 255
    return picture, mask


def _border(picture):
    return np.concatenate([picture[0], picture[-1], picture[:, 0], picture[:, -1]])


def test_padding_to_the_aspect_range_keeps_every_subject_pixel():
    preset = replace(PRESETS["runway-gen4"], max_side=None)
    picture, mask = _picture(100, 400)  # 1:4, Runway wants 1:2 at least
    fitted, fitted_mask, scale, (left, top, right, bottom) = fit_picture(picture, mask, WHITE, preset)
    assert scale == 1.0 and fitted.shape[:2] == (400, 200) and (left, right, top, bottom) == (50, 50, 0, 0)
    assert np.array_equal(fitted[:, 50:150], picture)  # not stretched, not resampled
    assert np.all(fitted[:, :50] == 255) and np.all(fitted[:, 150:] == 255)
    assert np.array_equal(fitted_mask[:, 50:150], mask)


def test_too_wide_pictures_get_height_and_small_ones_reach_the_minimum_side():
    preset = PRESETS["kling-element"]
    picture, mask = _picture(900, 200)  # 4.5:1, Kling takes up to 2.5:1; and 200 < 300
    fitted, _, scale, _ = fit_picture(picture, mask, WHITE, preset)
    height, width = fitted.shape[:2]
    assert scale == 1.0 and width == 900 and height == 360 and width / height <= 2.5
    small, small_mask = _picture(120, 200)
    fitted, _, scale, pad = fit_picture(small, small_mask, WHITE, preset)
    assert scale == 1.0 and min(fitted.shape[:2]) >= 300  # padded, never upscaled
    assert np.all(_border(fitted) == 255) and sum(pad) == fitted.shape[0] - 200 + fitted.shape[1] - 120


def test_downscaling_happens_only_over_the_limit_and_keeps_the_border_exact():
    generic = PRESETS["generic"]
    picture, mask = _picture(1000, 1800)
    same, _, scale, _ = fit_picture(picture, mask, WHITE, generic)
    assert scale == 1.0 and same is not picture and np.array_equal(same, picture)
    picture, mask = _picture(1200, 3000)
    fitted, fitted_mask, scale, _ = fit_picture(picture, mask, (0, 177, 64), generic)
    assert max(fitted.shape[:2]) == 2048 and scale == pytest.approx(2048 / 3000)
    assert fitted.shape[1] == int(1200 * scale)  # proportions kept
    green = np.array([0, 177, 64], np.uint8)
    assert np.all(fitted[~fitted_mask] == green)  # everything off the subject is exactly the background


def test_transparent_pictures_scale_down_without_a_dark_fringe():
    picture, mask = _picture(1000, 3000, channels=4)
    picture[mask, :3] = (250, 40, 40)
    fitted, fitted_mask, _, _ = fit_picture(picture, mask, None, PRESETS["generic"])
    assert np.all(fitted[~fitted_mask, 3] == 0) and np.all(_border(fitted)[:, 3] == 0)
    edge = (fitted[:, :, 3] > 0) & (fitted[:, :, 3] < 255)
    assert edge.any() and np.abs(fitted[edge, :3].astype(int) - (250, 40, 40)).max() <= 2


# --- encoding ------------------------------------------------------------------------------

def test_png_when_it_fits():
    picture, _ = _picture(300, 600)
    data, fmt, quality = encode(picture, WHITE, PRESETS["kling-element"])
    assert fmt == "png" and quality is None
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), picture)


def test_jpeg_quality_search_meets_the_byte_limit_with_an_exact_border():
    picture, mask = _picture(1500, 1500)
    # Photo-like content (smooth shading plus grain): JPEG's case; pure noise compresses in neither.
    ys, xs = np.nonzero(mask)
    shade = 100 + 60 * np.sin(xs / 40.0) * np.cos(ys / 55.0)
    grain = np.random.default_rng(1).normal(0, 6, (len(xs), 3))
    picture[ys, xs] = np.clip(shade[:, None] + grain, 0, 255).astype(np.uint8)
    png_size = len(encode(picture, WHITE, PRESETS["generic"])[0])
    preset = replace(PRESETS["runway-gen4"], max_bytes=png_size // 4)
    data, fmt, quality = encode(picture, WHITE, preset)
    assert fmt == "jpeg" and 80 <= quality <= 95 and len(data) <= preset.max_bytes
    decoded = np.asarray(Image.open(io.BytesIO(data)))
    assert np.all(_border(decoded) == 255)
    # The search returns the best quality that fits: one step up no longer does.
    if quality < 95:
        buffer = io.BytesIO()
        Image.fromarray(picture).save(buffer, format="JPEG", quality=quality + 1, subsampling=0)
        assert len(buffer.getvalue()) > preset.max_bytes


def test_png_only_presets_scale_down_until_the_file_fits():
    view = make_view("front", size=(1500, 1500))
    preset = replace(PRESETS["generic"], max_bytes=300_000, max_side=None, min_aspect=0.9, max_aspect=1.1)
    exported = export_view(Chosen(view, 1, "front"), 1, preset, WHITE)
    assert exported.format == "png" and len(exported.data) <= 300_000 and exported.scale < 1.0
    assert exported.file == "01_front.png" and exported.width == exported.height < 1500
    assert 0.9 <= exported.width / exported.height <= 1.1
    assert np.all(_border(exported.picture) == 255)


# --- selection -----------------------------------------------------------------------------

def make_view(view_class: str, confidence: float = 0.8, statuses=("pass",), x: int = 0, size=(200, 400)) -> View:
    """A view whose canvas (``size``) holds a noisy subject block in its middle half."""
    width, height = size
    picture, mask = _picture(width, height)
    box = (slice(height // 4, 3 * height // 4), slice(width // 4, 3 * width // 4))
    return View(source_index=0, bbox=(x, 0, width // 2, height // 2), image=picture[box], kind="figure",
                canvas=(width, height, width // 4, height // 4), cleaned=picture, alpha=mask[box].astype(np.float32),
                pose=Pose(view=view_class, confidence=confidence if view_class != "unknown" else 0.0),
                checks=[Check(f"check{i}", status, 1.0, 1.0, f"{status} message") for i, status in enumerate(statuses)])


def test_canvas_coverage_is_the_matte_on_the_canvas():
    view = make_view("front")
    mask = canvas_coverage(view)
    assert mask.shape == (400, 200) and mask.sum() == (view.alpha > 0).sum() and mask[200, 100]


def test_best_view_per_class_and_the_frontal_first():
    views = [make_view("side_left"), make_view("front", statuses=("warn",)), make_view("three_quarter_left"),
             make_view("front", confidence=0.5), make_view("back")]
    chosen, left_out = select_views(views, PRESETS["kling-element"])
    assert [(c.index, c.slot) for c in chosen] == [(4, "front"), (3, "three_quarter"), (1, "side"), (5, "back")]
    assert [(item.index, item.reason) for item in left_out] == [
        (2, "view 4 is also front and ranked higher (fewer failed checks, then the whole figure before a close-up, "
            "then fewer warned checks, then pose confidence, then size)")]


def test_the_whole_figure_fills_a_slot_before_a_close_up():
    """An expression head read surely as a front is no reference for the costume: the
    full-body front takes the frontal slot, even with a warning."""
    from dataclasses import replace

    head = replace(make_view("front", confidence=0.99), framing="close_up")
    figure = make_view("front", statuses=("warn",), confidence=0.6)
    chosen, _ = select_views([head, figure], PRESETS["kling-element"])
    assert chosen[0].index == 2 and chosen[0].slot == "front"


def test_unknown_views_fill_slots_only_after_classified_ones_and_say_so():
    views = [make_view("unknown"), make_view("front"), make_view("unknown"), make_view("side_right")]
    chosen, left_out = select_views(views, PRESETS["runway-gen4"])
    assert [(c.index, c.slot) for c in chosen] == [(2, "front"), (4, "side"), (1, "unclassified")]
    assert left_out[0].index == 3 and "pose is unknown" in left_out[0].reason
    entries = [{"file": f"0{i}_{c.view.pose.view}.png", "view": c.view.pose.view, "checks": []}
               for i, c in enumerate(chosen, 1)]
    _, warnings, _ = package_findings(
        [{**e, "format": "png", "width": 400, "height": 400, "bytes": 1000} for e in entries], [], PRESETS["runway-gen4"])
    assert any(w.startswith("03_unknown.png: its pose is unknown") and "fills a slot" in w for w in warnings)


def test_failing_views_fill_only_required_slots():
    views = [make_view("front", statuses=("fail",)), make_view("side_left", statuses=("fail",)), make_view("unknown", statuses=("fail",))]
    chosen, left_out = select_views(views, PRESETS["kling-element"])
    assert [c.index for c in chosen] == [1]  # the only front, although it fails
    assert all(item.reason.startswith("fails check check0") for item in left_out)


def test_generic_takes_every_view_in_sheet_order():
    views = [make_view("back"), make_view("unknown", statuses=("fail",)), make_view("front")]
    chosen, left_out = select_views(views, PRESETS["generic"])
    assert [(c.index, c.slot) for c in chosen] == [(1, "back"), (2, "unclassified"), (3, "front")] and left_out == []


def test_a_missing_required_view_names_the_rule_and_the_unknown_views():
    views = [make_view("unknown"), make_view("unknown"), make_view("back")]
    chosen, left_out = select_views(views, PRESETS["hailuo-s2v"])
    entries = [{"file": "01_back.png", "view": chosen[0].view.pose.view, "checks": []}]
    excluded = [{"view": item.view.pose.view} for item in left_out]
    assert view_set_problems(entries, excluded, PRESETS["hailuo-s2v"]) == [
        "Preset hailuo-s2v, rule required: needs a front view and none was recognised; 2 of 3 views have an "
        "unknown pose (no face the models could read), so refprep cannot tell which view they show"]


# --- rules ---------------------------------------------------------------------------------

def _entry(**facts):
    return {"file": "01_front.png", "view": "front", "checks": [], "format": "png", "width": 600, "height": 900,
            "bytes": 1000, **facts}


@pytest.mark.parametrize("facts, rule", [
    ({"format": "webp", "file": "01_front.webp"}, "formats"),
    ({"format": "jpeg"}, "formats"),  # JPEG data under a .png name
    ({"width": 299, "height": 600}, "min_side"),
    ({"width": 2400, "height": 900}, "aspect"),
    ({"bytes": 10_000_001}, "max_bytes"),
])
def test_each_file_rule_names_itself(facts, rule):
    problems = file_problems(_entry(**facts), PRESETS["kling-element"])
    assert len(problems) == 1 and problems[0].startswith(f"Preset kling-element, rule {rule}: 01_front")
    assert file_problems(_entry(), PRESETS["kling-element"]) == []


def test_view_set_rules():
    kling = PRESETS["kling-element"]
    side_first = [_entry(file="01_side_left.png", view="side_left"), _entry()]
    assert view_set_problems(side_first, [], kling) == [
        "Preset kling-element, rule frontal_first: the first image must be the frontal view, but it is "
        "01_side_left.png (side_left)"]
    assert view_set_problems([_entry()], [], kling) == [
        "Preset kling-element, rule views: needs at least 2 images, but only 1 could be chosen"]
    five = [_entry()] + [_entry(file=f"0{i}_back.png", view="back") for i in range(2, 6)]
    assert "takes at most 4 images, the package has 5" in view_set_problems(five, [], kling)[0]


def test_regrade_infers_the_direction_from_the_thresholds():
    thresholds = Preset(name="t", generator="", description="").thresholds()
    assert regrade({"id": "resolution", "value": 400.0}, thresholds) == "fail"  # low is bad
    assert regrade({"id": "resolution", "value": 600.0}, thresholds) == "warn"
    assert regrade({"id": "exposure", "value": 0.5}, thresholds) == "fail"  # high is bad
    assert regrade({"id": "exposure", "value": 0.01}, thresholds) == "pass"
    assert regrade({"id": "single_subject", "value": 1.0}, thresholds) is None  # one-sided
    assert regrade({"id": "sharpness", "value": 0.42}, thresholds) is None  # on the threshold
    assert regrade({"id": "face_size", "value": None}, thresholds) is None
    hailuo = PRESETS["hailuo-s2v"].thresholds()
    assert regrade({"id": "pose_extreme", "value": 20.0}, hailuo) == "warn"
    assert regrade({"id": "pose_extreme", "value": 20.0}, thresholds) == "pass"
