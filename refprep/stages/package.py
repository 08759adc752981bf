"""Package stage: exported views with their checks -> NAME/ on disk, all or nothing.

The package is written into a hidden temporary folder beside the target and swapped into
place in one step (``renameat2(RENAME_EXCHANGE)`` where the system has it, else two renames
that the next run undoes if a kill came between them), so an interrupted, killed or failed
run leaves either the old package or the new one, never a mix and never a half-written
visible folder. Runs that write into the same output folder take turns (an ``flock`` on the
folder); the next run there removes what a killed one left behind. The manifest lists the
sha256 of every other file and ends with the sha256 of its own content (``integrity``), so
``validation.py`` notices any byte changed by hand.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import unicodedata
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .. import __version__
from ..data import Source
from ..errors import OutputError, stop_signals
from ..targets.export import Exported, LeftOut
from ..targets.presets import CLOSEUP_SLOT
from ..stages.report import SOURCE_PREFIX, contact_sheet, html_report, source_overview

SCHEMA = "refprep.subject-package/1"
MANIFEST = "manifest.json"
CONTACT_SHEET = "contact_sheet.png"
REPORT = "report.html"
# A package name keeps letters, combining marks and digits of any script, symbols (emoji) and
# " .-_()+,@#&"; every run of anything else (path separators, control and format characters,
# quotes, wildcards, ':') becomes one '_'.
_NAME_PUNCTUATION = set(" .-_()+,@#&")
# Names Windows gives to devices, whatever the extension: CON, CON.txt, com1.zip are not files there.
_RESERVED_NAMES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in "123456789¹²³"),
                   *(f"LPT{i}" for i in "123456789¹²³")}
# Longest package name in UTF-8 bytes: room left in a file system's 255 for the hidden
# temporary names beside it (".NAME.xxxxxxxx.refprep-new", ".NAME.zip...") and for NAME.zip.
MAX_NAME_BYTES = 200
# Hidden entries beside the target while a package is written: the new package being written
# and the old one swapped out. mkdtemp's random part is 8 characters.
_NEW, _OLD = ".refprep-new", ".refprep-old"
_TEMP_ENTRY = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.refprep-(?P<kind>new|old)$")
# How long a run waits for another one writing into the same output folder (writing takes
# well under a second; only the write is serialised, not the analysis before it).
LOCK_WAIT_S = 60.0


def safe_package_name(name: str) -> str:
    """A folder name that cannot escape the output folder or misbehave on any system: no path
    separators or '..', no control characters, no leading dot (never hidden, never one of the
    temporary names), not a reserved Windows device name, at most MAX_NAME_BYTES bytes."""
    name = unicodedata.normalize("NFC", str(name))
    name = _valid_unicode(name)
    cleaned = re.sub("\0+", "_", "".join(char if _name_char(char) else "\0" for char in name)).strip(" .")
    if cleaned.split(".")[0].strip(" ").upper() in _RESERVED_NAMES:
        cleaned = f"_{cleaned}"
    encoded = cleaned.encode("utf-8")
    if len(encoded) > MAX_NAME_BYTES:
        cleaned = encoded[:MAX_NAME_BYTES].decode("utf-8", "ignore").strip(" .")
    return cleaned or "package"


def _name_char(char: str) -> bool:
    category = unicodedata.category(char)
    return (category[0] in "LMN" or category == "So" or char in _NAME_PUNCTUATION) and char != "\ufffd"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_text(manifest: dict) -> str:
    """manifest.json exactly as refprep writes it; validate compares the file to this."""
    return json.dumps(manifest, indent=2) + "\n"


def content_sha256(manifest: dict) -> str:
    """sha256 of the manifest's content without its ``integrity`` field, key order and
    whitespace aside: what ``integrity.manifest_sha256`` records."""
    content = {key: value for key, value in manifest.items() if key != "integrity"}
    return sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode("utf-8"))


def view_entry(item: Exported) -> dict:
    """The manifest entry of one exported view: SPEC fields, then how it was fitted."""
    view = item.chosen.view
    return {
        "file": item.file,
        # The view's number in sheet order (--views, --view N, --exclude N); a close-up is no
        # view of its own, it names the view it was cut from.
        **({"cut_from": item.chosen.index} if item.chosen.slot == CLOSEUP_SLOT else {"index": item.chosen.index}),
        "sha256": sha256(item.data),
        "width": item.width,
        "height": item.height,
        "source": view.source_index,
        "bbox": [int(v) for v in view.bbox],
        **view.pose.as_dict(),
        "kind": view.kind,
        "framing": view.framing,
        "status": view.status,
        "checks": [check.as_dict() for check in view.checks],
        "slot": item.chosen.slot,
        "format": item.format,
        "bytes": len(item.data),
        "scale": round(item.scale, 6),
        "pad": [int(v) for v in item.pad],
        "jpeg_quality": item.jpeg_quality,
        **({"upscaled_from": list(item.upscaled_from)} if item.upscaled_from else {}),
    }


def excluded_entry(item: LeftOut) -> dict:
    """A view found in the input but left out of the package, and why."""
    view = item.view
    return {
        "index": item.index,
        "source": view.source_index,
        "bbox": [int(v) for v in view.bbox],
        **view.pose.as_dict(),
        "status": view.status,
        "reason": item.reason,
    }


def build_manifest(name: str, preset: str, background: str, sources: list[Source], entries: list[dict],
                   excluded: list[dict], failures: list[str], warnings: list[str], coverage: dict[str, bool],
                   annotations: list[list[dict]]) -> dict:
    status = "invalid" if failures else ("valid_with_warnings" if warnings else "valid")
    return {
        "schema": SCHEMA,
        "name": name,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "refprep_version": __version__,
        "preset": preset,
        "background": background,
        "status": status,
        "problems": failures,
        "warnings": warnings,
        "coverage": coverage,
        "sources": [
            {"file": display_name(source.path.name), "sha256": source.sha256, "width": source.width, "height": source.height,
             "format": source.file_format, "mode": source.original_mode, "annotations": notes}
            for source, notes in zip(sources, annotations)
        ],
        "views": entries,
        "excluded": excluded,
    }


def display_name(name: str) -> str:
    """A source file's name as the manifest and report record it: valid Unicode (bytes that
    were not UTF-8 become U+FFFD) so the manifest encodes and the report renders, and a plain
    file name by the schema's rule ('\\' and ':', legal in Linux names, become '_')."""
    return re.sub(r"[/\\:]", "_", _valid_unicode(name))


