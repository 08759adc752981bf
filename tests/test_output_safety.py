"""Output safety: package names cannot escape the output folder; an existing package is never
touched without --force and is swapped atomically with it; a killed run is cleaned up by the
next one; concurrent runs do not corrupt a package; a read-only or full output folder fails with
one line and leaves nothing behind."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import refprep
from refprep.stages import package as pk
from refprep.errors import OutputError

from cli_helpers import cli, shared_models  # noqa: F401  (a fixture)
from conftest import FIXTURES

SMALL = FIXTURES / "formats" / "figure_rgba.png"  # transparent backdrop: builds in a fraction of a second

HOSTILE_NAMES = ["../evil", "../../../../tmp/evil", "/etc/passwd", "/", "a/../../b", "..", ".", "...", "", " ",
                 "CON", "con", "Nul.txt", "LPT1", "COM9.tar.gz", "aux ", "x" * 1000, "字" * 300, "\x1b[31mred",
                 "a\nb", "\t", "-", "C:\\Windows\\x", "\\\\server\\share", "~", "~root", "$(rm -rf ~)", "*", "a:b",
                 "\u202eexe.gnp", "\x00", ".hidden", "name.", "name ", "\udcff\udcfe", "ok name"]


def assert_safe(name: str) -> None:
    assert name and name not in (".", "..")
    assert "/" not in name and "\\" not in name and ":" not in name and "\x00" not in name
    assert not name.startswith(".") and not name.endswith((".", " ")) and not name.startswith(" ")
    assert all(ch.isprintable() for ch in name), ascii(name)
    assert len(name.encode("utf-8")) <= pk.MAX_NAME_BYTES
    assert name.split(".")[0].strip().upper() not in pk._RESERVED_NAMES


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=ascii)
def test_hostile_names_become_safe_folder_names(name, tmp_path):
    safe = pk.safe_package_name(name)
    assert_safe(safe)
    assert (tmp_path / safe).resolve().parent == tmp_path.resolve()
    assert pk.safe_package_name(safe) == safe  # idempotent


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=300))
def test_any_text_becomes_a_safe_name(name):
    assert_safe(pk.safe_package_name(name))


@pytest.mark.parametrize("name", ["../../escape", "/tmp/abs", "CON", "x" * 400, "a\nb", ".."], ids=ascii)
def test_name_option_cannot_escape_the_output_folder(name, tmp_path, shared_models):
    out = tmp_path / "deep" / "out"
    result = cli("build", "-q", SMALL, "-o", out, "--name", name)
    assert result.exit_code in (0, 1), result.stderr
    (package,) = out.iterdir()
    assert package.is_dir() and package.parent == out
    assert_safe(package.name)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.parent == tmp_path) == ["deep"]
    assert refprep.validate(package).problems == json.loads((package / "manifest.json").read_text())["problems"]


# --- the swap, on plain files --------------------------------------------------------------------

def synthetic(tag: str, count: int = 4, size: int = 30_000) -> list[tuple[str, bytes]]:
    """A package-like file set whose manifest lists the sha256 of every other file."""
    files = [(f"{i:02d}.bin", os.urandom(size)) for i in range(count)]
    manifest = {"tag": tag, "files": {name: hashlib.sha256(data).hexdigest() for name, data in files}}
    return files + [("manifest.json", json.dumps(manifest).encode())]


def read_complete(folder) -> str:
    """The tag of the complete file set in ``folder``, read through one directory handle;
    raises AssertionError for anything incomplete or mixed, FileNotFoundError if it is not there."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        return _read_set(fd)
    finally:
        os.close(fd)


def _read_set(fd: int) -> str:
    def read(name):
        with os.fdopen(os.open(name, os.O_RDONLY, dir_fd=fd), "rb") as handle:
            return handle.read()

    manifest = json.loads(read("manifest.json"))
    names = set(os.listdir(fd))
    assert names == set(manifest["files"]) | {"manifest.json"}, names
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(read(name)).hexdigest() == digest, f"{name} of {manifest['tag']} differs"
    return manifest["tag"]


