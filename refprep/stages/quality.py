"""Quality stage: measure each view and turn every measure into a ``Check``.

Each check takes what it measures and the thresholds for its id (from the preset) and
returns one ``Check`` with the raw value, the threshold it was held to, a status and one
sentence of advice: what is wrong, why it matters to a generator, what to do. The pixel
measures live in ``measures.py``; a check decides where to look (the face where there is
one, the head, the subject or the backdrop around it) and what the number means.
``check_view`` runs them all; the preset's package rules are in ``rules.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from . import measures as M
from ..data import SUBJECT_ALPHA, Check, View
from ..targets.presets import Preset
from ..thresholds import FRAME_TOUCH_SHARE, THREE_QUARTER_MAX_YAW

# Regions taller than this are scaled down to it before measuring sharpness, so blur is
# judged relative to the face's size: a large face with a 2 px blur is as sharp as a face a
# quarter its size without (what matters is the detail a generator sees at its own scale).
SHARPNESS_REGION_HEIGHT = 256
# Side views show one half of the face; comparing halves there measures the pose, not light.
SHADOW_MAX_YAW = 45.0
# Both eyes must be in view to judge whether they are covered (sunglasses, hair).
EYES_MAX_YAW = 45.0
# Without a face, exposure is judged on the whole subject, where dark costumes and white
# clothes are legitimately dark or bright: only fully crushed or blown pixels count there.
CRUSHED_LUMA = 8
BLOWN_LUMA = 250
# Beyond a three-quarter turn one eye is hidden: the eye distance is not measured there.
EYE_DISTANCE_MAX_YAW = THREE_QUARTER_MAX_YAW
# A connected subject blob at least this share of the largest one counts as another figure.
SECOND_FIGURE_AREA_SHARE = 0.15
# An outline pixel within this RGB distance of the old backdrop colour looks like backdrop.
FRINGE_DISTANCE = 16.0
# The fringe is looked for on a copy of the view at most this long (see view_fringe): the
# width of 720p video, the size generators render the character at.
FRINGE_LONG_SIDE = 1280
# Whole-picture measures (backdrop, colour, subject exposure, figure count) run on a copy
# whose longer side is at most this: they are statistics, and a 12 MP photo stays fast.
WORK_LONG_SIDE = 512
# Backdrop pixels are those at least this many work-copy pixels away from the subject's
# matte (soft hair edges and matte errors stay out of the clutter measure) ...
BACKDROP_CLEARANCE_PX = 2
# ... and a backdrop is judged only when at least this share of the picture shows it.
BACKDROP_MIN_SHARE = 0.02
# A plain backdrop farther than this (RGB distance) from white is "not white".
OFF_WHITE_DISTANCE = 30.0
# The head around a face box: hair above (half a box) and ears beside (a quarter each side).
HEAD_TOP_GROWTH = 0.5
HEAD_SIDE_GROWTH = 0.25
# A matte value above this is "subject" for masks derived from it; below BACKDROP_ALPHA
# (after scaling to the work copy) surely backdrop, not a soft hair edge.
BACKDROP_ALPHA = 0.02


def _grade(value: float, limits: dict, higher_is_worse: bool) -> tuple[str, float]:
    """Status of ``value`` against warn/fail limits, and the threshold that decided it."""
    fail, warn = limits.get("fail"), limits.get("warn")
    worse = (lambda v, t: v >= t) if higher_is_worse else (lambda v, t: v < t)
    if fail is not None and worse(value, fail):
        return "fail", fail
    if warn is not None and worse(value, warn):
        return "warn", warn
    return "pass", warn if warn is not None else fail


def _below(value: float, limit: float, digits: int = 0) -> str:
    """``value`` written with ``digits`` decimals, or as many more (up to three) as it takes to
    read as less than ``limit``: 15.6 against 16 is "15.6", never "16 ..., under 16"."""
    for places in range(digits, digits + 4):
        text = f"{value:.{places}f}"
        if float(text) < limit:
            return text
    return f"just under {limit:.{digits}f}" if value < limit else f"{value:.{digits}f}"


def _verdict(check_id: str, value: float, limits: dict, higher_is_worse: bool,
             passed: str, warned: str, failed: str) -> Check:
    """Grade ``value`` and pick the advice sentence for the resulting status."""
    status, threshold = _grade(value, limits, higher_is_worse)
    return Check(check_id, status, value, threshold, {"pass": passed, "warn": warned, "fail": failed}[status])


def _skip(check_id: str, limits: dict, reason: str) -> Check:
    return Check(check_id, "skip", None, limits.get("fail", limits.get("warn")), reason)


def _face_region(view: View, side_growth: float = 0.0, top_growth: float = 0.0):
    """The face box (optionally grown to the head), clipped to the view: (x0, y0, x1, y1)."""
    if view.pose.face_box is None:
        return None
    x, y, w, h = view.pose.face_box
    height, width = view.image.shape[:2]
    x0, y0 = max(0, int(x - side_growth * w)), max(0, int(y - top_growth * h))
    x1, y1 = min(width, int(x + w + side_growth * w)), min(height, y + h)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    return x0, y0, x1, y1


def _subject_region(view: View):
    """The subject's bounding box in the view (the whole view when no mask is known)."""
    mask = view.subject_mask
    if mask is not None and mask.any():
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1
    return 0, 0, view.image.shape[1], view.image.shape[0]


