"""One decision per view from every reader's evidence: face, body, printed label, outline.

Each reader's output becomes a ``Reading``: how likely each of the six SPEC classes is given
what that reader saw. A measured yaw spreads over the classes as a normal distribution of
the reader's typical error (``spread_deg``) integrated over each class's yaw range; a printed
label names a coarse class. A reader is trusted only so far (``reliability``): the rest of
its weight is spread evenly, so one reader that is sure and wrong cannot outvote two that
agree. The readings of a view multiply (independent evidence, naive Bayes) and the most
likely class that a reader of the view itself put forward wins (evidence from elsewhere on
the sheet, a ``prior``, only weighs those); its posterior probability is the view's
confidence, which is what lets refprep say when it is unsure instead of guessing.

Examples
--------
>>> face = yaw_reading("face_landmarks", 30.0, reliability=0.8, spread_deg=15.0)
>>> body = yaw_reading("body", 50.0, reliability=0.7, spread_deg=20.0)
>>> decision = fuse([face, body])
>>> decision.view, decision.method
('three_quarter_right', 'face_landmarks')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..data import VIEW_CLASSES, boxes_meet, coarse_class

CLASSES = VIEW_CLASSES[:-1]  # all but unknown
# Each class's yaw range (degrees, SPEC): front < 22.5 <= three_quarter < 67.5 <= side <= 112.5 < back.
_RANGES = {
    "front": (-22.5, 22.5),
    "three_quarter_right": (22.5, 67.5),
    "side_right": (67.5, 112.5),
    "back": (112.5, 247.5),
    "side_left": (-112.5, -67.5),
    "three_quarter_left": (-67.5, -22.5),
}


@dataclass(frozen=True)
class Reading:
    """One reader's evidence on one view: ``likelihood`` of each class in ``CLASSES`` (sums
    to 1), the yaw it measured (None for a label) and the reliability it was given.
    ``prior``: the evidence comes from elsewhere on the sheet (a missed face, a mirror
    partner, a turnaround's neighbours), not from looking at this view."""

    method: str
    likelihood: np.ndarray
    yaw_deg: float | None = None
    reliability: float = 0.0
    prior: bool = False


@dataclass(frozen=True)
class Decision:
    """The fused class of one view, how sure (posterior probability), the yaw where a
    reader that agrees with the class measured one, and the reader that decided."""

    view: str
    confidence: float
    yaw_deg: float | None
    method: str
    posterior: np.ndarray


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def yaw_reading(method: str, yaw_deg: float, reliability: float, spread_deg: float) -> Reading:
    """A measured yaw as class likelihoods.

    Parameters
    ----------
    method : str
        The reader (``face_landmarks``, ``body``...), reported when it decides.
    yaw_deg : float
        The measured yaw (SPEC convention, any wrap).
    reliability : float
        0..1: the share of the weight that follows the measurement; the rest is spread evenly.
    spread_deg : float
        The reader's typical error in degrees (the normal's standard deviation).
    """
    probabilities = np.empty(len(CLASSES))
    for index, name in enumerate(CLASSES):
        low, high = _RANGES[name]
        mass = 0.0
        for turn in (-360.0, 0.0, 360.0):  # yaw wraps at +-180
            mass += (_normal_cdf((high + turn - yaw_deg) / spread_deg)
                     - _normal_cdf((low + turn - yaw_deg) / spread_deg))
        probabilities[index] = mass
    probabilities /= probabilities.sum()
    return Reading(method, _blend(probabilities, reliability), float(yaw_deg), float(reliability))


def class_reading(method: str, coarse: str, reliability: float, side: str | None = None,
                  side_weight: float = 0.0) -> Reading:
    """A coarse class (``front``, ``three_quarter``, ``side``, ``back``) as class likelihoods.

    ``side`` ("left" or "right": the direction the nose points in the image), where known,
    tips the two classes of a sided coarse class by ``side_weight`` (0 = no say).
    """
    probabilities = np.zeros(len(CLASSES))
    for index, name in enumerate(CLASSES):
        if coarse_class(name) == coarse:
            probabilities[index] = 1.0
            if side is not None and name.endswith(("_left", "_right")):
                probabilities[index] += side_weight if name.endswith(side) else -side_weight
    probabilities = np.clip(probabilities, 0.0, None)
    probabilities /= probabilities.sum()
    return Reading(method, _blend(probabilities, reliability), None, float(reliability))


def face_absent_reading(rates: dict[str, float], reliability: float) -> Reading:
    """What it says that no face was found in a view of a sheet whose other views show
    detectable faces: each class in proportion to how often a view of that coarse class
    shows no face there (``rates``), so a back and a profile gain over a front.

    Examples
    --------
    >>> reading = face_absent_reading({"front": 0.2, "three_quarter": 0.1, "side": 0.6, "back": 1.0}, 0.5)
    >>> CLASSES[int(np.argmax(reading.likelihood))]
    'back'
    """
    probabilities = np.array([rates[coarse_class(name)] for name in CLASSES])
    return Reading("face_absent", _blend(probabilities / probabilities.sum(), reliability), None, float(reliability),
                   prior=True)


def _blend(probabilities: np.ndarray, reliability: float) -> np.ndarray:
    reliability = min(max(reliability, 0.0), 1.0)
    return reliability * probabilities + (1.0 - reliability) / len(CLASSES)


def _seen(reading: Reading, share: float) -> set[str]:
    """The coarse classes a reading puts forward: those holding at least ``share`` of the
    mass of its likeliest coarse class, before its reliability spreads the rest evenly (a
    yaw near a class boundary puts forward both classes)."""
    reliability = min(reading.reliability, 1.0)   # as _blend used it
    if reliability <= 0.0:
        return set()
    own = (reading.likelihood - (1.0 - reliability) / len(CLASSES)) / reliability
    mass: dict[str, float] = {}
    for name, value in zip(CLASSES, own):
        mass[coarse_class(name)] = mass.get(coarse_class(name), 0.0) + max(float(value), 0.0)
    top = max(mass.values())
    return {name for name, value in mass.items() if top > 0 and value >= share * top}


def fuse(readings: list[Reading], seen_share: float = 0.25) -> Decision | None:
    """The most likely class given every reading (None when there is none), among the
    coarse classes the view's own readers put forward (``_seen`` with ``seen_share``; priors
    only weigh them). On the public sheets any share from 0.1 to 0.5 decided the same.

    The deciding ``method`` is the agreeing reading that raised the winner's odds most; the
    yaw is the reliability-weighted circular mean of agreeing measured yaws (same coarse class
    and side), None where no reader measured one.
    """
    if not readings:
        return None
    posterior = np.ones(len(CLASSES))
    for reading in readings:
        posterior = posterior * reading.likelihood
    posterior /= posterior.sum()
    # Only a coarse class that a reader of the view itself put forward can win. Priors weigh
    # those classes but cannot bring in one nobody saw: a weak outline's three-quarter and a
    # missed face's "turned away" make no back.
    seen = set().union(*(_seen(r, seen_share) for r in readings if not r.prior))
    allowed = np.array([not seen or coarse_class(name) in seen for name in CLASSES])
    winner = int(np.argmax(np.where(allowed, posterior, -1.0)))
    view = CLASSES[winner]
    # Which reading did most for the winner: the largest likelihood ratio against uniform.
    decider = max(readings, key=lambda r: r.likelihood[winner] * len(CLASSES))
    agreeing = [r for r in readings if r.yaw_deg is not None and int(np.argmax(r.likelihood)) == winner]
    yaw = None
    if agreeing:
        weights = np.array([max(r.reliability, 1e-3) for r in agreeing])
        angles = np.radians([r.yaw_deg for r in agreeing])
        yaw = float(np.degrees(np.arctan2((weights * np.sin(angles)).sum(), (weights * np.cos(angles)).sum())))
    return Decision(view, float(posterior[winner]), yaw, decider.method, posterior)


def caption_target(box: tuple[int, int, int, int], boxes: list[tuple[int, int, int, int]], *,
                   max_gap: float = 0.35, edge_share: float = 0.25) -> tuple[float, int] | None:
    """(gap in view heights, view index) of the view a text box at ``box`` would caption.

    A caption sits under or over its view: its centre within the view's columns, its box no
    farther than ``max_gap`` of the view's height from the view's top or bottom edge (or
    inside the view's top or bottom ``edge_share``, where a split kept it in the crop), and
    not inside any other view. The nearest such view, or None.
    """
    lx, ly, lw, lh = box
    cx, cy = lx + lw / 2, ly + lh / 2
    candidates = []
    for index, (x, y, w, h) in enumerate(boxes):
        if not x <= cx <= x + w:
            continue
        if any(j != index and bx <= cx <= bx + bw and by <= cy <= by + bh for j, (bx, by, bw, bh) in enumerate(boxes)):
            continue
        below = ly - (y + h)         # gap under the view (negative: overlaps it)
        above = y - (ly + lh)        # gap over the view
        if -edge_share * h <= below <= max_gap * h:
            candidates.append((max(below, 0.0) / h, index))
        elif -edge_share * h <= above <= max_gap * h:
            candidates.append((max(above, 0.0) / h, index))
    return min(candidates) if candidates else None


def labels_for_views(lines, boxes: list[tuple[int, int, int, int]]) -> list[object | None]:
    """The printed view label of each view box (None where it has none).

    Each view takes the nearest caption that ``caption_target`` gives it; text that names
    no view (``evidence.text.view_label`` is None) is ignored.

    Parameters
    ----------
    lines : list of evidence.text.TextLine
        Text read on the whole sheet (its pixels, same as the boxes').
    boxes : list of (x, y, w, h)
        The views' boxes in the sheet.
    """
    from .text import view_label

    best: list[tuple[float, object] | None] = [None] * len(boxes)
    for line in lines:
        match = view_label(line.text)
        target = caption_target(line.box, boxes) if match is not None else None
        if target is not None:
            gap, index = target
            if best[index] is None or gap < best[index][0]:
                best[index] = (gap, match)
    return [None if item is None else item[1] for item in best]


def caption_rows(lines, *, stack_gap: float = 1.5) -> list[list[tuple[tuple[int, int, int, int], object]]]:
    """Rows of view captions on a sheet: [(box, LabelMatch), ...] left to right, rows top to
    bottom, only rows naming two or more views (a turnaround's row of captions).

    A caption printed on two lines ("PROFILE" over "(RIGHT)") is read as one: two lines
    each centred within the other's columns, the lower at most ``stack_gap`` line heights
    under the upper (or overlapping it by up to half a line, as tight lines' boxes do).
    """
    from .text import view_label

    lines = sorted(lines, key=lambda line: (line.box[1], line.box[0]))
    merged: list[tuple[tuple[int, int, int, int], str]] = []
    for line in lines:
        x, y, w, h = line.box
        for i, ((mx, my, mw, mh), text) in enumerate(merged):
            gap = y - (my + mh)
            centred = mx <= x + w / 2 <= mx + mw and x <= mx + mw / 2 <= x + w  # each under the other's middle
            if centred and -0.5 * min(h, mh) <= gap <= stack_gap * min(h, mh):
                x0, y0 = min(x, mx), my
                merged[i] = ((x0, y0, max(x + w, mx + mw) - x0, y + h - y0), f"{text} {line.text}")
                break
        else:
            merged.append((line.box, line.text))
    captions = [(box, view_label(text)) for box, text in merged]
    captions = sorted(((box, m) for box, m in captions if m is not None), key=lambda c: c[0][1] + c[0][3] / 2)
    rows: list[list] = []
    for box, match in captions:
        centre = box[1] + box[3] / 2
        last = rows[-1][-1][0] if rows else None
        if last is not None and abs(centre - (last[1] + last[3] / 2)) <= max(box[3], last[3]):
            rows[-1].append((box, match))
        else:
            rows.append([(box, match)])
    return [sorted(row, key=lambda c: c[0][0]) for row in rows if len(row) >= 2]


def outside_views(box: tuple[int, int, int, int], views: list[tuple[int, int, int, int]], *,
                  edge_share: float = 0.25) -> bool:
    """Whether text at ``box`` could be a caption: its centre not inside any view's middle
    (the view's box less its top and bottom ``edge_share``), where callouts and the figure's
    own prints are, never its caption."""
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    return not any(x <= cx <= x + w and y + edge_share * h <= cy <= y + (1 - edge_share) * h
                   for x, y, w, h in views)


def near_views(box: tuple[int, int, int, int], views: list[tuple[int, int, int, int]], *,
               max_gap: float = 0.35) -> bool:
    """Whether text at ``box`` could caption one of ``views`` or sit in its crop: it overlaps
    a view, or its centre is within a view's columns no farther than ``max_gap`` of the
    view's height above or below it (as ``caption_target`` and ``split.resplit_by_captions``
    look). A profile text or notes column beside the figures is neither, and need not be read.

    Examples
    --------
    >>> near_views((10, 105, 20, 8), [(0, 0, 40, 100)]), near_views((200, 50, 20, 8), [(0, 0, 40, 100)])
    (True, False)
    """
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    return any((x <= cx <= x + w and y - max_gap * h <= cy <= y + h + max_gap * h) or boxes_meet(box, (x, y, w, h))
               for x, y, w, h in views)


# --- mirror pairs: what two views of one sheet say about each other -------------------------

# Classes two mirror-image views of one character can have. A bilaterally symmetric character
# seen at yaw y and at -y gives mirror images (the two three-quarters, the two profiles); any
# figure seen from opposite directions (y and y + 180) shows mirrored outlines (a front and a
# back, a three-quarter and the back three-quarter behind it, which the SPEC classes as back).
_MIRROR_CLASSES = {
    ("three_quarter_left", "three_quarter_right"), ("side_left", "side_right"), ("front", "back"),
    ("three_quarter_left", "back"), ("three_quarter_right", "back"),
}
_PAIRS = np.array([[float((a, b) in _MIRROR_CLASSES or (b, a) in _MIRROR_CLASSES) for b in CLASSES] for a in CLASSES])
# Each row sums to 1, so a partner that knows nothing says nothing.
MIRROR_COMPATIBLE = _PAIRS / _PAIRS.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class MirrorMatch:
    """How well view ``partner`` matches a view once flipped, and unflipped (0..1 each)."""

    partner: int
    outline_flipped: float   # IoU of the outlines, one flipped
    outline_same: float
    detail_flipped: float    # correlation of the inner edges, one flipped
    detail_same: float


def _mirror_thumbnail(rgb: np.ndarray, mask: np.ndarray | None, size: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Edge strength and outline of a figure scaled to ``size`` px tall, centred on its
    middle column in a 2*size wide frame."""
    import cv2

    if mask is None or not mask.any():
        return None
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    width = max(1, min(2 * size, round((x1 - x0) * size / (y1 - y0))))
    grey = cv2.cvtColor(np.ascontiguousarray(rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY).astype(np.float32)
    grey = cv2.resize(grey, (width, size), interpolation=cv2.INTER_AREA)
    outline = cv2.resize(mask[y0:y1, x0:x1].astype(np.float32), (width, size), interpolation=cv2.INTER_AREA) > 0.5
    if not outline.any():
        return None   # a sketch of hairlines: no solid outline at this size to compare
    edges = np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    frame_edges, frame_outline = np.zeros((size, 2 * size), np.float32), np.zeros((size, 2 * size), bool)
    middle = float(np.flatnonzero(outline.any(axis=0)).mean())
    offset = int(round(size - middle))
    lo, hi = max(0, offset), min(2 * size, offset + width)
    frame_edges[:, lo:hi], frame_outline[:, lo:hi] = edges[:, lo - offset:hi - offset], outline[:, lo - offset:hi - offset]
    return frame_edges, frame_outline


def _recentred_flip(thumb: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    edges, outline = thumb[0][:, ::-1], thumb[1][:, ::-1]
    shift = int(round(outline.shape[1] / 2 - np.flatnonzero(outline.any(axis=0)).mean()))
    return np.roll(edges, shift, axis=1), np.roll(outline, shift, axis=1)


def _likeness(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> tuple[float, float]:
    """(outline IoU, correlation of edge strength where both outlines are) of two thumbnails."""
    both, either = a[1] & b[1], a[1] | b[1]
    iou = float(both.sum() / max(int(either.sum()), 1))
    if both.sum() < 20:
        return iou, 0.0
    x, y = a[0][both] - a[0][both].mean(), b[0][both] - b[0][both].mean()
    return iou, float((x * y).sum() / (np.sqrt((x * x).sum() * (y * y).sum()) + 1e-6))


def mirror_partners(images: list[np.ndarray], masks: list[np.ndarray | None], *, size: int = 64,
                    min_outline: float = 0.85, min_gain: float = 0.1) -> list[MirrorMatch | None]:
    """Each view's mirror partner on its sheet, or None.

    Two views are mirror images when, one of them flipped, their outlines overlap by at least
    ``min_outline`` (IoU, heights scaled alike, middles aligned) and both the outline IoU and
    the correlation of inner edges gain at least ``min_gain`` over the unflipped pair. A front
    or a back is symmetric, so it matches a flipped view as well as an unflipped one and
    gains nothing: mirror partners are views turned opposite ways. Two views are partners
    when each gains most with the other.

    Examples
    --------
    >>> figure = np.zeros((80, 60, 3), np.uint8); figure[10:70, 20:30] = 200; figure[10:25, 30:45] = 90
    >>> mask = figure.any(axis=2)
    >>> [m.partner if m else None for m in mirror_partners([figure, figure[:, ::-1]], [mask, mask[:, ::-1]])]
    [1, 0]
    """
    thumbs = [_mirror_thumbnail(image, mask, size) for image, mask in zip(images, masks)]
    flipped = [None if t is None else _recentred_flip(t) for t in thumbs]
    best: list[tuple[float, MirrorMatch] | None] = [None] * len(images)
    for i, a in enumerate(thumbs):
        for j in range(i + 1, len(thumbs)):
            if a is None or thumbs[j] is None:
                continue
            outline_same, detail_same = _likeness(a, thumbs[j])
            outline_flipped, detail_flipped = _likeness(a, flipped[j])
            gain = min(outline_flipped - outline_same, detail_flipped - detail_same)
            if outline_flipped < min_outline or gain < min_gain:
                continue
            for me, other in ((i, j), (j, i)):
                if best[me] is None or gain > best[me][0]:
                    best[me] = (gain, MirrorMatch(other, outline_flipped, outline_same, detail_flipped, detail_same))
    # Partners are mutual: a view that several others mirror (a front with an arm out) is
    # nobody's partner unless it picks one of them too.
    return [None if item is None or best[item[1].partner] is None or best[item[1].partner][1].partner != i
            else item[1] for i, item in enumerate(best)]


def mirror_reading(partner_posterior: np.ndarray, reliability: float) -> Reading:
    """What a view's mirror partner says about it: the classes compatible with the partner's
    (``MIRROR_COMPATIBLE``), weighed by how likely the partner's classes are. A partner
    sure of ``side_left`` makes this view ``side_right``; one sure of ``front``, ``back``."""
    probabilities = MIRROR_COMPATIBLE @ partner_posterior
    probabilities = probabilities / probabilities.sum()
    return Reading("mirror", _blend(probabilities, reliability), None, float(reliability), prior=True)


# --- one character turned step by step ------------------------------------------------------

# The middle of each class's yaw range: what a class decision says about the yaw.
_CLASS_YAW = {name: (low + high) / 2 for name, (low, high) in _RANGES.items()}


def turn_rows(boxes: list[tuple[int, int, int, int]], *, level_share: float = 0.5,
              height_ratio: float = 1.3) -> list[list[int]]:
    """Rows of three or more views of one size, each left to right (indices into ``boxes``).

    A row: boxes whose centres lie within ``level_share`` of the median box height of each
    other vertically and whose heights differ by at most ``height_ratio``, as a turnaround
    draws its views.

    Examples
    --------
    >>> turn_rows([(0, 0, 40, 100), (50, 0, 40, 100), (100, 0, 40, 100), (0, 150, 40, 40)])
    [[0, 1, 2]]
    """
    if len(boxes) < 3:
        return []
    median_height = float(np.median([b[3] for b in boxes]))
    centres = [(b[0] + b[2] / 2, b[1] + b[3] / 2) for b in boxes]
    rows: list[list[int]] = []
    for i, box in enumerate(sorted(range(len(boxes)), key=lambda j: centres[j][0])):
        for row in rows:
            first = boxes[row[0]]
            if (abs(centres[row[0]][1] - centres[box][1]) <= level_share * median_height
                    and max(first[3], boxes[box][3]) <= height_ratio * min(first[3], boxes[box][3])):
                row.append(box)
                break
        else:
            rows.append([box])
    return [row for row in rows if len(row) >= 3]


def turn_readings(decisions: list[Decision | None], sure: float, reliability: float, spread_deg: float, *,
                  min_step: float = 22.5, max_step: float = 135.0) -> list[Reading | None]:
    """What a turnaround row says about its unsure views: the character turns one way step by
    step, so a view drawn between two sure views faces in between, in proportion to where it
    stands.

    ``decisions``: each view's own decision, left to right. The row counts as a turnaround
    only where three or more sure views (confidence >= ``sure``) turn one way, each ``min_step`` to
    ``max_step`` degrees past the last (shortest way round): a row that turns back or shows
    one view twice says nothing, and nor do a front and a back side by side (which way the
    views between them turn is unknown). Sure views and views outside the sure ones get None.

    Examples
    --------
    >>> def sure(yaw): return Decision("front", 0.9, yaw, "body", np.ones(6) / 6)
    >>> unsure = Decision("front", 0.4, -10.0, "body", np.ones(6) / 6)
    >>> row = [sure(0.0), unsure, sure(-90.0), sure(180.0)]
    >>> [r if r is None else round(r.yaw_deg) for r in turn_readings(row, 0.7, 0.5, 30.0)]
    [None, -45, None, None]
    """
    known = [(place, d.yaw_deg if d.yaw_deg is not None else _CLASS_YAW[d.view])
             for place, d in enumerate(decisions) if d is not None and d.confidence >= sure]
    out: list[Reading | None] = [None] * len(decisions)
    if len(known) < 3:      # two sure views always turn one way: no evidence of a turnaround
        return out
    unwrapped = [known[0]]
    for place, yaw in known[1:]:
        step = (yaw - unwrapped[-1][1] + 180.0) % 360.0 - 180.0
        unwrapped.append((place, unwrapped[-1][1] + step))
    steps = [b[1] - a[1] for a, b in zip(unwrapped, unwrapped[1:])]
    if any(abs(step) > max_step for step in steps) or not (
            all(step >= min_step for step in steps) or all(step <= -min_step for step in steps)):
        return out
    for (left, low), (right, high) in zip(unwrapped, unwrapped[1:]):
        for place in range(left + 1, right):
            out[place] = replace(yaw_reading("turn", low + (high - low) * (place - left) / (right - left),
                                             reliability, spread_deg), prior=True)
    return out
