"""Validate stage: re-check a written package (folder or zip) without trusting it.

In order: manifest.json against the published JSON Schema (``schema/subject-package-1.json``);
its bytes against refprep's own serialisation and its content against the recorded
``integrity`` hash; the sha256 of every file it lists, and no file it does not list; every view
image decoded (size as recorded, border exactly the background colour); the preset's rules on
the facts measured from the files; every recorded check re-graded against the preset's
thresholds. Any byte changed in any file or field makes the package invalid.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..stages.package import CONTACT_SHEET, MANIFEST, REPORT, content_sha256, manifest_text, sha256
from ..targets.presets import PRESETS, Preset, find_preset
from ..targets.rules import dicts, package_findings, regrade, transparency_problem

SCHEMA_FILE = "subject-package-1.json"
# Pillow format names -> the names presets use.
PIL_FORMATS = {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp"}


@dataclass
class ValidationReport:
    """What ``refprep validate`` prints: valid or invalid, and why."""

    package: str
    preset: str | None
    status: str  # "valid" | "invalid"
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"package": self.package, "preset": self.preset, "status": self.status,
                "problems": self.problems, "warnings": self.warnings}


@lru_cache(maxsize=1)
def manifest_schema() -> dict:
    """The published JSON Schema of manifest.json (shipped inside the package)."""
    return json.loads(resources.files("refprep").joinpath("schema", SCHEMA_FILE).read_text(encoding="utf-8"))


def schema_problems(manifest) -> list[str]:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(manifest_schema())
    problems = []
    for error in sorted(validator.iter_errors(manifest), key=lambda e: list(map(str, e.absolute_path))):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
        problems.append(f"manifest.json{': ' + where if where else ''}: {error.message} (schema)")
    return problems


def read_package(path: Path) -> dict[str, bytes]:
    """{file name: bytes} of a package folder or zip; exit-2 errors for what is no package."""
    if path.is_dir():
        files = {p.name: p.read_bytes() for p in path.iterdir() if p.is_file()}
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            files = {Path(n).name: archive.read(n) for n in archive.namelist() if not n.endswith("/")}
    else:
        raise InputError(path, "not a package folder or zip")
    if MANIFEST not in files:
        raise InputError(path, "no manifest.json: not a refprep package")
    return files


def integrity_problems(manifest: dict, raw: bytes) -> list[str]:
    problems = []
    if raw != manifest_text(manifest).encode("utf-8"):
        problems.append("manifest.json: its bytes differ from refprep's own serialisation of its content "
                        "(edited or re-saved by hand)")
    integrity = manifest.get("integrity")
    recorded = integrity.get("manifest_sha256") if isinstance(integrity, dict) else None
    if recorded is None:
        problems.append("manifest.json: no integrity.manifest_sha256, so edits to its fields cannot be ruled out")
    elif recorded != content_sha256(manifest):
        problems.append("manifest.json: its content does not match integrity.manifest_sha256 "
                        "(a field was changed after export)")
    return problems


def _decode(name: str, data: bytes):
    """(picture, format) of an image file, or a problem sentence."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return np.asarray(image), PIL_FORMATS.get(image.format, str(image.format).lower())
    except Exception as exc:  # any decoder error means the file is damaged
        return f"{name}: not a readable image ({exc})"


def border_problem(name: str, picture: np.ndarray, background) -> str | None:
    from ..stages.clean import parse_background

    try:
        colour = parse_background(str(background))
    except ValueError:
        return f"manifest background {background!r} is not a known background"
    if picture.ndim != 3:
        return f"{name}: not an RGB or RGBA image"
    border = np.concatenate([picture[0], picture[-1], picture[:, 0], picture[:, -1]])
    if colour is None:
        if picture.shape[2] != 4 or np.any(border[:, 3] != 0):
            return f"{name}: border is not fully transparent"
    elif np.any(border[:, :3] != np.array(colour, np.uint8)):
        return f"{name}: border is not exactly the background colour {colour}"
    return None


