"""Speed benchmark: refprep build against the floor of plain rembg on the same views.

    python benchmarks/perf_bench.py                  # the three inputs, 3 repeats each
    python benchmarks/perf_bench.py --repeat 5 --batch   # and a folder of 20 sheets, --jobs 1 vs 2
    python benchmarks/perf_bench.py --upscale --markdown # only Real-ESRGAN on 180 px views, into docs/benchmarks.md

Inputs (written to a temporary folder):
* six_view   a 6-view 4608x768 strip: devdata's MV-Adapter sheet when ../shared/devdata is here,
             else benchmarks/sheet_generator.py's TIMING_SPEC (drawn the fixtures' way);
* three_view a 3-view 3000x1000 sheet drawn with fixtures/make_fixtures.py;
* portrait   a 12-megapixel portrait: scikit-image's astronaut photo scaled to 3464x3464 (JPEG).

For each: ``refprep build`` as a separate process (wall time, peak RSS of the whole process from
wait4), and the floor: one Python process that imports rembg, opens ``rembg.new_session("u2netp")``
(U2NET_HOME points at a temporary folder holding the bundled models/u2netp.onnx, so nothing
downloads) and runs plain ``rembg.remove`` on the same view crops, writing PNGs. Crops are the
views refprep's split finds. The ratio is refprep / floor, whole process against whole process,
both the fastest of --repeat runs (taking turns), and the same for CPU seconds (user + system),
which a busy machine disturbs less than wall time. Then the time per stage of one in-process build (from the
progress events; model sessions are created inside clean and pose), ``refprep --help`` and
``import refprep``. rembg's first import compiles numba (about 50 s); it is warmed up once first
and reported, not counted.

--batch: a folder of --batch-count small generated sheets, ``refprep build DIR --jobs 1`` against
``--jobs 2``, and whether the two manifests agree apart from created_at.

--upscale (instead of the above): ``stages.upscale.enlarge_view`` on two views 180 px tall, as
``build --preset kling-element`` enlarges them (Real-ESRGAN x4, resized to the factor
``upscale_factors`` gives, matte grown, composited on white): the figure of
fixtures/single_front_white.png (a full figure, about 1:3) and scikit-image's astronaut photo
(180x180, the worst case: the crop is the whole frame). The views are split and matted first
(not timed); the session is loaded first (timed apart). Fastest and median of --repeat x 5
runs, wall and CPU seconds, with ONNX Runtime on 1 and on 2 threads; target <= 0.3 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEVDATA = REPO.parent / "shared" / "devdata"
MV_ADAPTER_SHEET = DEVDATA / "images" / "mvadapter" / "mvadapter_t2mv_multi_loras.png"
sys.path.insert(0, str(REPO / "fixtures"))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))
import make_fixtures as mf  # noqa: E402  (the fixtures' drawing code, not a package)
import sheet_generator  # noqa: E402
from markdown import table, write_section  # noqa: E402

PORTRAIT_SIDE = 3464  # px: 3464 x 3464 = 12.0 megapixels
BATCH_VIEWS = ("front", "three_quarter_right", "side_left")
BATCH_BACKDROPS = (mf.WHITE, mf.LIGHT_GRAY, mf.OFF_WHITE, mf.GRADIENT)
CREATED_AT = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00")

FLOOR_SCRIPT = """
import sys
from pathlib import Path
import rembg
from PIL import Image
session = rembg.new_session("u2netp")
out = Path(sys.argv[1])
for i, crop in enumerate(sys.argv[2:]):
    rembg.remove(Image.open(crop), session=session).save(out / f"{i:02d}.png")
"""

STAGE_SCRIPT = """
import json, sys, time
start = time.perf_counter()
import refprep.api
marks = []
def progress(stage, done, total):
    if done >= total:
        marks.append((stage, time.perf_counter()))
marks.append(("import", time.perf_counter()))
refprep.api.build([sys.argv[1]], out_dir=sys.argv[2], force=True, jobs=1, progress=progress)
stages, last = {}, start
for stage, at in marks:
    stages[stage] = stages.get(stage, 0.0) + at - last
    last = at
print(json.dumps(stages))
"""


def run_measured(command: list[str], env: dict | None = None) -> tuple[float, float, float]:
    """(wall seconds, peak RSS in MB, CPU seconds) of one process, which must exit 0 or 1.
    RSS is the largest single process's; CPU counts the process and the workers it waited for."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}:\n{stderr[-2000:]}")
    return wall, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime  # ru_maxrss: KiB on Linux


