"""--upscale: small views enlarged with Real-ESRGAN before compositing, the border exactly flat,
the resolution check honest about it, and nothing enlarged with --upscale never."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import refprep
from refprep.data import Background, Check, View
from refprep.errors import UsageError
from refprep.stages import upscale as U
from refprep.targets.presets import get_preset

from cli_helpers import cli
from conftest import FIXTURES

WHITE = (255, 255, 255)


def _disc_view(backdrop_level: int = 200) -> View:
    """A red disc with a soft edge on a grey backdrop, 40x60, on an 80x90 canvas."""
    height, width = 60, 40
    y, x = np.mgrid[0:height, 0:width]
    distance = np.hypot(x - 20, y - 30)
    alpha = np.clip(15.5 - distance, 0, 1).astype(np.float32)
    image = np.full((height, width, 3), backdrop_level, np.uint8)
    image[alpha > 0] = np.round(alpha[alpha > 0, None] * np.array([200, 30, 30])
                                + (1 - alpha[alpha > 0, None]) * backdrop_level).astype(np.uint8)
    backdrop = Background("flat", (backdrop_level,) * 3, 1.0, None, (120, 120))
    return View(0, (10, 10, width, height), image, mask=alpha > 0.5, canvas=(80, 90, 20, 15),
                backdrop=backdrop, alpha=alpha, checks=[Check("resolution", "fail", 60.0, 512, "")])


def test_enlarged_cut_out_keeps_the_background_exactly_flat():
    view = _disc_view()
    grown = U.enlarge_view(view, 2.5, WHITE, U.Upscaler())
    assert grown.cleaned.shape == (225, 200, 3)  # the 80x90 canvas x 2.5
    outside = grown.alpha == 0
    crop = grown.cleaned[38:38 + 150, 50:50 + 100]  # the view's place on the canvas, x 2.5
    assert np.all(crop[outside] == 255), "a pixel outside the enlarged matte is not the target colour"
    ring = np.ones(grown.cleaned.shape[:2], bool)
    ring[38:38 + 150, 50:50 + 100] = False
    assert np.all(grown.cleaned[ring] == 255)
    centre = grown.cleaned[38 + 75, 50 + 50].astype(int)
    assert centre[0] > 150 and centre[1] < 80, centre  # the disc is still red, not the old grey
    # The grey backdrop does not leak: edge pixels blend red into white, none is a grey halo.
    edge = (grown.alpha > 0) & (grown.alpha < 1)
    assert edge.any()
    pixels = crop[edge].astype(int)
    grey = (pixels.max(axis=1) - pixels.min(axis=1) <= 8) & (pixels.max(axis=1) < 240)
    assert not grey.any(), pixels[grey][:5]


def test_enlarged_cut_out_on_transparent_is_clear_outside():
    grown = U.enlarge_view(_disc_view(), 2.0, None, U.Upscaler())
    assert grown.cleaned.shape == (180, 160, 4)
    assert grown.cleaned[:, :, 3][0].max() == 0 and grown.cleaned[:, :, 3].max() == 255


def test_tiles_match_one_pass():
    image = np.asarray(Image.open(FIXTURES / "example_sheet.png").convert("RGB"))[100:148, 180:220]
    whole = U.Upscaler().enlarge(image)
    tiled = U.Upscaler()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(U, "UPSCALE_TILE", 16)
        pieces = tiled.enlarge(image)
    assert whole.shape == pieces.shape == (192, 160, 3)
    assert np.abs(whole.astype(int) - pieces).max() <= 3


def test_one_factor_per_source_at_most_x4_and_the_modes():
    kling = get_preset("kling-4")  # sides >= 300
    small, smaller = _disc_view(), _disc_view()
    small.checks = [Check("resolution", "fail", 600.0, 512, "")]
    smaller.checks = [Check("resolution", "fail", 300.0, 512, "")]
    small.canvas = smaller.canvas = (400, 800, 0, 0)  # the sheet's canvas is over 300 px
    # 300 px needs 720 / 300 = 2.4 to reach the warn level; both views of the source grow by it.
    assert U.upscale_factors([small, smaller], kling) == {0: pytest.approx(720 / 300)}
    # A 200 px wide canvas needs 1.5 for kling-4's 300 px sides, even at a resolution over 720.
    small.canvas, small.checks = (200, 800, 0, 0), [Check("resolution", "pass", 780.0, 720, "")]
    assert U.upscale_factors([small], kling) == {0: 1.5}
    assert U.upscale_factors([small], get_preset("generic")) == {0: 1.0}
    assert U.upscale_factors([small, smaller], kling, "never") == {0: 1.0}
    assert U.upscale_factors([small], kling, "always") == {0: 4.0}
    tiny = _disc_view()
    tiny.checks = [Check("resolution", "fail", 50.0, 512, "")]
    assert U.upscale_factors([tiny], kling) == {0: 4.0}
    # The generic preset's 2048 px long side caps what growing is worth: 2048 / 90.
    big = _disc_view()
    big.canvas = (1000, 1500, 0, 0)
    big.checks = [Check("resolution", "pass", 1400.0, 720, "")]
    assert U.upscale_factors([big], get_preset("generic")) == {0: 1.0}
    assert U.upscale_factors([big], get_preset("generic"), "always") == {0: pytest.approx(2048 / 1500)}
    assert U.upscale_factors([big], kling, "always") == {0: pytest.approx(4096 / 1500)}  # kling has no maximum
    with pytest.raises(UsageError, match="--upscale"):
        U.upscale_factors([big], kling, "sometimes")


@pytest.fixture(scope="module")
def tiny_front(tmp_path_factory):
    """single_front_white at 200 px tall: a 58x173 figure, under kling-4's 300 px sides."""
    folder = tmp_path_factory.mktemp("tiny")
    image = Image.open(FIXTURES / "single_front_white.png")
    image.resize((150, 200), Image.Resampling.LANCZOS).save(folder / "tiny_front.png")
    return folder / "tiny_front.png"


