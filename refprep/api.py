"""The Python API: each function runs the stages the matching CLI command runs.

Follow one sheet through ``build``: ``analyse_source`` runs ``load_image`` (load.py) ->
``split_source`` (split.py) -> ``matte_views`` + ``composite_views`` (clean.py) ->
``estimate_poses`` (pose.py) -> ``check_view`` (quality.py) on each input file, in worker
processes when there are several files and ``jobs`` > 1; ``compare_views`` holds every view
against the others (consistency.py); then ``export_package`` runs
``select_views`` + ``export_view`` (export.py) -> ``package_findings`` (rules.py) ->
``package_files`` (package.py, which draws the contact sheet and report with report.py) ->
``write_files`` (package.py, all or nothing). ``refprep.batch`` runs the same per character.
``validate`` reads a package back (validation.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

import numpy as np

from .data import Background, Check, Source, View, worst_status
from .errors import InputError, RefprepError, UsageError
from .models import DEFAULT_UPSCALE
from .stages.load import find_images, load_image

if TYPE_CHECKING:
    from .stages.validation import ValidationReport
    from .targets.requests import VendorRequest

# progress(stage, done, total): called as work advances; the CLI draws it on stderr.
Progress = Callable[[str, int, int], None]

DEFAULT_OUT_DIR = Path("refprep-out")
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


@dataclass
class BuildResult:
    """What ``build`` wrote: the package folder, its manifest and the views that went in."""

    package: Path
    manifest: dict
    views: list[View] = field(repr=False)
    zip_path: Path | None = None
    # Advice about the inputs that is no fault of the package (the CLI prints it on stderr).
    notices: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.manifest["status"]

    def as_dict(self) -> dict:
        """What ``refprep build --json`` prints: the manifest and the package's path."""
        return {**self.manifest, "package": str(self.package)}


class _Document:
    """A typed result that also reads like the JSON document it prints: ``report["images"]``
    is ``report.as_dict()["images"]`` (the style of refprep 0.1's dict results)."""

    def as_dict(self) -> dict:
        raise NotImplementedError

    def __getitem__(self, key: str):
        return self.as_dict()[key]

    def __contains__(self, key: object) -> bool:
        return key in self.as_dict()

    def get(self, key: str, default=None):
        return self.as_dict().get(key, default)

    def keys(self):
        return self.as_dict().keys()


@dataclass
class _Report(_Document):
    """A command's result over its input images: ``as_dict()`` is ``{"images": [...]}``."""

    images: list

    def as_dict(self) -> dict:
        return {"images": [image.as_dict() for image in self.images]}


@dataclass
class _ImageViews(_Document):
    """One input image and what was found or written for each of its views."""

    file: str
    views: list

    def as_dict(self) -> dict:
        return {"file": self.file, "views": [v.as_dict() for v in self.views]}


@dataclass
class ViewPose(_Document):
    """One view's class and head pose, and where it sits in its image (``bbox`` = x, y, w, h
    in the image's pixels). Angles in degrees, None where not measured; ``pose_conflict``
    says what strong evidence found where a declared class disagrees with it;
    ``pose_evidence`` is what each reader saw."""

    view: str
    yaw_deg: float | None
    pitch_deg: float | None
    roll_deg: float | None
    pose_confidence: float
    pose_method: str
    bbox: tuple[int, int, int, int]
    kind: str
    pose_conflict: str | None = None
    pose_evidence: list[dict] = field(default_factory=list, repr=False)

    @classmethod
    def from_view(cls, view: View) -> "ViewPose":
        pose = view.pose.as_dict()
        return cls(pose["view"], pose["yaw_deg"], pose["pitch_deg"], pose["roll_deg"], pose["pose_confidence"],
                   pose["pose_method"], tuple(int(v) for v in view.bbox), view.kind, pose.get("pose_conflict"),
                   pose.get("pose_evidence", []))

    def _pose_dict(self) -> dict:
        return {"view": self.view, "yaw_deg": self.yaw_deg, "pitch_deg": self.pitch_deg, "roll_deg": self.roll_deg,
                "pose_confidence": self.pose_confidence, "pose_method": self.pose_method,
                **({"pose_conflict": self.pose_conflict} if self.pose_conflict else {}),
                **({"pose_evidence": list(self.pose_evidence)} if self.pose_evidence else {}),
                "bbox": list(self.bbox), "kind": self.kind}

    def as_dict(self) -> dict:
        return self._pose_dict()


@dataclass
class ViewCheck(ViewPose):
    """One view as ``check`` judged it: its pose, its status and every check's verdict."""

    status: str = "pass"
    checks: list[Check] = field(default_factory=list)

    @classmethod
    def from_view(cls, view: View) -> "ViewCheck":
        return replace(super().from_view(view), status=view.status, checks=list(view.checks))

    def as_dict(self) -> dict:
        return {**self._pose_dict(), "status": self.status, "checks": [c.as_dict() for c in self.checks]}


@dataclass
class ImageCheck(_Document):
    """One checked image: ``status`` pass, warn or fail; ``checks``, the worst result of each
    check over its views; ``views``, each view's own verdicts."""

    file: str
    status: str
    checks: list[Check]
    views: list[ViewCheck]

    def as_dict(self) -> dict:
        return {"file": self.file, "status": self.status, "checks": [c.as_dict() for c in self.checks],
                "views": [v.as_dict() for v in self.views]}


@dataclass
class CheckReport(_Report):
    """What ``check`` found: one ``ImageCheck`` per image; ``as_dict()`` is what
    ``refprep check --json`` prints."""

    images: list[ImageCheck]

    @property
    def status(self) -> str:
        """The worst image's status: pass, warn or fail."""
        return worst_status(image.status for image in self.images)


@dataclass
class ImagePose(_ImageViews):
    """The views found in one image, each with its class and angles."""

    file: str
    views: list[ViewPose]


@dataclass
class PoseReport(_Report):
    """What ``pose`` found: one ``ImagePose`` per image; ``as_dict()`` is what
    ``refprep pose --json`` prints."""

    images: list[ImagePose]


@dataclass
class SplitView(_Document):
    """One view cut from a sheet: its box in the sheet, the file it was written to, ``kind``
    (figure or photo) and ``framing`` (full_body, close_up or photo)."""

    bbox: tuple[int, int, int, int]
    file: str
    kind: str
    framing: str

    def as_dict(self) -> dict:
        return {"bbox": list(self.bbox), "file": self.file, "kind": self.kind, "framing": self.framing}


