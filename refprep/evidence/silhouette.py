"""Pose evidence that needs no human face: the figure's outline and where its face shows.

Face models fail on anime, cartoons, creatures and the backs of heads, exactly what
character sheets contain. Three cues survive there:

- symmetry: a figure seen from the front or the back is close to mirror-symmetric about
  its torso axis; three-quarter and side views are not;
- width: within one turnaround, side views are the narrowest (the shoulders are seen edge-on);
- face colour: skin-toned pixels in the head region. None means the back of the head; where
  they sit in the head (left or right of its centre) says which way the nose points;
- toes: a full-body figure's feet point where it faces. Seen turned, the feet stick out past
  the ankles on one side only (toes forward, heels barely back); seen from the front or back
  they spread evenly, if at all. This needs no face, skin colour or drawing style.

Within one sheet, which turned views are profiles comes from the siblings: for full-body
figures the narrowest (shoulders edge-on); for busts, whose width is mostly hair, the least
mirror-symmetric (a bilaterally symmetric head and chest lose their mirror symmetry as they
turn, the profile most).

``measure_shape`` reads these cues for one view; ``classify_sheet`` turns the cues of all
views of one sheet into view classes, using the siblings (widest or least symmetric views,
which of two symmetric views shows more face) where a single view is ambiguous. Confidence
stays low by design.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .. import thresholds as T
from ..data import Pose, classify_yaw


@dataclass
class ShapeEvidence:
    width: int           # figure width in pixels
    symmetry: float      # IoU of the figure with its mirror image about the torso axis, 0..1
    face_share: float    # share of head pixels with skin colour, 0..1
    face_offset: float | None  # skin centroid minus head centre, in head widths (+ = right)
    head_detail: float   # mean |Laplacian| inside the head: eyes and mouth make a face busier than hair
    full_body: bool = False  # tall enough to be a standing figure (else a bust or portrait)
    toes: float | None = None  # +1 feet point to the image's right, -1 left, None no clear call


def skin_mask(rgb: np.ndarray) -> np.ndarray:
    """Skin-toned pixels: warm hue, moderate saturation, not dark. The saturation cap keeps
    red and auburn hair out; the hue range keeps pink, blonde and brown hair out."""
    import cv2

    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV_FULL).astype(np.float32)
    hue = hsv[..., 0] * (360.0 / 256.0)
    saturation = hsv[..., 1] / 255.0
    value = hsv[..., 2] / 255.0
    warm = (hue <= T.SKIN_HUE_MAX) | (hue >= T.SKIN_HUE_WRAP)
    return warm & (saturation >= T.SKIN_SATURATION[0]) & (saturation <= T.SKIN_SATURATION[1]) & (value >= T.SKIN_VALUE_MIN)


def measure_shape(rgb: np.ndarray, mask: np.ndarray | None) -> ShapeEvidence | None:
    """The outline and face-colour cues of one figure (``mask`` marks its pixels). Views
    longer than SHAPE_LONG_SIDE are measured on a copy shrunk by a whole factor: the cues
    are shares and ratios, and the width is reported in the view's own pixels."""
    if mask is None or mask.sum() < T.SHAPE_MIN_PIXELS:
        return None
    factor = max(1, -(-max(mask.shape) // T.SHAPE_LONG_SIDE))
    if factor > 1:
        from ..stages.measures import shrink_by

        shape = _measure_shape(shrink_by(rgb, factor), shrink_by(mask.astype(np.uint8), factor) > 0)
        return None if shape is None else replace(shape, width=shape.width * factor)
    return _measure_shape(rgb, mask)


def _measure_shape(rgb: np.ndarray, mask: np.ndarray) -> ShapeEvidence | None:
    if not mask.any():
        return None
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    top, height = rows[0], rows[-1] - rows[0] + 1
    left, width = cols[0], cols[-1] - cols[0] + 1
    full_body = bool(height / width >= T.FULL_BODY_ASPECT)

    # Torso axis: the mean column of the body rows (below the head, above the legs).
    torso = mask[top + int(0.25 * height):top + int(0.6 * height)] if full_body else \
        mask[top + int(0.5 * height):top + int(0.9 * height)]
    torso_columns = np.flatnonzero(torso.any(axis=0))
    axis = float(np.nonzero(torso)[1].mean()) if torso_columns.size else left + width / 2
    symmetry = _mirror_iou(mask, axis)

    head_height = max(2, int((T.HEAD_SHARE_FULL_BODY if full_body else T.HEAD_SHARE_BUST) * height))
    head = mask[top:top + head_height]
    skin = skin_mask(rgb[top:top + head_height]) & head
    head_columns = np.flatnonzero(head.any(axis=0))
    head_centre = (head_columns[0] + head_columns[-1]) / 2
    head_width = head_columns[-1] - head_columns[0] + 1
    face_share = float(skin.sum() / max(head.sum(), 1))
    offset = None
    if skin.sum() >= T.SHAPE_MIN_SKIN_PIXELS:
        offset = float((np.nonzero(skin)[1].mean() - head_centre) / head_width)
    toes = _toe_direction(mask[top:top + height]) if full_body else None
    return ShapeEvidence(int(width), symmetry, face_share, offset, _detail(rgb[top:top + head_height], head),
                         full_body, toes)


def _toe_direction(figure: np.ndarray) -> float | None:
    """Which way the feet of a standing figure point: +1 image right, -1 left, None unclear.

    The feet (bottom FOOT_SHARE of the figure's rows) are compared with the ankles just above
    (ANKLE_BAND): how far the feet reach past the ankles on each side. A clear call needs the
    longer reach to be at least TOE_MIN_REACH of the figure's height and the shorter to be
    at most TOE_MAX_BACK_REACH of the longer one (toes forward, heels barely back).
    """
    height = figure.shape[0]
    feet = figure[height - max(1, int(T.FOOT_SHARE * height)):]
    ankles = figure[height - int(T.ANKLE_BAND[1] * height):height - int(T.ANKLE_BAND[0] * height)]
    feet_columns, ankle_columns = np.flatnonzero(feet.any(axis=0)), np.flatnonzero(ankles.any(axis=0))
    if not feet_columns.size or not ankle_columns.size:
        return None
    left_reach = max(0, int(ankle_columns[0] - feet_columns[0]))
    right_reach = max(0, int(feet_columns[-1] - ankle_columns[-1]))
    longer, shorter = max(left_reach, right_reach), min(left_reach, right_reach)
    if longer < T.TOE_MIN_REACH * height or shorter > T.TOE_MAX_BACK_REACH * longer:
        return None
    return 1.0 if right_reach > left_reach else -1.0


def _detail(rgb: np.ndarray, region: np.ndarray) -> float:
    """Mean absolute Laplacian of the grey image inside ``region`` (its outline excluded)."""
    import cv2

    inner = cv2.erode(region.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    if not inner.any():
        return 0.0
    grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.abs(cv2.Laplacian(grey, cv2.CV_32F))[inner].mean())


def _mirror_iou(mask: np.ndarray, axis: float) -> float:
    """IoU of the mask with its reflection about the vertical line x = axis."""
    width = mask.shape[1]
    shift = int(round(width / 2 - axis))
    centred = np.zeros_like(mask)
    if shift >= 0:
        centred[:, shift:] = mask[:, :width - shift]
    else:
        centred[:, :shift] = mask[:, -shift:]
    mirrored = centred[:, ::-1]
    union = (centred | mirrored).sum()
    return float((centred & mirrored).sum() / union) if union else 0.0


def classify_sheet(evidence: list[ShapeEvidence | None]) -> list[Pose | None]:
    """View classes from the shape cues of all views of one source image (None: no call)."""
    present = [e for e in evidence if e is not None]
    profiles = _profiles(present) if len(present) >= T.SHEET_MIN_VIEWS else {}
    front, back = _front_and_back(present)
    poses = []
    for item in evidence:
        if item is None:
            poses.append(None)
        elif item is front:
            poses.append(_pose("front", 0.0, _confidence(item)))
        elif item is back:
            poses.append(_pose("back", 180.0, _confidence(item)))
        else:
            poses.append(_classify_one(item, profiles.get(id(item))))
    return poses


def _profiles(present: list[ShapeEvidence]) -> dict[int, bool]:
    """Which views of a sheet are profiles, by ``id`` of their evidence (absent: no call).

    Full-body figures: a view narrower than SIDE_WIDTH_RATIO of the widest (shoulders seen
    edge-on). Busts: among the turned views (symmetry under SYMMETRIC_VIEW), those below the
    midpoint of their symmetry range, when the range spans at least PROFILE_SYMMETRY_GAP;
    a smaller range means the turned views are all alike (all three-quarter, or all sides).
    """
    widest = max(e.width for e in present)
    profiles = {id(e): e.width / widest < T.SIDE_WIDTH_RATIO for e in present if e.full_body}
    turned = [e for e in present if not e.full_body and e.symmetry < T.SYMMETRIC_VIEW]
    if turned:
        low, high = min(e.symmetry for e in turned), max(e.symmetry for e in turned)
        if high - low >= T.PROFILE_SYMMETRY_GAP:
            profiles.update({id(e): e.symmetry < (low + high) / 2 for e in turned})
    return profiles


def _front_and_back(present: list[ShapeEvidence]) -> tuple[ShapeEvidence | None, ShapeEvidence | None]:
    """Front and back share an outline: of the two symmetric views of a turnaround, the
    front shows clearly more face colour or, failing that, more detail in the head."""
    symmetric = [e for e in present if e.symmetry >= T.SYMMETRIC_VIEW]
    if len(symmetric) != 2:
        return None, None
    first, second = symmetric
    for cue, ratio in ((lambda e: e.face_share, T.FRONT_BACK_FACE_RATIO),
                       (lambda e: e.head_detail, T.FRONT_BACK_DETAIL_RATIO)):
        high, low = (first, second) if cue(first) >= cue(second) else (second, first)
        if cue(high) >= ratio * max(cue(low), 1e-6):
            return high, low
    return None, None


def _confidence(item: ShapeEvidence) -> float:
    """How far the symmetry is from the front/back-versus-turned boundary, scaled down."""
    margin = min(1.0, abs(item.symmetry - T.SYMMETRIC_VIEW) / 0.1)
    return T.SILHOUETTE_CONFIDENCE * (0.5 + 0.5 * margin)


def _classify_one(item: ShapeEvidence, profile: bool | None) -> Pose | None:
    """One view's class from its own cues; ``profile`` is what its siblings say (None: no
    siblings to compare with)."""
    base = _confidence(item)
    if item.face_share < T.FACE_COLOUR_MIN_SHARE:
        # No face colour in the head. Feet pointing one way on an outline too lopsided for a
        # back, or narrower than its siblings, make it a profile whose face shows no skin
        # tone; otherwise a roughly symmetric, full-width outline is the back of the head.
        if item.toes is not None and (profile or item.symmetry < T.BACK_MIN_SYMMETRY):
            return _pose(classify_yaw(90.0 * item.toes), 90.0 * item.toes, base * T.TOES_ONLY_TRUST)
        return _pose("back", 180.0, base) if item.symmetry >= T.BACK_MIN_SYMMETRY and not profile else None
    if item.symmetry >= T.SYMMETRIC_VIEW and (item.face_offset is None or abs(item.face_offset) < T.FACE_OFFSET_CENTRED):
        return _pose("front", 0.0, base)
    direction, strength = _turn_direction(item)
    if direction is None:
        return None  # turned, but nothing (or conflicting evidence) says which way
    side = profile if profile is not None else \
        item.face_offset is not None and abs(item.face_offset) >= T.SIDE_FACE_OFFSET
    yaw = direction * (90.0 if side else 45.0)
    return _pose(classify_yaw(yaw), yaw, base * strength)


def _turn_direction(item: ShapeEvidence) -> tuple[float | None, float]:
    """(+1 nose to the image's right / -1 left / None, trust 0..1) of a turned view: where the
    face colour sits in the head, else where the toes point; None when they disagree."""
    offset = item.face_offset
    from_face = None if offset is None or abs(offset) < T.FACE_OFFSET_MIN_DIRECTION else (1.0 if offset > 0 else -1.0)
    if from_face is not None and item.toes is not None and item.toes != from_face:
        return None, 0.0
    if from_face is not None:
        return from_face, min(1.0, abs(offset) / T.FACE_OFFSET_CENTRED)
    if item.toes is not None:
        return item.toes, T.TOES_ONLY_TRUST
    return None, 0.0


def _pose(view: str, yaw: float, confidence: float) -> Pose:
    return Pose(view=view, yaw_deg=yaw, confidence=round(confidence, 3), method="silhouette")
