"""Many characters at once: ``refprep batch`` and ``refprep.build_batch``.

Every image directly inside the input folder is a sheet, one character; every sub-folder of
images is one character too (its single views together). Each becomes its own package in the
output folder, built exactly as ``build`` builds it (``api.analyse_source`` per image, then
``api.compose_package``), in worker processes that load their models once: a local process
pool (``executor="local"``) or the workers of a Dask cluster (``executor="dask"``, see
``batch_dask.py``). Workers send the finished package back as bytes and this process writes it
with ``package.write_files`` (all or nothing), so Dask workers need no shared file system and
a package is never half-written whoever computed it.

Each package's manifest records, in its ``batch`` field, the sha256 of its input and of the
options that shape it; ``resume`` skips an input whose package already records both, so a batch
killed at any moment and run again with ``resume`` ends with every package once and complete.
``OUT_DIR/batch.json`` (rewritten after every input) lists each input's outcome.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .api import (BuildSettings, Pipeline, Progress, _Document, _no_progress, available_cores, checked_target,
                  compose_package, declaration, judge_package_views, usable_analyses, write_outputs, _attempt)
from .errors import InputError, OutputError, RefprepError, UsageError, printable
from .models import DEFAULT_UPSCALE

BATCH_RECORD = "batch.json"
BATCH_SCHEMA = "refprep.batch/1"
FAILED = "failed"
STATUSES = ("valid", "valid_with_warnings", "invalid", FAILED)


@dataclass(frozen=True)
class BatchInput:
    """One character of the batch: ``file`` names it relative to the input folder (``hero.png``,
    or ``villain/`` for a sub-folder), ``paths`` are its images, ``package`` the name of its
    package folder and ``sha256`` the hash of its content (a sub-folder's: of its files' names
    and hashes)."""

    file: str
    paths: tuple[Path, ...]
    package: str
    sha256: str

    @property
    def is_folder(self) -> bool:
        return self.file.endswith("/")


@dataclass(frozen=True)
class BatchSettings:
    """The build options every package of a batch shares; plain values, sent to the workers."""

    build: BuildSettings
    background: str  # as the manifest records it: white, green, transparent or #rrggbb
    views: str | None = None
    view: tuple[str, ...] = ()
    exclude: tuple[int, ...] = ()
    upscale: str = DEFAULT_UPSCALE
    closeup: bool = False

    def options(self) -> dict:
        """Every option that changes a package's bytes (``closeup`` only when asked for, so
        the packages of a batch made without it resume as they are)."""
        return {"preset": self.build.preset, "background": self.background, "margin": self.build.margin,
                "model": self.build.model, "views": self.views, "view": list(self.view),
                "exclude": list(self.exclude), "upscale": self.upscale, **({"closeup": True} if self.closeup else {})}

    def options_sha256(self) -> str:
        return hashlib.sha256(json.dumps(self.options(), sort_keys=True).encode("utf-8")).hexdigest()

    def record(self, item: BatchInput) -> dict:
        """The manifest's ``batch`` field for ``item``'s package: what ``resume`` compares."""
        return {"input": item.file, "input_sha256": item.sha256, "options_sha256": self.options_sha256()}


@dataclass
class Packaged:
    """A worker's answer for one character: the package's files to write (none when it
    failed), its status and manifest, or the one-line reason it failed."""

    file: str
    status: str
    seconds: float
    manifest: dict | None = None
    files: list[tuple[str, bytes]] = field(default_factory=list, repr=False)
    error: str | None = None


@dataclass
class InputOutcome(_Document):
    """One input of the batch in ``batch.json``: its package (None when it failed), status
    (valid, valid_with_warnings, invalid or failed), the seconds it took, the reason it failed,
    the images of a sub-folder that could not be used (``skipped``) and whether an earlier run
    had already made its package (``resumed``)."""

    file: str
    sha256: str | None
    package: str | None
    status: str
    seconds: float
    error: str | None = None
    skipped: list[dict] = field(default_factory=list)
    resumed: bool = False

    def as_dict(self) -> dict:
        return {"file": self.file, "sha256": self.sha256, "package": self.package, "status": self.status,
                "seconds": round(self.seconds, 3), "error": self.error,
                **({"skipped": self.skipped} if self.skipped else {}), "resumed": self.resumed}


@dataclass
class BatchResult(_Document):
    """What ``build_batch`` did: one ``InputOutcome`` per input in the input folder's order,
    the folder the packages are in, the options, and the entries of the input folder that are
    not inputs (``ignored``: files not named as images, folders without images); ``as_dict()``
    is ``batch.json`` and what ``refprep batch --json`` prints."""

    out_dir: Path
    options: dict
    executor: str
    inputs: list[InputOutcome]
    ignored: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {status: sum(item.status == status for item in self.inputs) for status in STATUSES}

    def succeeded(self, strict: bool = False) -> bool:
        """Every input packaged and valid (with ``strict``, without warnings), no image of a
        sub-folder skipped: the CLI's exit 0."""
        allowed = ("valid",) if strict else ("valid", "valid_with_warnings")
        return all(item.status in allowed and not item.skipped for item in self.inputs)

    def as_dict(self) -> dict:
        return {"schema": BATCH_SCHEMA, "executor": self.executor, "options": self.options, "counts": self.counts,
                "inputs": [item.as_dict() for item in self.inputs], "ignored": self.ignored}


