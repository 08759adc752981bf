"""Export stage: checked views -> the images a preset takes, sized and encoded to fit it.

``select_views`` picks which views go in (the best-ranked view per wanted group, the frontal
first) and says why every other view was left out. ``export_view`` pads the view's picture to
the preset's aspect and pixel limits with the background colour, scales it down only where it
is over a limit, and encodes it under the byte limit (PNG, optimised PNG, then a JPEG quality
search), keeping the background outside the subject exactly flat throughout.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np

from ..data import View
from ..targets.presets import CLOSEUP_SLOT, FORMAT_EXTENSIONS, GROUP_ORDER, JPEG_QUALITY_RANGE, Preset, view_group

UNCLASSIFIED = "unclassified"
# When no encoding fits the byte limit, scale down by the square root of (limit / size) -
# bytes grow about with the pixel count - times this margin, at most this many times.
SHRINK_MARGIN = 0.95
MAX_SHRINKS = 4
# zlib level for the first PNG attempt: level 6 is the speed/size sweet spot.
PNG_COMPRESS_LEVEL = 6
# Level 9 with Pillow's optimize pass saved 0-3% over level 6 on the devdata sheets' views and a
# 2294x1610 photo, at 2-3x the time (2.2 s on a 15 MP photo): it is tried only for a PNG
# within 5% of the byte limit, where it can make the difference.
PNG_OPTIMISE_REACH = 0.95


@dataclass
class Chosen:
    view: View
    index: int  # 1-based position of the view among all views found (sheet order)
    slot: str  # the view group it fills, UNCLASSIFIED for a view of unknown pose, or CLOSEUP_SLOT


@dataclass
class LeftOut:
    view: View
    index: int
    reason: str


@dataclass
class Exported:
    """One view as written: file name, encoded bytes and what was done to fit it."""

    chosen: Chosen
    file: str
    data: bytes
    format: str
    picture: np.ndarray  # the fitted picture (before lossy encoding), for the contact sheet
    scale: float  # output pixels per canvas pixel
    pad: tuple[int, int, int, int]  # background added (left, top, right, bottom), in output pixels
    jpeg_quality: int | None
    upscaled_from: tuple[int, int] | None = None  # (width, height) of the source crop when enlarged

    @property
    def width(self) -> int:
        return int(self.picture.shape[1])

    @property
    def height(self) -> int:
        return int(self.picture.shape[0])


# --- selection -------------------------------------------------------------------------------

def _failed_checks(view: View) -> list[str]:
    return [check.id for check in view.checks if check.status == "fail"]


def rank_key(view: View) -> tuple:
    """Better views sort first: fewer failed checks, the whole figure before a close-up (an
    expression head is no reference for the costume), fewer warnings, surer pose, bigger subject."""
    statuses = [check.status for check in view.checks]
    return (statuses.count("fail"), view.framing == "close_up", statuses.count("warn"), -view.pose.confidence,
            -view.bbox[2] * view.bbox[3])


def _slot_order(slot: str) -> int:
    return GROUP_ORDER.index(slot) if slot in GROUP_ORDER else len(GROUP_ORDER)


def select_views(views: list[View], preset: Preset, excluded: frozenset[int] = frozenset()
                 ) -> tuple[list[Chosen], list[LeftOut]]:
    """The views ``preset`` takes, frontal first, and every other view with the reason it was left out.

    ``excluded`` numbers (1-based, sheet order) views the creator left out with ``--exclude``.

    One view per wanted group (required groups, then recommended, then the rest), the best
    ranked; then further classified views of a class not yet in; then views of unknown pose,
    in sheet order (turnaround sheets conventionally start with the front), only while slots
    are left. A view that fails a check fills only a required slot that has no alternative.
    """
    numbered = [(i, v) for i, v in enumerate(views, 1) if i not in excluded]
    if preset.include_all:
        return ([Chosen(view, index, view_group(view.pose.view) or UNCLASSIFIED) for index, view in numbered],
                [LeftOut(view, index, f"excluded with --exclude {index}") for index, view in enumerate(views, 1)
                 if index in excluded])
    capacity = preset.max_views if preset.max_views is not None else len(views)
    chosen: list[Chosen] = []
    taken: set[int] = set()

    def take(index: int, view: View, slot: str) -> None:
        chosen.append(Chosen(view, index, slot))
        taken.add(index)

    wanted = list(dict.fromkeys((*preset.required_views, *preset.recommended_views, *GROUP_ORDER)))
    for group in wanted:
        candidates = sorted(((i, v) for i, v in numbered if view_group(v.pose.view) == group),
                            key=lambda item: rank_key(item[1]))
        if len(chosen) < capacity and candidates:
            index, best = candidates[0]
            if group in preset.required_views or not _failed_checks(best):
                take(index, best, group)
    classes_in = {c.view.pose.view for c in chosen}
    extras = sorted(((i, v) for i, v in numbered if i not in taken and view_group(v.pose.view)
                     and v.pose.view not in classes_in and not _failed_checks(v)),
                    key=lambda item: rank_key(item[1]))
    for index, view in extras:
        if len(chosen) < capacity and view.pose.view not in classes_in:
            take(index, view, view_group(view.pose.view))
            classes_in.add(view.pose.view)
    for index, view in numbered:
        if len(chosen) < capacity and index not in taken and view.pose.view == "unknown" and not _failed_checks(view):
            take(index, view, UNCLASSIFIED)

    chosen.sort(key=lambda c: (_slot_order(c.slot), c.index))
    left_out = [LeftOut(view, index, f"excluded with --exclude {index}" if index in excluded
                        else _left_out_reason(view, chosen, preset, capacity))
                for index, view in enumerate(views, 1) if index not in taken]
    return chosen, left_out


def _left_out_reason(view: View, chosen: list[Chosen], preset: Preset, capacity: int) -> str:
    failed = _failed_checks(view)
    if failed:
        return (f"fails check {', '.join(failed)}: a failing view goes in only for a required view "
                "that has no alternative")
    same = [c for c in chosen if c.view.pose.view == view.pose.view and view.pose.view != "unknown"]
    if same:
        return (f"view {same[0].index} is also {view.pose.view} and ranked higher "
                "(fewer failed checks, then the whole figure before a close-up, then fewer warned checks, "
                "then pose confidence, then size)")
    if view.pose.view == "unknown":
        return (f"its pose is unknown (no face the models could read) and preset {preset.name}'s "
                f"{capacity} slot(s) went to views ahead of it")
    return f"preset {preset.name} takes at most {capacity} image(s); the slots went to views ahead of it"


# --- fitting ---------------------------------------------------------------------------------

def canvas_coverage(view: View) -> np.ndarray:
    """Where the subject is on the view's exported canvas (True = any subject coverage)."""
    picture = view.cleaned
    if picture.shape[2] == 4:
        return picture[:, :, 3] > 0
    canvas_w, canvas_h, px, py = view.canvas
    mask = np.zeros((canvas_h, canvas_w), bool)
    h, w = view.alpha.shape
    mask[py:py + h, px:px + w] = view.alpha > 0
    return mask