@dataclass
class WorkCopy:
    """What several checks measure, computed once per view: the picture scaled to
    WORK_LONG_SIDE (never up) with the subject (matte above SUBJECT_ALPHA) and the sure
    backdrop (matte under BACKDROP_ALPHA) at that size, and the face box's luminance at
    native resolution (None without a face). ``fringe_rgb`` / ``fringe_matte`` are the
    picture and matte shrunk by the whole ``fringe_factor`` that brings them within
    FRINGE_LONG_SIDE: the fringe check's resolution, and the step the work copy is made from
    (a 12 MP view is read once at full size, not once per check)."""

    rgb: np.ndarray
    subject: np.ndarray | None
    backdrop: np.ndarray | None
    face: np.ndarray | None
    fringe_factor: int
    fringe_rgb: np.ndarray
    fringe_matte: np.ndarray | None

    @classmethod
    def of(cls, view: View) -> WorkCopy:
        import cv2

        height, width = view.image.shape[:2]
        factor = fringe_factor(view.image.shape)
        fringe_rgb = M.shrink_by(view.image, factor)
        matte = view.alpha if view.alpha is not None else view.mask
        fringe_matte = None if matte is None else M.shrink_by(matte.astype(np.float32, copy=False), factor)
        scale = min(1.0, WORK_LONG_SIDE / max(height, width))
        size = (max(1, round(width * scale)), max(1, round(height * scale)))

        def shrink(array: np.ndarray) -> np.ndarray:
            return array if scale == 1.0 else cv2.resize(array, size, interpolation=cv2.INTER_AREA)

        region = _face_region(view)
        face = None if region is None else M.luma(view.image[region[1]:region[3], region[0]:region[2]])
        rgb = np.ascontiguousarray(shrink(fringe_rgb))
        if fringe_matte is None:
            return cls(rgb, None, None, face, factor, fringe_rgb, None)
        small = shrink(fringe_matte)
        return cls(rgb, small > SUBJECT_ALPHA, small < BACKDROP_ALPHA, face, factor, fringe_rgb, fringe_matte)


def fringe_factor(shape) -> int:
    """The whole factor that brings an image of ``shape`` within FRINGE_LONG_SIDE."""
    return max(1, math.ceil(max(shape[:2]) / FRINGE_LONG_SIDE))


# --- size ----------------------------------------------------------------------------------

def check_resolution(view: View, source_size: tuple[int, int], limits: dict, upscaled_by: float = 1.0) -> Check:
    """How many pixels the generator gets: the subject's longer side, but no more than the
    source's shorter side (a photo is its whole frame, and a figure in a small frame is
    exported on a canvas no larger). The export pads; it enlarges only with ``--upscale``
    (``upscaled_by`` > 1), and then the value is still the source's size and the check warns
    whatever it is: the generator gets the pixels, but their detail is invented."""
    size = float(min(max(view.bbox[2], view.bbox[3]), min(source_size)))
    what = "The photo's shorter side is" if view.kind == "photo" else "The figure is"
    if upscaled_by > 1.0:
        return Check("resolution", "warn", size, limits["warn"],
                     f"{what} {size:.0f} px, upscaled x{upscaled_by:.3g} to {size * upscaled_by:.0f} px: detail is "
                     "invented (Real-ESRGAN); use a larger source if you have one.")
    return _verdict("resolution", size, limits, False,
                    passed=f"{what} {size:.0f} px: enough for 720p-1080p video.",
                    warned=f"{what} only {_below(size, limits['warn'])} px (want {limits['warn']:.0f}+): the generator will upscale it and soften details; use a larger source if you have one.",
                    failed=f"{what} {_below(size, limits['fail'])} px, under {limits['fail']:.0f}: too small for a reference: the generator has to invent its detail; use a larger source image.")


