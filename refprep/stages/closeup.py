"""Close-up stage: a head-and-shoulders close-up cut from the best front view (``--closeup``).

The close-up is one more reference image after the views a preset chose, never the frontal
image, and only where the preset accepts close-ups (``Preset.accepts_closeup``) and its image
count leaves room. It is cut from the front view as the clean stage left it (its cut-out, its
matte and its composited canvas: no model runs again), framed by the flat background, and
checked as a view is (``quality.check_view``); one that fails a check is left out with a
warning, so asking for a close-up never makes a package invalid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..data import View
from ..models import DEFAULT_UPSCALE
from ..targets.export import Chosen, pad, rank_key
from ..targets.presets import CLOSEUP_SLOT, Preset
from ..thresholds import (CLOSEUP_BOTTOM_GROWTH, CLOSEUP_FIGURE_SHARE, CLOSEUP_MARGIN_SHARE, CLOSEUP_SIDE_GROWTH,
                          CLOSEUP_TOP_GROWTH)


@dataclass
class Closeup:
    """What ``--closeup`` adds to a package: the close-up to export (None when there is none),
    the factor ``--upscale`` grows it by, and the one-line reason when there is none."""

    chosen: Chosen | None
    upscale_by: float = 1.0
    warning: str | None = None


def best_front_view(views: list[View], excluded: frozenset[int] = frozenset()) -> tuple[int, View] | None:
    """The view a close-up is cut from and its number (1-based, sheet order): of the views
    of class front not ``excluded``, the one with the highest pose confidence (on a tie the
    better ranked, as ``export.rank_key`` ranks); None without a front view."""
    fronts = [(index, view) for index, view in enumerate(views, 1)
              if index not in excluded and view.pose.view == "front"]
    if not fronts:
        return None
    return min(fronts, key=lambda item: (-item[1].pose.confidence, rank_key(item[1])))


def closeup_box(view: View) -> tuple[int, int, int, int] | None:
    """The head and shoulders in ``view``'s pixels, (x0, y0, x1, y1), clipped to the view:
    the face box grown by CLOSEUP_SIDE/TOP/BOTTOM_GROWTH, or without one the top
    CLOSEUP_FIGURE_SHARE of the figure's matte, as wide as the figure is there. None where
    the view shows no subject there.

    Examples
    --------
    >>> from refprep.data import Pose
    >>> view = View(0, (0, 0, 200, 600), np.zeros((600, 200, 3), np.uint8), alpha=np.ones((600, 200), np.float32),
    ...             pose=Pose("front", face_box=(70, 40, 60, 60)))
    >>> closeup_box(view)
    (10, 0, 190, 190)
    """
    mask = view.subject_mask
    if mask is None or not mask.any():
        return None
    height, width = mask.shape
    if view.pose.face_box is not None:
        x, y, w, h = view.pose.face_box
        x0, x1 = x - CLOSEUP_SIDE_GROWTH * w, x + w + CLOSEUP_SIDE_GROWTH * w
        y0, y1 = y - CLOSEUP_TOP_GROWTH * h, y + h + CLOSEUP_BOTTOM_GROWTH * h
    else:
        rows = np.flatnonzero(mask.any(axis=1))
        y0 = int(rows[0])
        y1 = y0 + max(1, math.ceil(CLOSEUP_FIGURE_SHARE * (int(rows[-1]) + 1 - y0)))
        cols = np.flatnonzero(mask[y0:y1].any(axis=0))
        x0, x1 = int(cols[0]), int(cols[-1]) + 1
    box = (max(0, math.floor(x0)), max(0, math.floor(y0)), min(width, math.ceil(x1)), min(height, math.ceil(y1)))
    if box[2] <= box[0] or box[3] <= box[1] or not mask[box[1]:box[3], box[0]:box[2]].any():
        return None
    return box


def cut_closeup(view: View, box: tuple[int, int, int, int], target) -> View:
    """The part ``box`` (view pixels, x0, y0, x1, y1) of a cleaned ``view`` as a view of its
    own: its crop, matte and composited pixels (the view's cleaned canvas, not cleaned
    again), on a canvas CLOSEUP_MARGIN_SHARE of its longer side larger all round, filled with
    ``target`` (None: transparent); its source box, face box and keypoints moved with it;
    framing ``close_up``; no checks yet."""
    x0, y0, x1, y1 = box
    _, _, paste_x, paste_y = view.canvas
    alpha = view.alpha[y0:y1, x0:x1].copy()
    margin = max(1, round(CLOSEUP_MARGIN_SHARE * max(x1 - x0, y1 - y0)))
    cut = view.cleaned[paste_y + y0:paste_y + y1, paste_x + x0:paste_x + x1]
    cleaned, _ = pad(cut, alpha > 0, target, margin, margin, margin, margin)
    pose = view.pose
    face_box = None if pose.face_box is None else (pose.face_box[0] - x0, pose.face_box[1] - y0, *pose.face_box[2:])
    keypoints = None if pose.keypoints is None else pose.keypoints - np.array([x0, y0], pose.keypoints.dtype)
    return replace(view, bbox=(view.bbox[0] + x0, view.bbox[1] + y0, x1 - x0, y1 - y0),
                   image=view.image[y0:y1, x0:x1].copy(),
                   mask=None if view.mask is None else view.mask[y0:y1, x0:x1].copy(),
                   alpha=alpha, cleaned=cleaned, canvas=(x1 - x0 + 2 * margin, y1 - y0 + 2 * margin, margin, margin),
                   framing="close_up", pose=replace(pose, face_box=face_box, keypoints=keypoints), checks=[])


def add_closeup(views: list[View], chosen: list[Chosen], preset: Preset, target,
                source_sizes: list[tuple[int, int]], excluded: frozenset[int] = frozenset(),
                upscale: str = DEFAULT_UPSCALE) -> Closeup:
    """The close-up ``--closeup`` adds after the ``chosen`` views, or why there is none.

    Parameters
    ----------
    views : list of View
        Every view found, cleaned and checked, in sheet order.
    chosen : list of Chosen
        The views the preset took (``export.select_views``); the close-up comes after them.
    preset : Preset
        Whether it takes a close-up (``accepts_closeup``), how many images, its thresholds.
    target : tuple or None
        The background colour (None: transparent).
    source_sizes : list of (width, height)
        The sources' sizes, by source index (the resolution and cropped checks need them).
    excluded : frozenset of int
        View numbers the creator left out: no close-up is cut from them.
    upscale : {"never", "auto", "always"}
        As for the views: under ``auto`` a close-up under the preset's minimum side or the
        resolution check's warn level grows (x4 at most), its resolution check warning.

    Returns
    -------
    Closeup
        ``chosen`` (slot ``closeup``, ``index`` the front view's number) and ``upscale_by``;
        or ``chosen`` None and a one-line ``warning``.
    """
    from .quality import check_view, with_upscaled_resolution
    from .upscale import upscale_factors

    if not preset.accepts_closeup:
        return Closeup(None, warning=f"No close-up: preset {preset.name} takes views only, so --closeup was "
                                     "ignored (rule closeup)")
    if preset.max_views is not None and len(chosen) >= preset.max_views:
        return Closeup(None, warning=f"No close-up: preset {preset.name} takes at most {preset.max_views} images "
                                     "and the views fill them; leave a view out with --exclude N to make room")
    front = best_front_view(views, excluded)
    if front is None:
        return Closeup(None, warning="No close-up: no view was recognised as front to cut it from "
                                     "(declare one with --view N=front)")
    index, view = front
    box = closeup_box(view)
    if box is None:
        return Closeup(None, warning=f"No close-up: front view {index} shows no subject to cut it from")
    source_size = source_sizes[view.source_index]
    closeup = check_view(cut_closeup(view, box, target), source_size, preset, target)
    factor = upscale_factors([closeup], preset, upscale)[closeup.source_index]
    if factor > 1.0:
        closeup = with_upscaled_resolution(closeup, source_size, preset, factor)
    failed = [check.id for check in closeup.checks if check.status == "fail"]
    if failed:
        hint = "; --upscale auto enlarges it" if "resolution" in failed and upscale == "never" else ""
        return Closeup(None, warning=f"No close-up: the close-up of front view {index} fails check "
                                     f"{', '.join(failed)}{hint}")
    return Closeup(Chosen(closeup, index, CLOSEUP_SLOT), factor)
