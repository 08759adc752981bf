"""Property-based tests (hypothesis) of the loader and the splitter on random sizes, modes,
formats, noise and damage: the loader returns an RGB uint8 image or raises refprep's InputError,
nothing else; the splitter never raises anything but InputError, and every box it returns lies
inside the image. Example counts are modest so the suite stays fast; the seeds hypothesis finds
are replayed from its database on the next run."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image

from refprep.data import Source
from refprep.errors import InputError
from refprep.stages.load import load_image
from refprep.stages.split import split_source

MODES = ["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "YCbCr", "I;16", "I", "F", "LAB", "HSV"]
FORMATS = ["PNG", "JPEG", "WEBP", "TIFF", "BMP", "GIF"]
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def random_image(mode: str, width: int, height: int, seed: int, style: str) -> Image.Image:
    rng = np.random.default_rng(seed)
    rgba = np.empty((height, width, 4), np.uint8)
    if style == "noise":
        rgba[:] = rng.integers(0, 256, rgba.shape, dtype=np.uint8)
    elif style == "flat":
        rgba[:] = rng.integers(0, 256, 4, dtype=np.uint8)
    else:  # blobs on a backdrop, with a little noise
        rgba[:] = [*rng.integers(150, 256, 3), 255]
        for _ in range(int(rng.integers(1, 6))):
            x, y = rng.integers(0, width), rng.integers(0, height)
            w, h = rng.integers(1, max(2, width // 2)), rng.integers(1, max(2, height // 2))
            rgba[y:y + h, x:x + w] = [*rng.integers(0, 120, 3), 255]
        rgba[..., :3] = np.clip(rgba[..., :3].astype(int) + rng.integers(-3, 4, (height, width, 1)), 0, 255)
        if rng.random() < 0.5:
            rgba[..., 3] = np.where(rgba[..., 0] > 140, 0, 255)
    image = Image.fromarray(rgba, "RGBA")
    if mode in ("I;16", "I", "F"):
        grey = np.asarray(image.convert("L")).astype(np.float64)
        scale = {"I;16": 257, "I": 100_000, "F": 1 / 255}[mode]
        dtype = {"I;16": np.uint16, "I": np.int32, "F": np.float32}[mode]
        values = (grey * scale).astype(dtype)
        return Image.fromarray(values, mode) if mode == "I;16" else Image.fromarray(values)
    if mode == "P":
        return image.convert("RGB").quantize(int(rng.integers(2, 256)))
    return image.convert(mode)


def encoded(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        image.save(buffer, fmt)
    return buffer.getvalue()


image_specs = st.tuples(st.sampled_from(MODES), st.sampled_from(FORMATS), st.integers(1, 96), st.integers(1, 96),
                        st.integers(0, 2**31), st.sampled_from(["noise", "flat", "blobs"]))


def saved(tmp_path, spec) -> bytes:
    mode, fmt, width, height, seed, style = spec
    try:
        data = encoded(random_image(mode, width, height, seed, style), fmt)
    except (OSError, ValueError, KeyError, TypeError):
        assume(False)  # Pillow cannot write this mode in this format: not a file anyone has
    return data


@SETTINGS
@given(spec=image_specs)
def test_any_image_pillow_can_write_loads_as_rgb(tmp_path_factory, spec):
    path = tmp_path_factory.mktemp("prop") / f"image.{spec[1].lower()}"
    path.write_bytes(saved(tmp_path_factory, spec))
    try:
        source = load_image(path)
    except InputError as exc:
        # Only for what refprep does not take, said as such.
        assert "unsupported" in exc.reason, exc.reason
        return
    mode, fmt, width, height, *_ = spec
    assert source.rgb.dtype == np.uint8 and source.rgb.shape == (height, width, 3)
    assert source.rgb.flags["C_CONTIGUOUS"]
    assert source.alpha is None or (source.alpha.shape == (height, width) and source.alpha.dtype == np.uint8)


@SETTINGS
@given(spec=image_specs, cut=st.floats(0, 1), flips=st.lists(st.tuples(st.floats(0, 1), st.integers(1, 255)),
                                                             max_size=6),
       garbage=st.binary(max_size=64))
def test_damaged_files_load_or_raise_input_error(tmp_path_factory, spec, cut, flips, garbage):
    data = bytearray(saved(tmp_path_factory, spec))
    for where, mask in flips:
        data[int(where * (len(data) - 1))] ^= mask
    data = bytes(data[:int(len(data) * cut)]) + garbage
    path = tmp_path_factory.mktemp("prop") / "damaged.png"
    path.write_bytes(data)
    try:
        source = load_image(path)
    except InputError as exc:
        assert exc.path == str(path) and "\n" not in str(exc)
        return
    assert source.rgb.dtype == np.uint8 and source.rgb.ndim == 3 and source.rgb.shape[2] == 3


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=512))
def test_random_bytes_load_or_raise_input_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("prop") / "random.png"
    path.write_bytes(data)
    try:
        load_image(path)
    except InputError:
        pass


def _source(rgb: np.ndarray, alpha: np.ndarray | None) -> Source:
    from pathlib import Path

    return Source(path=Path("random.png"), rgb=np.ascontiguousarray(rgb), alpha=alpha, sha256="0" * 64,
                  file_format="PNG", original_mode="RGBA" if alpha is not None else "RGB")


def _inside(box, width: int, height: int) -> bool:
    x, y, w, h = (int(v) for v in box)
    return 0 <= x and 0 <= y and w >= 1 and h >= 1 and x + w <= width and y + h <= height


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(width=st.integers(1, 320), height=st.integers(1, 320), seed=st.integers(0, 2**31),
       style=st.sampled_from(["noise", "flat", "blobs", "figures"]), noise=st.integers(0, 40),
       alpha=st.sampled_from(["none", "binary", "random", "clear", "opaque"]))
def test_split_never_fails_and_keeps_boxes_inside(width, height, seed, style, noise, alpha):
    rng = np.random.default_rng(seed)
    if style == "figures":
        rgb = np.full((height, width, 3), rng.integers(180, 256), np.uint8)
        for _ in range(int(rng.integers(1, 12))):
            x, y = rng.integers(0, width), rng.integers(0, height)
            w, h = rng.integers(1, max(2, width // 3)), rng.integers(1, max(2, height))
            rgb[y:y + h, x:x + w] = rng.integers(0, 150, 3)
    else:
        rgb = np.asarray(random_image("RGB", width, height, seed, "blobs" if style == "blobs" else style))
    if noise:
        rgb = np.clip(rgb.astype(int) + rng.integers(-noise, noise + 1, rgb.shape), 0, 255).astype(np.uint8)
    mask = {"none": None,
            "binary": np.where(rng.random((height, width)) < 0.5, 0, 255).astype(np.uint8),
            "random": rng.integers(0, 256, (height, width), dtype=np.uint8),
            "clear": np.zeros((height, width), np.uint8),
            "opaque": None}[alpha]
    if alpha == "binary" and style == "figures":
        mask = np.where((rgb < 160).any(axis=2), 255, 0).astype(np.uint8)
    source = _source(rgb, mask)
    try:
        result = split_source(source)
    except InputError:
        return
    assert result.views, "a split always gives at least one view"
    for view in result.views:
        assert _inside(view.bbox, width, height), (view.bbox, width, height)
        assert view.image.shape[:2] == (view.bbox[3], view.bbox[2])
    for note in result.annotations:
        assert _inside(note["bbox"], width, height), (note, width, height)


@pytest.mark.parametrize("shape", [(1, 1), (1, 500), (500, 1), (2, 2), (6, 6), (3, 4000)])
def test_split_of_degenerate_sizes(shape):
    height, width = shape
    for value in (0, 128, 255):
        result = split_source(_source(np.full((height, width, 3), value, np.uint8), None))
        assert all(_inside(v.bbox, width, height) for v in result.views)
