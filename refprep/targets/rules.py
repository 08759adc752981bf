"""A preset's package rules, judged on manifest-shaped view entries.

``build`` judges the entries it is about to write and ``validate`` the entries it reads back
(with the file facts measured from the files, not trusted from the manifest), through the same
functions, so a package that builds valid validates valid and the messages match word for word.

A view entry is a manifest view dict: at least ``file``, ``view`` and ``checks``, plus the file
facts ``format``, ``width``, ``height`` and ``bytes``.
"""

from __future__ import annotations

from ..targets.presets import CLOSEUP_SLOT, FORMAT_EXTENSIONS, GROUP_ORDER, MB, Preset, view_group

# What each rule id means; presets name their sources by these ids and problems cite them.
RULES = {
    "views": "how many images the generator takes",
    "required": "views that must be in the package",
    "recommended": "views that should be (a warning when missing)",
    "frontal_first": "the frontal view comes first and no other image is frontal",
    "closeup": "whether a head close-up may join the views as one more image (--closeup)",
    "formats": "accepted file formats",
    "min_side": "smallest width or height in pixels",
    "max_side": "largest width or height in pixels",
    "aspect": "width / height range",
    "max_bytes": "largest file size",
    "transparency": "whether images with an alpha channel are accepted",
    "real_faces": "photographed human faces the generator refuses (a warning)",
    "data_uri": "longest image sent inline as a data URI (refprep request --inline)",
    "request_bytes": "largest request body, inline images included (refprep request)",
    "thresholds": "the preset's own quality-check thresholds",
}

# Face readings in a view's pose evidence (pose_evidence methods of the face models).
FACE_METHODS = ("face_landmarks", "face_detector")

# Check values are recorded rounded to 4 decimals; a value this close to a threshold may sit
# on either side of it, so its recorded status is taken as it is.
RECORDED_VALUE_TOLERANCE = 1e-4


def dicts(value) -> list[dict]:
    """The dict items of a manifest list; anything else (a hand-edited manifest may hold
    anything) is skipped here and reported by the schema check."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def rule_problem(preset: Preset, rule: str, detail: str) -> str:
    return f"Preset {preset.name}, rule {rule}: {detail}"


def is_closeup(entry: dict) -> bool:
    """Is the entry the head close-up ``--closeup`` added (not a view of its own)?"""
    return entry.get("slot") == CLOSEUP_SLOT


def coverage(entries: list[dict]) -> dict[str, bool]:
    """Which view groups the package's views cover (a close-up is part of no view)."""
    groups = {view_group(entry.get("view")) for entry in entries if not is_closeup(entry)}
    return {group: group in groups for group in GROUP_ORDER}


def _article(group: str) -> str:
    return "a " + group.replace("_", "-")


def _unknown_note(entries: list[dict], excluded: list[dict]) -> str:
    everything = entries + excluded
    unknown = sum(1 for entry in everything if entry.get("view") == "unknown")
    if not unknown:
        return ""
    return (f"; {unknown} of {len(everything)} views have an unknown pose (no face the models could read), "
            "so refprep cannot tell which view they show")


def view_set_problems(entries: list[dict], excluded: list[dict], preset: Preset) -> list[str]:
    """Rules on the set of images: how many, which views, which comes first."""
    problems = []
    count = len(entries)
    if count < preset.min_views:
        wanted = "an image" if preset.min_views == 1 else f"at least {preset.min_views} images"
        problems.append(rule_problem(preset, "views", f"needs {wanted}, but only {count} could be chosen"
                                                      f"{_unknown_note(entries, excluded)}"))
    if preset.max_views is not None and count > preset.max_views:
        problems.append(rule_problem(preset, "views", f"takes at most {preset.max_views} images, "
                                                      f"the package has {count}"))
    covered = coverage(entries)
    for group in preset.required_views:
        if not covered[group]:
            problems.append(rule_problem(preset, "required", f"needs {_article(group)} view and none was "
                                                             f"recognised{_unknown_note(entries, excluded)}"))
    if preset.frontal_first and covered["front"]:
        first = entries[0]
        if first.get("view") != "front":
            problems.append(rule_problem(preset, "frontal_first", f"the first image must be the frontal view, "
                                                                  f"but it is {first.get('file')} ({first.get('view')})"))
            return problems
        for entry in entries[1:]:
            if entry.get("view") == "front" and not is_closeup(entry):
                problems.append(rule_problem(preset, "frontal_first", f"{entry.get('file')} is frontal too; the "
                                                                      "other images must differ from the frontal one"))
    if not preset.accepts_closeup:
        for entry in filter(is_closeup, entries):
            problems.append(rule_problem(preset, "closeup", f"{entry.get('file')} is a head close-up; the generator "
                                                            "takes views of the subject only (build without --closeup)"))
    return problems


def view_set_warnings(entries: list[dict], preset: Preset) -> list[str]:
    """Recommended views that are missing, and unclassified views filling a slot."""
    warnings = []
    covered = coverage(entries)
    for group in preset.recommended_views:
        if not covered[group]:
            warnings.append(rule_problem(preset, "recommended", f"no {group.replace('_', '-')} view in the package; "
                                                                "one keeps the character consistent in turns"))
    if not preset.include_all:
        for entry in entries:
            if entry.get("view") == "unknown":
                warnings.append(f"{entry.get('file')}: its pose is unknown (no face the models could read), so it "
                                f"fills a slot of preset {preset.name} without a confirmed angle; check it shows "
                                "the view you want")
    return warnings


