"""Random character sheets with exact ground truth, for the split benchmark.

Every sheet is a random ``SheetSpec`` drawn by fixtures/make_fixtures.py, so the figures, text,
frames, UI and backdrops are the fixtures' own and the ground truth is exact: each view's tight box
(row-major), class and kind (full_body / head), each annotation's box and kind. The layouts take
turns (LAYOUTS) so every kind is covered; on top of each, at random: view count, figure height
(120-700 px), props, labels, a title, colour swatches, a signature, the backdrop. Sheet 0 is always
TIMING_SPEC, a 4608x768 strip like MV-Adapter's, for the issue's speed target. Sheet i depends only
on (seed, i), so a shorter run draws the first sheets of a longer one.

    python benchmarks/sheet_generator.py OUT_DIR [--count 60] [--extra 10] [--seed 6] [--check]

writes the sheets as PNG and their ground truth (with each sheet's tags) as OUT_DIR/truth.json;
--check asserts the ground truth against the pixels (make_fixtures.check_sheet). --extra sheets
come from a second series (EXTRA_LAYOUTS: big headings and labels), with its own random stream.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, replace
from itertools import chain
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
import make_fixtures as mf  # noqa: E402  (the fixtures' drawing code, not a package)

DEFAULT_SEED = 6
LAYOUTS = ("row", "grid", "frames", "ui", "touching", "head_mix")
# Figure heights (hair top to soles), a geometric ladder from 120 to 700 px: few enough that
# rendered figures are reused from sheet to sheet.
HEIGHTS = tuple(int(round(120 * (700 / 120) ** (i / 11) / 10) * 10) for i in range(12))
MAX_HEIGHT_BY_VIEWS = ((3, 700), (6, 520), (9, 400))   # (at most n views, tallest figure)
MAX_HEAD_MIX_HEIGHT = 350    # close-ups are drawn HEAD_ZOOM x larger
GRID_SHAPES = ((2, 2), (3, 2), (2, 3), (4, 2), (3, 3), (1, 2), (1, 3))   # (cols, rows)
UI_SHAPES = ((3, 2), (2, 2), (2, 3), (4, 1), (3, 1))
MIN_STRAND_HEIGHT = 230      # px; below, a hair strand comes within 2 px of the head: it joins
LABEL_PX_PER_SCALE = 110     # one label scale step per this many px of figure height
LABEL_GAP_SHARE, MIN_LABEL_GAP = 0.04, 4   # soles to label: this share of the figure height, px
P_LABELS, P_PROPS, P_TITLE, P_SWATCHES, P_SIGNATURE = 0.4, 0.35, 0.25, 0.3, 0.3
P_SHORT_ROW = 0.3            # a grid's last row is one view short
P_PACKED = 0.5               # a row is packed by its figures' widths rather than in equal cells
P_HEAD_MIX_GRID = 0.5        # close-ups mixed into a grid rather than a row
# Ranges drawn from, (low, high) with high excluded; px unless said otherwise.
ROW_VIEWS, TOUCHING_VIEWS, HEAD_ROW_VIEWS = (2, 9), (3, 7), (2, 7)
SWATCH_COUNT = (3, 7)
PACKED_GUTTER = (0.05, 0.8)  # x the widest figure's width
ROW_PAD = (8, 24)            # around a touching row
GRID_GUTTER, GRID_MARGIN = (0, 25), (4, 25)
FRAME_INSET, FRAME_STROKE = (0, 7), (1, 4)
TOUCH_OVERLAP = (0, 4)
TILE_GREY = (100, 200)       # UI tiles; figures' dark outlines must show on them
UI_MARGIN, UI_HEADER, UI_GUTTER = (12, 25), (40, 65), (4, 17)
UI_TILE_ASPECT = (0.6, 1.0)  # tile width / height at least
FLAT_GREY, FLAT_NOISE = (90, 215), (0, 4)
GRADIENT_LIGHT, GRADIENT_DARK = (215, 250), (130, 185)
WIDE_RATIO, TALL_RATIO = 3.0, 1.5    # width / height at least, height / width at least
SMALL_FIGURE, LARGE_FIGURE = 200, 480

LABELS = {"front": "FRONT", "back": "BACK", "side": "SIDE", "three_quarter": "3/4"}
TITLES = ("CHARACTER SHEET", "MIRA - TURNAROUND", "MODEL SHEET v2", "HERO REF")
SIGNATURES = ("@refprep 2024", "(c) studio mira", "WIP - do not trace", "sketch by R.P.")
PROMPTS = ("a girl with red hair, blue shirt, full body, turnaround, white background",
           "character design sheet, multiple views, same outfit")
BUTTONS = (("Run",), ("Generate",), ("Generate", "Clear"))
UI_MIN_WIDTH = 360          # px, a gallery narrower than this leaves no room for the prompt box
UI_PAGES = (mf.WHITE, mf.Backdrop("flat_gray", (238, 239, 242)), mf.Backdrop("dark", (32, 34, 40)))

# A second series of kinds the main one lacks, drawn from its own random stream so the main
# series' sheets stay as they were: big headings, labels and swatches as on Midjourney-style
# sheets (the title's capitals BIG_TEXT_SHARE of the figures' height, on figures up to
# MAX_BIG_TEXT_FIGURE px: bigger ones would make huge sheets).
EXTRA_LAYOUTS = ("big_text",)
EXTRA_STREAM = 1
BIG_TEXT_SHARE = (0.2, 0.45)
MAX_BIG_TEXT_FIGURE = 300
GLYPH_PX = 6                 # capital height of the fixtures' bitmap font at scale 1

TIMING_SPEC = mf.SheetSpec(
    "gen000_timing_4608x768.png", mf.FLAT_GRAY,
    tuple(mf.ViewSpec(v) for v in ("front", "three_quarter_left", "side_left", "back",
                                   "side_right", "three_quarter_right")),
    figure_height=690, layout=mf.Grid(cols=6, cell_w=768, cell_h=768, sole_y=740))


@dataclass
class GeneratedSheet:
    name: str
    tags: tuple[str, ...]    # the layout first, then features: labels, props, wide, bg:paper ...
    drawn: mf.DrawnSheet     # .image, .truth, and the layers make_fixtures.check_sheet reads


def generate(count: int, seed: int = DEFAULT_SEED, start: int = 0):
    """Yield sheets start .. start + count - 1 of the series: 0 is TIMING_SPEC, the rest random."""
    for index in range(start, start + count):
        rng = np.random.default_rng([seed, index])
        if index == 0:
            spec, tags = TIMING_SPEC, ["row", "timing"]
        else:
            spec, tags = random_spec(index, rng)
        drawn = mf.make_sheet(spec, rng)
        yield GeneratedSheet(spec.name, tuple(tags + _shape_tags(spec, drawn.truth)), drawn)


def generate_extra(count: int, seed: int = DEFAULT_SEED, start: int = 1):
    """Yield sheets start .. start + count - 1 of the extra series (EXTRA_LAYOUTS in turn)."""
    for index in range(start, start + count):
        rng = np.random.default_rng([seed, EXTRA_STREAM, index])
        spec, tags = big_text_spec(index, rng)
        drawn = mf.make_sheet(spec, rng)
        yield GeneratedSheet(spec.name, tuple(tags + _shape_tags(spec, drawn.truth)), drawn)


def _shape_tags(spec: mf.SheetSpec, truth: dict) -> list[str]:
    width, height = truth["width"], truth["height"]
    tags = ["wide"] if width >= WIDE_RATIO * height else ["tall"] if height >= TALL_RATIO * width else []
    if spec.figure_height < SMALL_FIGURE:
        tags.append("small_figures")
    elif spec.figure_height >= LARGE_FIGURE:
        tags.append("large_figures")
    return tags + [f"bg:{truth['background']}"]


# ---------------------------------------------------------------- random specs
def _between(rng: np.random.Generator, bounds: tuple[int, int]) -> int:
    return int(rng.integers(*bounds))


def random_spec(index: int, rng: np.random.Generator) -> tuple[mf.SheetSpec, list[str]]:
    """Sheet `index`'s spec (its layout is LAYOUTS in turn) and tags."""
    layout = LAYOUTS[(index - 1) % len(LAYOUTS)]
    cols, rows = _shape(layout, rng)
    n = cols * rows
    if layout == "grid" and rows > 1 and rng.random() < P_SHORT_ROW:
        n -= 1
    height = _figure_height(n, layout, rng)
    views = _views(n, layout, rng)
    tags = [layout]
    if layout != "head_mix" and rng.random() < P_PROPS:
        views = _with_props(views, height, rng)
        tags.append("props")
    label_scale = max(1, round(height / LABEL_PX_PER_SCALE))
    if layout != "touching" and rng.random() < P_LABELS:
        views = [mf.ViewSpec(v.view, v.props, _label(v), v.kind) for v in views]
        tags.append("labels")
    decorations = {}
    if layout != "ui":
        for key, p, choices in (("title", P_TITLE, TITLES), ("signature", P_SIGNATURE, SIGNATURES)):
            if rng.random() < p:
                decorations[key] = str(rng.choice(choices))
                tags.append(key)
        if rng.random() < P_SWATCHES:
            decorations["swatches"] = _between(rng, SWATCH_COUNT)
            tags.append("swatches")
    spec = mf.SheetSpec(f"gen{index:03d}_{layout}.png", _backdrop(layout, rng), tuple(views),
                        figure_height=height, layout=None, label_scale=label_scale,
                        label_gap=max(MIN_LABEL_GAP, round(LABEL_GAP_SHARE * height)), **decorations)
    return _laid_out(spec, layout, cols, rng), tags[:1] + sorted(set(tags[1:]))