@dataclass
class SplitImage(_Document):
    """One split sheet: its backdrop's kind, its views, and what was left out as not a view
    (labels, frames, panels: ``annotations``)."""

    file: str
    background: str
    views: list[SplitView]
    annotations: list[dict]

    def as_dict(self) -> dict:
        return {"file": self.file, "background": self.background, "views": [v.as_dict() for v in self.views],
                "annotations": self.annotations}


@dataclass
class SplitReport(_Report):
    """What ``split`` wrote; ``as_dict()`` is ``views.json`` and what ``refprep split --json``
    prints."""

    images: list[SplitImage]
    folder: Path | None = None  # where the views and views.json were written


@dataclass
class CleanView(_Document):
    """One cleaned view: its box in the input image and the file written."""

    bbox: tuple[int, int, int, int]
    file: str

    def as_dict(self) -> dict:
        return {"bbox": list(self.bbox), "file": self.file}


@dataclass
class CleanImage(_ImageViews):
    """The cleaned views of one input image."""

    file: str
    views: list[CleanView]


@dataclass
class CleanReport(_Report):
    """What ``clean`` wrote; ``as_dict()`` is what ``refprep clean --json`` prints."""

    images: list[CleanImage]
    folder: Path | None = None  # where the cleaned images were written


@dataclass
class SheetAnalysis:
    """Sources and their views after split (and whatever later stages added)."""

    sources: list[Source]
    backgrounds: list[Background]
    views: list[View]
    annotations: list[list[dict]]
    # Text read on each source by the split (evidence.text.TextLine), reused by the pose stage.
    texts: list[list] = field(default_factory=list)


class Pipeline:
    """Model sessions for one run (or one worker process), created on first use and reused
    for every view. ``threads`` caps ONNX Runtime's threads (None: its default, all cores);
    ``device`` "cuda" runs the segmentation model on the GPU."""

    def __init__(self, model: str = "u2netp", progress: Progress | None = None, device: str = "cpu",
                 threads: int | None = None):
        self.model = model
        self.progress = progress or _no_progress
        self.device = device
        self.threads = threads
        self._segmenter = None
        self._poser = None
        self._upscaler = None

    @property
    def segmenter(self):
        if self._segmenter is None:
            from .stages.clean import RememberingSession, announce_download, new_session

            announce_download(self.model)
            self._segmenter = RememberingSession(new_session(self.model, threads=self.threads, device=self.device))
        return self._segmenter

    @property
    def poser(self):
        if self._poser is None:
            from .stages.pose import PoseEstimator

            self._poser = PoseEstimator()
        return self._poser

    @property
    def upscaler(self):
        """Real-ESRGAN for ``--upscale``; its session loads when a view is first enlarged."""
        if self._upscaler is None:
            from .stages.upscale import Upscaler

            self._upscaler = Upscaler(threads=self.threads)
        return self._upscaler

    def close(self) -> None:
        from .errors import signals_deferred

        with signals_deferred():  # the runtimes' finalizers run here; a Ctrl-C waits for them
            if self._poser is not None:
                self._poser.close()
                self._poser = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- stages ---

    def load(self, paths: list[Path | Source]) -> list[Source]:
        """Each path read by ``load_image``; an in-memory image's ``Source`` as it is."""
        sources = []
        for i, path in enumerate(paths):
            sources.append(path if isinstance(path, Source) else load_image(path))
            self.progress("load", i + 1, len(paths))
        return sources

    def split(self, sources: list[Source], margin: float | None = None) -> SheetAnalysis:
        from .stages.split import split_source, without_fake_checkerboard
        from .thresholds import VIEW_MARGIN_SHARE

        backgrounds, views, annotations, texts = [], [], [], []
        sources = [without_fake_checkerboard(source) for source in sources]
        for index, source in enumerate(sources):
            result = split_source(source, index, VIEW_MARGIN_SHARE if margin is None else margin,
                                  find_faces=self.poser.faces.find_faces,
                                  # loaded only if needed; the matte of a whole-picture view reuses it
                                  find_salient=lambda rgb: self.segmenter.predict_mask(rgb))
            result, lines = self._split_by_captions(source, index, result, VIEW_MARGIN_SHARE if margin is None else margin)
            backgrounds.append(result.background)
            views.extend(result.views)
            annotations.append(result.annotations)
            texts.append(lines)
            self.progress("split", index + 1, len(sources))
        return SheetAnalysis(sources, backgrounds, views, annotations, texts)

    def _split_by_captions(self, source: Source, index: int, result, margin: float):
        """The split checked against the sheet's printed view captions: where guide lines,
        a grid or a panel joined several captioned figures into one view (or none was
        found), the captions place the views. Returns the split and the text read (only text
        near a view and outside its inside is recognised: captions sit over, under or at the
        edge of their figures)."""
        from .evidence.sheet import caption_rows, near_views, outside_views
        from .stages.split import SplitResult, layout_views, resplit_by_captions, split_by_captions, without_text

        boxes = [] if len(result.views) <= 1 else [v.bbox for v in result.views]
        # With no views to go by, every line may be a caption that places one.
        lines = self.poser.text.read(source.rgb, where=lambda box: outside_views(box, boxes)
                                     and (not boxes or near_views(box, boxes)))
        views, notes = result.views, []
        rows = caption_rows(lines)
        if rows:
            if len(views) <= 1:
                found, notes = split_by_captions(source, rows, index)
            else:
                found, notes = resplit_by_captions(source, views, rows, index)
            if len(found) < 2:
                found, notes = views, []
            views = found
        views, text_notes = without_text(views, [line.box for line in lines])
        if len(views) == len(result.views) and all(a is b for a, b in zip(views, result.views)):
            return result, lines
        return SplitResult(result.background, layout_views(views, margin), result.annotations + notes + text_notes), lines

    def matte(self, analysis: SheetAnalysis) -> None:
        from .stages.clean import matte_views

        ticker = _ticker(self.progress, "clean", len(analysis.views))
        analysis.views = matte_views(analysis.views, [s.alpha for s in analysis.sources], self.segmenter, ticker)

    def pose(self, analysis: SheetAnalysis) -> None:
        from .stages.pose import estimate_poses

        analysis.views = estimate_poses(analysis.views, self.poser, _ticker(self.progress, "pose", len(analysis.views)),
                                        analysis.sources, analysis.texts or None)

    def prepare(self, paths: list[Path], target, margin: float | None = None) -> SheetAnalysis:
        """Load, split, matte, put on the ``target`` background and classify: everything
        ``build`` does before the preset's checks."""
        from .stages.clean import composite_views

        analysis = self.split(self.load(paths), margin)
        self.matte(analysis)
        analysis.views = composite_views(analysis.views, target)
        self.progress("composite", len(analysis.views), len(analysis.views))
        self.pose(analysis)
        return analysis

    def check(self, analysis: SheetAnalysis, preset, target, cleaned: bool) -> None:
        from .stages.quality import check_view

        checked = []
        for i, view in enumerate(analysis.views):
            source = analysis.sources[view.source_index]
            checked.append(check_view(view, (source.width, source.height), preset, target, cleaned=cleaned))
            self.progress("check", i + 1, len(analysis.views))
        analysis.views = checked


