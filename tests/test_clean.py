"""Clean stage: the bundled u2netp matches rembg, backgrounds come out exactly flat, no halo."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from refprep.stages.clean import U2netpSession, composite_views, matte_views, parse_background
from refprep.stages.load import load_image
from refprep.stages.quality import view_fringe
from refprep.stages.split import split_source

from conftest import FIXTURES


@pytest.fixture(scope="module")
def u2netp():
    return U2netpSession()


@pytest.mark.slow
def test_bundled_u2netp_matches_rembg(u2netp, astronaut):
    """Same model file, same pre/post-processing as rembg's own u2netp session (slow: importing
    rembg compiles pymatting's numba kernels, ~90 s on 2 cores)."""
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
    from refprep.stages.clean import composite_view, view_backdrop
    from dataclasses import replace

    split, views = _cleaned("sheet_row6_gray.png", (255, 255, 255), u2netp)
    view = views[0]
    grown = cv2.dilate((view.alpha > 0).astype(np.uint8), np.ones((7, 7), np.uint8)).astype(np.float32)
    haloed = replace(view, alpha=grown)
    picture = composite_view(haloed, grown, view_backdrop(view), (255, 255, 255))
    assert view_fringe(replace(haloed, cleaned=picture), (255, 255, 255)) > 0.3


# --- against ground truth ----------------------------------------------------------------
# A scene drawn here (not by the benchmark's generator): a dark-coated figure on off-white
# paper with a white collar that touches the paper (no line art around it), an arm on the
# hip enclosing paper, a ring held beside the body, a soft floor shadow. Drawn 4x larger
# and box-filtered, so edges are anti-aliased and the true alpha is known to the pixel.
PAPER = np.array((245, 243, 238), np.float32)
SCENE_SIZE = (300, 360)  # width, height


def _coverage(draw_fn) -> np.ndarray:
    from PIL import ImageDraw

    w, h = SCENE_SIZE
    layer = Image.new("L", (4 * w, 4 * h), 0)
    draw_fn(ImageDraw.Draw(layer))
    return np.asarray(layer.resize(SCENE_SIZE, Image.Resampling.BOX), np.float32) / 255.0


def _scaled(points):
    return [(4 * x, 4 * y) for x, y in points]


def _scene():
    """(image uint8, true alpha, masks of the collar, the enclosed holes and the shadow)."""
    w, h = SCENE_SIZE
    parts = [  # painter's order: (colour, coverage)
        ((52, 56, 84), _coverage(lambda d: d.rectangle(_scaled([(120, 215), (178, 330)]), fill=255))),  # trousers
        ((40, 30, 28), _coverage(lambda d: d.ellipse(_scaled([(112, 322), (186, 338)]), fill=255))),    # shoes
        ((60, 64, 100), _coverage(lambda d: d.line(_scaled([(175, 110), (222, 160), (176, 205)]),
                                                    fill=255, width=4 * 14, joint="curve"))),           # arm on the hip
        ((60, 64, 100), _coverage(lambda d: d.rectangle(_scaled([(112, 100), (185, 220)]), fill=255))), # coat
        ((252, 252, 252), _coverage(lambda d: d.polygon(_scaled([(126, 100), (172, 100), (149, 140)]),
                                                        fill=255))),                                    # collar
        ((225, 190, 160), _coverage(lambda d: d.ellipse(_scaled([(124, 40), (174, 100)]), fill=255))),  # head
        ((90, 50, 40), _coverage(lambda d: d.ellipse(_scaled([(60, 170), (112, 222)]), outline=255,
                                                      width=4 * 7))),                                   # ring
    ]
    colour = np.zeros((h, w, 3), np.float32)
    alpha = np.zeros((h, w), np.float32)
    for rgb, cover in parts:
        new_alpha = cover + alpha * (1 - cover)
        colour = (np.array(rgb, np.float32) * cover[..., None] + colour * (alpha * (1 - cover))[..., None]) \
            / np.maximum(new_alpha, 1e-6)[..., None]
        alpha = new_alpha
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    shade = 1.0 - 0.35 * np.exp(-1.5 * (((xx - 160) / 70) ** 2 + ((yy - 334) / 12) ** 2))
    noise = np.random.default_rng(5).integers(-1, 2, (h, w, 1))
    backdrop = PAPER * shade[..., None] + noise
    image = np.clip(np.round(alpha[..., None] * colour + (1 - alpha[..., None]) * backdrop), 0, 255).astype(np.uint8)
    collar = _coverage(lambda d: d.polygon(_scaled([(130, 102), (168, 102), (149, 134)]), fill=255)) == 1
    from scipy.ndimage import binary_fill_holes

    import cv2

    holes = binary_fill_holes(alpha > 0) & (alpha == 0)
    # the shadow clear of the shoes' anti-aliased rim (the fringe test covers the rim)
    away = cv2.distanceTransform((alpha == 0).astype(np.uint8), cv2.DIST_L2, 3) > 2
    shadow = (shade < 0.97) & away
    return image, alpha, collar, holes, shadow