def _valid_unicode(name: str) -> str:
    """``name`` with the bytes that were not UTF-8 (os.fsdecode's surrogate escapes) as U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def check_target(target: Path, force: bool = False, make_zip: bool = False) -> None:
    """Refuse to touch an existing package (folder, file or link of that name, or its zip with
    ``make_zip``) unless ``force``."""
    if force:
        return
    for path in (target, *([zip_path_for(target)] if make_zip else [])):
        if os.path.lexists(path):
            raise OutputError(f"{path}: package exists (use --force to replace it)")


def zip_path_for(target: Path) -> Path:
    return target.parent / f"{target.name}.zip"


def package_files(manifest: dict, exported: list[Exported],
                  sources: list[np.ndarray] | None = None) -> tuple[dict, list[tuple[str, bytes]]]:
    """Every file of the package as (name, bytes), manifest.json last, for ``write_files``;
    and the manifest with its file list (contact sheet, report and, given the ``sources``'
    pixels, one ``source_N.png`` per source with its views' boxes) and integrity hash added.
    Nothing is written: a worker of a batch returns these to the process that writes."""
    from ..targets.export import png_bytes

    overviews = [(f"{SOURCE_PREFIX}{number}.png", png_bytes(np.asarray(source_overview(picture, _boxes(manifest, index)))))
                 for index, (number, picture) in enumerate(zip(range(1, len(sources or []) + 1), sources or []))]
    listed = [{"file": name, "sha256": sha256(data)} for name, data in overviews]
    sheet = png_bytes(np.asarray(contact_sheet(manifest["views"], [item.picture for item in exported])))
    report = html_report({**manifest, "files": listed}).encode("utf-8")
    manifest = {**manifest, "files": [{"file": CONTACT_SHEET, "sha256": sha256(sheet)},
                                      {"file": REPORT, "sha256": sha256(report)}, *listed]}
    manifest["integrity"] = {"manifest_sha256": content_sha256(manifest)}
    files = [(item.file, item.data) for item in exported] + [(CONTACT_SHEET, sheet), (REPORT, report), *overviews,
                                                             (MANIFEST, manifest_text(manifest).encode("utf-8"))]
    return manifest, files


def _boxes(manifest: dict, source: int) -> list[tuple[str, tuple[int, int, int, int], str]]:
    """The boxes to draw on source ``source``: the package's views by their number in the
    report, the views left out in grey."""
    boxes = [(str(number), tuple(view["bbox"]), view["status"])
             for number, view in enumerate(manifest["views"], 1) if view["source"] == source]
    boxes += [("x", tuple(item["bbox"]), "skip") for item in manifest.get("excluded", []) if item["source"] == source]
    return boxes


def write_files(target: Path, files: list[tuple[str, bytes]], force: bool = False, make_zip: bool = False) -> None:
    """Make ``target`` a folder holding exactly ``files`` (name, bytes), all or nothing (and
    ``target``.zip of it with ``make_zip``).

    An existing target (or zip) is refused without ``force`` and swapped out in one step with
    it. Runs writing into the same folder take turns, and each first cleans up after any run
    there that was killed (``recover``). Any failure to write (read-only folder, full disk,
    permissions) raises OutputError with one line and leaves no trace: the old package, if
    any, is untouched."""
    try:
        _make_folder(target.parent)
        with _folder_lock(target.parent):
            recover(target.parent)
            check_target(target, force, make_zip)
            _write_and_swap(target, files, make_zip)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write the package ({_reason(exc)})") from None


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"{folder}: exists and is not a folder") from None
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the output folder ({_reason(exc)})") from None
    if not folder.is_dir():
        raise OutputError(f"{folder}: exists and is not a folder")


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _temp_name(folder: Path, prefix: str, suffix: str) -> Path:
    """A fresh hidden name in ``folder`` that ``_TEMP_ENTRY`` (and so ``recover``) knows."""
    token = "".join(_RANDOM.choice(_TOKEN_CHARS) for _ in range(8))
    return folder / f"{prefix}{token}{suffix}"


_RANDOM = random.SystemRandom()
_TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"


def make_temp_dir(folder: Path, prefix: str, suffix: str) -> Path:
    """Like ``tempfile.mkdtemp`` but created with mode 0o777 less the user's umask, as any
    folder the user makes, not 0o700: the package folder is this folder renamed, and a shared
    drive or a web server must be able to read it."""
    for _ in range(100):
        path = _temp_name(folder, prefix, suffix)
        try:
            os.mkdir(path, 0o777)
            return path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


def make_temp_file(folder: Path, prefix: str, suffix: str) -> Path:
    """Like ``tempfile.mkstemp`` (an empty file, created exclusively) but with mode 0o666 less
    the user's umask, so the file renamed into place reads as any file the user makes."""
    for _ in range(100):
        path = _temp_name(folder, prefix, suffix)
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


def _write_and_swap(target: Path, files: list[tuple[str, bytes]], make_zip: bool) -> None:
    staging = make_temp_dir(target.parent, f".{target.name}.", _NEW)
    partial_zip = None
    try:
        for filename, data in files:
            _write_synced(staging / filename, data)
        _fsync_dir(staging)
        if make_zip:
            partial_zip = _write_zip(staging, zip_path_for(target))
        with _signals_deferred():
            # The commit: one exchange (or rename); from here the target is the new package.
            _swap_in(staging, target)
            if partial_zip is not None:
                os.replace(partial_zip, zip_path_for(target))
                partial_zip = None
        _fsync_dir(target.parent)
    finally:
        # After a swap the staging name holds the old package; before it, the unfinished new one.
        _remove(staging)
        if partial_zip is not None:
            _remove(partial_zip)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    if os.path.islink(path) or os.path.isfile(path):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)


