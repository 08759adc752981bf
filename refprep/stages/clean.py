"""Clean stage: each view -> the subject alone on an exactly flat background.

The matte comes from the best evidence at hand:
- a transparent source already carries it (its alpha channel);
- a figure (or a photo) on a plain backdrop: ``backdrop_matte`` fuses the fitted backdrop
  model, u2netp saliency and the image's edges -- what matches the backdrop is background,
  outside the figure or enclosed by it, a floor shadow too; what does not is subject however
  close to the backdrop colour; the band along the outline gets a measured alpha;
- a scene: the u2netp saliency mask, snapped to the image's edges by a guided filter and
  checked against colour (GrabCut), which opens the scene showing through a hole u2netp fills;
Edge colours are then decontaminated: with the backdrop colour B known (the fitted model
corrected by the clear pixels around the subject, or estimated from them), the observed
colour I = a*F + (1-a)*B gives the true subject colour F = (I - (1-a)*B) / a, so no grey
halo survives on white. benchmarks/clean_bench.py measures all of it against ground truth.

Segmentation models are sessions in the style of rembg's: one object per model, created
once and reused for every view. The bundled u2netp runs on onnxruntime directly with
rembg's exact pre- and post-processing (tests compare the two); importing rembg itself
costs seconds (and a first-run numba compile) that the default path does not need.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace

import numpy as np

from .. import thresholds as T
from ..data import Background, View
from ..errors import ModelError, UsageError
from ..models import DOWNLOADABLE_REMBG_MODELS, bundled_model_path, onnx_session_options, rembg_cache_dir

# The backdrop behind a photo's subject is estimated at this resolution (long side, px).
LOCAL_BACKDROP_LONG_SIDE = 512

BACKGROUND_COLOURS = {"white": (255, 255, 255), "green": (0, 177, 64)}


def parse_background(value: str) -> tuple[int, int, int] | None:
    """'white', 'green', '#RRGGBB' -> RGB; 'transparent' -> None. UsageError otherwise."""
    value = value.strip().lower()
    if value == "transparent":
        return None
    if value in BACKGROUND_COLOURS:
        return BACKGROUND_COLOURS[value]
    if value.startswith("#") and len(value) == 7:
        try:
            return tuple(int(value[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]
        except ValueError:
            pass
    raise UsageError(f"unknown background {value!r}: use white, green, transparent or #RRGGBB")


# --- segmentation sessions ----------------------------------------------------------------

class U2netpSession:
    """The bundled u2netp salient-object model, with rembg's U2netpSession processing."""

    name = "u2netp"
    input_size = (320, 320)
    mean = (0.485, 0.456, 0.406)
    std = (0.229, 0.224, 0.225)

    def __init__(self, threads: int | None = None, device: str = "cpu"):
        import onnxruntime as ort

        path = bundled_model_path("u2netp")
        try:
            self.session = ort.InferenceSession(str(path), sess_options=onnx_session_options(threads),
                                                providers=execution_providers(device))
        except Exception as exc:  # onnxruntime raises its own error types
            raise ModelError(f"model file unusable: {path} ({exc})") from None
        self.input_name = self.session.get_inputs()[0].name

    def predict_mask(self, rgb: np.ndarray) -> np.ndarray:
        """Saliency in 0..1 (float32, same HxW as ``rgb``)."""
        from PIL import Image

        image = Image.fromarray(rgb)
        small = np.asarray(image.resize(self.input_size, Image.Resampling.LANCZOS), dtype=np.float64)
        small = small / max(small.max(), 1e-6)
        tensor = ((small - self.mean) / self.std).transpose(2, 0, 1)[None].astype(np.float32)
        prediction = self.session.run(None, {self.input_name: tensor})[0][0, 0]
        low, high = prediction.min(), prediction.max()
        prediction = (prediction - low) / max(high - low, 1e-6)
        # rembg quantises to 8 bits before resizing; doing the same keeps masks identical.
        mask = Image.fromarray((prediction * 255).astype(np.uint8), mode="L")
        mask = mask.resize(image.size, Image.Resampling.LANCZOS)
        return np.asarray(mask, dtype=np.float32) / 255.0


class RembgSession:
    """Any other rembg model by name (downloaded by rembg on first use)."""

    def __init__(self, name: str, threads: int | None = None, device: str = "cpu"):
        if name not in DOWNLOADABLE_REMBG_MODELS:
            raise ModelError(f"unknown model {name!r}: choose u2netp or one of {', '.join(DOWNLOADABLE_REMBG_MODELS)}")
        import rembg

        self.name = name
        try:
            self.session = rembg.new_session(name, sess_opts=onnx_session_options(threads),
                                             providers=execution_providers(device))
        except Exception as exc:  # network or checksum failure inside rembg/pooch
            raise ModelError(f"could not load model {name} ({exc})") from None

    def predict_mask(self, rgb: np.ndarray) -> np.ndarray:
        from PIL import Image

        mask = self.session.predict(Image.fromarray(rgb))[0]
        return np.asarray(mask.convert("L"), dtype=np.float32) / 255.0


class RememberingSession:
    """A matting session that keeps its last answer: the split asks for the saliency of a
    picture it would keep whole (``split.salient_figures``), and the clean stage asks for
    the same picture's again when it mattes that picture as one view. The answer is
    read-only, so no caller changes what the next one gets."""

    def __init__(self, session):
        self.session = session
        self._last: tuple[np.ndarray, np.ndarray] | None = None

    def predict_mask(self, rgb: np.ndarray) -> np.ndarray:
        if self._last is None or self._last[0] is not rgb:
            saliency = self.session.predict_mask(rgb)
            saliency.flags.writeable = False
            self._last = (rgb, saliency)
        return self._last[1]


def needs_download(model: str) -> bool:
    """True when ``model`` is not bundled and not yet in rembg's cache."""
    if model == "u2netp":
        return False
    home = rembg_cache_dir()
    return not ((home / "models" / model / f"{model}.onnx").is_file() or (home / f"{model}.onnx").is_file())