@pytest.fixture(scope="module")
def cleaned_scene(u2netp, tmp_path_factory):
    from refprep.data import Source

    image, truth, collar, holes, shadow = _scene()
    source = Source(tmp_path_factory.mktemp("scene") / "scene.png", image, None, "0" * 64, "PNG", "RGB")
    views = composite_views(matte_views(split_source(source).views, [None], u2netp), (255, 255, 255))
    assert len(views) == 1
    view = views[0]
    x, y, w, h = view.bbox
    _, _, px, py = view.canvas
    alpha = np.zeros(truth.shape, np.float32)
    alpha[y:y + h, x:x + w] = view.alpha
    on_white = np.full(image.shape, 255, np.uint8)
    on_white[y:y + h, x:x + w] = view.cleaned[py:py + h, px:px + w]
    return truth, alpha, on_white, collar, holes, shadow


def test_scene_alpha_is_close_to_the_truth(cleaned_scene):
    truth, alpha, *_ = cleaned_scene
    # refprep measured 0.0005; plain rembg.remove(u2netp) 0.0086 (it drops the collar)
    assert np.mean((alpha - truth) ** 2) < 0.003


def test_white_collar_on_white_paper_is_kept(cleaned_scene):
    truth, alpha, _, collar, _, _ = cleaned_scene
    assert collar.sum() > 200
    assert (alpha[collar] > 0.5).mean() > 0.95  # plain rembg.remove(u2netp): 0.0


def test_enclosed_paper_is_removed(cleaned_scene):
    """Inside the ring and between the arm and the coat the paper shows through."""
    import cv2

    truth, alpha, on_white, _, holes, _ = cleaned_scene
    count, labels = cv2.connectedComponents(cv2.erode(holes.astype(np.uint8), np.ones((3, 3), np.uint8)))
    assert count - 1 == 2
    for hole in range(1, count):
        assert (alpha[labels == hole] == 0).mean() > 0.95
        assert (on_white[labels == hole] == 255).mean() > 0.95


def test_floor_shadow_is_background(cleaned_scene):
    truth, alpha, on_white, _, _, shadow = cleaned_scene
    assert (alpha[shadow] == 0).mean() > 0.98


def test_no_fringe_and_exactly_white_outside(cleaned_scene):
    """Just outside the true edge the picture is white: no grey paper rim, no dark rim."""
    import cv2

    truth, alpha, on_white, *_ = cleaned_scene
    assert (on_white[alpha == 0] == 255).all()
    outside = (truth == 0).astype(np.uint8)
    band = (outside > 0) & (cv2.distanceTransform(outside, cv2.DIST_L2, 3) <= 3)
    fringe = np.linalg.norm(on_white[band].astype(np.float32) - 255, axis=1).mean()
    assert fringe < 3.0  # plain rembg.remove(u2netp): 15.7


