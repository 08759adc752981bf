"""Shared test helpers: where fixtures and devdata are, and one model pipeline per session."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
DEVDATA = REPO.parent / "shared" / "devdata"


HEAVY_MODULES = ("cv2", "onnxruntime", "mediapipe", "rembg", "numpy", "PIL", "jsonschema", "scipy")


def heavy_imports(*commands: list[str]) -> list[str]:
    """The heavy modules loaded after running each CLI command in one fresh interpreter
    (each command must exit 0)."""
    script = ("import json, sys; from click.testing import CliRunner; from refprep.cli import main\n"
              f"for args in {list(commands)!r}:\n"
              "    result = CliRunner().invoke(main, args)\n"
              "    assert result.exit_code == 0, (args, result.output)\n"
              f"print(json.dumps(sorted(set({list(HEAVY_MODULES)!r}) & set(sys.modules))))")
    probe = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    return json.loads(probe.stdout)


from pose_bench import box_iou  # noqa: E402,F401  (shared with the benchmark's view matching)


@pytest.fixture(scope="session")
def ground_truth() -> dict:
    return json.loads((FIXTURES / "ground_truth.json").read_text())


@pytest.fixture(scope="session")
def devdata_labels() -> list[dict]:
    if not (DEVDATA / "labels.json").is_file():
        pytest.skip("../shared/devdata is not here")
    return json.loads((DEVDATA / "labels.json").read_text())


@pytest.fixture(scope="session")
def pipeline():
    """One set of model sessions for the whole test run (loading them is the slow part)."""
    from refprep.api import Pipeline

    with Pipeline() as shared:
        yield shared


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.astronaut())
