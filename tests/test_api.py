"""The public API through the package namespace (issue 25): every function works called again
and in any order, takes paths or in-memory images (PIL, numpy, mixed), returns typed results
whose ``as_dict()`` is exactly what the matching command's ``--json`` prints, and its
docstring examples run."""

from __future__ import annotations

import doctest
import hashlib
import json
import tempfile
import time

import numpy as np
import pytest
from PIL import Image

import refprep
from cli_helpers import cli, shared_models  # noqa: F401  (a fixture)
from conftest import FIXTURES, REPO
from refprep.errors import InputError

SINGLE = FIXTURES / "single_front_white.png"
SHEET = FIXTURES / "sheet_row4_gradient.png"


def cli_json(*args) -> str:
    result = cli(*args, "--json")
    assert result.exit_code in (0, 1), result.stderr
    return result.output


def printed(report) -> str:
    return json.dumps(report.as_dict(), indent=2) + "\n"


def without_file(document: dict) -> dict:
    """``document`` with each image's own name left out (a path, or image-N in memory)."""
    return {"images": [{k: v for k, v in image.items() if k != "file"} for image in document["images"]]}


def test_api_functions_are_functions_after_any_call(tmp_path, shared_models):
    first = refprep.pose([SINGLE])
    refprep.split(SINGLE, out_dir=tmp_path / "views")
    refprep.clean([SINGLE], out_dir=tmp_path / "clean")
    refprep.check([SINGLE])
    second = refprep.pose([SINGLE], views="f")
    for name in ("build", "check", "pose", "split", "clean", "validate"):
        assert callable(getattr(refprep, name)), name
    assert first["images"][0]["views"][0]["bbox"] == second["images"][0]["views"][0]["bbox"]
    assert second["images"][0]["views"][0]["pose_method"] == "declared"


def test_typed_results_print_what_the_cli_prints(tmp_path, shared_models):
    # check: paths, then the same sheet as a PIL image and a numpy array
    report = refprep.check([SINGLE, SHEET])
    assert isinstance(report, refprep.CheckReport)
    assert printed(report) == cli_json("check", SINGLE, SHEET)
    image = report.images[0]
    assert isinstance(image, refprep.ImageCheck) and image.file == str(SINGLE)
    assert image.status in ("pass", "warn", "fail") and report.status in ("pass", "warn", "fail")
    assert all(isinstance(c, refprep.api.Check) for c in image.checks)
    assert isinstance(image.views[0], refprep.ViewCheck) and image.views[0].view == "front"
    assert len(report.images[1].views) == 4 and isinstance(report.images[1].views[0].bbox, tuple)
    assert report["images"][0]["status"] == image.status  # the JSON document, as before
    assert "images" in report and dict(report) == report.as_dict()

    # pose, declared, then undeclared on in-memory images
    declared = refprep.pose([SHEET], views="f,3/4r,-,b")
    assert isinstance(declared, refprep.PoseReport)
    assert printed(declared) == cli_json("pose", SHEET, "--views", "f,3/4r,-,b")
    found = declared.images[0].views
    assert [v.pose_method for v in found][:2] == ["declared", "declared"]
    assert isinstance(found[0], refprep.ViewPose) and found[0].view == "front"
    paths = refprep.pose(SHEET)
    memory = refprep.pose([Image.open(SHEET), np.asarray(Image.open(SHEET))])
    assert [image.file for image in memory.images] == ["image-1", "image-2"]
    assert without_file(memory.as_dict())["images"] == without_file(paths.as_dict())["images"] * 2

    # split, a path and a PIL image
    views = tmp_path / "views"
    split = refprep.split(SHEET, out_dir=views)
    assert isinstance(split, refprep.SplitReport) and split.folder == views
    assert printed(split) == cli_json("split", SHEET, "-o", views, "--force")
    assert printed(split) == (views / "views.json").read_text()
    assert [v.bbox for v in split.images[0].views] == [v.bbox for v in paths.images[0].views]
    pil_split = refprep.split(Image.open(SHEET), out_dir=tmp_path / "pil-views")
    assert pil_split.images[0].file == "image-1"
    assert [v.bbox for v in pil_split.images[0].views] == [v.bbox for v in split.images[0].views]
    assert (tmp_path / "pil-views" / "image-1_view01.png").is_file()

    # clean, paths and a mixed list
    cleaned = refprep.clean([SINGLE], out_dir=tmp_path / "clean")
    assert isinstance(cleaned, refprep.CleanReport)
    assert printed(cleaned) == cli_json("clean", SINGLE, "-o", tmp_path / "clean", "--force")
    mixed = refprep.clean([SINGLE, np.asarray(Image.open(SINGLE))], out_dir=tmp_path / "mixed")
    assert [image.file for image in mixed.images] == [str(SINGLE), "image-2"]
    written = [Image.open(image.views[0].file) for image in mixed.images]
    assert np.array_equal(np.asarray(written[0]), np.asarray(written[1]))


