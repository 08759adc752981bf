"""build --preset and validate on real packages: every preset, tampering, the published schema."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import refprep
from refprep.api import export_package
from refprep.data import Pose
from refprep.stages.package import content_sha256, manifest_text
from refprep.targets.presets import PRESETS, get_preset
from refprep.thresholds import QUALITY_THRESHOLDS
from refprep.stages.validation import manifest_schema, schema_problems

from conftest import DEVDATA, FIXTURES

WHITE = (255, 255, 255)


class Packager:
    """What ``build --preset`` does after the shared stages, for one analysed input: the
    preset's checks (run once per set of thresholds; most presets share the defaults), then export."""

    def __init__(self, pipeline, analysis):
        self.pipeline, self.analysis = pipeline, analysis
        self.checked = {}

    def package(self, preset_name: str, target: Path):
        preset = get_preset(preset_name)
        key = json.dumps(preset.thresholds(), sort_keys=True)
        if key not in self.checked:
            self.checked[key] = replace(self.analysis)
            self.pipeline.check(self.checked[key], preset, WHITE, cleaned=True)
        return export_package(self.checked[key], preset, target, "white", make_zip=True)


@pytest.fixture(scope="module")
def example(pipeline):
    """The bundled example sheet (front, two three-quarters, two views of unknown pose)."""
    return pipeline.prepare([FIXTURES / "example_sheet.png"], WHITE)


@pytest.fixture(scope="module")
def packages(pipeline, example, tmp_path_factory):
    out = tmp_path_factory.mktemp("presets")
    packager = Packager(pipeline, example)
    return {name: packager.package(name, out / name / "example") for name in PRESETS}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_builds_a_package_that_validates(packages, name):
    result = packages[name]
    preset = PRESETS[name]
    manifest = result.manifest
    report = refprep.validate(result.package)
    assert report.status == "valid", report.problems
    assert manifest["status"] != "invalid" and manifest["preset"] == name
    assert refprep.validate(result.zip_path).status == "valid"
    views = manifest["views"]
    assert len(views) + len(manifest["excluded"]) == 5  # every view found is either in or explained
    assert all(item["reason"] for item in manifest["excluded"])
    assert preset.min_views <= len(views) <= (preset.max_views or 5)
    assert views[0]["view"] == "front"  # chosen first, or (generic) first on the sheet
    for entry in views:
        data = (result.package / entry["file"]).read_bytes()
        assert len(data) == entry["bytes"] and entry["format"] in preset.formats
        width, height = entry["width"], entry["height"]
        assert min(width, height) >= (preset.min_side or 1) and max(width, height) <= (preset.max_side or 10 ** 9)
        assert (preset.min_aspect or 0) <= width / height <= (preset.max_aspect or 10 ** 9)
        picture = np.asarray(Image.open(result.package / entry["file"]))
        assert (picture.shape[1], picture.shape[0]) == (width, height)
        assert np.all(np.concatenate([picture[0], picture[-1], picture[:, 0], picture[:, -1]]) == 255)


def test_generic_keeps_every_view_in_sheet_order_as_png(packages):
    manifest = packages["generic"].manifest
    assert [v["file"] for v in manifest["views"]] == [
        "01_front.png", "02_three_quarter_right.png", "03_side_right.png", "04_back.png", "05_three_quarter_left.png"]
    assert manifest["excluded"] == [] and {v["format"] for v in manifest["views"]} == {"png"}


def test_kling_element_pads_to_its_minimum_side_and_leaves_out_the_fifth_view(packages):
    manifest = packages["kling-element"].manifest
    views = [v["view"] for v in manifest["views"]]
    assert views[0] == "front" and len(views) == 4 and "unknown" not in views
    assert {"three_quarter", "side", "back"} <= {v["slot"] for v in manifest["views"]}  # one of each group first
    assert all(min(v["width"], v["height"]) >= 300 for v in manifest["views"])
    assert len(manifest["excluded"]) == 1
    assert "takes at most 4" in manifest["excluded"][0]["reason"]


def test_hailuo_takes_the_frontal_view_alone(packages):
    manifest = packages["hailuo-s2v"].manifest
    assert [v["file"] for v in manifest["views"]] == ["01_front.png"]
    assert {e["index"] for e in manifest["excluded"]} == {2, 3, 4, 5}