def with_upscaled_resolution(view: View, source_size: tuple[int, int], preset: Preset, factor: float) -> View:
    """``view`` with its resolution check redone for an export enlarged by ``factor``."""
    check = check_resolution(view, source_size, preset.thresholds()["resolution"], upscaled_by=factor)
    return replace(view, checks=[check if c.id == "resolution" else c for c in view.checks])


def check_face_size(view: View, limits: dict) -> Check:
    if view.pose.face_box is None:
        return _skip("face_size", limits, "No face found, so its size was not measured.")
    size = float(view.pose.face_box[3])
    return _verdict("face_size", size, limits, False,
                    passed=f"The face is {size:.0f} px tall: enough detail for the generator to copy.",
                    warned=f"The face is only {_below(size, limits['warn'])} px tall (want {limits['warn']:.0f}+): add a closer view or a larger image so facial details carry over.",
                    failed=f"The face is {_below(size, limits['fail'])} px tall, under {limits['fail']:.0f}: too small to carry identity; use a close-up or a much larger image.")


def check_eye_distance(view: View, limits: dict) -> Check:
    """Inter-eye distance in pixels (ISO/IEC 29794-5), corrected for the head's turn
    (divided by cos(yaw)) so a three-quarter view is judged on the face's real size."""
    pose = view.pose
    if pose.face_box is None or pose.eye_distance_px is None:
        return _skip("eye_distance", limits, "No face found, so the eye distance was not measured.")
    yaw = pose.yaw_deg or 0.0
    if abs(yaw) >= EYE_DISTANCE_MAX_YAW:
        return _skip("eye_distance", limits, "Profile view: one eye is hidden, so the eye distance was not measured.")
    value = float(pose.eye_distance_px) / math.cos(math.radians(yaw))
    return _verdict("eye_distance", value, limits, False,
                    passed=f"The eyes are {value:.0f} px apart: eye shape and colour will carry over.",
                    warned=f"The eyes are only {_below(value, limits['warn'])} px apart (want {limits['warn']:.0f}+): eye shape and colour may not carry over; use a closer or larger image.",
                    failed=f"The eyes are {_below(value, limits['fail'])} px apart, under {limits['fail']:.0f}: the generator will invent the eyes; use a close-up or a much larger image.")


# --- sharpness and compression ---------------------------------------------------------------

def measure_sharpness(view: View, work: WorkCopy) -> float:
    """Sharpness (0..1) of the face, or of the subject where there is no face."""
    import cv2

    if work.face is not None:
        grey, sub = work.face, None
    else:
        x0, y0, x1, y1 = _subject_region(view)
        grey = M.luma(view.image[y0:y1, x0:x1])
        mask = view.subject_mask
        sub = None if mask is None else mask[y0:y1, x0:x1]
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
    return M.crete_sharpness(grey, sub)


def check_sharpness(view: View, work: WorkCopy, limits: dict) -> Check:
    value = measure_sharpness(view, work)
    where = "face" if work.face is not None else "subject"
    return _verdict("sharpness", value, limits, False,
                    passed=f"The {where} is sharp (sharpness {value:.2f}).",
                    warned=f"The {where} is soft (sharpness {_below(value, limits['warn'], 2)}, want {limits['warn']:.2f}+): the generator will copy the softness; use a sharper source.",
                    failed=f"The {where} is blurred (sharpness {_below(value, limits['fail'], 2)}, under {limits['fail']:.2f}): the generator will copy the blur; choose a sharp image or re-render at higher quality.")


def check_jpeg_artifacts(view: View, limits: dict) -> Check:
    """JPEG compression of the head (or the subject), as the IJG quality that would have
    produced it; measured on native pixels, since scaling hides the 8x8 block grid."""
    region = _face_region(view, HEAD_SIDE_GROWTH, HEAD_TOP_GROWTH) or _subject_region(view)
    x0, y0, x1, y1 = region
    value = M.jpeg_quality(view.image[y0:y1, x0:x1])
    if value is None:
        return _skip("jpeg_artifacts", limits, "Too little texture to measure compression.")
    return _verdict("jpeg_artifacts", value, limits, False,
                    passed=f"No visible JPEG compression (estimated quality {value:.0f}).",
                    warned=f"Noticeable JPEG compression (estimated quality {_below(value, limits['warn'])}, want {limits['warn']:.0f}+): ringing and smeared skin may carry over; use the original file if you have it.",
                    failed=f"Heavy JPEG compression (estimated quality {_below(value, limits['fail'])}, under {limits['fail']:.0f}): 8x8 blocks and smeared detail will carry over; use an uncompressed or higher-quality original.")