def big_text_spec(index: int, rng: np.random.Generator) -> tuple[mf.SheetSpec, list[str]]:
    """A row or grid under a big title, each view over a big label, swatches at times."""
    base = str(rng.choice(("row", "grid")))
    cols, rows = _shape(base, rng)
    n = cols * rows
    height = int(rng.choice([h for h in HEIGHTS if h <= MAX_BIG_TEXT_FIGURE]))
    views = [mf.ViewSpec(v.view, v.props, _label(v), v.kind) for v in _views(n, base, rng)]
    title_scale = max(2, round(rng.uniform(*BIG_TEXT_SHARE) * height / GLYPH_PX))
    swatches = _between(rng, SWATCH_COUNT) if rng.random() < P_SWATCHES else 0
    spec = mf.SheetSpec(f"gex{index:03d}_big_text.png", _backdrop(base, rng), tuple(views),
                        figure_height=height, layout=None, label_scale=title_scale - 1,
                        label_gap=max(MIN_LABEL_GAP, round(LABEL_GAP_SHARE * height)),
                        title=str(rng.choice(TITLES)), swatches=swatches)
    tags = ["big_text", "labels", "title"] + (["swatches"] if swatches else [])
    return _laid_out(spec, base, cols, rng), tags


def _shape(layout: str, rng) -> tuple[int, int]:
    if layout in ("grid", "frames"):
        return GRID_SHAPES[rng.integers(len(GRID_SHAPES))]
    if layout == "ui":
        return UI_SHAPES[rng.integers(len(UI_SHAPES))]
    if layout == "head_mix" and rng.random() < P_HEAD_MIX_GRID:
        return GRID_SHAPES[rng.integers(3)]    # 2x2, 3x2, 2x3
    return _between(rng, {"row": ROW_VIEWS, "touching": TOUCHING_VIEWS}.get(layout, HEAD_ROW_VIEWS)), 1


