"""The installed command, run as a user runs it: exit codes, one-line errors, JSON on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from conftest import FIXTURES, heavy_imports


def refprep(*args, cwd=None, timeout=300, env_columns=None):
    import os

    env = {**os.environ, "COLUMNS": str(env_columns)} if env_columns else None
    return subprocess.run([sys.executable, "-m", "refprep", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, env=env)


def test_help_is_fast_and_imports_nothing_heavy():
    start = time.perf_counter()
    result = refprep("--help")
    assert result.returncode == 0 and "build" in result.stdout and "check" in result.stdout
    assert time.perf_counter() - start < 2.0  # generous for a loaded CI machine; ~0.1 s normally
    assert heavy_imports(["--help"], ["build", "--help"]) == []


def test_build_imports_neither_rembg_nor_scipy(tmp_path):
    """The default build path runs u2netp on onnxruntime directly and splits with OpenCV:
    importing rembg (seconds, a numba compile on first use) or scipy.ndimage (about 0.3 s)
    would only slow every build down."""
    loaded = heavy_imports(["build", str(FIXTURES / "example_sheet.png"), "-o", str(tmp_path), "--quiet"])
    assert {"cv2", "onnxruntime", "numpy"} <= set(loaded)
    assert not {"rembg", "scipy", "mediapipe"} & set(loaded), loaded


@pytest.mark.parametrize("command", ["build", "check", "split", "clean", "pose", "validate", "models", "presets", "request"])
def test_every_command_has_help(command):
    result = refprep(command, "--help")
    assert result.returncode == 0 and "Usage" in result.stdout


@pytest.mark.parametrize("name", ["empty.png", "not_an_image.png", "truncated.png", "truncated.jpg"])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(name, tmp_path):
    result = refprep("build", FIXTURES / "bad" / name, "-o", tmp_path / "out")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_missing_file_and_bad_options_exit_2(tmp_path):
    assert refprep("build", tmp_path / "nope.png").returncode == 2
    result = refprep("build", FIXTURES / "single_front_white.png", "--background", "purple", "-o", tmp_path)
    assert result.returncode == 2 and "purple" in result.stderr
    result = refprep("build", FIXTURES / "single_front_white.png", "--preset", "nope", "-o", tmp_path)
    assert result.returncode == 2 and "nope" in result.stderr


def test_build_json_from_another_directory(tmp_path):
    sheet = FIXTURES / "sheet_row6_gray.png"
    result = refprep("build", sheet, "--json", cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    manifest = json.loads(result.stdout)  # stdout holds the JSON document and nothing else
    package = tmp_path / "refprep-out" / "sheet_row6_gray"
    assert manifest["package"] == str(package.relative_to(tmp_path)) or manifest["package"] == str(package)
    assert len(manifest["views"]) == 6
    assert (package / "manifest.json").is_file()
    exit_for_status = {"valid": 0, "valid_with_warnings": 0, "invalid": 1}
    assert result.returncode == exit_for_status[manifest["status"]]
    again = refprep("build", sheet, cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr
    assert refprep("build", sheet, "--force", "-q", cwd=tmp_path).returncode in (0, 1)
    validated = refprep("validate", package, "--json")
    assert json.loads(validated.stdout)["status"] in ("valid", "invalid")


def test_pose_json_on_a_real_portrait(tmp_path, astronaut):
    from PIL import Image

    path = tmp_path / "astronaut.png"
    Image.fromarray(astronaut).save(path)
    result = refprep("pose", path, "--json")
    assert result.returncode == 0, result.stderr
    views = json.loads(result.stdout)["images"][0]["views"]
    assert len(views) == 1
    assert {"view", "yaw_deg", "pitch_deg", "roll_deg", "pose_confidence", "pose_method", "bbox"} <= set(views[0])
    assert views[0]["view"] == "front" and views[0]["pose_method"] == "face_landmarks"


def test_check_json_and_exit_code(tmp_path, astronaut):
    from PIL import Image

    path = tmp_path / "astronaut.png"
    Image.fromarray(astronaut).save(path)
    result = refprep("check", path, "--json")
    report = json.loads(result.stdout)
    image = report["images"][0]
    assert image["status"] in ("pass", "warn", "fail")
    assert result.returncode == (1 if image["status"] == "fail" else 0)
    background = next(c for c in image["checks"] if c["id"] == "background")
    assert background["status"] == "fail"  # the astronaut stands in front of a flag and a spacecraft
    assert image["views"][0]["view"] == "front"


def test_check_prints_a_table_of_what_failed_and_exits_1(tmp_path, astronaut):
    """A blurred, heavily compressed portrait: the table names each failed check with its value,
    its limit and the advice; the exit code is 1. A passing check is listed only with -v."""
    import cv2
    from PIL import Image

    path = tmp_path / "blurred.jpg"
    Image.fromarray(cv2.GaussianBlur(astronaut, (0, 0), 2.5)).save(path, quality=15)
    result = refprep("check", path, "-q", env_columns=100)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FAIL") and "blurred.jpg" in lines[0]
    assert any(line.split()[:2] == ["check", "result"] for line in lines)
    rows = {line.split()[0]: line.split() for line in lines if line.startswith("    ") and len(line.split()) > 4}
    assert rows["sharpness"][1] == "fail" and rows["sharpness"][3] == "0.42"
    assert rows["jpeg_artifacts"][1] == "fail" and rows["jpeg_artifacts"][3] == "25"
    assert "face_size" not in rows  # passed: shown with -v only
    assert all(len(line) <= 100 for line in lines[2:] if line.startswith("    "))  # advice wrapped
    verbose = refprep("check", path, "-q", "-v")
    assert "face_size" in verbose.stdout and verbose.returncode == 1


def test_split_writes_views_and_json(tmp_path):
    result = refprep("split", FIXTURES / "sheet_row4_gradient.png", "-o", tmp_path / "views", "--json")
    assert result.returncode == 0, result.stderr
    image = json.loads(result.stdout)["images"][0]
    assert len(image["views"]) == 4 and len(image["annotations"]) == 4
    assert len(list((tmp_path / "views").glob("*.png"))) == 4
    assert json.loads((tmp_path / "views" / "views.json").read_text()) == json.loads(result.stdout)


def test_clean_writes_white_backgrounds(tmp_path):
    import numpy as np
    from PIL import Image

    result = refprep("clean", FIXTURES / "single_front_white.png", FIXTURES / "sheet_row3_vignette.png",
                     "-o", tmp_path, "--json")
    assert result.returncode == 0, result.stderr
    written = [v["file"] for image in json.loads(result.stdout)["images"] for v in image["views"]]
    assert len(written) == 4
    for path in written:
        picture = np.asarray(Image.open(path))
        assert (picture[0] == 255).all() and (picture[:, -1] == 255).all()


def test_models_lists_the_bundled_files():
    result = refprep("models", "--json")
    rows = {row["name"]: row["status"] for row in json.loads(result.stdout)["models"]}
    for name in ("u2netp", "face_detection_short_range", "face_detection_full_range", "face_landmark"):
        assert rows[name] == "bundled"



@pytest.mark.parametrize("args", [["build"], ["nosuch"], ["check", "--bogus", "x.png"],
                                  ["build", "x.png", "--jobs", "zero"]])
def test_usage_errors_are_one_line_with_exit_2(args):
    result = subprocess.run([sys.executable, "-m", "refprep", *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("refprep: error: ") and "--help" in lines[0], result.stderr
    assert result.stdout == ""
