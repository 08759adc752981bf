"""Split stage: a loaded sheet -> one ``View`` per character view.

1. ``estimate_background`` fits a smooth colour surface to the image border (flat,
   gradient or vignette backdrops all fit), or reads the alpha channel.
2. ``find_pieces`` marks pixels far from that backdrop and labels connected pieces.
3. ``group_pieces`` keeps character-sized pieces as views and attaches detached hair,
   props and tails to the nearest view; captions and small marks become annotations.
4. ``layout_views`` puts all views of a sheet on canvases of one size, at one scale, feet
   aligned, so a character keeps its height from view to view.

A cluttered border means a photo: the whole image is one view.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from . import thresholds as T
from .data import Background, Source, View


@dataclass
class Piece:
    """A connected blob of non-backdrop pixels, in work-scale pixels."""

    label: int
    x: int
    y: int
    w: int
    h: int
    area: int

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def right(self) -> int:
        return self.x + self.w


@dataclass
class SplitResult:
    background: Background
    views: list[View]
    annotations: list[dict]  # {"bbox": [x, y, w, h], "kind": "mark"} in source pixels


# --- 1. backdrop ------------------------------------------------------------------------

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


def estimate_background(source: Source, top_only: bool = False) -> Background:
    """Estimate the backdrop from the image border; see ``Background`` for the model.

    ``top_only`` reads only the top edge and the upper sides: inside a panel, a bust or a
    figure standing on the panel's lower edge covers much of the rest.
    """
    rgb = _work_copy(source.rgb)
    height, width = rgb.shape[:2]
    border = _border_mask(height, width, top_only)
    size = (source.width, source.height)

    if source.alpha is not None:
        alpha = _work_copy(source.alpha)
        if np.mean(alpha[border] < T.ALPHA_BACKGROUND_BELOW) > 1 - T.BORDER_OUTLIER_SHARE:
            return Background("transparent", (255, 255, 255), 0.0, None, size)

    ys, xs = np.nonzero(border)
    return fit_backdrop(xs, ys, rgb[ys, xs], (width, height), size)


def fit_backdrop(xs: np.ndarray, ys: np.ndarray, colours: np.ndarray, grid_size: tuple[int, int],
                 image_size: tuple[int, int]) -> Background:
    """Fit the smooth backdrop surface to sample pixels (at ``xs``, ``ys`` on a grid of
    ``grid_size``), robustly: pixels that do not fit (a figure touching the edge, a frame
    line) are dropped and the fit repeated. Too many misfits, or too much noise, make the
    backdrop "cluttered"."""
    width, height = grid_size
    colours = colours.astype(np.float32)
    basis = _quadratic_basis((xs + 0.5) / width * 2 - 1, (ys + 0.5) / height * 2 - 1).astype(np.float32)
    keep = np.ones(len(colours), bool)
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

    if noise > T.CLUTTERED_BORDER_STD or inlier_share < 1 - T.BORDER_OUTLIER_SHARE:
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
    if background.kind == "transparent":
        if alpha is None:
            return np.ones(rgb.shape[:2], bool)
        return alpha >= T.ALPHA_BACKGROUND_BELOW
    expected = background.render(box, rgb.shape[:2])
    distance = np.linalg.norm(rgb.astype(np.float32) - expected, axis=2)
    threshold = max(T.FOREGROUND_MIN_DISTANCE, T.BACKGROUND_NOISE_FACTOR * background.noise)
    mask = distance > threshold
    if alpha is not None:
        mask &= alpha >= T.ALPHA_BACKGROUND_BELOW
    return mask


def find_pieces(source: Source, background: Background) -> tuple[np.ndarray, list[Piece], float]:
    """Label connected non-backdrop pieces on a work-scale copy.

    Returns (label image, pieces, work scale). Specks (SPECK_AREA_SHARE) are dropped.
    """
    import cv2

    scale = _work_scale(source.rgb.shape)
    rgb = _work_copy(source.rgb)
    alpha = _work_copy(source.alpha) if source.alpha is not None else None
    height, width = rgb.shape[:2]
    mask = foreground_mask(rgb, alpha, background, (0, 0, source.width, source.height))
    # Closing joins line art and anti-aliased outlines that a threshold breaks apart.
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    mask = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, kernel)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    min_area = max(4, int(T.SPECK_AREA_SHARE * height * width))
    pieces = [
        Piece(i, *(int(v) for v in stats[i, :4]), int(stats[i, 4]))
        for i in range(1, count)
        if stats[i, 4] >= min_area
    ]
    return labels, pieces, scale


def separate_touching(labels: np.ndarray, pieces: list[Piece]) -> tuple[np.ndarray, list[Piece]]:
    """Cut a piece that holds several touching or overlapping figures between their heads.

    A wide view-sized piece is examined along its top outline: each figure's head is a
    separate stretch near the top. Between two heads it is cut at the column with the fewest
    of its pixels (where the figures meet), and the cut is kept only if every part stands
    nearly as tall as the piece (each a whole figure) and of similar widths. "Wide" means
    TOUCHING_MIN_WIDTH_RATIO times the median of its equally tall siblings, so this needs
    siblings: a lone wide subject (a portrait's shoulders, a creature's wings, or a whole row
    of touching figures) is left whole."""
    tallest = max((p.h for p in pieces), default=0)
    figures = [p for p in pieces if p.h >= T.TOUCHING_SIBLING_HEIGHT_SHARE * tallest]
    if len(figures) < 2:
        return labels, pieces
    typical = float(np.median([p.w for p in figures]))
    next_label = int(labels.max()) + 1
    result = []
    for piece in pieces:
        candidate = piece in figures and piece.w >= T.TOUCHING_MIN_WIDTH_RATIO * typical
        window = labels[piece.y:piece.bottom, piece.x:piece.right]
        own = window == piece.label
        cuts = _cuts_between_heads(own) if candidate else []
        bounds = list(zip([0, *cuts], [*cuts, piece.w]))
        parts = [own[:, start:end] for start, end in bounds]
        widths = [end - start for start, end in bounds]
        if (not cuts or any(_rows_spanned(part) < T.TOUCHING_SIBLING_HEIGHT_SHARE * piece.h for part in parts)
                or max(widths) > T.TOUCHING_PART_WIDTH_RATIO * min(widths)):
            result.append(piece)
            continue
        for (start, end), part_pixels in zip(bounds, parts):
            part = np.zeros_like(own)
            part[:, start:end] = part_pixels
            rows, cols = np.nonzero(part)
            window[part] = next_label
            result.append(Piece(next_label, piece.x + int(cols.min()), piece.y + int(rows.min()),
                                int(cols.max() - cols.min() + 1), int(rows.max() - rows.min() + 1), int(rows.size)))
            next_label += 1
    return labels, result


def _rows_spanned(mask: np.ndarray) -> int:
    rows = np.flatnonzero(mask.any(axis=1))
    return int(rows[-1] - rows[0] + 1) if rows.size else 0


def _cuts_between_heads(own: np.ndarray) -> list[int]:
    """Columns to cut a piece's mask at, one between each pair of heads along its top."""
    from scipy.ndimage import grey_closing

    height = own.shape[0]
    has_pixels = own.any(axis=0)
    top = np.where(has_pixels, own.argmax(axis=0), height)
    # Closing the outline removes peaks narrower than a head (a staff, an ear, a horn), so
    # they neither set the reference height nor count as heads.
    top = grey_closing(top, size=max(1, int(T.HEAD_MIN_WIDTH_SHARE * height)))
    near_top = top <= top.min() + T.HEAD_BAND_SHARE * height
    runs, start = [], None
    for x, inside in enumerate([*near_top, False]):
        if inside and start is None:
            start = x
        elif not inside and start is not None:
            if x - start >= T.HEAD_MIN_WIDTH_SHARE * height:
                runs.append((start, x))
            start = None
    counts = own.sum(axis=0)
    return [end + int(np.argmin(counts[end:next_start]))
            for (_, end), (next_start, _) in zip(runs, runs[1:]) if next_start > end]


