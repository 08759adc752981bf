"""Package stage: views with their checks -> NAME/ on disk, all or nothing.

The package is written into a hidden temporary folder beside the target and renamed into
place, so an interrupted or failed run leaves either the old package or the new one,
never a mix. ``validate_package`` re-checks a written package (folder or zip).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from PIL import Image

from . import __version__
from .data import Source, View
from .errors import InputError, OutputError
from .report import contact_sheet, html_report

SCHEMA = "refprep.subject-package/1"
REQUIRED_FIELDS = ("schema", "name", "created_at", "refprep_version", "preset", "background", "status",
                   "problems", "coverage", "sources", "views")
REQUIRED_VIEW_FIELDS = ("file", "sha256", "width", "height", "source", "bbox", "view", "yaw_deg", "pitch_deg",
                        "roll_deg", "pose_confidence", "pose_method", "checks")
# Characters allowed in a package name; anything else (path separators, '..') becomes '_'.
_UNSAFE_NAME = re.compile(r"[^\w. -]+")


def safe_package_name(name: str) -> str:
    """A folder name that cannot escape the output folder."""
    cleaned = _UNSAFE_NAME.sub("_", name).strip(" .")
    return cleaned or "package"


def view_filename(index: int, view: View) -> str:
    return f"{index:02d}_{view.pose.view}.png"


def _png_bytes(picture: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def build_manifest(name: str, preset: str, background: str, sources: list[Source], views: list[View],
                   files: list[tuple[str, bytes]], failures: list[str], warnings: list[str],
                   coverage: dict[str, bool], annotations: list[list[dict]]) -> dict:
    status = "invalid" if failures else ("valid_with_warnings" if warnings else "valid")
    view_entries = []
    for view, (filename, data) in zip(views, files):
        height, width = view.cleaned.shape[:2]
        view_entries.append({
            "file": filename,
            "sha256": hashlib.sha256(data).hexdigest(),
            "width": int(width),
            "height": int(height),
            "source": view.source_index,
            "bbox": [int(v) for v in view.bbox],
            **view.pose.as_dict(),
            "kind": view.kind,
            "framing": view.framing,
            "status": view.status,
            "checks": [check.as_dict() for check in view.checks],
        })
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
        "views": view_entries,
    }


def write_package(target: Path, name: str, preset: str, background: str, sources: list[Source],
                  views: list[View], failures: list[str], warnings: list[str], coverage: dict[str, bool],
                  annotations: list[list[dict]], force: bool = False, make_zip: bool = False) -> dict:
    """Write the package to ``target`` atomically and return its manifest."""
    files = [(view_filename(i, view), _png_bytes(view.cleaned)) for i, view in enumerate(views, 1)]
    manifest = build_manifest(name, preset, background, sources, views, files, failures, warnings,
                              coverage, annotations)
    sheet = contact_sheet(manifest["views"], [view.cleaned for view in views])

    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not force:
        raise OutputError(f"{target}: package exists (use --force to replace it)")
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        for filename, data in files:
            (staging / filename).write_bytes(data)
        sheet.save(staging / "contact_sheet.png")
        (staging / "report.html").write_text(html_report(manifest), encoding="utf-8")
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
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


# --- validate ------------------------------------------------------------------------------

def _read_package(path: Path) -> tuple[dict, dict[str, bytes]]:
    """(manifest, {file name: bytes}) from a package folder or zip."""
    if path.is_dir():
        manifest_path = path / "manifest.json"
        if not manifest_path.is_file():
            raise InputError(path, "no manifest.json: not a refprep package")
        files = {p.name: p.read_bytes() for p in path.iterdir() if p.is_file()}
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            files = {Path(n).name: archive.read(n) for n in archive.namelist() if not n.endswith("/")}
        if "manifest.json" not in files:
            raise InputError(path, "zip holds no manifest.json: not a refprep package")
    else:
        raise InputError(path, "not a package folder or zip")
    try:
        manifest = json.loads(files["manifest.json"])
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(path, f"manifest.json is not valid JSON ({exc})") from None
    return manifest, files


def validate_package(path: Path) -> dict:
    """Re-check a package: schema, file hashes, image sizes, flat border, recorded checks."""
    manifest, files = _read_package(path)
    problems: list[str] = []
    missing = [f for f in REQUIRED_FIELDS if f not in manifest]
    if missing:
        problems.append(f"manifest.json lacks {', '.join(missing)}")
    if manifest.get("schema") != SCHEMA:
        problems.append(f"schema is {manifest.get('schema')!r}, expected {SCHEMA!r}")
    background = manifest.get("background")
    for entry in manifest.get("views", []):
        name = entry.get("file", "?")
        lacking = [f for f in REQUIRED_VIEW_FIELDS if f not in entry]
        if lacking:
            problems.append(f"{name}: manifest entry lacks {', '.join(lacking)}")
        data = files.get(name)
        if data is None:
            problems.append(f"{name}: listed in the manifest but missing from the package")
            continue
        if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            problems.append(f"{name}: sha256 does not match the manifest (file changed after export)")
        problems.extend(_image_problems(name, data, entry, background))
        for check in entry.get("checks", []):
            if check.get("status") == "fail":
                problems.append(f"{name}: check {check.get('id')} failed: {check.get('message')}")
    listed = {e.get("file") for e in manifest.get("views", [])} | {"manifest.json", "contact_sheet.png", "report.html"}
    for extra in sorted(set(files) - listed):
        problems.append(f"{extra}: file in the package but not in the manifest")
    for rule in manifest.get("problems", []):
        if not rule.startswith("View "):  # view failures were reported from the checks above
            problems.append(rule)
    return {"package": str(path), "status": "invalid" if problems else "valid", "problems": problems}


def _image_problems(name: str, data: bytes, entry: dict, background) -> list[str]:
    from .clean import parse_background

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            picture = np.asarray(image)
            size = image.size
    except Exception as exc:  # any decoder error means the file is damaged
        return [f"{name}: not a readable image ({exc})"]
    problems = []
    if list(size) != [entry.get("width"), entry.get("height")]:
        problems.append(f"{name}: is {size[0]}x{size[1]}, manifest says {entry.get('width')}x{entry.get('height')}")
    try:
        colour = parse_background(str(background))
    except ValueError:
        return problems + [f"manifest background {background!r} is not a known background"]
    border = np.concatenate([picture[0], picture[-1], picture[:, 0], picture[:, -1]])
    if colour is None:
        if picture.ndim != 3 or picture.shape[2] != 4 or np.any(border[:, 3] != 0):
            problems.append(f"{name}: border is not fully transparent")
    elif picture.ndim != 3 or np.any(border[:, :3] != np.array(colour, np.uint8)):
        problems.append(f"{name}: border is not exactly the background colour {colour}")
    return problems


