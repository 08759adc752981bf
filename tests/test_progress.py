"""Progress (issue 25): one bar per command on stderr, its label the stage it is in, moving only
forward; nothing with -q, nothing when stderr is not a terminal."""

from __future__ import annotations

import io
import re

import pytest

import refprep
from refprep.cli import COMMAND_STAGES, Progress

from cli_helpers import cli, shared_models  # noqa: F401  (a fixture)
from conftest import FIXTURES


class Terminal(io.StringIO):
    def isatty(self):
        return True


def frames(text: str) -> list[tuple[str, str, int]]:
    """(command, stage, percent) of every redraw of the bar."""
    return [(m[1], m[2], int(m[3])) for m in re.finditer(r"\r(\w+) (\w+) +\[[#.]+\] +(\d+)%", text)]


def test_a_build_draws_one_bar_labelled_with_each_stage(tmp_path, shared_models):
    terminal = Terminal()
    with Progress(False, "build", stream=terminal) as progress:
        refprep.build([FIXTURES / "sheet_row3_vignette.png"], out_dir=tmp_path, progress=progress)
    text = terminal.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")  # one bar, finished once
    shown = frames(text)
    assert {command for command, _, _ in shown} == {"build"}
    assert [stage for stage, _ in dict.fromkeys((s, None) for _, s, _ in shown)] == \
        ["load", "split", "clean", "composite", "pose", "check", "export", "write"]
    percents = [percent for _, _, percent in shown]
    assert percents == sorted(percents) and percents[-1] == 100


def test_several_files_fill_the_same_bar(tmp_path, shared_models):
    terminal = Terminal()
    with Progress(False, "build", stream=terminal) as progress:
        refprep.build([FIXTURES / "single_front_white.png", FIXTURES / "sheet_row3_vignette.png"], out_dir=tmp_path,
                      jobs=1, progress=progress)
    shown = frames(terminal.getvalue())
    assert terminal.getvalue().count("\n") == 1
    assert [stage for stage in dict.fromkeys(s for _, s, _ in shown)] == ["files", "export", "write"]
    percents = [percent for _, _, percent in shown]
    assert percents == sorted(percents) and percents[-1] == 100


@pytest.mark.parametrize("command", ["check", "pose", "split", "clean"])
def test_every_command_has_one_bar_that_reaches_the_end(command):
    terminal = Terminal()
    with Progress(False, command, stream=terminal) as progress:
        for stage, _ in COMMAND_STAGES[command]:
            for done in range(1, 4):
                progress(stage, done, 3)
    shown = frames(terminal.getvalue())
    assert terminal.getvalue().count("\n") == 1 and shown[-1][2] == 100


def test_a_failing_command_wipes_its_bar():
    terminal = Terminal()
    with pytest.raises(RuntimeError):
        with Progress(False, "build", stream=terminal) as progress:
            progress("load", 1, 1)
            raise RuntimeError
    assert "\n" not in terminal.getvalue() and terminal.getvalue().endswith("\r\x1b[2K")


def test_quiet_or_not_a_terminal_prints_nothing():
    for progress in (Progress(True, "build", stream=Terminal()), Progress(False, "build", stream=io.StringIO())):
        with progress:
            progress("load", 1, 1)
        assert progress.stream.getvalue() == ""


def test_cli_stderr_has_no_progress_lines_when_piped(tmp_path, shared_models):
    result = cli("split", FIXTURES / "sheet_row4_gradient.png", "-o", tmp_path / "views")
    assert result.exit_code == 0 and result.stderr == ""
