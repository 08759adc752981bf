"""Split stage: a loaded sheet -> one ``View`` per character view.

0. ``find_panels`` cuts a sheet along gutters and frame lines (a photo grid, a production
   sheet's boxes); each panel is split against its own backdrop, or is one photo.
1. ``estimate_background`` fits a smooth colour surface to the image border (flat,
   gradient or vignette backdrops all fit), or reads the alpha channel; the pipeline first
   turns a transparency checkerboard a generator painted into real transparency
   (``without_fake_checkerboard``).
2. ``find_pieces`` marks pixels far from that backdrop, takes out ruled lines (``ruling``:
   graph paper, guide lines) and labels connected pieces; ``separate_touching`` cuts touching figures along the outline, ``separate_by_faces``
   where several faces sit in one piece.
3. ``group_pieces`` keeps character-sized pieces as views and attaches detached hair,
   props and tails to the nearest view; a smaller piece standing apart is a close-up (an
   expression head) where a face detector finds a face in it; captions, props and small
   marks become annotations.
4. ``layout_views`` puts the views of one framing (full body, close-up) on canvases of one
   size, at one scale, feet aligned, so a character keeps its height from view to view.

A cluttered border means a photo: the whole image is one view. So does a border that looks
plain but has a camera's noise, with pieces running off the frame (a wall and a floor).
But where the saliency model sees two or more figure-sized subjects in it (a drawn ref
sheet on a pattern or a painted scene), those are the views (``salient_figures``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from .. import thresholds as T
from ..data import Background, Source, View, boxes_meet


@dataclass
class Piece:
    """A connected blob of non-backdrop pixels, in work-scale pixels."""

    label: int
    x: int
    y: int
    w: int
    h: int
    area: int
    cut_from: int = 0   # the label of the piece it was cut out of by separate_touching; 0: none
    one_colour: float = 0.0   # share of its pixels near its median colour (text ink: most)
    flat: bool = False  # a filled shape of one colour: a colour swatch, a button, a scrollbar
    thin: bool = False  # drawn in strokes thin for its height: a letter, a line, an outline
    faint_group: int = 0  # the faint-subject region it lies in (``find_pieces``); 0: none

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def right(self) -> int:
        return self.x + self.w


# Finds faces in an RGB image: detections with ``box`` (x, y, w, h) and ``score`` (0..1),
# best first (``FaceAnalyzer.find_faces``).
FindFaces = Callable[[np.ndarray], list]
# Saliency of an RGB image, float 0..1 of its size (a matting session's ``predict_mask``).
FindSalient = Callable[[np.ndarray], np.ndarray]


@dataclass
class SplitResult:
    background: Background
    views: list[View]
    annotations: list[dict]  # {"bbox": [x, y, w, h], "kind": "mark"} in source pixels


# --- 0. panels --------------------------------------------------------------------------

def find_panels(rgb: np.ndarray, *, tolerance: float = T.PANEL_GUTTER_TOLERANCE, edge_share: float = T.PANEL_EDGE_SHARE,
                blend_share: float = T.PANEL_BLEND_SHARE, min_tile_share: float = T.PANEL_MIN_TILE_SHARE,
                rule_px: int = T.PANEL_RULE_PX, max_depth: int = T.PANEL_MAX_DEPTH) -> list[tuple[int, int, int, int]]:
    """The panels of a sheet: cut it along gutters and frame lines, recursively (XY-cut).

    A cut line runs straight across the whole region, is one colour, and has a panel's edge
    along both of its sides (see ``thresholds.PANEL_EDGE_SHARE``). Regions are cut across
    rows, then columns, and each tile again, so a grid or a production sheet's nested boxes
    come apart; a sheet with no such lines is one panel.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 array
        The sheet.
    tolerance : float
        A line is one colour when no channel varies more than this along it.
    edge_share, blend_share : float
        Shares of a line's length: differing on each side, a blend of the two sides.
    min_tile_share : float
        Tiles thinner than this share of their region are margins, not panels.
    rule_px : int
        Lines this thin (at the work scale) with the same colour on both sides are ruling.
    max_depth : int
        How deep panels nest.

    Returns
    -------
    list of (x, y, w, h)
        Panel boxes in source pixels, in reading order; one box covering the sheet when no
        gutter divides it.

    Examples
    --------
    >>> grid = np.full((100, 210, 3), 255, np.uint8)
    >>> grid[5:95, 5:100] = (200, 120, 90)
    >>> grid[5:95, 110:205] = (90, 120, 200)
    >>> find_panels(grid)
    [(0, 0, 100, 100), (110, 0, 100, 100)]
    """
    import cv2

    height, width = rgb.shape[:2]
    scale = min(1.0, T.PANEL_WORK_LONG_SIDE / max(height, width))
    work = rgb if scale >= 1.0 else cv2.resize(rgb, (max(1, round(width * scale)), max(1, round(height * scale))),
                                               interpolation=cv2.INTER_AREA)
    work = work.astype(np.float32)

    def gutters(region: np.ndarray) -> list[tuple[int, int]]:
        """Runs of columns of ``region`` that are gutters (start, end)."""
        low, high = region.min(axis=0), region.max(axis=0)
        uniform = (high - low).max(axis=1) <= tolerance
        middle = (low + high) / 2
        found, start, count = [], 0, region.shape[1]
        while start < count:
            if not uniform[start]:
                start += 1
                continue
            end = start
            while end < count and uniform[end] and np.abs(middle[end] - middle[start]).max() <= tolerance:
                end += 1
            if start > 0 and end < count:   # a run at the region's edge is a margin
                colour = middle[start:end].mean(axis=0)
                before, after = region[:, max(start - 2, 0)], region[:, min(end + 1, count - 1)]
                differ_before = np.abs(before - colour).max(axis=1) > tolerance
                differ_after = np.abs(after - colour).max(axis=1) > tolerance
                blend = ((colour >= np.minimum(before, after) - 4).all(axis=1)
                         & (colour <= np.maximum(before, after) + 4).all(axis=1) & differ_before & differ_after)
                # A hairline with the same colour on both sides rules the page (graph paper,
                # guide lines): the same backdrop goes on across it.
                ruled = end - start <= rule_px and \
                    (np.abs(before - after).max(axis=1) <= tolerance).mean() >= edge_share
                if differ_before.mean() >= edge_share and differ_after.mean() >= edge_share \
                        and blend.mean() < blend_share and not ruled:
                    found.append((start, end))
            start = end
        return found

    def cut(box: tuple[int, int, int, int], depth: int) -> list[tuple[int, int, int, int]]:
        x, y, w, h = box
        region = work[y:y + h, x:x + w]
        for across_rows, size in ((True, h), (False, w)):
            runs = gutters(region.transpose(1, 0, 2) if across_rows else region)
            edges = [0] + [e for run in runs for e in run] + [size]
            spans = [(edges[i], edges[i + 1]) for i in range(0, len(edges), 2)]
            spans = [(a, b) for a, b in spans if b - a >= min_tile_share * size]
            if len(spans) >= 2 and depth < max_depth:
                tiles = []
                for a, b in spans:
                    tiles += cut((x, y + a, w, b - a) if across_rows else (x + a, y, b - a, h), depth + 1)
                return tiles
        return [box]

    tiles = cut((0, 0, work.shape[1], work.shape[0]), 0)
    if len(tiles) == 1:
        return [(0, 0, width, height)]
    return [_clip_box((int(round(x / scale)), int(round(y / scale)), int(round(w / scale)), int(round(h / scale))),
                      width, height) for x, y, w, h in tiles]


# --- 1. backdrop ------------------------------------------------------------------------

def without_fake_checkerboard(source: Source, *, tolerance: float = T.CHECKER_TOLERANCE) -> Source:
    """The source with real transparency where a baked-in transparency checkerboard shows.

    Generators asked for a transparent background often paint the grey-and-white checks an
    editor shows behind transparent pixels. Where the image's edges are such a checkerboard
    (``checkerboard_colours``), every pixel that is one of its two colours or a blend of
    them, reached from the edge through such pixels, becomes transparent; so does an
    enclosed patch that shows both colours (the checks between an arm and the body). What
    stays opaque is the subject, and the rest of the pipeline treats the image as the
    transparent cut-out it was meant to be. Images without one come back unchanged.

    Examples
    --------
    >>> from refprep.data import Source
    >>> from pathlib import Path
    >>> cells = (np.indices((120, 160)) // 10).sum(axis=0) % 2
    >>> rgb = np.where(cells[..., None] == 1, 204, 255).astype(np.uint8).repeat(3, axis=2)
    >>> rgb[30:90, 60:100] = (200, 40, 40)
    >>> out = without_fake_checkerboard(Source(Path("s.png"), rgb, None, "0" * 64, "PNG", "RGB"))
    >>> int(out.alpha[60, 80]), int(out.alpha[5, 5]), int(out.alpha[60, 30])
    (255, 0, 0)
    """
    import cv2

    if source.alpha is not None:
        return source
    colours = checkerboard_colours(source.rgb)
    if colours is None:
        return source
    light, dark = colours
    rgb = source.rgb.astype(np.float32)
    axis = light - dark
    along = np.clip(((rgb - dark) @ axis) / float(axis @ axis), 0.0, 1.0)
    off_checks = np.linalg.norm(rgb - (dark + along[..., None] * axis), axis=2)
    checks = (off_checks <= tolerance).astype(np.uint8)
    count, parts, stats, _ = cv2.connectedComponentsWithStats(checks, connectivity=4)
    edge_labels = np.unique(np.concatenate([parts[0], parts[-1], parts[:, 0], parts[:, -1]]))
    backdrop = np.isin(parts, edge_labels[edge_labels > 0])
    # Enclosed patches of both colours are checks showing through; a patch of one colour is
    # a white shirt or a grey sleeve the checks' colours happen to match.
    light_share = np.bincount(parts.ravel(), weights=(along > 0.5).ravel(), minlength=count) / np.maximum(stats[:, 4], 1)
    both = (light_share >= T.CHECKER_MIN_COLOUR_SHARE) & (light_share <= 1 - T.CHECKER_MIN_COLOUR_SHARE)
    both[0] = False
    backdrop |= both[parts]
    alpha = np.where(backdrop, 0, 255).astype(np.uint8)
    return replace(source, alpha=alpha)


def checkerboard_colours(rgb: np.ndarray, *, min_runs: int = T.CHECKER_MIN_RUNS
                         ) -> tuple[np.ndarray, np.ndarray] | None:
    """(light, dark) colours of a transparency checkerboard painted along the image's edges,
    or None: the pixels one in from the top or bottom edge, and from the left or right edge,
    alternate between two distinct neutral colours in runs whose length (the cell side)
    holds from one run to the next, at least ``min_runs`` of them along each direction."""
    def runs(line: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        grey = line.mean(axis=1)
        threshold = (grey.min() + grey.max()) / 2
        light = grey > threshold
        light_px, dark_px = line[light], line[~light]
        if min(len(light_px), len(dark_px)) < T.CHECKER_MIN_COLOUR_SHARE * len(line):
            return None
        edges = np.flatnonzero(np.diff(light.astype(np.int8))) + 1
        lengths = np.diff(edges)         # whole runs only, not the two cut by the ends
        if len(lengths) < min_runs:
            return None
        # Painted checks keep their size from cell to cell, though not always across the
        # image (devdata's toy render: 43 px cells at the top, 21 px at the bottom).
        alike = np.abs(np.diff(lengths)) <= np.maximum(2.0, 0.15 * np.maximum(lengths[1:], lengths[:-1]))
        if np.median(lengths) < 3 or alike.mean() < 0.8:
            return None
        return np.median(light_px, axis=0), np.median(dark_px, axis=0)

    if min(rgb.shape[:2]) < 8:
        return None
    found = []
    for lines in ((rgb[1], rgb[-2]), (rgb[:, 1], rgb[:, -2])):    # one of each pair may be cut by a figure
        found.append(next((r for r in map(runs, (line.astype(np.float32) for line in lines)) if r is not None), None))
    if any(f is None for f in found):
        return None
    light = np.mean([f[0] for f in found], axis=0)
    dark = np.mean([f[1] for f in found], axis=0)
    neutral = all(np.ptp(c) <= T.CHECKER_MAX_TINT for c in (light, dark))
    if not neutral or np.abs(light - dark).max() < T.CHECKER_MIN_CONTRAST:
        return None
    return light.astype(np.float32), dark.astype(np.float32)


def _border_mask(height: int, width: int, top_only: bool = False) -> np.ndarray:
    """The image's edge strip; with ``top_only``, its top edge and the upper part of the sides."""
    band = max(T.BORDER_MIN_PX, int(round(min(height, width) * T.BORDER_FRACTION)))
    mask = np.zeros((height, width), bool)
    mask[:band] = True
    if top_only:
        upper = int(T.PANEL_TOP_BORDER_SHARE * height)
        mask[:upper, :band] = mask[:upper, -band:] = True
        return mask
    mask[-band:] = True
    mask[:, :band] = mask[:, -band:] = True
    return mask


def _quadratic_basis(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    return np.stack([np.ones_like(xs), xs, ys, xs * xs, ys * ys, xs * ys], axis=-1)


def estimate_background(source: Source, top_only: bool = False, *,
                        outlier_share: float = T.BORDER_OUTLIER_SHARE) -> Background:
    """Estimate the backdrop from the image border; see ``Background`` for the model.

    ``top_only`` reads only the top edge and the upper sides: inside a panel, a bust or a
    figure standing on the panel's lower edge covers much of the rest. Where more than
    ``outlier_share`` of the border is not backdrop, the image is a scene ("cluttered").
    """
    rgb = _work_copy(source.rgb)
    height, width = rgb.shape[:2]
    border = _border_mask(height, width, top_only)
    size = (source.width, source.height)

    if source.alpha is not None:
        alpha = _work_copy(source.alpha)
        if np.mean(alpha[border] < T.ALPHA_BACKGROUND_BELOW) > 1 - outlier_share:
            return Background("transparent", (255, 255, 255), 0.0, None, size)

    ys, xs = np.nonzero(border)
    return fit_backdrop(xs, ys, rgb[ys, xs], (width, height), size, outlier_share=outlier_share)


def fit_backdrop(xs: np.ndarray, ys: np.ndarray, colours: np.ndarray, grid_size: tuple[int, int],
                 image_size: tuple[int, int], *, outlier_share: float = T.BORDER_OUTLIER_SHARE) -> Background:
    """Fit the smooth backdrop surface to sample pixels (at ``xs``, ``ys`` on a grid of
    ``grid_size``), robustly: pixels that do not fit (a figure touching the edge, a frame
    line) are dropped and the fit repeated. Too many misfits, or too much noise, make the
    backdrop "cluttered"."""
    width, height = grid_size
    colours = colours.astype(np.float32)
    basis = _quadratic_basis((xs + 0.5) / width * 2 - 1, (ys + 0.5) / height * 2 - 1).astype(np.float32)
    # Start from the pixels near the median colour: a UI widget or tile edge along one side
    # would otherwise pull the first fit towards it and leave it among the inliers.
    residual = np.linalg.norm(colours - np.median(colours, axis=0), axis=1)
    keep = residual < max(3.0 * float(np.median(residual)) * 1.4826, T.FOREGROUND_MIN_DISTANCE / 2)
    for _ in range(3):
        coefficients, *_ = np.linalg.lstsq(basis[keep], colours[keep], rcond=None)
        residual = np.linalg.norm(colours - basis @ coefficients, axis=1)
        cutoff = max(3.0 * float(np.median(residual[keep])) * 1.4826, T.FOREGROUND_MIN_DISTANCE / 2)
        new_keep = residual < cutoff
        if new_keep.sum() < 0.5 * len(colours) or np.array_equal(new_keep, keep):
            break
        keep = new_keep

    inlier_share = float(keep.mean())
    noise = float(np.sqrt(np.mean(residual[keep] ** 2) / 3))  # per-channel std
    colour = tuple(int(round(c)) for c in colours[keep].mean(axis=0))
    coefficients = coefficients.T  # 3 x 6

    if noise > T.CLUTTERED_BORDER_STD or inlier_share < 1 - outlier_share:
        kind = "cluttered"
    else:
        kind = _backdrop_shape(coefficients)
    return Background(kind, colour, noise, coefficients.astype(np.float32), image_size)


def _backdrop_shape(coefficients: np.ndarray) -> str:
    """Name the fitted surface: flat, a linear gradient, or a curved (vignette) backdrop."""
    linear = np.abs(coefficients[:, 1:3]).max()
    curved = np.abs(coefficients[:, 3:6]).max()
    if max(linear, curved) < 4.0:  # under 4 grey levels across half the sheet: flat
        return "flat"
    return "gradient" if linear >= curved else "vignette"


# --- 2. pieces --------------------------------------------------------------------------

def _work_scale(source_shape: tuple[int, ...]) -> float:
    return min(1.0, T.SPLIT_WORK_LONG_SIDE / max(source_shape[:2]))


def _work_copy(array: np.ndarray) -> np.ndarray:
    import cv2

    scale = _work_scale(array.shape)
    if scale >= 1.0:
        return array
    height, width = array.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(array, size, interpolation=cv2.INTER_AREA)


def foreground_mask(rgb: np.ndarray, alpha: np.ndarray | None, background: Background,
                    box: tuple[int, int, int, int]) -> np.ndarray:
    """Pixels of ``rgb`` (the image region ``box``, in source pixels) that are not backdrop."""
    return _off_backdrop(rgb, alpha, background, box, [T.FOREGROUND_MIN_DISTANCE])[0]


def _off_backdrop(rgb: np.ndarray, alpha: np.ndarray | None, background: Background,
                  box: tuple[int, int, int, int], min_distances: list[float]) -> list[np.ndarray]:
    """Per distance: the pixels farther than it from the backdrop model, or than its noise
    allows (a transparent backdrop: the opaque pixels)."""
    if background.kind == "transparent":
        mask = np.ones(rgb.shape[:2], bool) if alpha is None else alpha >= T.ALPHA_BACKGROUND_BELOW
        return [mask for _ in min_distances]
    distance = np.linalg.norm(rgb.astype(np.float32) - background.render(box, rgb.shape[:2]), axis=2)
    masks = [distance > max(d, T.BACKGROUND_NOISE_FACTOR * background.noise) for d in min_distances]
    if alpha is not None:
        masks = [mask & (alpha >= T.ALPHA_BACKGROUND_BELOW) for mask in masks]
    return masks


def ruling(mask: np.ndarray, *, min_length_share: float = T.RULING_MIN_LENGTH_SHARE,
           base_width_px: int = T.RULING_BASE_WIDTH_PX, max_width_px: int = T.RULING_MAX_WIDTH_PX,
           min_family: int = T.RULING_MIN_FAMILY) -> np.ndarray:
    """The pixels of ``mask`` on ruled lines: straight, thin, horizontal or vertical lines at
    least ``min_length_share`` of the image across (graph paper, guide lines), which join
    every figure on a page into one piece. A figure's solid parts are never ruling where a
    line crosses them; the image's outermost rows and columns are kept.

    Lines up to ``base_width_px`` thick are ruling; thicker ones, up to ``max_width_px``, only
    where ``min_family`` or more run side by side (the height lines of a large scan; the
    width is the thinnest that takes the most of them), since one long thick stroke is a
    figure's staff or pole.

    Examples
    --------
    >>> page = np.zeros((40, 40), bool)
    >>> page[10, :] = True            # a rule across the page
    >>> page[20:30, 5:15] = True      # a figure on it
    >>> lines = ruling(page)
    >>> bool(lines[10, 30]), bool(lines[25, 10])
    (True, False)
    """
    import cv2

    mask = mask.astype(np.uint8)
    lines = np.zeros(mask.shape, bool)
    for axis in (1, 0):     # rows (horizontal lines), then columns
        size = mask.shape[axis]
        length = int(min_length_share * size)
        if length < 2 or not (mask.sum(axis=axis) >= length).any():
            continue   # no row (column) holds enough of the mask for a line that long

        def along(n: int) -> np.ndarray:
            return np.ones((1, n) if axis == 1 else (n, 1), np.uint8)

        def across(n: int) -> np.ndarray:
            return np.ones((n, 1) if axis == 1 else (1, n), np.uint8)

        # A line broken for a pixel or two by noise or anti-aliasing is one line.
        joined = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, along(5))
        long_run = cv2.morphologyEx(joined, cv2.MORPH_OPEN, along(length)) > 0
        if not long_run.any():
            continue

        def no_thicker_than(width: int) -> np.ndarray:
            return long_run & (cv2.morphologyEx(mask, cv2.MORPH_OPEN, across(width + 1)) == 0)

        base = no_thicker_than(base_width_px)
        wider = [no_thicker_than(width) for width in range(base_width_px + 1, max_width_px + 1)]
        families = [_parallel_lines(lines_at & ~base, axis, length // 2) for lines_at in wider]
        if families and max(families) >= min_family:
            lines |= wider[int(np.argmax(families))]
        else:
            lines |= base
    # The image's outermost rows and columns frame the picture (a scan's border line): they
    # stay, so a photo's subject still meets the frame.
    lines[0] = lines[-1] = lines[:, 0] = lines[:, -1] = False
    return lines


def _parallel_lines(lines: np.ndarray, axis: int, min_length: int) -> int:
    """How many separate lines of at least ``min_length`` pixels ``lines`` holds along
    ``axis`` (1: rows, 0: columns)."""
    occupied = lines.sum(axis=axis) >= min_length
    return int(np.count_nonzero(occupied[1:] & ~occupied[:-1]) + occupied[0])


def _without_ruling(mask: np.ndarray, faint: np.ndarray) -> np.ndarray:
    """``mask`` without its ruled lines (``ruling``, found where they are faint too, so that
    they run unbroken). A stretch of line that touches one piece only and lies within its
    box is part of that figure (a staff, a long strand of hair) and stays."""
    import cv2

    lines = ruling(mask | faint) & mask
    if not lines.any():
        return mask
    kept = mask & ~lines
    _, piece_labels, piece_stats, _ = cv2.connectedComponentsWithStats(kept.astype(np.uint8), connectivity=8)
    count, line_labels, line_stats, _ = cv2.connectedComponentsWithStats(lines.astype(np.uint8), connectivity=8)
    beside = cv2.dilate(line_labels.astype(np.float32), np.ones((3, 3), np.uint8)).astype(np.int64)
    touch = (piece_labels > 0) & (beside > 0)
    pairs = np.unique(np.stack([beside[touch], piece_labels[touch]]), axis=1)
    back = np.zeros(count, bool)
    for line in range(1, count):
        touched = pairs[1][pairs[0] == line]
        if len(touched) == 1:
            x, y, w, h = line_stats[line, :4]
            px, py, pw, ph = piece_stats[touched[0], :4]
            back[line] = px <= x and py <= y and x + w <= px + pw and y + h <= py + ph
    return kept | back[line_labels]


def find_pieces(source: Source, background: Background) -> tuple[np.ndarray, list[Piece], float, np.ndarray]:
    """Label connected non-backdrop pieces on a work-scale copy.

    Returns (label image, pieces, work scale, faint-subject label image: the connected
    regions of pixels off the backdrop by FAINT_SUBJECT_MIN_DISTANCE, which hold the pieces
    and the pale clothing between them). Specks (SPECK_AREA_SHARE) are dropped.
    """
    import cv2

    scale = _work_scale(source.rgb.shape)
    rgb = _work_copy(source.rgb)
    alpha = _work_copy(source.alpha) if source.alpha is not None else None
    height, width = rgb.shape[:2]
    mask, faint = _off_backdrop(rgb, alpha, background, (0, 0, source.width, source.height),
                                [T.FOREGROUND_MIN_DISTANCE, T.FAINT_SUBJECT_MIN_DISTANCE])
    mask = _without_ruling(mask, faint)
    # Closing joins line art and anti-aliased outlines that a threshold breaks apart.
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    mask = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, kernel)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    faint_labels = cv2.connectedComponents((faint | (mask > 0)).astype(np.uint8), connectivity=8)[1]
    min_area = max(4, int(T.SPECK_AREA_SHARE * height * width))
    pieces = [
        Piece(i, *(int(v) for v in stats[i, :4]), int(stats[i, 4]))
        for i in range(1, count)
        if stats[i, 4] >= min_area
    ]
    for piece in pieces:
        piece.one_colour = _one_colour_share(rgb, labels, piece)
        # A figure has a complex outline and many colours; a swatch or a UI widget fills its
        # box (a rectangle, or a small circle's ~0.74) in one colour.
        piece.flat = (piece.area >= T.FLAT_MIN_FILL * piece.w * piece.h
                      and piece.one_colour >= T.FLAT_MIN_COLOUR_SHARE)
        piece.thin = _is_thin(labels, piece)
        window = (slice(piece.y, piece.bottom), slice(piece.x, piece.right))
        piece.faint_group = int(faint_labels[window][labels[window] == piece.label].max())
    return labels, pieces, scale, faint_labels


def _is_thin(labels: np.ndarray, piece: Piece) -> bool:
    """Is a piece drawn in strokes thin for its height (a letter), rather than solid (a figure,
    a head)? Its pixels all lie close to its outline."""
    import cv2

    own = (labels[piece.y:piece.bottom, piece.x:piece.right] == piece.label).astype(np.uint8)
    deepest = float(cv2.distanceTransform(np.pad(own, 1), cv2.DIST_L2, 3).max())
    return deepest <= T.TEXT_MAX_STROKE_SHARE * piece.h


def _one_colour_share(rgb: np.ndarray, labels: np.ndarray, piece: Piece) -> float:
    """The share of a piece's inner pixels within FOREGROUND_MIN_DISTANCE of their median
    colour. Inner: one pixel in from its outline, which downscaling blends with the backdrop
    (all of it, for strokes too thin to have an inside)."""
    import cv2

    window = (slice(piece.y, piece.bottom), slice(piece.x, piece.right))
    own = (labels[window] == piece.label).astype(np.uint8)
    inner = cv2.erode(own, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    if inner.any():
        own = inner
    stride = max(1, int(np.sqrt(piece.w * piece.h / T.FLAT_SAMPLE_PIXELS)))   # a sample is enough
    colours = rgb[window][::stride, ::stride][own[::stride, ::stride] > 0].astype(np.float32)
    if not len(colours):
        colours = rgb[window][own > 0].astype(np.float32)
    distance = np.linalg.norm(colours - np.median(colours, axis=0), axis=1)
    return float(np.mean(distance <= T.FOREGROUND_MIN_DISTANCE))


def separate_touching(labels: np.ndarray, pieces: list[Piece],
                      faint_labels: np.ndarray | None = None) -> tuple[np.ndarray, list[Piece]]:
    """Cut each piece that holds several touching or overlapping figures into one per figure.

    The evidence is the piece's own shape, so a row in which every figure touches its
    neighbours is cut as well as one wide piece among free siblings:

    * where figures meet, the column occupancy profile (the piece's pixels per column) has a
      valley (``_occupancy_valleys``);
    * through each valley runs a seam: the top-to-bottom path that crosses fewest of the
      piece's pixels, so an arm reaching over a neighbour stays with its own figure
      (``_valley_seams``); touching figures share a hand or a sleeve, a seam through one
      figure crosses its body, so a seam that crosses much is no cut;
    * a seam must run down a saddle of the top outline, between two heads
      (``_between_heads``); the outline is that of the piece with the faint subject in its
      box (``faint_labels``, ``find_pieces``), so a saddle that a pale shirt fills is no gap
      between heads;
    * a set of seams is kept when every part is a whole figure, standing nearly as tall as
      the piece with its top at the height of the others' heads, and the parts' widths are
      alike; of such sets the one with most parts, then the cheapest seams, wins
      (``_best_cuts``).

    One wide figure (a creature, wings, an arm or a staff held out) fails these tests and
    stays whole: whatever a cheap seam cuts off does not reach from head height to the feet,
    or the seam runs through a back or beside a wing tip, not between two heads.
    """
    tallest = max((p.h for p in pieces), default=0)
    not_figures = find_markings(pieces).not_figures
    next_label = int(labels.max()) + 1
    result = []
    for piece in pieces:
        window = labels[piece.y:piece.bottom, piece.x:piece.right]
        own = window == piece.label
        seams = []
        if piece.h >= T.VIEW_MIN_HEIGHT_SHARE * tallest and piece not in not_figures:
            # A seam never runs under a detached head: that is one figure in a pale shirt.
            heads = [(p.x - piece.x, p.right - piece.x) for p in pieces
                     if p not in not_figures and _head_above(p, piece)]
            seams = _best_cuts(own, heads, _with_faint_subject(own, faint_labels, piece))
        if not seams:
            result.append(piece)
            continue
        parts = [_trimmed(part) for part in _parts(own, [None, *seams, None])]
        next_label = _relabelled(window, piece, parts, next_label, result)
    return labels, result


def _relabelled(window: np.ndarray, piece: Piece, parts: list[np.ndarray], next_label: int, out: list[Piece]) -> int:
    """Label each part of ``piece`` (masks over its ``window`` of the label image) as a
    piece of its own, cut from it, onto ``out``; returns the next free label."""
    for part in parts:
        rows, cols = np.nonzero(part)
        window[part] = next_label
        out.append(replace(piece, label=next_label, x=piece.x + int(cols.min()), y=piece.y + int(rows.min()),
                           w=int(cols.max() - cols.min() + 1), h=int(rows.max() - rows.min() + 1),
                           area=int(rows.size), cut_from=piece.label))
        next_label += 1
    return next_label


def separate_by_faces(labels: np.ndarray, pieces: list[Piece], source: Source, scale: float,
                      find_faces: FindFaces) -> tuple[np.ndarray, list[Piece]]:
    """Cut each figure-sized piece in which a face detector finds several faces of one size,
    side by side, into one piece per face: heads drawn back to back, figures overlapping in
    a row, where the outline alone shows no seam.

    Each face seeds a watershed on the piece's picture, bounded by the backdrop, so the
    figures part along their drawn outlines; the cut stands only when every part is at
    least SEPARATE_MIN_PART_SHARE of the largest (one figure with a face printed on its
    shirt keeps it).
    """
    tallest = max((p.h for p in pieces), default=0)
    next_label = int(labels.max()) + 1
    result = []
    for piece in pieces:
        parts = []
        if piece.h >= T.VIEW_MIN_HEIGHT_SHARE * tallest and not (piece.flat or piece.thin):
            parts = _parts_by_face(labels, piece, source, scale, find_faces)
        if len(parts) < 2:
            result.append(piece)
            continue
        window = labels[piece.y:piece.bottom, piece.x:piece.right]
        window[window == piece.label] = 0   # pixels no part took: backdrop
        next_label = _relabelled(window, piece, parts, next_label, result)
    return labels, result


def _parts_by_face(labels: np.ndarray, piece: Piece, source: Source, scale: float,
                   find_faces: FindFaces) -> list[np.ndarray]:
    """The piece's mask (work scale) cut into one part per face found in it, or []."""
    import cv2

    own = labels[piece.y:piece.bottom, piece.x:piece.right] == piece.label
    x0, y0, x1, y1 = _source_window(piece, scale, source)
    faces = _faces_in_piece(labels, piece, source, scale, find_faces)
    if len(faces) < 2:
        return []
    side = max(max(f.box[2:]) for f in faces)
    faces = [f for f in faces if max(f.box[2:]) >= T.SEPARATE_FACE_SIZE_RATIO * side]
    # Figures side by side carry their heads at one level; faces above and below each other
    # in one piece are a face and a face-like hand, bag or print.
    levels = [f.box[1] + f.box[3] / 2 for f in faces]
    if len(faces) < 2 or max(levels) - min(levels) > side:
        return []
    markers = np.where(own, 0, 1).astype(np.int32)
    for i, face in enumerate(faces):
        # The middle half of the face box, in the piece's work-scale window.
        fx, fy, fw, fh = (v * scale for v in face.box)
        seed = np.zeros_like(own)
        seed[max(0, int(fy + fh / 4)):max(0, int(fy + 3 * fh / 4)) + 1,
             max(0, int(fx + fw / 4)):max(0, int(fx + 3 * fw / 4)) + 1] = True
        if not (seed & own).any():
            return []
        markers[seed & own] = i + 2
    small = cv2.resize(np.ascontiguousarray(source.rgb[y0:y1, x0:x1]), (own.shape[1], own.shape[0]),
                       interpolation=cv2.INTER_AREA)
    cv2.watershed(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), markers)
    # Pixels of the piece the backdrop's flood or a watershed line took go to the nearest part.
    _, nearest = cv2.distanceTransformWithLabels((markers < 2).astype(np.uint8), cv2.DIST_L2, 5,
                                                 labelType=cv2.DIST_LABEL_PIXEL)
    seeds = np.where(markers >= 2, markers, 0).ravel()
    owner_of_seed = np.zeros(int(nearest.max()) + 1, np.int32)
    owner_of_seed[nearest.ravel()[seeds > 0]] = seeds[seeds > 0]
    owner = np.where(markers >= 2, markers, owner_of_seed[nearest])
    parts = [(owner == i + 2) & own for i in range(len(faces))]
    areas = [int(part.sum()) for part in parts]
    if min(areas) < T.SEPARATE_MIN_PART_SHARE * max(areas):
        return []
    return parts


def _faces_in_piece(labels: np.ndarray, piece: Piece, source: Source, scale: float, find_faces: FindFaces) -> list:
    """The faces (score >= CLOSEUP_FACE_MIN_SCORE, one per head, best first) a detector finds
    in a piece's picture, its surroundings whitened; boxes in source pixels from the piece's
    top-left corner."""
    import cv2

    own = labels[piece.y:piece.bottom, piece.x:piece.right] == piece.label
    x0, y0, x1, y1 = _source_window(piece, scale, source)
    picture = source.rgb[y0:y1, x0:x1].copy()
    picture[~cv2.resize(own.astype(np.uint8), (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST).astype(bool)] = 255
    faces = []
    for face in find_faces(picture):    # best first; two boxes on one head are one face
        if face.score >= T.CLOSEUP_FACE_MIN_SCORE and not any(boxes_meet(face.box, f.box) for f in faces):
            faces.append(face)
    return faces


def _source_window(piece: Piece, scale: float, source: Source) -> tuple[int, int, int, int]:
    """A work-scale piece's box in source pixels, as (x0, y0, x1, y1) slice bounds."""
    return (int(piece.x / scale), int(piece.y / scale),
            min(source.width, int(np.ceil(piece.right / scale))), min(source.height, int(np.ceil(piece.bottom / scale))))


def _with_faint_subject(own: np.ndarray, faint_labels: np.ndarray | None, piece: Piece) -> np.ndarray:
    """The piece's mask (``own``, over its box) with the faint subject of its region in that
    box; the mask alone where the faint region fills most of the box around the piece (a
    backdrop the model fits loosely), since it then tells nothing of the outline."""
    if faint_labels is None or not piece.faint_group:
        return own
    faint = faint_labels[piece.y:piece.bottom, piece.x:piece.right] == piece.faint_group
    around = ~own
    if around.any() and (faint & around).sum() > T.FAINT_FILL_MAX_SHARE * around.sum():
        return own
    return own | faint


def _trimmed(part: np.ndarray) -> np.ndarray:
    """A cut part without the columns at its sides where it is thinner than PART_EDGE_MIN_SHARE
    of the height: a ground line or a shadow running on towards the neighbour."""
    solid = np.flatnonzero(part.sum(axis=0) > T.PART_EDGE_MIN_SHARE * part.shape[0])
    if solid.size:
        part[:, :solid[0]] = False
        part[:, solid[-1] + 1:] = False
    return part


def _parts(own: np.ndarray, seams: list) -> list[np.ndarray]:
    """The mask between each pair of consecutive seams (column per row; None: the mask's edge).
    A seam's own pixels go to the part on its right."""
    columns = np.arange(own.shape[1])[None, :]
    parts = []
    for left, right in zip(seams, seams[1:]):
        part = own.copy()
        if left is not None:
            part &= columns >= left[:, None]
        if right is not None:
            part &= columns < right[:, None]
        parts.append(part)
    return parts


def _without_thin_parts(own: np.ndarray) -> np.ndarray:
    """The mask with everything narrower than a head opened away (a staff, a raised thin
    arm, an ear, a horn): those are no heads, and beside a head held next to a staff the
    outline still falls to the shoulders."""
    import cv2

    width = max(1, int(T.HEAD_MIN_WIDTH_SHARE * own.shape[0]))
    return cv2.morphologyEx(own.astype(np.uint8), cv2.MORPH_OPEN, np.ones((1, width), np.uint8),
                            borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0


def _top_outline(own: np.ndarray) -> np.ndarray:
    """Each column's highest row of the mask without its thin parts (the height where empty)."""
    opened = _without_thin_parts(own)
    return np.where(opened.any(axis=0), opened.argmax(axis=0), own.shape[0])


def _occupancy_valleys(own: np.ndarray) -> list[int]:
    """Columns where the smoothed column occupancy profile has a local minimum, at most
    SEAM_MAX_CANDIDATES of them (the lowest), VALLEY_SPACING_SHARE of the height apart and
    as far from the mask's sides."""
    import cv2

    height, width = own.shape
    spacing = max(1, int(T.VALLEY_SPACING_SHARE * height))
    if width <= 2 * spacing:
        return []
    # A moving average, then a moving minimum, along the profile (mirrored at its ends).
    profile = own.sum(axis=0).astype(np.float32)[None, :]
    counts = cv2.blur(profile, (max(1, int(T.VALLEY_SMOOTH_SHARE * height)), 1), borderType=cv2.BORDER_REFLECT)
    lowest = cv2.erode(counts, np.ones((1, 2 * spacing + 1), np.uint8), borderType=cv2.BORDER_REFLECT)
    counts, lowest = counts[0], lowest[0]
    minima = [x for x in np.flatnonzero(counts <= lowest)[np.argsort(counts[counts <= lowest], kind="stable")]
              if spacing <= x < width - spacing]
    valleys: list[int] = []
    for x in minima:        # lowest first; a plateau or a nearby dip gives one valley
        if all(abs(x - v) > spacing for v in valleys):
            valleys.append(int(x))
    return sorted(valleys[:T.SEAM_MAX_CANDIDATES])


def _valley_seams(own: np.ndarray, valleys: list[int]) -> list[tuple[np.ndarray, int]]:
    """Through each valley, the seam: its column in every row and how many mask pixels it crosses.

    A seam keeps within SEAM_REACH_SHARE of the height of its valley (and short of the
    neighbouring valleys' bands); a dynamic programme finds the path through fewest mask
    pixels, moving at most one column per row, running straight where the way is free."""
    height, width = own.shape
    reach = max(1, int(T.SEAM_REACH_SHARE * height))
    midpoints = [0, *((a + b + 1) // 2 for a, b in zip(valleys, valleys[1:])), width]
    # The column between two bands stays closed, so each seam keeps to its own.
    bands = [(max(lo + 1, v - reach), min(hi, v + reach + 1)) for v, lo, hi in zip(valleys, midpoints, midpoints[1:])]
    outside = np.full(width, np.inf, np.float32)
    for lo, hi in bands:
        outside[lo:hi] = 0.0
    pixels = own.astype(np.float32) + outside       # seams cannot leave their bands
    # A sideways step costs a little in the open (seams run straight there) and one more
    # pixel inside a figure: a seam cuts across a touching hand, not slantwise along an arm.
    sideways = own.astype(np.float32) + np.float32(1.0 / (4 * height))
    total = pixels[0].copy()
    came_from = np.zeros((height, width), np.int8)
    from_left, from_right = np.full(width, np.inf, np.float32), np.full(width, np.inf, np.float32)
    for row in range(1, height):
        np.add(total[:-1], sideways[row, 1:], out=from_left[1:])
        np.add(total[1:], sideways[row, :-1], out=from_right[:-1])
        step = came_from[row]
        step[from_left < total] = -1
        best = np.minimum(total, from_left)
        step[from_right < best] = 1
        total = np.minimum(best, from_right) + pixels[row]
    seams = []
    for lo, hi in bands:
        column = lo + int(np.argmin(total[lo:hi]))
        seam = np.empty(height, np.int64)
        for row in range(height - 1, -1, -1):
            seam[row] = column
            column += int(came_from[row, column])
        seams.append((seam, int(own[np.arange(height), seam].sum())))
    return seams


def _best_cuts(own: np.ndarray, heads: list[tuple[int, int]], outlined: np.ndarray | None = None) -> list[np.ndarray]:
    """The seams to cut a mask along so that each part is one whole figure; [] keeps it whole.
    ``heads``: column spans (in the mask) of detached heads above it, which no seam may pass under;
    ``outlined``: the mask whose top outline a seam must run down between heads (default ``own``)."""
    from itertools import combinations

    valleys = _occupancy_valleys(own)
    if not valleys:
        return []
    height = own.shape[0]
    seams, costs = [], []
    outlined = own if outlined is None else outlined
    outline, solid = _top_outline(outlined), _without_thin_parts(outlined)
    for seam, crossed in _valley_seams(own, valleys):
        entry, column = _seam_entry(solid, seam)
        if (crossed <= T.SEAM_MAX_CROSSING_SHARE * height and _between_heads(outline, entry, column, height)
                and not any(left <= column < right for left, right in heads)):
            seams.append(seam)
            costs.append(crossed)
    head_level = outline.min() + T.HEAD_BAND_SHARE * height
    parts: dict[tuple, tuple[bool, int]] = {}

    def part(a: int | None, b: int | None) -> tuple[bool, int]:
        """Is the mask between seams a and b (None: an edge) a whole figure; its width."""
        if (a, b) not in parts:
            mask = _parts(own, [None if a is None else seams[a], None if b is None else seams[b]])[0]
            whole = _rows_spanned(mask) >= T.TOUCHING_PART_HEIGHT_SHARE * height and _top_outline(mask).min() <= head_level
            parts[a, b] = (whole, _rows_spanned(mask.T))
        return parts[a, b]

    for size in range(len(seams), 0, -1):
        best, best_cost = None, np.inf
        for chosen in combinations(range(len(seams)), size):
            found = [part(a, b) for a, b in zip([None, *chosen], [*chosen, None])]
            widths = [width for _, width in found]
            cost = sum(costs[i] for i in chosen)
            if (all(whole for whole, _ in found) and max(widths) <= T.TOUCHING_PART_WIDTH_RATIO * min(widths)
                    and cost < best_cost):
                best, best_cost = chosen, cost
        if best is not None:
            return [seams[i] for i in best]
    return []


def _between_heads(outline: np.ndarray, entry: int, column: int, height: int) -> bool:
    """Does a seam run down between two heads? Where it enters the figures (the mask without
    its thin parts), the top outline must lie HEAD_DIP_SHARE of the height below its highest
    point within HEAD_REACH_SHARE of the height on either side: the saddle between two heads
    falls to the shoulders or to where the heads meet. A seam through a creature's back, or
    beside a wing's tip, has no higher outline on one side. (``entry``, ``column``: where the
    seam enters the figures, ``_seam_entry``; ``height``: the mask's.)"""
    reach = max(1, int(T.HEAD_REACH_SHARE * height))
    left, right = outline[max(0, column - reach):column], outline[column + 1:column + 1 + reach]
    dip = T.HEAD_DIP_SHARE * height
    return bool(left.size and right.size and entry >= left.min() + dip and entry >= right.min() + dip)


def _seam_entry(solid: np.ndarray, seam: np.ndarray) -> tuple[int, int]:
    """(row, column) where a seam first enters the figures (the mask without thin parts)."""
    height = solid.shape[0]
    crossing = np.flatnonzero(solid[np.arange(height), seam])
    entry = int(crossing[0]) if crossing.size else height
    return entry, int(seam[min(entry, height - 1)])


def _rows_spanned(mask: np.ndarray) -> int:
    rows = np.flatnonzero(mask.any(axis=1))
    return int(rows[-1] - rows[0] + 1) if rows.size else 0


# --- 3. grouping ------------------------------------------------------------------------

def _box_gap(a: Piece, b: Piece) -> float:
    dx = max(0, max(a.x, b.x) - min(a.right, b.right))
    dy = max(0, max(a.y, b.y) - min(a.bottom, b.bottom))
    return float(np.hypot(dx, dy))


def group_pieces(pieces: list[Piece], markings: Markings | None = None,
                 apart: Callable[[Piece, Piece], bool] | None = None
                 ) -> tuple[list[list[Piece]], list[Piece], list[Piece]]:
    """Split pieces into views (each a list: main piece first), annotation pieces, and
    close-up candidates: pieces standing apart, too small to be figures, large enough to be
    a head (views only where a face is found in them). ``markings``: the pieces'
    ``find_markings``, when already known; ``apart``: whether two view-sized pieces whose
    boxes overlap are two subjects all the same (``_merge_overlapping``)."""
    if not pieces:
        return [], [], []
    set_aside = (markings or find_markings(pieces)).not_figures
    pieces = [p for p in pieces if p not in set_aside]
    if not pieces:
        return [], set_aside, []
    tallest = max(p.h for p in pieces)
    largest = max(p.area for p in pieces)
    mains = [p for p in pieces
             if p.h >= T.VIEW_MIN_HEIGHT_SHARE * tallest and p.area >= T.VIEW_MIN_AREA_SHARE * largest]
    # A head cut off by a pale shirt is no figure of its own, however large: the shirt joins
    # it to the figure below as faint subject (a close-up above a figure stands on backdrop).
    mains = [p for p in mains
             if not any(m is not p and p.faint_group and m.faint_group == p.faint_group and _head_above(p, m)
                        for m in mains)]
    if not mains:  # the tallest piece is a thin line (a scrollbar, a rule): the largest leads
        mains = [max(pieces, key=lambda p: p.area)]
    groups = _merge_overlapping([[m] for m in mains], apart)
    annotations = list(set_aside)
    # Figures take their detached parts; a panel (a tile) is split inside, it takes none.
    figures = [g for g in groups if not _is_panel(g[0])]
    closeups = []
    for piece in pieces:
        if piece in mains:
            continue
        nearest = min(figures, key=lambda g: _box_gap(piece, g[0]), default=None)
        if nearest is not None and _belongs_to(piece, nearest[0]):
            nearest.append(piece)
        elif _closeup_sized(piece, tallest, largest):
            closeups.append(piece)
        else:
            annotations.append(piece)
    return groups, annotations, closeups


def _closeup_sized(piece: Piece, tallest: int, largest: int) -> bool:
    """Is this piece, standing apart from every figure, large enough to be a close-up (an
    expression head, a bust, a detail crop) rather than a mark? Strokes and flat shapes are
    marks whatever their size."""
    return (not piece.thin and not piece.flat and piece.h >= T.CLOSEUP_MIN_HEIGHT_SHARE * tallest
            and piece.area >= T.CLOSEUP_MIN_AREA_SHARE * largest)


@dataclass
class Markings:
    """The pieces of a sheet that are no figure: frames, and lines of text (as letters)."""

    frames: list[Piece]
    letters: list[Piece]      # in lines of text; a bold letter may be flat
    not_figures: list[Piece]  # frames, swatches, UI widgets and text: never views, nor parts of one


def find_markings(pieces: list[Piece]) -> Markings:
    """Frames, text and flat shapes standing apart among ``pieces``."""
    frames = [p for p in pieces if _is_frame(p, pieces)]
    rest = [p for p in pieces if p not in frames]
    lines = _text_lines(rest)
    text = [p for line in lines for p in line]
    # a row of swatches alone is no text
    letters = [p for line in lines if not all(q.flat for q in line) for p in line]
    return Markings(frames, letters,
                    frames + [p for p in rest if (p.flat and not _touches_a_figure(p, rest)) or p in text])


def _touches_a_figure(piece: Piece, pieces: list[Piece]) -> bool:
    """Is this flat piece all but touching a larger figure (no flat shape, no UI tile)?"""
    return any(not other.flat and not _is_panel(other) and other.area > piece.area
               and _box_gap(piece, other) <= T.FLAT_PART_MAX_GAP_SHARE * other.h for other in pieces)


def _text_lines(pieces: list[Piece]) -> list[list[Piece]]:
    """Lines of text, as their letters (or words): thin or one-coloured pieces of about one
    height side by side on a line, close together, squat on the whole (figures stand tall),
    several of them or one line several times wider than tall, and small beside the sheet's
    tallest piece (a row of line-art figures is as tall as that)."""
    if not pieces:
        return []
    # A scrollbar is no measure of the figures' height; a tile with a figure is no letter.
    tallest = max((p.h for p in pieces if not p.flat), default=max(p.h for p in pieces))
    letters = sorted((p for p in pieces if (p.thin or p.one_colour >= T.TEXT_INK_SHARE) and (p.flat or not _is_panel(p))
                      and p.h <= T.TEXT_MAX_HEIGHT_SHARE * tallest), key=lambda p: p.x)
    line_of = list(range(len(letters)))     # union-find: letters on one line share a root

    def root(i: int) -> int:
        while line_of[i] != i:
            line_of[i] = line_of[line_of[i]]
            i = line_of[i]
        return i

    for i, a in enumerate(letters):
        for j in range(i + 1, len(letters)):
            b = letters[j]
            if b.x - a.right > T.TEXT_MAX_GAP_SHARE * a.h:
                break       # sorted by x: later letters start farther off
            overlap = min(a.bottom, b.bottom) - max(a.y, b.y)
            if (overlap >= T.TEXT_LINE_OVERLAP * min(a.h, b.h) and max(a.h, b.h) <= T.TEXT_HEIGHT_RATIO * min(a.h, b.h)
                    and b.x - a.right <= T.TEXT_MAX_GAP_SHARE * max(a.h, b.h)):
                line_of[root(j)] = root(i)
    lines: dict[int, list[Piece]] = {}
    for i, letter in enumerate(letters):
        lines.setdefault(root(i), []).append(letter)
    return [line for line in lines.values()
            if (len(line) >= T.TEXT_MIN_GLYPHS
                or max(q.right for q in line) - min(q.x for q in line) >= T.TEXT_MIN_LINE_ASPECT * max(q.h for q in line))
            and np.median([q.h / q.w for q in line]) <= T.TEXT_MAX_ASPECT]


def _is_frame(piece: Piece, pieces: list[Piece]) -> bool:
    """A drawn panel outline: a thin ring of pixels whose box holds another piece."""
    if piece.area > T.FRAME_MAX_FILL * piece.w * piece.h:
        return False
    return any(other is not piece and piece.x <= other.x and other.right <= piece.right
               and piece.y <= other.y and other.bottom <= piece.bottom and other.area > piece.area / 4
               for other in pieces)


def _belongs_to(piece: Piece, main: Piece) -> bool:
    """Does a smaller piece (hair strand, prop, tail, shadow) belong to this figure?

    Not when it lies wholly below the feet or above the head (a caption), is a small mark
    standing apart beside it (a side label), or is larger than the figure (a frame, UI).
    """
    gap = _box_gap(piece, main)
    if piece.w * piece.h > main.w * main.h:
        return False
    if _head_above(piece, main):
        return True
    if gap > T.ATTACH_GAP_SHARE * main.h:
        return False
    beyond_figure = piece.y >= main.bottom + T.CAPTION_GAP_SHARE * main.h or \
        piece.bottom <= main.y - T.CAPTION_GAP_SHARE * main.h
    side_mark = piece.h < T.SIDE_MARK_HEIGHT_SHARE * main.h and gap > T.CAPTION_GAP_SHARE * main.h
    return not (beyond_figure or side_mark)


def _head_above(piece: Piece, main: Piece) -> bool:
    """Is this piece the figure's head, cut off by a collar and shirt of the backdrop's colour
    (a white shirt on white paper)? A solid shape, no text, over the figure's shoulders and
    narrower and much shorter than it, not far above it (a figure of the row above is taller)."""
    return (not piece.thin and not piece.flat and piece.bottom <= main.y
            and main.x <= piece.x and piece.right <= main.right and piece.w < main.w
            and piece.h <= T.DETACHED_HEAD_MAX_HEIGHT_SHARE * main.h
            and main.y - piece.bottom <= T.DETACHED_HEAD_GAP_SHARE * main.h)


def _group_box(group: list[Piece]) -> tuple[int, int, int, int]:
    return (min(p.x for p in group), min(p.y for p in group),
            max(p.right for p in group), max(p.bottom for p in group))


def _merge_overlapping(groups: list[list[Piece]], apart: Callable[[Piece, Piece], bool] | None = None
                       ) -> list[list[Piece]]:
    """Views of a sheet stand apart; large pieces whose boxes overlap much are parts of one
    subject (a dark photo broken up by its own shadows, a figure cut by a line), unless
    separate_touching cut them apart (touching figures' boxes overlap) or ``apart`` says
    they are two subjects (each shows a face of its own: a bust beside a seated figure)."""
    merged = True
    while merged:
        merged = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                a, b = _group_box(groups[i]), _group_box(groups[j])
                overlap = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
                smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
                if overlap > T.VIEW_MERGE_OVERLAP * smaller and not _cut_apart(groups[i][0], groups[j][0]) \
                        and not (apart is not None and apart(groups[i][0], groups[j][0])):
                    groups[i] = groups[i] + groups.pop(j)
                    merged = True
                    break
            if merged:
                break
    # The main piece (largest) leads its group, as attach rules measure from it.
    return [sorted(g, key=lambda p: -p.area) for g in groups]


def _cut_apart(a: Piece, b: Piece) -> bool:
    return a.cut_from != 0 and a.cut_from == b.cut_from


def merge_marks(pieces: list[Piece]) -> list[tuple[int, int, int, int]]:
    """Join leftover pieces that sit close together (letters of one caption) into boxes."""
    boxes = [[p.x, p.y, p.right, p.bottom] for p in pieces]
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                reach = T.MARK_JOIN_SHARE * max(a[3] - a[1], b[3] - b[1])
                if (max(a[0], b[0]) - min(a[2], b[2]) <= reach and max(a[1], b[1]) - min(a[3], b[3]) <= reach):
                    boxes[i] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return [(x0, y0, x1 - x0, y1 - y0) for x0, y0, x1, y1 in sorted(boxes)]


def _reading_order(boxes: list[tuple[int, int, int, int]]) -> list[int]:
    """Indices of boxes row-major: rows are boxes whose vertical spans overlap."""
    order = sorted(range(len(boxes)), key=lambda i: boxes[i][1])
    rows: list[list[int]] = []
    for i in order:
        x, y, w, h = boxes[i]
        for row in rows:
            rx, ry, rw, rh = boxes[row[0]]
            overlap = min(y + h, ry + rh) - max(y, ry)
            if overlap > 0.5 * min(h, rh):
                row.append(i)
                break
        else:
            rows.append([i])
    return [i for row in rows for i in sorted(row, key=lambda j: boxes[j][0])]


# --- 4. crops and layout ------------------------------------------------------------------

def split_source(source: Source, source_index: int = 0, margin: float = T.VIEW_MARGIN_SHARE, *,
                 find_faces: FindFaces | None = None, find_salient: FindSalient | None = None) -> SplitResult:
    """Run the whole split stage on one source image.

    A sheet divided by gutters or frame lines is split panel by panel, each against its own
    backdrop; a panel that is a photograph, or one figure filling it, is one view.

    Parameters
    ----------
    source : Source
        The loaded image.
    source_index : int
        Its index among the inputs, recorded in each view.
    margin : float
        The space around the views on their shared canvas, a share of the largest view's size.
    find_faces : callable, optional
        Finds faces in an RGB image (``FaceAnalyzer.find_faces``). A piece too small to be a
        figure, standing apart, is a close-up view when a face in it scores at least
        ``thresholds.CLOSEUP_FACE_MIN_SCORE``, else a ``detail`` annotation (a prop); a piece
        holding several faces is cut into one figure per face (``separate_by_faces``).
        Without it, no piece is a close-up and faces cut nothing.
    find_salient : callable, optional
        Saliency of an RGB image (``U2netpSession.predict_mask``). A sheet that would be
        one picture (a busy backdrop, figures joined by a painted floor) is split into the
        figures it sees (``salient_figures``) where it sees two or more.
    """
    if find_faces is not None:
        find_faces = _remembered(find_faces)   # a close-up is judged in its region and again on the page
    background, views, annotations = _region_views(source, source_index, whole_when_empty=True, find_faces=find_faces)
    if find_salient is not None and len(views) == 1 and views[0].kind == "photo":
        views = _salient_views(source, source_index, background, find_salient) or views
    panels = find_panels(source.rgb)
    if len(panels) > 1:
        on_page, page_notes, views, annotations = views, annotations, [], []
        for box in panels:
            backdrop, inner, notes = _region_views(_sub_source(source, box), source_index, whole_when_empty=False,
                                                   find_faces=find_faces)
            inner, notes = _moved(inner, notes, box)
            inner = [replace(v, frame=box) for v in inner]
            page_inner = [v for v in on_page if v.kind != "photo" and _centre_inside(v.bbox, box)]
            if not backdrop.is_plain and page_inner:
                # A panel whose border is no backdrop of its own (a frame drawn inside it, a
                # figure on its edge) keeps what the page's backdrop showed there.
                inner, notes = page_inner, [n for n in page_notes if _centre_inside(n["bbox"], box)]
            views += inner
            annotations += notes
        views, small = _sheet_sized(views, find_faces)   # a panel of text is no view beside the figures
        annotations += [{"bbox": list(v.bbox), "kind": "mark"} for v in small]
        views = [views[i] for i in _reading_order([v.bbox for v in views])]
        if not views:
            views = [_whole(source, source_index, background)]
    if len(views) > T.MAX_VIEWS_PER_IMAGE:
        from ..errors import InputError

        raise InputError(source.path, f"too many figures: {len(views)} found, refprep takes at most "
                                      f"{T.MAX_VIEWS_PER_IMAGE} views from one image (crop the sheet into parts)")
    return SplitResult(background, layout_views(views, margin), annotations)


def _region_views(source: Source, source_index: int, whole_when_empty: bool,
                  find_faces: FindFaces | None) -> tuple[Background, list[View], list[dict]]:
    """The backdrop, views and annotations of one sheet or panel. A scene, or one subject
    filling the frame (a portrait on a plain wall), is one view of the whole; so is a sheet
    where nothing was found (``whole_when_empty``), while an empty panel has no view. A
    whole sheet's border may be covered more than a panel's (SHEET_BORDER_OUTLIER_SHARE)."""
    background = estimate_background(
        source, outlier_share=T.SHEET_BORDER_OUTLIER_SHARE if whole_when_empty else T.BORDER_OUTLIER_SHARE)
    views, annotations = [], []
    if background.is_plain:
        views, annotations = _find_views(source, background, source_index, allow_panels=True, find_faces=find_faces)
        views, small = _sheet_sized(views, find_faces)
        annotations += [{"bbox": list(v.bbox), "kind": "mark"} for v in small]
        views = [views[i] for i in _reading_order([v.bbox for v in views])]
    if _photographed(views, background, source):
        background = replace(background, kind="cluttered")   # a scene: cut out by the model alone
        views = []
    # A subject filling the frame and cut by it (a portrait, a bust) is a picture of the
    # whole; a figure filling it with a margin all round (one view cut from a sheet, a
    # single character on white) stays a figure.
    filled = len(views) == 1 and _covers_most(views[0], source) and _touches_frame(views[0], source)
    if filled or (not views and (whole_when_empty or not background.is_plain)):
        views = [_whole(source, source_index, background)]
    return background, views, annotations


def salient_figures(saliency: np.ndarray, *, threshold: float = T.SALIENT,
                    min_height_share: float = T.SALIENT_FIGURE_MIN_HEIGHT_SHARE,
                    min_area_share: float = T.SALIENT_FIGURE_MIN_AREA_SHARE) -> list[np.ndarray]:
    """The figures a saliency map shows: its connected regions above ``threshold`` at least
    ``min_height_share`` of the image tall and ``min_area_share`` of its area, as masks,
    left to right.

    Examples
    --------
    >>> saliency = np.zeros((100, 120), np.float32)
    >>> saliency[10:90, 10:40] = 0.9; saliency[15:95, 70:100] = 0.8; saliency[5:12, 50:60] = 0.9
    >>> [int(m.sum()) for m in salient_figures(saliency)]
    [2400, 2400]
    """
    import cv2

    height, width = saliency.shape
    count, parts, stats, _ = cv2.connectedComponentsWithStats((saliency > threshold).astype(np.uint8), connectivity=8)
    keep = [i for i in range(1, count) if stats[i, cv2.CC_STAT_HEIGHT] >= min_height_share * height
            and stats[i, cv2.CC_STAT_AREA] >= min_area_share * height * width]
    return [parts == i for i in sorted(keep, key=lambda i: stats[i, cv2.CC_STAT_LEFT])]


def _salient_views(source: Source, source_index: int, background: Background,
                   find_salient: FindSalient) -> list[View]:
    """The figures of a sheet on a busy backdrop (``salient_figures``), or none where the
    model sees fewer than two: one subject in a scene is a picture of the whole."""
    figures = salient_figures(find_salient(source.rgb))
    if len(figures) < 2:
        return []
    views = []
    for mask in figures:
        x, y, w, h = _tight_box(mask)
        views.append(View(source_index=source_index, bbox=(x, y, w, h), image=source.rgb[y:y + h, x:x + w],
                          mask=mask[y:y + h, x:x + w], kind="figure", backdrop=background))
    return [views[i] for i in _reading_order([v.bbox for v in views])]


def _centre_inside(box: tuple[int, int, int, int], region: tuple[int, int, int, int]) -> bool:
    x, y, w, h = region
    return x <= box[0] + box[2] / 2 < x + w and y <= box[1] + box[3] / 2 < y + h


def _whole(source: Source, source_index: int, background: Background) -> View:
    return View(source_index=source_index, bbox=(0, 0, source.width, source.height),
                image=source.rgb, mask=None, kind="photo", backdrop=background)


def _sub_source(source: Source, box: tuple[int, int, int, int]) -> Source:
    """The region ``box`` of a source, as a source of its own."""
    x, y, w, h = box
    return Source(path=source.path, rgb=source.rgb[y:y + h, x:x + w],
                  alpha=None if source.alpha is None else source.alpha[y:y + h, x:x + w],
                  sha256=source.sha256, file_format=source.file_format, original_mode=source.original_mode)


def _moved(views: list[View], notes: list[dict], box: tuple[int, int, int, int]) -> tuple[list[View], list[dict]]:
    """Views and annotations of the region ``box`` in the source's coordinates; each view's
    backdrop model keeps the region as its origin."""
    x, y = box[0], box[1]
    moved = [replace(v, bbox=(v.bbox[0] + x, v.bbox[1] + y, v.bbox[2], v.bbox[3]),
                     backdrop=replace(v.backdrop, origin=(v.backdrop.origin[0] + x, v.backdrop.origin[1] + y)))
             for v in views]
    return moved, [{**note, "bbox": [note["bbox"][0] + x, note["bbox"][1] + y, *note["bbox"][2:]]} for note in notes]


def _find_views(source: Source, background: Background, source_index: int,
                allow_panels: bool, find_faces: FindFaces | None) -> tuple[list[View], list[dict]]:
    """Views (not yet laid out) and annotations of one image region on one backdrop."""
    labels, pieces, scale, faint_labels = find_pieces(source, background)
    labels, pieces = separate_touching(labels, pieces, faint_labels)
    if find_faces is not None:
        labels, pieces = separate_by_faces(labels, pieces, source, scale, find_faces)
    markings = find_markings(pieces)
    apart = None
    if find_faces is not None:
        def apart(a: Piece, b: Piece) -> bool:
            """Each piece shows a face, the two of one size: two figures drawn at one scale."""
            faces = [_faces_in_piece(labels, p, source, scale, find_faces) for p in (a, b)]
            if not all(faces):
                return False
            sides = [max(found[0].box[2:]) for found in faces]
            return min(sides) >= T.SEPARATE_FACE_SIZE_RATIO * max(sides)
    groups, loose, closeups = group_pieces(pieces, markings, apart)
    frames, letters = markings.frames, markings.letters
    swatches = [p for p in loose if p.flat and p not in frames and p not in letters]
    marks = merge_marks([p for p in loose if p not in frames and p not in swatches])
    annotations = ([_note((m.x, m.y, m.w, m.h), scale, "frame") for m in frames]
                   + [_note((m.x, m.y, m.w, m.h), scale, "swatch") for m in swatches]
                   + [_note(box, scale, "mark") for box in marks])
    views = []
    # Panels come in galleries and grids; one lone filled rectangle is a photo on padding.
    panels = allow_panels and sum(_is_panel(g[0]) for g in groups) >= 2
    for group in groups:
        box = _source_box(group, scale, source)
        if panels and _is_panel(group[0]):
            inner, inner_notes = _split_panel(source, box, source_index, find_faces)
            if inner:
                views.extend(inner)
                annotations.append({"bbox": list(box), "kind": "panel"})
                annotations.extend(inner_notes)
                continue
        view = _cut_view(source, background, labels, group, scale, box, source_index)
        if view is not None:
            views.append(view)
    for piece in closeups:
        box = _source_box([piece], scale, source)
        view = _cut_view(source, background, labels, [piece], scale, box, source_index)
        if view is not None and _shows_a_face(view, find_faces):
            views.append(view)
        else:
            annotations.append({"bbox": list(box), "kind": "detail"})
    return views, annotations


def _remembered(find_faces: FindFaces) -> FindFaces:
    """``find_faces`` answering a picture it was shown before from memory."""
    import hashlib

    answers: dict[tuple, list] = {}

    def find(rgb: np.ndarray) -> list:
        key = (rgb.shape, hashlib.blake2b(np.ascontiguousarray(rgb).tobytes(), digest_size=16).digest())
        if key not in answers:
            answers[key] = find_faces(rgb)
        return answers[key]

    return find


def _shows_a_face(view: View, find_faces: FindFaces | None) -> bool:
    """Does a face detector find a face in this view (alone on white)? False without one."""
    return find_faces is not None and any(face.score >= T.CLOSEUP_FACE_MIN_SCORE for face in find_faces(_on_white(view)))


def _on_white(view: View) -> np.ndarray:
    """A view (cut out on white, or a photo) centred on a white square a half larger than its
    long side: a face detector sees a head alone, framed as in a portrait."""
    image = view.image.copy()
    if view.mask is not None:
        image[~view.mask] = 255
    height, width = image.shape[:2]
    side = (3 * max(height, width)) // 2
    top, left = (side - height) // 2, (side - width) // 2
    return np.pad(image, ((top, side - height - top), (left, side - width - left), (0, 0)), constant_values=255)


def _note(box: tuple[int, int, int, int], scale: float, kind: str) -> dict:
    """An annotation: a work-scale box in source pixels, and what it is."""
    x, y, w, h = box
    return {"bbox": [int(x / scale), int(y / scale), int(np.ceil(w / scale)), int(np.ceil(h / scale))], "kind": kind}


def _source_box(group: list[Piece], scale: float, source: Source) -> tuple[int, int, int, int]:
    """A group's work-scale box in source pixels, grown a little to absorb downscale rounding."""
    x0, y0, x1, y1 = _group_box(group)
    pad = int(np.ceil(2 / scale))
    return _clip_box((int(x0 / scale) - pad, int(y0 / scale) - pad,
                      int(np.ceil((x1 - x0) / scale)) + 2 * pad, int(np.ceil((y1 - y0) / scale)) + 2 * pad),
                     source.width, source.height)


def _cut_view(source: Source, background: Background, labels: np.ndarray, group: list[Piece], scale: float,
              box: tuple[int, int, int, int], source_index: int) -> View | None:
    """The view of one group: its full-resolution mask, tightened box and crop."""
    import cv2

    bx, by, bw, bh = box
    pad = int(np.ceil(2 / scale))
    group_mask = np.isin(labels, [p.label for p in group]).astype(np.uint8)
    near_group = cv2.resize(group_mask[int(by * scale):int(np.ceil((by + bh) * scale)) + 1,
                                       int(bx * scale):int(np.ceil((bx + bw) * scale)) + 1],
                            (bw, bh), interpolation=cv2.INTER_NEAREST)
    near_group = cv2.dilate(near_group, np.ones((2 * pad + 1, 2 * pad + 1), np.uint8)) > 0
    crop_alpha = source.alpha[by:by + bh, bx:bx + bw] if source.alpha is not None else None
    mask = _without_specks(foreground_mask(source.rgb[by:by + bh, bx:bx + bw], crop_alpha, background, box) & near_group)
    tight = _tight_box(mask)
    if tight is None:
        return None
    tx, ty, tw, th = tight
    return View(
        source_index=source_index,
        bbox=(bx + tx, by + ty, tw, th),
        image=source.rgb[by + ty:by + ty + th, bx + tx:bx + tx + tw],
        mask=mask[ty:ty + th, tx:tx + tw],
        kind="figure",
        backdrop=background,
    )


def _without_specks(mask: np.ndarray) -> np.ndarray:
    """The mask without loose specks (JPEG ringing around dark outlines, dust) smaller than
    VIEW_SPECK_SHARE of its pixels, which would widen the view's box."""
    import cv2

    count, parts, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= max(T.VIEW_SPECK_MIN_PX, T.VIEW_SPECK_SHARE * int(mask.sum()))
    keep[0] = False     # the backdrop
    return keep[parts]


def _is_panel(piece: Piece) -> bool:
    """A filled rectangle (a tile of another colour, a gallery cell) that may hold a figure."""
    return piece.area >= T.PANEL_MIN_FILL * piece.w * piece.h


def _split_panel(source: Source, box: tuple[int, int, int, int], source_index: int,
                 find_faces: FindFaces | None = None) -> tuple[list[View], list[dict]]:
    """Split the inside of a panel against the panel's own backdrop (one level deep)."""
    x, y, w, h = box
    inset = max(T.BORDER_MIN_PX, int(T.PANEL_INSET_SHARE * min(w, h)))
    if min(w, h) <= 4 * inset:
        return [], []
    inside = (x + inset, y + inset, w - 2 * inset, h - 2 * inset)
    panel = _sub_source(source, inside)
    backdrop = estimate_background(panel)
    if not backdrop.is_plain:
        backdrop = estimate_background(panel, top_only=True)
    if not backdrop.is_plain or backdrop.kind == "transparent":
        return [], []
    views, notes = _find_views(panel, backdrop, source_index, allow_panels=False, find_faces=find_faces)
    return _moved(views, notes, inside)


def _sheet_sized(views: list[View], find_faces: FindFaces | None) -> tuple[list[View], list[View]]:
    """Views that pass the view-size tests of ``group_pieces`` against the whole sheet, and
    the rest: tiles are split one by one, and a button's caption in one is no view beside
    the figures in the others (a smaller head in one is a close-up, as in ``_find_views``)."""
    if not views:
        return views, []
    tallest = max(v.bbox[3] for v in views)
    areas = [v.bbox[2] * v.bbox[3] if v.mask is None else int(v.mask.sum()) for v in views]

    def kept(view: View, area: int) -> bool:
        if view.bbox[3] >= T.VIEW_MIN_HEIGHT_SHARE * tallest and area >= T.VIEW_MIN_AREA_SHARE * max(areas):
            return True
        return (view.bbox[3] >= T.CLOSEUP_MIN_HEIGHT_SHARE * tallest and area >= T.CLOSEUP_MIN_AREA_SHARE * max(areas)
                and _shows_a_face(view, find_faces))

    keep = [kept(v, area) for v, area in zip(views, areas)]
    return [v for v, k in zip(views, keep) if k], [v for v, k in zip(views, keep) if not k]


def _photographed(views: list[View], background: Background, source: Source) -> bool:
    """Is this a photograph whose border happened to look plain (a wall and a floor, out of
    focus)? Its backdrop has a camera's noise, more than paper's grain, and what stands on
    it runs off the frame; a drawn sheet's figures stand clear of its edges."""
    if background.noise < T.PHOTO_MIN_NOISE:
        return False
    on_edge = 0
    for view in views:
        x, y, w, h = view.bbox
        mask = view.mask
        on_edge += (int(mask[0].sum()) if y == 0 else 0) + (int(mask[-1].sum()) if y + h == source.height else 0)
        on_edge += (int(mask[:, 0].sum()) if x == 0 else 0) + (int(mask[:, -1].sum()) if x + w == source.width else 0)
    return on_edge >= T.PHOTO_MIN_EDGE_SHARE * 2 * (source.width + source.height)


def _touches_frame(view: View, source: Source) -> bool:
    x, y, w, h = view.bbox
    return min(x, y, source.width - x - w, source.height - y - h) <= T.FRAME_TOUCH_PX


def _covers_most(view: View, source: Source) -> bool:
    x, y, w, h = view.bbox
    return w * h >= T.SINGLE_VIEW_COVERAGE * source.width * source.height


def layout_views(views: list[View], margin_share: float = T.VIEW_MARGIN_SHARE) -> list[View]:
    """Name each view's framing (full body, a close-up of head and shoulders, a photo) and
    give the views of one framing the same canvas: the largest of them plus a margin, feet
    (or shoulders) aligned. Nothing is scaled, so a character keeps its height from view to
    view; an expression head keeps a canvas of its own size, not a full figure's."""
    if not views:
        return views
    tallest = max(v.bbox[3] for v in views)
    # How tall the sheet's figures stand, from its tall views only: expression heads beside
    # them say nothing about it.
    tall = [v for v in views if v.bbox[3] >= T.CLOSE_UP_HEIGHT_SHARE * tallest]
    sheet_aspect = float(np.median([v.bbox[3] / v.bbox[2] for v in tall]))
    framings = [_framing(view, tallest, sheet_aspect) for view in views]
    canvases = {framing: _canvas([v.bbox for v, f in zip(views, framings) if f == framing], margin_share)
                for framing in set(framings)}
    out = []
    for view, framing in zip(views, framings):
        canvas_w, canvas_h, margin = canvases[framing]
        out.append(replace(view, framing=framing, canvas=(canvas_w, canvas_h, (canvas_w - view.bbox[2]) // 2,
                                                          canvas_h - margin - view.bbox[3])))
    return out


def _canvas(boxes: list[tuple[int, int, int, int]], margin_share: float) -> tuple[int, int, int]:
    """(width, height, margin) of a canvas holding the largest of ``boxes`` with a margin,
    padded (never cropped or scaled) to an aspect ratio generators accept."""
    tallest, widest = max(b[3] for b in boxes), max(b[2] for b in boxes)
    margin = max(4, int(round(margin_share * max(tallest, widest))))
    canvas_w, canvas_h = widest + 2 * margin, tallest + 2 * margin
    canvas_w = max(canvas_w, int(np.ceil(canvas_h / T.CANVAS_MAX_ASPECT)))
    canvas_h = max(canvas_h, int(np.ceil(canvas_w / T.CANVAS_MAX_ASPECT)))
    return canvas_w, canvas_h, margin


def _framing(view: View, tallest: int, sheet_aspect: float) -> str:
    """full_body or close_up (head, bust). A profile bust is as narrow as a standing figure,
    so a view is full-body only if its sheet's tall views are tall on the whole and it is
    too, or it stands as tall as the tallest (a sword or wings make a figure wide)."""
    if view.kind == "photo":
        return "photo"
    _, _, width, height = view.bbox
    if height < T.CLOSE_UP_HEIGHT_SHARE * tallest or sheet_aspect < T.FULL_BODY_ASPECT:
        return "close_up"
    if height < T.FULL_BODY_ASPECT * width and height < T.FULL_HEIGHT_SHARE * tallest:
        return "close_up"
    return "full_body"


def _clip_box(box, width: int, height: int) -> tuple[int, int, int, int]:
    x, y, w, h = box
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(width, x + w), min(height, y + h)
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


def _tight_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)


def without_text(views: list[View], text_boxes: list[tuple[int, int, int, int]], *,
                 inside_share: float = T.TEXT_PIECE_INSIDE_SHARE,
                 max_line_share: float = T.TEXT_LINE_MAX_SHARE) -> tuple[list[View], list[dict]]:
    """Views with the printed text the split kept in them taken out: a caption over a figure,
    a title beside a portrait. Text is never a figure.

    A piece of a view's mask (a connected blob) with at least ``inside_share`` of its pixels
    inside a text box is text; the view's box shrinks to what is left. A view that was all
    text becomes an annotation. Photos (no mask) are kept as they are. A text box thicker
    than ``max_line_share`` of the view's height is no line of print.

    Returns
    -------
    views, annotations
        The views, and ``{"bbox", "kind": "text"}`` for each view dropped.
    """
    import cv2

    kept, notes = [], []
    for view in views:
        x, y, w, h = view.bbox
        inside = np.zeros((h, w), bool)
        for tx, ty, tw, th in text_boxes:
            if min(tw, th) > max_line_share * h:
                continue      # no line of print: the detector boxed a figure or a pattern
            pad = max(1, th // 4)     # glyph strokes reach past the detector's tight box
            x0, y0 = max(tx - pad - x, 0), max(ty - pad - y, 0)
            x1, y1 = min(tx + tw + pad - x, w), min(ty + th + pad - y, h)
            if x0 < x1 and y0 < y1:
                inside[y0:y1, x0:x1] = True
        if view.mask is None or not inside.any():
            kept.append(view)
            continue
        count, parts, stats, _ = cv2.connectedComponentsWithStats(view.mask.astype(np.uint8), connectivity=8)
        in_text = np.bincount(parts[inside], minlength=count)
        text_parts = in_text >= inside_share * stats[:, cv2.CC_STAT_AREA]
        text_parts[0] = False
        if not text_parts.any():
            kept.append(view)
            continue
        mask = view.mask & ~text_parts[parts]
        tight = _tight_box(mask)
        if tight is None:
            notes.append({"bbox": list(view.bbox), "kind": "text"})
            continue
        bx, by, bw, bh = tight
        kept.append(replace(view, bbox=(x + bx, y + by, bw, bh), image=view.image[by:by + bh, bx:bx + bw],
                            mask=mask[by:by + bh, bx:bx + bw]))
    return kept, notes


def split_by_captions(source: Source, rows: list, source_index: int = 0, *,
                      min_band_lines: float = 3.0) -> tuple[list[View], list[dict]]:
    """Views found column by column beside rows of printed view captions.

    Where guide lines, grids or a busy page join a sheet's figures into one piece, the
    creator's own captions ("FRONT  3/4  SIDE  BACK") still say where the views are: each
    caption owns the column halfway to its neighbours, and the band between its row and the
    next (below a row in the sheet's upper half, above one in its lower half, or the other
    band where that one is already taken) holds its view. Inside each column the figure is
    split against the column's own backdrop, as a panel is; the largest piece is the view.

    Parameters
    ----------
    rows : list
        ``evidence.sheet.caption_rows`` of the sheet's text.
    min_band_lines : float
        A band must be at least this many caption heights tall to hold a figure.

    Returns
    -------
    (views, annotations)
        Views not yet laid out, in reading order; the captions as ``text`` annotations.
    """
    height, width = source.height, source.width
    claimed: list[tuple[int, int]] = []
    views: list[View] = []
    notes = [{"bbox": [int(v) for v in box], "kind": "text"} for row in rows for box, _ in row]
    for k, row in enumerate(rows):
        top = min(box[1] for box, _ in row)
        bottom = max(box[1] + box[3] for box, _ in row)
        line = max(box[3] for box, _ in row)
        above = (max(box[1] + box[3] for box, _ in rows[k - 1]) if k else 0, top)
        below = (bottom, min(box[1] for box, _ in rows[k + 1]) if k + 1 < len(rows) else height)
        order = (below, above) if top + bottom < height else (above, below)
        band = next((b for b in order if b[1] - b[0] >= min_band_lines * line
                     and not any(_overlap_1d(b, c) > 0.5 for c in claimed)), None)
        if band is None:
            continue
        claimed.append(band)
        views += _column_views(source, [box[0] + box[2] / 2 for box, _ in row], (0, width), band, source_index)
    return views, notes


def resplit_by_captions(source: Source, views: list[View], rows: list, source_index: int = 0, *,
                        max_gap: float = 0.35) -> tuple[list[View], list[dict]]:
    """``views`` with every view that holds several captioned figures split by its captions.

    A view spans a row's captions when their centres lie within its columns and within
    ``max_gap`` of its height above or below it (or inside it): a panel or a ruled backdrop
    joined those figures. Its figures lie on the side of the captions where more of the
    view is; each caption owns its column as in ``split_by_captions``.
    """
    out: list[list[View]] = [[view] for view in views]
    notes = []
    for row in rows:
        for slot, group in enumerate(out):
            if len(group) != 1:
                continue
            x, y, w, h = group[0].bbox
            inside = [box for box, _ in row if x <= box[0] + box[2] / 2 <= x + w
                      and y - max_gap * h <= box[1] + box[3] / 2 <= y + h + max_gap * h]
            if len(inside) < 2:
                continue
            top = min(box[1] for box in inside)
            bottom = max(box[1] + box[3] for box in inside)
            band = (y, max(y + 1, min(top, y + h))) if top - y >= y + h - bottom else (max(bottom, y), y + h)
            if band[1] - band[0] < 3 * max(box[3] for box in inside):
                continue
            out[slot] = _column_views(source, sorted(box[0] + box[2] / 2 for box in inside), (x, x + w), band,
                                      source_index)
            notes += [{"bbox": [int(v) for v in box], "kind": "text"} for box in inside]
    return [view for group in out for view in group], notes


def _column_views(source: Source, centres: list[float], limits: tuple[int, int], band: tuple[int, int],
                  source_index: int) -> list[View]:
    """One view per caption centre over ``band`` between ``limits``: the band's own split
    where it finds exactly one figure spanning each caption (heads drawn apart, off the
    captions' beat);
    else the column halfway to each caption's neighbours (the outer ones as wide again),
    split against its own backdrop. A column with nothing in it gives no view."""
    whole = (int(limits[0]), band[0], int(limits[1] - limits[0]), band[1] - band[0])
    found, _ = _split_panel(source, whole, source_index)
    owners = [[v for v in found if v.bbox[0] <= c <= v.bbox[0] + v.bbox[2]] for c in centres]
    if all(len(o) == 1 for o in owners) and len({id(o[0]) for o in owners}) == len(centres):
        return [o[0] for o in owners]  # one figure under each caption, none under two
    views = []
    for i, centre in enumerate(centres):
        left = (centres[i - 1] + centre) / 2 if i else max(float(limits[0]), centre - (centres[1] - centre) / 2)
        right = (centres[i + 1] + centre) / 2 if i + 1 < len(centres) else \
            min(float(limits[1]), centre + (centre - centres[i - 1]) / 2)
        column = (int(left), band[0], int(right - left), band[1] - band[0])
        found, _ = _split_panel(source, column, source_index)
        found = [v for v in found if v.mask is not None and _solid_share(v.mask, column) >= MIN_COLUMN_SOLID]
        view = max(found, key=lambda v: int(v.mask.sum())) if found else _column_view(source, column, source_index)
        if view is not None:
            views.append(view)
    return views


# A caption's column holds a figure when at least this share of it is solid (left after an
# opening that removes lines a few pixels wide: guide lines, ruled or graph paper).
MIN_COLUMN_SOLID = 0.02


def _solid_share(mask: np.ndarray, box: tuple[int, int, int, int], width_px: int = 5) -> float:
    """Share of ``box``'s area that ``mask`` covers with more than thin lines."""
    import cv2

    kernel = np.ones((width_px, width_px), np.uint8)
    solid = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, kernel)
    return float(solid.sum()) / max(1, box[2] * box[3])


def _column_view(source: Source, box: tuple[int, int, int, int], source_index: int, *,
                 ink_distance: float = 60.0) -> View | None:
    """A captioned column whose figure cannot be told from its backdrop by colour alone
    (it crosses the column's edge, or the page is busy): the whole column is the view, and
    the clean stage cuts the figure out as it does a scene's. None where what differs from
    the column's median colour by more than ``ink_distance`` (RGB) is not solid enough to
    be a figure (``MIN_COLUMN_SOLID``): an empty column on ruled paper holds lines."""
    x, y, w, h = box
    pixels = source.rgb[y:y + h, x:x + w].astype(np.float32)
    if pixels.size == 0:
        return None
    ink = np.linalg.norm(pixels - np.median(pixels.reshape(-1, 3), axis=0), axis=2) > ink_distance
    if _solid_share(ink, box) < MIN_COLUMN_SOLID:
        return None
    column = Source(path=source.path, rgb=source.rgb[y:y + h, x:x + w],
                    alpha=None if source.alpha is None else source.alpha[y:y + h, x:x + w],
                    sha256=source.sha256, file_format=source.file_format, original_mode=source.original_mode)
    backdrop = replace(estimate_background(column), origin=(x, y))
    return View(source_index=source_index, bbox=box, image=column.rgb, mask=None, backdrop=backdrop)


def _overlap_1d(a: tuple[int, int], b: tuple[int, int]) -> float:
    """How much two intervals overlap, as a share of the shorter."""
    inter = min(a[1], b[1]) - max(a[0], b[0])
    return max(0, inter) / max(1, min(a[1] - a[0], b[1] - b[0]))