def view_facts(entry: dict, files: dict[str, bytes], background) -> tuple[dict | None, list[str]]:
    """The entry with its file facts measured from the file itself, and what is wrong with the file."""
    name = entry.get("file")
    data = files.get(name) if isinstance(name, str) else None
    if data is None:
        return None, [f"{name}: listed in the manifest but missing from the package"]
    problems = []
    if sha256(data) != entry.get("sha256"):
        problems.append(f"{name}: sha256 does not match the manifest (file changed after export)")
    decoded = _decode(name, data)
    if isinstance(decoded, str):
        return None, problems + [decoded]
    picture, fmt = decoded
    height, width = picture.shape[:2]
    if [width, height] != [entry.get("width"), entry.get("height")]:
        problems.append(f"{name}: is {width}x{height}, manifest says {entry.get('width')}x{entry.get('height')}")
    border = border_problem(name, picture, background)
    if border:
        problems.append(border)
    return {**entry, "format": fmt, "width": int(width), "height": int(height), "bytes": len(data)}, problems


def regraded_checks(entry: dict, preset: Preset, own_preset: bool) -> tuple[list[dict], list[str]]:
    """The entry's recorded checks with the status each earns under ``preset``'s thresholds.
    Under the package's own preset a disagreement with the recorded status is a problem."""
    thresholds = preset.thresholds()
    checks, problems = [], []
    for check in dicts(entry.get("checks")):
        status = regrade(check, thresholds, upscaled=bool(entry.get("upscaled_from")))
        if status is None or status == check.get("status"):
            checks.append(check)
            continue
        if own_preset:
            problems.append(f"{entry.get('file')}: check {check.get('id')} is recorded {check.get('status')} but "
                            f"its value {check.get('value')} is {status} against threshold(s) "
                            f"{thresholds.get(str(check.get('id')))}")
        checks.append({**check, "status": status})
    return checks, problems


def other_file_problems(manifest: dict, files: dict[str, bytes]) -> list[str]:
    """The contact sheet and report against their recorded sha256, and files nobody listed."""
    problems, listed = [], {MANIFEST} | {str(entry.get("file")) for entry in dicts(manifest.get("views"))}
    for entry in dicts(manifest.get("files")):
        file_name = str(entry.get("file"))
        listed.add(file_name)
        data = files.get(file_name)
        if data is None:
            problems.append(f"{file_name}: listed in the manifest but missing from the package")
        elif sha256(data) != entry.get("sha256"):
            problems.append(f"{file_name}: sha256 does not match the manifest (file changed after export)")
    for required in (CONTACT_SHEET, REPORT):
        if required not in listed:
            problems.append(f"{required}: not listed in the manifest's files")
    for extra in sorted(set(files) - listed):
        problems.append(f"{extra}: file in the package but not in the manifest")
    return problems


def validate_package(path: Path, preset_name: str | None = None) -> ValidationReport:
    """Re-check a package folder or zip; ``preset_name`` (default: the manifest's) sets the rules."""
    files = read_package(path)
    raw = files[MANIFEST]
    try:
        manifest = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return ValidationReport(str(path), preset_name, "invalid", [f"manifest.json is not valid JSON ({exc})"])
    if not isinstance(manifest, dict):
        return ValidationReport(str(path), preset_name, "invalid", ["manifest.json is not a JSON object"])
    problems = schema_problems(manifest) + integrity_problems(manifest, raw)
    recorded = manifest.get("preset")
    used = preset_name or recorded
    preset = find_preset(used) if isinstance(used, str) else None
    if preset is None:
        problems.append(f"preset {used!r} is not a refprep preset ({', '.join(PRESETS)})")
    else:
        used = preset.name  # an earlier name of a preset is that preset
    own_preset = preset is not None and isinstance(recorded, str) and find_preset(recorded) is preset

    entries = []
    for entry in dicts(manifest.get("views")):
        measured, file_problems = view_facts(entry, files, manifest.get("background"))
        problems.extend(file_problems)
        if measured is not None and preset is not None:
            measured["checks"], check_problems = regraded_checks(measured, preset, own_preset)
            problems.extend(check_problems)
        entries.append(measured or entry)
    problems.extend(other_file_problems(manifest, files))

    warnings: list[str] = []
    if preset is not None:
        failures, warnings, derived = package_findings(entries, dicts(manifest.get("excluded")), preset)
        problems.extend(failures)
        transparency = transparency_problem(manifest.get("background"), preset)
        if transparency:
            problems.append(transparency)
        if manifest.get("coverage") != derived:
            problems.append(f"manifest coverage {manifest.get('coverage')} does not match its views ({derived})")
    if own_preset and manifest.get("status") == "invalid":
        problems.extend(f"recorded at export: {p}" for p in _strings(manifest.get("problems")) if p not in problems)
    problems = list(dict.fromkeys(problems))
    return ValidationReport(str(path), used if isinstance(used, str) else None,
                            "invalid" if problems else "valid", problems, warnings)


def _strings(value) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