def _ticker(progress: Progress, stage: str, total: int) -> Callable[[], None]:
    done = [0]

    def tick() -> None:
        done[0] += 1
        progress(stage, done[0], total)

    return tick


# An input is a path (str or os.PathLike) or an in-memory image (a PIL image, a numpy array).
# In memory, it becomes a ``Source`` at once, named ``image-N`` after its place in the inputs.

def as_input_list(inputs) -> list:
    """``inputs`` as a list: one path or one in-memory image is a list of one (a numpy
    array is one image, never a list of rows)."""
    from .stages.load import is_in_memory

    if isinstance(inputs, (str, os.PathLike)) or is_in_memory(inputs):
        return [inputs]
    return list(inputs)


def input_name(item: Path | Source) -> str:
    """How the reports name an input: a file's path as given, an in-memory image's ``image-N``."""
    return str(item.path) if isinstance(item, Source) else str(item)


def resolve_inputs(inputs) -> list[Path | Source]:
    """Files as given; folders expand to the images directly inside them; in-memory images
    (PIL or numpy) become ``Source``s named ``image-N``."""
    return [path for path, _ in expand_inputs(inputs)]


def expand_inputs(inputs) -> list[tuple[Path | Source, bool]]:
    """(path, found in a folder) for every input image: files as given, folders expanded to
    the images directly inside them, an in-memory image as its ``Source`` (named ``image-N``,
    N its place among ``inputs`` counting from 1; a bad array raises InputError naming it).
    An unusable file found in a folder is skipped by ``build``; one named on its own stops it."""
    from .stages.load import is_in_memory, source_from_image

    paths: list[tuple[Path | Source, bool]] = []
    for number, item in enumerate(as_input_list(inputs), 1):
        if is_in_memory(item):
            paths.append((source_from_image(item, f"image-{number}"), False))
            continue
        if not isinstance(item, (str, os.PathLike)):
            raise InputError(f"image-{number}", f"not an image: {type(item).__name__} (give a path, "
                                                "a PIL image or a numpy array)")
        path = Path(item)
        if path.is_dir():
            try:
                found = find_images(path)
            except OSError as exc:
                raise InputError(path, f"cannot read folder ({exc.strerror or exc})") from None
            if not found:
                raise InputError(path, "folder holds no images (png, jpg, webp, tif, bmp, gif)")
            paths.extend((image, True) for image in found)
        elif not path.exists():
            raise InputError(path, "no such file")
        else:
            paths.append((path, False))
    if not paths:
        raise InputError("-", "no input images given")
    return paths


def available_cores() -> int:
    """CPUs this process may run on (a container's or taskset's limit, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


# --- build: one source at a time, in this process or in a pool of workers ---------------------

@dataclass(frozen=True)
class BuildSettings:
    """What analysing any source needs; plain values, so worker processes get a copy."""

    preset: str
    target: tuple[int, int, int] | None  # the background colour; None = transparent
    margin: float | None = None
    model: str = "u2netp"
    device: str = "cpu"


def analyse_source(pipeline: Pipeline, path: Path | Source, settings: BuildSettings) -> SheetAnalysis:
    """Everything ``build`` does to one input file before export: load, split, clean (matte
    and composite onto the target background), pose, quality checks."""
    from .targets.presets import get_preset

    analysis = pipeline.prepare([path], settings.target, settings.margin)
    pipeline.check(analysis, get_preset(settings.preset), settings.target, cleaned=True)
    return analysis


def analyse_sources(paths: list[tuple[Path | Source, bool]], settings: BuildSettings, jobs: int,
                    progress: Progress) -> list[SheetAnalysis | InputError]:
    """``analyse_source`` on every (path, skippable), in input order. A skippable path that
    cannot be used gives its InputError in its place; any other error stops the run.

    With several files and ``jobs`` > 1, a pool of ``jobs`` processes shares them out; each
    worker opens its model sessions once, with cores // jobs threads, so the pool does not
    oversubscribe the CPU."""
    jobs = max(1, min(jobs, len(paths)))
    if jobs == 1:
        # A single file reports every stage; several report files done, as the pool does.
        stage_progress = progress if len(paths) == 1 else None
        outcomes = []
        with Pipeline(settings.model, stage_progress, settings.device) as pipeline:
            for done, (path, skippable) in enumerate(paths, 1):
                outcomes.append(_attempt(pipeline, path, skippable, settings))
                if len(paths) > 1:
                    progress("files", done, len(paths))
        return outcomes

    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    threads = max(1, available_cores() // jobs)
    outcomes: list = [None] * len(paths)
    # Fresh interpreters, not forks: a fork of a process whose model runtimes have started
    # threads can deadlock.
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
                               initargs=(settings, threads))
    try:
        futures = {pool.submit(_attempt_in_worker, path, skippable, settings): index
                   for index, (path, skippable) in enumerate(paths)}
        for done, future in enumerate(as_completed(futures), 1):
            outcomes[futures[future]] = future.result()
            progress("files", done, len(paths))
    except BrokenProcessPool:
        raise RefprepError("a worker process died (out of memory?) while analysing the inputs; "
                           "try again with --jobs 1") from None
    finally:
        # On an error or Ctrl-C nothing new starts; a worker busy with a file finishes it first.
        pool.shutdown(wait=False, cancel_futures=True)
    return outcomes


def _attempt(pipeline: Pipeline, path: Path | Source, skippable: bool, settings: BuildSettings):
    try:
        return analyse_source(pipeline, path, settings)
    except InputError as exc:
        if not skippable:
            raise
        return exc


_worker_pipeline: Pipeline | None = None  # one per worker process, made by _start_worker


def _start_worker(settings: BuildSettings, threads: int) -> None:
    """Pool initializer: cap this process's threads; its model sessions open on first use."""
    global _worker_pipeline
    import signal

    import cv2

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if sys.platform == "linux":  # and die with the parent, even when it is killed outright
        import ctypes

        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    cv2.setNumThreads(threads)
    _worker_pipeline = Pipeline(settings.model, device=settings.device, threads=threads)


