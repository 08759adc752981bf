"""Package stage and the API: manifest per SPEC, hashes, atomic replace, validate catches edits."""

from __future__ import annotations

import hashlib
import json
import zipfile

import numpy as np
import pytest
from PIL import Image

import refprep
from refprep.errors import OutputError
from refprep.stages.package import safe_package_name

from conftest import FIXTURES, box_iou

SPEC_FIELDS = {"schema", "name", "created_at", "refprep_version", "preset", "background", "status", "problems",
               "coverage", "sources", "views"}
SPEC_VIEW_FIELDS = {"file", "sha256", "width", "height", "source", "bbox", "view", "yaw_deg", "pitch_deg",
                    "roll_deg", "pose_confidence", "pose_method", "checks"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    return refprep.build([FIXTURES / "sheet_row6_gray.png"], out_dir=out, zip=True)


def test_manifest_has_every_spec_field(built, ground_truth):
    manifest = json.loads((built.package / "manifest.json").read_text())
    assert SPEC_FIELDS <= set(manifest)
    assert manifest["schema"] == "refprep.subject-package/1"
    assert manifest["name"] == "sheet_row6_gray"
    assert manifest["status"] in ("valid", "valid_with_warnings", "invalid")
    assert set(manifest["coverage"]) == {"front", "three_quarter", "side", "back"}
    assert manifest["sources"][0]["file"] == "sheet_row6_gray.png"
    source_bytes = (FIXTURES / "sheet_row6_gray.png").read_bytes()
    assert manifest["sources"][0]["sha256"] == hashlib.sha256(source_bytes).hexdigest()
    truth = ground_truth["sheets"]["sheet_row6_gray.png"]["views"]
    assert len(manifest["views"]) == 6
    for entry, expected in zip(manifest["views"], truth):
        assert SPEC_VIEW_FIELDS <= set(entry)
        assert box_iou(entry["bbox"], expected["bbox"]) > 0.95
        data = (built.package / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        for check in entry["checks"]:
            assert {"id", "status", "value", "threshold", "message"} <= set(check)


def test_no_absolute_paths_in_manifest(built):
    text = (built.package / "manifest.json").read_text()
    assert str(built.package.parent) not in text and str(FIXTURES) not in text


def test_view_images_have_exactly_white_borders_and_one_size(built):
    sizes = set()
    for entry in built.manifest["views"]:
        picture = np.asarray(Image.open(built.package / entry["file"]))
        assert picture.shape[2] == 3
        border = np.concatenate([picture[0], picture[-1], picture[:, 0], picture[:, -1]])
        assert (border == 255).all()
        sizes.add(picture.shape)
    assert len(sizes) == 1  # one canvas: the character keeps its scale across views


def test_package_layout(built):
    names = {p.name for p in built.package.iterdir()}
    assert {"manifest.json", "contact_sheet.png", "report.html"} <= names
    html = (built.package / "report.html").read_text()
    for entry in built.manifest["views"]:
        assert entry["file"] in html
    assert built.zip_path.is_file()
    with zipfile.ZipFile(built.zip_path) as archive:
        assert "sheet_row6_gray/manifest.json" in archive.namelist()


def integrity_problems(report) -> list[str]:
    """validate's findings about the files themselves (not the recorded quality verdicts)."""
    words = ("sha256", "missing", "border", "not in the manifest", "readable", "(schema)", "integrity", "serialisation")
    return [p for p in report.problems if any(w in p for w in words)]


def test_validate_accepts_the_package_and_its_zip(built):
    report = refprep.validate(built.package)
    assert integrity_problems(report) == []
    assert (report.status == "valid") == (built.manifest["status"] != "invalid")
    # The same rules judged the package at build and at validate, in the same words.
    assert report.problems == built.manifest["problems"]
    assert integrity_problems(refprep.validate(built.zip_path)) == []


def test_validate_catches_a_swapped_file(built, tmp_path):
    import shutil

    copy = tmp_path / "edited"
    shutil.copytree(built.package, copy)
    first = built.manifest["views"][0]["file"]
    Image.new("RGB", (10, 10), "white").save(copy / first)
    report = refprep.validate(copy)
    assert report.status == "invalid"
    assert any(first in p and "sha256" in p for p in report.problems)


def test_existing_package_is_kept_without_force(built):
    before = (built.package / "manifest.json").read_bytes()
    with pytest.raises(OutputError, match="exists"):
        refprep.build([FIXTURES / "sheet_row6_gray.png"], out_dir=built.package.parent)
    assert (built.package / "manifest.json").read_bytes() == before


def test_force_replaces_atomically_and_leaves_no_temp(tmp_path):
    first = refprep.build([FIXTURES / "single_front_white.png"], out_dir=tmp_path, name="hero")
    second = refprep.build([FIXTURES / "sheet_row5_offwhite.png"], out_dir=tmp_path, name="hero", force=True)
    assert second.package == first.package
    assert len(second.manifest["views"]) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hero"]


def test_transparent_background_exports_rgba(tmp_path):
    result = refprep.build([FIXTURES / "sheet_grid2x2_transparent.png"], out_dir=tmp_path, background="transparent")
    assert len(result.manifest["views"]) == 4
    for entry in result.manifest["views"]:
        picture = np.asarray(Image.open(result.package / entry["file"]))
        assert picture.shape[2] == 4 and (picture[0, :, 3] == 0).all()
    assert integrity_problems(refprep.validate(result.package)) == []


@pytest.mark.parametrize("name, expected", [("../evil", "_evil"), ("a/b", "a_b"), ("..", "package"),
                                            ("héros", "héros"), ("a\\b", "a_b"), ("ok name", "ok name")])
def test_package_names_cannot_escape(name, expected):
    assert safe_package_name(name) == expected


def test_folder_input_is_named_after_the_folder(tmp_path):
    import shutil

    folder = tmp_path / "hero refs"
    folder.mkdir()
    for name in ("figure_rgb.png", "figure_rgba.webp"):
        shutil.copy(FIXTURES / "formats" / name, folder / name)
    result = refprep.build([folder], out_dir=tmp_path / "out")
    assert result.package.name == "hero refs"
    assert [s["file"] for s in result.manifest["sources"]] == ["figure_rgb.png", "figure_rgba.webp"]
    assert [v["source"] for v in result.manifest["views"]] == [0, 1]