def test_a_byte_limit_is_met_with_jpeg_and_validates(pipeline, example, tmp_path):
    tight = replace(PRESETS["runway-gen4"], max_bytes=6000)  # far under the example's ~17 kB PNGs
    checked = replace(example)
    pipeline.check(checked, tight, WHITE, cleaned=True)
    result = export_package(checked, tight, tmp_path / "tight", "white")
    formats = {v["format"] for v in result.manifest["views"]}
    assert "jpeg" in formats and all(v["bytes"] <= 6000 for v in result.manifest["views"])
    jpegs = [v["file"] for v in result.manifest["views"] if v["format"] == "jpeg"]
    assert all(name.endswith(".jpg") for name in jpegs)
    assert all(any(w.startswith(f"{name}: written as JPEG") for w in result.manifest["warnings"]) for name in jpegs)
    assert refprep.validate(result.package, preset="runway-gen4").status == "valid"


def test_validate_applies_another_presets_rules(packages):
    report = refprep.validate(packages["kling-element"].package, preset="hailuo-s2v")
    assert report.status == "invalid" and report.preset == "hailuo-s2v"
    assert "Preset hailuo-s2v, rule views: takes at most 1 images, the package has 4" in report.problems
    generic = refprep.validate(packages["generic"].package, preset="runway-gen4")
    assert any(p.startswith("Preset runway-gen4, rule views") for p in generic.problems)


def test_a_missing_required_view_fails_the_build_with_the_rule(pipeline, tmp_path):
    analysis = pipeline.prepare([FIXTURES / "sheet_grid2x2_transparent.png"], WHITE)
    # As if no view's pose could be read (a sheet the face models and the outline cannot judge).
    analysis.views = [replace(v, pose=Pose()) for v in analysis.views]
    result = Packager(pipeline, analysis).package("kling-element", tmp_path / "grid")
    assert result.manifest["status"] == "invalid"
    required = [p for p in result.manifest["problems"] if "rule required" in p]
    assert required == ["Preset kling-element, rule required: needs a front view and none was recognised; "
                        "4 of 4 views have an unknown pose (no face the models could read), so refprep cannot "
                        "tell which view they show"]
    assert refprep.validate(result.package).problems == result.manifest["problems"]


# --- the published schema ---------------------------------------------------------------------

def test_the_schema_is_valid_and_describes_real_manifests(packages):
    from jsonschema import Draft202012Validator

    schema = manifest_schema()
    Draft202012Validator.check_schema(schema)
    assert Path(refprep.__file__).with_name("schema").joinpath("subject-package-1.json").is_file()
    manifest = packages["generic"].manifest
    assert schema_problems(manifest) == []
    broken = {**manifest, "status": "fine", "views": [{**manifest["views"][0], "file": "../escape.png"}]}
    problems = schema_problems(broken)
    assert any(p.startswith("manifest.json: status:") for p in problems)
    assert any(p.startswith("manifest.json: views[0].file:") for p in problems)


# --- tampering -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small(packages):
    """A one-view package: every tampering test re-validates it, so it is kept small."""
    return packages["hailuo-s2v"]


