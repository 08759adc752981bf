"""build on several files: --jobs N gives what a serial run gives, an unreadable file in a
folder is skipped and reported, --device cuda says plainly when it cannot run. batch: one
package per character, batch.json, --resume after a SIGKILL, the same packages from a real
local Dask cluster."""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from cli_helpers import cli
from conftest import FIXTURES, heavy_imports
from test_cli import refprep

import refprep as refprep_api
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


# --- refprep batch ----------------------------------------------------------------------------

def _batch_folder(root):
    """Two sheets, a sub-folder of single views (one unusable) and a broken sheet among them."""
    folder = root / "studio"
    (folder / "villain").mkdir(parents=True)
    shutil.copyfile(FIXTURES / "single_front_white.png", folder / "hero.png")
    shutil.copyfile(FIXTURES / "sheet_row3_vignette.png", folder / "row3.png")
    shutil.copyfile(FIXTURES / "bad" / "truncated.png", folder / "broken.png")
    shutil.copyfile(FIXTURES / "single_front_white.png", folder / "villain" / "front.png")
    shutil.copyfile(FIXTURES / "bad" / "empty.png", folder / "villain" / "empty.png")
    (folder / "notes.txt").write_text("not a sheet")
    return folder


@pytest.fixture(scope="module")
def local_batch(tmp_path_factory):
    import refprep

    root = tmp_path_factory.mktemp("batch")
    folder = _batch_folder(root)
    result = refprep.build_batch(folder, root / "local", jobs=1)
    return folder, result


def test_batch_makes_one_package_per_character_and_lists_each_input(local_batch):
    from refprep.stages.validation import schema_problems

    folder, result = local_batch
    rows = {item.file: item for item in result.inputs}
    assert list(rows) == ["broken.png", "hero.png", "row3.png", "villain/"]
    assert rows["broken.png"].status == "failed" and rows["broken.png"].package is None
    assert "truncated" in rows["broken.png"].error and "\n" not in rows["broken.png"].error
    assert rows["villain/"].skipped == [{"file": "empty.png", "reason": "empty file (0 bytes)"}]
    assert sorted(path.name for path in result.out_dir.iterdir()) == ["batch.json", "hero", "row3", "villain"]
    for name, sources, views in (("hero", ["hero.png"], 1), ("row3", ["row3.png"], 3), ("villain", ["front.png"], 1)):
        manifest = json.loads((result.out_dir / name / "manifest.json").read_text())
        assert [s["file"] for s in manifest["sources"]] == sources and len(manifest["views"]) == views
        assert manifest["status"] == rows[f"{name}/" if name == "villain" else f"{name}.png"].status
        assert manifest["batch"]["input_sha256"] == rows[manifest["batch"]["input"]].sha256
        assert schema_problems(manifest) == []
    import hashlib

    assert rows["hero.png"].sha256 == hashlib.sha256((folder / "hero.png").read_bytes()).hexdigest()
    record = json.loads((result.out_dir / "batch.json").read_text())
    assert record == json.loads(json.dumps(result.as_dict()))
    assert record["counts"]["failed"] == 1 and sum(record["counts"].values()) == 4
    assert record["ignored"] == ["notes.txt"]
    assert str(folder) not in json.dumps(record) and not result.succeeded()


def test_batch_resume_keeps_what_is_done_and_a_rerun_without_it_refuses(local_batch, tmp_path):
    folder, result = local_batch
    out = tmp_path / "out"
    shutil.copytree(result.out_dir, out)
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file() and path.name != "batch.json"}
    refused = refprep("batch", folder, "-o", out)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1 and "--resume" in refused.stderr
    resumed = refprep("batch", folder, "-o", out, "--resume", "--json")
    assert resumed.returncode == 1, resumed.stderr
    rows = {row["file"]: row for row in json.loads(resumed.stdout)["inputs"]}
    assert [name for name, row in rows.items() if row["resumed"]] == ["hero.png", "row3.png", "villain/"]
    assert rows["villain/"]["skipped"] and rows["broken.png"]["status"] == "failed"
    assert {path: path.read_bytes() for path in before} == before  # not one byte rewritten
    other = refprep("batch", folder, "-o", out, "--resume", "--preset", "kling-element")
    assert other.returncode == 2 and "--force" in other.stderr  # other options: not its packages to keep


def test_batch_on_a_local_dask_cluster_writes_the_local_runs_packages(local_batch, tmp_path):
    pytest.importorskip("distributed")
    import refprep

    folder, local = local_batch
    result = refprep.build_batch(folder, tmp_path / "dask", executor="dask", jobs=2)
    assert result.executor == "dask"
    assert [(i.file, i.package, i.status, i.error, i.skipped) for i in result.inputs] == \
           [(i.file, i.package, i.status, i.error, i.skipped) for i in local.inputs]
    for item in local.inputs:
        if item.package:
            assert package_contents(result.out_dir / item.package) == package_contents(local.out_dir / item.package)