def test_tiny_view_is_upscaled_to_the_preset_minimum(tiny_front, tmp_path):
    run = cli("build", tiny_front, "-o", tmp_path, "--preset", "kling-4", "--upscale", "auto", "--jobs", "1",
              "--json", "-q")
    assert run.exit_code == 0, run.output
    built = json.loads(run.stdout)
    assert built["status"] == "valid_with_warnings", built["problems"]
    package = Path(built["package"])
    (entry,) = built["views"]
    assert entry["upscaled_from"] == [entry["bbox"][2], entry["bbox"][3]]
    assert min(entry["width"], entry["height"]) >= 300 and entry["scale"] == 4.0
    resolution = next(check for check in entry["checks"] if check["id"] == "resolution")
    assert resolution["status"] == "warn" and resolution["value"] == 150  # the source's size, not 600
    assert "upscaled x4" in resolution["message"] and "detail is invented" in resolution["message"]
    picture = np.asarray(Image.open(package / entry["file"]))
    assert picture.shape[:2] == (entry["height"], entry["width"])
    ring = np.concatenate([picture[:8].reshape(-1, 3), picture[-8:].reshape(-1, 3),
                           picture[:, :8].reshape(-1, 3), picture[:, -8:].reshape(-1, 3)])
    assert np.all(ring == 255)
    # Away from the figure (its non-white pixels' box grown by 2 px) the background is exactly white.
    ys, xs = np.nonzero(np.any(picture != 255, axis=2))
    outside = np.ones(picture.shape[:2], bool)
    outside[ys.min() - 2:ys.max() + 3, xs.min() - 2:xs.max() + 3] = False
    assert np.all(picture[outside] == 255)
    assert xs.max() - xs.min() > 3 * 58  # the figure itself grew, not only the padding
    verdict = refprep.validate(package)
    assert not verdict.problems, verdict.problems


def test_upscale_never_leaves_the_view_and_the_preset_fails(tiny_front, tmp_path):
    result = refprep.build(tiny_front, out_dir=tmp_path, preset="kling-4", jobs=1)  # never is the default
    assert result.status == "invalid"
    assert any("rule views" in problem for problem in result.manifest["problems"])
    assert all("upscaled_from" not in entry for entry in result.manifest["views"])
    left_out = result.manifest["excluded"]
    assert left_out and "resolution" in left_out[0]["reason"]


def test_unknown_upscale_mode_is_bad_usage(tiny_front, tmp_path):
    with pytest.raises(UsageError, match="--upscale 'x4'"):
        refprep.build(tiny_front, out_dir=tmp_path, upscale="x4")


def test_the_docstring_examples_run():
    import doctest

    results = doctest.testmod(U, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert results.attempted >= 3 and results.failed == 0