def _figure_height(n: int, layout: str, rng) -> int:
    tallest = next(h for views, h in MAX_HEIGHT_BY_VIEWS if n <= views)
    if layout == "head_mix":
        tallest = min(tallest, MAX_HEAD_MIX_HEIGHT)
    return int(rng.choice([h for h in HEIGHTS if h <= tallest]))


def _views(n: int, layout: str, rng) -> list[mf.ViewSpec]:
    classes = rng.choice(mf.VIEW_CLASSES, n, replace=n > len(mf.VIEW_CLASSES))
    views = [mf.ViewSpec(str(c)) for c in classes]
    if layout == "head_mix":
        for i in rng.choice(n, _between(rng, (1, max(2, n // 2 + 1))), replace=False):   # up to half
            views[i] = mf.ViewSpec(views[i].view, kind="head")
    return views


def _with_props(views: list[mf.ViewSpec], height: int, rng) -> list[mf.ViewSpec]:
    """A staff for a view that can hold it, a loose hair strand for a profile (elsewhere the
    strand floats too close to the shoulder), if the figure is tall enough for it to float."""
    out = list(views)
    profiles = [i for i, v in enumerate(views) if v.view.startswith("side") and height >= MIN_STRAND_HEIGHT]
    for prop, takers in (("staff", [i for i, v in enumerate(views) if not v.view.startswith("side")]),
                         ("hair_strand", profiles)):
        if takers:
            i = takers[rng.integers(len(takers))]
            out[i] = mf.ViewSpec(views[i].view, props=(prop,))
    return out


def _label(view: mf.ViewSpec) -> str:
    return "HEAD" if view.kind == "head" else LABELS[mf.canonical(view.view)[0]]


def _backdrop(layout: str, rng) -> mf.Backdrop:
    if layout == "ui":
        return UI_PAGES[rng.integers(len(UI_PAGES))]
    kind = rng.choice(("flat_gray", "off_white", "white", "gradient", "vignette", "transparent", "paper"))
    if kind == "flat_gray":
        return mf.Backdrop("flat_gray", (_between(rng, FLAT_GREY),) * 3, noise=_between(rng, FLAT_NOISE))
    if kind in ("gradient", "vignette"):
        light, dark = _between(rng, GRADIENT_LIGHT), _between(rng, GRADIENT_DARK)
        ends = ((light,) * 3, (dark,) * 3)
        # A vignette is light in the middle; a gradient light at the top or at the bottom.
        return mf.Backdrop(str(kind), *(ends if kind == "vignette" or rng.random() < 0.5 else ends[::-1]))
    return {"off_white": mf.OFF_WHITE, "white": mf.WHITE, "transparent": mf.TRANSPARENT,
            "paper": mf.PAPER}[str(kind)]


# ---------------------------------------------------------------- layouts sized to fit
def _laid_out(spec: mf.SheetSpec, layout: str, cols: int, rng) -> mf.SheetSpec:
    """The spec with a layout (and frames or UI chrome) whose cells hold every view and label."""
    sprites = [mf.view_sprite(v, spec.figure_height) for v in spec.views]
    h = spec.figure_height
    above = math.ceil(max(s.sole_y for s in sprites))
    below = max(math.ceil(s.size[1] - s.sole_y) for s in sprites)
    labels = [mf.label_mask(v.label, spec.label_scale) for v in spec.views if v.label]
    if labels:
        below = max(below, spec.label_gap + max(m.shape[0] for m in labels))
    if layout == "touching":
        pad = _between(rng, ROW_PAD)
        return replace(spec, layout=mf.Touching(height=above + below + 2 * pad, margin=pad,
                                                 overlap=_between(rng, TOUCH_OVERLAP), sole_y=pad + above))
    widest_label = max([0, *(m.shape[1] for m in labels)])
    if layout in ("row", "head_mix") and cols > 1 and rng.random() < P_PACKED:
        # A label reaches at most half its width past its figure's box: room for two halves.
        pad = _between(rng, (ROW_PAD[0], max(ROW_PAD[0] + 1, h // 6))) + widest_label // 2
        widest = max(s.size[0] for s in sprites)
        gutter = max((widest_label + 1) / widest, rng.uniform(*PACKED_GUTTER))
        return replace(spec, layout=mf.Packed(height=above + below + 2 * pad, margin=pad,
                                              gutter=gutter, sole_y=pad + above))
    half = max(max(s.axis_x, s.size[0] - s.axis_x) for s in sprites)
    half = max(half, widest_label / 2)
    frames = chrome = None
    clear = 1                                    # figures keep off their tile's edge
    if layout == "frames":
        frames = mf.Frames(inset=_between(rng, FRAME_INSET), stroke=_between(rng, FRAME_STROKE))
        clear = frames.inset + frames.stroke + 1
    pad = clear + _between(rng, (2, max(3, h // 8)))     # up to an eighth of the figure's height
    cell_w, cell_h = 2 * math.ceil(half) + 2 * pad, above + below + 2 * pad
    if layout == "ui":
        chrome = mf.Chrome(tile_rgb=(_between(rng, TILE_GREY),) * 3, margin=_between(rng, UI_MARGIN),
                           header=_between(rng, UI_HEADER), prompt=str(rng.choice(PROMPTS)),
                           buttons=BUTTONS[rng.integers(len(BUTTONS))])
        gutter, margin = _between(rng, UI_GUTTER), 0
        # Gallery tiles are squarish, and the gallery is wide enough for the prompt box.
        cell_w = max(cell_w, round(cell_h * rng.uniform(*UI_TILE_ASPECT)), math.ceil(UI_MIN_WIDTH / cols))
    else:
        gutter, margin = _between(rng, GRID_GUTTER), _between(rng, GRID_MARGIN)
    grid = mf.Grid(cols=cols, cell_w=cell_w, cell_h=cell_h, sole_y=pad + above, gutter=gutter, margin=margin)
    return replace(spec, layout=grid, frames=frames, chrome=chrome)


# ---------------------------------------------------------------- main
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the PNGs and truth.json")
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--extra", type=int, default=10, help="sheets of the extra series")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--check", action="store_true", help="assert the ground truth against the pixels")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    truth = {}
    for sheet in chain(generate(args.count, args.seed), generate_extra(args.extra, args.seed)):
        if args.check:
            mf.check_sheet(sheet.name, sheet.drawn)
        sheet.drawn.image.save(args.out / sheet.name)
        truth[sheet.name] = {**sheet.drawn.truth, "tags": list(sheet.tags)}
        print(f"{sheet.name:32} {sheet.drawn.truth['width']:>5}x{sheet.drawn.truth['height']:<5} "
              f"{' '.join(sheet.tags)}")
    (args.out / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
