"""Errors refprep raises on purpose; the CLI turns each into one line and an exit code."""

from __future__ import annotations

import contextlib
import os
import signal
import unicodedata


def printable(text) -> str:
    """``text`` (a str, bytes or a path) safe to print on one line: control and format
    characters (newline, tab, terminal escapes, line separators, bidi overrides) and bytes that
    are not valid UTF-8 are written as backslash escapes; everything else is kept as it is."""
    text = os.fsdecode(text) if isinstance(text, (bytes, os.PathLike)) else str(text)
    out = []
    for char in text:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif unicodedata.category(char) in _UNPRINTABLE and char not in _JOINERS:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


_UNPRINTABLE = {"Cc", "Cf", "Cs", "Zl", "Zp"}
_JOINERS = {"\u200c", "\u200d"}  # zero-width (non-)joiners: parts of emoji and of Persian words


class RefprepError(Exception):
    """Base class: a problem the user can act on, reported in one line."""

    exit_code = 2


class InputError(RefprepError):
    """An input file is missing, unreadable, unsupported or too large (exit 2)."""

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self):  # a worker process sends it back to the parent pickled
        return (InputError, (self.path, self.reason))


class UsageError(RefprepError, ValueError):
    """An option's value makes no sense (an unknown preset, background or device) or does not
    fit these inputs (exit 2). Also a ValueError, for callers of the Python API that catch that."""


class ModelError(RefprepError):
    """A model file is missing or corrupt, or a non-bundled model cannot be fetched (exit 2)."""


class RequestRefused(RefprepError):
    """A package cannot go into a generator's request as asked: it breaks the preset's rules or a
    request limit (exit 1, as a package that fails a check)."""

    exit_code = 1


class OutputError(RefprepError):
    """The package cannot be written where asked (exists without --force, read-only...) (exit 2)."""


def stop_signals() -> list[int]:
    """The signals that stop a command and must not cut a package in half: Ctrl-C (SIGINT),
    SIGTERM and SIGHUP, those this platform has."""
    return [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]


_deferring = [0]  # how many signals_deferred blocks are open
_pending: list = []  # what a stop signal that arrived inside them will raise


@contextlib.contextmanager
def signals_deferred():
    """A stop signal that arrives while the block runs is raised as the block ends.

    Python swallows an exception raised inside a finalizer, so Ctrl-C landing while a model
    runtime's ``__del__`` runs (dropping the sessions at the end of a run) would be printed
    as "Exception ignored" with a traceback, and then lost. Blocks that free model sessions
    run under this; the CLI's handler raises through ``deliver``.
    """
    _deferring[0] += 1
    try:
        yield
    finally:
        _deferring[0] -= 1
        if not _deferring[0] and _pending:
            stop = _pending[0]
            _pending.clear()
            stop()


def deliver(stop) -> None:
    """Call ``stop`` (which raises) now, or when the open ``signals_deferred`` block ends."""
    if _deferring[0]:
        _pending.append(stop)
    else:
        stop()