def _bench_case(index: int, kind: str, tmp_path, seed: int | None = None):
    """One of benchmarks/clean_bench.py's generated composites (default draw unless ``seed``)
    through refprep's build path: (case, alpha, composite on white, true holes, the
    benchmark's scores)."""
    import clean_bench

    case = clean_bench.generated_case(index, kind, clean_bench.DEFAULT_SEED if seed is None else seed)
    holes, near = clean_bench.truth_regions(case)
    alpha, on_white, *_ = clean_bench.RefprepRunner(tmp_path)(case, {})
    return case, alpha, on_white, holes, clean_bench.score(case, alpha, on_white, holes, near)


@pytest.mark.parametrize("kind, index", [("flat", 0), ("gradient", 0), ("vignette", 1)])
def test_benchmark_composites_beat_plain_rembg(kind, index, tmp_path):
    """Three of the benchmark's composites (benchmarks/clean_bench.py) through refprep's build
    path. Plain rembg.remove(u2netp) scores MSE 18-21 and fringe 43-68 on them, refprep
    0.4-3.5 and 0-0.2. (A regression guard on typical draws: the benchmark reports the hard
    ones -- no line art, a shirt within a few levels of a vignette -- where both lose holes.)"""
    case, alpha, on_white, holes, scores = _bench_case(index, kind, tmp_path)
    assert scores["MSE"] < 6.0 and scores["fringe"] < 2.0, scores
    assert holes and all(scores["holes"]), scores
    assert (on_white[alpha == 0] == 255).all()


@pytest.mark.parametrize("kind, index", [("flat", 2), ("vignette", 2)])
def test_pale_shirt_patches_matching_the_backdrop_are_kept(kind, index, tmp_path):
    """clean_bench's gen02_flat and gen02_vignette: a shirt 8-17 levels off the backdrop whose
    shading brings patches of it within the match tolerance, where u2netp sees no subject.
    Judged by offset and drift, every near-backdrop region stays and every hole goes (the
    edge-cut regions before lost one and two of them)."""
    case, alpha, on_white, holes, scores = _bench_case(index, kind, tmp_path)
    assert len(scores["near_bg"]) >= 5 and all(scores["near_bg"]), scores
    assert holes and all(scores["holes"]), scores


def test_floor_shadow_below_a_loosely_cut_figure_is_background(tmp_path):
    """clean_bench's gen03_flat: one figure with backdrop all round, so its view is the whole
    image and the cast shadow lies above the view's lowest quarter. The floor is found from
    the figure's own extent: the shadow goes (judged by the view's height, a band of it right
    across the image stayed: MSE 31, fringe 5.9)."""
    case, alpha, on_white, holes, scores = _bench_case(3, "flat", tmp_path)
    assert scores["MSE"] < 1.0 and scores["fringe"] < 0.5, scores
    assert all(scores["holes"]) and all(scores["near_bg"]), scores


def test_hole_joined_to_a_pale_shirt_patch_is_cut_apart(tmp_path):
    """clean_bench's gen01_gradient: the gap between the legs joins, with no line between
    them, a band of the shirt that matches the gradient. Cut by the kind of edge around each
    part, the gap goes and most of the shirt stays (judged whole, both went: MSE 13.6)."""
    case, alpha, on_white, holes, scores = _bench_case(1, "gradient", tmp_path)
    assert scores["MSE"] < 5.0, scores
    assert all(scores["holes"]) and sum(scores["near_bg"]) >= 4, scores


