"""Load stage: any sane image file -> a ``Source`` holding RGB uint8 and an optional alpha.

Pillow decodes; this module makes every mode look the same to the rest of the pipeline,
the way Pillow's own ``ImageOps``/``convert`` would, but careful about the modes where a
plain ``convert("RGB")`` loses information (16-bit grey, CMYK, palette transparency).
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import stat
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..data import Source
from ..errors import InputError
from ..thresholds import MAX_FILE_BYTES, MAX_IMAGE_PIXELS

SUPPORTED_FORMATS = {"PNG", "JPEG", "MPO", "WEBP", "TIFF", "BMP", "GIF"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp", ".gif"}
# Pillow's plugins for these formats only are asked to read a file (every other plugin's parser
# stays out of reach of a hostile file); the rest are asked only to name an unsupported format.
_OPEN_FORMATS = tuple(sorted(SUPPORTED_FORMATS - {"MPO"}))  # MPO is read by the JPEG plugin
_HIGH_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")


def load_image(path: str | Path) -> Source:
    """Read one image file; raise InputError (exit 2) with the reason when it can't be used.

    Nothing but InputError comes out of here for a bad file: a FIFO or device is refused without
    reading it (that would block or never end), the pixel limit is checked from the header before
    any pixel is decoded, and whatever else Pillow raises on a damaged file is reported as damage.
    """
    path = Path(path)
    data = _read_file(path)
    # Pillow's bomb guard only warns at its limit (and raises at twice it); turning the
    # warning into an error makes the limit a hard stop, checked before any pixel is decoded.
    # Its other warnings (corrupt EXIF, odd palettes) are not the user's business: one line
    # on stderr is the contract.
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                image = Image.open(io.BytesIO(data), formats=_OPEN_FORMATS)
            except UnidentifiedImageError:
                raise InputError(path, _unidentified(data)) from None
            with image:
                file_format = image.format or "unknown"
                if file_format not in SUPPORTED_FORMATS:
                    raise InputError(path, f"unsupported image format {file_format}")
                if image.width < 1 or image.height < 1:
                    raise InputError(path, f"damaged image (it claims {image.width} x {image.height} pixels)")
                image.seek(0)  # first frame of an animated GIF/WebP/PNG, first page of a TIFF
                image.load()
                original_mode = image.mode
                image = _upright(image)
                rgb, alpha = _normalise(image, path)
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(path, f"image too large (over {MAX_IMAGE_PIXELS:,} pixels; possible decompression bomb)") from None
    except MemoryError:
        raise InputError(path, "not enough memory to decode this image") from None
    except Exception as exc:  # noqa: BLE001 -- any decoder failure on a file is the file's damage
        raise InputError(path, f"damaged or truncated image ({_short(exc)})") from None

    return Source(
        path=path,
        rgb=rgb,
        alpha=alpha,
        sha256=hashlib.sha256(data).hexdigest(),
        file_format=file_format,
        original_mode=original_mode,
    )


def is_in_memory(item) -> bool:
    """True for an image held in memory (a PIL image or a numpy array), not a path."""
    return isinstance(item, (Image.Image, np.ndarray))


def source_from_image(image, name: str) -> Source:
    """An in-memory image (a PIL image of any mode, or a uint8 numpy array HxW, HxWx3 or
    HxWx4) as a ``Source`` called ``name``, normalised exactly as a file with those pixels
    would be (``load_image``). Its sha256 is of the decoded pixels (the RGB bytes, then the
    alpha bytes where there is transparency), so the same pixels always hash the same.
    Raises InputError naming ``name`` and the reason for an array or image that cannot be
    used (wrong dtype or shape, empty, too large)."""
    if isinstance(image, np.ndarray):
        image, file_format = _array_image(image, name), "array"
    elif isinstance(image, Image.Image):
        file_format = image.format or "PIL"
    else:
        raise InputError(name, f"not an image: {type(image).__name__} (give a path, a PIL image or a numpy array)")
    if image.width < 1 or image.height < 1:
        raise InputError(name, f"empty image ({image.width} x {image.height} pixels)")
    if image.width * image.height > MAX_IMAGE_PIXELS:
        raise InputError(name, f"image too large ({image.width * image.height:,} pixels; the limit is "
                               f"{MAX_IMAGE_PIXELS:,})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image.load()
            original_mode = image.mode
            rgb, alpha = _normalise(_upright(image), Path(name))
    except InputError:
        raise
    except MemoryError:
        raise InputError(name, "not enough memory for this image") from None
    except Exception as exc:  # noqa: BLE001 -- a lazily opened PIL image may fail to decode
        raise InputError(name, f"damaged image ({_short(exc)})") from None
    digest = hashlib.sha256(rgb.tobytes())
    if alpha is not None:
        digest.update(alpha.tobytes())
    return Source(path=Path(name), rgb=rgb, alpha=alpha, sha256=digest.hexdigest(), file_format=file_format,
                  original_mode=original_mode)


def _array_image(array: np.ndarray, name: str) -> Image.Image:
    """A numpy array as a PIL image: uint8, HxW (grey), HxWx1, HxWx3 (RGB) or HxWx4 (RGBA)."""
    if array.dtype != np.uint8:
        raise InputError(name, f"array dtype {array.dtype} is not supported (use uint8, 0..255)")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InputError(name, f"array shape {tuple(array.shape)} is not an image "
                               "(use HxW grey, HxWx3 RGB or HxWx4 RGBA)")
    if array.size == 0:
        raise InputError(name, f"empty array (shape {tuple(array.shape)})")
    if array.shape[0] * array.shape[1] > MAX_IMAGE_PIXELS:
        raise InputError(name, f"image too large ({array.shape[0] * array.shape[1]:,} pixels; the limit is "
                               f"{MAX_IMAGE_PIXELS:,})")
    return Image.fromarray(np.ascontiguousarray(array))


def _read_file(path: Path) -> bytes:
    """The file's bytes, read once (so the hash is of what was decoded). Only a regular file is
    read, opened without blocking: a FIFO would wait for a writer forever, /dev/zero never ends."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder, not an image") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(path, "no such file (a symbolic link that loops)") from None
        raise InputError(path, f"cannot read file ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(path, "is a folder, not an image")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(path, "not a regular file (a pipe, device or socket), not an image")
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as handle:
        if info.st_size == 0:
            raise InputError(path, "empty file (0 bytes)")
        if info.st_size > MAX_FILE_BYTES:
            raise InputError(path, f"file too large ({info.st_size / 2**20:,.0f} MB; the limit is "
                                   f"{MAX_FILE_BYTES / 2**20:,.0f} MB)")
        try:
            data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise InputError(path, f"cannot read file ({exc.strerror or exc})") from None
    if not data:
        raise InputError(path, "empty file (0 bytes)")
    if len(data) > MAX_FILE_BYTES:  # it grew while being read
        raise InputError(path, f"file too large (over {MAX_FILE_BYTES / 2**20:,.0f} MB)")
    return data


def _unidentified(data: bytes) -> str:
    """Why Pillow's readers for the supported formats all refused a file: it starts like one of
    them (damaged), it is another format Pillow knows (named), or it is not an image at all."""
    for magic, name in _MAGIC:
        if data.startswith(magic) and (name != "WebP" or data[8:12] == b"WEBP"):
            return f"damaged or truncated {name} file (it starts like one but cannot be read)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as other:
                return f"unsupported image format {other.format} (use PNG, JPEG, WebP, TIFF, BMP or GIF)"
    except Exception:  # noqa: BLE001 -- no reader at all: not an image, or damaged beyond recognition
        return "not an image Pillow can read (wrong extension or damaged file)"


_MAGIC = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8", "JPEG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"),
          (b"RIFF", "WebP"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"BM", "BMP"))


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; a broken EXIF block is ignored, not a reason to refuse the image."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001
        return image


