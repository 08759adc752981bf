"""Upscale stage: views too small for a preset, enlarged with Real-ESRGAN before they are placed.

``Upscaler`` runs the bundled ``realesr-animevideov3-x4`` (SRVGGNetCompact, converted from
ncnn by ``models/convert_realesrgan.py``) under ONNX Runtime, x4, tiled. ``upscale_factors``
decides how much each source's views grow for ``--upscale auto|never|always``, one factor per
source so the views of a sheet keep one scale. ``enlarge_view`` grows a view's cut-out (its
pixels and its matte) and composites it again onto the flat background, so outside the
subject the background stays exactly the target colour.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ..data import View
from ..errors import ModelError, UsageError
from ..models import UPSCALE_MODES
from ..thresholds import UPSCALE_CONTEXT, UPSCALE_MAX_FACTOR, UPSCALE_MAX_LONG_SIDE, UPSCALE_TILE

MODEL_NAME = "realesr_animevideov3_x4"
MODEL_SCALE = 4


def check_upscale_mode(mode: str) -> str:
    """``mode`` if it is one of UPSCALE_MODES, else UsageError."""
    if mode not in UPSCALE_MODES:
        raise UsageError(f"unknown --upscale {mode!r} (auto, never or always)")
    return mode


class Upscaler:
    """Real-ESRGAN x4 on the CPU; the ONNX Runtime session loads on first use.

    Parameters
    ----------
    threads : int, optional
        ONNX Runtime's intra-op threads (None: one per core).

    Examples
    --------
    >>> import numpy as np
    >>> Upscaler().enlarge(np.zeros((20, 30, 3), np.uint8)).shape
    (80, 120, 3)
    """

    def __init__(self, threads: int | None = None):
        self.threads = threads
        self._session = None

    @property
    def session(self):
        if self._session is None:
            import onnxruntime as ort

            from ..models import bundled_model_path, onnx_session_options

            path = bundled_model_path(MODEL_NAME)
            try:
                self._session = ort.InferenceSession(str(path), sess_options=onnx_session_options(self.threads),
                                                     providers=["CPUExecutionProvider"])
            except Exception as exc:  # onnxruntime raises its own error types
                raise ModelError(f"model file unusable: {path} ({exc})") from None
        return self._session

    def enlarge(self, rgb: np.ndarray) -> np.ndarray:
        """``rgb`` (HxWx3 uint8) four times larger, 4Hx4Wx3 uint8.

        The image is edge-padded by UPSCALE_CONTEXT and cut into tiles of at most
        UPSCALE_TILE pixels a side, each run with that much context on every side (as
        realesrgan-ncnn-vulkan does), so memory stays flat on a large view.
        """
        height, width = rgb.shape[:2]
        padded = np.pad(rgb, ((UPSCALE_CONTEXT,) * 2, (UPSCALE_CONTEXT,) * 2, (0, 0)), mode="edge")
        tensor = (padded.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]
        out = np.empty((height * MODEL_SCALE, width * MODEL_SCALE, 3), np.uint8)
        for top in range(0, height, UPSCALE_TILE):
            for left in range(0, width, UPSCALE_TILE):
                bottom, right = min(top + UPSCALE_TILE, height), min(left + UPSCALE_TILE, width)
                # In ``padded`` the tile starts at (top + context): its context reaches back to top.
                tile = np.ascontiguousarray(tensor[:, :, top:bottom + 2 * UPSCALE_CONTEXT,
                                                   left:right + 2 * UPSCALE_CONTEXT])
                result = self.session.run(None, {"input": tile})[0][0]
                c = UPSCALE_CONTEXT * MODEL_SCALE
                inner = result[:, c:result.shape[1] - c, c:result.shape[2] - c]
                out[top * MODEL_SCALE:bottom * MODEL_SCALE, left * MODEL_SCALE:right * MODEL_SCALE] = (
                    np.clip(inner.transpose(1, 2, 0) * 255.0 + 0.5, 0, 255).astype(np.uint8))
        return out


def _resolution_value(view: View) -> float | None:
    return next((check.value for check in view.checks if check.id == "resolution"), None)


def needed_factor(view: View, preset) -> float:
    """How much ``view`` must grow for ``preset``: its canvas's shorter side up to the preset's
    minimum side, and its resolution (the check's value) up to the check's warn level."""
    canvas_w, canvas_h = view.canvas[:2]
    factor = 1.0
    if preset.min_side:
        factor = max(factor, preset.min_side / min(canvas_w, canvas_h))
    resolution = _resolution_value(view)
    if resolution:
        factor = max(factor, preset.thresholds()["resolution"]["warn"] / resolution)
    return factor


def upscale_factors(views: list[View], preset, mode: str = "auto") -> dict[int, float]:
    """How much the views of each source grow, by source index (1.0: not at all).

    ``auto``: a source whose views include one under the preset's minimum side or the
    resolution check's warn level grows by what its neediest view needs; ``always``: every
    source grows UPSCALE_MAX_FACTOR; ``never``: none. One factor per source keeps the views
    of a sheet at one scale. It is at most UPSCALE_MAX_FACTOR, and no more than takes the
    canvas to the preset's maximum side (the export would scale the extra away) or to
    UPSCALE_MAX_LONG_SIDE.

    Examples
    --------
    >>> from refprep.data import View, Check
    >>> from refprep.targets.presets import get_preset
    >>> view = View(0, (0, 0, 90, 180), np.zeros((180, 90, 3), np.uint8), canvas=(120, 210, 15, 15),
    ...             checks=[Check("resolution", "fail", 180.0, 512, "")])
    >>> upscale_factors([view], get_preset("kling-element"))
    {0: 4.0}
    >>> upscale_factors([view], get_preset("kling-element"), "never")
    {0: 1.0}
    """
    check_upscale_mode(mode)
    factors: dict[int, float] = {}
    for view in views:
        if mode == "never":
            wanted = 1.0
        elif mode == "always":
            wanted = UPSCALE_MAX_FACTOR
        else:
            wanted = needed_factor(view, preset)
        factors[view.source_index] = max(factors.get(view.source_index, 1.0), wanted)
    for view in views:
        longest = min(preset.max_side or UPSCALE_MAX_LONG_SIDE, UPSCALE_MAX_LONG_SIDE)
        cap = min(UPSCALE_MAX_FACTOR, longest / max(view.canvas[:2]))
        factors[view.source_index] = min(factors[view.source_index], cap)
    return {index: factor if factor > 1.0 else 1.0 for index, factor in factors.items()}


def enlarge_view(view: View, factor: float, target, upscaler: Upscaler) -> View:
    """``view`` grown by ``factor``: its crop through Real-ESRGAN (x4, then area-resized to
    the factor), its matte resized (cubic, clipped, snapped), its canvas scaled, and the
    cut-out composited again over ``target`` (None: transparent).

    Growing the cut-out rather than the finished picture keeps the background flat: pixels
    the grown matte leaves clear are the target colour exactly, as in the clean stage.
    """
    import cv2

    from .clean import composite_view, snap_matte, view_backdrop

    height, width = view.alpha.shape
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    grown = upscaler.enlarge(view.image)
    if size != (grown.shape[1], grown.shape[0]):
        grown = cv2.resize(grown, size, interpolation=cv2.INTER_AREA)
    alpha = snap_matte(np.clip(cv2.resize(view.alpha, size, interpolation=cv2.INTER_CUBIC), 0.0, 1.0))
    backdrop = cv2.resize(view_backdrop(view), size, interpolation=cv2.INTER_LINEAR)
    canvas_w, canvas_h, paste_x, paste_y = view.canvas
    # Every view of a sheet gets the same canvas; rounding may move a view by a pixel to fit it.
    canvas_w, canvas_h = math.ceil(canvas_w * factor), math.ceil(canvas_h * factor)
    x = max(0, min(round(paste_x * factor), canvas_w - size[0]))
    y = max(0, min(round(paste_y * factor), canvas_h - size[1]))
    canvas = (canvas_w, canvas_h, x, y)
    enlarged = replace(view, image=grown, alpha=alpha, mask=alpha > 0, canvas=canvas)
    return replace(enlarged, cleaned=composite_view(enlarged, alpha, backdrop, target))