@pytest.mark.parametrize("kind, index", [("paper", 0), ("paper", 3), ("vignette", 1)])
def test_smooth_shirt_patches_lack_the_backdrops_grain(kind, index, tmp_path):
    """clean_bench's gen00_paper, gen03_paper, gen01_vignette: a painted shirt patch that
    u2netp does not see matches the paper within its tolerance, offset and drift; unlike the
    holes, it is smooth where the paper has grain (ratio 0.07-0.2 against the holes' 0.9-1.1).
    All near-backdrop regions stay and all holes go (judged without grain, one patch went in
    each)."""
    case, alpha, on_white, holes, scores = _bench_case(index, kind, tmp_path)
    assert all(scores["near_bg"]) and all(scores["holes"]), scores
    assert scores["MSE"] < 1.0, scores


@pytest.mark.parametrize("kind, index", [("vignette", 0), ("gradient", 1), ("paper", 1)])
def test_smooth_areas_stop_the_outside_and_cut_pieces(kind, index, tmp_path):
    """clean_bench's gen00_vignette, gen01_gradient, gen01_paper: a pale shirt u2netp half
    misses, whose patches match the backdrop where the backdrop has grain and the shirt none.
    The smooth areas keep the outside from flooding the shirt and cut the pieces where a hole
    meets a patch: every hole goes and every near-backdrop region stays (without them, a hole
    stayed in two of these and a shirt region went in the third; MSE 3.4-6.7)."""
    case, alpha, on_white, holes, scores = _bench_case(index, kind, tmp_path)
    assert all(scores["holes"]) and all(scores["near_bg"]), scores
    assert scores["MSE"] < 2.0, scores


@pytest.mark.parametrize("kind, index", [("gradient", 4), ("flat", 6)])
def test_smooth_parts_of_an_edge_piece_stay_subject(kind, index, tmp_path):
    """clean_bench's gen04_gradient and gen06_flat at seed 11: u2netp calls the backdrop round
    the figure subject, so the backdrop there is a piece touching the view's edge, joined to a
    band of the pale shirt. The shirt band is smooth where the backdrop is grainy: it stays
    (the whole piece went: MSE 29.6 and 10.5, a near-backdrop region lost in each)."""
    case, alpha, on_white, holes, scores = _bench_case(index, kind, tmp_path, seed=11)
    assert all(scores["near_bg"]), scores
    assert scores["MSE"] < 5.0, scores


@pytest.mark.parametrize("kind, index, seed", [("vignette", 7, None), ("flat", 10, 21)])
def test_level_core_of_a_hole_joined_to_a_shirt_band_goes(kind, index, seed, tmp_path):
    """clean_bench's gen07_vignette and seed-21 gen10_flat: a hole joined by thin threads to
    a shirt band that crosses the backdrop's colour fails whole and in every part. Its level
    core (5x5 mean within a quarter of the tolerance, opened by 3 px) follows the backdrop
    with no drift: it goes, and the shirt stays (before, a hole stayed in each)."""
    case, alpha, on_white, holes, scores = _bench_case(index, kind, tmp_path, seed=seed)
    assert holes and all(scores["holes"]), scores
    assert sum(scores["near_bg"]) >= len(scores["near_bg"]) - 1, scores


@pytest.mark.parametrize("kind, index", [("gradient", 5), ("vignette", 4)])
def test_a_holes_rim_goes_with_it(kind, index, tmp_path):
    """clean_bench's seed-11 gen05_gradient and gen04_vignette: the arm-hip gap is found, but
    the soft-edge rule cut its rim along the pale shirt off it, so 17-26 % of it stayed. The
    level pixels within 4 px of a hole found go with it: every hole goes, every
    near-backdrop region stays."""
    case, alpha, on_white, holes, scores = _bench_case(index, kind, tmp_path, seed=11)
    assert holes and all(scores["holes"]), scores
    assert all(scores["near_bg"]), scores