def _fill_value(picture: np.ndarray, colour) -> np.ndarray:
    """The background pixel: ``colour`` on RGB, fully transparent on RGBA."""
    return np.zeros(4, np.uint8) if picture.shape[2] == 4 else np.array(colour, np.uint8)


def pad(picture: np.ndarray, mask: np.ndarray, colour, left: int, top: int, right: int, bottom: int):
    """Add background around the picture (and non-subject around the mask)."""
    h, w, channels = picture.shape
    out = np.empty((h + top + bottom, w + left + right, channels), np.uint8)
    out[:] = _fill_value(picture, colour)
    out[top:top + h, left:left + w] = picture
    out_mask = np.zeros(out.shape[:2], bool)
    out_mask[top:top + h, left:left + w] = mask
    return out, out_mask


def _centre(extra: int) -> tuple[int, int]:
    return extra // 2, extra - extra // 2


def _aspect_padding(width: int, height: int, preset: Preset) -> tuple[int, int]:
    """(extra width, extra height) that bring width/height inside the preset's range."""
    if preset.min_aspect is not None and width / height < preset.min_aspect:
        return math.ceil(height * preset.min_aspect) - width, 0
    if preset.max_aspect is not None and width / height > preset.max_aspect:
        return 0, math.ceil(width / preset.max_aspect) - height
    return 0, 0