def new_session(model: str = "u2netp", threads: int | None = None, device: str = "cpu"):
    """The segmentation session for ``model``; the bundled u2netp unless asked otherwise."""
    if model == "u2netp":
        return U2netpSession(threads=threads, device=device)
    return RembgSession(model, threads=threads, device=device)


DEVICES = ("cpu", "cuda")


def check_device(device: str) -> None:
    """UsageError (exit 2, one line) unless ``device`` can run the segmentation model here."""
    if device not in DEVICES:
        raise UsageError(f"unknown device {device!r}: use cpu or cuda")
    if device == "cuda":
        import onnxruntime as ort

        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise UsageError("--device cuda: this onnxruntime has no CUDA support "
                             "(install onnxruntime-gpu and the CUDA runtime), or use --device cpu")


def execution_providers(device: str) -> list[str]:
    """ONNX Runtime providers for ``device``; CUDA falls back to the CPU for any node it lacks."""
    check_device(device)
    return ["CUDAExecutionProvider", "CPUExecutionProvider"] if device == "cuda" else ["CPUExecutionProvider"]


# --- mattes -------------------------------------------------------------------------------

def estimate_matte(view: View, session, source_alpha: np.ndarray | None) -> np.ndarray:
    """Alpha (float32 0..1, HxW of ``view.image``) of the subject in one view."""
    background = view.backdrop
    x, y, w, h = view.bbox
    if background.kind == "transparent" and source_alpha is not None:
        alpha = source_alpha[y:y + h, x:x + w].astype(np.float32) / 255.0
        if view.mask is not None:
            alpha *= _figure_region(view.mask)
        return alpha
    if background.is_plain and background.kind != "transparent":
        saliency = _unpad(session.predict_mask(_pad_for_model(view.image, background)), view.image.shape)
        matte = backdrop_matte(view, saliency)
        return scene_matte(view.image, saliency) if matte is None else matte
    return scene_matte(view.image, session.predict_mask(view.image))


def _figure_region(mask: np.ndarray) -> np.ndarray:
    """The view's own pixels, grown a little so anti-aliased edges are inside."""
    return _grown(mask, 2)


def backdrop_matte(view: View, saliency: np.ndarray) -> np.ndarray | None:
    """The matte of a subject on a known plain backdrop, from three kinds of evidence:

    - the backdrop model: pixels matching it (within its noise) are background, wherever
      they are -- outside the figure or enclosed by it (between arm and body, inside a
      ring); everything else connected to the figure is subject, however close to the
      backdrop colour (a white shirt on white paper differs by its shading and texture);
    - u2netp saliency: small enclosed backdrop-coloured holes (eye whites, a collar gap)
      stay subject where the model sees the subject there, and backdrop darkened without a
      change of hue (a floor shadow) is background where it does not;
    - the edges: a band around the subject/background boundary gets its alpha from
      I = a*F + (1-a)*B with B the local backdrop and F the subject colour spread outwards
      from the solid interior (a projection onto F - B), so strands and anti-aliased edges
      come out soft and no background is kept around them.

    None when the backdrop does not explain a photo's surroundings (a scene whose border
    happened to look plain): where u2netp sees no subject, the backdrop must show.
    """
    image = view.image.astype(np.float32)
    model = view.backdrop.render(view.bbox)
    noise = view.backdrop.noise
    # Pass 1 against the smooth model; then the model corrected by what the clear backdrop
    # around the subject shows locally (paper blotches, light fall-off the quadratic
    # surface misses). Only backdrop reached from the view's edge teaches the correction:
    # a pale shirt that happens to match the model must not become the local backdrop.
    first_outside = _reached_from_edge(_clear_of(image, model, noise))
    backdrop = _spread_backdrop(image, model, first_outside)
    clear = _clear_of(image, backdrop, noise)
    grain = _grain(image)
    smooth = _smooth_area(grain, first_outside)
    unseen = saliency < T.SALIENT
    floor = _floor_top(~unseen)
    shade = _floor_shade(image, backdrop, clear, floor)
    shadow = shade & (saliency < T.SHADOW_MAX_SALIENCY)
    if view.mask is None and unseen.any() and (clear | shadow)[unseen].mean() < T.PLAIN_PHOTO_MIN_CLEAR:
        return None
    # The backdrop around the figure, reached from the view's edge without crossing what
    # u2netp sees as subject, nor an area smoother than the backdrop's grain: a pale shirt's
    # patch that matches the backdrop colour is then judged like an enclosed hole, by how
    # exactly it follows the backdrop.
    outside = _reached_from_edge(((clear & ~smooth) | shadow) & unseen)
    backdrop = _spread_backdrop(image, model, outside)
    background = outside | _enclosed_backdrop(image, clear, shade, outside, saliency, noise, backdrop, floor,
                                              grain, smooth)
    subject = _connected_to(~background, _seeds(view, saliency))
    return _edge_alpha(image, backdrop, subject)


def _box_mean(values: np.ndarray, size: int = 3) -> np.ndarray:
    """Each pixel's mean over its ``size`` x ``size`` neighbourhood."""
    import cv2

    return cv2.blur(values, (size, size))


def _opened(mask: np.ndarray, width: int) -> np.ndarray:
    """``mask`` without its parts narrower than ``width`` px (a morphological opening)."""
    import cv2

    return cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, np.ones((width, width), np.uint8)) > 0


def _clear_of(image: np.ndarray, backdrop: np.ndarray, noise: float) -> np.ndarray:
    """Pixels whose colour matches ``backdrop`` within its noise: averaged over 3x3 (noise
    averages out), or on their own (a gap between limbs narrower than 3 px)."""
    difference = image - backdrop
    limit_sq = _match_tolerance(noise) ** 2
    return (_squared_length(_box_mean(difference)) < limit_sq) | (_squared_length(difference) < limit_sq)