def _attempt_in_worker(path: Path | Source, skippable: bool, settings: BuildSettings):
    return _attempt(_worker_pipeline, path, skippable, settings)


def merge_analyses(parts: list[SheetAnalysis]) -> SheetAnalysis:
    """One analysis of several sources, each view pointing at its source's new index."""
    merged = SheetAnalysis([], [], [], [], [])
    for part in parts:
        offset = len(merged.sources)
        merged.sources += part.sources
        merged.backgrounds += part.backgrounds
        merged.annotations += part.annotations
        merged.texts += part.texts or [[] for _ in part.sources]
        merged.views += [replace(view, source_index=view.source_index + offset) for view in part.views]
    return merged


def declaration(views=None, view=None, exclude=()):
    """The creator's word as a ``ViewDeclaration``.

    ``views``: classes in sheet order, a comma-separated string (``"f,3/4l,-,b"``) or a list
    (None or ``"-"`` skips a view); ``view``: ``{number: class}`` or ``["2=side_left"]``;
    ``exclude``: view numbers to leave out. Numbers count from 1. A malformed item raises
    UsageError.
    """
    from .stages.pose import ViewDeclaration

    if isinstance(views, (list, tuple)):
        views = ",".join(item or "-" for item in views)
    if isinstance(view, dict):
        view = [f"{number}={name}" for number, name in view.items()]
    try:
        return ViewDeclaration.parse(views, view or (), exclude or ())
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def declare(analysis: SheetAnalysis, declared, preset=None, target=None, cleaned: bool = True) -> None:
    """Give ``analysis``'s views their declared classes; views already checked are checked
    again (the face check depends on the class). Raises UsageError when the declaration
    numbers more views than were found."""
    from .stages.pose import apply_declaration
    from .stages.quality import check_view

    try:
        declared.check_count(len(analysis.views))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    views = apply_declaration(analysis.views, declared)
    for i, (before, after) in enumerate(zip(analysis.views, views)):
        if after is not before and before.checks and preset is not None:
            source = analysis.sources[after.source_index]
            views[i] = check_view(after, (source.width, source.height), preset, target, cleaned=cleaned)
    analysis.views = views


def compare_views(analysis: SheetAnalysis, preset, excluded: frozenset[int] = frozenset(),
                  by_source: bool = False) -> None:
    """Add the consistency checks (consistency.py) to ``analysis``'s views: each view held
    against all the others (``by_source``: only against those of its own input image), the
    views numbered in ``excluded`` left out."""
    from .stages.consistency import check_consistency

    numbered = [(number, view) for number, view in enumerate(analysis.views, 1) if number not in excluded]
    groups = ({view.source_index for _, view in numbered} if by_source else {None})
    views = list(analysis.views)
    for group in groups:
        members = [(number, view) for number, view in numbered if group is None or view.source_index == group]
        checked = check_consistency([view for _, view in members], preset.thresholds(),
                                    [number for number, _ in members])
        for (number, _), view in zip(members, checked):
            views[number - 1] = view
    analysis.views = views


def judge_package_views(analysis: SheetAnalysis, declared, preset, target_colour) -> None:
    """What ``build`` and ``batch`` do to a package's views before choosing them: the
    creator's word applied, the preset's checks on the cleaned views, and every view held
    against the others (``consistency``), the excluded ones left out."""
    declare(analysis, declared, preset, target_colour, cleaned=True)
    compare_views(analysis, preset, declared.excluded)


# --- commands --------------------------------------------------------------------------------


def checked_target(preset: str, background: str, device: str = "cpu"):
    """The preset, the background as typed (trimmed, lower case) and its colour, or
    UsageError before any work: an unknown preset or colour, a device that cannot run, a
    transparent background for a preset whose generator refuses alpha."""
    from .stages.clean import check_device, parse_background
    from .targets.presets import get_preset
    from .targets.rules import transparency_problem

    chosen = get_preset(preset)
    check_device(device)
    background = background.strip().lower()
    target_colour = parse_background(background)
    refused = transparency_problem(background, chosen)
    if refused:
        raise UsageError(refused)
    return chosen, background, target_colour

