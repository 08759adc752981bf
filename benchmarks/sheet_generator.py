"""Random character sheets with exact ground truth, for the split benchmark.

Every sheet is a random ``SheetSpec`` drawn by fixtures/make_fixtures.py, so the figures, text,
frames, UI and backdrops are the fixtures' own and the ground truth is exact: each view's tight box
(row-major), class and kind (full_body / head), each annotation's box and kind. The layouts take
turns (LAYOUTS) so every kind is covered; on top of each, at random: view count, figure height
(120-700 px), props, labels, a title, colour swatches, a signature, the backdrop. Sheet 0 is always
TIMING_SPEC, a 4608x768 strip like MV-Adapter's, for the issue's speed target. Sheet i depends only
on (seed, i), so a shorter run draws the first sheets of a longer one.

    python benchmarks/sheet_generator.py OUT_DIR [--count 60] [--seed 6] [--check]

writes the sheets as PNG and their ground truth (with each sheet's tags) as OUT_DIR/truth.json;
--check asserts the ground truth against the pixels (make_fixtures.check_sheet).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, replace
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
P_LABELS, P_PROPS, P_TITLE, P_SWATCHES, P_SIGNATURE = 0.4, 0.35, 0.25, 0.3, 0.3
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


def _shape_tags(spec: mf.SheetSpec, truth: dict) -> list[str]:
    width, height = truth["width"], truth["height"]
    tags = ["wide"] if width >= WIDE_RATIO * height else ["tall"] if height >= TALL_RATIO * width else []
    if spec.figure_height < SMALL_FIGURE:
        tags.append("small_figures")
    elif spec.figure_height >= LARGE_FIGURE:
        tags.append("large_figures")
    return tags + [f"bg:{truth['background']}"]


# ---------------------------------------------------------------- random specs
def random_spec(index: int, rng: np.random.Generator) -> tuple[mf.SheetSpec, list[str]]:
    layout = LAYOUTS[(index - 1) % len(LAYOUTS)]
    cols, rows = _shape(layout, rng)
    n = cols * rows
    if layout == "grid" and rows > 1 and rng.random() < 0.3:
        n -= 1                                   # a last row one short
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
            decorations["swatches"] = int(rng.integers(3, 7))
            tags.append("swatches")
    spec = mf.SheetSpec(f"gen{index:03d}_{layout}.png", _backdrop(layout, rng), tuple(views),
                        figure_height=height, layout=None, label_scale=label_scale,
                        label_gap=max(4, round(0.04 * height)), **decorations)
    return _laid_out(spec, layout, cols, rng), tags[:1] + sorted(set(tags[1:]))


def _shape(layout: str, rng) -> tuple[int, int]:
    if layout in ("grid", "frames"):
        return GRID_SHAPES[rng.integers(len(GRID_SHAPES))]
    if layout == "ui":
        return UI_SHAPES[rng.integers(len(UI_SHAPES))]
    if layout == "head_mix" and rng.random() < 0.5:
        return GRID_SHAPES[rng.integers(3)]
    return int(rng.integers(3 if layout == "touching" else 2, 9 if layout == "row" else 7)), 1


def _figure_height(n: int, layout: str, rng) -> int:
    tallest = next(h for views, h in MAX_HEIGHT_BY_VIEWS if n <= views)
    if layout == "head_mix":
        tallest = min(tallest, MAX_HEAD_MIX_HEIGHT)
    return int(rng.choice([h for h in HEIGHTS if h <= tallest]))


def _views(n: int, layout: str, rng) -> list[mf.ViewSpec]:
    classes = rng.choice(mf.VIEW_CLASSES, n, replace=n > len(mf.VIEW_CLASSES))
    views = [mf.ViewSpec(str(c)) for c in classes]
    if layout == "head_mix":
        for i in rng.choice(n, int(rng.integers(1, max(2, n // 2 + 1))), replace=False):
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
        return mf.Backdrop("flat_gray", (int(rng.integers(90, 215)),) * 3, noise=int(rng.integers(0, 4)))
    if kind in ("gradient", "vignette"):
        light, dark = int(rng.integers(215, 250)), int(rng.integers(130, 185))
        ends = ((light,) * 3, (dark,) * 3)
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
        pad = int(rng.integers(8, 24))
        return replace(spec, layout=mf.Touching(height=above + below + 2 * pad, margin=pad,
                                                 overlap=int(rng.integers(0, 4)), sole_y=pad + above))
    widest_label = max([0, *(m.shape[1] for m in labels)])
    if layout in ("row", "head_mix") and cols > 1 and rng.random() < 0.5:
        # A label reaches at most half its width past its figure's box: room for two halves.
        pad = int(rng.integers(8, max(9, h // 6))) + widest_label // 2
        widest = max(s.size[0] for s in sprites)
        gutter = max((widest_label + 1) / widest, rng.uniform(0.05, 0.8))
        return replace(spec, layout=mf.Packed(height=above + below + 2 * pad, margin=pad,
                                              gutter=gutter, sole_y=pad + above))
    half = max(max(s.axis_x, s.size[0] - s.axis_x) for s in sprites)
    half = max(half, widest_label / 2)
    frames = chrome = None
    clear = 1                                    # figures keep off their tile's edge
    if layout == "frames":
        frames = mf.Frames(inset=int(rng.integers(0, 7)), stroke=int(rng.integers(1, 4)))
        clear = frames.inset + frames.stroke + 1
    pad = clear + int(rng.integers(2, max(3, h // 8)))
    cell_w, cell_h = 2 * math.ceil(half) + 2 * pad, above + below + 2 * pad
    if layout == "ui":
        chrome = mf.Chrome(tile_rgb=(int(rng.integers(100, 200)),) * 3, margin=int(rng.integers(12, 25)),
                           header=int(rng.integers(40, 65)), prompt=str(rng.choice(PROMPTS)),
                           buttons=BUTTONS[rng.integers(len(BUTTONS))])
        gutter, margin = int(rng.integers(4, 17)), 0
        # Gallery tiles are squarish, and the gallery is wide enough for the prompt box.
        cell_w = max(cell_w, round(cell_h * rng.uniform(0.6, 1.0)), math.ceil(UI_MIN_WIDTH / cols))
    else:
        gutter, margin = int(rng.integers(0, 25)), int(rng.integers(4, 25))
    grid = mf.Grid(cols=cols, cell_w=cell_w, cell_h=cell_h, sole_y=pad + above, gutter=gutter, margin=margin)
    return replace(spec, layout=grid, frames=frames, chrome=chrome)


# ---------------------------------------------------------------- main
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the PNGs and truth.json")
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--check", action="store_true", help="assert the ground truth against the pixels")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    truth = {}
    for sheet in generate(args.count, args.seed):
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