def test_build_takes_in_memory_images(tmp_path, shared_models):
    pixels = np.asarray(Image.open(SHEET).convert("RGB"))
    result = refprep.build([pixels], out_dir=tmp_path, views="f,3/4r,-,b")
    assert isinstance(result, refprep.BuildResult) and result.package.name == "image-1"
    source = result.manifest["sources"][0]
    assert source["file"] == "image-1"
    assert source["sha256"] == hashlib.sha256(pixels.tobytes()).hexdigest()
    assert (source["width"], source["height"]) == (pixels.shape[1], pixels.shape[0])
    assert result.as_dict() == {**result.manifest, "package": str(result.package)}
    verdict = refprep.validate(result.package)
    assert isinstance(verdict, refprep.ValidationReport) and verdict.status in ("valid", "invalid")
    # the same pixels as a PIL image, beside a path: one package of both
    both = refprep.build([SINGLE, Image.fromarray(pixels)], out_dir=tmp_path, name="both")
    assert [s["file"] for s in both.manifest["sources"]] == ["single_front_white.png", "image-2"]
    assert both.manifest["sources"][1]["sha256"] == source["sha256"]


@pytest.mark.parametrize("bad, reason", [
    (np.zeros((64, 64, 3), np.float32), "dtype float32"),
    (np.zeros((0, 64, 3), np.uint8), "empty"),
    (np.zeros((64, 64, 2), np.uint8), "shape (64, 64, 2)"),
    (np.zeros((2, 64, 64, 3), np.uint8), "shape (2, 64, 64, 3)"),
    (np.zeros(64, np.uint8), "shape (64,)"),
    (Image.new("RGB", (0, 0)), "empty"),
    (42, "not an image: int"),
])
def test_bad_in_memory_images_are_input_errors_that_name_them(bad, reason):
    for call in (refprep.check, refprep.pose, refprep.clean, refprep.build):
        with pytest.raises(InputError) as caught:
            call([SINGLE, bad])
        assert caught.value.path == "image-2" and reason in caught.value.reason, str(caught.value)
        assert caught.value.exit_code == 2 and str(caught.value).startswith("image-2: ")


def test_grey_and_rgba_arrays_load_like_files_with_those_pixels():
    from refprep.stages.load import load_image, source_from_image

    rgb = np.asarray(Image.open(SINGLE).convert("RGB"))
    grey = source_from_image(rgb[:, :, 0], "image-1")
    assert grey.rgb.shape == rgb.shape and (grey.rgb[:, :, 0] == rgb[:, :, 0]).all() and grey.alpha is None
    opaque = source_from_image(np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)]), "image-1")
    assert opaque.alpha is None and np.array_equal(opaque.rgb, load_image(SINGLE).rgb)
    assert opaque.sha256 == hashlib.sha256(rgb.tobytes()).hexdigest()  # of the pixels, not of a file
    alpha = np.zeros(rgb.shape[:2], np.uint8)
    alpha[10:20, 10:20] = 255
    cut = source_from_image(np.dstack([rgb, alpha]), "image-3")
    assert (cut.alpha == alpha).all() and str(cut.path) == "image-3"


def test_the_docstring_examples_run(monkeypatch, tmp_path, shared_models):
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    started = time.monotonic()
    results = doctest.testmod(refprep.api, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert results.failed == 0
    assert results.attempted >= 30
    assert time.monotonic() - started < 60  # about 18 s on two shared cores
    for name in ("build", "check", "pose", "split", "clean", "validate"):
        doc = getattr(refprep, name).__doc__
        for section in ("Parameters\n    ----------", "Returns\n    -------", "Examples\n    --------"):
            assert section in doc, (name, section)
