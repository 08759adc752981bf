"""Pixel measures behind the quality checks: plain functions from pixels to one number.

Each function documents what its number means and how it behaves on the degradations it
is meant to catch; ``quality.py`` picks the region (face, head, subject or backdrop),
compares the number with the preset's thresholds and words the advice. Where ISO/IEC
29794-5 (face image quality) and its reference implementation OFIQ define a measure, the
definition follows them (under/over-exposure bounds, luminance mean, left/right
illumination of the face, inter-eye distance) unless a reason is given where it differs.
"""

from __future__ import annotations

import numpy as np


def luma(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luminance (JPEG's Y), float32, 0..255."""
    rgb = rgb.astype(np.float32)
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def shrink_by(array: np.ndarray, factor: int) -> np.ndarray:
    """Mean of each ``factor`` x ``factor`` block. The last rows and columns that don't fill
    a block are dropped, so OpenCV takes its fast integer INTER_AREA path (5x quicker than
    an arbitrary ratio on a 12 MP view)."""
    import cv2

    height, width = array.shape[:2]
    if factor <= 1:
        return array
    if min(height, width) < factor:  # a sliver: no whole block across it
        size = (max(1, width // factor), max(1, height // factor))
        return cv2.resize(array, size, interpolation=cv2.INTER_AREA)
    rows, cols = height - height % factor, width - width % factor
    return cv2.resize(array[:rows, :cols], (cols // factor, rows // factor), interpolation=cv2.INTER_AREA)


# --- sharpness -----------------------------------------------------------------------------

def crete_sharpness(grey: np.ndarray, mask: np.ndarray | None = None) -> float:
    """1 - the no-reference blur score of Crete-Roffet et al. (2007), in 0..1.

    Blur the region again and see how much of its pixel-to-pixel variation survives: a sharp
    image loses much, an already blurred one little. Being a ratio it ignores contrast, so
    a flat-shaded cartoon with crisp outlines and a textured photo are judged alike. Both
    directions are measured and the blurrier one counts, so motion blur along one axis is
    caught as well as Gaussian blur.
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


# --- JPEG compression ------------------------------------------------------------------------

# The orthonormal 8x8 DCT-II matrix: JPEG's forward DCT has exactly this scaling, so a
# decoded block re-transformed here gives coefficients on the encoder's quantisation grid.
_DCT8 = np.array([[np.sqrt((1 if u == 0 else 2) / 8) * np.cos((2 * x + 1) * u * np.pi / 16) for x in range(8)]
                  for u in range(8)])
# The IJG (libjpeg) luminance table at quality 50 (ITU-T T.81 Annex K), natural order.
IJG_LUMA_TABLE = np.array([
    [16, 11, 10, 16, 24, 40, 51, 61], [12, 12, 14, 19, 26, 58, 60, 55],
    [14, 13, 16, 24, 40, 57, 69, 56], [14, 17, 22, 29, 51, 87, 80, 62],
    [18, 22, 37, 56, 68, 109, 103, 77], [24, 35, 55, 64, 81, 104, 113, 92],
    [49, 64, 78, 87, 103, 121, 120, 101], [72, 92, 95, 98, 112, 100, 103, 99],
])
# Low-frequency coefficients whose quantisation step is read: they are non-zero in most
# textured blocks even at quality 10, so their steps can be measured on a small face.
_PROBE_COEFFICIENTS = ((0, 1), (1, 0), (1, 1), (0, 2), (2, 0))
# A step is accepted when coefficients sit on its multiples this consistently (mean cosine
# of their phase, 1 = exactly on the grid, 0 = random) over at least this many coefficients.
# Pixel rounding adds ~0.7 of noise to a coefficient, so steps from 4 up are seen; finer
# quantisation (quality above ~80) reads as uncompressed, which it practically is.
_LATTICE_MIN_SCORE = 0.5
_LATTICE_MIN_SAMPLES = 50
_LATTICE_MAX_STEP = 128
# Blocks analysed, at most (a 384 x 384 window, 2304 blocks): coefficients enough for every
# step up to quality 5, in ~15 ms.
_JPEG_WINDOW = 384


def _grid_phase(grey: np.ndarray, axis: int) -> int:
    """Offset of the 8-pixel block grid along ``axis``: the block boundary is where the
    step between neighbouring pixels is largest on average."""
    steps = np.abs(np.diff(grey, axis=axis)).mean(axis=1 - axis)
    usable = len(steps) // 8 * 8
    return (int(np.argmax(steps[:usable].reshape(-1, 8).mean(axis=0))) + 1) % 8


def _quantisation_step(coefficients: np.ndarray) -> int:
    """The largest step whose multiples the coefficients sit on (1: no quantisation seen).

    Coefficients smaller than half a step say nothing about it (zero is on every grid), so
    each candidate step is judged on the coefficients at least half a step from zero."""
    coefficients = coefficients[np.argsort(np.abs(coefficients))]
    magnitudes = np.abs(coefficients)
    found = 1
    for step in range(2, _LATTICE_MAX_STEP + 1):
        usable = coefficients[np.searchsorted(magnitudes, step / 2):]
        if len(usable) < _LATTICE_MIN_SAMPLES:
            break
        if np.mean(np.cos(usable * (2 * np.pi / step))) >= _LATTICE_MIN_SCORE:
            found = step
    return found


def _ijg_quality(step: float, base: float) -> float:
    """The IJG quality setting (1..100) that quantises a coefficient with table entry
    ``base`` to ``step`` (libjpeg: scale = 5000/q below 50, 200 - 2q from 50 up)."""
    scale = step / base * 100
    quality = (200 - scale) / 2 if scale <= 100 else 5000 / scale
    return float(np.clip(quality, 1, 100))


def jpeg_quality(rgb: np.ndarray) -> float | None:
    """Estimated JPEG quality (IJG scale, 1..100; ~96 means no compression is visible) of an
    RGB region at its native pixels, or None when too few textured blocks show.

    JPEG rounds every 8x8 block's DCT coefficients to multiples of a quantisation step; a
    decoded image keeps them on that grid. The step of five low-frequency coefficients is
    measured (Fan & de Queiroz 2003 style lattice test) and mapped back to the IJG quality
    that produces it; the median of the five is returned. Works on any crop offset (the
    block grid is found first) and on JPEGs re-saved as PNG; an image scaled after
    compression loses the grid and reads as uncompressed.
    """
    height, width = rgb.shape[:2]
    top, left = max(0, (height - _JPEG_WINDOW) // 2), max(0, (width - _JPEG_WINDOW) // 2)
    grey = luma(rgb[top:top + _JPEG_WINDOW, left:left + _JPEG_WINDOW]).astype(np.float64)
    if min(grey.shape) < 32:
        return None
    dy, dx = _grid_phase(grey, 0), _grid_phase(grey, 1)
    rows, cols = (grey.shape[0] - dy) // 8, (grey.shape[1] - dx) // 8
    blocks = grey[dy:dy + rows * 8, dx:dx + cols * 8].reshape(rows, 8, cols, 8).transpose(0, 2, 1, 3)
    dct = _DCT8 @ blocks @ _DCT8.T
    textured = [np.count_nonzero(np.abs(dct[..., u, v]) >= 2) for u, v in _PROBE_COEFFICIENTS]
    if max(textured) < _LATTICE_MIN_SAMPLES:
        return None
    qualities = [_ijg_quality(_quantisation_step(dct[..., u, v].ravel()), IJG_LUMA_TABLE[u, v])
                 for u, v in _PROBE_COEFFICIENTS]
    return float(np.median(qualities))


# --- exposure and dynamic range ----------------------------------------------------------------

# OFIQ's bounds: a face pixel at or below UNDER_EXPOSED_LUMA has lost its shadow detail,
# at or above OVER_EXPOSED_LUMA its highlight detail.
UNDER_EXPOSED_LUMA = 25
OVER_EXPOSED_LUMA = 247


def exposure_shares(values: np.ndarray, under: float = UNDER_EXPOSED_LUMA,
                    over: float = OVER_EXPOSED_LUMA) -> tuple[float, float]:
    """(under-exposed share, over-exposed share) of luminance values; OFIQ's bounds unless
    given others."""
    return float(np.mean(values <= under)), float(np.mean(values >= over))


def luminance_span(values: np.ndarray) -> float:
    """Grey levels (0..255) between the 1st and 99th percentile of luminance: the tonal
    range actually used. Halving the contrast halves it; a face lit well from black pupils
    to bright skin spans 150-250, a flat-shaded drawn face as much (dark outlines, light
    skin) though it uses few distinct levels, which is why this, not OFIQ's histogram
    entropy, is the measure: entropy reads every flat-shaded cartoon as washed out."""
    low, high = np.percentile(values, (1, 99))
    return float(high - low)


# --- colour ------------------------------------------------------------------------------------

# Colour statistics are taken on at most this many pixels (a 256-pixel thumbnail is plenty).
_COLOUR_SIDE = 256


# sRGB (D65) to CIE XYZ, and the D65 white point: the standard sRGB definitions.
_SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]], np.float32)
_D65_WHITE = np.array([0.95047, 1.0, 1.08883], np.float32)


# The sRGB transfer function undone, for each 8-bit level (a lookup instead of a power per pixel).
_SRGB_LEVELS = np.arange(256, dtype=np.float64) / 255.0
_SRGB_TO_LINEAR = np.where(_SRGB_LEVELS <= 0.04045, _SRGB_LEVELS / 12.92,
                           ((_SRGB_LEVELS + 0.055) / 1.055) ** 2.4).astype(np.float32)


def lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (L 0..100, a and b roughly -100..100) of RGB uint8 pixels, shape (..., 3).
    In numpy: OpenCV's converter spends 0.1-0.3 s building tables on its first call."""
    linear = _SRGB_TO_LINEAR[rgb]
    xyz = linear @ _SRGB_TO_XYZ.T / _D65_WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def colour_spread(rgb: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Spread of the colours in the CIELAB a*b* plane (ΔE units): the root of the summed
    variances of a* and b*. 0 for a black-and-white image, ~5 for sepia (one hue), 8-30 for
    photos and coloured art. A colour cast cannot be told from colourful clothes this way,
    but missing colour can."""
    pixels = rgb[mask] if mask is not None and mask.any() else rgb.reshape(-1, 3)
    step = max(1, len(pixels) // (_COLOUR_SIDE * _COLOUR_SIDE))
    colours = lab(pixels[::step])
    return float(np.sqrt(colours[:, 1].var() + colours[:, 2].var()))


# --- backdrop ----------------------------------------------------------------------------------

# Backdrop structure is the backdrop's colour (CIELAB) smoothed at two scales, subtracted:
# the fine scale (this sigma, in work-copy pixels) drops sensor noise, JPEG grain and paper
# texture; the coarse one (this share of the picture's longer side) follows everything
# smooth, a wall's light fall-off, a studio gradient or vignette and a soft cast shadow,
# which a single fitted surface cannot (a shadow beside a head read as 16-22 % "clutter").
STRUCTURE_FINE_SIGMA_PX = 1.0
STRUCTURE_SURFACE_SIGMA = 0.03
# A backdrop pixel whose structure is at least this (Delta E) shows something: an edge,
# an object, text, a pattern, a person. 5 is clearly visible side by side, yet above the
# grain of plain walls and paper (devdata plain backdrops: 0-1 % of their pixels).
CLUTTER_DELTA_E = 5.0


def _masked_blur(values: np.ndarray, mask: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of ``values`` (HxWxC) over the pixels in ``mask`` only (normalised
    convolution): the subject's colours do not bleed into the backdrop next to it."""
    import cv2

    weight = mask.astype(np.float32)
    total = cv2.GaussianBlur(values * weight[..., None], (0, 0), sigma)
    return total / np.maximum(cv2.GaussianBlur(weight, (0, 0), sigma), 1e-6)[..., None]


def backdrop_clutter(rgb: np.ndarray, backdrop: np.ndarray, clear: np.ndarray) -> tuple[float, tuple[int, int, int]]:
    """Share (0..1) of the backdrop pixels ``clear`` that show structure (an edge, object,
    text or pattern) of at least CLUTTER_DELTA_E, and the backdrop's median RGB colour.

    Structure is the backdrop's colour lightly smoothed minus the smooth surface under it
    (both over the ``backdrop`` pixels only, see STRUCTURE_FINE_SIGMA_PX): a plain wall,
    a studio gradient, blank paper and the soft shadow a person casts on them measure ~0,
    a room, a crowd or a caption most of its pixels. ``clear`` is ``backdrop`` kept away
    from the subject, so stray hair at the matte's edge does not count. Working in CIELAB
    makes dark scenes count: a pattern in a dark-blue stage wall is a few RGB levels but a
    visible Delta E.

    Examples
    --------
    >>> plain = np.zeros((64, 64, 3), np.uint8) + np.linspace(90, 200, 64, dtype=np.uint8)[:, None, None]
    >>> everywhere = np.ones((64, 64), bool)
    >>> backdrop_clutter(plain, everywhere, everywhere)[0]
    0.0
    """
    colours = lab(rgb).astype(np.float32)
    fine = _masked_blur(colours, backdrop, STRUCTURE_FINE_SIGMA_PX)
    surface = _masked_blur(colours, backdrop, STRUCTURE_SURFACE_SIGMA * max(backdrop.shape))
    structure = np.linalg.norm(fine - surface, axis=-1)
    share = float(np.mean(structure[clear] >= CLUTTER_DELTA_E))
    return share, tuple(int(c) for c in np.median(rgb[clear], axis=0))


# --- face lighting and eyes ------------------------------------------------------------------

def half_face_means(grey: np.ndarray, box: tuple[int, int, int, int], midline: float) -> tuple[float, float]:
    """Mean luminance of the face's left and right halves (image sides), taken at equal
    distances from ``midline`` (the x between the eyes) so a slightly turned face compares
    like with like: the band from below the brows to the chin, without the box's outer fifth
    (hair, ears, backdrop)."""
    x, y, w, h = box
    half = 0.8 * min(midline - x, x + w - midline)
    if half < 2:
        return float("nan"), float("nan")
    top, bottom = max(0, int(y + 0.2 * h)), max(0, int(y + 0.9 * h))
    left = grey[top:bottom, max(0, int(midline - half)):max(0, int(midline))]
    right = grey[top:bottom, max(0, int(midline)):max(0, int(midline + half))]
    if not left.size or not right.size:
        return float("nan"), float("nan")
    return float(left.mean()), float(right.mean())


def eye_visibility(grey: np.ndarray, eyes: np.ndarray, box: tuple[int, int, int, int]) -> float | None:
    """Mean luminance of the brighter eye region over the median of the cheeks below it.

    An open, visible eye (white sclera, lit lids) is 0.5-1.0 of its cheek; dark sunglasses
    or an eye covered by a dark object 0.15-0.3. Both eyes must be dark to score low, so a
    side light that shades one eye does not. ``eyes`` are the two eye centres (x, y)."""
    # Region sizes in terms of the face's width (the eye distance shrinks as the head turns).
    size = max(float(np.linalg.norm(eyes[0] - eyes[1])), 0.35 * box[2])
    half_w, half_h = 0.2 * size, 0.12 * size
    ratios = []
    for ex, ey in eyes:
        x0, x1 = max(0, int(ex - half_w)), max(0, int(ex + half_w) + 1)
        eye = grey[max(0, int(ey - half_h)):max(0, int(ey + half_h) + 1), x0:x1]
        cheek = grey[max(0, int(ey + 0.35 * size)):max(0, int(ey + 0.6 * size) + 1), x0:x1]
        if eye.size and cheek.size:
            ratios.append(float(eye.mean()) / max(float(np.median(cheek)), 1.0))
    return max(ratios) if ratios else None