# --- 3. grouping ------------------------------------------------------------------------

def _box_gap(a: Piece, b: Piece) -> float:
    dx = max(0, max(a.x, b.x) - min(a.right, b.right))
    dy = max(0, max(a.y, b.y) - min(a.bottom, b.bottom))
    return float(np.hypot(dx, dy))


def group_pieces(pieces: list[Piece]) -> tuple[list[list[Piece]], list[Piece]]:
    """Split pieces into views (each a list: main piece first) and annotation pieces."""
    if not pieces:
        return [], []
    frames = [p for p in pieces if _is_frame(p, pieces)]
    pieces = [p for p in pieces if p not in frames]
    if not pieces:
        return [], frames
    tallest = max(p.h for p in pieces)
    largest = max(p.area for p in pieces)
    mains = [p for p in pieces
             if p.h >= T.VIEW_MIN_HEIGHT_SHARE * tallest and p.area >= T.VIEW_MIN_AREA_SHARE * largest]
    if not mains:  # the tallest piece is a thin line (a scrollbar, a rule): the largest leads
        mains = [max(pieces, key=lambda p: p.area)]
    groups = _merge_overlapping([[m] for m in mains])
    annotations = list(frames)
    for piece in pieces:
        if piece in mains:
            continue
        nearest = min(groups, key=lambda g: _box_gap(piece, g[0]))
        if _belongs_to(piece, nearest[0]):
            nearest.append(piece)
        else:
            annotations.append(piece)
    return groups, annotations


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
    if gap > T.ATTACH_GAP_SHARE * main.h or piece.w * piece.h > main.w * main.h:
        return False
    beyond_figure = piece.y >= main.bottom + T.CAPTION_GAP_SHARE * main.h or \
        piece.bottom <= main.y - T.CAPTION_GAP_SHARE * main.h
    side_mark = piece.h < T.SIDE_MARK_HEIGHT_SHARE * main.h and gap > T.CAPTION_GAP_SHARE * main.h
    return not (beyond_figure or side_mark)