def _copy(result, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(result.package, copy)
    return copy


def test_any_changed_byte_in_any_file_is_caught(small, tmp_path):
    names = sorted(p.name for p in small.package.iterdir())
    assert names == ["01_front.png", "contact_sheet.png", "manifest.json", "report.html", "source_1.png"]
    for name in names:
        size = (small.package / name).stat().st_size
        for offset in (0, size // 2, size - 2):
            copy = _copy(small, tmp_path / f"{name}-{offset}")
            data = bytearray((copy / name).read_bytes())
            data[offset] ^= 0x01
            (copy / name).write_bytes(bytes(data))
            report = refprep.validate(copy)
            assert report.status == "invalid", (name, offset)
            assert any(name in p for p in report.problems), (name, offset, report.problems)


def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, path + (index,))
    else:
        yield path, value


def _changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if value is None:
        return 0
    return value + "x"


def test_any_changed_field_is_caught(small, tmp_path):
    manifest = json.loads((small.package / "manifest.json").read_text())
    patterns = {}
    for path, value in _leaves(manifest):  # one leaf per field, list positions aside
        patterns.setdefault(tuple(p for p in path if isinstance(p, str)), (path, value))
    assert len(patterns) > 40
    for path, value in patterns.values():
        edited = json.loads(json.dumps(manifest))
        target = edited
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = _changed(value)
        copy = _copy(small, tmp_path / "-".join(map(str, path)))
        (copy / "manifest.json").write_text(manifest_text(edited))
        report = refprep.validate(copy)
        assert report.status == "invalid", path
        assert any("integrity" in p for p in report.problems), (path, report.problems)


def test_fields_of_the_wrong_type_are_reported_not_crashed_on(small, tmp_path):
    manifest = json.loads((small.package / "manifest.json").read_text())
    paths = {tuple(p for p in path if isinstance(p, str)): path for path, _ in _leaves(manifest)}
    containers = [("views",), ("views", 0, "checks"), ("files",), ("excluded",), ("coverage",), ("integrity",)]
    for path in [*paths.values(), *containers]:
        for odd in ([1], {"a": 1}, "x"):
            edited = json.loads(json.dumps(manifest))
            target = edited
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = odd
            copy = _copy(small, tmp_path / f"{'-'.join(map(str, path))}-{type(odd).__name__}")
            (copy / "manifest.json").write_text(manifest_text(edited))
            assert refprep.validate(copy).status == "invalid", (path, odd)


def test_a_rehashed_edit_of_a_check_is_still_caught(small, tmp_path):
    """Someone who edits a verdict and recomputes the hash: the value still gives it away."""
    manifest = json.loads((small.package / "manifest.json").read_text())
    check = next(c for c in manifest["views"][0]["checks"] if c["id"] == "resolution")
    check["value"] = 120.0  # far under the fail threshold; its status is left as recorded
    manifest["integrity"]["manifest_sha256"] = content_sha256(manifest)
    copy = _copy(small, tmp_path)
    (copy / "manifest.json").write_text(manifest_text(manifest))
    problems = refprep.validate(copy).problems
    limits = QUALITY_THRESHOLDS["resolution"]
    assert f"01_front.png: check resolution is recorded {check['status']} but its value 120.0 is fail against " \
           f"threshold(s) {limits}" in problems
    assert any("check resolution failed" in p for p in problems)


def test_reformatting_the_manifest_is_caught(small, tmp_path):
    copy = _copy(small, tmp_path)
    manifest = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(json.dumps(manifest))  # same content, other whitespace
    assert refprep.validate(copy).problems == [
        "manifest.json: its bytes differ from refprep's own serialisation of its content (edited or re-saved by hand)"]


def test_added_removed_and_swapped_files_are_named(packages, tmp_path):
    result = packages["runway-gen4"]
    copy = _copy(result, tmp_path)
    first, second = (v["file"] for v in result.manifest["views"][:2])
    (copy / "notes.txt").write_text("mine")
    (copy / "report.html").unlink()
    a, b = (copy / first).read_bytes(), (copy / second).read_bytes()
    (copy / first).write_bytes(b)
    (copy / second).write_bytes(a)
    problems = refprep.validate(copy).problems
    assert "notes.txt: file in the package but not in the manifest" in problems
    assert "report.html: listed in the manifest but missing from the package" in problems
    for name in (first, second):
        assert f"{name}: sha256 does not match the manifest (file changed after export)" in problems


def test_zip_tampering_is_caught(small, tmp_path):
    edited = tmp_path / "edited.zip"
    with zipfile.ZipFile(small.zip_path) as source, zipfile.ZipFile(edited, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, data.replace(b"Preset", b"Presex") if item.filename.endswith(".html") else data)
    assert any("report.html: sha256" in p for p in refprep.validate(edited).problems)


def test_validate_cli_exit_codes(small, tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "refprep", "validate", *map(str, args)],
                              capture_output=True, text=True)

    ok = run(small.package, "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["status"] == "valid"
    copy = _copy(small, tmp_path)
    (copy / "manifest.json").write_text("{not json")
    broken = run(copy)
    assert broken.returncode == 1 and "manifest.json is not valid JSON" in broken.stdout
    assert run(small.package, "--preset", "nope").returncode == 2
    assert run(tmp_path / "nothing").returncode == 2
    (tmp_path / "empty").mkdir()
    no_manifest = run(tmp_path / "empty")
    assert no_manifest.returncode == 2 and "not a refprep package" in no_manifest.stderr


# --- devdata: every sheet x every preset ----------------------------------------------------

SHEET_CATEGORIES = ("multiview_sheet", "drawn_sheet")


def _is_rule_or_check(problem: str) -> bool:
    return problem.startswith("Preset ") or ": check " in problem


@pytest.mark.devdata
def test_devdata_sheets_validate_or_name_the_rule_for_every_preset(pipeline, devdata_labels, tmp_path):
    sheets = [item["file"] for item in devdata_labels if item["category"] in SHEET_CATEGORIES]
    assert sheets
    # Every preset meets one of the sheets, in turn, and every sheet some presets: each case
    # is covered at a fraction of the time of every sheet times every preset.
    for first, sheet in enumerate(sheets):
        packager = Packager(pipeline, pipeline.prepare([DEVDATA / sheet], WHITE))
        for name in sorted(PRESETS)[first::len(sheets)]:
            result = packager.package(name, tmp_path / name / Path(sheet).stem)
            report = refprep.validate(result.package)
            manifest = result.manifest
            if manifest["status"] == "invalid":
                assert manifest["problems"] and all(map(_is_rule_or_check, manifest["problems"])), manifest["problems"]
                assert report.problems == manifest["problems"], (sheet, name)
            else:
                assert report.status == "valid", (sheet, name, report.problems)
