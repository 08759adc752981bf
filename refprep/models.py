"""The models refprep ships, where they are, and a check that each file is the one we tested.

The bundled files live in the repo's ``models/`` folder, which the wheel installs as
``refprep/models``; ``models/README.md`` records the source, sha256 and licence of each.
Nothing here downloads anything: only a non-bundled rembg model named with ``--model``
may be fetched, by rembg itself, and the CLI says so first.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import ModelError


@dataclass(frozen=True)
class BundledModel:
    name: str
    filename: str
    sha256: str
    purpose: str


BUNDLED_MODELS: dict[str, BundledModel] = {
    m.name: m
    for m in (
        BundledModel(
            "u2netp",
            "u2netp.onnx",
            "309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8",
            "background removal (salient-object mask), rembg's u2netp",
        ),
        BundledModel(
            "face_detection_short_range",
            "face_detection_short_range.tflite",
            "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
            "BlazeFace face detector for faces filling much of the frame",
        ),
        BundledModel(
            "face_detection_full_range",
            "face_detection_full_range_sparse.tflite",
            "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1",
            "BlazeFace face detector for small or distant faces",
        ),
        BundledModel(
            "face_landmark",
            "face_landmark.tflite",
            "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814",
            "468-point face mesh, used for yaw/pitch/roll",
        ),
        BundledModel(
            "ppocr_det",
            "PP-OCRv6_det_small.onnx",
            "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f",
            "PP-OCRv6 small text detector (DB), finds printed view captions on sheets",
        ),
        BundledModel(
            "ppocr_rec",
            "PP-OCRv6_rec_small.onnx",
            "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884",
            "PP-OCRv6 small text recogniser (Latin + CJK), reads those captions",
        ),
        BundledModel(
            "pose_landmark_full",
            "pose_landmark_full.tflite",
            "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
            "BlazePose 33-point body landmarks, used for whole-body facing (yaw all the way round)",
        ),
        BundledModel(
            "realesr_animevideov3_x4",
            "realesr-animevideov3-x4.onnx",
            "3787f923a7bb09d5799bd3ed68161873cc4d31fc3bfeca9298917d6b309ca770",
            "Real-ESRGAN realesr-animevideov3 x4 super-resolution, enlarges views too small for a preset (--upscale)",
        ),
    )
}

# When ``build`` enlarges views with the bundled Real-ESRGAN (``--upscale``): views too small for
# the preset, every view, or none. Here, not in the stage, so the CLI lists them without numpy.
UPSCALE_MODES: tuple[str, ...] = ("auto", "never", "always")
# Enlarging is asked for, not done unasked: the network costs about 0.3 CPU s per 180 px figure
# and grows with the view's area (about 4 s for a 700x300 crop), which doubled the build time of
# small sheets; and what it adds is invented detail the creator should choose.
DEFAULT_UPSCALE = "never"

# Larger rembg models a user may name with --model. rembg downloads them on first use.
# bria-rmbg (rembg's own default) is CC BY-NC and deliberately absent.
DOWNLOADABLE_REMBG_MODELS: tuple[str, ...] = ("u2net", "isnet-general-use", "birefnet-portrait", "silueta")


def models_dir() -> Path:
    """The folder holding the bundled models, installed or in a source checkout."""
    installed = Path(__file__).resolve().parent / "models"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "models"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=None)
def bundled_model_path(name: str) -> Path:
    """Path of a bundled model after checking it exists and its sha256 matches.

    Raises ModelError naming the file when it is missing or corrupt, so a damaged
    install says what is wrong instead of failing deep inside a runtime.
    """
    model = BUNDLED_MODELS[name]
    path = models_dir() / model.filename
    if not path.is_file():
        raise ModelError(f"model file missing: {path} (reinstall refprep)")
    if _sha256(path) != model.sha256:
        raise ModelError(f"model file corrupt: {path} (sha256 mismatch; reinstall refprep)")
    return path


def onnx_session_options(threads: int | None = None):
    """ONNX Runtime options for every refprep session: at most ``threads`` intra-op threads
    (None: its default, one per core), so parallel workers do not oversubscribe the CPU.

    Idle threads sleep rather than spin (spinning burnt a fifth more CPU for no gain on a
    busy 2-core machine). All sessions of a process draw their CPU tensors from one arena
    (``_shared_cpu_arena``): with an arena each, every session kept the largest working set
    it ever needed for the life of the process, though they never run at the same time. No
    memory pattern: planned once a shape is seen, it is one more block beside the arena's
    chunks of the first run (u2netp's second run took 200 MB more). The two took a batch
    worker's peak RSS from 1350 to 940 MB; neither changes any result or the CPU time.
    """
    import onnxruntime as ort

    _shared_cpu_arena()
    options = ort.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.use_env_allocators", "1")
    options.enable_mem_pattern = False
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    options.log_severity_level = 3  # the models' unused-initializer warnings are noise
    return options


@lru_cache(maxsize=None)
def _shared_cpu_arena() -> None:
    """Register, once per process, the CPU arena ONNX Runtime sessions share. It grows by
    what a run asks for, not by doubling (``kSameAsRequested``). Without an arena at all
    (``enable_cpu_mem_arena = False``) memory is lowest, but every run maps its tensors
    afresh and the page faults cost a quarter more CPU per model run."""
    import onnxruntime as ort

    same_as_requested = 1  # OrtArenaCfg's arena_extend_strategy; 0 is kNextPowerOfTwo
    ort.create_and_register_allocator(
        ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT),
        ort.OrtArenaCfg(0, same_as_requested, -1, -1))


def model_status() -> list[dict]:
    """One row per known model: bundled files with their state, and the optional downloads."""
    rows = []
    for model in BUNDLED_MODELS.values():
        path = models_dir() / model.filename
        if not path.is_file():
            state = "missing"
        elif _sha256(path) != model.sha256:
            state = "corrupt"
        else:
            state = "bundled"
        rows.append({"name": model.name, "file": model.filename, "status": state, "purpose": model.purpose})
    for name in DOWNLOADABLE_REMBG_MODELS:
        cached = rembg_cache_dir() / "models" / name / f"{name}.onnx"
        legacy = rembg_cache_dir() / f"{name}.onnx"
        state = "cached" if cached.is_file() or legacy.is_file() else "available (downloads on first use)"
        rows.append({"name": name, "file": f"{name}.onnx", "status": state,
                     "purpose": "optional larger rembg background-removal model (--model)"})
    return rows


def rembg_cache_dir() -> Path:
    """Where rembg keeps downloaded models (mirrors rembg's own rule)."""
    import os

    if os.getenv("U2NET_HOME"):
        return Path(os.path.expanduser(os.environ["U2NET_HOME"]))
    xdg = os.getenv("XDG_DATA_HOME")
    default = os.path.join(xdg, "rembg") if xdg else os.path.join("~", ".rembg")
    return Path(os.path.expanduser(os.getenv("REMBG_HOME", default)))
