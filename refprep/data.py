"""The plain data passed between pipeline stages.

One sheet travels as a ``Source`` (the loaded image) and a list of ``View`` objects.
Each stage takes views and returns richer copies (``dataclasses.replace``): split fills
``bbox``/``image``, clean fills ``cleaned``/``alpha``, pose fills ``pose``, quality fills
``checks``, package writes them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# The SPEC's view classes; the first six are the ones a yaw can fall in.
VIEW_CLASSES = ("front", "three_quarter_left", "three_quarter_right", "side_left", "side_right", "back", "unknown")


def coarse_class(view_class: str) -> str:
    """front, three_quarter, side, back (or unknown): the class without its side."""
    return view_class.replace("_left", "").replace("_right", "")


def classify_yaw(yaw_deg: float | None) -> str:
    """SPEC classes by |yaw|: front < 22.5 <= three_quarter < 67.5 <= side <= 112.5 < back."""
    from .thresholds import FRONT_MAX_YAW, SIDE_MAX_YAW, THREE_QUARTER_MAX_YAW

    if yaw_deg is None:
        return "unknown"
    magnitude = abs(yaw_deg)
    side = "right" if yaw_deg > 0 else "left"
    if magnitude < FRONT_MAX_YAW:
        return "front"
    if magnitude < THREE_QUARTER_MAX_YAW:
        return f"three_quarter_{side}"
    if magnitude <= SIDE_MAX_YAW:
        return f"side_{side}"
    return "back"


# A matte value above this marks the subject (half covered or more).
SUBJECT_ALPHA = 0.5


@dataclass
class Source:
    """One input image, decoded and normalised to RGB uint8 (HxWx3).

    ``alpha`` (HxW uint8) is kept when the file had transparency: it tells the
    splitter and the cleaner where the background is.
    """

    path: Path
    rgb: np.ndarray
    alpha: np.ndarray | None
    sha256: str
    file_format: str
    original_mode: str

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])


@dataclass
class Background:
    """The sheet backdrop estimated from the image border.

    ``coefficients`` (3 x 6) describe a smooth colour surface over the image, quadratic in
    normalised x and y, so one model covers flat, gradient and vignette backdrops; it is
    None for transparent borders. ``render`` gives the expected backdrop in any region.
    """

    kind: str  # "flat", "gradient", "vignette", "transparent", "cluttered"
    color: tuple[int, int, int]  # the mean border colour
    noise: float  # residual std of the border around the model, 0..255
    coefficients: np.ndarray | None
    image_size: tuple[int, int]  # (width, height) of the region the model was fitted on
    origin: tuple[int, int] = (0, 0)  # that region's top-left corner in the source image

    @property
    def is_plain(self) -> bool:
        return self.kind != "cluttered"

    def render(self, box: tuple[int, int, int, int], shape: tuple[int, int] | None = None) -> np.ndarray:
        """Expected backdrop colour (float32 HxWx3) over ``box`` = (x, y, w, h) in image
        pixels, sampled on a grid of ``shape`` = (h, w) (default: the box's own size)."""
        x, y, w, h = box
        x, y = x - self.origin[0], y - self.origin[1]
        rows, cols = shape if shape is not None else (h, w)
        if self.coefficients is None:
            return np.broadcast_to(np.array(self.color, np.float32), (rows, cols, 3)).copy()
        width, height = self.image_size
        xs = (x + (np.arange(cols, dtype=np.float32) + 0.5) * (w / cols)) / width * 2 - 1
        ys = (y + (np.arange(rows, dtype=np.float32) + 0.5) * (h / rows)) / height * 2 - 1
        gx, gy = np.meshgrid(xs, ys)
        basis = np.stack([np.ones_like(gx), gx, gy, gx * gx, gy * gy, gx * gy], axis=-1)
        return (basis @ self.coefficients.T.astype(np.float32)).astype(np.float32)


@dataclass
class Pose:
    """Head pose of one view. Angles in degrees per SPEC; None where not measured."""

    view: str = "unknown"
    yaw_deg: float | None = None
    pitch_deg: float | None = None
    roll_deg: float | None = None
    confidence: float = 0.0
    method: str = "none"
    face_box: tuple[int, int, int, int] | None = None  # x, y, w, h in view-crop pixels
    face_count: int = 0
    face_score: float | None = None
    eye_distance_px: float | None = None
    # BlazeFace's six keypoints (eyes, nose tip, mouth, ears) in view-crop pixels, (6, 2).
    keypoints: np.ndarray | None = None
    # Where the creator's declared class contradicts strong evidence: what that evidence says.
    conflict: str | None = None
    # What each reader saw ({"method", "view", "yaw_deg", "confidence", ...}), for the
    # manifest and report: why the view got its class.
    evidence: tuple[dict, ...] = ()

    def as_dict(self) -> dict:
        return {
            "view": self.view,
            "yaw_deg": _round(self.yaw_deg),
            "pitch_deg": _round(self.pitch_deg),
            "roll_deg": _round(self.roll_deg),
            "pose_confidence": round(float(self.confidence), 3),
            "pose_method": self.method,
            **({"pose_conflict": self.conflict} if self.conflict else {}),
            **({"pose_evidence": list(self.evidence)} if self.evidence else {}),
        }


@dataclass
class Check:
    """One quality verdict: stable id, measured value, threshold and advice."""

    id: str
    status: str  # pass | warn | fail | skip
    value: float | None
    threshold: float | None
    message: str

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "status": self.status,
            "value": _round(self.value, 4),
            "threshold": self.threshold,
            "message": self.message,
        }


