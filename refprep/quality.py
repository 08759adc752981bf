"""Quality stage: measure each view and turn every measure into a ``Check``.

Each check function takes what it measures and the thresholds (from the preset) and
returns one ``Check`` with the raw value, the threshold it was held to and a sentence of
advice. Measures look at the face where there is one and at the subject otherwise.
``check_view`` runs them all; the preset's package rules are in ``rules.py``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .data import Background, Check, View
from .presets import Preset

# Regions taller than this are scaled down to it before measuring sharpness, so a large
# sharp face and a small sharp face score alike (high-resolution detail is not penalised).
SHARPNESS_REGION_HEIGHT = 256
# Luminance at or below / at or above which a pixel counts as crushed / blown.
CRUSHED_LUMA = 8
BLOWN_LUMA = 250
# Side views show one half of the face; comparing halves there measures the pose, not light.
SHADOW_MAX_YAW = 45.0
# A connected subject blob at least this share of the largest one counts as another figure.
SECOND_FIGURE_AREA_SHARE = 0.15
# An outline pixel within this RGB distance of the old backdrop colour looks like backdrop.
FRINGE_DISTANCE = 16.0
# Backdrop of an untouched image: fitted on at most this many pixels around the subject,
# and only when at least this share of the picture shows it.
BACKDROP_SAMPLES = 20000
BACKDROP_MIN_SHARE = 0.02
# A plain backdrop farther than this (RGB distance) from white is "not white".
OFF_WHITE_DISTANCE = 30.0
# The head around a face box: hair above (half a box) and ears beside (a quarter each side).
HEAD_TOP_GROWTH = 0.5
HEAD_SIDE_GROWTH = 0.25
# A matte value above this is "subject" for masks derived from it.
SUBJECT_ALPHA = 0.5


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def _grade(value: float, limits: dict, higher_is_worse: bool) -> tuple[str, float]:
    """Status of ``value`` against warn/fail limits, and the threshold that decided it."""
    fail, warn = limits.get("fail"), limits.get("warn")
    worse = (lambda v, t: v >= t) if higher_is_worse else (lambda v, t: v < t)
    if fail is not None and worse(value, fail):
        return "fail", fail
    if warn is not None and worse(value, warn):
        return "warn", warn
    return "pass", warn if warn is not None else fail


def _verdict(check_id: str, value: float, limits: dict, higher_is_worse: bool, messages: dict) -> Check:
    """Grade ``value`` and pick the advice sentence for the resulting status."""
    status, threshold = _grade(value, limits, higher_is_worse)
    return Check(check_id, status, value, threshold, messages[status])


def _subject_mask(view: View) -> np.ndarray | None:
    if view.alpha is not None:
        return view.alpha > SUBJECT_ALPHA
    return view.mask


def _face_region(view: View):
    if view.pose.face_box is None:
        return None
    x, y, w, h = view.pose.face_box
    height, width = view.image.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + w), min(height, y + h)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    return x0, y0, x1, y1


# --- individual checks ---------------------------------------------------------------------

def check_resolution(view: View, limits: dict) -> Check:
    """The subject's size in source pixels (its longer side): what detail there is to copy.

    The exported canvas is padded, never upscaled, so it cannot add detail; generators'
    minimum sides for the file itself are preset format rules.
    """
    size = float(max(view.bbox[2], view.bbox[3]))
    messages = {
        "pass": f"The subject is {size:.0f} px tall or wide: enough for video generation.",
        "warn": f"The subject is only {size:.0f} px (want {limits['warn']:.0f}+): the generator will upscale and soften details; use a larger source.",
        "fail": f"The subject is {size:.0f} px, under {limits['fail']:.0f} px: far too small for a reference; use a larger source image.",
    }
    return _verdict("resolution", size, limits, False, messages)


def check_face_size(view: View, limits: dict) -> Check:
    if view.pose.face_box is None:
        return Check("face_size", "skip", None, limits.get("warn"), "No face found, so its size was not measured.")
    size = float(view.pose.face_box[3])
    messages = {
        "pass": f"The face is {size:.0f} px tall: enough detail for the generator to copy.",
        "warn": f"The face is only {size:.0f} px tall (want {limits['warn']:.0f}+): add a closer view or a larger image so facial details carry over.",
        "fail": f"The face is {size:.0f} px tall, too small to carry identity: use a close-up or a much larger image.",
    }
    return _verdict("face_size", size, limits, False, messages)


def crete_sharpness(grey: np.ndarray, mask: np.ndarray | None = None) -> float:
    """1 - the no-reference blur score of Crete-Roffet et al. (2007), in 0..1.

    Blur the region again and see how much of its pixel-to-pixel variation survives: a sharp
    image loses much, an already blurred one little. Being a ratio it ignores contrast, so
    a flat-shaded cartoon with crisp outlines and a textured photo are judged alike.
    """
    import cv2

    scores = []
    for axis, kernel in ((0, (1, 9)), (1, (9, 1))):  # (width, height): vertical, then horizontal
        blurred = cv2.blur(grey, kernel)
        d_original = np.abs(np.diff(grey, axis=axis))
        d_blurred = np.abs(np.diff(blurred, axis=axis))
        variation = np.maximum(0.0, d_original - d_blurred)
        if mask is not None:
            keep = mask[1:, :] if axis == 0 else mask[:, 1:]
            d_original, variation = d_original[keep], variation[keep]
        total = float(d_original.sum())
        if total <= 0:
            return 0.0
        scores.append((total - float(variation.sum())) / total)
    return 1.0 - max(scores)


def measure_sharpness(view: View) -> float:
    """Sharpness (0..1) of the face, or of the subject where there is no face."""
    import cv2

    region = _face_region(view)
    mask = _subject_mask(view)
    if region is None and mask is not None and mask.any():
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        region = (cols[0], rows[0], cols[-1] + 1, rows[-1] + 1)
    if region is None:
        region = (0, 0, view.image.shape[1], view.image.shape[0])
    x0, y0, x1, y1 = region
    grey = _luma(view.image[y0:y1, x0:x1].astype(np.float32))
    sub = mask[y0:y1, x0:x1] if (mask is not None and view.pose.face_box is None) else None
    # Only ever scale down: upscaling a small face would smear it and call it blurred
    # (a small face is face_size's concern, not sharpness's).
    scale = min(1.0, SHARPNESS_REGION_HEIGHT / grey.shape[0])
    if scale < 1.0:
        size = (max(8, round(grey.shape[1] * scale)), max(8, round(grey.shape[0] * scale)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        if sub is not None:
            sub = cv2.resize(sub.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    if sub is not None and sub.sum() < 100:
        sub = None
    return crete_sharpness(grey, sub)


def check_sharpness(view: View, limits: dict) -> Check:
    value = measure_sharpness(view)
    where = "face" if view.pose.face_box is not None else "subject"
    messages = {
        "pass": f"The {where} is sharp (sharpness {value:.2f}).",
        "warn": f"The {where} is soft (sharpness {value:.2f}, want {limits['warn']:.2f}+): the generator will copy the blur; use a sharper source.",
        "fail": f"The {where} is blurred (sharpness {value:.2f}, under {limits['fail']:.2f}): choose a sharp image or re-render at higher quality.",
    }
    return _verdict("sharpness", value, limits, False, messages)


def check_exposure(view: View, limits: dict) -> Check:
    region = _face_region(view)
    if region is not None:
        x0, y0, x1, y1 = region
        luma = _luma(view.image[y0:y1, x0:x1].astype(np.float32)).ravel()
    else:
        mask = _subject_mask(view)
        luma = _luma(view.image.astype(np.float32))
        luma = luma[mask] if mask is not None and mask.any() else luma.ravel()
    crushed = float(np.mean(luma <= CRUSHED_LUMA))
    blown = float(np.mean(luma >= BLOWN_LUMA))
    value = crushed + blown
    where = "face" if region is not None else "subject"
    worst = "blown-out highlights" if blown >= crushed else "crushed shadows"
    messages = {
        "pass": f"Exposure is fine: {value:.0%} of the {where} is clipped (mean level {luma.mean():.0f}).",
        "warn": f"{value:.0%} of the {where} is clipped ({worst}): details there are lost; use a better-exposed image.",
        "fail": f"{value:.0%} of the {where} is clipped ({worst}): the generator cannot recover that detail; re-shoot or re-render with balanced light.",
    }
    return _verdict("exposure", value, limits, True, messages)


def check_shadow(view: View, limits: dict) -> Check:
    region = _face_region(view)
    yaw = view.pose.yaw_deg
    if region is None:
        return Check("shadow", "skip", None, limits.get("warn"), "No face found, so lighting on the face was not measured.")
    if yaw is not None and abs(yaw) > SHADOW_MAX_YAW:
        return Check("shadow", "skip", None, limits.get("warn"), "Face turned too far to compare its two halves.")
    x0, y0, x1, y1 = region
    # Split at the box centre: under a hard shadow the detector's nose point drifts toward
    # the lit side, while the box stays on the face (turns past SHADOW_MAX_YAW are skipped).
    nose_x = (x0 + x1) // 2
    # The central band of the face (forehead to chin), without hair at the box edges.
    top, bottom = y0 + (y1 - y0) // 5, y1 - (y1 - y0) // 10
    luma = _luma(view.image[top:bottom].astype(np.float32))
    left = float(luma[:, x0 + (nose_x - x0) // 5:nose_x].mean())
    right = float(luma[:, nose_x:x1 - (x1 - nose_x) // 5].mean())
    value = max(left, right) / max(min(left, right), 1.0)
    darker = "left" if left < right else "right"
    messages = {
        "pass": f"Light on the face is even (halves differ {value:.2f}x).",
        "warn": f"The {darker} half of the face is {value:.1f}x darker than the other: relight more evenly or choose another image.",
        "fail": f"The {darker} half of the face is {value:.1f}x darker than the other (harsh shadow): the generator will bake it in; relight evenly or choose another image.",
    }
    return _verdict("shadow", value, limits, True, messages)


def measure_fringe(picture: np.ndarray, alpha: np.ndarray, old_backdrop: np.ndarray | None) -> float:
    """Share of the subject's outline pixels that look like the old backdrop although the
    subject just inside them does not: a halo left by cleaning. Outline pixels of a subject
    whose own colour is close to the backdrop (grey armour on grey) do not count.

    ``old_backdrop`` is the backdrop colour at each pixel of ``picture`` (None: nothing to
    leave behind, e.g. a transparent source)."""
    import cv2

    if old_backdrop is None:
        return 0.0
    # Fully opaque pixels only: a soft edge pixel is a legitimate mix of subject and target
    # (a black outline over white gives grey), while an opaque backdrop-coloured one is a halo.
    solid = (alpha >= 1.0).astype(np.uint8)
    inner = cv2.erode(solid, np.ones((7, 7), np.uint8))
    ring = (solid - cv2.erode(solid, np.ones((3, 3), np.uint8))) > 0
    if not ring.any() or not inner.any():
        return 0.0
    colours = picture[:, :, :3].astype(np.float32)
    # The subject's colour near each outline pixel: inner colours spread outwards.
    weight = cv2.GaussianBlur(inner.astype(np.float32), (0, 0), 3.0)
    nearby = cv2.GaussianBlur(colours * inner[:, :, None], (0, 0), 3.0) / np.maximum(weight, 1e-3)[:, :, None]
    old = old_backdrop[ring]
    ring_to_old = np.linalg.norm(colours[ring] - old, axis=1)
    inside_to_old = np.linalg.norm(nearby[ring] - old, axis=1)
    halo = (ring_to_old < FRINGE_DISTANCE) & (inside_to_old > 3 * FRINGE_DISTANCE) & (weight[ring] > 0.05)
    return float(np.mean(halo))


def check_background_cleaned(view: View, background: Background, target, limits: dict) -> Check:
    """After cleaning: background pixels exactly the target, and no old-backdrop fringe."""
    canvas_w, canvas_h, px, py = view.canvas
    picture = view.cleaned
    alpha = np.zeros((canvas_h, canvas_w), np.float32)
    h, w = view.alpha.shape
    alpha[py:py + h, px:px + w] = view.alpha
    outside = picture[alpha == 0]
    if not len(outside):
        off = 0.0
    elif target is None:
        off = float(np.mean(outside[:, 3] != 0))
    else:
        off = float(np.mean(np.any(outside[:, :3] != np.array(target, np.uint8), axis=1)))
    fringe = measure_fringe(picture, alpha, old_backdrop_canvas(view, background, target))
    value = off + fringe
    messages = {
        "pass": "Background is perfectly flat with no fringe of the old backdrop.",
        "warn": f"{value:.2%} of edge or background pixels still show the old backdrop: check the outline in the report.",
        "fail": f"{value:.1%} of edge or background pixels still show the old backdrop: try --model isnet-general-use or a cleaner source.",
    }
    return _verdict("background", value, limits, True, messages)


def old_backdrop_canvas(view: View, background: Background, target) -> np.ndarray | None:
    """The old backdrop under the view's canvas, or None when it cannot leave a visible
    fringe (transparent source, or an old backdrop that already looks like the target)."""
    from .clean import view_backdrop

    if background.kind == "transparent":
        return None
    backdrop = view_backdrop(view, background)
    if target is not None and np.linalg.norm(backdrop.mean(axis=(0, 1)) - np.array(target)) <= FRINGE_DISTANCE:
        return None
    canvas_w, canvas_h, px, py = view.canvas
    canvas = np.empty((canvas_h, canvas_w, 3), np.float32)
    canvas[:] = backdrop.mean(axis=(0, 1))
    h, w = backdrop.shape[:2]
    canvas[py:py + h, px:px + w] = backdrop
    return canvas


def backdrop_around_subject(view: View, background: Background) -> Background:
    """The backdrop of an untouched image as seen around the subject (outside its matte,
    a little away from it), rather than only along the border, which a portrait's shoulders
    and hair may fill. Falls back to the border estimate when too little of it shows."""
    import cv2

    from .split import fit_backdrop

    if view.alpha is None or background.kind == "transparent":
        return background
    clear = cv2.erode((view.alpha == 0).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    ys, xs = np.nonzero(clear)
    if len(xs) < BACKDROP_MIN_SHARE * clear.size:
        return background
    step = max(1, len(xs) // BACKDROP_SAMPLES)
    ys, xs = ys[::step], xs[::step]
    height, width = clear.shape
    return fit_backdrop(xs, ys, view.image[ys, xs], (width, height), (width, height))


def check_background_untouched(view: View, background: Background, limits: dict) -> Check:
    """On an image as it is: a plain white backdrop passes, a plain coloured one warns."""
    if background.kind == "transparent":
        return Check("background", "pass", 0.0, limits["warn"], "Transparent background: refprep can place it on white.")
    backdrop = backdrop_around_subject(view, background)
    value = float(backdrop.noise)
    status, threshold = _grade(value, limits, higher_is_worse=True)
    if backdrop.kind == "cluttered":
        status, threshold = "fail", limits["fail"]
    off_white = float(np.linalg.norm(np.array(backdrop.color, float) - 255.0))
    if status == "pass" and off_white > OFF_WHITE_DISTANCE:
        return Check("background", "warn", value, threshold,
                     f"Plain but not white backdrop (RGB {backdrop.color}): run refprep build to put the subject on white.")
    messages = {
        "pass": "Plain white backdrop.",
        "warn": f"Backdrop is not quite plain (variation {value:.1f}): run refprep build to clean it.",
        "fail": f"Cluttered background (variation {value:.1f}): generators bind the background to the character; run refprep build or use a plain backdrop.",
    }
    return Check("background", status, value, threshold, messages[status])


def _head_outside_share(view: View, source_size: tuple[int, int]) -> float | None:
    """Share of the head (face box grown to take in hair and ears) outside the source frame."""
    if view.pose.face_box is None:
        return None
    x, y, w, h = view.pose.face_box
    x, y = x + view.bbox[0], y + view.bbox[1]  # face box in source pixels
    hx0, hx1 = x - HEAD_SIDE_GROWTH * w, x + w + HEAD_SIDE_GROWTH * w
    hy0, hy1 = y - HEAD_TOP_GROWTH * h, y + h
    width, height = source_size
    inside = max(0.0, min(hx1, width) - max(hx0, 0)) * max(0.0, min(hy1, height) - max(hy0, 0))
    return 1.0 - inside / ((hx1 - hx0) * (hy1 - hy0))


def _figure_edge_share(view: View, source_size: tuple[int, int]) -> dict[str, float]:
    """For a figure cut from a sheet: share of each sheet edge (top, left, right) it touches."""
    mask = _subject_mask(view)
    if mask is None or not mask.any():
        return {}
    width, _ = source_size
    x, y, w, _ = view.bbox
    edges = {}
    if y == 0:
        edges["top"] = float(mask[0].mean())
    if x == 0:
        edges["left"] = float(mask[:, 0].mean())
    if x + w >= width:
        edges["right"] = float(mask[:, -1].mean())
    return edges


def check_cropped(view: View, source_size: tuple[int, int], limits: dict) -> Check:
    """Is the head cut by the frame (photos and sheets), or a figure cut by the sheet edge?

    A portrait cut at the shoulders or chest is normal; a head cut off is not.
    """
    head = _head_outside_share(view, source_size)
    edges = _figure_edge_share(view, source_size) if view.kind == "figure" else {}
    if head is None and not edges:
        if view.kind == "photo":
            return Check("cropped", "skip", None, limits.get("fail"), "No face found, so framing was not judged.")
        edges = {"frame": 0.0}
    candidates = dict(edges)
    if head is not None:
        candidates["head"] = head
    part, value = max(candidates.items(), key=lambda item: item[1])
    where = "the head is cut by the frame" if part == "head" else f"the figure touches the {part} edge of the sheet"
    messages = {
        "pass": "The subject is not cut off by the frame.",
        "warn": f"Close to the edge: {where} ({value:.0%}); make sure nothing is cut off.",
        "fail": f"Cut off: {where} ({value:.0%}); use an image with the whole head (and body) in frame.",
    }
    return _verdict("cropped", value, limits, True, messages)


def check_single_subject(view: View, limits: dict) -> Check:
    import cv2

    figures = 1
    mask = _subject_mask(view)
    if view.kind == "photo" and mask is not None and mask.any():
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
        areas = stats[1:, 4]
        figures = int(np.sum(areas >= SECOND_FIGURE_AREA_SHARE * areas.max())) if areas.size else 0
    value = float(max(view.pose.face_count, figures, 1))
    messages = {
        "pass": "One subject.",
        "warn": f"{value:.0f} subjects found: a reference should show one character.",
        "fail": f"{value:.0f} subjects found: the generator may merge them; crop to one character.",
    }
    return _verdict("single_subject", value, limits, True, messages)


def check_face_visible(view: View, limits: dict) -> Check:
    pose = view.pose
    if pose.view == "back":
        return Check("face_visible", "pass", None, None, "Back view: no face expected.")
    if pose.face_box is None:
        return Check("face_visible", "warn", 0.0, None,
                     "No face found: refprep cannot tell which view this is; check the face is visible and unobstructed.")
    return Check("face_visible", "pass", float(pose.face_score or 0.0), None, "The face is visible.")


def check_pose_extreme(view: View, limits: dict) -> Check:
    pitch, roll = view.pose.pitch_deg, view.pose.roll_deg
    if pitch is None and roll is None:
        return Check("pose_extreme", "skip", None, limits.get("warn"), "Head tilt was not measured.")
    value = max(abs(pitch or 0.0), abs(roll or 0.0))
    which = "tilted up or down" if abs(pitch or 0) >= abs(roll or 0) else "tilted sideways"
    messages = {
        "pass": "The head is level.",
        "warn": f"The head is {which} by {value:.0f} degrees: the generator will copy the tilt; prefer a level head.",
        "fail": f"The head is {which} by {value:.0f} degrees: choose a view with a level head.",
    }
    return _verdict("pose_extreme", value, limits, True, messages)


# --- all checks ----------------------------------------------------------------------------

def check_view(view: View, background: Background, source_size: tuple[int, int], preset: Preset,
               target=(255, 255, 255), cleaned: bool = True) -> View:
    """Every per-view check, in a stable order; returns the view with ``checks`` filled."""
    limits = preset.thresholds()
    if cleaned:
        background_check = check_background_cleaned(view, background, target, limits["background"])
    else:
        background_check = check_background_untouched(view, background, limits["background_untouched"])
    checks = [
        check_resolution(view, limits["resolution"]),
        check_face_size(view, limits["face_size"]),
        check_sharpness(view, limits["sharpness"]),
        check_exposure(view, limits["exposure"]),
        check_shadow(view, limits["shadow"]),
        background_check,
        check_cropped(view, source_size, limits["cropped"]),
        check_single_subject(view, limits["single_subject"]),
        check_face_visible(view, limits.get("face_visible", {})),
        check_pose_extreme(view, limits["pose_extreme"]),
    ]
    return replace(view, checks=checks)