# --- light and colour ------------------------------------------------------------------------

def check_exposure(view: View, work: WorkCopy, limits: dict) -> Check:
    """Share of the face that is under- or over-exposed (OFIQ's bounds), or of a faceless
    subject that is crushed black or blown white."""
    if work.face is not None:
        values, where, low, high = work.face, "face", M.UNDER_EXPOSED_LUMA, M.OVER_EXPOSED_LUMA
    else:
        values, where, low, high = M.luma(work.rgb), "subject", CRUSHED_LUMA, BLOWN_LUMA
        if work.subject is not None and work.subject.any():
            values = values[work.subject]
    under, over = M.exposure_shares(values, low, high)
    value = max(under, over)
    problem = f"too dark (luminance {low} or less)" if under >= over else f"blown out (luminance {high} or more)"
    return _verdict("exposure", value, limits, True,
                    passed=f"Exposure is fine: {under:.0%} of the {where} is too dark, {over:.0%} blown out.",
                    warned=f"{value:.0%} of the {where} is {problem}: details there are lost; use a better-exposed image.",
                    failed=f"{value:.0%} of the {where} is {problem}: the generator cannot recover that detail; re-shoot or re-render with balanced light.")


def check_brightness(work: WorkCopy, limits: dict) -> Check:
    """Mean luminance of the face (OFIQ's luminance mean), judged on both sides: too dark
    (``dark_warn``/``dark_fail``, lower is worse) or too bright (``bright_warn``/
    ``bright_fail``, higher is worse). The dark limits sit below well-exposed dark skin."""
    if work.face is None:
        return _skip("brightness", {"fail": limits["dark_fail"]}, "No face found, so its brightness was not measured.")
    value = float(work.face.mean())
    if value > limits["bright_warn"]:
        status, threshold = _grade(value, {"warn": limits["bright_warn"], "fail": limits["bright_fail"]}, True)
        messages = {
            "warn": f"The face is very bright (mean level {value:.0f} of 255): skin detail is washing out; lower the exposure.",
            "fail": f"The face is washed out (mean level {value:.0f} of 255): the generator will copy a pale, detail-less face; use a darker exposure.",
        }
    else:
        status, threshold = _grade(value, {"warn": limits["dark_warn"], "fail": limits["dark_fail"]}, False)
        messages = {
            "pass": f"The face is well exposed (mean level {value:.0f} of 255).",
            "warn": f"The face is dark (mean level {_below(value, limits['dark_warn'])} of 255, want {limits['dark_warn']:.0f}+): brighten the image or use a better-lit one.",
            "fail": f"The face is far too dark (mean level {_below(value, limits['dark_fail'])} of 255, under {limits['dark_fail']:.0f}): the generator cannot see its features; use a properly exposed image.",
        }
    return Check("brightness", status, value, threshold, messages[status])


def check_dynamic_range(work: WorkCopy, limits: dict) -> Check:
    """Tonal range of the face: grey levels between its 1st and 99th luminance percentile."""
    if work.face is None:
        return _skip("dynamic_range", limits, "No face found, so the face's dynamic range was not measured.")
    value = M.luminance_span(work.face)
    return _verdict("dynamic_range", value, limits, False,
                    passed=f"The face uses a full range of tones ({value:.0f} grey levels).",
                    warned=f"The face looks flat or washed out (only {_below(value, limits['warn'])} grey levels of tone, want {limits['warn']:.0f}+): raise the contrast or use a clearer image.",
                    failed=f"The face has almost no tonal range ({_below(value, limits['fail'])} grey levels, under {limits['fail']:.0f}): it is murky, hazy or washed out; use a clearer, properly exposed image.")


