"""refprep request: every preset's body against its vendor schema, inline and by URL, and the
limits that refuse a package (data URI, request body, the preset's rules)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from jsonschema import Draft202012Validator

import refprep
from refprep.api import export_package
from refprep.errors import RequestRefused, UsageError
from refprep.targets.presets import PRESETS, get_preset
from refprep.targets.requests import VENDORS, request_schema

from conftest import FIXTURES

WHITE = (255, 255, 255)
PREFIX = "https://cdn.example.com/hero"


@pytest.fixture(scope="module")
def packages(pipeline, tmp_path_factory):
    """The example sheet analysed once and exported for every preset with an API, checked again
    only for a preset with thresholds of its own."""
    analysis = pipeline.prepare([FIXTURES / "example_sheet.png"], WHITE)
    pipeline.check(analysis, get_preset("generic"), WHITE, cleaned=True)
    out = tmp_path_factory.mktemp("requests")
    built = {}
    for name in VENDORS:
        preset = get_preset(name)
        checked = replace(analysis)
        if preset.threshold_overrides:
            pipeline.check(checked, preset, WHITE, cleaned=True)
        built[name] = export_package(checked, preset, out / name / "hero", "white")
    return built


def _inline(name: str) -> bool:
    return VENDORS[name].inline is not None


def test_every_preset_but_generic_has_an_api_and_a_valid_schema():
    assert set(VENDORS) == set(PRESETS) - {"generic"}
    for name in VENDORS:
        Draft202012Validator.check_schema(request_schema(name))
        assert "2026" in request_schema(name)["$comment"]  # the source and when it was read


@pytest.mark.parametrize("name", sorted(VENDORS))
def test_every_body_validates_against_its_schema_inline_and_by_url(packages, name):
    package = packages[name].package
    files = [entry["file"] for entry in packages[name].manifest["views"]]
    by_url = refprep.request(package, name, image_url_prefix=(PREFIX if name != "veo-3.1" else "gs://bucket/hero"))
    Draft202012Validator(request_schema(name)).validate(by_url.body)
    text = json.dumps(by_url.body)
    assert all(f"/hero/{file}" in text for file in files) and [i["file"] for i in by_url.images] == files
    if not _inline(name):
        with pytest.raises(UsageError, match="by URL only"):
            refprep.request(package, name)
        return
    inline = refprep.request(package, name)
    Draft202012Validator(request_schema(name)).validate(inline.body)
    # The images go in whole, in package order (the frontal first where the vendor wants it).
    sent = [base64.b64decode(part.split(",")[-1]) for part in _image_strings(inline.body)]
    assert sent == [(package / file).read_bytes() for file in files]


def _image_strings(value):
    """The inline images of a body, in order (long base64 strings, data URIs or bare)."""
    if isinstance(value, dict):
        return [s for item in value.values() for s in _image_strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _image_strings(item)]
    return [value] if isinstance(value, str) and len(value) > 1000 else []


def test_vendor_shapes(packages):
    kling = refprep.request(packages["kling-element"].package, "kling-element", image_url_prefix=PREFIX).body
    images = kling["element_image_list"]
    assert images["frontal_image"] == f"{PREFIX}/01_front.png" and 1 <= len(images["refer_images"]) <= 3
    assert not refprep.request(packages["kling-element"].package, "kling-element").body[
        "element_image_list"]["frontal_image"].startswith("data:")  # Kling takes bare base64
    runway = refprep.request(packages["runway-gen4"].package, "runway-gen4").body["referenceImages"]
    assert runway[0]["uri"].startswith("data:image/png;base64,") and runway[0]["tag"] == "front"
    assert len({item["tag"] for item in runway}) == len(runway)
    veo = refprep.request(packages["veo-3.1"].package, "veo-3.1").body["instances"][0]["referenceImages"]
    assert {item["referenceType"] for item in veo} == {"asset"} and veo[0]["image"]["mimeType"] == "image/png"
    seedance = refprep.request(packages["seedance-2"].package, "seedance-2").body["content"]
    assert {item["role"] for item in seedance} == {"reference_image"}
    vidu = refprep.request(packages["vidu-q2"].package, "vidu-reference").body["subjects"]  # the old name works
    assert len(vidu) == 1 and vidu[0]["id"] == "hero" and len(vidu[0]["images"]) <= 3


def test_a_package_over_the_data_uri_limit_is_refused_with_the_reason(packages, monkeypatch):
    package = packages["runway-gen4"].package
    largest = max((package / entry["file"]).stat().st_size for entry in packages["runway-gen4"].manifest["views"])
    monkeypatch.setitem(PRESETS, "runway-gen4", replace(PRESETS["runway-gen4"], max_data_uri_bytes=largest))
    with pytest.raises(RequestRefused, match=r"as a data URI, over preset runway-gen4's .* \(rule data_uri\); "
                                             "send it by URL with --image-url-prefix"):
        refprep.request(package, "runway-gen4")
    assert refprep.request(package, "runway-gen4", image_url_prefix=PREFIX).body  # by URL it fits


def test_a_body_over_the_request_limit_is_refused(packages, monkeypatch):
    package = packages["vidu-q2"].package
    monkeypatch.setitem(PRESETS, "vidu-q2", replace(PRESETS["vidu-q2"], max_request_bytes=100_000))
    with pytest.raises(RequestRefused, match=r"the request body is .* MB, over preset vidu-q2's 0.10 MB limit "
                                             r"\(rule request_bytes\)"):
        refprep.request(package, "vidu-q2")


def test_a_package_built_for_another_preset_is_refused_by_rule(packages):
    # Seedance's package has every classified view; Runway takes 3.
    assert len(packages["seedance-2"].manifest["views"]) > 3
    with pytest.raises(RequestRefused, match="does not pass preset runway-gen4: Preset runway-gen4, rule views"):
        refprep.request(packages["seedance-2"].package, "runway-gen4")


def test_cli_prints_the_body_and_exits_per_spec(packages, tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "refprep", *args], capture_output=True, text=True)

    package = str(packages["hailuo-s2v"].package)
    done = run("request", package, "--for", "hailuo-s2v", "--image-url-prefix", PREFIX)
    assert done.returncode == 0 and json.loads(done.stdout) == {
        "subject_reference": [{"type": "character", "image": [f"{PREFIX}/01_front.png"]}]}
    document = json.loads(run("request", package, "--for", "hailuo-s2v", "--json").stdout)
    assert document["endpoint"].endswith("/v1/video_generation") and document["images"][0]["sent_as"] == "data_uri"
    for args, code, words in ((("--for", "generic"), 2, "no generator's API"),
                              (("--for", "wan-2.7"), 2, "by URL only"),
                              (("--for", "hailuo-s2v", "--inline", "--image-url-prefix", PREFIX), 2, "exclude each other"),
                              (("--for", "veo-3.1", "--image-url-prefix", PREFIX), 2, "gs://"),
                              (("--for", "kling-element"), 1, "rule views")):
        result = run("request", package, *args)
        assert result.returncode == code and result.stdout == "", (args, result.stderr)
        assert result.stderr.count("\n") == 1 and words in result.stderr, result.stderr
    missing = run("request", str(tmp_path / "nope"), "--for", "runway-gen4")
    assert missing.returncode == 2 and "no such package" in missing.stderr


@pytest.mark.parametrize("command", ["build", "batch"])
def test_a_preset_that_refuses_transparency_stops_the_build_with_one_line(command, tmp_path):
    given = FIXTURES / "single_front_white.png" if command == "build" else FIXTURES / "bad"
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "refprep", command, str(given),
                             "--preset", "wan-2.7", "--background", "transparent", "-o", str(out), "-q"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and result.stdout == "" and not out.exists()
    assert result.stderr.count("\n") == 1 and "rule transparency" in result.stderr


def test_validate_names_the_transparency_rule_for_a_transparent_package(pipeline, tmp_path):
    analysis = pipeline.prepare([FIXTURES / "single_front_white.png"], None)
    pipeline.check(analysis, get_preset("generic"), None, cleaned=True)
    built = export_package(analysis, get_preset("generic"), tmp_path / "clear", "transparent")
    report = refprep.validate(built.package, preset="wan-2.7")
    assert report.status == "invalid" and any("rule transparency" in p for p in report.problems)
    assert not any("rule transparency" in p for p in refprep.validate(built.package).problems)


def test_seedance_warns_on_a_photographed_face_and_not_on_a_drawn_sheet(pipeline, astronaut, packages, tmp_path):
    assert not any("real_faces" in w for w in packages["seedance-2"].manifest["warnings"])
    photo = tmp_path / "astronaut.png"
    Image.fromarray(astronaut).save(photo)
    analysis = pipeline.prepare([photo], WHITE)
    pipeline.check(analysis, get_preset("seedance-2"), WHITE, cleaned=True)
    built = export_package(analysis, get_preset("seedance-2"), tmp_path / "astronaut", "white")
    warned = [w for w in built.manifest["warnings"] if "rule real_faces" in w]
    assert warned and "01_front.png shows a photographed human face" in warned[0]
    assert warned[0] in refprep.validate(built.package).warnings