def _swap_in(staging: Path, target: Path) -> None:
    """Put ``staging`` at ``target``. A new target is one rename. An existing one is exchanged
    with ``staging`` in one step where the system can (Linux renameat2), so ``target`` is the
    old package or the new one at every instant and ``staging`` ends up holding the old one;
    elsewhere the old one is moved to a hidden ``.refprep-old`` folder first, which ``recover``
    puts back if the run dies before the new one is in."""
    if not os.path.lexists(target):
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=_OLD, dir=target.parent))
    os.rename(target, retired / "package")
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(retired / "package", target)
        _remove(retired)
        raise
    _remove(retired)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE); False where the system or
    the file system cannot (then nothing has changed)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM):
        return False
    raise OSError(code, os.strerror(code), os.fsdecode(b))


def recover(folder: Path) -> None:
    """Clean up after a run into ``folder`` that was killed: put back an old package that was
    moved aside and never replaced, and delete unfinished new ones and retired old ones. Call
    it holding the folder's lock (then no live run owns any of them)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        match = _TEMP_ENTRY.match(entry.name)
        if match is None:
            continue
        path = Path(entry.path)
        target = folder / match["name"]
        if match["kind"] == "old" and not os.path.lexists(target) and os.path.isdir(path / "package"):
            os.rename(path / "package", target)  # the run died between its two renames
        _remove(path)  # (a half-written NAME.zip's temporary file matches too)


@contextlib.contextmanager
def _folder_lock(folder: Path):
    """Hold an exclusive flock on ``folder`` itself (nothing is created in it), waiting up to
    LOCK_WAIT_S for another refprep run writing there. Where folders cannot be locked
    (Windows, some network file systems) it does nothing."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OutputError(f"{folder}: another refprep run is writing a package here; "
                                      "try again when it has finished") from None
                time.sleep(0.05)
            except OSError:  # the file system has no locks: go on without
                break
        yield
    finally:
        os.close(fd)  # releases the lock


@contextlib.contextmanager
def _signals_deferred():
    """Hold Ctrl-C (SIGINT), SIGTERM and SIGHUP while the package is swapped in: one that
    arrives meanwhile takes effect right after, so the swap is never cut in half. Only the main
    thread can do this; elsewhere it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {}
    for number in stop_signals():
        handler = signal.getsignal(number)
        if handler in (signal.SIG_IGN, None):
            continue
        previous[number] = handler
        signal.signal(number, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for signum in caught[:1]:
            handler = previous[signum]
            if callable(handler):
                handler(signum, None)
            else:  # SIG_DFL: let the system act on it now
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)


def _write_zip(folder: Path, zip_path: Path) -> Path:
    """The package as ``zip_path``, written to a hidden temporary file beside it and synced;
    returns that file, for the caller to rename into place."""
    partial = make_temp_file(zip_path.parent, f".{zip_path.name}.", _NEW)
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.iterdir()):
                archive.write(path, arcname=f"{zip_path.stem}/{path.name}")
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
    except BaseException:
        _remove(partial)
        raise
    return partial