@dataclass
class View:
    """One character view cut from a source image.

    ``image`` is the crop of the source (RGB); ``mask`` marks the figure's pixels in it.
    The clean stage adds ``alpha``, the subject's matte over ``image`` (float 0..1), and
    ``cleaned``, the export-ready picture (RGB, or RGBA for a transparent background) on the
    canvas shared by all views of the sheet.
    """

    source_index: int
    bbox: tuple[int, int, int, int]  # x, y, w, h in source pixels
    image: np.ndarray
    mask: np.ndarray | None = None
    kind: str = "figure"  # "figure" (cut from a sheet) or "photo" (the whole image)
    framing: str = "full_body"  # "full_body", "close_up" (head or bust) or "photo"; set by split
    # The picture the view was cut from, (x, y, w, h) in source pixels: the tile of a sheet
    # divided by gutters or frame lines (split.find_panels), or None for the whole source.
    # Its edges are where a subject can be cut off; the crop box ``bbox`` is tight by
    # construction, and a panel's inside is split inset from its border, so neither can tell.
    frame: tuple[int, int, int, int] | None = None
    # Where the crop goes on the canvas shared by all views of its sheet:
    # (canvas_width, canvas_height, paste_x, paste_y). Set by split, used by clean.
    canvas: tuple[int, int, int, int] | None = None
    # The backdrop behind this view: the sheet's, or a panel's own when the view sits in a
    # panel of another colour. Set by split, used by clean and quality.
    backdrop: Background | None = None
    cleaned: np.ndarray | None = None
    alpha: np.ndarray | None = None
    pose: Pose = field(default_factory=Pose)
    checks: list[Check] = field(default_factory=list)

    @property
    def status(self) -> str:
        return worst_status(c.status for c in self.checks)

    @property
    def subject_mask(self) -> np.ndarray | None:
        """The subject's pixels: the matte where the clean stage made one, else the split mask."""
        if self.alpha is not None:
            return self.alpha > SUBJECT_ALPHA
        return self.mask


def boxes_meet(a: tuple, b: tuple) -> bool:
    """Whether two (x, y, w, h) boxes overlap (touching edges do not)."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def worst_status(statuses) -> str:
    """fail beats warn beats pass; skip counts as pass."""
    statuses = set(statuses)
    if "fail" in statuses:
        return "fail"
    if "warn" in statuses:
        return "warn"
    return "pass"


def _round(value, digits: int = 2):
    if value is None:
        return None
    return round(float(value), digits)
