"""Hostile and awkward inputs (benchmarks/hostile_corpus.py) through the real CLI.

Every case: exit 2 with exactly one stderr line naming the file and the reason, and no package;
or exit 0/1 with a package that ``refprep validate`` accepts with the same verdict. Never a
traceback, never an internal error, never a temporary entry left behind. Most cases run through
click's CliRunner in this process, sharing one set of model sessions (loading them is the slow
part); a few run as real subprocesses, with a timeout and their peak memory measured.
"""

from __future__ import annotations

import json
import sys

import pytest

import refprep
from cli_helpers import cli, shared_models  # noqa: F401  (a fixture)

import hostile_corpus as hc

CASES = {case.name: case for case in hc.cases()}
# Peak RSS of one `refprep build` of a corpus file, models included (README, "Memory"): the
# corpus's images are small, so this is the models' footprint plus a little.
CORPUS_RSS_MB = 1200
# A decompression bomb is refused from its header: the process never grows past the
# interpreter, Pillow and NumPy.
BOMB_RSS_MB = 300


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    hc.write_corpus(folder)
    return folder


def validate_in_process(package):
    report = refprep.validate(package)
    manifest = json.loads((package / "manifest.json").read_text())
    return (0 if report.status == "valid" else 1), report.problems, manifest["problems"]


@pytest.mark.parametrize("name", sorted(CASES), ids=ascii)
def test_every_hostile_case_gets_a_clean_answer(name, corpus, shared_models, tmp_path):
    out = tmp_path / "out"
    result = cli("build", "-q", "-o", out, "--", corpus / name)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    expected = json.loads((corpus / hc.EXPECTED).read_text())[name]
    wrong = hc.check_outcome(name, result.exit_code, result.stderr, out, validate_in_process, expected)
    assert wrong == [], f"{ascii(name)} ({CASES[name].note}): {wrong}"
    if result.exit_code in (0, 1):
        (package,) = [p for p in out.iterdir()]
        assert package.parent == out


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.expect == "reject"), ids=ascii)
def test_check_refuses_the_same_files_in_one_line(name, corpus, shared_models):
    result = cli("check", "-q", "--", corpus / name)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and CASES[name].reason in lines[0].lower(), lines


def test_check_prints_names_that_are_not_utf8(corpus):
    """A Latin-1 file name: the table shows it escaped, and the command does not stop."""
    name = hc.os.fsdecode(b"latin1-\xe9t\xe9.png")
    code, out, err, _ = hc.run_measured([sys.executable, "-m", "refprep", "check", "-q", str(corpus / name)], 180)
    assert code in (0, 1), err
    assert "latin1-\\udce9t\\udce9.png" in out.splitlines()[0]


@pytest.mark.parametrize("name", ["bomb_png_30000x30000_real.png", "pipe.png", "line\nbreak.png", "cmyk.jpg"],
                         ids=ascii)
def test_real_subprocess_on_a_few_cases(name, corpus, tmp_path):
    """The installed command on the cases where a process matters: memory (a bomb must be
    refused before decoding), blocking (a FIFO), what reaches the terminal, a full build."""
    out = tmp_path / "out"
    code, _, stderr, peak_mb = hc.run_measured(
        [sys.executable, "-m", "refprep", "build", "-q", "-o", str(out), "--", str(corpus / name)], timeout=180)
    assert code is not None, "timed out"
    expected = json.loads((corpus / hc.EXPECTED).read_text())[name]
    wrong = hc.check_outcome(name, code, stderr, out, validate_in_process, expected)
    assert wrong == [], wrong
    assert peak_mb < (BOMB_RSS_MB if name.startswith("bomb") else CORPUS_RSS_MB), f"peak RSS {peak_mb:.0f} MB"


def test_devices_are_refused_without_reading(tmp_path):
    """/dev/zero never ends and /dev/stdin would wait: both are refused from their type."""
    for device in ("/dev/zero", "/dev/stdin"):
        code, _, stderr, _ = hc.run_measured(
            [sys.executable, "-m", "refprep", "build", "-q", "-o", str(tmp_path), device], timeout=60)
        assert code == 2, stderr
        assert stderr.count("\n") == 1 and "not a regular file" in stderr and device in stderr


def test_error_lines_escape_control_characters(corpus, tmp_path):
    """A file name with a newline or a terminal escape is printed escaped, on one line."""
    bad = tmp_path / "evil\n\x1b[2Jname.png"
    bad.write_bytes(b"not an image")
    result = cli("build", "-q", "-o", tmp_path / "out", bad)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "evil\\x0a\\x1b[2Jname.png" in result.stderr and "\x1b" not in result.stderr


def test_manifest_records_awkward_source_names_as_valid_unicode(corpus, shared_models, tmp_path):
    for name, recorded in (("he\u0301ros.png", "he\u0301ros.png"), ("line\nbreak.png", "line\nbreak.png"),
                           (hc.os.fsdecode(b"latin1-\xe9t\xe9.png"), "latin1-\ufffdt\ufffd.png")):
        out = tmp_path / ascii(name).strip("'").replace("\\", "_")
        result = cli("build", "-q", "-o", out, "--", corpus / name)
        assert result.exit_code in (0, 1), result.stderr
        (package,) = out.iterdir()
        manifest = json.loads((package / "manifest.json").read_text())
        assert manifest["sources"][0]["file"] == recorded