KILLED_BATCH = ("a", "b", "c")


def _killed_then_resumed(root, kill_after) -> list[str]:
    """A real ``refprep batch`` of three sheets, SIGKILLed when ``kill_after(out)`` returns,
    then run again with --resume; checks that every package ends complete, once, with nothing
    hidden left, and returns the packages that were there before the resume."""
    folder, out = _batch_of_three(root / "sheets"), root / "out"
    command = [sys.executable, "-m", "refprep", "batch", str(folder), "-o", str(out), "--jobs", "1", "-q"]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kill_after(out, child)
    child.send_signal(signal.SIGKILL)
    child.wait()
    before = sorted(path.name for path in out.iterdir() if path.is_dir() and not path.name.startswith(".")) \
        if out.is_dir() else []

    resumed = refprep("batch", folder, "-o", out, "--resume", "--json")
    assert resumed.returncode == 1, resumed.stderr  # the fixture's figure is too small: invalid, not failed
    rows = json.loads(resumed.stdout)["inputs"]
    assert [(row["file"], row["package"], row["status"]) for row in rows] == \
           [(f"{name}.png", name, "invalid") for name in KILLED_BATCH]
    assert [row["resumed"] for row in rows] == [name in before for name in KILLED_BATCH]
    assert sorted(os.listdir(out)) == ["a", "b", "batch.json", "c"]  # nothing hidden left, nothing twice
    for name in KILLED_BATCH:
        problems = refprep_api.validate(out / name).problems
        assert problems and all("check resolution failed" in problem for problem in problems)  # complete
    return before


def test_batch_killed_with_sigkill_then_resumed_ends_complete_once(tmp_path):
    def after_the_first_package(out, child):
        deadline = time.monotonic() + 120
        while not (out / "a").is_dir() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(random.uniform(0.0, 0.5))  # into the second sheet: its analysis, or its package half-written
        assert child.poll() is None

    assert "a" in _killed_then_resumed(tmp_path, after_the_first_package)


@pytest.mark.slow
def test_ten_batches_killed_at_random_moments_all_end_complete(tmp_path):
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "refprep", "batch", str(_batch_of_three(tmp_path / "timing")), "-o",
                    str(tmp_path / "timing-out"), "--jobs", "1", "-q"], capture_output=True, timeout=300)
    seconds = time.perf_counter() - start
    rng = random.Random(23)
    for round_number in range(10):
        moment = rng.uniform(0.3, seconds)
        _killed_then_resumed(tmp_path / f"round{round_number}", lambda out, child: time.sleep(moment))


def _batch_of_three(folder):
    folder.mkdir(parents=True)
    for name in KILLED_BATCH:
        shutil.copyfile(FIXTURES / "single_front_white.png", folder / f"{name}.png")
    return folder


def test_batch_usage_errors_are_one_line(tmp_path):
    for args, words in (((FIXTURES / "single_front_white.png", "-o", tmp_path), "not a folder"),
                        ((FIXTURES, "-o", tmp_path, "--scheduler", "tcp://127.0.0.1:1"), "--executor dask")):
        result = cli("batch", *args)
        assert result.exit_code == 2 and words in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_batch_progress_counts_and_says_the_time_left():
    from refprep.cli import BatchProgress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    with BatchProgress(False, stream=terminal) as progress:
        progress("packages", 0, 4)
        progress("packages", 1, 4)
    assert "0/4" in terminal.getvalue() and "1/4" in terminal.getvalue() and "s left" in terminal.getvalue()
    quiet = io.StringIO()  # not a terminal: nothing
    BatchProgress(False, stream=quiet)("packages", 1, 4)
    assert quiet.getvalue() == ""


def test_build_on_a_folder_of_several_sheets_points_to_batch(tmp_path):
    from refprep.api import SheetAnalysis, several_sheets_notices
    from refprep.errors import InputError

    def analysis(views):
        return SheetAnalysis([], [], [object()] * views, [])

    folder = tmp_path / "sheets"
    paths = [(folder / "a.png", True), (folder / "b.png", True), (folder / "c.png", True), (tmp_path / "d.png", False)]
    two_sheets = [analysis(3), analysis(4), InputError(folder / "c.png", "empty"), analysis(5)]
    notices = several_sheets_notices(paths, two_sheets)
    assert len(notices) == 1 and "2 multi-view sheets" in notices[0] and f"refprep batch {folder}" in notices[0]
    assert several_sheets_notices(paths, [analysis(3), analysis(1), analysis(1), analysis(5)]) == []