def find_characters(input_dir: Path, out_dir: Path) -> tuple[list[BatchInput], list[InputOutcome], list[str]]:
    """The characters in ``input_dir``, in name order: each image file in it, and each
    sub-folder holding images; an input that cannot even be read, as a failed
    ``InputOutcome``; and the names of the other entries, passed over (files not named as
    images, folders without images; hidden entries, ``out_dir`` and packages are not listed)."""
    from .api import unique_stems
    from .stages.load import IMAGE_SUFFIXES, find_images
    from .stages.package import safe_package_name

    if not input_dir.is_dir():
        raise InputError(input_dir, "not a folder (batch takes a folder of sheets)" if input_dir.exists()
                         else "no such folder")
    try:
        entries = sorted(path for path in input_dir.iterdir() if not path.name.startswith("."))
    except OSError as exc:
        raise InputError(input_dir, f"cannot read folder ({exc.strerror or exc})") from None
    found: list[tuple[str, tuple[Path, ...]]] = []
    unreadable, ignored = [], []
    for path in entries:
        if path.is_dir() and ((path / "manifest.json").exists() or path.resolve() == out_dir.resolve()):
            continue  # refprep's own output, in the input folder
        if path.is_dir():
            try:
                images = tuple(find_images(path))
            except OSError:
                images = ()
            if images:
                found.append((f"{path.name}/", images))
            else:
                ignored.append(f"{path.name}/")
        elif path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
            found.append((path.name, (path,)))
        elif path.suffix.lower() in IMAGE_SUFFIXES:  # never opened: a pipe would block the batch
            reason = ("not a regular file (a pipe, device or socket), not an image" if path.exists()
                      else "no such file (a broken or looping symbolic link)")
            unreadable.append(InputOutcome(path.name, None, None, FAILED, 0.0, reason))
        else:
            ignored.append(path.name)
    if not found and not unreadable:
        raise InputError(input_dir, "holds no sheets (png, jpg, webp, tif, bmp, gif) or folders of them")
    # Package names: a sheet's stem, a folder's name; "-2" and so on where two would clash.
    names = unique_stems([safe_package_name(file[:-1] if file.endswith("/") else Path(file).stem)
                          for file, _ in found])
    characters = []
    for (file, paths), name in zip(found, names):
        try:
            characters.append(BatchInput(file, paths, name, _content_sha256(file, paths)))
        except OSError as exc:
            unreadable.append(InputOutcome(file, None, None, FAILED, 0.0, f"cannot read ({exc.strerror or exc})"))
    return characters, unreadable, ignored


def _content_sha256(file: str, paths: tuple[Path, ...]) -> str:
    if not file.endswith("/"):
        return _file_sha256(paths[0])
    listing = "".join(f"{path.name}\0{_file_sha256(path)}\n" for path in paths)
    return hashlib.sha256(listing.encode("utf-8", "surrogateescape")).hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_character(pipeline: Pipeline, item: BatchInput, paths: tuple[Path, ...],
                      settings: BatchSettings) -> Packaged:
    """What ``build`` does for one character, short of writing: ``item``'s images (read from
    ``paths``, which a Dask worker has as copies) analysed with ``pipeline``'s models, the
    views declared, the package composed. An unusable input, or a bug, fails this character
    only, with a one-line reason."""
    from .targets.presets import get_preset

    start = time.perf_counter()
    try:
        outcomes = [_attempt(pipeline, path, item.is_folder, settings.build) for path in paths]
        merged, skipped = usable_analyses(outcomes, item.file)
        preset = get_preset(settings.build.preset)
        declared = declaration(settings.views, settings.view, settings.exclude)
        judge_package_views(merged, declared, preset, settings.build.target)
        draft = compose_package(merged, preset, item.package, settings.background, skipped=skipped,
                                excluded=declared.excluded, record=settings.record(item),
                                upscale=settings.upscale, upscaler=pipeline.upscaler, closeup=settings.closeup)
    except InputError as exc:
        return Packaged(item.file, FAILED, time.perf_counter() - start, error=printable(exc.reason))
    except RefprepError as exc:
        return Packaged(item.file, FAILED, time.perf_counter() - start, error=printable(exc))
    except MemoryError:
        return Packaged(item.file, FAILED, time.perf_counter() - start, error="out of memory")
    except Exception as exc:  # noqa: BLE001  a bug on one input must not stop the others
        return Packaged(item.file, FAILED, time.perf_counter() - start,
                        error=f"internal error ({type(exc).__name__}: {printable(str(exc))[:200]}); please report it")
    return Packaged(item.file, draft.manifest["status"], time.perf_counter() - start, draft.manifest, draft.files)


