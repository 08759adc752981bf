"""A batch worker's memory stays bounded: model runtimes do not hoard memory, and the big
full-resolution steps do not make needless copies (issue 23: peak RSS per worker <= 1 GB)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from conftest import REPO

# In a fresh process (ONNX Runtime's allocators are per process): u2netp run three times,
# then the text detector, then the recogniser; the resident memory after each.
RUNTIME_MEMORY = """
import json
import numpy as np
from refprep.evidence.text import TextReader
from refprep.stages.clean import U2netpSession

def rss_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024

rng = np.random.default_rng(0)
image = rng.integers(0, 256, (200, 300, 3), dtype=np.uint8)
segmenter = U2netpSession(threads=1)
after = {}
for run in (1, 2, 3):
    segmenter.predict_mask(image)
    after[f"u2netp {run}"] = rss_mb()
reader = TextReader(max_side=960, threads=1)
reader._load_det(), reader._load_rec()
after["text loaded"] = rss_mb()
page = np.full((540, 960, 3), 255, np.uint8)
page[200:240, 100:700] = 0
reader.read(page)
after["text"] = rss_mb()
print(json.dumps(after))
"""


def test_model_runtimes_reuse_one_working_set():
    """u2netp's second run used to keep a second copy of its ~250 MB working set (ONNX
    Runtime's memory pattern beside its arena), and every session had an arena of its own."""
    process = subprocess.run([sys.executable, "-c", RUNTIME_MEMORY], capture_output=True, text=True,
                             cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert process.returncode == 0, process.stderr[-2000:]
    after = json.loads(process.stdout.strip().splitlines()[-1])
    assert after["u2netp 3"] - after["u2netp 1"] < 40, after  # with a memory pattern: +200 MB
    assert after["text"] - after["text loaded"] < 80, after  # each session with its own arena: +120 MB


def test_in_place_guided_filter_gives_the_plain_formulas_matte():
    import cv2

    from refprep import thresholds as T
    from refprep.stages.clean import saliency_matte

    rng = np.random.default_rng(23)
    figure = np.zeros((240, 330), np.uint8)
    cv2.ellipse(figure, (165, 120), (60, 100), 0, 0, 360, 1, -1)
    rgb = np.where(figure[:, :, None] > 0, (200, 60, 40), (90, 140, 90)).astype(np.uint8)
    rgb = cv2.add(rgb, rng.integers(0, 20, rgb.shape, dtype=np.uint8))  # a scene's texture
    saliency = cv2.GaussianBlur(figure.astype(np.float32), (0, 0), 6)  # u2netp's soft rim
    # The guided filter written plainly, as it was before it computed in place.
    radius = max(2, round(T.GUIDED_RADIUS_SHARE * max(rgb.shape[:2])))
    guide = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    size = (2 * radius + 1, 2 * radius + 1)
    mean_i, mean_p = cv2.blur(guide, size), cv2.blur(saliency, size)
    covariance = cv2.blur(guide * saliency, size) - mean_i * mean_p
    variance = cv2.blur(guide * guide, size) - mean_i * mean_i
    a = covariance / (variance + T.GUIDED_EPSILON)
    b = mean_p - a * mean_i
    expected = np.clip(cv2.blur(a, size) * guide + cv2.blur(b, size), 0.0, 1.0).astype(np.float32)

    matte = saliency_matte(rgb, saliency)
    assert matte.dtype == np.float32
    assert np.array_equal(matte, expected)
    assert np.ptp(matte) > 0.5  # subject and background told apart, not a flat answer