def fastest(runs: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """The fastest wall time and the least CPU time of several runs, and their highest peak RSS."""
    return min(r[0] for r in runs), max(r[1] for r in runs), min(r[2] for r in runs)


def best_of(repeat: int, command: list[str], env: dict | None = None) -> tuple[float, float, float]:
    return fastest([run_measured(command, env) for _ in range(repeat)])


def make_inputs(folder: Path) -> list[tuple[str, Path, str]]:
    """(name, path, where it comes from) of the three inputs."""
    inputs = []
    six = folder / "six_view.png"
    if MV_ADAPTER_SHEET.is_file():
        shutil.copyfile(MV_ADAPTER_SHEET, six)
        inputs.append(("six_view", six, "devdata MV-Adapter sheet, 4608x768"))
    else:
        sheet = next(sheet_generator.generate(1))
        sheet.drawn.image.save(six)
        inputs.append(("six_view", six, "generated TIMING_SPEC sheet, 4608x768"))
    three = mf.SheetSpec("three_view.png", mf.OFF_WHITE,
                         tuple(mf.ViewSpec(v) for v in ("front", "three_quarter_right", "side_right")),
                         figure_height=900, layout=mf.Grid(cols=3, cell_w=1000, cell_h=1000, sole_y=960))
    mf.make_sheet(three, np.random.default_rng(3)).image.save(folder / three.name)
    inputs.append(("three_view", folder / three.name, "generated 3-view sheet, 3000x1000"))
    from skimage import data

    portrait = folder / "portrait.jpg"
    Image.fromarray(data.astronaut()).resize((PORTRAIT_SIDE, PORTRAIT_SIDE), Image.Resampling.LANCZOS).save(
        portrait, quality=92)
    inputs.append(("portrait", portrait, f"astronaut photo scaled to {PORTRAIT_SIDE}x{PORTRAIT_SIDE} (12.0 MP)"))
    return inputs


def write_crops(image: Path, folder: Path) -> list[Path]:
    """The views refprep's split finds in ``image``, as PNG crops for the floor to process."""
    from refprep.api import Pipeline

    folder.mkdir(parents=True)
    with Pipeline() as pipeline:
        analysis = pipeline.split(pipeline.load([image]))
    crops = []
    for i, view in enumerate(analysis.views):
        crops.append(folder / f"{i:02d}.png")
        Image.fromarray(view.image).save(crops[-1])
    return crops


def make_batch(folder: Path, count: int) -> Path:
    """``count`` small 3-view sheets, each with its own backdrop and view order."""
    folder.mkdir(parents=True)
    for i in range(count):
        views = BATCH_VIEWS[i % 3:] + BATCH_VIEWS[:i % 3]
        spec = mf.SheetSpec(f"sheet{i:02d}.png", BATCH_BACKDROPS[i % len(BATCH_BACKDROPS)],
                            tuple(mf.ViewSpec(v) for v in views), figure_height=300 + 10 * i,
                            layout=mf.Grid(cols=3, cell_w=340 + 10 * i, cell_h=340 + 10 * i, sole_y=320 + 10 * i))
        mf.make_sheet(spec, np.random.default_rng(i)).image.save(folder / spec.name)
    return folder


def package_contents(package: Path) -> dict[str, bytes]:
    """Every file of a package with the creation time blanked; the hashes that cover it
    (the report's and the integrity hash) are left out."""
    contents = {}
    for path in sorted(package.iterdir()):
        data = CREATED_AT.sub(b"-", path.read_bytes())
        if path.name == "manifest.json":
            manifest = json.loads(data)
            manifest.pop("integrity")
            manifest["files"] = [entry for entry in manifest["files"] if entry["file"] != "report.html"]
            data = json.dumps(manifest).encode()
        contents[path.name] = data
    return contents


UPSCALE_VIEW_SIDE = 180  # px: the "180 px view"
UPSCALE_TARGET = 0.3  # s on 2 cores, the target
WHITE = (255, 255, 255)


def upscale_views(folder: Path, preset) -> list[tuple[str, object]]:
    """The two 180 px views, prepared and checked for ``preset`` by refprep's own pipeline (not timed)."""
    from skimage import data

    from refprep.api import Pipeline

    figure_path = REPO / "fixtures" / "single_front_white.png"
    photo = Image.fromarray(data.astronaut()).resize((UPSCALE_VIEW_SIDE,) * 2, Image.Resampling.LANCZOS)
    views = []
    with Pipeline(threads=2) as pipeline:
        # The sheet scaled so that its figure's box is UPSCALE_VIEW_SIDE tall.
        figure_height = pipeline.split(pipeline.load([figure_path])).views[0].bbox[3]
        figure = Image.open(figure_path)
        scale = UPSCALE_VIEW_SIDE / figure_height
        figure = figure.resize((round(figure.width * scale), round(figure.height * scale)), Image.Resampling.LANCZOS)
        for name, image in (("figure", figure), ("photo", photo)):
            path = folder / f"{name}.png"
            image.save(path)
            analysis = pipeline.prepare([path], WHITE)
            pipeline.check(analysis, preset, WHITE, cleaned=True)
            views.append((name, analysis.views[0]))
    return views


def upscale_timing(repeat: int, markdown: bool) -> int:
    """Time enlarge_view on 180 px views (see the module docstring); print, and write docs."""
    import statistics

    from refprep.stages.upscale import Upscaler, enlarge_view, upscale_factors
    from refprep.targets.presets import get_preset

    preset = get_preset("kling-element")
    start_load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    rows = []
    with tempfile.TemporaryDirectory(prefix="refprep-upscale-") as tmp:
        for name, view in upscale_views(Path(tmp), preset):
            h, w = view.image.shape[:2]
            # Under the resolution check's warn level: auto enlarges it by what it needs, x4 at most.
            factor = upscale_factors([view], preset, "auto")[view.source_index]
            for threads in (1, 2):
                upscaler = Upscaler(threads=threads)
                load_start = time.perf_counter()
                upscaler.session
                load_s = time.perf_counter() - load_start
                walls, cpus = [], []
                for _ in range(repeat * 5):
                    wall, cpu = time.perf_counter(), time.process_time()
                    grown = enlarge_view(view, factor, WHITE, upscaler)
                    walls.append(time.perf_counter() - wall)
                    cpus.append(time.process_time() - cpu)
                out_h, out_w = grown.cleaned.shape[:2]
                rows.append([name, f"{w}x{h}", f"x{factor:.2f}", f"{out_w}x{out_h}", threads,
                             f"{min(walls):.3f}", f"{statistics.median(walls):.3f}", f"{statistics.median(cpus):.3f}",
                             f"{load_s:.2f}"])
                print(f"upscale {name} {w}x{h} x{factor:.2f} -> canvas {out_w}x{out_h}, {threads} thread(s): "
                      f"fastest {min(walls):.3f} s, median {statistics.median(walls):.3f} s, "
                      f"CPU {statistics.median(cpus):.3f} s; session load {load_s:.2f} s")
    end_load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {start_load} at start, {end_load} at end")
    if markdown:
        body = ("## Upscaling a small view (Real-ESRGAN realesr-animevideov3 x4)\n\n"
                f"`enlarge_view` on a view {UPSCALE_VIEW_SIDE} px tall, as `build --preset kling-element --upscale "
                "auto` enlarges it (the network x4 on the view's crop with 10 px of context, area-resized to the factor, the matte "
                "grown, composited on white); the views were split and matted first. figure: "
                "fixtures/single_front_white.png's figure; photo: scikit-image's astronaut at 180x180 (the crop is the "
                "whole frame). "
                f"Fastest and median of {repeat * 5} runs.\n\n"
                + table(["view", "crop", "factor", "canvas out", "ORT threads", "fastest s", "median s",
                         "median CPU s", "session load s"], rows)
                + f"\n\nTarget: <= {UPSCALE_TARGET} s on 2 cores for a 180 px view to >= 300 px. Load average "
                  f"(other work on the machine) {start_load} at the start, {end_load} at the end: wall times on a "
                  "busy machine are upper bounds; CPU seconds are what the work costs.")
        write_section("perf_bench upscale", body, f"python benchmarks/perf_bench.py --upscale --repeat {repeat} "
                                                  "--markdown")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the fastest counts")
    parser.add_argument("--batch", action="store_true", help="also time a folder of sheets, --jobs 1 vs 2")
    parser.add_argument("--batch-count", type=int, default=20)
    parser.add_argument("--upscale", action="store_true",
                        help="only time Real-ESRGAN enlarging 180 px views (instead of the builds)")
    parser.add_argument("--markdown", action="store_true", help="with --upscale: write docs/benchmarks.md")
    args = parser.parse_args(argv)
    if args.upscale:
        return upscale_timing(args.repeat, args.markdown)

    python = sys.executable
    refprep_cmd = [shutil.which("refprep") or ""] if shutil.which("refprep") else [python, "-m", "refprep"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    import onnxruntime

    print(f"machine: {len(os.sched_getaffinity(0))} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at start; python {platform.python_version()}, "
          f"onnxruntime {onnxruntime.__version__}; best of {args.repeat} runs")
    with tempfile.TemporaryDirectory(prefix="refprep-perf-") as tmp:
        tmp = Path(tmp)
        rembg_home = tmp / "u2net"
        rembg_home.mkdir()
        shutil.copyfile(REPO / "models" / "u2netp.onnx", rembg_home / "u2netp.onnx")
        floor_env = {**env, "U2NET_HOME": str(rembg_home)}
        inputs = make_inputs(tmp)
        crops = {name: write_crops(path, tmp / "crops" / name) for name, path, _ in inputs}

        warm_out = tmp / "warm"
        warm_out.mkdir()
        warm, _, _ = run_measured([python, "-c", FLOOR_SCRIPT, str(warm_out), str(crops["three_view"][0])], floor_env)
        print(f"rembg warm-up run (its first import compiles numba, cached after): {warm:.1f} s, not counted")

        print(f"{'input':<11} {'views':>5} {'refprep s':>9} {'CPU s':>6} {'RSS MB':>7} {'floor s':>8} {'CPU s':>6} "
              f"{'RSS MB':>7} {'ratio':>6} {'CPU ratio':>9}  source")
        for name, path, where in inputs:
            floor_out = tmp / "floor" / name
            floor_out.mkdir(parents=True)
            ours_cmd = [*refprep_cmd, "build", str(path), "-o", str(tmp / "out" / name), "--force", "-q"]
            floor_cmd = [python, "-c", FLOOR_SCRIPT, str(floor_out), *map(str, crops[name])]
            # Taking turns, so a busy spell on the machine slows both about alike.
            runs = [(run_measured(ours_cmd, env), run_measured(floor_cmd, floor_env)) for _ in range(args.repeat)]
            ours, floor = (fastest([run[i] for run in runs]) for i in (0, 1))
            print(f"{name:<11} {len(crops[name]):>5} {ours[0]:>9.2f} {ours[2]:>6.2f} {ours[1]:>7.0f} {floor[0]:>8.2f} "
                  f"{floor[2]:>6.2f} {floor[1]:>7.0f} {ours[0] / floor[0]:>6.2f} {ours[2] / floor[2]:>9.2f}  {where}")

        for name, path, _ in inputs:
            stage_run = subprocess.run([python, "-c", STAGE_SCRIPT, str(path), str(tmp / "stages")], env=env,
                                       capture_output=True, text=True, check=True)
            stages = json.loads(stage_run.stdout.strip().splitlines()[-1])
            print(f"stages {name}: " + "  ".join(f"{stage} {seconds:.2f}" for stage, seconds in stages.items()))

        help_s, _, _ = best_of(max(args.repeat, 5), [*refprep_cmd, "--help"], env)
        import_s, _, _ = best_of(max(args.repeat, 5), [python, "-c", "import refprep"], env)
        bare_s, _, _ = best_of(max(args.repeat, 5), [python, "-c", "pass"], env)
        print(f"refprep --help: {help_s:.3f} s; python -c 'import refprep': {import_s:.3f} s "
              f"(python alone {bare_s:.3f} s)")

        if args.batch:
            folder = make_batch(tmp / "batch", args.batch_count)
            times = {}
            for jobs in (1, 2):
                out = tmp / f"batch-out-{jobs}"
                times[jobs], rss, cpu = best_of(args.repeat, [*refprep_cmd, "build", str(folder), "-o", str(out),
                                                         "--force", "-q", "--jobs", str(jobs)], env)
                print(f"batch {args.batch_count} sheets --jobs {jobs}: {times[jobs]:.2f} s, CPU {cpu:.1f} s, "
                      f"peak RSS {rss:.0f} MB (largest single process)")
            same = package_contents(tmp / "batch-out-1" / "batch") == package_contents(tmp / "batch-out-2" / "batch")
            print(f"batch speed-up --jobs 2 / --jobs 1: {times[1] / times[2]:.2f}x; packages identical apart "
                  f"from created_at: {same}")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