def check_shadow(view: View, work: WorkCopy, limits: dict) -> Check:
    """Left/right illumination of the face: ratio of the brighter half's mean luminance to
    the darker half's, halves taken symmetrically about the point between the eyes."""
    pose = view.pose
    if work.face is None or pose.keypoints is None:
        return _skip("shadow", limits, "No face found, so lighting on the face was not measured.")
    if pose.yaw_deg is not None and abs(pose.yaw_deg) > SHADOW_MAX_YAW:
        return _skip("shadow", limits, "Face turned too far to compare its two halves.")
    x0 = _face_region(view)[0]
    midline = float(pose.keypoints[:2, 0].mean()) - x0
    height, width = work.face.shape
    left, right = M.half_face_means(work.face, (0, 0, width, height), midline)
    if not (left > 0 or right > 0):
        return _skip("shadow", limits, "The face is too small to compare its two halves.")
    value = max(left, right) / max(min(left, right), 1.0)
    darker = "left" if left < right else "right"
    return _verdict("shadow", value, limits, True,
                    passed=f"Light on the face is even (halves differ {value:.2f}x).",
                    warned=f"The {darker} half of the face is {value:.1f}x darker than the other: relight more evenly or choose another image.",
                    failed=f"The {darker} half of the face is {value:.1f}x darker than the other (harsh shadow): the generator will bake it in; relight evenly or choose another image.")


def check_eyes_visible(view: View, limits: dict) -> Check:
    """Are the eyes uncovered? Brightness of the brighter eye region against the cheeks."""
    pose = view.pose
    region = _face_region(view)
    if region is None or pose.keypoints is None:
        return _skip("eyes_visible", limits, "No face found, so the eyes were not looked at.")
    if pose.yaw_deg is not None and abs(pose.yaw_deg) > EYES_MAX_YAW:
        return _skip("eyes_visible", limits, "Face turned too far to see both eyes.")
    x, y, w, h = pose.face_box
    height, width = view.image.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + w), min(height, y + 2 * h)  # cheeks below the box
    value = M.eye_visibility(M.luma(view.image[y0:y1, x0:x1]), pose.keypoints[:2] - (x0, y0), (x - x0, y - y0, w, h))
    if value is None:
        return _skip("eyes_visible", limits, "The eyes are outside the picture.")
    return _verdict("eyes_visible", value, limits, False,
                    passed="Both eyes are visible.",
                    warned=f"The eyes look dark or covered ({value:.2f} of the cheeks' brightness; sunglasses, hair or deep shadow): the generator will copy that and cannot show the eyes; use an image with the eyes visible unless that is the character's look.",
                    failed=f"The eyes are covered ({value:.2f} of the cheeks' brightness): the generator cannot copy eyes it cannot see; use an image with the eyes visible.")


def check_colour(work: WorkCopy, limits: dict) -> Check:
    """Is there colour at all? Spread of the subject's colours in CIELAB a*b* (ΔE)."""
    value = M.colour_spread(work.rgb, work.subject)
    return _verdict("colour", value, limits, False,
                    passed=f"The subject is in colour (colour spread {value:.1f}).",
                    warned=f"The subject is nearly monochrome (colour spread {value:.1f}, sepia or faded): the generator will guess skin, hair and clothing colours; use a colour image.",
                    failed=f"The subject is black and white (colour spread {value:.1f}): the generator will invent skin, hair and clothing colours differently in every clip; use a colour image.")


# --- background ------------------------------------------------------------------------------

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


def check_background_cleaned(view: View, target, limits: dict, work: WorkCopy | None = None) -> Check:
    """After cleaning: background pixels exactly the target, and no old-backdrop fringe."""
    import cv2

    canvas_w, canvas_h, px, py = view.canvas
    picture = view.cleaned
    h, w = view.alpha.shape
    if target is None:
        exact = cv2.inRange(picture[:, :, 3], 0, 0)
    else:
        colour = np.array(target, np.uint8)
        exact = cv2.inRange(picture[:, :, :3], colour, colour)
    # Background = the canvas outside the view's region, plus the view's clear pixels; count
    # the pixels there that are not exactly the target (without canvas-sized masks).
    clear = (view.alpha == 0).view(np.uint8)
    exact_in_region = exact[py:py + h, px:px + w]
    clear_count = cv2.countNonZero(clear)
    off_count = ((canvas_w * canvas_h - cv2.countNonZero(exact)) - (w * h - cv2.countNonZero(exact_in_region))
                 + (clear_count - cv2.countNonZero(cv2.bitwise_and(exact_in_region, clear))))
    background_count = canvas_w * canvas_h - w * h + clear_count
    off = off_count / max(1, background_count)
    value = off + view_fringe(view, target, work)
    return _verdict("background", value, limits, True,
                    passed="Background is perfectly flat with no fringe of the old backdrop.",
                    warned=f"{value:.2%} of edge or background pixels still show the old backdrop: check the outline in the report.",
                    failed=f"{value:.1%} of edge or background pixels still show the old backdrop: use a cleaner source, or try --model isnet-general-use (downloads once, needs a network; see `refprep models`).")