@pytest.mark.parametrize("index, seed", [(10, None), (6, 33), (1, 33)])
def test_pale_arm_patches_u2netp_misses_are_not_paper_blotches(index, seed, tmp_path):
    """clean_bench's gen10_vignette and seed-33 gen06_vignette and gen01_vignette: small
    patches of a pale arm that u2netp does not see sit 0.55-0.7 of the tolerance off a
    vignette. The looser limits for paper blotches apply only to pieces with the backdrop's
    grain, on a backdrop that has some, and (too small to measure it in) mostly outside the
    smooth areas: the patches stay (before, one, two and one near-backdrop regions went),
    and every hole still goes."""
    case, alpha, on_white, holes, scores = _bench_case(index, "vignette", tmp_path, seed=seed)
    assert all(scores["near_bg"]) and holes and all(scores["holes"]), scores


def test_smooth_area_is_wide_and_smoother_than_the_backdrop():
    """A painted patch on a noisy backdrop is a smooth area; a line as thin as the median's
    window (chance or an edge band) is not, nor is anything on a backdrop without grain."""
    from refprep.stages.clean import _grain, _smooth_area

    rng = np.random.default_rng(2)
    image = np.full((120, 120, 3), 180.0, np.float32) + rng.integers(-2, 3, (120, 120, 1)).astype(np.float32)
    image[30:90, 30:70] = 182.0         # the patch: the backdrop's colour, no grain
    image[20:100, 95:98] = 182.0        # a 3-px smooth line
    backdrop = np.ones((120, 120), bool)
    backdrop[25:95, 25:100] = False
    smooth = _smooth_area(_grain(image), backdrop)
    assert smooth[34:86, 34:66].all()
    assert not smooth[:, 90:].any() and not smooth[:20].any()
    clean = np.where(backdrop[:, :, None], 180.0, image).astype(np.float32)
    assert not _smooth_area(_grain(clean), backdrop).any()


def test_grain_is_each_pixels_departure_from_its_neighbourhood():
    from refprep.stages.clean import _grain, _rms_inside

    rng = np.random.default_rng(1)
    noisy = np.full((80, 80, 3), 200.0, np.float32) + rng.normal(0, 2, (80, 80, 1)).astype(np.float32)
    smooth = np.broadcast_to(np.linspace(150, 220, 80, dtype=np.float32)[None, :, None], (80, 80, 3))
    everywhere = np.ones((80, 80), bool)
    assert _rms_inside(_grain(noisy), everywhere) == pytest.approx(2 * np.sqrt(8 / 9), rel=0.1)
    assert _rms_inside(_grain(np.ascontiguousarray(smooth)), everywhere) < 0.01   # a ramp has none
    assert _rms_inside(_grain(noisy), np.zeros((80, 80), bool)) is None


def test_soft_bounded_parts_follow_the_nearest_kind_of_edge():
    """A backdrop-coloured gap bounded by a hard edge (the subject's colour, 40 levels off)
    joined to a patch that fades out at its sides (RGB distance 7.8, just past the tolerance 6):
    the patch is soft-bounded, the gap is not; a piece with a hard edge all round is kept whole."""
    from refprep.stages.clean import _soft_bounded

    difference = np.full((120, 120, 3), 40.0, np.float32)
    candidate = np.zeros((120, 120), bool)
    candidate[20:50, 30:80] = True                     # the shirt patch...
    difference[14:56, 24:86] = 4.5                      # ...fading into the shirt round it
    candidate[50:110, 50:60] = True                     # the gap below it, subject-edged
    difference[20:50, 30:80] = difference[50:110, 50:60] = 0.0
    soft = _soft_bounded(candidate, np.zeros_like(candidate), difference, limit=6.0)
    assert soft[20:45, 30:80].mean() > 0.9
    assert not soft[60:110, 50:60].any()
    # the same gap alone is hard-edged all round: nothing of it is cut
    alone = np.zeros_like(candidate)
    alone[50:110, 50:60] = True
    hard = np.full_like(difference, 40.0)
    hard[50:110, 50:60] = 0.0
    assert not _soft_bounded(alone, np.zeros_like(alone), hard, limit=6.0).any()


