"""Exit codes (issue 25): only bad input and usage exit 2, with one line; anything else is a
bug, reported as "internal error" with exit 70, and REFPREP_DEBUG=1 prints its traceback."""

from __future__ import annotations

import errno

import pytest

import refprep
from refprep import api
from refprep.errors import UsageError

from cli_helpers import cli
from conftest import FIXTURES

SINGLE = FIXTURES / "single_front_white.png"


@pytest.mark.parametrize("error", [ValueError("a bug"), OSError(errno.EIO, "disk said no"), KeyError("view"),
                                   TypeError("a bug"), RuntimeError("a bug")], ids=lambda e: type(e).__name__)
def test_an_unexpected_error_is_an_internal_error(error, monkeypatch):
    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(api, "pose", broken)
    monkeypatch.delenv("REFPREP_DEBUG", raising=False)
    result = cli("pose", SINGLE)
    assert result.exit_code == 70
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("refprep: internal error (") and "REFPREP_DEBUG=1" in lines[0]
    assert "Traceback" not in result.stderr

    monkeypatch.setenv("REFPREP_DEBUG", "1")
    result = cli("pose", SINGLE)
    assert result.exit_code == 70
    assert "Traceback (most recent call last)" in result.stderr and "in broken" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("refprep: internal error (")


@pytest.mark.parametrize("args, words", [
    (["build", SINGLE, "--background", "plaid"], "unknown background 'plaid'"),
    (["clean", SINGLE, "--background", "#12345"], "unknown background"),
    (["build", SINGLE, "--preset", "nope"], "'nope' is not one of"),
    (["check", SINGLE, "--preset", "nope"], "'nope' is not one of"),
    (["build", SINGLE, "--model", "nope"], "'nope' is not one of"),
    (["clean", SINGLE, "--model", "nope"], "'nope' is not one of"),
    (["pose", SINGLE, "--views", "f,upside_down"], "upside_down"),
    (["pose", "no-such-file.png"], "no-such-file.png: no such file"),
])
def test_bad_usage_and_input_exit_2_in_one_line(args, words, tmp_path):
    result = cli(*args, "-o", tmp_path / "out") if args[0] in ("build", "clean") else cli(*args)
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("refprep: error: ") and words in lines[0], lines
    assert not (tmp_path / "out").exists()


def test_option_value_errors_are_usage_errors_in_the_api():
    for call in (lambda: refprep.clean([SINGLE], background="plaid"), lambda: refprep.check([SINGLE], preset="nope")):
        with pytest.raises(UsageError):
            call()
    with pytest.raises(ValueError):  # still a ValueError for callers that catch that
        refprep.build([SINGLE], preset="nope")
