"""Errors refprep raises on purpose; the CLI turns each into one line and an exit code."""

from __future__ import annotations


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


class ModelError(RefprepError):
    """A model file is missing or corrupt, or a non-bundled model cannot be fetched (exit 2)."""


class OutputError(RefprepError):
    """The package cannot be written where asked (exists without --force, read-only...) (exit 2)."""