def build(inputs, out_dir: str | Path | None = None, name: str | None = None, preset: str = "generic",
          background: str = "white", model: str = "u2netp", zip: bool = False, force: bool = False,
          margin: float | None = None, jobs: int | None = None, device: str = "cpu", views=None, view=None,
          exclude=(), upscale: str = DEFAULT_UPSCALE, closeup: bool = False,
          progress: Progress | None = None) -> BuildResult:
    """Turn one sheet, several single views or a folder into a subject package for ``preset``.

    Parameters
    ----------
    inputs : path, PIL.Image.Image, numpy.ndarray, or a list of them
        One character: a sheet, several single views, a folder of them, or images in memory
        (uint8 arrays HxW, HxWx3 or HxWx4), mixed as you like. An in-memory image is named
        ``image-N``, N its place in the list counting from 1. Images in a folder that cannot
        be read are skipped and listed in the manifest's ``skipped``; one named on its own
        that cannot be read stops the build (InputError).
    out_dir : path, optional
        The package goes to ``out_dir/NAME`` (default ``refprep-out``).
    name : str, optional
        The package's name (default: the first input's stem or folder name, or ``image-1``).
    preset : str, default "generic"
        The target tool's limits and rules (``refprep presets`` lists them).
    background : str, default "white"
        ``white``, ``green``, ``transparent`` or ``#RRGGBB``.
    model : str, default "u2netp"
        The background-removal model.
    zip : bool, default False
        Also write ``NAME.zip`` beside the folder.
    force : bool, default False
        Replace a package already there (otherwise OutputError, before any work).
    margin : float, optional
        The space left around the views, as a share of the largest view's size.
    jobs : int, optional
        Processes that analyse the input files in parallel (default: one per core).
    device : str, default "cpu"
        "cuda" runs background removal on the GPU (needs onnxruntime-gpu).
    views, view, exclude
        The creator's word on the views, numbered from 1 in sheet order over all inputs
        (see `declaration`): a declared class wins over what refprep infers.
    upscale : {"never", "auto", "always"}, default "never"
        Enlarge views with Real-ESRGAN (x4 at most) before they are placed: ``auto`` those
        of a source with a view under the preset's minimum side or the resolution check's
        warn level, ``always`` every view, ``never`` none. An enlarged view's resolution
        check warns (its detail is invented) and its manifest entry has ``upscaled_from``.
    closeup : bool, default False
        Add a head-and-shoulders close-up cut from the best front view after the views
        (``NN_front_closeup.png``, slot ``closeup``), where the preset accepts one and its
        image count leaves room; it is never the frontal image. Where there is none, a
        warning says why.
    progress : callable, optional
        ``progress(stage, done, total)``, called as the work advances.

    Returns
    -------
    BuildResult
        ``package`` (the folder written), ``status`` (valid, valid_with_warnings or invalid),
        ``manifest`` (manifest.json as a dict), ``zip_path``; ``as_dict()`` is what
        ``refprep build --json`` prints.

    Examples
    --------
    >>> import refprep, tempfile
    >>> result = refprep.build(["fixtures/example_sheet.png"], out_dir=tempfile.mkdtemp())
    >>> result.status, result.package.name
    ('valid_with_warnings', 'example_sheet')
    >>> [view["view"] for view in result.manifest["views"]]
    ['front', 'three_quarter_right', 'side_right', 'back', 'three_quarter_left']
    >>> sorted(path.name for path in result.package.iterdir())  # doctest: +NORMALIZE_WHITESPACE
    ['01_front.png', '02_three_quarter_right.png', '03_side_right.png', '04_back.png',
     '05_three_quarter_left.png', 'contact_sheet.png', 'manifest.json', 'report.html', 'source_1.png']
    """
    from .stages.clean import needs_download
    from .stages.package import check_target, safe_package_name
    from .stages.upscale import check_upscale_mode

    check_upscale_mode(upscale)  # bad usage before any work
    inputs = as_input_list(inputs)
    paths = expand_inputs(inputs)
    declared = declaration(views, view, exclude)
    chosen, background, target_colour = checked_target(preset, background, device)
    # Named after the first input as given: a folder's name, a file's stem, or image-1.
    if isinstance(paths[0][0], Source) and not isinstance(inputs[0], (str, os.PathLike)):
        first_name = paths[0][0].path.name
    else:
        first = Path(inputs[0]).resolve()
        first_name = first.name if first.is_dir() else first.stem
    package_name = safe_package_name(name or first_name)
    target = Path(out_dir or DEFAULT_OUT_DIR) / package_name
    check_target(target, force, zip)  # before the work, not only when writing

    settings = BuildSettings(chosen.name, target_colour, margin, model, device)
    # A model that still has to be downloaded is fetched by one process, not by every worker.
    jobs = 1 if needs_download(model) else (jobs or available_cores())
    outcomes = analyse_sources(paths, settings, jobs, progress or _no_progress)
    merged, skipped = usable_analyses(outcomes, ", ".join(str(item) for item in inputs))
    judge_package_views(merged, declared, chosen, target_colour)
    result = export_package(merged, chosen, target, background, force=force, make_zip=zip,
                            progress=progress, skipped=skipped, excluded=declared.excluded, upscale=upscale,
                            closeup=closeup)
    result.notices = several_sheets_notices(paths, outcomes)
    return result


def usable_analyses(outcomes: list[SheetAnalysis | InputError], label: str) -> tuple[SheetAnalysis, list[dict]]:
    """The usable inputs' analyses merged into one, and the unusable ones as the manifest's
    ``skipped`` ({"file", "reason"}). None usable raises InputError naming ``label``."""
    from .stages.package import display_name

    skipped = [{"file": display_name(Path(outcome.path).name), "reason": outcome.reason}
               for outcome in outcomes if isinstance(outcome, InputError)]
    analyses = [outcome for outcome in outcomes if not isinstance(outcome, InputError)]
    if not analyses:
        raise InputError(label, "none of the images could be used: "
                         + "; ".join(f"{item['file']}: {item['reason']}" for item in skipped))
    return merge_analyses(analyses), skipped


def several_sheets_notices(paths: list[tuple[Path | Source, bool]],
                           outcomes: list[SheetAnalysis | InputError]) -> list[str]:
    """Advice for a folder that holds several multi-view sheets: ``build`` made one character
    of them all, when each sheet is most likely a character of its own."""
    folders: dict[Path, int] = {}
    for (path, in_folder), outcome in zip(paths, outcomes):
        if in_folder and isinstance(outcome, SheetAnalysis) and len(outcome.views) > 1:
            folders[Path(path).parent] = folders.get(Path(path).parent, 0) + 1
    return [f"{folder}: {count} multi-view sheets went into one package, as one character; for one package "
            f"per sheet run `refprep batch {folder} -o OUT_DIR`"
            for folder, count in folders.items() if count > 1]


@dataclass
class PackageDraft:
    """A package ready to write: its manifest, every file as (name, bytes) (``write_files``
    takes them as they are) and the views that went in."""

    manifest: dict
    files: list[tuple[str, bytes]] = field(repr=False)
    views: list[View] = field(repr=False)


def export_package(analysis: SheetAnalysis, preset, target: Path, background: str, force: bool = False,
                   make_zip: bool = False, progress: Progress | None = None,
                   skipped: list[dict] | None = None, excluded: frozenset[int] = frozenset(),
                   upscale: str = DEFAULT_UPSCALE, closeup: bool = False) -> BuildResult:
    """Choose, fit and encode the checked views ``preset`` takes, judge the package against
    every rule of the preset and write it to ``target`` (the folder's name is the package's).
    ``skipped`` lists input files left out as unusable ({"file", "reason"}); ``excluded``
    numbers the views the creator left out (1-based); ``upscale`` and ``closeup`` as for `build`."""
    from .stages.package import write_files

    progress = progress or _no_progress
    draft = compose_package(analysis, preset, target.name, background, progress, skipped, excluded,
                            upscale=upscale, closeup=closeup)
    progress("write", 0, 1)
    write_files(target, draft.files, force=force, make_zip=make_zip)
    progress("write", 1, 1)
    zip_path = target.parent / f"{target.name}.zip" if make_zip else None
    return BuildResult(package=target, manifest=draft.manifest, views=draft.views, zip_path=zip_path)


