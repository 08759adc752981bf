"""The ``refprep`` command: a thin click shell over ``refprep.api``.

Exit codes (SPEC): 0 done and valid; 1 done but something fails a check (with --strict,
warnings too); 2 bad usage or unreadable input, one line on stderr; 70 internal error (a
bug; REFPREP_DEBUG=1 prints the traceback); 130 interrupted; 128 + N for signal N.
Only click and the standard library load at start-up, so ``refprep --help`` is instant.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import threading

import click

from . import __version__
from .errors import RefprepError, deliver, printable, stop_signals
from .models import DEFAULT_UPSCALE, DOWNLOADABLE_REMBG_MODELS, UPSCALE_MODES
from .targets.presets import PRESET_NAMES, PRESETS  # plain data: the names for --help, no heavy imports

EXIT_OK, EXIT_FAILED_CHECKS, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 70, 130
BACKGROUND_HELP = "white (default), green, transparent or #RRGGBB"
PRESET_CHOICE = click.Choice(list(PRESET_NAMES))
MODEL_CHOICE = click.Choice(["u2netp", *DOWNLOADABLE_REMBG_MODELS])


# Each command's stages in the order they run, with their rough share of its time (the
# models' stages, clean and pose, take most of it). A build of several files reports "files"
# for load..check together.
COMMAND_STAGES = {
    "build": (("load", 1), ("split", 1), ("clean", 8), ("composite", 1), ("pose", 6), ("check", 1),
              ("export", 1), ("write", 1)),
    "check": (("load", 1), ("split", 1), ("clean", 8), ("pose", 6), ("check", 1)),
    "pose": (("load", 1), ("split", 1), ("clean", 8), ("pose", 6)),
    "split": (("load", 1), ("split", 4)),
    "clean": (("load", 1), ("split", 1), ("clean", 8)),
}
_FILES_SPAN = ("load", "check")


class Progress:
    """One progress bar for a whole command on stderr, labelled with the stage it is in; a
    terminal only (a log file or pipe gets nothing), and nothing at all with ``quiet``.

    Call it as the API's ``progress(stage, done, total)``; use it as a context manager so the
    bar is finished (or wiped, when the command fails) before anything else is printed.
    """

    def __init__(self, quiet: bool, command: str = "build", bar_width: int = 24, stream=None):
        self.stream = stream or sys.stderr
        self.quiet = quiet or not self.stream.isatty()
        self.command = command
        self.bar_width = bar_width
        self.spans = self._spans(COMMAND_STAGES.get(command, ()))
        self.fraction = 0.0
        self.shown = False

    @staticmethod
    def _spans(stages) -> dict[str, tuple[float, float]]:
        total = sum(weight for _, weight in stages) or 1
        spans, start = {}, 0.0
        for name, weight in stages:
            spans[name] = (start, start + weight / total)
            start += weight / total
        if all(name in spans for name in _FILES_SPAN):
            spans["files"] = (spans[_FILES_SPAN[0]][0], spans[_FILES_SPAN[1]][1])
        return spans

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.quiet:
            return
        start, end = self.spans.get(stage, (self.fraction, self.fraction))
        # Never backwards: a stage outside the plan keeps the bar where it is.
        self.fraction = max(self.fraction, start + (end - start) * min(done, total) / max(total, 1))
        filled = int(self.bar_width * self.fraction)
        bar = "#" * filled + "." * (self.bar_width - filled)
        self.stream.write(f"\r{self.command} {stage:<9} [{bar}] {self.fraction:4.0%}")
        self.stream.flush()
        self.shown = True

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if not self.shown:
            return False
        if kind is None:
            self.stream.write("\n")  # the finished bar stays, and the output starts below it
        else:
            self.stream.write("\r\x1b[2K")  # wiped: the error line is all that is left
        self.stream.flush()
        self.shown = False
        return False


class BatchProgress(Progress):
    """The batch's bar: packages done of all, and the time left at the pace so far."""

    def __init__(self, quiet: bool, bar_width: int = 24, stream=None):
        super().__init__(quiet, "batch", bar_width, stream)
        self.started: float | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        import time

        if self.quiet:
            return
        now = time.monotonic()
        if self.started is None:
            self.started = now
        filled = self.bar_width * done // max(total, 1)
        bar = "#" * filled + "." * (self.bar_width - filled)
        left = "" if not done else f"  {_fmt_duration((now - self.started) / done * (total - done))} left"
        self.stream.write(f"\r\x1b[2K{self.command} [{bar}] {done}/{total}{left}")
        self.stream.flush()
        self.shown = True