def _group_box(group: list[Piece]) -> tuple[int, int, int, int]:
    return (min(p.x for p in group), min(p.y for p in group),
            max(p.right for p in group), max(p.bottom for p in group))


def _merge_overlapping(groups: list[list[Piece]]) -> list[list[Piece]]:
    """Views of a sheet stand apart; large pieces whose boxes overlap much are parts of one
    subject (a dark photo broken up by its own shadows, a figure cut by a line)."""
    merged = True
    while merged:
        merged = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                a, b = _group_box(groups[i]), _group_box(groups[j])
                overlap = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
                smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
                if overlap > T.VIEW_MERGE_OVERLAP * smaller:
                    groups[i] = groups[i] + groups.pop(j)
                    merged = True
                    break
            if merged:
                break
    # The main piece (largest) leads its group, as attach rules measure from it.
    return [sorted(g, key=lambda p: -p.area) for g in groups]


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

def split_source(source: Source, source_index: int = 0, margin: float = T.VIEW_MARGIN_SHARE) -> SplitResult:
    """Run the whole split stage on one source image; ``margin`` is the space around the
    views on their shared canvas, as a share of the largest view's size."""
    background = estimate_background(source)
    views, annotations = [], []
    if background.is_plain:
        views, annotations = _find_views(source, background, source_index, allow_panels=True)
        views = [views[i] for i in _reading_order([v.bbox for v in views])]
    if not views or (len(views) == 1 and _covers_most(views[0], source)):
        # A scene, or one subject filling the frame (a portrait on a plain wall): keep it whole.
        views = [View(source_index=source_index, bbox=(0, 0, source.width, source.height),
                      image=source.rgb, mask=None, kind="photo", backdrop=background)]
    if len(views) > T.MAX_VIEWS_PER_IMAGE:
        from .errors import InputError

        raise InputError(source.path, f"too many figures: {len(views)} found, refprep takes at most "
                                      f"{T.MAX_VIEWS_PER_IMAGE} views from one image (crop the sheet into parts)")
    return SplitResult(background, layout_views(views, margin), annotations)


def _find_views(source: Source, background: Background, source_index: int,
                allow_panels: bool) -> tuple[list[View], list[dict]]:
    """Views (not yet laid out) and annotations of one image region on one backdrop."""
    labels, pieces, scale = find_pieces(source, background)
    labels, pieces = separate_touching(labels, pieces)
    groups, loose = group_pieces(pieces)
    annotations = [
        {"bbox": [int(x / scale), int(y / scale), int(np.ceil(w / scale)), int(np.ceil(h / scale))], "kind": "mark"}
        for x, y, w, h in merge_marks([p for p in loose if not _is_frame(p, pieces)])
    ] + [
        {"bbox": [int(p.x / scale), int(p.y / scale), int(np.ceil(p.w / scale)), int(np.ceil(p.h / scale))], "kind": "frame"}
        for p in loose if _is_frame(p, pieces)
    ]
    views = []
    # Panels come in galleries and grids; one lone filled rectangle is a photo on padding.
    panels = allow_panels and sum(_is_panel(g[0]) for g in groups) >= 2
    for group in groups:
        box = _source_box(group, scale, source)
        if panels and _is_panel(group[0]):
            inner, inner_notes = _split_panel(source, box, source_index)
            if inner:
                views.extend(inner)
                annotations.append({"bbox": list(box), "kind": "panel"})
                annotations.extend(inner_notes)
                continue
        view = _cut_view(source, background, labels, group, scale, box, source_index)
        if view is not None:
            views.append(view)
    return views, annotations


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
    mask = foreground_mask(source.rgb[by:by + bh, bx:bx + bw], crop_alpha, background, box) & near_group
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