def compose_package(analysis: SheetAnalysis, preset, name: str, background: str, progress: Progress | None = None,
                    skipped: list[dict] | None = None, excluded: frozenset[int] = frozenset(),
                    record: dict | None = None, upscale: str = DEFAULT_UPSCALE, upscaler=None,
                    closeup: bool = False) -> PackageDraft:
    """``export_package`` short of writing: the package named ``name`` as a ``PackageDraft``.
    ``record`` goes into the manifest as its ``batch`` field (what ``refprep batch --resume``
    compares). ``upscale`` and ``closeup`` as for `build`; ``upscaler`` (a
    ``stages.upscale.Upscaler``) is made when a view needs it and none is given.

    How much each source's views grow is decided, and their resolution checks redone, before
    the choice, so a view that fails only for its size is chosen as the enlarged view it will be."""
    from .stages.clean import parse_background
    from .stages.closeup import add_closeup
    from .stages.consistency import package_consistency
    from .stages.package import build_manifest, excluded_entry, package_files, view_entry
    from .stages.quality import with_upscaled_resolution
    from .stages.upscale import Upscaler, upscale_factors
    from .targets.export import export_view, select_views
    from .targets.rules import package_findings

    progress = progress or _no_progress
    colour = parse_background(background)
    factors = upscale_factors(analysis.views, preset, upscale)
    views = [view if factors[view.source_index] == 1.0 else with_upscaled_resolution(
                 view, analysis.sources[view.source_index].rgb.shape[1::-1], preset, factors[view.source_index])
             for view in analysis.views]
    chosen, left_out = select_views(views, preset, excluded)
    placed = [(item, factors[item.view.source_index]) for item in chosen]
    extra = None
    if closeup:
        extra = add_closeup(views, chosen, preset, colour, [source.rgb.shape[1::-1] for source in analysis.sources],
                            excluded, upscale)
        placed += [(extra.chosen, extra.upscale_by)] if extra.chosen else []
    if upscaler is None and any(factor > 1.0 for _, factor in placed):
        upscaler = Upscaler()
    exported = []
    for position, (item, factor) in enumerate(placed, 1):
        exported.append(export_view(item, position, preset, colour, factor, upscaler))
        progress("export", position, len(placed))
    entries = [view_entry(item) for item in exported]
    excluded = [excluded_entry(item) for item in left_out]
    failures, warnings, coverage = package_findings(entries, excluded, preset)
    if extra and extra.warning:
        warnings.append(extra.warning)
    manifest = build_manifest(name, preset.name, background, analysis.sources, entries, excluded, failures,
                              warnings, coverage, analysis.annotations)
    manifest["consistency"] = package_consistency(entries)
    if skipped:
        manifest["skipped"] = skipped
    if record:
        manifest["batch"] = record
    manifest, files = package_files(manifest, exported, [source.rgb for source in analysis.sources])
    return PackageDraft(manifest, files, [item.view for item, _ in placed])


def check(images, preset: str = "generic", model: str = "u2netp", progress: Progress | None = None,
          pipeline: Pipeline | None = None, views=None, view=None, exclude=()) -> CheckReport:
    """Validate images as references, as they are (nothing is changed or written).

    Parameters
    ----------
    images : path, PIL.Image.Image, numpy.ndarray, or a list of them
        Image files, folders of images, or images in memory (uint8 arrays HxW, HxWx3 or
        HxWx4), mixed as you like; an in-memory image is reported as ``image-N``, N its
        place in the list counting from 1.
    preset : str, default "generic"
        Whose limits to check against (``refprep presets`` lists them).
    model : str, default "u2netp"
        The background-removal model that outlines the subject.
    progress : callable, optional
        ``progress(stage, done, total)``, called as the work advances.
    pipeline : Pipeline, optional
        Loaded models to reuse across calls (it is left open).
    views, view, exclude
        The creator's word on the views' classes, as for `build`.

    Returns
    -------
    CheckReport
        One ``ImageCheck`` per image (``file``, ``status``, ``checks``, ``views``); an
        image's checks are the worst result per check id over its views (the consistency
        checks hold each view against the other views of its own image). ``as_dict()`` is
        what ``refprep check --json`` prints.

    Raises
    ------
    InputError
        An image cannot be read or used (the CLI's exit 2).

    Examples
    --------
    >>> import refprep
    >>> report = refprep.check("fixtures/single_front_white.png")
    >>> image = report.images[0]
    >>> image.file, image.status, image.views[0].view
    ('fixtures/single_front_white.png', 'fail', 'front')
    >>> [(c.id, c.value, c.threshold) for c in image.checks if c.status == "fail"]
    [('resolution', 384.0, 512)]
    >>> report["images"][0]["status"]  # the JSON document, as refprep check --json prints it
    'fail'
    >>> import numpy as np
    >>> from PIL import Image
    >>> pixels = np.asarray(Image.open("fixtures/single_front_white.png"))
    >>> refprep.check([pixels]).images[0].file
    'image-1'
    """
    from .targets.presets import get_preset

    chosen = get_preset(preset)
    paths = resolve_inputs(images)
    declared = declaration(views, view, exclude)
    with contextlib.nullcontext(pipeline) if pipeline else Pipeline(model, progress) as running:
        analysis = running.split(running.load(paths))
        running.matte(analysis)
        running.pose(analysis)
        declare(analysis, declared)
        _drop_excluded(analysis, declared.excluded)
        running.check(analysis, chosen, None, cleaned=False)
        compare_views(analysis, chosen, by_source=True)

    rank = {"skip": 0, "pass": 1, "warn": 2, "fail": 3}
    report = []
    for index, path in enumerate(paths):
        mine = [v for v in analysis.views if v.source_index == index]
        worst: dict[str, Check] = {}
        for item in mine:
            for c in item.checks:
                if c.id not in worst or rank[c.status] > rank[worst[c.id].status]:
                    worst[c.id] = c
        report.append(ImageCheck(input_name(path), worst_status(v.status for v in mine), list(worst.values()),
                                 [ViewCheck.from_view(v) for v in mine]))
    return CheckReport(report)


