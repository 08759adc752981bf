"""Clean stage: each view -> the subject alone on an exactly flat background.

The matte comes from the best evidence at hand:
- a transparent source already carries it (its alpha channel);
- a figure on a plain backdrop: the colour distance to the fitted backdrop (exact where
  the figure differs from the paper), plus the u2netp saliency mask inside the figure's
  silhouette (keeps pale clothing that is close to the paper colour);
- a photo: the u2netp saliency mask.
Edge colours are then decontaminated: with the backdrop colour B known (or estimated
around the subject), the observed colour I = a*F + (1-a)*B gives the true subject colour
F = (I - (1-a)*B) / a, so no grey halo survives on white.

Segmentation models are sessions in the style of rembg's: one object per model, created
once and reused for every view. The bundled u2netp runs on onnxruntime directly with
rembg's exact pre- and post-processing (tests compare the two); importing rembg itself
costs seconds (and a first-run numba compile) that the default path does not need.
"""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np

from . import thresholds as T
from .data import Background, View
from .errors import ModelError
from .models import DOWNLOADABLE_REMBG_MODELS, bundled_model_path, rembg_cache_dir

# The backdrop behind a photo's subject is estimated at this resolution (long side, px).
LOCAL_BACKDROP_LONG_SIDE = 512

BACKGROUND_COLOURS = {"white": (255, 255, 255), "green": (0, 177, 64)}


def parse_background(value: str) -> tuple[int, int, int] | None:
    """'white', 'green', '#RRGGBB' -> RGB; 'transparent' -> None. ValueError otherwise."""
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
    raise ValueError(f"unknown background {value!r}: use white, green, transparent or #RRGGBB")


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
            self.session = ort.InferenceSession(str(path), sess_options=session_options(threads),
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
            self.session = rembg.new_session(name, sess_opts=session_options(threads),
                                             providers=execution_providers(device))
        except Exception as exc:  # network or checksum failure inside rembg/pooch
            raise ModelError(f"could not load model {name} ({exc})") from None

    def predict_mask(self, rgb: np.ndarray) -> np.ndarray:
        from PIL import Image

        mask = self.session.predict(Image.fromarray(rgb))[0]
        return np.asarray(mask.convert("L"), dtype=np.float32) / 255.0


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


def session_options(threads: int | None):
    """ONNX Runtime options: at most ``threads`` threads (None: its default, one per core),
    so parallel workers do not oversubscribe the CPU; idle threads sleep rather than spin
    (spinning burnt a fifth more CPU for no gain on a busy 2-core machine)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return options


DEVICES = ("cpu", "cuda")


def check_device(device: str) -> None:
    """ValueError (exit 2, one line) unless ``device`` can run the segmentation model here."""
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}: use cpu or cuda")
    if device == "cuda":
        import onnxruntime as ort

        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise ValueError("--device cuda: this onnxruntime has no CUDA support "
                             "(install onnxruntime-gpu and the CUDA runtime), or use --device cpu")


def execution_providers(device: str) -> list[str]:
    """ONNX Runtime providers for ``device``; CUDA falls back to the CPU for any node it lacks."""
    check_device(device)
    return ["CUDAExecutionProvider", "CPUExecutionProvider"] if device == "cuda" else ["CPUExecutionProvider"]


# --- mattes -------------------------------------------------------------------------------

def _colour_key_alpha(view: View, background: Background) -> np.ndarray:
    """Soft matte from the distance to the known backdrop colour (0..1)."""
    expected = background.render(view.bbox)
    distance = np.linalg.norm(view.image.astype(np.float32) - expected, axis=2)
    low = max(T.FOREGROUND_MIN_DISTANCE, T.BACKGROUND_NOISE_FACTOR * background.noise) * 0.5
    return np.clip((distance - low) / (T.CERTAIN_SUBJECT_DISTANCE - low), 0.0, 1.0)


def _figure_region(mask: np.ndarray) -> np.ndarray:
    """The view's own pixels, grown a little so anti-aliased edges are inside."""
    import cv2

    grown = cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8))
    return grown > 0


def estimate_matte(view: View, session, source_alpha: np.ndarray | None) -> np.ndarray:
    """Alpha (float32 0..1, HxW of ``view.image``) of the subject in one view."""
    background = view.backdrop
    x, y, w, h = view.bbox
    if background.kind == "transparent" and source_alpha is not None:
        alpha = source_alpha[y:y + h, x:x + w].astype(np.float32) / 255.0
        if view.mask is not None:
            alpha *= _figure_region(view.mask)
        return alpha
    if view.kind == "figure" and background.is_plain and view.mask is not None:
        key = _colour_key_alpha(view, background)
        saliency = _unpad(session.predict_mask(_pad_for_model(view.image, background)), view.image.shape)
        alpha = np.maximum(key, np.where(_small_holes(view.mask), saliency, 0.0))
        return (alpha * _figure_region(view.mask)).astype(np.float32)
    return session.predict_mask(view.image)


def _small_holes(mask: np.ndarray) -> np.ndarray:
    """Backdrop-coloured pixels enclosed by the figure that are too small to be a gap
    between limbs: eye whites, a white collar, a highlight. There the saliency model
    decides; large enclosed holes stay backdrop."""
    import cv2

    # The 4-connected pieces of backdrop that do not reach the crop's border are the holes
    # (what scipy's binary_fill_holes fills; OpenCV spares importing scipy).
    count, labels, stats, _ = cv2.connectedComponentsWithStats((~mask).astype(np.uint8), connectivity=4)
    limit = T.ENCLOSED_HOLE_KEEP_SHARE * max(int(mask.sum()), 1)
    small = stats[:, cv2.CC_STAT_AREA] <= limit
    small[0] = False  # label 0: the figure itself
    small[np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])] = False
    return small[labels]


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
    sheet backdrop where there is one, else estimated from the clear pixels around the subject."""
    if view.kind == "figure" and view.backdrop.kind not in ("transparent", "cluttered"):
        return view.backdrop.render(view.bbox)
    return _local_backdrop(view.image, view.alpha)


def announce_download(model: str) -> None:
    """Say before a non-bundled model is fetched (the spec requires it)."""
    if needs_download(model):
        print(f"refprep: model {model} is not bundled; rembg will download it now "
              f"into {rembg_cache_dir()} (one time)", file=sys.stderr)