def build_batch(input_dir, out_dir, preset: str = "generic", background: str = "white", model: str = "u2netp",
                margin: float | None = None, views=None, view=(), exclude=(), jobs: int | None = None,
                resume: bool = False, force: bool = False, executor: str = "local", scheduler: str | None = None,
                device: str = "cpu", upscale: str = DEFAULT_UPSCALE, closeup: bool = False,
                progress: Progress | None = None) -> BatchResult:
    """One package per character in ``input_dir``, each in ``out_dir/NAME``, and
    ``out_dir/batch.json``.

    Parameters
    ----------
    input_dir : path
        A folder of sheets; each image in it is one character, each sub-folder of single
        views is one character.
    out_dir : path
        Where the packages (``NAME/``, NAME the sheet's stem or the sub-folder's name) and
        ``batch.json`` go.
    preset, background, model, margin, views, view, exclude, device, upscale, closeup
        As for `build`; the same for every package.
    jobs : int, optional
        Worker processes (default: one per core); with ``executor="dask"`` and no
        ``scheduler``, the workers of the local Dask cluster.
    resume : bool, default False
        Skip the inputs whose package is already there for the same input and options (a
        batch run again after it was stopped or killed).
    force : bool, default False
        Replace packages already there that ``resume`` would not keep (otherwise OutputError,
        before any work).
    executor : {"local", "dask"}
        A process pool on this machine, or Dask (``pip install "refprep[dask]"``).
    scheduler : str, optional
        With Dask, the scheduler's address (``tcp://HOST:8786``); without it a LocalCluster of
        ``jobs`` workers starts.
    progress : callable, optional
        ``progress("packages", done, total)`` after each input.

    Returns
    -------
    BatchResult
        ``inputs`` (file, sha256, package, status, seconds, error per input), ``counts``;
        ``as_dict()`` is what ``batch.json`` holds.

    Raises
    ------
    InputError
        ``input_dir`` is not a folder of images.
    OutputError
        A package is in the way (without ``force``), or ``batch.json`` is (without ``resume``
        or ``force``).

    Examples
    --------
    >>> import refprep, shutil, tempfile
    >>> from pathlib import Path
    >>> sheets = Path(tempfile.mkdtemp())
    >>> _ = shutil.copy("fixtures/single_front_white.png", sheets / "hero.png")
    >>> result = refprep.build_batch(sheets, Path(tempfile.mkdtemp()) / "out", jobs=1)
    >>> [(item.file, item.package, item.status) for item in result.inputs]
    [('hero.png', 'hero', 'invalid')]
    """
    from .stages.clean import needs_download
    from .stages.package import _folder_lock, _make_folder, recover
    from .stages.upscale import check_upscale_mode

    check_upscale_mode(upscale)
    if executor not in ("local", "dask"):
        raise UsageError(f"unknown executor {executor!r} (local or dask)")
    if scheduler and executor != "dask":
        raise UsageError("--scheduler needs --executor dask")
    chosen, background, target_colour = checked_target(preset, background, device)
    declared = declaration(views, view, exclude)  # a malformed one is bad usage before any work
    settings = BatchSettings(BuildSettings(chosen.name, target_colour, margin, model, device), background,
                             views if isinstance(views, str) or views is None else ",".join(v or "-" for v in views),
                             tuple(f"{number}={name}" for number, name in view.items()) if isinstance(view, dict)
                             else tuple(view or ()), tuple(sorted(declared.excluded)), upscale, closeup)
    out_dir = Path(out_dir)
    characters, outcomes, ignored = find_characters(Path(input_dir), out_dir)
    if (out_dir / BATCH_RECORD).exists() and not (resume or force):
        raise OutputError(f"{out_dir / BATCH_RECORD}: an earlier batch wrote here "
                          "(use --resume to finish it, --force to redo it)")
    _make_folder(out_dir)
    with _folder_lock(out_dir):
        recover(out_dir)  # what a killed run left behind (hidden, unfinished)
    pending = []
    for item in characters:
        kept = _kept_manifest(out_dir / item.package, settings.record(item)) if resume else None
        if kept:
            outcomes.append(InputOutcome(item.file, item.sha256, item.package, kept["status"], 0.0,
                                         skipped=kept.get("skipped", []), resumed=True))
        else:
            pending.append(item)
    in_the_way = [item.package for item in pending if (out_dir / item.package).exists()]
    if in_the_way and not force:
        more = f" and {len(in_the_way) - 1} more" if len(in_the_way) > 1 else ""
        raise OutputError(f"{out_dir / in_the_way[0]}{more}: package exists (--resume keeps only the packages "
                          "this batch made with these options; --force replaces it)")

    result = BatchResult(out_dir, settings.options(), executor, outcomes, ignored)
    _save(result)
    progress = progress or _no_progress
    by_file = {item.file: item for item in pending}
    # A model that still has to be downloaded is fetched by one process, not by every worker.
    jobs = 1 if needs_download(model) else max(1, jobs or available_cores())
    run = _run_dask(pending, settings, jobs, scheduler) if executor == "dask" else _run_local(pending, settings, jobs)
    progress("packages", 0, len(pending))
    for done, packaged in enumerate(run, 1):
        result.inputs.append(_written(out_dir, by_file[packaged.file], packaged, force))
        _save(result)  # after each input: a killed batch still says what it had done
        progress("packages", done, len(pending))
    return result