def pose(images, progress: Progress | None = None, views=None, view=None, exclude=()) -> PoseReport:
    """View class and head angles of every view found in each image.

    Parameters
    ----------
    images : path, PIL.Image.Image, numpy.ndarray, or a list of them
        Sheets, single views or folders, or images in memory (as for `check`).
    progress : callable, optional
        ``progress(stage, done, total)``, called as the work advances.
    views, view, exclude
        The creator's word on the views' classes, as for `build`; a declared class wins
        (``pose_method`` "declared").

    Returns
    -------
    PoseReport
        One ``ImagePose`` per image, each with a ``ViewPose`` per view found (``view``,
        ``yaw_deg``, ``pitch_deg``, ``roll_deg``, ``pose_confidence``, ``pose_method``,
        ``bbox``, ``kind``). ``as_dict()`` is what ``refprep pose --json`` prints.

    Examples
    --------
    >>> import refprep
    >>> report = refprep.pose(["fixtures/single_front_white.png"])
    >>> found = report.images[0].views[0]
    >>> found.view, found.bbox
    ('front', (118, 34, 148, 442))
    >>> refprep.pose("fixtures/single_front_white.png", views="side_left").images[0].views[0].pose_method
    'declared'
    """
    paths = resolve_inputs(images)
    declared = declaration(views, view, exclude)
    with Pipeline(progress=progress) as pipeline:
        analysis = pipeline.split(pipeline.load(paths))
        pipeline.matte(analysis)  # the subject's outline is pose evidence where no face is found
        pipeline.pose(analysis)
    declare(analysis, declared)
    _drop_excluded(analysis, declared.excluded)
    return PoseReport([ImagePose(input_name(path), [ViewPose.from_view(v) for v in analysis.views
                                                    if v.source_index == i])
                       for i, path in enumerate(paths)])


def split(sheet, out_dir: str | Path | None = None, margin: float | None = None, force: bool = False,
          progress: Progress | None = None) -> SplitReport:
    """Cut a sheet into its views (original pixels, with a margin) and write them as PNGs,
    with ``views.json`` (the document ``as_dict()`` returns) beside them.

    Parameters
    ----------
    sheet : path, PIL.Image.Image or numpy.ndarray
        One sheet (a file, or an image in memory, named ``image-1``).
    out_dir : path, optional
        Where the views go (default ``refprep-out/NAME-views``).
    margin : float, optional
        The space left around each view, as a share of the largest view (default 0.06).
    force : bool, default False
        Replace files already there. Without it, the call raises OutputError before it
        writes anything.
    progress : callable, optional
        ``progress(stage, done, total)``, called as the work advances.

    Returns
    -------
    SplitReport
        ``images[0]``: the sheet's ``background`` kind, its ``views`` (``bbox``, ``file``,
        ``kind``, ``framing``) and ``annotations`` (labels, frames, panels left out);
        ``folder``, where they were written.

    Examples
    --------
    >>> import refprep, tempfile
    >>> out = tempfile.mkdtemp()
    >>> report = refprep.split("fixtures/sheet_row4_gradient.png", out_dir=out)
    >>> sheet = report.images[0]
    >>> len(sheet.views), sheet.background
    (4, 'gradient')
    >>> sheet.views[0].file.endswith("sheet_row4_gradient_view01.png")
    True
    """
    from .targets.export import png_bytes
    from .stages.package import safe_package_name

    items = as_input_list(sheet)
    if len(items) != 1:
        raise UsageError(f"split takes one sheet, not {len(items)}")
    path = resolve_inputs(items)[0]
    stem = safe_package_name(Path(input_name(path)).stem)
    with Pipeline(progress=progress) as pipeline:
        analysis = pipeline.split(pipeline.load([path]), margin)
    folder = Path(out_dir or DEFAULT_OUT_DIR / f"{stem}-views")
    source = analysis.sources[0]
    entries, files = [], []
    for i, view in enumerate(analysis.views, 1):
        x, y, w, h = view.bbox
        margin = view.canvas[1] - view.canvas[3] - h  # the layout's margin below the feet
        x0, y0 = max(0, x - margin), max(0, y - margin)
        x1, y1 = min(source.width, x + w + margin), min(source.height, y + h + margin)
        crop = source.rgb[y0:y1, x0:x1]
        if source.alpha is not None:
            crop = np.dstack([crop, source.alpha[y0:y1, x0:x1]])
        filename = f"{stem}_view{i:02d}.png"
        files.append((filename, png_bytes(crop)))
        entries.append(SplitView(tuple(int(v) for v in view.bbox), str(folder / filename), view.kind, view.framing))
    report = SplitReport([SplitImage(input_name(path), analysis.backgrounds[0].kind, entries,
                                     analysis.annotations[0])], folder)
    files.append(("views.json", (json.dumps(report.as_dict(), indent=2) + "\n").encode("utf-8")))
    write_outputs(folder, files, force)
    return report


def clean(images, out_dir: str | Path | None = None, background: str = "white", model: str = "u2netp",
          force: bool = False, progress: Progress | None = None) -> CleanReport:
    """Remove the background of every view and write each on the chosen background.

    Each output is named after its input (``x.png``; ``x_01.png``, ``x_02.png``... for the
    views of a sheet; ``image-N.png`` for an image in memory). Two inputs with one name from
    different folders get the folder's name in front (``a_x.png``, ``b_x.png``), so no output
    is written twice.

    Parameters
    ----------
    images : path, PIL.Image.Image, numpy.ndarray, or a list of them
        Sheets, single views or folders, or images in memory (as for `check`).
    out_dir : path, optional
        Where the cleaned images go (default ``refprep-out/clean``).
    background : str, default "white"
        ``white``, ``green``, ``transparent`` or ``#RRGGBB``.
    model : str, default "u2netp"
        The background-removal model.
    force : bool, default False
        Replace files already there. Without it, the call raises OutputError before it
        writes anything.
    progress : callable, optional
        ``progress(stage, done, total)``, called as the work advances.

    Returns
    -------
    CleanReport
        One ``CleanImage`` per input with a ``CleanView`` (``bbox``, ``file``) per view;
        ``folder``, where they were written.

    Examples
    --------
    >>> import refprep, tempfile
    >>> from PIL import Image
    >>> out = tempfile.mkdtemp()
    >>> report = refprep.clean([Image.open("fixtures/single_front_white.png")], out_dir=out)
    >>> written = report.images[0].views[0]
    >>> report.images[0].file, written.file.endswith("image-1.png")
    ('image-1', True)
    >>> Image.open(written.file).getpixel((0, 0))
    (255, 255, 255)
    """
    from .stages.clean import composite_views, parse_background
    from .targets.export import png_bytes

    target_colour = parse_background(background)
    paths = resolve_inputs(images)
    folder = Path(out_dir or DEFAULT_OUT_DIR / "clean")
    with Pipeline(model, progress) as pipeline:
        analysis = pipeline.split(pipeline.load(paths))
        pipeline.matte(analysis)
    views = composite_views(analysis.views, target_colour)
    report, files = [], []
    for index, (path, stem) in enumerate(zip(paths, output_stems([Path(input_name(p)) for p in paths]))):
        mine = [v for v in views if v.source_index == index]
        written = []
        for i, view in enumerate(mine, 1):
            suffix = "" if len(mine) == 1 else f"_{i:02d}"
            filename = f"{stem}{suffix}.png"
            files.append((filename, png_bytes(view.cleaned)))
            written.append(CleanView(tuple(int(v) for v in view.bbox), str(folder / filename)))
        report.append(CleanImage(input_name(path), written))
    write_outputs(folder, files, force)
    return CleanReport(report, folder)


