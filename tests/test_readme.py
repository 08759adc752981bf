"""The README as a new user reads it (issue 25): every shell example runs as written, in order,
in a fresh folder holding the bundled fixtures; the Python API example runs too; the part for
users stays short, points to no path outside the clone and keeps no benchmark numbers."""

from __future__ import annotations

import re
import shlex
import shutil

import pytest

from cli_helpers import cli, shared_models  # noqa: F401  (a fixture)
from conftest import FIXTURES, REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
USER_PART = README.split("\n# Reference\n")[0]


def code_blocks(text: str) -> list[str]:
    """The fenced blocks and the indented blocks (four spaces after a blank line) of ``text``."""
    blocks, fenced = [], re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
    for match in fenced.finditer(text):
        blocks.append(match[1])
    rest = fenced.sub("", text)
    for match in re.finditer(r"(?:^|\n\n)((?:(?:    [^\n]*|)\n)*(?:    [^\n]*))", rest):
        blocks.append("\n".join(line[4:] for line in match[1].splitlines()))
    return blocks


def shell_examples(text: str) -> list[str]:
    lines = []
    for block in code_blocks(text):
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("$ "):
                line = line[2:]
            if line.startswith("refprep "):
                lines.append(line)
    return lines


def python_examples(text: str) -> list[str]:
    return [m[1] for m in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M)]


@pytest.fixture
def fresh_clone(tmp_path, monkeypatch):
    shutil.copytree(FIXTURES, tmp_path / "fixtures")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_readme_has_examples_of_every_command():
    commands = {shlex.split(line)[1] for line in shell_examples(README)}
    assert {"build", "check", "pose", "split", "clean", "validate", "models", "presets"} <= commands
    assert any("--views" in line for line in shell_examples(README))
    assert len(python_examples(README)) == 1


def test_every_readme_shell_example_runs_as_written(fresh_clone, shared_models):
    for line in shell_examples(README):
        args = shlex.split(line, comments=True)[1:]
        result = cli(*args)
        # 0: done and valid; 1: done, and an image fails a check (the README says so)
        assert result.exit_code in (0, 1), f"{line}\n{result.stderr}{result.output}"
        assert "error" not in result.stderr, line
    assert (fresh_clone / "refprep-out" / "example_sheet" / "report.html").is_file()
    assert (fresh_clone / "refprep-out" / "hero-kling.zip").is_file()


def test_the_readme_python_example_runs(fresh_clone, shared_models, capsys):
    for code in python_examples(README):
        exec(compile(code, "README.md", "exec"), {})
    assert "valid" in capsys.readouterr().out
    # and a second time in the same process, into a fresh folder
    shutil.rmtree(fresh_clone / "api-out")
    for code in python_examples(README):
        exec(compile(code, "README.md", "exec"), {})


def test_the_user_part_is_short_and_self_contained():
    words = len(USER_PART.split())
    assert words <= 1500, words
    assert "../shared" not in README and "devdata" not in README
    assert "pip install .\n" in USER_PART and '".[test]"' not in USER_PART
    assert '    pip install ".[test]"\n    pytest\n' in README  # what .ci/run does
    # No benchmark results kept by hand: percentages, "x -> y" change logs, seeds and counts.
    for pattern in (r"\d+(\.\d+)?\s*%", r"->\s*\d", r"\bseed \d+", r"\bcount \d+", r"\d+(\.\d+)? ?s per\b"):
        assert not re.search(pattern, README), pattern
    assert "docs/benchmarks.md" in README and (REPO / "docs" / "benchmarks.md").is_file()
    assert "docs/example_contact_sheet.png" in USER_PART and (REPO / "docs" / "example_contact_sheet.png").is_file()


def test_the_readme_documents_what_the_cli_offers():
    import click

    from refprep.cli import main

    for name, command in main.commands.items():
        assert f"refprep {name}" in README, name
        for param in command.params:
            if isinstance(param, click.Option):
                assert any(opt in README for opt in param.opts), f"refprep {name} {param.opts}"