def downscale(picture: np.ndarray, mask: np.ndarray, colour, scale: float):
    """Area-average the picture down by ``scale`` (< 1); the background stays exactly flat.

    Area averaging has no overshoot, and every output pixel no subject pixel reaches is
    reset to the background, so the flat border survives exactly. RGBA is averaged with
    premultiplied alpha so transparent pixels do not darken the outline.
    """
    import cv2

    h, w = picture.shape[:2]
    size = (max(1, int(w * scale)), max(1, int(h * scale)))
    if picture.shape[2] == 4:
        alpha = picture[:, :, 3:].astype(np.float32) / 255.0
        premultiplied = np.dstack([picture[:, :, :3] * alpha, alpha])
        small = cv2.resize(premultiplied, size, interpolation=cv2.INTER_AREA)
        small_alpha = small[:, :, 3:]
        rgb = small[:, :, :3] / np.maximum(small_alpha, 1e-6)
        out = np.dstack([rgb, small_alpha * 255.0]).round().clip(0, 255).astype(np.uint8)
    else:
        out = cv2.resize(picture, size, interpolation=cv2.INTER_AREA)
    out_mask = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
    out[~out_mask] = _fill_value(picture, colour)
    return out, out_mask


def fit_picture(picture: np.ndarray, mask: np.ndarray, colour, preset: Preset, scale_cap: float = 1.0):
    """Pad and (only when over a limit) scale down to the preset's aspect and side limits.

    ``scale_cap`` (< 1) scales down further, when the file would be over the byte limit.
    Returns (picture, mask, scale, (left, top, right, bottom) padding in output pixels).
    Nothing is cropped or stretched: the subject keeps its shape and every pixel of it.
    """
    extra_w, extra_h = _aspect_padding(picture.shape[1], picture.shape[0], preset)
    (left, right), (top, bottom) = _centre(extra_w), _centre(extra_h)
    picture, mask = pad(picture, mask, colour, left, top, right, bottom)
    scale = scale_cap
    if preset.max_side is not None:
        scale = min(scale, preset.max_side / max(picture.shape[:2]))
    if scale < 1.0:
        picture, mask = downscale(picture, mask, colour, scale)
        left, top, right, bottom = (round(v * scale) for v in (left, top, right, bottom))
    else:
        scale = 1.0
    # Scaling rounds sides to whole pixels; then small pictures are padded up to the minimum side.
    min_side = preset.min_side or 0
    grow_w, grow_h = max(0, min_side - picture.shape[1]), max(0, min_side - picture.shape[0])
    extra_w, extra_h = _aspect_padding(picture.shape[1] + grow_w, picture.shape[0] + grow_h, preset)
    (more_left, more_right), (more_top, more_bottom) = _centre(grow_w + extra_w), _centre(grow_h + extra_h)
    picture, mask = pad(picture, mask, colour, more_left, more_top, more_right, more_bottom)
    return picture, mask, scale, (left + more_left, top + more_top, right + more_right, bottom + more_bottom)


# --- encoding --------------------------------------------------------------------------------

def png_bytes(picture: np.ndarray, optimize: bool = False) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG", optimize=optimize, compress_level=9 if optimize else PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def jpeg_bytes(picture: np.ndarray, quality: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    # 4:4:4: chroma subsampling smears the saturated outlines of drawn characters.
    Image.fromarray(picture).save(buffer, format="JPEG", quality=quality, subsampling=0)
    return buffer.getvalue()


