"""Load stage: every format and mode becomes RGB uint8 (+ alpha), bad files raise InputError."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from refprep.stages import load
from refprep.errors import InputError
from refprep.stages.load import load_image

from conftest import FIXTURES


@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "formats").iterdir()))
def test_every_format_and_mode_loads_upright_as_rgb(name, ground_truth):
    expected = ground_truth["formats"][name]
    source = load_image(FIXTURES / "formats" / name)
    width, height = expected["upright_size"]
    assert source.rgb.shape == (height, width, 3)
    assert source.rgb.dtype == np.uint8
    assert source.original_mode == expected["mode"]
    # The figure is drawn in the middle: its pixels must differ from the corner backdrop
    # (a mode conversion that blanks the image, like 16-bit grey clipped to white, fails here).
    x, y, w, h = expected["views"][0]["bbox"]
    figure = source.rgb[y:y + h, x:x + w].astype(int)
    corner = source.rgb[2, 2].astype(int)
    assert np.abs(figure - corner).max() > 60


@pytest.mark.parametrize("name", ["figure_rgba.png", "figure_la.png", "figure_p_transparency.png", "figure_rgba.webp"])
def test_transparency_is_kept_as_alpha(name):
    source = load_image(FIXTURES / "formats" / name)
    assert source.alpha is not None
    assert source.alpha[0, 0] == 0 and source.alpha.max() == 255


def test_exif_orientation_is_applied(ground_truth):
    info = ground_truth["formats"]["figure_exif_orientation6.jpg"]
    with Image.open(FIXTURES / "formats" / "figure_exif_orientation6.jpg") as raw:
        assert list(raw.size) == info["stored_size"]
    source = load_image(FIXTURES / "formats" / "figure_exif_orientation6.jpg")
    assert [source.width, source.height] == info["upright_size"]


@pytest.mark.parametrize("name", ["empty.png", "not_an_image.png", "truncated.png", "truncated.jpg"])
def test_bad_files_raise_input_error_naming_the_file(name):
    with pytest.raises(InputError) as caught:
        load_image(FIXTURES / "bad" / name)
    assert name in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file_and_folder_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(InputError, match="folder"):
        load_image(tmp_path)


def test_decompression_bomb_limit(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    Image.new("RGB", (400, 300), "white").save(path)
    monkeypatch.setattr(load, "MAX_IMAGE_PIXELS", 100_000)
    with pytest.raises(InputError, match="too large"):
        load_image(path)


def test_sixteen_bit_grey_keeps_its_range(tmp_path):
    ramp = (np.linspace(0, 65535, 256, dtype=np.float64)[None, :].repeat(8, axis=0)).astype(np.uint16)
    path = tmp_path / "ramp16.png"
    Image.fromarray(ramp).save(path)
    source = load_image(path)
    row = source.rgb[0, :, 0].astype(int)
    assert row[0] == 0 and row[-1] == 255 and 120 < row[128] < 136