def _is_panel(piece: Piece) -> bool:
    """A filled rectangle (a tile of another colour, a gallery cell) that may hold a figure."""
    return piece.area >= T.PANEL_MIN_FILL * piece.w * piece.h


def _split_panel(source: Source, box: tuple[int, int, int, int], source_index: int) -> tuple[list[View], list[dict]]:
    """Split the inside of a panel against the panel's own backdrop (one level deep)."""
    x, y, w, h = box
    inset = max(T.BORDER_MIN_PX, int(T.PANEL_INSET_SHARE * min(w, h)))
    if min(w, h) <= 4 * inset:
        return [], []
    x, y, w, h = x + inset, y + inset, w - 2 * inset, h - 2 * inset
    panel = Source(path=source.path, rgb=source.rgb[y:y + h, x:x + w],
                   alpha=None if source.alpha is None else source.alpha[y:y + h, x:x + w],
                   sha256=source.sha256, file_format=source.file_format, original_mode=source.original_mode)
    backdrop = estimate_background(panel)
    if not backdrop.is_plain:
        backdrop = estimate_background(panel, top_only=True)
    if not backdrop.is_plain or backdrop.kind == "transparent":
        return [], []
    views, notes = _find_views(panel, backdrop, source_index, allow_panels=False)
    # Back to source coordinates; the panel's backdrop model keeps its own origin.
    in_source = replace(backdrop, origin=(x, y))
    shifted = [replace(v, bbox=(v.bbox[0] + x, v.bbox[1] + y, v.bbox[2], v.bbox[3]), backdrop=in_source) for v in views]
    for note in notes:
        note["bbox"] = [note["bbox"][0] + x, note["bbox"][1] + y, *note["bbox"][2:]]
    return shifted, notes


def _covers_most(view: View, source: Source) -> bool:
    x, y, w, h = view.bbox
    return w * h >= T.SINGLE_VIEW_COVERAGE * source.width * source.height


def layout_views(views: list[View], margin_share: float = T.VIEW_MARGIN_SHARE) -> list[View]:
    """Give every view the same canvas: the largest view plus a margin, feet aligned; and
    name each view's framing (full body, or a close-up of head and shoulders)."""
    if not views:
        return views
    tallest = max(v.bbox[3] for v in views)
    widest = max(v.bbox[2] for v in views)
    margin = max(4, int(round(margin_share * max(tallest, widest))))
    canvas_w, canvas_h = widest + 2 * margin, tallest + 2 * margin
    # Pad (never crop or scale) to an aspect ratio generators accept.
    canvas_w = max(canvas_w, int(np.ceil(canvas_h / T.CANVAS_MAX_ASPECT)))
    canvas_h = max(canvas_h, int(np.ceil(canvas_w / T.CANVAS_MAX_ASPECT)))
    sheet_aspect = float(np.median([v.bbox[3] / v.bbox[2] for v in views]))
    return [
        replace(view, canvas=(canvas_w, canvas_h, (canvas_w - view.bbox[2]) // 2, canvas_h - margin - view.bbox[3]),
                framing=_framing(view, tallest, sheet_aspect))
        for view in views
    ]


def _framing(view: View, tallest: int, sheet_aspect: float) -> str:
    """full_body or close_up (head, bust). A profile bust is as narrow as a standing figure,
    so a view is full-body only if its sheet's views are tall on the whole and it is too."""
    if view.kind == "photo":
        return "photo"
    _, _, width, height = view.bbox
    if height < T.FULL_BODY_ASPECT * width or height < T.CLOSE_UP_HEIGHT_SHARE * tallest:
        return "close_up"
    return "full_body" if sheet_aspect >= T.FULL_BODY_ASPECT else "close_up"


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
