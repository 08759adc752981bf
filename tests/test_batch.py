"""build on several files: --jobs N gives what a serial run gives, an unreadable file in a
folder is skipped and reported, --device cuda says plainly when it cannot run."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import FIXTURES, heavy_imports
from test_cli import refprep

from perf_bench import package_contents  # a script's helper: the creation time blanked

BATCH_SHEETS = ("sheet_row3_vignette.png", "single_front_white.png")


def _folder(tmp_path, names, bad=()):
    folder = tmp_path / "sheets"
    folder.mkdir()
    for name in names:
        shutil.copyfile(FIXTURES / name, folder / name)
    for name in bad:
        shutil.copyfile(FIXTURES / "bad" / name, folder / name)
    return folder


def test_parallel_build_matches_serial_byte_for_byte(tmp_path):
    import refprep

    folder = _folder(tmp_path, BATCH_SHEETS)
    stages = []
    serial = refprep.build([folder], out_dir=tmp_path / "serial", jobs=1)
    parallel = refprep.build([folder], out_dir=tmp_path / "parallel", jobs=2,
                             progress=lambda stage, done, total: stages.append((stage, done, total)))
    assert [s["file"] for s in parallel.manifest["sources"]] == sorted(BATCH_SHEETS)
    assert package_contents(serial.package) == package_contents(parallel.package)
    assert ("files", len(BATCH_SHEETS), len(BATCH_SHEETS)) in stages


def test_unreadable_file_in_a_folder_is_skipped_and_reported(tmp_path):
    folder = _folder(tmp_path, BATCH_SHEETS[:1], bad=("truncated.png", "not_an_image.png"))
    result = refprep("build", folder, "-o", tmp_path / "out", "--jobs", "2", "--json")
    assert result.returncode == 1, result.stderr
    manifest = json.loads(result.stdout)
    assert [s["file"] for s in manifest["sources"]] == [BATCH_SHEETS[0]]
    skipped = {item["file"]: item["reason"] for item in manifest["skipped"]}
    assert set(skipped) == {"truncated.png", "not_an_image.png"}
    assert "truncated" in skipped["truncated.png"] and "not an image" in skipped["not_an_image.png"]
    assert str(tmp_path) not in json.dumps(manifest["skipped"])  # names only, no paths of this machine
    summary = result.stderr[result.stderr.index("skipped 2"):]
    assert "truncated.png:" in summary and "not_an_image.png:" in summary and "Traceback" not in result.stderr
    from refprep.stages.validation import schema_problems

    assert schema_problems(manifest) == []
    assert schema_problems({**manifest, "skipped": [{"file": str(folder / "truncated.png"), "reason": "x"}]})


def test_unreadable_file_named_on_its_own_still_stops_the_build(tmp_path):
    result = refprep("build", FIXTURES / BATCH_SHEETS[0], FIXTURES / "bad" / "truncated.png", "-o", tmp_path,
                     "--jobs", "2")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "truncated.png" in result.stderr


def test_folder_of_only_unreadable_files_exits_2(tmp_path):
    folder = _folder(tmp_path, (), bad=("truncated.png", "empty.png"))
    result = refprep("build", folder, "-o", tmp_path / "out")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("refprep: error")]
    assert len(errors) == 1 and "truncated.png" in errors[0] and "empty.png" in errors[0]
    assert not (tmp_path / "out").exists()


def test_device_cuda_without_cuda_exits_2_with_one_line(tmp_path):
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime has CUDA")
    result = refprep("build", FIXTURES / BATCH_SHEETS[0], "-o", tmp_path, "--device", "cuda")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--device cuda" in lines[0] and "onnxruntime-gpu" in lines[0]
    assert not any(tmp_path.iterdir())


def test_version_and_presets_import_nothing_heavy():
    assert heavy_imports(["--version"], ["presets"], ["presets", "--json"]) == []
