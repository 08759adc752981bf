"""Clean stage: the bundled u2netp matches rembg, backgrounds come out exactly flat, no halo."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from refprep.clean import U2netpSession, composite_views, matte_views, parse_background
from refprep.load import load_image
from refprep.quality import view_fringe
from refprep.split import split_source

from conftest import FIXTURES


@pytest.fixture(scope="module")
def u2netp():
    return U2netpSession()


def test_bundled_u2netp_matches_rembg(u2netp, astronaut):
    """Same model file, same pre/post-processing as rembg's own u2netp session."""
    import os

    from refprep.models import models_dir

    rembg = pytest.importorskip("rembg")
    os.environ["U2NET_HOME"] = str(models_dir())  # rembg finds the bundled file: no download
    try:
        theirs = np.asarray(rembg.new_session("u2netp").predict(Image.fromarray(astronaut))[0], dtype=np.float32) / 255
    finally:
        del os.environ["U2NET_HOME"]
    ours = u2netp.predict_mask(astronaut)
    assert ours.shape == theirs.shape
    assert np.abs(ours - theirs).max() <= 1 / 255 + 1e-6


def test_u2netp_finds_the_astronaut(u2netp, astronaut):
    mask = u2netp.predict_mask(astronaut) > 0.5
    assert mask[300:500, 150:350].mean() > 0.9  # her body, lower middle
    assert mask[:80, 400:].mean() < 0.2         # the flag and backdrop, top right


@pytest.mark.parametrize("value, expected", [("white", (255, 255, 255)), ("green", (0, 177, 64)),
                                             ("#102030", (16, 32, 48)), ("transparent", None)])
def test_parse_background(value, expected):
    assert parse_background(value) == expected


def test_parse_background_rejects_nonsense():
    with pytest.raises(ValueError):
        parse_background("#12345")


def _cleaned(name: str, target, u2netp):
    source = load_image(FIXTURES / name)
    split = split_source(source)
    views = matte_views(split.views, [source.alpha], u2netp)
    return split, composite_views(views, target)


@pytest.mark.parametrize("name", ["sheet_row6_gray.png", "sheet_row4_gradient.png", "sheet_row3_vignette.png",
                                  "sheet_grid2x2_transparent.png", "sheet_row5_offwhite.png"])
def test_background_is_exactly_white_with_no_halo(name, u2netp, ground_truth):
    split, views = _cleaned(name, (255, 255, 255), u2netp)
    for view in views:
        picture = view.cleaned
        border = np.concatenate([picture[0], picture[-1], picture[:, 0], picture[:, -1]])
        assert (border == 255).all()
        canvas_w, canvas_h, px, py = view.canvas
        alpha = np.zeros((canvas_h, canvas_w), np.float32)
        alpha[py:py + view.alpha.shape[0], px:px + view.alpha.shape[1]] = view.alpha
        assert (picture[alpha == 0] == 255).all()
        assert view_fringe(view, (255, 255, 255)) < 0.005
        # The figure survives: its silhouette is opaque inside the anti-aliased rim (whose
        # pixels are partly covered: alpha below 0.5 there is right).
        inside = cv2.erode(view.mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        assert (view.alpha[inside] > 0.5).mean() > 0.99


def test_gaps_between_limbs_are_removed(u2netp):
    """The backdrop seen between the legs of a front view is background, not subject."""
    split, views = _cleaned("sheet_row6_gray.png", (255, 255, 255), u2netp)
    front = views[0]
    _, _, w, h = front.bbox
    column = front.alpha[int(0.8 * h):int(0.95 * h), w // 2]  # between the legs, above the feet
    assert (column == 0).any()


def test_transparent_output_keeps_a_clean_alpha(u2netp):
    split, views = _cleaned("sheet_row6_gray.png", None, u2netp)
    for view in views:
        assert view.cleaned.shape[2] == 4
        rgba = view.cleaned
        assert (rgba[0, :, 3] == 0).all() and (rgba[:, 0, 3] == 0).all()
        assert (rgba[rgba[:, :, 3] == 0][:, :3] == 0).all()
        assert rgba[:, :, 3].max() == 255


def test_coloured_background(u2netp):
    _, views = _cleaned("sheet_row6_gray.png", (0, 177, 64), u2netp)
    assert (views[0].cleaned[0, 0] == (0, 177, 64)).all()


def test_photo_is_cut_out_by_the_model(u2netp, astronaut):
    from pathlib import Path

    from refprep.data import Source

    source = Source(Path("astronaut.png"), astronaut, None, "0" * 64, "PNG", "RGB")
    split = split_source(source)
    views = composite_views(matte_views(split.views, [None], u2netp), (255, 255, 255))
    picture = views[0].cleaned
    assert (picture[0] == 255).all()
    # Her face keeps its colour; the cluttered top-right corner of the photo is gone.
    canvas_w, canvas_h, px, py = views[0].canvas
    assert picture[py + 130, px + 225].tolist() != [255, 255, 255]
    assert (picture[py + 10:py + 60, px + 450:px + 500] == 255).mean() > 0.9


def test_fringe_measure_catches_a_halo(u2netp):
    """A matte grown by 3 px keeps a ring of old grey backdrop: the measure must see it."""
    from refprep.clean import composite_view, view_backdrop
    from dataclasses import replace

    split, views = _cleaned("sheet_row6_gray.png", (255, 255, 255), u2netp)
    view = views[0]
    grown = cv2.dilate((view.alpha > 0).astype(np.uint8), np.ones((7, 7), np.uint8)).astype(np.float32)
    haloed = replace(view, alpha=grown)
    picture = composite_view(haloed, grown, view_backdrop(view), (255, 255, 255))
    assert view_fringe(replace(haloed, cleaned=picture), (255, 255, 255)) > 0.3