def _match_tolerance(noise: float) -> float:
    """RGB distance within which a pixel matches the backdrop, for the backdrop's noise."""
    return max(T.BACKDROP_MATCH_MIN_DISTANCE, T.BACKDROP_MATCH_NOISE_FACTOR * noise)


def _squared_length(colours: np.ndarray) -> np.ndarray:
    return np.einsum("...c,...c->...", colours, colours)


def _normalised_blur(values: np.ndarray, weight: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian average of ``values`` over the pixels where ``weight`` is set, and that weight."""
    import cv2

    weight = weight.astype(np.float32)
    total = cv2.GaussianBlur(weight, (0, 0), sigma)
    blurred = cv2.GaussianBlur(values * weight[:, :, None], (0, 0), sigma)
    return blurred / np.maximum(total, 1e-6)[:, :, None], total


def _spread_backdrop(image: np.ndarray, model: np.ndarray, clear: np.ndarray) -> np.ndarray:
    """The backdrop behind every pixel: the model plus the local residual of the clear pixels
    around it (spread into the subject, so edge pixels know what they were mixed with)."""
    residual, total = _normalised_blur(image - model, clear, T.LOCAL_BACKDROP_SIGMA_PX)
    residual = np.where(total[:, :, None] > 1e-3, residual, 0.0)
    return model + residual.astype(np.float32)


def _floor_top(salient: np.ndarray) -> int:
    """The first row of the floor by the subject's feet: the lowest FLOOR_SHADOW_HEIGHT_SHARE
    of what u2netp sees as subject (``salient``), and everything below it (a view cut loosely
    around a single figure has backdrop under the feet, with the cast shadow in it)."""
    rows = np.flatnonzero(salient.any(axis=1))
    top, bottom = (rows[0], rows[-1] + 1) if len(rows) else (0, len(salient))
    return int(bottom - T.FLOOR_SHADOW_HEIGHT_SHARE * (bottom - top))


def _floor_shade(image: np.ndarray, backdrop: np.ndarray, clear: np.ndarray, top: int) -> np.ndarray:
    """Pixels on the floor (from row ``top`` down) that look like the backdrop in shadow:
    darker by a common factor on every channel, no change of hue. A cast shadow where
    u2netp sees no subject; the subject's own shading is on its own colours, or salient."""
    shade = np.zeros_like(clear)
    image, backdrop = image[top:], backdrop[top:]
    backdrop_sq = _squared_length(backdrop)
    brightness = np.einsum("...c,...c->...", image, backdrop) / np.maximum(backdrop_sq, 1.0)
    hue_change_sq = _squared_length(_box_mean(image - brightness[:, :, None] * backdrop))
    tolerance_sq = np.maximum(T.BACKDROP_MATCH_MIN_DISTANCE ** 2, T.SHADOW_HUE_TOLERANCE ** 2 * backdrop_sq)
    shade[top:] = (~clear[top:] & (brightness >= T.SHADOW_MIN_BRIGHTNESS) & (brightness < 1.0)
                   & (hue_change_sq < tolerance_sq))
    return shade


def _reached_from_edge(region: np.ndarray) -> np.ndarray:
    """The connected parts of ``region`` that touch the view's edge."""
    edge = np.zeros_like(region)
    edge[[0, -1], :] = True
    edge[:, [0, -1]] = True
    return _connected_to(region, edge)


def _enclosed_backdrop(image: np.ndarray, clear: np.ndarray, shade: np.ndarray, outside: np.ndarray,
                       saliency: np.ndarray, noise: float, backdrop: np.ndarray, floor: int,
                       grain: np.ndarray, smooth: np.ndarray) -> np.ndarray:
    """Which backdrop-coloured pixels not reached from outside are backdrop showing through
    (between arm and body, inside a ring, between the feet). Backdrop showing through follows
    the backdrop: no mean offset from it, no drift across it, and it carries the backdrop's
    grain. A patch of a pale shirt that the backdrop happens to match (a gradient crossing
    it, one band of its shading) fails that: its colour drifts through the whole tolerance
    across it, and where the backdrop has grain it is smoother. Each connected piece is
    judged whole, after cuts where a hole and such a patch join into one piece with no line
    between them: parts bounded by a soft edge stay subject (``_soft_bounded``); a piece that
    fails whole is judged again in parts, where u2netp is sure of the subject and where not,
    in the ``smooth`` area and out of it (a part must then show the backdrop's grain), and
    what still fails by its level core alone, which must follow the backdrop closely; a
    hole found takes the level pixels within a few px of it (its rim, cut off by those
    rules); and the smooth parts of a piece that passes whole, or that touches the view's
    edge, stay subject where they are measurably smoother than the backdrop. Thresholds
    and their measured ranges: thresholds.py."""
    candidate = (clear | shade) & ~outside
    if not candidate.any():
        return candidate
    limit = _match_tolerance(noise)
    evidence = _HoleEvidence(image - backdrop, clear, saliency, limit, floor,
                             outside_rim=_grown(outside, 1),
                             eye_white_max_px=T.ENCLOSED_HOLE_KEEP_SHARE * (candidate.size - int(outside.sum())),
                             grain=grain, backdrop_grain=_rms_inside(grain, outside), smooth=smooth)
    whole_candidate = candidate.copy()
    candidate &= ~_soft_bounded(candidate, outside, evidence.difference, limit)
    holes, failed = evidence.judge(candidate)
    for part in (failed & (saliency < T.SURE_SALIENCY), failed & (saliency >= T.SURE_SALIENCY)):
        for texture in (smooth, ~smooth):
            holes |= evidence.judge(part & texture, must_show_grain=True)[0]
    level = _squared_length(_box_mean(evidence.difference, 5)) < (T.HOLE_LEVEL_CORE * limit) ** 2
    level_core = _opened(failed & ~holes & level, T.HOLE_LEVEL_CORE_MIN_WIDTH_PX)
    holes |= evidence.judge(level_core, must_show_grain=True, max_drift_share=T.HOLE_LEVEL_CORE_MAX_DRIFT)[0]
    # A piece touching the view's edge is backdrop however salient: u2netp's mask reaches
    # the edge of a tight crop.
    holes |= _reached_from_edge(candidate)
    # The rim of a hole found, cut from it by the soft-edge rule or the opening, goes with
    # it where it is as level with the backdrop as a level core.
    holes = _grown_within(candidate & holes, whole_candidate & level, T.HOLE_GROW_PX)
    return holes & ~evidence.smoother_parts(holes & smooth)


@dataclass(frozen=True)
class _HoleEvidence:
    """What ``_enclosed_backdrop`` judges backdrop-coloured pieces by."""

    difference: np.ndarray   # image - local backdrop
    clear: np.ndarray        # pixels matching the backdrop
    saliency: np.ndarray
    limit: float             # the match tolerance (RGB distance)
    floor: int               # first row of the floor by the feet
    outside_rim: np.ndarray  # the outside backdrop, grown by a pixel
    eye_white_max_px: float
    grain: np.ndarray        # each pixel's departure from its 3x3 mean
    backdrop_grain: float | None  # its rms over the outside backdrop (None: too little of it)
    smooth: np.ndarray       # areas measurably smoother than the backdrop (``_smooth_area``)

    def judge(self, candidate: np.ndarray, must_show_grain: bool = False,
              max_drift_share: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(the pieces of ``candidate`` that are backdrop showing through, those that do
        not follow the backdrop). Specks stay, and so do pieces too small to be a gap where
        u2netp sees the subject (eye whites; not by the feet, where they are the gap between
        the shoes; not along the outline, where they are slivers of the outside, where
        u2netp's rim is sure). With ``must_show_grain``, a piece too small to measure its
        grain in is no hole where the backdrop has grain; ``max_drift_share`` tightens the
        drift allowed (``_follows_backdrop``). The work is done in the candidates' bounding
        box."""
        import cv2

        hole_mask, failed_mask = np.zeros_like(candidate), np.zeros_like(candidate)
        box = _tight_slices(candidate)
        if box is None:
            return hole_mask, failed_mask
        top = box[0].start
        count, pieces, stats, _ = cv2.connectedComponentsWithStats(candidate[box].astype(np.uint8), connectivity=4)
        unseen = _mean_over(pieces, count, self.saliency[box]) < T.SALIENT
        # Paper blotches are paper: they carry its grain (a piece too small to measure it in
        # must at least lie mostly outside the smooth areas). Where the backdrop has no grain
        # to compare, there are no blotches, and a pale shirt u2netp misses is judged as closely.
        grainy, too_small = self._grain_verdict(pieces, count, box)
        blotch_like = (unseen & self.grain_measurable & (grainy | too_small)
                       & (_mean_over(pieces, count, self.smooth[box]) < T.BLOTCH_MAX_SMOOTH_SHARE))
        level = (_follows_backdrop(pieces, count, stats, self.clear[box], self.difference[box], unseen,
                                   blotch_like, self.limit, self.floor - top, max_drift_share)
                 & (grainy if must_show_grain else grainy | too_small))
        area = stats[:, 4]
        above_floor = stats[:, 1] + stats[:, 3] / 2 < self.floor - top
        touches_outside = np.bincount(pieces[self.outside_rim[box]], minlength=count) > 0
        eye_white = (area <= self.eye_white_max_px) & above_floor & ~touches_outside & ~unseen
        hole = level & ~eye_white & (area >= T.BACKDROP_SPECK_PX)
        hole[0] = False   # label 0: everything but the candidates
        level[0] = True
        hole_mask[box], failed_mask[box] = hole[pieces], ~level[pieces]
        return hole_mask, failed_mask

    def _grain_verdict(self, pieces: np.ndarray, count: int, box) -> tuple[np.ndarray, np.ndarray]:
        """Per label: (does it carry the backdrop's grain -- its noise, paper texture --, is it
        too small to tell: no inside to measure it in). Backdrop showing through does; a
        painted patch is smoother. Where the backdrop has no grain to measure, all carry it."""
        if not self.grain_measurable:
            return np.ones(count, bool), np.zeros(count, bool)
        measured, ratio = self._grain_ratio(pieces, count, box)
        return measured & (ratio >= T.HOLE_GRAIN_MIN_RATIO), ~measured

    def smoother_parts(self, mask: np.ndarray) -> np.ndarray:
        """The connected parts of ``mask`` measurably smoother than the backdrop."""
        import cv2

        box = _tight_slices(mask)
        smoother = np.zeros_like(mask)
        if box is None or not self.grain_measurable:
            return smoother
        count, pieces = cv2.connectedComponents(mask[box].astype(np.uint8), connectivity=4)
        measured, ratio = self._grain_ratio(pieces, count, box)
        keep = measured & (ratio < T.HOLE_GRAIN_MIN_RATIO)
        keep[0] = False
        smoother[box] = keep[pieces]
        return smoother

    @property
    def grain_measurable(self) -> bool:
        return _grain_measurable(self.backdrop_grain)

    def _grain_ratio(self, pieces: np.ndarray, count: int, box) -> tuple[np.ndarray, np.ndarray]:
        """Per label of ``pieces`` (labels of the ``box`` window): (is there an inside to
        measure it in, the rms grain there over the backdrop's)."""
        import cv2

        # each piece's inside: the pixels whose 5x5 neighbourhood is all that piece
        labels, kernel = pieces.astype(np.float32), np.ones((5, 5), np.uint8)
        interior = ((cv2.erode(labels, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0) == labels)
                    & (cv2.dilate(labels, kernel) == labels))
        inside = np.where(interior, pieces, 0)
        measured = np.bincount(inside.ravel(), minlength=count) >= T.HOLE_GRAIN_MIN_PX
        ratio = np.sqrt(_mean_over(inside, count, self.grain[box] ** 2)) / self.backdrop_grain
        return measured, ratio


def _grain(image: np.ndarray) -> np.ndarray:
    """Each pixel's grey level minus its 3x3 mean: the image's fine grain."""
    grey = image.mean(axis=2)
    return grey - _box_mean(grey)


def _smooth_area(grain: np.ndarray, backdrop: np.ndarray) -> np.ndarray:
    """Areas at least SMOOTH_AREA_MIN_WIDTH_PX wide whose grain is under HOLE_GRAIN_MIN_RATIO
    of what the ``backdrop`` pixels show (a painted shirt on a noisy or textured backdrop);
    none where the backdrop's grain is too faint to tell. A local median of the grain's size,
    so the subject's own edges (a few pixels of large grain) do not count as grain."""
    import cv2

    if not _grain_measurable(_rms_inside(grain, backdrop)):
        return np.zeros(grain.shape, bool)
    steps = 40.0   # medianBlur takes 8-bit values: the grain's size in 1/40 grey levels, up to 6.4
    size = np.clip(np.abs(grain) * steps, 0, 255).astype(np.uint8)
    local = cv2.medianBlur(size, T.GRAIN_MEDIAN_WINDOW_PX).astype(np.float32) / steps
    typical = float(np.median(local[_eroded(backdrop, 2)]))
    return _opened(local < T.HOLE_GRAIN_MIN_RATIO * typical, T.SMOOTH_AREA_MIN_WIDTH_PX)


def _grain_measurable(backdrop_grain: float | None) -> bool:
    """Has the backdrop grain enough to compare pieces with (a clean digital white has none)?"""
    return backdrop_grain is not None and backdrop_grain >= T.HOLE_GRAIN_MIN


def _rms_inside(values: np.ndarray, region: np.ndarray) -> float | None:
    """Root mean square of ``values`` over ``region`` shrunk by 2 px (off its edges and the
    image's); None where fewer than HOLE_GRAIN_MIN_PX pixels remain."""
    inner = _eroded(region, 2)
    if inner.sum() < T.HOLE_GRAIN_MIN_PX:
        return None
    return float(np.sqrt(np.mean(values[inner] ** 2)))


def _tight_slices(mask: np.ndarray) -> tuple[slice, slice] | None:
    """The bounding box of ``mask``'s pixels as slices; None when it has none."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not rows.size:
        return None
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def _soft_bounded(candidate: np.ndarray, outside: np.ndarray, difference: np.ndarray, limit: float) -> np.ndarray:
    """The parts of candidate pieces that a soft edge bounds, in pieces whose boundary is not
    all hard edge. Backdrop showing through is bounded by the subject's edge: a few pixels
    out, the colour is the subject's. A shirt patch that matches the backdrop only where its
    shading crosses the backdrop colour fades into the shirt at its sides: a few pixels out
    it is barely off the backdrop. Where such a patch joins a hole (the gap between the
    legs under a pale shirt), each pixel goes with the kind of edge nearest to it."""
    import cv2

    ring = _grown(candidate, T.HOLE_EDGE_RING_PX) & ~_grown(candidate, T.HOLE_EDGE_RING_PX - 2) & ~outside & ~candidate
    hard = ring & (_squared_length(_box_mean(difference)) > (T.HOLE_HARD_EDGE * limit) ** 2)
    soft = ring & ~hard
    if not soft.any():
        return np.zeros_like(candidate)
    count, pieces = cv2.connectedComponents(candidate.astype(np.uint8), connectivity=4)
    owner = cv2.dilate(pieces.astype(np.float32), np.ones((2 * T.HOLE_EDGE_RING_PX + 1,) * 2, np.uint8)).astype(np.int64)
    hard_share = (np.bincount(owner[hard], minlength=count)
                  / np.maximum(np.bincount(owner[ring], minlength=count), 1))
    mixed = hard_share < T.HOLE_MIN_HARD_EDGE_SHARE
    to_soft = cv2.distanceTransform((~soft).astype(np.uint8), cv2.DIST_L2, 3)
    to_hard = cv2.distanceTransform((~hard).astype(np.uint8), cv2.DIST_L2, 3)
    return candidate & mixed[pieces] & (to_soft < to_hard)


def _follows_backdrop(labels: np.ndarray, count: int, stats: np.ndarray, clear: np.ndarray,
                      difference: np.ndarray, unseen: np.ndarray, blotch_like: np.ndarray, limit: float,
                      floor: int, max_drift_share: float | None = None) -> np.ndarray:
    """Per label: does it follow the backdrop as backdrop showing through does -- no mean
    offset from it, no drift across it? Only its clear pixels count (floor shade has its own
    test); ``blotch_like`` ones (unseen by u2netp, with the backdrop's grain), less closely
    (paper blotches the smooth model misses inside a figure); down by the floor a shadow may
    fade across it; floor shade alone is a shadow only where ``unseen``.
    ``max_drift_share`` (of the tolerance) tightens the drift allowed everywhere."""
    clear_labels = np.where(clear, labels, 0)
    offset = _mean_over(clear_labels, count, difference)
    drift = _drift(clear_labels, count, difference.mean(axis=2))
    max_offset = np.where(blotch_like, T.UNSEEN_HOLE_MAX_OFFSET, T.HOLE_MAX_OFFSET) * limit
    max_drift = np.where(blotch_like, T.UNSEEN_HOLE_MAX_DRIFT, T.HOLE_MAX_DRIFT) * limit
    max_drift[stats[:, 1] + stats[:, 3] > floor] = T.FLOOR_HOLE_MAX_DRIFT * limit
    if max_drift_share is not None:
        max_drift = np.minimum(max_drift, max_drift_share * limit)
    level = (_squared_length(offset) < max_offset ** 2) & (drift < max_drift)
    # Floor shade alone (little clear backdrop) is a shadow only where u2netp sees no
    # subject: grey trousers on a grey floor are shade-coloured too.
    shaded = _mean_over(labels, count, clear) < T.HOLE_CLEAR_SHARE
    return level & (~shaded | unseen)


def _drift(labels: np.ndarray, count: int, values: np.ndarray) -> np.ndarray:
    """Per label, how far a plane fitted to ``values`` over its pixels rises across it: about
    0 for backdrop showing through, the whole tolerance for a shaded surface that only
    passes through the backdrop colour."""
    inside = labels > 0
    label = labels[inside]
    ys, xs = np.nonzero(inside)
    v = values[inside].astype(np.float64)
    area = np.maximum(np.bincount(label, minlength=count), 1)

    def mean(w):
        return np.bincount(label, w, minlength=count) / area

    mx, my, mv = mean(xs), mean(ys), mean(v)
    dx, dy, dv = xs - mx[label], ys - my[label], v - mv[label]
    sxx, sxy, syy = mean(dx * dx) + 0.1, mean(dx * dy), mean(dy * dy) + 0.1
    sxv, syv = mean(dx * dv), mean(dy * dv)
    det = sxx * syy - sxy * sxy
    gx, gy = (syy * sxv - sxy * syv) / det, (sxx * syv - sxy * sxv) / det
    spread = gx * gx * sxx + 2 * gx * gy * sxy + gy * gy * syy  # variance of the fitted plane
    return 2 * np.sqrt(3 * np.maximum(spread, 0))  # the range of a uniform spread of that variance


def _mean_over(labels: np.ndarray, count: int, values: np.ndarray) -> np.ndarray:
    """Mean of ``values`` (HxW, or HxWxC: per channel) over each label but 0 (left 0):
    the labelled pixels are few, so only they are gathered."""
    inside = labels > 0
    label = labels[inside]
    area = np.maximum(np.bincount(label, minlength=count), 1)
    gathered = values[inside].astype(np.float64)
    if gathered.ndim == 1:
        return np.bincount(label, gathered, minlength=count) / area
    return np.stack([np.bincount(label, column, minlength=count) for column in gathered.T], axis=1) / area[:, None]


def _seeds(view: View, saliency: np.ndarray) -> np.ndarray:
    """Pixels known to belong to this view's subject: the split's figure mask (grown by a
    little, so strands that split as specks stay), or for a photo the salient pixels."""
    if view.mask is None:
        return saliency > T.SALIENT
    return _grown(view.mask, max(2, round(T.DETACHED_STRAND_SHARE * max(view.mask.shape))))


def _grown(mask: np.ndarray, reach: int) -> np.ndarray:
    """``mask`` grown by ``reach`` px every way (a square neighbourhood)."""
    import cv2

    return cv2.dilate(mask.astype(np.uint8), np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)) > 0


def _grown_within(mask: np.ndarray, region: np.ndarray, reach: int) -> np.ndarray:
    """``mask`` grown by up to ``reach`` px (one square step at a time) into ``region``."""
    for _ in range(reach):
        mask = mask | (_grown(mask, 1) & region)
    return mask


def _eroded(mask: np.ndarray, reach: int) -> np.ndarray:
    """``mask`` shrunk by ``reach`` px every way; the image's edge counts as outside it."""
    import cv2

    kernel = np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)
    return cv2.erode(mask.astype(np.uint8), kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0


def _connected_to(region: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """The connected parts of ``region`` that touch ``seeds``."""
    import cv2

    count, labels = cv2.connectedComponents(region.astype(np.uint8), connectivity=8)
    touched = np.zeros(count, bool)
    touched[np.unique(labels[seeds & region])] = True
    touched[0] = False
    return touched[labels]


def _edge_alpha(image: np.ndarray, backdrop: np.ndarray, subject: np.ndarray) -> np.ndarray:
    """Solid 1 inside the subject, 0 outside, and in the band along its outline the coverage
    from I = a*F + (1-a)*B: a = (I-B).(F-B) / |F-B|^2, F spread from the solid interior."""
    import cv2

    width = max(T.EDGE_BAND_MIN_PX, round(T.EDGE_BAND_SHARE * max(subject.shape)))
    kernel = np.ones((2 * width + 1, 2 * width + 1), np.uint8)
    mask = subject.astype(np.uint8)
    solid = cv2.erode(mask, kernel) > 0
    band = (cv2.dilate(mask, kernel) > 0) & ~solid
    alpha = solid.astype(np.float32)
    if not band.any():
        return alpha
    ys, xs = np.nonzero(band)
    behind = backdrop[ys, xs]
    contrast = _spread_inwards(image, solid, (ys, xs)) - behind
    contrast_sq = _squared_length(contrast)
    observed = image[ys, xs] - behind
    projected = np.clip(np.einsum("nc,nc->n", observed, contrast) / np.maximum(contrast_sq, 1e-6), 0.0, 1.0)
    # The projection is kept where it explains the pixel as such a mix; where the subject
    # barely differs from the backdrop (noise) or the pixel is another colour than the one
    # spread to it (a button by the edge), the classification stands.
    unexplained_sq = _squared_length(observed - projected[:, None] * contrast)
    reliable = (contrast_sq >= T.EDGE_MIN_CONTRAST ** 2) & (unexplained_sq <= T.EDGE_MAX_UNEXPLAINED ** 2)
    alpha[ys, xs] = np.where(reliable, projected, subject[ys, xs])
    return alpha


def _spread_inwards(image: np.ndarray, source: np.ndarray, where: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """The colour of the ``source`` pixels nearest to each pixel at ``where`` (N x 3):
    normalised Gaussian averages at growing scales, the finest that reaches a pixel winning."""
    ys, xs = where
    if not source.any():
        return np.broadcast_to(np.median(image.reshape(-1, 3), axis=0), (len(ys), 3)).astype(np.float32)
    result = np.empty((len(ys), 3), np.float32)
    missing = np.arange(len(ys))
    for sigma in T.FOREGROUND_SPREAD_SIGMAS_PX:
        # Only the pixels still missing need the average, so it is taken in their bounding
        # box grown by the Gaussian's reach (OpenCV's float kernel: 4 sigma): the same values.
        reach_px = int(np.ceil(4 * sigma)) + 1
        top, left = max(0, ys[missing].min() - reach_px), max(0, xs[missing].min() - reach_px)
        window = (slice(top, ys[missing].max() + reach_px + 1), slice(left, xs[missing].max() + reach_px + 1))
        spread, total = _normalised_blur(image[window], source[window], sigma)
        my, mx = ys[missing] - top, xs[missing] - left
        reached = total[my, mx] > 1e-3
        result[missing[reached]] = spread[my[reached], mx[reached]]
        missing = missing[~reached]
        if not missing.size:
            return result
    result[missing] = image[source].mean(axis=0)
    return result


def scene_matte(rgb: np.ndarray, saliency: np.ndarray) -> np.ndarray:
    """The matte of a subject in a scene: the saliency matte, less what a colour model of the
    scene claims (``_subject_by_colour``), its cut snapped to the image's edges likewise."""
    matte = saliency_matte(rgb, saliency)
    subject = _subject_by_colour(rgb, saliency, matte)
    if subject is None:
        return matte
    # Only what the subject encloses opens, or nearly: a piece of the cut whose rim lies along
    # the outline is more likely the subject's (hair before foliage, a face before a wall of
    # its colour); a hole u2netp's rim leaks into touches it only through a narrow gap.
    inside = matte >= T.SALIENT
    opened = _mostly_enclosed(inside & (subject < T.SALIENT), _grown(_reached_from_edge(~inside), 1))
    if not opened.any():
        return matte   # the usual portrait: no second full-size guided filter for nothing
    return np.where(_grown(opened, 1), np.minimum(matte, saliency_matte(rgb, subject)), matte)


def _mostly_enclosed(pieces_mask: np.ndarray, outside: np.ndarray) -> np.ndarray:
    """The connected parts of ``pieces_mask`` under SCENE_OPEN_MAX_OUTLINE_SHARE of whose rim
    lies in ``outside``."""
    import cv2

    count, pieces = cv2.connectedComponents(pieces_mask.astype(np.uint8), connectivity=8)
    rim = np.bincount(pieces[pieces_mask & ~_eroded(pieces_mask, 1)], minlength=count)
    on_outline = np.bincount(pieces[pieces_mask & outside], minlength=count)
    enclosed = on_outline < T.SCENE_OPEN_MAX_OUTLINE_SHARE * np.maximum(rim, 1)
    enclosed[0] = False
    return enclosed[pieces]


def _subject_by_colour(rgb: np.ndarray, saliency: np.ndarray, matte: np.ndarray) -> np.ndarray | None:
    """Where GrabCut keeps the subject (float 0/1 upsampled, HxW), started from the matte:
    sure subject where u2netp is sure, sure scene far from the matte, the rest decided by
    colour models of each side and a cut along the image's edges. Scene showing through a
    hole has the scene's colours; u2netp, which sees shapes, often fills it in. None when
    one side has too few pixels to model."""
    import cv2

    height, width = saliency.shape
    scale = min(1.0, T.SCENE_COLOUR_LONG_SIDE / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small_saliency = cv2.resize(saliency, size, interpolation=cv2.INTER_AREA)
    small_matte = cv2.resize(matte, size, interpolation=cv2.INTER_AREA) >= T.SALIENT
    far = round(T.SCENE_SURE_BACKDROP_SHARE * max(size))
    labels = np.full(small_matte.shape, cv2.GC_PR_BGD, np.uint8)
    labels[small_matte] = cv2.GC_PR_FGD
    labels[_eroded(small_saliency >= T.SCENE_SURE_SALIENCY, 1)] = cv2.GC_FGD
    labels[~_grown(small_matte, far)] = cv2.GC_BGD
    subject_side = np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD))
    if min(int(subject_side.sum()), int((~subject_side).sum())) < T.SCENE_MIN_MODEL_PX:
        return None
    image = cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), size, interpolation=cv2.INTER_AREA)
    cv2.setRNGSeed(0)   # GrabCut seeds its colour models by k-means: the same cut every run
    cv2.grabCut(image, labels, None, np.zeros((1, 65)), np.zeros((1, 65)), T.SCENE_COLOUR_ITERATIONS,
                cv2.GC_INIT_WITH_MASK)
    subject = np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.float32)
    return cv2.resize(subject, (width, height), interpolation=cv2.INTER_LINEAR)


def saliency_matte(rgb: np.ndarray, saliency: np.ndarray) -> np.ndarray:
    """A saliency mask (float32, upsampled from the model's 320 px) snapped to the image's own
    edges with a guided filter: the image explains the mask locally as a linear function of
    its colour, so the soft rim shrinks to where the colour changes.

    Computed in place where it can be (the same float32 operations in the same order, so the
    same matte): on a full-sheet scene each plane is tens of MB, and the plain expressions'
    temporaries made this the peak of a batch worker's memory."""
    import cv2

    radius = max(2, round(T.GUIDED_RADIUS_SHARE * max(rgb.shape[:2])))
    guide = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    guide /= 255.0
    size = (2 * radius + 1, 2 * radius + 1)
    mean_i = cv2.blur(guide, size)
    mean_p = cv2.blur(saliency, size)
    product = guide * saliency
    covariance = cv2.blur(product, size)
    covariance -= np.multiply(mean_i, mean_p, out=product)
    variance = cv2.blur(np.multiply(guide, guide, out=product), size)
    variance -= np.multiply(mean_i, mean_i, out=product)
    variance += T.GUIDED_EPSILON
    a = covariance
    a /= variance
    del variance
    b = mean_p
    b -= np.multiply(a, mean_i, out=product)
    del product, mean_i
    refined = cv2.blur(a, size)
    refined *= guide
    refined += cv2.blur(b, size)
    return np.clip(refined, 0.0, 1.0, out=refined)


def _pad_for_model(rgb: np.ndarray, background: Background) -> np.ndarray:
    """Surround a tight crop with backdrop so the model sees the subject with context."""
    h, w = rgb.shape[:2]
    pad = max(8, int(0.1 * max(h, w)))
    colour = np.array(background.color, np.uint8)
    padded = np.empty((h + 2 * pad, w + 2 * pad, 3), np.uint8)
    padded[:] = colour
    padded[pad:pad + h, pad:pad + w] = rgb
    return padded


def _unpad(mask: np.ndarray, shape) -> np.ndarray:
    h, w = shape[:2]
    pad = (mask.shape[0] - h) // 2
    return mask[pad:pad + h, pad:pad + w]


def _local_backdrop(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Backdrop colour behind the subject, spread inwards from the clear pixels around it
    (normalised convolution): what the edge pixels were mixed with. Computed on a copy at
    most LOCAL_BACKDROP_LONG_SIDE px long, since it is smooth by construction."""
    import cv2

    height, width = rgb.shape[:2]
    scale = min(1.0, LOCAL_BACKDROP_LONG_SIDE / max(height, width))
    small_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    weight = cv2.resize((alpha < T.ALPHA_CLEAR_BELOW).astype(np.float32), small_size, interpolation=cv2.INTER_AREA)
    colours = cv2.resize(rgb.astype(np.float32), small_size, interpolation=cv2.INTER_AREA)
    sigma = max(3.0, 0.02 * max(small_size))
    numerator = cv2.GaussianBlur(colours * weight[:, :, None], (0, 0), sigma)
    denominator = cv2.GaussianBlur(weight, (0, 0), sigma)[:, :, None]
    clear = weight > 0.5
    fallback = np.median(colours[clear], axis=0) if clear.any() else np.full(3, 255.0)
    small = np.where(denominator > 1e-3, numerator / np.maximum(denominator, 1e-3), fallback).astype(np.float32)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def decontaminate(rgb: np.ndarray, alpha: np.ndarray, backdrop: np.ndarray) -> np.ndarray:
    """Subject colour F from I = a*F + (1-a)*B, clipped to the valid range."""
    a = np.maximum(alpha, 1e-3)[..., None]
    foreground = (rgb.astype(np.float32) - (1.0 - a) * backdrop) / a
    return np.clip(foreground, 0, 255)


def snap_matte(alpha: np.ndarray) -> np.ndarray:
    """Matte values near 0 and 1 snapped, so the background comes out exactly flat."""
    snapped = np.where(alpha < T.ALPHA_CLEAR_BELOW, 0.0, np.where(alpha > T.ALPHA_SOLID_ABOVE, 1.0, alpha))
    return snapped.astype(np.float32)


def composite_view(view: View, alpha: np.ndarray, backdrop: np.ndarray,
                   target: tuple[int, int, int] | None) -> np.ndarray:
    """Place the subject on the view's canvas over ``target`` (None = transparent):
    RGB uint8, or RGBA for a transparent target.

    Only the matte's edge (0 < alpha < 1) mixes subject and old backdrop, so only there is
    the colour decontaminated and blended; solid pixels are the source's own (F = I where
    alpha = 1) and clear ones the target. The work grows with the outline, not the image."""
    canvas_w, canvas_h, px, py = view.canvas
    h, w = alpha.shape
    edge = (alpha > 0) & (alpha < 1)
    solid = alpha >= 1
    foreground = decontaminate(view.image[edge], alpha[edge], backdrop[edge])
    if target is None:
        rgba = np.zeros((canvas_h, canvas_w, 4), np.uint8)
        crop = rgba[py:py + h, px:px + w]
        np.copyto(crop[:, :, :3], view.image, where=solid[:, :, None])
        crop[edge, :3] = np.round(foreground).astype(np.uint8)
        crop[:, :, 3] = np.round(alpha * 255).astype(np.uint8)
        return rgba
    colour = np.array(target, np.float32)
    out = np.empty((canvas_h, canvas_w, 3), np.uint8)
    out[:] = target
    crop = out[py:py + h, px:px + w]
    np.copyto(crop, view.image, where=solid[:, :, None])
    a = alpha[edge][:, None]
    crop[edge] = np.round(a * foreground + (1.0 - a) * colour).clip(0, 255).astype(np.uint8)
    return out


def matte_views(views: list[View], source_alphas: list, session, progress=None) -> list[View]:
    """Give every view its subject matte (``alpha``); ``source_alphas`` per source."""
    result = []
    for view in views:
        alpha = estimate_matte(view, session, source_alphas[view.source_index])
        result.append(replace(view, alpha=snap_matte(alpha)))
        if progress:
            progress()
    return result


def composite_views(views: list[View], target: tuple[int, int, int] | None = (255, 255, 255)) -> list[View]:
    """Put every matted view on its canvas over ``target`` (None = transparent)."""
    return [
        replace(view, cleaned=composite_view(view, view.alpha, view_backdrop(view), target))
        for view in views
    ]


def view_backdrop(view: View) -> np.ndarray:
    """The old backdrop behind a matted view (float32 HxWx3 over ``view.image``): the fitted
    backdrop corrected by what its clear pixels show nearby (paper texture, a floor
    shadow), else estimated from the clear pixels around the subject."""
    if view.backdrop.is_plain and view.backdrop.kind != "transparent":
        model = view.backdrop.render(view.bbox, view.image.shape[:2])
        return _spread_backdrop(view.image.astype(np.float32), model, view.alpha < T.ALPHA_CLEAR_BELOW)
    return _local_backdrop(view.image, view.alpha)


def announce_download(model: str) -> None:
    """Say before a non-bundled model is fetched (the spec requires it)."""
    if needs_download(model):
        print(f"refprep: model {model} is not bundled; rembg will download it now "
              f"into {rembg_cache_dir()} (one time)", file=sys.stderr)