def file_problems(entry: dict, preset: Preset) -> list[str]:
    """Per-file limits: format, pixel sides, aspect ratio, bytes."""
    name, fmt = entry.get("file"), entry.get("format")
    width, height, size = entry.get("width"), entry.get("height"), entry.get("bytes")
    problems = []
    if fmt not in preset.formats:
        problems.append(rule_problem(preset, "formats", f"{name} is {fmt}, the preset accepts "
                                                        f"{', '.join(preset.formats)}"))
    elif not str(name).lower().endswith(FORMAT_EXTENSIONS[fmt]):
        problems.append(rule_problem(preset, "formats", f"{name} holds {fmt} data but its extension says otherwise"))
    if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
        return problems + [f"{name}: width and height unknown"]
    if preset.min_side is not None and min(width, height) < preset.min_side:
        problems.append(rule_problem(preset, "min_side", f"{name} is {width}x{height}, a side under "
                                                         f"{preset.min_side} px"))
    if preset.max_side is not None and max(width, height) > preset.max_side:
        problems.append(rule_problem(preset, "max_side", f"{name} is {width}x{height}, a side over "
                                                         f"{preset.max_side} px"))
    aspect = width / height
    low, high = preset.min_aspect, preset.max_aspect
    if (low is not None and aspect < low) or (high is not None and aspect > high):
        problems.append(rule_problem(preset, "aspect", f"{name} is {width}x{height}, width/height {aspect:.3f} "
                                                       f"outside {low or 0:.3f} to {high or float('inf'):.3f}"))
    if preset.max_bytes is not None and isinstance(size, int) and size > preset.max_bytes:
        problems.append(rule_problem(preset, "max_bytes", f"{name} is {size / MB:.2f} MB, over the "
                                                          f"{preset.max_bytes / MB:.2f} MB limit"))
    return problems


def transparency_problem(background: str, preset: Preset) -> str | None:
    """Why ``preset`` cannot take a package on ``background``, or None."""
    if preset.transparency or str(background).strip().lower() != "transparent":
        return None
    return rule_problem(preset, "transparency", "the generator refuses images with an alpha channel; use "
                                                "--background white (or another colour) instead of transparent")


def photographed_face(entry: dict) -> bool:
    """Does the view show a photographed human face: a photo (not a figure cut from a drawn
    sheet) in which the face models found a face?"""
    return entry.get("kind") == "photo" and any(
        isinstance(reading, dict) and reading.get("method") in FACE_METHODS for reading in entry.get("pose_evidence") or ())


def file_warnings(entry: dict, preset: Preset) -> list[str]:
    """What fitting the limits cost (JPEG instead of lossless PNG), and a photographed face
    the generator refuses unless it is registered there."""
    warnings = []
    if entry.get("format") == "jpeg":
        warnings.append(f"{entry.get('file')}: written as JPEG (quality {entry.get('jpeg_quality')}) to fit preset "
                        f"{preset.name}'s byte limit; JPEG leaves faint ringing next to the outline, so the "
                        "background there is not exactly flat")
    if preset.refuses_real_faces and photographed_face(entry):
        warnings.append(rule_problem(preset, "real_faces", f"{entry.get('file')} shows a photographed human face; the "
                                                           "generator refuses real faces unless they are registered in "
                                                           "its asset library (stylised characters pass)"))
    return warnings


def check_findings(entry: dict) -> tuple[list[str], list[str]]:
    """(failures, warnings) from one view's recorded quality checks."""
    failures, warnings = [], []
    label = f"{entry.get('file')} ({entry.get('view')})"
    for check in dicts(entry.get("checks")):
        if check.get("status") == "fail":
            failures.append(f"{label}: check {check.get('id')} failed: {check.get('message')}")
        elif check.get("status") == "warn":
            warnings.append(f"{label}: check {check.get('id')}: {check.get('message')}")
    return failures, warnings


def package_findings(entries: list[dict], excluded: list[dict], preset: Preset
                     ) -> tuple[list[str], list[str], dict[str, bool]]:
    """Every rule of ``preset`` on the package: (failures, warnings, coverage by view group)."""
    failures = view_set_problems(entries, excluded, preset)
    warnings = view_set_warnings(entries, preset)
    for entry in entries:
        failures.extend(file_problems(entry, preset))
        warnings.extend(file_warnings(entry, preset))
        check_failures, check_warnings = check_findings(entry)
        failures.extend(check_failures)
        warnings.extend(check_warnings)
    return failures, warnings, coverage(entries)


def regrade(check: dict, thresholds: dict[str, dict[str, float]], upscaled: bool = False) -> str | None:
    """The status a recorded check earns under ``thresholds``, or None where that cannot be
    told from the record (no value, a one-sided limit, a value on a threshold).

    A warn level is always reached before a fail level, so a fail threshold above the warn
    threshold means higher values are worse, and below it that lower values are. The
    resolution check of an ``upscaled`` view warns whatever its (source) value: the pixels
    are there, their detail is invented."""
    from ..stages.quality import _grade

    if upscaled and check.get("id") == "resolution":
        return "warn"
    limits = thresholds.get(str(check.get("id")), {})
    value, warn, fail = check.get("value"), limits.get("warn"), limits.get("fail")
    if not isinstance(value, (int, float)) or warn is None or fail is None or warn == fail:
        return None
    if min(abs(value - warn), abs(value - fail)) <= RECORDED_VALUE_TOLERANCE:
        return None
    return _grade(value, limits, higher_is_worse=fail > warn)[0]
