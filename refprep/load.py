"""Load stage: any sane image file -> a ``Source`` holding RGB uint8 and an optional alpha.

Pillow decodes; this module makes every mode look the same to the rest of the pipeline,
the way Pillow's own ``ImageOps``/``convert`` would, but careful about the modes where a
plain ``convert("RGB")`` loses information (16-bit grey, CMYK, palette transparency).
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .data import Source
from .errors import InputError
from .thresholds import MAX_IMAGE_PIXELS

SUPPORTED_FORMATS = {"PNG", "JPEG", "MPO", "WEBP", "TIFF", "BMP", "GIF"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp", ".gif"}


def load_image(path: str | Path) -> Source:
    """Read one image file; raise InputError (exit 2) with the reason when it can't be used."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file")
    if path.is_dir():
        raise InputError(path, "is a folder, not an image")
    data = _read_bytes(path)
    if not data:
        raise InputError(path, "empty file (0 bytes)")

    # Pillow's bomb guard only warns at its limit (and raises at twice it); turning the
    # warning into an error makes the limit a hard stop, checked before any pixel is decoded.
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
        with image:
            file_format = image.format or "unknown"
            if file_format not in SUPPORTED_FORMATS:
                raise InputError(path, f"unsupported image format {file_format}")
            image.seek(0)  # first frame of an animated GIF/WebP/TIFF
            image.load()
            original_mode = image.mode
            image = ImageOps.exif_transpose(image)
            rgb, alpha = _normalise(image)
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(path, f"image too large (over {MAX_IMAGE_PIXELS:,} pixels; possible decompression bomb)") from None
    except UnidentifiedImageError:
        raise InputError(path, "not an image Pillow can read (wrong extension or damaged file)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(path, f"damaged or truncated image ({_short(exc)})") from None

    return Source(
        path=path,
        rgb=rgb,
        alpha=alpha,
        sha256=hashlib.sha256(data).hexdigest(),
        file_format=file_format,
        original_mode=original_mode,
    )


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read file ({exc.strerror or exc})") from None


def _normalise(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """Return (RGB uint8 HxWx3, alpha uint8 HxW or None) for any Pillow mode."""
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        # Scale the real range to 8 bits: a plain convert("L") clips 16-bit data to white.
        values = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if mode.startswith("I;16") or values.max() > 255 else 255.0
        grey = np.clip(values / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2), None
    if mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    elif mode == "P":
        image = image.convert("RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = np.asarray(image.convert("RGBA"))
        alpha = rgba[:, :, 3].copy()
        # An alpha channel that is opaque everywhere carries no background information.
        return np.ascontiguousarray(rgba[:, :, :3]), (None if alpha.min() == 255 else alpha)
    # CMYK, YCbCr, L, 1 ...: Pillow's conversion is right (its JPEG decoder already
    # undoes Adobe's inverted CMYK).
    return np.ascontiguousarray(np.asarray(image.convert("RGB"))), None


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


def find_images(folder: Path) -> list[Path]:
    """Image files directly inside a folder, sorted by name (hidden files skipped)."""
    return sorted(
        p for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
    )
