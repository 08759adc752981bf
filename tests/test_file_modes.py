"""Output files get the user's umask (issue 25): a package on a shared drive or behind a web
server must be readable by others, as any file the user makes; and split and clean never
replace a file without --force, nor write two outputs to one name."""

from __future__ import annotations

import os
import shutil
import stat

import pytest

import refprep
from refprep import api
from refprep.stages import package as pk

from cli_helpers import cli, shared_models  # noqa: F401  (a fixture)
from conftest import FIXTURES

SINGLE = FIXTURES / "single_front_white.png"


@pytest.fixture
def umask():
    def set_mask(mask):
        os.umask(mask)

    previous = os.umask(0o022)
    yield set_mask
    os.umask(previous)


def modes(folder):
    """{relative path: permission bits} of ``folder`` and everything under it."""
    found = {".": stat.S_IMODE(os.stat(folder).st_mode)}
    for path in folder.rglob("*"):
        found[str(path.relative_to(folder))] = stat.S_IMODE(path.stat().st_mode)
    return found


@pytest.mark.parametrize("mask, folder_mode, file_mode", [(0o022, 0o755, 0o644), (0o077, 0o700, 0o600),
                                                          (0o002, 0o775, 0o664)])
def test_package_folder_files_and_zip_follow_the_umask(mask, folder_mode, file_mode, tmp_path, umask):
    umask(mask)
    target = tmp_path / "hero"
    pk.write_files(target, [("01_front.png", b"png"), ("manifest.json", b"{}")], make_zip=True)
    assert modes(target) == {".": folder_mode, "01_front.png": file_mode, "manifest.json": file_mode}
    assert stat.S_IMODE((tmp_path / "hero.zip").stat().st_mode) == file_mode
    # Replacing it (--force) gives the same modes, and leaves nothing hidden behind.
    pk.write_files(target, [("01_front.png", b"new"), ("manifest.json", b"{}")], force=True, make_zip=True)
    assert modes(target)["."] == folder_mode and modes(target)["01_front.png"] == file_mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hero", "hero.zip"]


def test_built_package_is_755_and_644_under_umask_022(tmp_path, umask, shared_models):
    result = cli("build", SINGLE, "-o", tmp_path, "--zip", "-q")
    assert result.exit_code in (0, 1), result.output + result.stderr  # 1: one view fails the preset
    found = modes(tmp_path / "single_front_white")
    assert found.pop(".") == 0o755
    assert found and set(found.values()) == {0o644}
    assert stat.S_IMODE((tmp_path / "single_front_white.zip").stat().st_mode) == 0o644


def test_atomic_write_follows_the_umask_and_leaves_no_temporary(tmp_path, umask):
    api._atomic_write(tmp_path / "a.png", b"one")
    umask(0o077)
    api._atomic_write(tmp_path / "b.png", b"two")
    api._atomic_write(tmp_path / "a.png", b"three")  # replaced: the new file's mode
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()} == {"a.png": 0o600, "b.png": 0o600}
    assert (tmp_path / "a.png").read_bytes() == b"three"


def test_split_outputs_follow_the_umask(tmp_path, umask):
    refprep.split(FIXTURES / "sheet_row4_gradient.png", out_dir=tmp_path / "views")
    found = modes(tmp_path / "views")
    assert found.pop(".") == 0o755 and set(found.values()) == {0o644}


def test_split_never_overwrites_without_force(tmp_path):
    sheet = FIXTURES / "sheet_row4_gradient.png"
    out = tmp_path / "views"
    assert cli("split", sheet, "-o", out, "-q").exit_code == 0
    (out / "views.json").write_text("mine")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = cli("split", sheet, "-o", out, "-q")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "exists" in lines[0] and "--force" in lines[0]
    assert str(out / "sheet_row4_gradient_view01.png") in lines[0]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing was written
    assert cli("split", sheet, "-o", out, "-q", "--force").exit_code == 0
    assert (out / "views.json").read_text() != "mine"


def test_clean_gives_two_inputs_of_one_name_two_outputs(tmp_path, shared_models):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    shutil.copy(SINGLE, tmp_path / "a" / "x.png")
    shutil.copy(FIXTURES / "sheet_row3_vignette.png", tmp_path / "b" / "x.png")
    out = tmp_path / "out"
    result = cli("clean", tmp_path / "a" / "x.png", tmp_path / "b" / "x.png", "-o", out, "--json", "-q")
    assert result.exit_code == 0, result.stderr
    import json

    report = json.loads(result.stdout)
    written = [view["file"] for image in report["images"] for view in image["views"]]
    assert len(written) == len(set(written)) == 4  # one view, then a sheet of three
    assert sorted(p.name for p in out.iterdir()) == ["a_x.png", "b_x_01.png", "b_x_02.png", "b_x_03.png"]
    # The same file twice: two names, not one file written twice.
    again = cli("clean", SINGLE, SINGLE, "-o", tmp_path / "twice", "-q")
    assert again.exit_code == 0, again.stderr
    assert len(list((tmp_path / "twice").iterdir())) == 2


def test_clean_never_overwrites_without_force(tmp_path, shared_models):
    out = tmp_path / "out"
    out.mkdir()
    (out / "single_front_white.png").write_bytes(b"mine")
    result = cli("clean", SINGLE, "-o", out, "-q")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"refprep: error: {out / 'single_front_white.png'}: exists (use --force to replace it)"]
    assert (out / "single_front_white.png").read_bytes() == b"mine"
    assert cli("clean", SINGLE, "-o", out, "-q", "--force").exit_code == 0
    assert (out / "single_front_white.png").read_bytes().startswith(b"\x89PNG")
    assert [p.name for p in out.iterdir()] == ["single_front_white.png"]


def test_output_stems_are_distinct(tmp_path):
    paths = [tmp_path / "a" / "x.png", tmp_path / "b" / "x.png", tmp_path / "a" / "X.jpg", tmp_path / "y.png",
             tmp_path / "y.png"]
    stems = api.output_stems(paths)
    assert len({stem.casefold() for stem in stems}) == len(stems)
    assert stems[0] == "a_x" and stems[1] == "b_x"
    assert stems[4] == stems[3] + "-2"  # the same file twice
    assert api.output_stems([tmp_path / "a" / "x.png", tmp_path / "y.png"]) == ["x", "y"]