def _fmt_duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C (cleanup runs), exits 128 + the signal number."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def run_command(func):
    """Turn refprep's errors into one line and an exit code; a traceback only on request."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        signals = _Signals()
        try:
            return func(*args, **kwargs)
        except Terminated as exc:
            _exit_interrupted(exc.signum)
        except KeyboardInterrupt:
            _exit_interrupted(signal.SIGINT)
        except Exception as exc:  # noqa: BLE001
            if signals.received or _caused_by_interrupt(exc):
                # A library turned the interrupt into its own error (a C extension interrupted
                # while it loads raises ImportError "initialization failed").
                _exit_interrupted(signals.received[0] if signals.received else signal.SIGINT)
            _exit_error(exc)
        finally:
            signals.restore()

    return wrapper


def _exit_interrupted(signum: int):
    click.echo("refprep: interrupted" if signum == signal.SIGINT else "refprep: terminated", err=True)
    sys.exit(EXIT_INTERRUPTED if signum == signal.SIGINT else 128 + signum)


def _exit_error(exc: Exception):
    """Bad input or usage (refprep's own errors) is one line and exit 2; anything else is a
    bug: one line that says so and exit 70, with the traceback under REFPREP_DEBUG=1."""
    if isinstance(exc, RefprepError):
        click.echo(f"refprep: error: {printable(exc)}", err=True)
        sys.exit(exc.exit_code)
    if isinstance(exc, BrokenPipeError):
        # The reader went away (`refprep ... | head`): stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_FAILED_CHECKS)
    if isinstance(exc, MemoryError):  # an image too large for this machine: the input's size
        click.echo("refprep: error: out of memory (try a smaller image, or fewer at once)", err=True)
        sys.exit(EXIT_USAGE)
    if os.environ.get("REFPREP_DEBUG", "") not in ("", "0"):
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    click.echo(f"refprep: internal error ({type(exc).__name__}: {printable(str(exc))[:200]}); "
               "please report it with the input; REFPREP_DEBUG=1 shows the traceback", err=True)
    sys.exit(EXIT_INTERNAL)


def _caused_by_interrupt(exc: BaseException) -> bool:
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


class _Signals:
    """While a command runs (main thread only): Ctrl-C raises KeyboardInterrupt as usual but is
    also remembered, and SIGTERM / SIGHUP unwind the same way (so a half-written package is
    cleaned up) instead of killing the process outright. ``restore`` puts the previous
    handlers back."""

    def __init__(self):
        self.received: list[int] = []
        self.previous = {}
        if threading.current_thread() is not threading.main_thread():
            return
        for number in stop_signals():
            current = signal.getsignal(number)
            if current is (signal.default_int_handler if number == signal.SIGINT else signal.SIG_DFL):
                self.previous[number] = signal.signal(number, self._handle)

    def _handle(self, signum, frame):
        self.received.append(signum)

        def stop():
            raise KeyboardInterrupt() if signum == signal.SIGINT else Terminated(signum)

        deliver(stop)  # not inside a finalizer: see errors.signals_deferred

    def restore(self):
        for number, handler in self.previous.items():
            signal.signal(number, handler)


def emit_json(document: dict) -> None:
    click.echo(json.dumps(document, indent=2))


def _fmt_angle(value) -> str:
    if value is None:
        return "    -"
    degrees = round(value)
    return f"{degrees:+5d}" if degrees else "    0"  # never "-0"


STATUS_STYLE = {"pass": "green", "warn": "yellow", "fail": "red", "skip": None,
                "valid": "green", "valid_with_warnings": "yellow", "invalid": "red"}


def _styled(text: str, status: str) -> str:
    return click.style(text, fg=STATUS_STYLE.get(status))


class OneLineUsageGroup(click.Group):
    """click's usage errors (a missing argument, a bad option value, an unknown command) as one
    line on stderr and exit 2, like refprep's own errors, instead of click's usage block."""

    def make_context(self, info_name, args, parent=None, **extra):
        with _usage_errors_on_one_line():
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx):
        # Resolving the subcommand and parsing its arguments happen here.
        with _usage_errors_on_one_line():
            return super().invoke(ctx)


class _usage_errors_on_one_line:
    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if not isinstance(exc, click.UsageError):
            return False
        command = exc.ctx.command_path if exc.ctx is not None else "refprep"
        click.echo(f"refprep: error: {printable(exc.format_message())} (see '{command} --help')", err=True)
        sys.exit(exc.exit_code)


@click.group(cls=OneLineUsageGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="refprep")
def main():
    """Turn a character design sheet or a few photos into a validated reference package
    for AI video generators (Kling, Runway, Vidu, Hailuo, Veo).

    \b
    Typical use:
      refprep build sheet.png                 # split, clean, classify, check, export
      refprep check photo.jpg                 # is this a good reference? changes nothing
      refprep pose views/ --json              # head pose of every view

    Everything runs offline with the bundled models (see `refprep models`).
    """


def common_output_options(func):
    func = click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout (logs go to stderr).")(func)
    func = click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")(func)
    return func


def package_options(func):
    """The options that shape a package, shared by build and batch."""
    for option in reversed((
        click.option("--preset", type=PRESET_CHOICE, default="generic", show_default=True,
                     help="Target generator (see `refprep presets`)."),
        click.option("--background", default="white", show_default=True, help=BACKGROUND_HELP),
        click.option("--model", type=MODEL_CHOICE, default="u2netp", show_default=True,
                     help="Background-removal model: the bundled u2netp, or a larger rembg model downloaded on first use."),
        click.option("--margin", type=click.FloatRange(0, 1), default=None,
                     help="Space around the views on their shared canvas, as a share of the largest view (default 0.06)."),
        click.option("--force", is_flag=True, help="Replace an existing package (atomically)."),
        click.option("--strict", is_flag=True, help="Exit 1 on warnings too."),
        click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True,
                     help="Where background removal runs; cuda needs onnxruntime-gpu."),
        click.option("--upscale", type=click.Choice(UPSCALE_MODES), default=DEFAULT_UPSCALE, show_default=True,
                     help="Enlarge views with Real-ESRGAN (x4 at most): auto those under the preset's minimum side "
                          "or the resolution check's warn level, always every view, never none. Enlarged detail is "
                          "invented: the resolution check warns."),
        click.option("--closeup", is_flag=True,
                     help="Add a head-and-shoulders close-up cut from the best front view after the views, where the "
                          "preset takes one (never the frontal image); otherwise a warning says why not."),
    )):
        func = option(func)
    return func


def view_options(func):
    """--views / --view / --exclude: the creator's word on the views (numbered from 1 in sheet
    order, row-major, over all inputs; `refprep split` shows the numbers)."""
    func = click.option("--exclude", type=click.IntRange(min=1), multiple=True, metavar="N",
                        help="Leave view N out (repeatable).")(func)
    func = click.option("--view", "view", multiple=True, metavar="N=CLASS",
                        help="Declare one view's class, e.g. --view 2=side_left (repeatable).")(func)
    func = click.option("--views", "views", metavar="CLASS,...",
                        help="Declare every view's class in sheet order: front, three_quarter_left, side_right, back... "
                             "or short forms f,3/4l,3/4r,sl,sr,b; '-' keeps refprep's reading for that view.")(func)
    return func


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False), default="refprep-out", show_default=True,
              help="Folder that receives the package folder NAME/.")
@click.option("--name", help="Package name (default: the first input's file name without extension).")
@package_options
@click.option("--zip", "make_zip", is_flag=True, help="Also write NAME.zip beside the package folder.")
@click.option("--open", "open_report", is_flag=True, help="Open the package's report.html when it is written.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Input files analysed in parallel, one process each (default: one per core).")
@click.option("-v", "--verbose", is_flag=True, help="Print every check of every view.")
@view_options
@common_output_options
@run_command
def build(inputs, out_dir, name, preset, background, model, margin, make_zip, force, strict, open_report, jobs, device,
          upscale, closeup, verbose, views, view, exclude, as_json, quiet):
    """Build a subject package from a sheet, single views, or a folder of them.

    All the inputs are one character. Images in a folder that cannot be read are skipped,
    listed at the end and in the manifest, and the exit code is 1. For one package per sheet
    of a folder, use `refprep batch`.

    \b
    Examples:
      refprep build sheet.png
      refprep build front.jpg side.jpg -o packages --name hero --zip
      refprep build hero-views/ --jobs 4
      refprep build sheet.png --background transparent --json
      refprep build sheet.png --views f,3/4l,sl,b      # the creator's word on the views
    """
    from . import api

    with Progress(quiet, "build") as progress:
        result = api.build(inputs, out_dir=out_dir, name=name, preset=preset, background=background, model=model,
                           zip=make_zip, force=force, margin=margin, jobs=jobs, device=device, views=views,
                           view=view, exclude=exclude, upscale=upscale, closeup=closeup, progress=progress)
    manifest = result.manifest
    if as_json:
        emit_json(result.as_dict())
    else:
        _print_build(result, verbose)
    if open_report:
        click.launch(str(result.package / "report.html"))
    for notice in result.notices:
        click.echo(f"refprep: warning: {printable(notice)}", err=True)
    skipped = manifest.get("skipped", [])
    if skipped:
        click.echo(f"refprep: skipped {len(skipped)} unusable file(s):", err=True)
        for item in skipped:
            click.echo(f"  {item['file']}: {item['reason']}", err=True)
    status = manifest["status"]
    if status == "invalid" or skipped or (strict and status == "valid_with_warnings"):
        sys.exit(EXIT_FAILED_CHECKS)


@main.command()
@click.argument("input_dir", type=click.Path())
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Folder that receives one package folder per character, and batch.json.")
@package_options
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Sheets packaged in parallel, one process each (default: one per core; with --executor dask "
                   "and no --scheduler, the local cluster's workers).")
@click.option("--resume", is_flag=True,
              help="Keep the packages an earlier run of this batch made (same input, same options); do the rest.")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Worker processes on this machine, or Dask workers (pip install \"refprep[dask]\").")
@click.option("--scheduler", metavar="ADDRESS",
              help="The Dask scheduler, e.g. tcp://host:8786 (default: a local Dask cluster).")
@view_options
@common_output_options
@run_command
def batch(input_dir, out_dir, preset, background, model, margin, force, strict, device, upscale, closeup, jobs, resume,
          executor, scheduler, views, view, exclude, as_json, quiet):
    """One package per character: each image in INPUT_DIR is a sheet, each sub-folder of
    single views is one character.

    Writes OUT_DIR/NAME/ for each, and OUT_DIR/batch.json (per input: file, sha256, package,
    status, seconds, error). One bad file fails on its own and the batch goes on. Exit 0 when
    every package is valid, 1 when any is invalid or failed.

    \b
    Examples:
      refprep batch sheets/ -o packages --jobs 4
      refprep batch sheets/ -o packages --resume        # after an interruption
      refprep batch sheets/ -o packages --executor dask --scheduler tcp://10.0.0.5:8786
    """
    from .batch import build_batch

    with BatchProgress(quiet) as progress:
        result = build_batch(input_dir, out_dir, preset=preset, background=background, model=model, margin=margin,
                             views=views, view=view, exclude=exclude, jobs=jobs, resume=resume, force=force,
                             executor=executor, scheduler=scheduler, device=device, upscale=upscale,
                             closeup=closeup, progress=progress)
    if as_json:
        emit_json(result.as_dict())
    else:
        _print_batch(result)
    if not result.succeeded(strict):
        sys.exit(EXIT_FAILED_CHECKS)


def _print_batch(result) -> None:
    """One line per input (status, seconds, package, file, and why it failed), then the counts."""
    for item in result.inputs:
        seconds = "kept" if item.resumed else f"{item.seconds:.1f}s"
        line = f"{item.status:<20} {seconds:>7}  {item.package or '-':<24} {printable(item.file)}"
        if item.error:
            line += f": {printable(item.error)}"
        elif item.skipped:
            line += f" (skipped {', '.join(printable(s['file']) for s in item.skipped)})"
        click.echo(_styled(line, "fail" if item.status == "failed" else item.status))
    counts = result.counts
    click.echo(f"{len(result.inputs)} input(s) in {result.out_dir}: {counts['valid']} valid, "
               f"{counts['valid_with_warnings']} with warnings, {counts['invalid']} invalid, "
               f"{counts['failed']} failed; see {result.out_dir / 'batch.json'}")
    if result.ignored:
        click.echo(f"Ignored (not images by name, or folders without images): "
                   f"{', '.join(printable(name) for name in result.ignored)}")


def _print_build(result, verbose: bool) -> None:
    manifest = result.manifest
    click.echo(f"Package {result.package}  (preset {manifest['preset']})  " + _styled(manifest["status"], manifest["status"]))
    if result.zip_path:
        click.echo(f"Zip     {result.zip_path}")
    for view in manifest["views"]:
        click.echo(f"  {view['file']:<28} {view['view']:<20} yaw {_fmt_angle(view['yaw_deg'])}  "
                   f"conf {view['pose_confidence']:.2f} {view['pose_method']:<15} {view['width']}x{view['height']} "
                   f"{view['format']:<4} " + _styled(view["status"], view["status"]))
        if verbose:
            for check in view["checks"]:
                click.echo(f"      {check['id']:<15} " + _styled(f"{check['status']:<5}", check["status"]) + f" {check['message']}")
    for title, lines in (("Left out", [f"view {item['index']} ({item['view']}): {item['reason']}" for item in manifest["excluded"]]),
                         ("Problems", manifest["problems"]), ("Warnings", manifest["warnings"])):
        if lines:
            click.echo(f"{title}:")
            for line in lines:
                click.echo(f"  - {line}")
    click.echo(f"Open {result.package / 'report.html'} to see every check.")


@main.command()
@click.argument("images", nargs=-1, required=True, type=click.Path())
@click.option("--preset", type=PRESET_CHOICE, default="generic", show_default=True, help="Thresholds of this preset.")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@click.option("-v", "--verbose", is_flag=True, help="Show passing checks too.")
@view_options
@common_output_options
@run_command
def check(images, preset, strict, verbose, views, view, exclude, as_json, quiet):
    """Check images as references, as they are; nothing is changed.

    Exit 1 when any image fails a check.

    \b
    Example:
      refprep check photo.jpg other.png
    """
    from . import api

    with Progress(quiet, "check") as progress:
        report = api.check(images, preset=preset, progress=progress, views=views, view=view, exclude=exclude)
    if as_json:
        emit_json(report.as_dict())
    else:
        for image in report["images"]:
            _print_check_table(image, verbose)
    statuses = {image["status"] for image in report["images"]}
    if "fail" in statuses or (strict and "warn" in statuses):
        sys.exit(EXIT_FAILED_CHECKS)


CHECK_TABLE_HEADER = ("check", "result", "value", "limit")


def _fmt_number(value) -> str:
    if value is None:
        return "-"
    value = float(value)
    if value == int(value) or abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


def _print_check_table(image: dict, verbose: bool) -> None:
    """One image's verdict, its views, and a table of what failed or warned: the check, its
    value against its limit, and the advice (what is wrong and what to do), wrapped."""
    import shutil
    import textwrap

    counts = {status: sum(c["status"] == status for v in image["views"] for c in v["checks"])
              for status in ("fail", "warn")}
    click.echo(_styled(f"{image['status'].upper():<5}", image["status"]) + f" {image['file']}  "
               f"({counts['fail']} failed, {counts['warn']} warned)")
    width = max(60, shutil.get_terminal_size((100, 24)).columns)
    for number, view in enumerate(image["views"], 1):
        click.echo(f"  view {number}: {view['view']}  yaw {_fmt_angle(view['yaw_deg']).strip()}  "
                   f"pitch {_fmt_angle(view['pitch_deg']).strip()}  roll {_fmt_angle(view['roll_deg']).strip()}  "
                   f"({view['pose_method']}, confidence {view['pose_confidence']:.2f})  box {view['bbox']}")
        shown = [c for c in view["checks"] if verbose or c["status"] in ("warn", "fail")]
        if not shown:
            click.echo("    every check passed (-v lists them)")
            continue
        click.echo("    " + "{:<15} {:<6} {:>7} {:>7}  {}".format(*CHECK_TABLE_HEADER, "what is wrong / what to do"))
        indent = " " * 4 + " " * 40
        for c in shown:
            advice = textwrap.wrap(c["message"], max(30, width - len(indent))) or [""]
            row = f"    {c['id']:<15} " + _styled(f"{c['status']:<6}", c["status"]) + \
                  f" {_fmt_number(c['value']):>7} {_fmt_number(c['threshold']):>7}  {advice[0]}"
            click.echo(row)
            for line in advice[1:]:
                click.echo(indent + line)


@main.command()
@click.argument("sheet", type=click.Path())
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False),
              help="Folder for the view crops and views.json (default: refprep-out/NAME-views).")
@click.option("--margin", type=click.FloatRange(0, 1), default=None,
              help="Margin around each view, as a share of the largest view (default 0.06).")
@click.option("--force", is_flag=True, help="Replace view files already in the output folder.")
@common_output_options
@run_command
def split(sheet, out_dir, margin, force, as_json, quiet):
    """Cut a sheet into its views (original pixels, with a margin); labels, frames and
    panels are reported as annotations, not views."""
    from . import api

    with Progress(quiet, "split") as progress:
        report = api.split(sheet, out_dir=out_dir, margin=margin, force=force, progress=progress)
    if as_json:
        emit_json(report.as_dict())
        return
    image = report["images"][0]
    click.echo(f"{image['file']}: {len(image['views'])} view(s), backdrop {image['background']}, "
               f"{len(image['annotations'])} annotation(s) left out")
    for view in image["views"]:
        click.echo(f"  {view['file']}  box {view['bbox']}")


@main.command()
@click.argument("images", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False),
              help="Folder for the cleaned images (default: refprep-out/clean).")
@click.option("--background", default="white", show_default=True, help=BACKGROUND_HELP)
@click.option("--model", type=MODEL_CHOICE, default="u2netp", show_default=True,
              help="Background-removal model (see build --help).")
@click.option("--force", is_flag=True, help="Replace files already in the output folder.")
@common_output_options
@run_command
def clean(images, out_dir, background, model, force, as_json, quiet):
    """Remove the background only: each view on a flat background."""
    from . import api

    with Progress(quiet, "clean") as progress:
        report = api.clean(images, out_dir=out_dir, background=background, model=model, force=force,
                           progress=progress)
    if as_json:
        emit_json(report.as_dict())
        return
    for image in report["images"]:
        for view in image["views"]:
            click.echo(f"{image['file']} -> {view['file']}")


@main.command()
@click.argument("images", nargs=-1, required=True, type=click.Path())
@view_options
@common_output_options
@run_command
def pose(images, views, view, exclude, as_json, quiet):
    """Head-pose class, yaw/pitch/roll and confidence of every view in each image.

    Yaw is positive when the nose points toward the image's right edge.
    """
    from . import api

    with Progress(quiet, "pose") as progress:
        report = api.pose(images, progress=progress, views=views, view=view, exclude=exclude)
    if as_json:
        emit_json(report.as_dict())
        return
    for image in report["images"]:
        click.echo(image["file"])
        for view in image["views"]:
            click.echo(f"  {view['view']:<20} yaw {_fmt_angle(view['yaw_deg'])} pitch {_fmt_angle(view['pitch_deg'])} "
                       f"roll {_fmt_angle(view['roll_deg'])}  conf {view['pose_confidence']:.2f} ({view['pose_method']})"
                       f"  box {view['bbox']}")


@main.command()
@click.argument("package", type=click.Path())
@click.option("--preset", type=PRESET_CHOICE, default=None,
              help="Judge against this preset's rules (default: the one it was built for).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@run_command
def validate(package, preset, as_json):
    """Re-check an exported package (folder or zip): manifest schema, sha256 of every file,
    every rule of the preset, every recorded check. Exit 1 when anything fails.

    \b
    Examples:
      refprep validate refprep-out/hero
      refprep validate hero.zip --preset runway-gen4
    """
    from . import api

    report = api.validate(package, preset=preset)
    if as_json:
        emit_json(report.as_dict())
    else:
        click.echo(f"{report.package} (preset {report.preset}): " + _styled(report.status, report.status))
        for problem in report.problems:
            click.echo(f"  - {problem}")
        if report.warnings:
            click.echo(f"  {len(report.warnings)} warning(s); see the package's report.html")
    if report.status != "valid":
        sys.exit(EXIT_FAILED_CHECKS)


@main.command()
@click.argument("package", type=click.Path())
@click.option("--for", "preset", type=PRESET_CHOICE, required=True, help="The generator whose API takes the body.")
@click.option("--image-url-prefix", metavar="URL",
              help="Send each image as URL/FILE (where you upload the package's images) instead of inline.")
@click.option("--inline", is_flag=True, help="Send the images inline, as data URIs or base64 (the default).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the body with its endpoint, schema and images in one JSON document.")
@run_command
def request(package, preset, image_url_prefix, inline, as_json):
    """Print the JSON body a generator's API takes for a package's images; nothing is sent.

    The body carries the images only: add your prompt, model and settings. It is checked
    against the vendor's JSON Schema shipped with refprep. Exit 1 when the package breaks the
    preset's rules or an image is too large to go inline.

    \b
    Examples:
      refprep request refprep-out/hero --for runway-gen4 > body.json
      refprep request hero.zip --for vidu-q2 --image-url-prefix https://cdn.example.com/hero
    """
    from . import api
    from .errors import UsageError

    if inline and image_url_prefix is not None:
        raise UsageError("--inline and --image-url-prefix exclude each other: the images go inline or by URL")
    sent = api.request(package, preset, image_url_prefix=image_url_prefix)
    emit_json(sent.as_dict() if as_json else sent.body)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@run_command
def models(as_json):
    """Which models are bundled, cached, or available to download."""
    from .models import model_status, models_dir

    rows = model_status()
    if as_json:
        emit_json({"models_dir": str(models_dir()), "models": rows})
        return
    click.echo(f"Bundled models in {models_dir()}")
    for row in rows:
        click.echo(f"  {row['name']:<28} {row['status']:<36} {row['purpose']}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
def presets(as_json):
    """The export presets: what each generator accepts, and where each limit comes from."""
    if as_json:
        emit_json({"presets": [preset.as_dict() for preset in PRESETS.values()]})
        return
    for preset in PRESETS.values():
        aliases = f" (also {', '.join(preset.aliases)})" if preset.aliases else ""
        click.echo(click.style(preset.name, bold=True) + f"{aliases}  {preset.generator}: {preset.description}")
        click.echo(f"    {preset.summary()}")
        rules_by_source: dict[str, list[str]] = {}
        for rule, source in preset.sources.items():
            rules_by_source.setdefault(source, []).append(rule)
        for source, rules in rules_by_source.items():
            click.echo(f"    [{', '.join(rules)}] {source}")
        click.echo("")


if __name__ == "__main__":
    main()