def test_drift_measures_how_far_a_piece_rises_across_itself():
    """A piece whose offset from the backdrop is flat has no drift; one on a ramp drifts by
    the ramp's rise across it, whatever its shape."""
    from refprep.stages.clean import _drift

    labels = np.zeros((60, 80), np.int32)
    labels[5:25, 5:45] = 1      # a 40 px wide block
    labels[30:55, 10:70] = 2    # a 60 px wide block
    xs = np.broadcast_to(np.arange(80, dtype=np.float32), labels.shape)
    flat = np.random.default_rng(0).normal(0, 0.5, labels.shape).astype(np.float32)
    ramp = 0.1 * xs             # rises 0.1 per px
    assert _drift(labels, 3, flat)[1:].max() < 0.3
    drift = _drift(labels, 3, ramp)
    assert drift[1] == pytest.approx(0.1 * 40, rel=0.05)
    assert drift[2] == pytest.approx(0.1 * 60, rel=0.05)


def _ring_scene(ring_saliency: float):
    """A red ring (radii 30-50) before a two-coloured grainy scene that shows through it, and a
    saliency mask that fills the ring in, as u2netp often does."""
    rng = np.random.default_rng(0)
    image = np.zeros((200, 200, 3), np.float32)
    image[:, :100], image[:, 100:] = (40, 60, 160), (60, 150, 60)
    yy, xx = np.mgrid[0:200, 0:200]
    radius = np.hypot(yy - 100, xx - 100)
    image[(radius >= 30) & (radius <= 50)] = (200, 30, 30)
    image = np.clip(image + rng.normal(0, 2.5, image.shape), 0, 255).astype(np.uint8)
    saliency = np.where(radius <= 52, ring_saliency, 0.0).astype(np.float32)
    return image, saliency, radius


def test_scene_showing_through_a_filled_in_ring_is_opened():
    """u2netp fills the ring (saliency 0.9 inside); the colour models see the scene there."""
    from refprep.stages.clean import scene_matte

    image, saliency, radius = _ring_scene(0.9)
    matte = scene_matte(image, saliency)
    assert (matte[radius < 25] < 0.5).mean() > 0.95
    assert (matte[(radius > 34) & (radius < 46)] >= 0.5).mean() > 0.95


def test_scene_coloured_inside_stays_where_u2netp_is_sure():
    """Where u2netp is sure (0.99) of the subject, a scene-coloured inside is the subject's."""
    from refprep.stages.clean import scene_matte

    image, saliency, radius = _ring_scene(0.99)
    assert (scene_matte(image, saliency)[radius < 25] >= 0.5).mean() > 0.95


def test_scene_coloured_part_along_the_outline_is_not_opened():
    """A subject part of the scene's colour along the outline (hair before foliage, a face
    before a wall of its colour) stays, though the colour models give it to the scene."""
    from refprep.stages.clean import scene_matte

    image, saliency, radius = _ring_scene(0.9)
    image[radius <= 30] = (200, 30, 30)          # a red disc ...
    image[40:160, 150:200] = (60, 150, 60)      # ... whose right side is the scene's green
    saliency[:] = 0.0
    saliency[40:160, 50:190] = 0.9
    matte = scene_matte(image, saliency)
    assert (matte[60:140, 160:185] >= 0.5).mean() > 0.9


@pytest.mark.parametrize("index, seed", [(2, 11), (1, 44)])
def test_holes_in_photo_like_scenes_are_opened(index, seed, tmp_path):
    """clean_bench's seed-11 gen02_photo and seed-44 gen01_photo: u2netp fills the ring and the
    gap by the hip (holes 1 and 0 of 2 removed before the colour check, MSE 25.5 and 19.3)."""
    case, alpha, on_white, holes, scores = _bench_case(index, "photo", tmp_path, seed)
    assert len(holes) == 2 and all(scores["holes"]), scores
