"""Package stage: exported views with their checks -> NAME/ on disk, all or nothing.

The package is written into a hidden temporary folder beside the target and renamed into
place, so an interrupted or failed run leaves either the old package or the new one,
never a mix. The manifest lists the sha256 of every other file and ends with the sha256 of
its own content (``integrity``), so ``validation.py`` notices any byte changed by hand.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from . import __version__
from .data import Source
from .errors import OutputError
from .export import Exported, LeftOut
from .report import contact_sheet, html_report

SCHEMA = "refprep.subject-package/1"
MANIFEST = "manifest.json"
CONTACT_SHEET = "contact_sheet.png"
REPORT = "report.html"
# Characters allowed in a package name; anything else (path separators, '..') becomes '_'.
_UNSAFE_NAME = re.compile(r"[^\w. -]+")


def safe_package_name(name: str) -> str:
    """A folder name that cannot escape the output folder."""
    cleaned = _UNSAFE_NAME.sub("_", name).strip(" .")
    return cleaned or "package"


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
            {"file": source.path.name, "sha256": source.sha256, "width": source.width, "height": source.height,
             "format": source.file_format, "mode": source.original_mode, "annotations": notes}
            for source, notes in zip(sources, annotations)
        ],
        "views": entries,
        "excluded": excluded,
    }


def write_package(target: Path, manifest: dict, exported: list[Exported], force: bool = False,
                  make_zip: bool = False) -> dict:
    """Write the package to ``target`` atomically; returns the manifest with its file list
    (contact sheet and report hashes) and integrity hash added."""
    from .export import png_bytes

    sheet = png_bytes(np.asarray(contact_sheet(manifest["views"], [item.picture for item in exported])))
    report = html_report(manifest).encode("utf-8")
    manifest = {**manifest, "files": [{"file": CONTACT_SHEET, "sha256": sha256(sheet)},
                                      {"file": REPORT, "sha256": sha256(report)}]}
    manifest["integrity"] = {"manifest_sha256": content_sha256(manifest)}
    files = [(item.file, item.data) for item in exported] + [(CONTACT_SHEET, sheet), (REPORT, report),
                                                             (MANIFEST, manifest_text(manifest).encode("utf-8"))]

    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not force:
        raise OutputError(f"{target}: package exists (use --force to replace it)")
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        for filename, data in files:
            (staging / filename).write_bytes(data)
        if make_zip:
            _write_zip(staging, target.parent / f"{target.name}.zip")
        _replace_dir(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _replace_dir(staging: Path, target: Path) -> None:
    """Move ``staging`` to ``target``; an existing target is swapped out, then removed."""
    if not target.exists():
        os.rename(staging, target)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    os.rename(target, retired / "package")
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(retired / "package", target)
        raise
    finally:
        shutil.rmtree(retired, ignore_errors=True)


def _write_zip(folder: Path, zip_path: Path) -> None:
    partial = zip_path.with_name(f".{zip_path.name}.tmp")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, arcname=f"{zip_path.stem}/{path.name}")
    os.replace(partial, zip_path)
