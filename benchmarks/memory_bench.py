"""Peak memory of `refprep build` on a 24-megapixel sheet (the bound the README documents).

Draws an 8000 x 3000 turnaround sheet -- six figures 2400 px tall (the fixtures' figures, drawn at
600 px and scaled up 4x) on a light grey backdrop with a little noise -- runs the real command on
it in a subprocess and reports the process's peak resident memory (the kernel's high-water mark)
and the time taken.

    python benchmarks/memory_bench.py [--width 8000] [--height 3000] [--figures 6] [--json]

tests/test_memory.py runs the same measurement and holds it to the documented bound.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "fixtures"))
sys.path.insert(0, str(HERE))
import hostile_corpus  # noqa: E402  (run_measured)
import make_fixtures as mf  # noqa: E402

VIEWS = ("front", "three_quarter_left", "side_left", "back", "side_right", "three_quarter_right")
DRAW_HEIGHT = 600    # px: the figures are drawn at this height, then scaled up
BACKDROP = (206, 206, 210)


def big_sheet(width: int = 8000, height: int = 3000, figures: int = 6, seed: int = 24) -> Image.Image:
    """A width x height sheet of ``figures`` views side by side, 80% of the height tall."""
    rng = np.random.default_rng(seed)
    page = np.empty((height, width, 3), np.uint8)
    page[:] = BACKDROP
    page += rng.integers(0, 3, (height, width, 1), dtype=np.uint8)
    canvas = Image.fromarray(page)
    target_h = int(height * 0.8)
    cell = width // figures
    for i in range(figures):
        sprite = mf.render_figure(VIEWS[i % len(VIEWS)], DRAW_HEIGHT)
        rgba = np.dstack([sprite.rgb, sprite.alpha * 255]).round().astype(np.uint8)
        figure = Image.fromarray(rgba, "RGBA")
        scale = target_h / figure.height
        figure = figure.resize((max(1, round(figure.width * scale)), target_h), Image.Resampling.LANCZOS)
        if figure.width > cell - 20:
            figure = figure.resize((cell - 20, round(figure.height * (cell - 20) / figure.width)), Image.Resampling.LANCZOS)
        x = i * cell + (cell - figure.width) // 2
        y = height - figure.height - int(height * 0.08)
        canvas.paste(figure, (x, y), figure)
    return canvas


def measure(sheet: Path, out: Path, timeout: float = 600.0) -> dict:
    """Run `refprep build` on ``sheet``; its exit code, peak RSS (MB) and seconds."""
    start = time.perf_counter()
    code, _, stderr, peak_mb = hostile_corpus.run_measured(
        [sys.executable, "-m", "refprep", "build", "-q", str(sheet), "-o", str(out)], timeout)
    return {"exit": code, "peak_rss_mb": round(peak_mb), "seconds": round(time.perf_counter() - start, 1),
            "stderr": stderr.strip()[-500:]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--width", type=int, default=8000)
    parser.add_argument("--height", type=int, default=3000)
    parser.add_argument("--figures", type=int, default=6)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        sheet = Path(scratch) / f"sheet_{args.width}x{args.height}.png"
        big_sheet(args.width, args.height, args.figures).save(sheet)
        result = {"width": args.width, "height": args.height, "megapixels": round(args.width * args.height / 1e6, 1),
                  "figures": args.figures, **measure(sheet, Path(scratch) / "out")}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['width']}x{result['height']} ({result['megapixels']} MP, {result['figures']} figures): "
              f"exit {result['exit']}, peak RSS {result['peak_rss_mb']} MB, {result['seconds']} s")
    return 0 if result["exit"] in (0, 1) else 1


if __name__ == "__main__":
    sys.exit(main())
