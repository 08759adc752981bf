"""Helpers shared by the hardening tests: the CLI in this process, and borrowed model sessions."""

from __future__ import annotations

import pytest


def cli(*args):
    """``refprep ARGS`` through click's CliRunner in this process; stderr kept apart."""
    from click.testing import CliRunner

    from refprep.cli import main

    try:
        runner = CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        runner = CliRunner()
    return runner.invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def shared_models(pipeline):
    """api.build's Pipeline, borrowing the session's model sessions (never closed here): the
    CLI runs as it does for a user, without loading the models again for every case."""
    from refprep import api

    real = api.Pipeline

    class Borrowed(real):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._segmenter, self._poser = pipeline.segmenter, pipeline.poser

        def close(self):
            pass

    api.Pipeline = Borrowed
    yield
    api.Pipeline = real