def output_stems(paths: list[Path]) -> list[str]:
    """One distinct, safe file stem per input: its own stem where that is unique, else the
    parent folder's name in front (``a_x``, ``b_x``), else a number after it (``x-2``) for the
    same file given twice. Compared without case, as macOS and Windows file systems do."""
    from .stages.package import safe_package_name

    plain = [safe_package_name(path.stem) for path in paths]
    counts: dict[str, int] = {}
    for stem in plain:
        counts[stem.casefold()] = counts.get(stem.casefold(), 0) + 1
    return unique_stems([stem if counts[stem.casefold()] == 1
                         else safe_package_name(f"{path.resolve().parent.name}_{stem}")
                         for stem, path in zip(plain, paths)])


def unique_stems(stems: list[str]) -> list[str]:
    """``stems`` with a number after each repeat (``x``, ``x-2``, ``x-3``), compared without
    case as macOS and Windows file systems do."""
    taken: set[str] = set()
    unique = []
    for stem in stems:
        candidate, number = stem, 1
        while candidate.casefold() in taken:
            number += 1
            candidate = f"{stem}-{number}"
        taken.add(candidate.casefold())
        unique.append(candidate)
    return unique


def write_outputs(folder: Path, files: list[tuple[str, bytes]], force: bool = False) -> None:
    """Write ``files`` (name, bytes) into ``folder``, each atomically. Without ``force`` an
    existing file of any of those names stops it before anything is written (OutputError,
    naming the file); two files of one name are a bug and raise ValueError."""
    from .errors import OutputError
    from .stages.package import _make_folder

    names = [name.casefold() for name, _ in files]
    if len(set(names)) != len(names):
        raise ValueError(f"two outputs share a name in {folder}")
    _make_folder(folder)
    if not force:
        for name, _ in files:
            if os.path.lexists(folder / name):
                raise OutputError(f"{folder / name}: exists (use --force to replace it)")
    for name, data in files:
        try:
            _atomic_write(folder / name, data)
        except OSError as exc:
            raise OutputError(f"{folder / name}: cannot write ({exc.strerror or exc})") from None


def validate(package, preset: str | None = None) -> ValidationReport:
    """Re-check a package folder or zip against ``preset`` (default: the one it was built for).

    Parameters
    ----------
    package : path
        A package folder or its zip, as ``build`` wrote it.
    preset : str, optional
        Judge against this preset's rules instead of the one the package was built for.

    Returns
    -------
    ValidationReport
        ``status`` "valid" or "invalid", ``problems`` (one sentence each) and ``warnings``;
        ``as_dict()`` is what ``refprep validate --json`` prints.

    Raises
    ------
    InputError
        No package there, or it cannot be read.

    Examples
    --------
    >>> import refprep, tempfile
    >>> built = refprep.build("fixtures/single_front_white.png", out_dir=tempfile.mkdtemp(), name="hero")
    >>> verdict = refprep.validate(built.package)
    >>> verdict.status == ("invalid" if built.status == "invalid" else "valid")
    True
    >>> refprep.validate(built.package, preset="kling-element").preset
    'kling-element'
    """
    from .targets.presets import get_preset
    from .stages.validation import validate_package

    path = Path(package)
    if not path.exists():
        raise InputError(path, "no such package")
    if preset is not None:
        get_preset(preset)  # an unknown name is bad usage (exit 2), not an invalid package
    return validate_package(path, preset)


def request(package, preset: str, image_url_prefix: str | None = None) -> VendorRequest:
    """The JSON body ``preset``'s generator API takes for the images of ``package``.

    Nothing is sent. The body holds the images only (add the prompt, model and settings); it is
    checked against the vendor's JSON Schema shipped in ``refprep/targets/schemas/``.

    Parameters
    ----------
    package : path
        A package folder or its zip; it must pass ``preset``'s rules (build it with that preset).
    preset : str
        The generator (``refprep presets``); ``generic`` has no API.
    image_url_prefix : str, optional
        Where the package's images will be uploaded: each image is sent as this prefix + its
        file name. Without it the images go inline (data URI or base64, as the API takes them).

    Returns
    -------
    VendorRequest
        ``body`` (what to send), ``endpoint``, ``schema`` and how each image went in;
        ``as_dict()`` is what ``refprep request --json`` prints.

    Raises
    ------
    RequestRefused
        The package breaks the preset's rules, an inline image is over the data-URI limit or
        the body over the request limit (exit 1 from the CLI).
    UsageError
        No API for the preset, inline images where the API takes URLs only, or a URL prefix of
        a scheme the API does not fetch.

    Examples
    --------
    >>> import refprep, tempfile
    >>> built = refprep.build("fixtures/example_sheet.png", out_dir=tempfile.mkdtemp(), preset="runway-gen4")
    >>> sent = refprep.request(built.package, "runway-gen4", image_url_prefix="https://example.com/hero")
    >>> sent.body["referenceImages"][0]
    {'uri': 'https://example.com/hero/01_front.png', 'tag': 'front'}
    """
    from .targets.requests import vendor_request

    path = Path(package)
    if not path.exists():
        raise InputError(path, "no such package")
    return vendor_request(path, preset, image_url_prefix)


def _drop_excluded(analysis: SheetAnalysis, excluded: frozenset[int]) -> None:
    analysis.views = [v for number, v in enumerate(analysis.views, 1) if number not in excluded]


def _atomic_write(path: Path, data: bytes) -> None:
    """Write through a hidden temporary name beside ``path`` and rename it into place, so a
    reader never sees half a file. The file gets the user's umask (mode 0o666 less it), as
    any file the user makes; an existing file at ``path`` is replaced."""
    from .stages.package import make_temp_file

    partial = make_temp_file(path.parent, f".{path.name}.", ".refprep-new")
    try:
        with open(partial, "wb") as handle:
            handle.write(data)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
        raise