def _normalise(image: Image.Image, path: Path | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Return (RGB uint8 HxWx3, alpha uint8 HxW or None) for any Pillow mode."""
    mode = image.mode
    if mode in _HIGH_BIT_MODES:
        grey = _to_eight_bits(np.asarray(image), mode)
        return np.repeat(grey[:, :, None], 3, axis=2), None
    if mode == "LAB":
        return _lab_to_rgb(image, path), None
    if "transparency" in image.info and mode in ("P", "L", "RGB", "1"):
        # A palette index or a colour key (PNG tRNS) that marks the background as transparent.
        image = image.convert("RGBA")
    elif mode == "P":
        image = image.convert("RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = np.asarray(image.convert("RGBA"))
        alpha = rgba[:, :, 3].copy()
        # An alpha channel that is opaque everywhere carries no background information.
        return np.ascontiguousarray(rgba[:, :, :3]), (None if alpha.min() == 255 else alpha)
    # CMYK, YCbCr, HSV, L, 1 ...: Pillow's conversion is right (its JPEG decoder already
    # undoes Adobe's inverted CMYK).
    return np.ascontiguousarray(np.asarray(image.convert("RGB"))), None


def _to_eight_bits(values: np.ndarray, mode: str) -> np.ndarray:
    """16-bit, 32-bit integer or float grey to 0..255, keeping its real range: a plain
    convert("L") clips 16-bit data to white and float data in 0..1 to black. NaN is black,
    infinities the ends of the range."""
    values = values.astype(np.float32, copy=False)
    finite = np.isfinite(values)
    if not finite.all():
        values = np.where(np.isnan(values), 0.0, values)
    if not finite.any():
        return np.zeros(values.shape, np.uint8)
    low, high = float(values[finite].min()), float(values[finite].max())
    if mode.startswith("I;16"):
        low, peak = 0.0, 65535.0
    elif low >= 0 and high <= 1.0 and mode == "F":
        low, peak = 0.0, 1.0
    elif low >= 0 and high <= 255:
        low, peak = 0.0, 255.0
    elif low >= 0 and high <= 65535:
        low, peak = 0.0, 65535.0
    else:  # another range: stretch it
        peak = high if high > low else low + 1.0
    scaled = (np.clip(values, low, peak) - low) * np.float32(255.0 / (peak - low)) + np.float32(0.5)
    return scaled.astype(np.uint8)


def _lab_to_rgb(image: Image.Image, path: Path | None) -> np.ndarray:
    """CIELAB (a TIFF from a print or scan workflow) to sRGB through LittleCMS."""
    try:
        from PIL import ImageCms

        transform = ImageCms.buildTransform(ImageCms.createProfile("LAB"), ImageCms.createProfile("sRGB"),
                                            "LAB", "RGB")
        return np.ascontiguousarray(np.asarray(ImageCms.applyTransform(image, transform)))
    except Exception:  # noqa: BLE001 -- Pillow built without LittleCMS
        raise InputError(path or "-", "unsupported colour mode LAB (convert it to RGB)") from None


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


def find_images(folder: Path) -> list[Path]:
    """Image files directly inside a folder, sorted by name (hidden files skipped)."""
    return sorted(
        p for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
    )