def poll(target) -> str | None:
    """What a reader finds at ``target`` now: a complete set's tag, None when nothing is there.
    A folder that is swapped out and deleted while it is being read is read again; an
    incomplete folder that is still the live one fails."""
    while True:
        try:
            fd = os.open(target, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            return _read_set(fd)
        except (AssertionError, OSError, ValueError) as exc:
            # Still at the path? (Its inode cannot be reused while this handle is open.)
            try:
                live = os.stat(target).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                live = False
            if live:
                raise AssertionError(f"the live package is incomplete: {exc}") from None
        finally:
            os.close(fd)


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_existing_package_is_never_touched_without_force(tmp_path):
    target = tmp_path / "hero"
    pk.write_files(target, synthetic("old"))
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in target.iterdir()}
    with pytest.raises(OutputError, match="exists.*--force"):
        pk.write_files(target, synthetic("new"))
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in target.iterdir()} == before
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("kind", ["file", "dangling_link", "link_to_folder", "zip_only"])
def test_anything_at_the_target_counts_as_existing(kind, tmp_path):
    target = tmp_path / "hero"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine")
    if kind == "file":
        target.write_text("a file")
    elif kind == "dangling_link":
        target.symlink_to(tmp_path / "nothing")
    elif kind == "link_to_folder":
        target.symlink_to(elsewhere)
    else:
        (tmp_path / "hero.zip").write_text("an old zip")
    with pytest.raises(OutputError, match="exists"):
        pk.write_files(target, synthetic("new"), make_zip=True)
    # With --force the link itself is replaced; what it pointed to is never written through.
    pk.write_files(target, synthetic("new"), force=True, make_zip=True)
    assert read_complete(target) == "new" and not target.is_symlink()
    assert [p.name for p in elsewhere.iterdir()] == ["keep.txt"]
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two_renames"])
def test_force_replaces_atomically_while_someone_reads(exchange, tmp_path, monkeypatch):
    """A reader polling the package while it is replaced 40 times sees a complete package at
    every instant: the old or the new, never a mix (with two renames, also briefly none)."""
    if not exchange:
        monkeypatch.setattr(pk, "_exchange", lambda a, b: False)
    target = tmp_path / "hero"
    pk.write_files(target, synthetic("v0"))
    done = threading.Event()
    seen, problems = set(), []

    def reader():
        while not done.is_set():
            try:
                seen.add(poll(target))
            except AssertionError as exc:
                problems.append(str(exc))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for version in range(1, 41):
            pk.write_files(target, synthetic(f"v{version}"), force=True)
    finally:
        done.set()
        thread.join()
    assert problems == []
    assert read_complete(target) == "v40"
    assert len(seen - {None}) > 3  # the reader did watch it change
    if exchange:
        assert None not in seen  # renameat2: the path is never empty
    assert leftovers(tmp_path) == []


def test_a_kill_between_the_two_renames_is_undone_by_the_next_run(tmp_path, monkeypatch):
    """Where renameat2 is missing, the old package is moved aside before the new one goes in;
    a run killed (SIGKILL: no cleanup) in between leaves no package at the path, and the next
    run puts the old one back before it does anything else."""
    monkeypatch.setattr(pk, "_exchange", lambda a, b: False)
    target = tmp_path / "hero"
    pk.write_files(target, synthetic("old"))
    pid = os.fork()
    if pid == 0:  # the child dies right after moving the old package aside
        real_rename = os.rename

        def rename_then_die(src, dst):
            real_rename(src, dst)
            if str(dst).endswith("package"):
                os._exit(9)

        os.rename = rename_then_die
        try:
            pk.write_files(target, synthetic("new"), force=True)
        finally:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 9
    assert not target.exists()
    assert len(leftovers(tmp_path)) == 2  # the old package aside, the new one unfinished
    with pytest.raises(OutputError, match="exists"):
        pk.write_files(target, synthetic("other"))  # the next run: restores, then refuses
    assert read_complete(target) == "old"
    assert leftovers(tmp_path) == []


def test_stale_temporaries_of_a_killed_run_are_removed(tmp_path):
    target = tmp_path / "hero"
    pk.write_files(target, synthetic("old"))
    stale = [tmp_path / ".hero.abcdefgh.refprep-new", tmp_path / ".hero.zip.ijklmnop.refprep-new",
             tmp_path / ".hero.qrstuvwx.refprep-old", tmp_path / ".other.yzabcdef.refprep-new"]
    for path in stale:
        if path.name.endswith("-old") or ".zip." not in path.name:
            path.mkdir()
            (path / "01.bin").write_bytes(b"half")
        else:
            path.write_bytes(b"PK half")
    unrelated = tmp_path / ".hero.notes"
    unrelated.write_text("not ours")
    pk.write_files(target, synthetic("new"), force=True, make_zip=True)
    assert read_complete(target) == "new"
    assert leftovers(tmp_path) == [".hero.notes"]


