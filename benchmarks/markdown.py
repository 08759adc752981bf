"""Benchmarks write their results into docs/benchmarks.md themselves, each in its own section
between ``<!-- NAME -->`` and ``<!-- /NAME -->`` markers, so numbers are never hand-kept."""

from __future__ import annotations

import platform
import re
from datetime import date
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
HEADER = ("# Benchmarks\n\nEach section below is written by the benchmark it names (`--markdown`), "
          "on the machine and data it says; rerun the command to refresh it.\n")


def table(columns: list[str], rows: list[list]) -> str:
    """A markdown table; None prints as a dash."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join("-" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_section(name: str, body: str, command: str, path: Path = DOC) -> Path:
    """Replace (or append) section ``name`` of ``path`` with ``body``, stamped with the
    command, the date and the machine."""
    stamp = (f"`{command}`, {date.today().isoformat()}, {platform.machine()} "
             f"({_cores()} cores), Python {platform.python_version()}")
    section = f"<!-- {name} -->\n{body.rstrip()}\n\n_Measured by {stamp}._\n<!-- /{name} -->"
    text = path.read_text(encoding="utf-8") if path.is_file() else HEADER
    pattern = re.compile(rf"<!-- {re.escape(name)} -->.*?<!-- /{re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _cores() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