def _save(result: BatchResult) -> None:
    """``batch.json``, inputs in name order, replaced atomically."""
    result.inputs.sort(key=lambda item: item.file)
    document = (json.dumps(result.as_dict(), indent=2) + "\n").encode("utf-8")
    write_outputs(result.out_dir, [(BATCH_RECORD, document)], force=True)


def _kept_manifest(package: Path, wanted: dict) -> dict | None:
    """The manifest of the package at ``package`` when it records ``wanted`` (same input, same
    options), else None. A package is written all or nothing, so a manifest there means a
    complete package."""
    try:
        manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("batch") != wanted or manifest.get("status") not in STATUSES:
        return None
    return manifest


def _written(out_dir: Path, item: BatchInput, packaged: Packaged, force: bool) -> InputOutcome:
    """Write ``packaged``'s files as ``item``'s package; its outcome for batch.json."""
    from .stages.package import write_files

    if packaged.status == FAILED:
        return InputOutcome(item.file, item.sha256, None, FAILED, packaged.seconds, packaged.error)
    try:
        write_files(out_dir / item.package, packaged.files, force=force)
    except OutputError as exc:
        return InputOutcome(item.file, item.sha256, None, FAILED, packaged.seconds, printable(exc))
    return InputOutcome(item.file, item.sha256, item.package, packaged.status, packaged.seconds,
                        skipped=packaged.manifest.get("skipped", []))


def _run_local(items: list[BatchInput], settings: BatchSettings, jobs: int) -> Iterator[Packaged]:
    """``package_character`` on every item, as each finishes: in this process with one job,
    else in a pool of ``jobs`` processes that load their models once (as ``build --jobs``).
    When a worker dies (a crash, out of memory) the pool is lost: the items not finished then
    run again, each in a pool of its own, so only the one that kills its worker fails."""
    jobs = max(1, min(jobs, len(items)))
    if not items:
        return
    if jobs == 1:
        with Pipeline(settings.build.model, device=settings.build.device) as pipeline:
            for item in items:
                yield package_character(pipeline, item, item.paths, settings)
        return
    threads = max(1, available_cores() // jobs)
    unfinished = yield from _pool_round(items, settings, jobs, threads)
    for item in unfinished:
        again = yield from _pool_round([item], settings, 1, threads)
        for lost in again:
            yield Packaged(lost.file, FAILED, 0.0, error="the worker process died while packaging it "
                                                         "(out of memory, or a crash in a model library)")


def _pool_round(items: list[BatchInput], settings: BatchSettings, jobs: int,
                threads: int) -> Iterator[Packaged]:
    """One process pool over ``items``; yields each result and returns the items left
    unfinished when a worker died."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    from .api import _start_worker

    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
                               initargs=(settings.build, threads))
    futures = {pool.submit(_package_in_worker, item, settings): item for item in items}
    finished = set()
    try:
        for future in as_completed(futures):
            try:
                packaged = future.result()
            except BrokenProcessPool:
                break
            finished.add(futures[future].file)
            yield packaged
    finally:
        # On an error or Ctrl-C nothing new starts; a worker busy with a sheet finishes it first.
        pool.shutdown(wait=False, cancel_futures=True)
    return [item for item in items if item.file not in finished]


def _package_in_worker(item: BatchInput, settings: BatchSettings) -> Packaged:
    from . import api

    return package_character(api._worker_pipeline, item, item.paths, settings)


def _run_dask(items: list[BatchInput], settings: BatchSettings, jobs: int,
              scheduler: str | None) -> Iterator[Packaged]:
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        raise UsageError('--executor dask needs Dask: pip install "refprep[dask]"')
    from .batch_dask import run_on_dask

    return run_on_dask(items, settings, jobs, scheduler)