def test_concurrent_writers_never_corrupt_the_package(tmp_path):
    """Eight threads replacing one package at once (each holds its own lock handle, as
    separate processes do): the result is one complete package, nothing left over."""
    target = tmp_path / "hero"
    errors = []

    def write(tag):
        try:
            pk.write_files(target, synthetic(tag), force=True, make_zip=True)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(f"t{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert read_complete(target).startswith("t")
    assert leftovers(tmp_path) == []

    other = tmp_path / "villain"
    outcomes = []

    def write_once(tag):
        try:
            pk.write_files(other, synthetic(tag))
            outcomes.append("written")
        except OutputError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=write_once, args=(f"u{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("written") == 1
    assert all("exists" in outcome for outcome in outcomes if outcome != "written")
    read_complete(other)


def test_a_run_waits_for_another_writing_then_says_so(tmp_path, monkeypatch):
    import fcntl

    monkeypatch.setattr(pk, "LOCK_WAIT_S", 0.3)
    fd = os.open(tmp_path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        start = time.monotonic()
        with pytest.raises(OutputError, match="another refprep run is writing"):
            pk.write_files(tmp_path / "hero", synthetic("new"))
        assert time.monotonic() - start < 5
    finally:
        os.close(fd)
    assert list(tmp_path.iterdir()) == []


def test_two_real_builds_of_one_package_at_once(tmp_path):
    """Two `refprep build` processes racing for one package: one writes it, the other is told
    it exists (or, with --force, both succeed one after the other); it always validates."""
    out = tmp_path / "out"
    command = [sys.executable, "-m", "refprep", "build", "-q", str(SMALL), "-o", str(out), "--name", "race"]
    for extra in ([], ["--force"]):
        shutil.rmtree(out, ignore_errors=True)
        runs = [subprocess.Popen(command + extra, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        results = [(run.wait(timeout=300), run.stderr.read()) for run in runs]
        codes = sorted(code for code, _ in results)
        if extra:
            assert codes[1] in (0, 1) and codes[0] in (0, 1), results
        else:
            assert codes[0] in (0, 1) and codes[1] == 2, results
            loser = next(err for code, err in results if code == 2)
            assert "exists" in loser and loser.count("\n") == 1
        assert [p.name for p in out.iterdir()] == ["race"]
        manifest = json.loads((out / "race" / "manifest.json").read_text())
        assert refprep.validate(out / "race").problems == manifest["problems"]


# --- folders that cannot be written ------------------------------------------------------------

def test_output_path_that_is_a_file(tmp_path, shared_models):
    blocker = tmp_path / "out"
    blocker.write_text("a file")
    result = cli("build", "-q", SMALL, "-o", blocker)  # click's own usage error
    assert result.exit_code == 2 and "is a file" in result.stderr
    result = cli("build", "-q", SMALL, "-o", blocker / "packages")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "cannot create the output folder" in result.stderr
    assert blocker.read_text() == "a file"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.parametrize("failure", [(errno.EACCES, "Permission denied"), (errno.EROFS, "Read-only file system")])
def test_unwritable_output_folder_fails_in_one_line(failure, tmp_path, shared_models, monkeypatch):
    code, text = failure

    def refuse(*args, **kwargs):
        raise OSError(code, text)

    monkeypatch.setattr(pk, "make_temp_dir", refuse)
    result = cli("build", "-q", SMALL, "-o", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and text in result.stderr and "figure_rgba" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_full_disk_midway_leaves_the_old_package_and_nothing_else(tmp_path, shared_models, monkeypatch):
    first = cli("build", "-q", SMALL, "-o", tmp_path)
    assert first.exit_code in (0, 1), first.stderr
    package = tmp_path / "figure_rgba"
    before = {p.name: p.read_bytes() for p in package.iterdir()}
    real = pk._write_synced
    written = []

    def fill_up(path, data):
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(path)
        real(path, data)

    monkeypatch.setattr(pk, "_write_synced", fill_up)
    result = cli("build", "-q", SMALL, "-o", tmp_path, "--force", "--zip")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "No space left on device" in result.stderr
    assert {p.name: p.read_bytes() for p in package.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figure_rgba"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_for_real(tmp_path, shared_models):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        result = cli("build", "-q", SMALL, "-o", out)
        assert result.exit_code == 2 and result.stderr.count("\n") == 1
        assert list(out.iterdir()) == []
    finally:
        out.chmod(0o755)


def _unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt || exit 1"],
                           capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not sys.platform.startswith("linux") or not _unshare_works(),
                    reason="needs unshare -rm and tmpfs (a private mount namespace)")
def test_real_full_disk_and_read_only_mount(tmp_path):
    """A real tmpfs filled up and a real read-only remount, in a private mount namespace: the
    kernel's own ENOSPC and EROFS, through the installed command."""
    mount = tmp_path / "mnt"
    mount.mkdir()
    script = f"""
set -u
M={mount}
run() {{ {sys.executable} -m refprep build -q {SMALL} -o "$M/out" --name hero "$@"; echo "exit=$?"; }}
mount -t tmpfs -o size=2m tmpfs "$M"
run
cat /dev/zero > "$M/filler" 2>/dev/null
echo "--- full"
run --force --zip
ls -A "$M/out"
{sys.executable} -m refprep validate "$M/out/hero" > /dev/null; echo "validate=$?"
rm "$M/filler"
mount -o remount,ro "$M"
echo "--- read-only"
run --force
mount -o remount,rw "$M"
ls -A "$M/out"
rm -rf "$M/out"; mount -o remount,ro "$M"
echo "--- read-only, no folder"
run
"""
    result = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=300)
    out, err = result.stdout, result.stderr
    first, full, read_only, no_folder = out.split("--- ")
    assert first.strip().splitlines()[-1] in ("exit=0", "exit=1"), (out, err)
    full_lines = full.strip().splitlines()
    assert "exit=2" in full_lines and full_lines[full_lines.index("exit=2") + 1:][0] == "hero", (out, err)
    assert "validate=0" in full or "validate=1" in full
    assert "No space left on device" in err
    assert "exit=2" in read_only and read_only.strip().splitlines()[-1] == "hero", (out, err)
    assert "Read-only file system" in err
    assert "exit=2" in no_folder
    errors = [line for line in err.splitlines() if line.startswith("refprep: error:")]
    assert len(errors) == len(err.strip().splitlines()) == 3, err
