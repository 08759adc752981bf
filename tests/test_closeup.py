"""--closeup: a head-and-shoulders close-up cut from the best front view, after the views, where
the preset takes one; never the frontal image, cleaned and checked like a view."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import refprep
from refprep.stages import closeup as C
from refprep.targets.requests import vendor_request

from cli_helpers import cli, shared_models  # noqa: F401  (a fixture)
from conftest import FIXTURES

SHEET = FIXTURES / "example_sheet.png"
# The example sheet's views: front, three-quarter right, side right, back, three-quarter left.
# kling-element takes four images: without the back and the second three-quarter the views
# take three and leave the fourth to the close-up.
ROOM_FOR_ONE = (4, 5)


def _build(out_dir, name, **options):
    return refprep.build([SHEET], out_dir=out_dir, name=name, preset="kling-element", exclude=ROOM_FOR_ONE,
                         upscale="auto", jobs=1, **options)


@pytest.fixture(scope="module")
def built(tmp_path_factory, shared_models):  # noqa: F811
    out = tmp_path_factory.mktemp("closeup")
    return _build(out, "with", closeup=True), _build(out, "without")


def _closeup_entry(manifest):
    entries = [entry for entry in manifest["views"] if entry.get("slot") == "closeup"]
    assert len(entries) == 1, [entry["file"] for entry in manifest["views"]]
    return entries[0]


def test_closeup_comes_after_the_views_cut_from_the_front_view(built):
    with_closeup, _ = built
    manifest = with_closeup.manifest
    assert [entry["file"] for entry in manifest["views"]] == [
        "01_front.png", "02_three_quarter_right.png", "03_side_right.png", "04_front_closeup.png"]
    entry = _closeup_entry(manifest)
    front = manifest["views"][0]
    assert entry["cut_from"] == front["index"] == 1 and "index" not in entry
    assert entry["view"] == "front" and manifest["coverage"] == {"front": True, "three_quarter": True,
                                                                 "side": True, "back": False}
    # Its source box is the top of the front view's, about head and shoulders.
    fx, fy, fw, fh = front["bbox"]
    x, y, w, h = entry["bbox"]
    assert fx <= x and x + w <= fx + fw and fy <= y and y + h <= fy + fh
    assert 0.25 * fh < h < 0.6 * fh, (entry["bbox"], front["bbox"])
    # The front view's face is inside it.
    face_x, face_y, face_w, face_h = with_closeup.views[0].pose.face_box
    assert x <= fx + face_x and fx + face_x + face_w <= x + w and y <= fy + face_y and fy + face_y + face_h <= y + h
    # 313 px of the source, so --upscale auto enlarged it and its resolution check says so.
    resolution = next(check for check in entry["checks"] if check["id"] == "resolution")
    assert resolution["status"] == "warn" and "upscaled" in resolution["message"]
    assert entry["upscaled_from"] == [w, h]


def test_closeup_pixels_are_the_front_views_cleaned_pixels(built):
    with_closeup, _ = built
    front, closeup = with_closeup.views[0], with_closeup.views[-1]
    assert closeup.framing == "close_up" and front.pose.view == "front"
    canvas_w, canvas_h, margin, _ = closeup.canvas
    x0, y0 = closeup.bbox[0] - front.bbox[0], closeup.bbox[1] - front.bbox[1]
    w, h = closeup.bbox[2:]
    _, _, px, py = front.canvas
    assert np.array_equal(closeup.cleaned[margin:margin + h, margin:margin + w],
                          front.cleaned[py + y0:py + y0 + h, px + x0:px + x0 + w])
    ring = np.ones(closeup.cleaned.shape[:2], bool)
    ring[margin:margin + h, margin:margin + w] = False
    assert np.all(closeup.cleaned[ring] == 255)


def test_closeup_file_has_an_exactly_flat_border_and_the_package_validates(built):
    with_closeup, _ = built
    entry = _closeup_entry(with_closeup.manifest)
    picture = np.asarray(Image.open(with_closeup.package / entry["file"]).convert("RGB"))
    assert picture.shape[:2] == (entry["height"], entry["width"])
    border = np.concatenate([picture[0], picture[-1], picture[:, 0], picture[:, -1]])
    assert np.all(border == 255)
    assert not np.all(picture == 255)
    assert with_closeup.status == "valid_with_warnings", with_closeup.manifest["problems"]
    assert refprep.validate(with_closeup.package).status == "valid"
    # A generator that takes views only refuses it, naming the rule.
    other = refprep.validate(with_closeup.package, preset="runway-gen4")
    assert other.status == "invalid"
    assert any("rule closeup" in problem and entry["file"] in problem for problem in other.problems)


def test_kling_element_request_keeps_the_front_view_frontal_and_sends_the_closeup_as_refer_image(built):
    with_closeup, _ = built
    request = vendor_request(with_closeup.package, "kling-element", "https://example.com/hero")
    images = request.body["element_image_list"]
    assert images["frontal_image"] == "https://example.com/hero/01_front.png"
    assert [item["image_url"].rsplit("/", 1)[1] for item in images["refer_images"]] == [
        "02_three_quarter_right.png", "03_side_right.png", "04_front_closeup.png"]
    assert request.images[-1]["slot"] == "closeup"


def test_without_closeup_the_package_is_as_before(built):
    with_closeup, without = built
    assert not any(entry.get("slot") == "closeup" for entry in without.manifest["views"])
    assert not any("close-up" in warning for warning in without.manifest["warnings"])
    views = [entry for entry in with_closeup.manifest["views"] if entry.get("slot") != "closeup"]
    assert [(entry["file"], entry["sha256"]) for entry in views] == [
        (entry["file"], entry["sha256"]) for entry in without.manifest["views"]]
    assert with_closeup.manifest["coverage"] == without.manifest["coverage"]


def test_preset_without_extra_images_warns_and_leaves_the_closeup_out(tmp_path, shared_models):  # noqa: F811
    result = cli("build", SHEET, "-o", tmp_path, "--preset", "runway-gen4", "--closeup", "--json", "-q")
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    assert manifest["status"] == "valid_with_warnings"
    assert [warning for warning in manifest["warnings"] if "close-up" in warning] == [
        "No close-up: preset runway-gen4 takes views only, so --closeup was ignored (rule closeup)"]
    assert not any("closeup" in path.name for path in (tmp_path / "example_sheet").iterdir())


def test_no_room_and_no_front_view_are_one_line_warnings():
    from refprep.data import Check, Pose, View
    from refprep.targets.export import Chosen
    from refprep.targets.presets import get_preset

    def view(pose_view):
        return View(0, (0, 0, 20, 40), np.zeros((40, 20, 3), np.uint8), alpha=np.ones((40, 20), np.float32),
                    pose=Pose(pose_view, confidence=0.9), checks=[Check("resolution", "pass", 900.0, 512, "")])

    kling = get_preset("kling-element")
    full = [Chosen(view("front"), number, "front") for number in range(1, 5)]
    assert "takes at most 4 images" in C.add_closeup([v.view for v in full], full, kling, (255,) * 3, [(99, 99)]).warning
    sides = [view("side_left")]
    found = C.add_closeup(sides, [Chosen(sides[0], 1, "side")], kling, (255,) * 3, [(99, 99)])
    assert found.chosen is None and "no view was recognised as front" in found.warning


def test_closeup_box_without_a_face_is_the_top_quarter_of_the_figure():
    from refprep.data import Pose, View

    alpha = np.zeros((400, 100), np.float32)
    alpha[20:380, 30:70] = 1.0  # a figure 360 px tall
    alpha[60:140, 10:90] = 1.0  # wider at the shoulders
    view = View(0, (0, 0, 100, 400), np.zeros((400, 100, 3), np.uint8), alpha=alpha, pose=Pose("front"))
    assert C.closeup_box(view) == (10, 20, 90, 110)


def test_closeup_doctests():
    import doctest

    results = doctest.testmod(C, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert results.attempted and not results.failed


def test_batch_records_closeup_only_when_asked_for():
    from refprep.api import BuildSettings
    from refprep.batch import BatchSettings

    build = BuildSettings("kling-element", (255, 255, 255))
    assert "closeup" not in BatchSettings(build, "white").options()
    assert BatchSettings(build, "white", closeup=True).options()["closeup"] is True
    assert BatchSettings(build, "white").options_sha256() != BatchSettings(build, "white", closeup=True).options_sha256()