def view_fringe(view: View, target, work: WorkCopy | None = None) -> float:
    """measure_fringe of the view's cleaned picture against its old backdrop, on the view's
    own region of the canvas (the outline lies there), at most FRINGE_LONG_SIDE px long:
    a halo thinner than a pixel at the size the generator renders the character is not
    there for it. ``work``: the view's WorkCopy, whose shrunk picture and matte are reused."""
    import cv2

    if view.backdrop.kind == "transparent":
        return 0.0
    _, _, px, py = view.canvas
    h, w = view.alpha.shape
    factor = fringe_factor(view.alpha.shape)
    picture = M.shrink_by(view.cleaned[py:py + h, px:px + w, :3], factor)
    if work is not None and work.fringe_matte is not None and view.alpha is not None:
        image, alpha = work.fringe_rgb, work.fringe_matte
    else:
        image, alpha = M.shrink_by(view.image, factor), M.shrink_by(view.alpha, factor)
    if factor > 1:
        alpha = np.where(alpha > 0.999, 1.0, alpha)  # area averages of solid pixels stay solid
    old = _old_backdrop(replace(view, image=image, alpha=alpha), target)
    if old is None:
        return 0.0
    if old.shape[:2] != alpha.shape:  # a sheet's fitted backdrop comes at the view's full size
        old = cv2.resize(old, (alpha.shape[1], alpha.shape[0]), interpolation=cv2.INTER_AREA)
    return measure_fringe(picture, alpha, old)


def _old_backdrop(view: View, target) -> np.ndarray | None:
    """The old backdrop behind the view (float32 HxWx3 over ``view.image``), or None when it
    already looks like the target (then no fringe can show)."""
    from ..stages.clean import view_backdrop

    backdrop = view_backdrop(view)
    typical = backdrop[::8, ::8].mean(axis=(0, 1))  # smooth by construction: a sparse mean will do
    if target is not None and np.linalg.norm(typical - np.array(target)) <= FRINGE_DISTANCE:
        return None
    return backdrop


def check_background_untouched(view: View, work: WorkCopy, limits: dict) -> Check:
    """On an image as it is: how much of the backdrop around the subject is not plain
    (objects, text, patterns, people); a plain white one passes, a plain coloured one warns."""
    import cv2

    if view.backdrop.kind == "transparent":
        return Check("background", "pass", 0.0, limits["fail"], "Transparent background: refprep build puts the subject on white.")
    if work.backdrop is None:
        return _skip("background", limits, "The subject could not be separated from its backdrop.")
    kernel = np.ones((2 * BACKDROP_CLEARANCE_PX + 1,) * 2, np.uint8)
    clear = cv2.erode(work.backdrop.astype(np.uint8), kernel) > 0
    if clear.mean() < BACKDROP_MIN_SHARE:
        return _skip("background", limits, "The subject fills the frame: there is no backdrop to judge.")
    value, colour = M.backdrop_clutter(work.rgb, work.backdrop, clear)
    status, threshold = _grade(value, limits, higher_is_worse=True)
    if status == "pass" and np.linalg.norm(np.array(colour, float) - 255.0) > OFF_WHITE_DISTANCE:
        # Plain, so the clutter limit did not decide this: no threshold to show for it.
        return Check("background", "warn", value, None,
                     f"Plain but not white backdrop (RGB {colour}, {value:.0%} cluttered): run refprep build to put the subject on white.")
    messages = {
        "pass": "Plain white backdrop.",
        "warn": f"{value:.0%} of the backdrop is not plain (texture, objects or text): run refprep build to remove it, or use a plain backdrop.",
        "fail": f"Cluttered background: {value:.0%} of the backdrop shows objects, text or people; generators bind the background to the character; run refprep build or use a plain backdrop.",
    }
    return Check("background", status, value, threshold, messages[status])


# --- framing and subject ---------------------------------------------------------------------

