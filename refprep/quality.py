"""Quality stage: measure each view and turn every measure into a ``Check``.

Each check function takes what it measures and the thresholds (from the preset) and
returns one ``Check`` with the raw value, the threshold it was held to and a sentence of
advice. Measures look at the face where there is one and at the subject otherwise.
``check_view`` runs them all; ``package_problems`` applies the preset's package rules.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .data import Background, Check, View
from .presets import Preset, view_group

# Regions are scaled to this height before measuring sharpness, so the number means the
# same for a 60 px face and a 600 px face.
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
    picture = view.cleaned if view.cleaned is not None else view.image
    short = float(min(picture.shape[:2]))
    status, threshold = _grade(short, limits, higher_is_worse=False)
    messages = {
        "pass": f"Short side {short:.0f} px is enough for video generation.",
        "warn": f"Short side is only {short:.0f} px (want {limits['warn']:.0f}+): the generator will upscale and soften details; use a larger source.",
        "fail": f"Short side is {short:.0f} px, under the {limits['fail']:.0f} px many generators reject: use a larger source image.",
    }
    return Check("resolution", status, short, threshold, messages[status])


def check_face_size(view: View, limits: dict) -> Check:
    if view.pose.face_box is None:
        return Check("face_size", "skip", None, limits.get("warn"), "No face found, so its size was not measured.")
    size = float(view.pose.face_box[3])
    status, threshold = _grade(size, limits, higher_is_worse=False)
    messages = {
        "pass": f"The face is {size:.0f} px tall: enough detail for the generator to copy.",
        "warn": f"The face is only {size:.0f} px tall (want {limits['warn']:.0f}+): add a closer view or a larger image so facial details carry over.",
        "fail": f"The face is {size:.0f} px tall, too small to carry identity: use a close-up or a much larger image.",
    }
    return Check("face_size", status, size, threshold, messages[status])


def measure_sharpness(view: View) -> float:
    """Variance of the Laplacian over the face (or the subject), at a fixed region height."""
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
    scale = SHARPNESS_REGION_HEIGHT / grey.shape[0]
    size = (max(8, round(grey.shape[1] * scale)), SHARPNESS_REGION_HEIGHT)
    grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    laplacian = cv2.Laplacian(grey, cv2.CV_32F, ksize=3)
    inner = laplacian[2:-2, 2:-2]
    if mask is not None and view.pose.face_box is None:
        sub = cv2.resize(mask[y0:y1, x0:x1].astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
        # Only the subject's inside: its outline against the backdrop is always sharp.
        sub = cv2.erode(sub, np.ones((5, 5), np.uint8))[2:-2, 2:-2] > 0
        if sub.sum() > 100:
            inner = inner[sub]
    return float(inner.var())


def check_sharpness(view: View, limits: dict) -> Check:
    value = measure_sharpness(view)
    status, threshold = _grade(value, limits, higher_is_worse=False)
    where = "face" if view.pose.face_box is not None else "subject"
    messages = {
        "pass": f"The {where} is sharp (detail {value:.0f}).",
        "warn": f"The {where} is soft (detail {value:.0f}, want {limits['warn']:.0f}+): the generator will copy the blur; use a sharper source.",
        "fail": f"The {where} is blurred (detail {value:.0f}, under {limits['fail']:.0f}): choose a sharp image or re-render at higher quality.",
    }
    return Check("sharpness", status, value, threshold, messages[status])


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
    status, threshold = _grade(value, limits, higher_is_worse=True)
    where = "face" if region is not None else "subject"
    worst = "blown-out highlights" if blown >= crushed else "crushed shadows"
    messages = {
        "pass": f"Exposure is fine: {value:.0%} of the {where} is clipped (mean level {luma.mean():.0f}).",
        "warn": f"{value:.0%} of the {where} is clipped ({worst}): details there are lost; use a better-exposed image.",
        "fail": f"{value:.0%} of the {where} is clipped ({worst}): the generator cannot recover that detail; re-shoot or re-render with balanced light.",
    }
    return Check("exposure", status, value, threshold, messages[status])


def check_shadow(view: View, limits: dict) -> Check:
    region = _face_region(view)
    yaw = view.pose.yaw_deg
    if region is None or view.pose.keypoints is None:
        return Check("shadow", "skip", None, limits.get("warn"), "No face found, so lighting on the face was not measured.")
    if yaw is not None and abs(yaw) > SHADOW_MAX_YAW:
        return Check("shadow", "skip", None, limits.get("warn"), "Face turned too far to compare its two halves.")
    x0, y0, x1, y1 = region
    nose_x = int(np.clip(view.pose.keypoints[2][0], x0 + 2, x1 - 2))
    # The central band of the face (forehead to chin), without hair at the box edges.
    top, bottom = y0 + (y1 - y0) // 5, y1 - (y1 - y0) // 10
    luma = _luma(view.image[top:bottom].astype(np.float32))
    left = float(luma[:, x0 + (nose_x - x0) // 5:nose_x].mean())
    right = float(luma[:, nose_x:x1 - (x1 - nose_x) // 5].mean())
    value = max(left, right) / max(min(left, right), 1.0)
    status, threshold = _grade(value, limits, higher_is_worse=True)
    darker = "left" if left < right else "right"
    messages = {
        "pass": f"Light on the face is even (halves differ {value:.2f}x).",
        "warn": f"The {darker} half of the face is {value:.1f}x darker than the other: relight more evenly or choose another image.",
        "fail": f"The {darker} half of the face is {value:.1f}x darker than the other (harsh shadow): the generator will bake it in; relight evenly or choose another image.",
    }
    return Check("shadow", status, value, threshold, messages[status])


def measure_fringe(picture: np.ndarray, alpha: np.ndarray, background: Background, target) -> float:
    """Share of the subject's outline pixels that look like the old backdrop although the
    subject just inside them does not: a halo left by cleaning. Outline pixels of a subject
    whose own colour is close to the backdrop (grey armour on grey) do not count."""
    import cv2

    old = np.array(background.color, np.float32)
    if background.kind == "transparent" or (target is not None and np.linalg.norm(old - np.array(target)) <= FRINGE_DISTANCE):
        return 0.0  # nothing to leave behind: the old backdrop was (or looks like) the target
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
    fringe = measure_fringe(picture, alpha, background, target)
    value = off + fringe
    status, threshold = _grade(value, limits, higher_is_worse=True)
    messages = {
        "pass": "Background is perfectly flat with no fringe of the old backdrop.",
        "warn": f"{value:.2%} of edge or background pixels still show the old backdrop: check the outline in the report.",
        "fail": f"{value:.1%} of edge or background pixels still show the old backdrop: try --model isnet-general-use or a cleaner source.",
    }
    return Check("background", status, value, threshold, messages[status])


def check_background_untouched(background: Background, limits: dict) -> Check:
    """On an image as it is: a plain white backdrop passes, a plain coloured one warns."""
    if background.kind == "transparent":
        return Check("background", "pass", 0.0, limits["warn"], "Transparent background: refprep can place it on white.")
    value = float(background.noise)
    status, threshold = _grade(value, limits, higher_is_worse=True)
    off_white = float(np.linalg.norm(np.array(background.color, float) - 255.0))
    if status == "pass" and off_white > 30:
        return Check("background", "warn", value, threshold,
                     f"Plain but not white backdrop (RGB {background.color}): run refprep build to put the subject on white.")
    messages = {
        "pass": "Plain white backdrop.",
        "warn": f"Backdrop is not quite plain (variation {value:.1f}): run refprep build to clean it.",
        "fail": f"Cluttered background (variation {value:.1f}): generators bind the background to the character; run refprep build or use a plain backdrop.",
    }
    return Check("background", status, value, threshold, messages[status])


def check_cropped(view: View, source_size: tuple[int, int], limits: dict) -> Check:
    """Share of the top/left/right frame edges the subject touches."""
    mask = _subject_mask(view)
    width, height = source_size
    x, y, w, h = view.bbox
    edges = {}
    if mask is not None and mask.any():
        if y == 0:
            edges["top"] = float(mask[0].mean())
        if x == 0:
            edges["left"] = float(mask[:, 0].mean())
        if x + w >= width:
            edges["right"] = float(mask[:, -1].mean())
    elif view.pose.face_box is not None:
        fx, fy, fw, fh = view.pose.face_box
        edges = {"top": float(fy <= 0), "left": float(fx <= 0), "right": float(fx + fw >= view.image.shape[1])}
    else:
        return Check("cropped", "skip", None, limits.get("fail"), "No subject outline to test against the frame.")
    side, value = max(edges.items(), key=lambda item: item[1]) if edges else ("top", 0.0)
    status, threshold = _grade(value, limits, higher_is_worse=True)
    messages = {
        "pass": "The subject is not cut off by the frame.",
        "warn": f"The subject touches the {side} edge of the image: make sure nothing is cut off.",
        "fail": f"The subject is cut off at the {side} edge ({value:.0%} of it): use an image with the whole head and body in frame.",
    }
    return Check("cropped", status, value, threshold, messages[status])


def check_single_subject(view: View, limits: dict) -> Check:
    import cv2

    figures = 1
    mask = _subject_mask(view)
    if view.kind == "photo" and mask is not None and mask.any():
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
        areas = stats[1:, 4]
        figures = int(np.sum(areas >= SECOND_FIGURE_AREA_SHARE * areas.max())) if areas.size else 0
    value = float(max(view.pose.face_count, figures, 1))
    status, threshold = _grade(value, limits, higher_is_worse=True)
    messages = {
        "pass": "One subject.",
        "warn": f"{value:.0f} subjects found: a reference should show one character.",
        "fail": f"{value:.0f} subjects found: the generator may merge them; crop to one character.",
    }
    return Check("single_subject", status, value, threshold, messages[status])


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
    status, threshold = _grade(value, limits, higher_is_worse=True)
    which = "tilted up or down" if abs(pitch or 0) >= abs(roll or 0) else "tilted sideways"
    messages = {
        "pass": "The head is level.",
        "warn": f"The head is {which} by {value:.0f} degrees: the generator will copy the tilt; prefer a level head.",
        "fail": f"The head is {which} by {value:.0f} degrees: choose a view with a level head.",
    }
    return Check("pose_extreme", status, value, threshold, messages[status])


# --- all checks ----------------------------------------------------------------------------

def check_view(view: View, background: Background, source_size: tuple[int, int], preset: Preset,
               target=(255, 255, 255), cleaned: bool = True) -> View:
    """Every per-view check, in a stable order; returns the view with ``checks`` filled."""
    limits = preset.thresholds()
    if cleaned:
        background_check = check_background_cleaned(view, background, target, limits["background"])
    else:
        background_check = check_background_untouched(background, limits["background_untouched"])
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


def package_problems(views: list[View], preset: Preset) -> tuple[list[str], list[str], dict[str, bool]]:
    """The preset's package rules: (failures, warnings, coverage by view group)."""
    coverage = {group: False for group in ("front", "three_quarter", "side", "back")}
    for view in views:
        group = view_group(view.pose.view)
        if group:
            coverage[group] = True
    failures, warnings = [], []
    if not views:
        failures.append("No views were found in the input.")
    for group in preset.required_views:
        if not coverage.get(group):
            failures.append(f"No {group.replace('_', '-')} view was recognised; preset {preset.name} requires one.")
    for group in preset.recommended_views:
        if not coverage.get(group):
            warnings.append(f"No {group.replace('_', '-')} view; preset {preset.name} recommends one for consistent turns.")
    if preset.max_views is not None and len(views) > preset.max_views:
        failures.append(f"{len(views)} views, but preset {preset.name} allows at most {preset.max_views}.")
    for index, view in enumerate(views, 1):
        for check in view.checks:
            if check.status == "fail":
                failures.append(f"View {index} ({view.pose.view}): {check.message}")
            elif check.status == "warn":
                warnings.append(f"View {index} ({view.pose.view}): {check.message}")
    return failures, warnings, coverage