def border_is_flat(data: bytes, colour) -> bool:
    """Does the decoded image's outermost ring of pixels equal ``colour`` exactly?"""
    from PIL import Image

    decoded = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    ring = np.concatenate([decoded[0], decoded[-1], decoded[:, 0], decoded[:, -1]])
    return bool(np.all(ring == np.array(colour, np.uint8)))


def jpeg_within(picture: np.ndarray, colour, limit: int) -> tuple[bytes, int] | None:
    """The highest-quality JPEG in JPEG_QUALITY_RANGE under ``limit`` bytes whose background
    border still decodes exactly flat, or None."""
    best_quality, lowest = JPEG_QUALITY_RANGE
    smallest = jpeg_bytes(picture, lowest)
    if len(smallest) > limit or not border_is_flat(smallest, colour):
        return None
    fits, low, high = (smallest, lowest), lowest + 1, best_quality
    while low <= high:  # binary search for the highest quality that fits
        quality = (low + high) // 2
        data = jpeg_bytes(picture, quality)
        if len(data) <= limit:
            fits, low = (data, quality), quality + 1
        else:
            high = quality - 1
    return fits


def encode(picture: np.ndarray, colour, preset: Preset) -> tuple[bytes, str, int | None]:
    """The best encoding under the preset's byte limit: PNG, optimised PNG (when that can
    make the difference), then the JPEG quality search (opaque pictures whose border stays exactly flat). Returns (data, format,
    JPEG quality or None); when nothing fits, the smallest PNG, which is over the limit."""
    limit = preset.max_bytes
    data = png_bytes(picture)
    if limit is None or len(data) <= limit:
        return data, "png", None
    if len(data) * PNG_OPTIMISE_REACH <= limit:
        data = png_bytes(picture, optimize=True)
        if len(data) <= limit:
            return data, "png", None
    if "jpeg" in preset.formats and picture.shape[2] == 3:
        found = jpeg_within(picture, colour, limit)
        if found:
            return found[0], "jpeg", found[1]
    return data, "png", None


def export_view(chosen: Chosen, position: int, preset: Preset, colour, upscale_by: float = 1.0,
                upscaler=None) -> Exported:
    """Fit and encode one chosen view; ``position`` numbers the file (01_front.png..., a
    close-up NN_front_closeup.png).

    ``upscale_by`` > 1 first enlarges the view's cut-out by that factor with ``upscaler``
    (``stages.upscale.enlarge_view``); ``scale`` then counts output pixels per pixel of the
    view's original canvas. When no encoding meets the byte limit, the view is fitted again
    smaller (bytes grow about with the pixel count) and encoded again, at most MAX_SHRINKS
    times; what is still over the limit is left for the max_bytes rule to report.
    """
    view = chosen.view
    upscaled_from = None
    if upscale_by > 1.0:
        from ..stages.upscale import enlarge_view

        upscaled_from = (int(view.image.shape[1]), int(view.image.shape[0]))
        view = enlarge_view(view, upscale_by, colour, upscaler)
    canvas, mask = view.cleaned, canvas_coverage(view)
    scale_cap = 1.0
    for _ in range(MAX_SHRINKS + 1):
        picture, _, scale, padding = fit_picture(canvas, mask, colour, preset, scale_cap)
        data, fmt, quality = encode(picture, colour, preset)
        if preset.max_bytes is None or len(data) <= preset.max_bytes:
            break
        scale_cap = scale * math.sqrt(preset.max_bytes / len(data)) * SHRINK_MARGIN
    what = f"{view.pose.view}_closeup" if chosen.slot == CLOSEUP_SLOT else view.pose.view
    name = f"{position:02d}_{what}{FORMAT_EXTENSIONS[fmt]}"
    return Exported(chosen, name, data, fmt, picture, scale * upscale_by, padding, quality, upscaled_from)