def _frame_of(view: View, source_size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The picture the view was cut from, (x, y, w, h) in source pixels: its panel or the source."""
    return view.frame if view.frame is not None else (0, 0, *source_size)


def _head_outside_share(view: View, frame: tuple[int, int, int, int]) -> float | None:
    """Share of the head (face box grown to take in hair and ears) outside the view's frame."""
    if view.pose.face_box is None:
        return None
    x, y, w, h = view.pose.face_box
    x, y = x + view.bbox[0], y + view.bbox[1]  # face box in source pixels
    hx0, hx1 = x - HEAD_SIDE_GROWTH * w, x + w + HEAD_SIDE_GROWTH * w
    hy0, hy1 = y - HEAD_TOP_GROWTH * h, y + h
    fx, fy, fw, fh = frame
    inside = max(0.0, min(hx1, fx + fw) - max(hx0, fx)) * max(0.0, min(hy1, fy + fh) - max(hy0, fy))
    return 1.0 - inside / ((hx1 - hx0) * (hy1 - hy0))


def _frame_contact(view: View, work: WorkCopy, frame: tuple[int, int, int, int],
                   touch_share: float = FRAME_TOUCH_SHARE) -> dict[str, float]:
    """How far the subject runs into each edge of its frame where that means a cut: the
    share of the subject's extent along the edge (its width at the top or bottom, its height
    at a side) with subject pixels within ``touch_share`` of the frame's longer side of it.

    A full figure may touch no edge. A bust, a close-up or a photo is cut at the chest (and
    at the shoulders) by design: there only the top counts, over the head's width where a
    face was found (hair cut off, not a raised hand or a lamp behind)."""
    if work.subject is None or not work.subject.any():
        return {}
    # At the frame's edge any trace of the subject counts: a matte fades out where hair or a
    # limb is cut by the border, as it does along a soft outline.
    matte = view.alpha if view.alpha is not None else view.mask
    fx, fy, fw, fh = frame
    x, y, w, h = view.bbox
    band = max(2, round(touch_share * max(fw, fh)))
    # The subject's extent in view pixels, read on the work copy (only a denominator).
    rows, cols = np.flatnonzero(work.subject.any(axis=1)), np.flatnonzero(work.subject.any(axis=0))
    to_rows, to_cols = h / work.subject.shape[0], w / work.subject.shape[1]
    top, bottom = int(rows[0] * to_rows), int(np.ceil((rows[-1] + 1) * to_rows))
    left, right = int(cols[0] * to_cols), int(np.ceil((cols[-1] + 1) * to_cols))
    # How many of the view's rows (columns) lie within the band inside each frame edge.
    near = {"top": fy + band - y, "bottom": y + h - (fy + fh - band),
            "left": fx + band - x, "right": x + w - (fx + fw - band)}
    if view.framing != "full_body":
        near = {"top": near["top"]}
        face = view.pose.face_box
        if face is not None:
            left = max(left, int(face[0] - HEAD_SIDE_GROWTH * face[2]))
            right = min(right, int(face[0] + face[2] + HEAD_SIDE_GROWTH * face[2]))
    contact = {}
    for edge, depth in near.items():
        depth = min(int(depth), h if edge in ("top", "bottom") else w)
        if depth <= 0 or right <= left:
            continue
        strip = {"top": matte[:depth, left:right], "bottom": matte[h - depth:, left:right],
                 "left": matte[top:bottom, :depth].T, "right": matte[top:bottom, w - depth:].T}[edge]
        contact[edge] = float((strip > BACKDROP_ALPHA).any(axis=0).mean())
    return contact


def check_cropped(view: View, work: WorkCopy, source_size: tuple[int, int], limits: dict) -> Check:
    """Is the subject cut off by the edge of its picture (the source image, or the panel of
    a sheet it sits in; never the tight crop box the split drew around it)?

    A full figure cut anywhere (feet, head, a hand), or a head cut at the top or a side
    fails; a portrait or bust cut at the chest by the bottom edge is normal framing.
    """
    frame = _frame_of(view, source_size)
    candidates = _frame_contact(view, work, frame)
    head = _head_outside_share(view, frame)
    if head is not None:
        candidates["head"] = head
    part, value = max(candidates.items(), key=lambda item: item[1], default=("top", 0.0))
    picture = "its panel" if view.frame is not None else "the picture"
    where = (f"the head runs out of {picture}" if part == "head"
             else f"the subject runs into the {part} edge of {picture} ({value:.0%} of its "
                  f"{'width' if part in ('top', 'bottom') else 'height'})")
    return _verdict("cropped", value, limits, True,
                    passed="The subject is not cut off by the frame.",
                    warned=f"Close to the edge: {where}; make sure nothing is cut off.",
                    failed=f"Cut off: {where}; use an image with the whole head (and, for a full figure, the feet) in frame.")


def check_single_subject(view: View, work: WorkCopy, limits: dict) -> Check:
    """Faces the mesh confirmed, or (in a photo) separate figures in the subject's matte."""
    import cv2

    figures = 1
    mask = work.subject
    if view.kind == "photo" and mask is not None and mask.any():
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
        areas = stats[1:, 4]
        figures = int(np.sum(areas >= SECOND_FIGURE_AREA_SHARE * areas.max())) if areas.size else 0
    value = float(max(view.pose.face_count, figures, 1))
    return _verdict("single_subject", value, limits, True,
                    passed="One subject.",
                    warned=f"{value:.0f} subjects found: a reference should show one character.",
                    failed=f"{value:.0f} subjects found: the generator may merge them; crop to one character.")


def check_face_visible(view: View, limits: dict) -> Check:
    pose = view.pose
    if pose.view == "back":
        return Check("face_visible", "pass", None, None, "Back view: no face expected.")
    if pose.face_box is None:
        if pose.view == "unknown":
            return Check("face_visible", "warn", 0.0, None,
                         "No face found and nothing else told the view: check the face is visible, "
                         "or declare the view with --views / --view N=CLASS.")
        return Check("face_visible", "warn", 0.0, None,
                     f"The face models found no face (the view was read from {pose.method.replace('_', ' ')}): "
                     "a generator may not see one either; prefer a view with a clear face.")
    return Check("face_visible", "pass", float(pose.face_score or 0.0), None, "The face is visible.")


def check_view_class(view: View, limits: dict) -> Check:
    """How sure the view's class is: a declared class that strong evidence contradicts, or
    a class inferred with confidence under ``min_confidence``, warns and points to --views."""
    pose = view.pose
    threshold = limits["min_confidence"]
    if pose.conflict:
        return Check("view_class", "warn", pose.confidence, threshold,
                     f"Declared {pose.view}, but {pose.conflict}: check the declaration (the declared class is used).")
    if pose.method == "declared":
        return Check("view_class", "pass", pose.confidence, threshold, f"{pose.view}, as declared.")
    if pose.method == "none":
        return Check("view_class", "warn", 0.0, threshold,
                     "No reader could tell which view this is: declare it with --view N=CLASS or --views.")
    if pose.confidence < threshold:
        return Check("view_class", "warn", pose.confidence, threshold,
                     f"Unsure which view this is (read as {pose.view} from {pose.method.replace('_', ' ')}, "
                     f"confidence {pose.confidence:.2f}): declare it with --view N=CLASS or --views.")
    return Check("view_class", "pass", pose.confidence, threshold,
                 f"{pose.view} (from {pose.method.replace('_', ' ')}, confidence {pose.confidence:.2f}).")


def check_pose_extreme(view: View, limits: dict) -> Check:
    pitch, roll = view.pose.pitch_deg, view.pose.roll_deg
    if pitch is None and roll is None:
        return _skip("pose_extreme", limits, "Head tilt was not measured.")
    value = max(abs(pitch or 0.0), abs(roll or 0.0))
    which = "tilted up or down" if abs(pitch or 0) >= abs(roll or 0) else "tilted sideways"
    return _verdict("pose_extreme", value, limits, True,
                    passed="The head is level.",
                    warned=f"The head is {which} by {value:.0f} degrees: the generator will copy the tilt; prefer a level head.",
                    failed=f"The head is {which} by {value:.0f} degrees: choose a view with a level head.")


# --- all checks ----------------------------------------------------------------------------

def check_view(view: View, source_size: tuple[int, int], preset: Preset,
               target=(255, 255, 255), cleaned: bool = True) -> View:
    """Every per-view check, in a stable order; returns the view with ``checks`` filled."""
    limits = preset.thresholds()
    work = WorkCopy.of(view)
    if cleaned:
        background_check = check_background_cleaned(view, target, limits["background"], work)
    else:
        background_check = check_background_untouched(view, work, limits["background_untouched"])
    checks = [
        check_resolution(view, source_size, limits["resolution"]),
        check_face_size(view, limits["face_size"]),
        check_eye_distance(view, limits["eye_distance"]),
        check_sharpness(view, work, limits["sharpness"]),
        check_jpeg_artifacts(view, limits["jpeg_artifacts"]),
        check_exposure(view, work, limits["exposure"]),
        check_brightness(work, limits["brightness"]),
        check_dynamic_range(work, limits["dynamic_range"]),
        check_shadow(view, work, limits["shadow"]),
        check_eyes_visible(view, limits["eyes_visible"]),
        check_colour(work, limits["colour"]),
        background_check,
        check_cropped(view, work, source_size, limits["cropped"]),
        check_single_subject(view, work, limits["single_subject"]),
        check_face_visible(view, limits.get("face_visible", {})),
        check_view_class(view, limits["view_class"]),
        check_pose_extreme(view, limits["pose_extreme"]),
    ]
    return replace(view, checks=checks)
