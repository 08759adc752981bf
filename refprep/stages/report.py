"""Report stage: pictures people look at instead of reading JSON.

``contact_sheet`` draws all views side by side with their class, angles and verdict;
``html_report`` writes a self-contained page (images referenced beside it in the package)
with every check's value, threshold and advice.
"""

from __future__ import annotations

import html
import re

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..data import VIEW_CLASSES
from ..targets.rules import is_closeup

STATUS_COLOURS = {"pass": (46, 160, 67), "warn": (219, 145, 0), "fail": (207, 34, 46), "skip": (140, 140, 140)}
STATUS_MARKS = {"pass": "OK", "warn": "WARN", "fail": "FAIL", "skip": "-"}
CONTACT_TILE_HEIGHT = 512
CONTACT_CAPTION_HEIGHT = 96
SOURCE_PREFIX = "source_"  # source_1.png...: each input with its views' boxes, for the report


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has only the small bitmap font
        return ImageFont.load_default()


def view_title(entry: dict) -> str:
    """What an image of the package shows: its class, or "front close-up" for the close-up."""
    return f"{entry['view']} close-up" if is_closeup(entry) else entry["view"]


def _angle(value) -> str:
    if value is None:
        return "-"
    degrees = round(value)
    return f"{degrees:+d}°" if degrees else "0°"  # never "-0°"


def _fit(text: str, font, width: int) -> str:
    """``text`` cut (with an ellipsis) to ``width`` pixels in ``font``: captions stay under their tile."""
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "...") > width:
        text = text[:-1]
    return text + "..."


def contact_sheet(entries: list[dict], images: list[np.ndarray], per_row: int = 6,
                  tile_height: int = CONTACT_TILE_HEIGHT) -> Image.Image:
    """All views, ``per_row`` to a row (a 12-view sheet is two rows, not one long strip): each
    tile captioned with class, verdict, yaw, pose evidence and the ids of the checks that
    failed or warned.

    ``entries`` are the manifest's view dicts; ``images`` the matching exported pictures.
    """
    tiles = []
    for entry, picture in zip(entries, images):
        tile = Image.fromarray(picture)
        if tile.mode == "RGBA":  # show transparency on a light checkerboard-free grey
            base = Image.new("RGBA", tile.size, (235, 235, 235, 255))
            tile = Image.alpha_composite(base, tile)
        tile = tile.convert("RGB")
        scale = tile_height / tile.height
        tiles.append((entry, tile.resize((max(1, round(tile.width * scale)), tile_height),
                                         Image.Resampling.LANCZOS)))
    gap = 16
    rows = [tiles[i:i + per_row] for i in range(0, len(tiles), max(1, per_row))] or [[]]
    row_height = tile_height + CONTACT_CAPTION_HEIGHT + gap
    width = max(sum(t.width for _, t in row) + gap * (len(row) + 1) for row in rows)
    sheet = Image.new("RGB", (max(width, 200), row_height * len(rows) + gap), (250, 250, 250))
    draw = ImageDraw.Draw(sheet)
    title_font, small_font = _font(20), _font(16)
    for row_number, row in enumerate(rows):
        x, top = gap, gap + row_number * row_height
        for entry, tile in row:
            sheet.paste(tile, (x, top))
            status = entry["status"]
            colour = STATUS_COLOURS[status]
            draw.rectangle([x - 3, top - 3, x + tile.width + 2, top + tile.height + 2], outline=colour, width=3)
            caption_y = top + tile_height + 8
            draw.text((x, caption_y), f"{view_title(entry)}  [{STATUS_MARKS[status]}]", fill=colour, font=title_font)
            detail = (f"yaw {_angle(entry['yaw_deg'])}  conf {entry['pose_confidence']:.2f}  "
                      f"{entry['pose_method']}")
            draw.text((x, caption_y + 28), detail, fill=(60, 60, 60), font=small_font)
            for line, worst in enumerate(("fail", "warn")):
                named = [c["id"] for c in entry.get("checks", []) if c["status"] == worst]
                if named:
                    draw.text((x, caption_y + 50 + 20 * line),
                              _fit(f"{worst}: {', '.join(named)}", small_font, tile.width),
                              fill=STATUS_COLOURS[worst], font=small_font)
            x += tile.width + gap
    return sheet


def source_overview(picture: np.ndarray, boxes: list[tuple[str, tuple[int, int, int, int], str]],
                    max_side: int = 1600) -> Image.Image:
    """The source image, shrunk to at most ``max_side`` pixels, with each view's box drawn and
    labelled: ``boxes`` are (label, (x, y, w, h) in source pixels, status); a view left out of
    the package has status "skip" and is drawn grey."""
    image = Image.fromarray(picture).convert("RGB")
    scale = min(1.0, max_side / max(image.size))
    if scale < 1.0:
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                             Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(image)
    font = _font(max(14, min(40, image.height // 18)))
    line = max(2, round(min(image.size) / 250))
    for label, (x, y, w, h), status in boxes:
        colour = STATUS_COLOURS.get(status, STATUS_COLOURS["skip"])
        x0, y0 = round(x * scale), round(y * scale)
        x1, y1 = round((x + w) * scale), round((y + h) * scale)
        draw.rectangle([x0, y0, max(x0, x1 - 1), max(y0, y1 - 1)], outline=colour, width=line)
        left, top, right, bottom = draw.textbbox((x0, y0), label, font=font)
        draw.rectangle([left - 3, top - 3, right + 3, bottom + 3], fill=colour)
        draw.text((x0, y0), label, fill=(255, 255, 255), font=font)
    return image


# The report's look: system fonts, no external resources (the page opens offline from the
# package folder), views large enough to judge sharpness and edges at a glance.
REPORT_CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{padding:24px 32px;color:#fff}header h1{margin:0 0 4px;font-size:26px}header p{margin:2px 0}
main{padding:8px 32px 40px}.chips span{display:inline-block;margin:2px 6px 2px 0;padding:2px 10px;border-radius:12px;
background:#fff;border:1px solid #d0d7de}.chips .yes{border-color:#2ea043;color:#1a7f37}.chips .no{color:#6e7781}
section.view{display:grid;grid-template-columns:minmax(320px,1fr) minmax(420px,1.2fr);gap:24px;background:#fff;
border:1px solid #d0d7de;border-radius:10px;padding:20px;margin:24px 0}
@media (max-width:1000px){section.view{grid-template-columns:1fr}}
.picture{display:flex;align-items:flex-start;justify-content:center}
.picture img{width:100%;max-height:85vh;object-fit:contain;border:1px solid #d0d7de;
background:repeating-conic-gradient(#eee 0 25%,#fff 0 50%) 0 0/16px 16px}
h2{margin:0 0 4px;font-size:22px}.angles{font-size:17px;margin:4px 0 2px}.meta{color:#57606a;font-size:13px}
table{border-collapse:collapse;width:100%;margin-top:12px}th,td{text-align:left;vertical-align:top;padding:6px 8px;
border-top:1px solid #eaeef2;font-size:13.5px}th{color:#57606a;font-weight:600}td.num{text-align:right;
white-space:nowrap;font-variant-numeric:tabular-nums}.badge{display:inline-block;min-width:40px;text-align:center;
padding:1px 8px;border-radius:10px;color:#fff;font-weight:600;font-size:12px}
.badge.pass{background:#2ea043}.badge.warn{background:#bf8700}.badge.fail{background:#cf222e}.badge.skip{background:#8c959f}
tr.skip td{color:#8c959f}ul.problems li{margin:3px 0}.sheet img{max-width:100%;border:1px solid #d0d7de}
section.fix{background:#fff;border:1px solid #d0d7de;border-radius:10px;padding:16px 20px;margin:16px 0}
section.fix table{width:auto}section.fix pre{background:#f6f8fa;padding:10px;white-space:pre-wrap;word-break:break-all}
.unsure{color:#9a6700;font-weight:600}details summary{cursor:pointer;color:#57606a;margin-top:8px}
ul.groups{list-style:none;padding-left:0}figure.sheet img{max-height:70vh;max-width:100%}ul.groups summary{color:#1f2328}figure.sheet{margin:8px 0}
"""
# Composes the `refprep build` command from the form below it; no network, no server.
FIX_SCRIPT = """
function composeCommand(){
  var rows=document.querySelectorAll('tr.found'),views=[],drop=[];
  rows.forEach(function(row){var n=row.dataset.index,pick=row.querySelector('select').value;
    views.push(pick);if(!row.querySelector('input').checked){drop.push('--exclude '+n);}});
  var fix=document.getElementById('fix');
  document.getElementById('command').textContent=[fix.dataset.base,'--views',views.join(',')].concat(drop)
    .concat([fix.dataset.tail]).join(' ');
}
document.querySelectorAll('section.fix select, section.fix input').forEach(function(el){
  el.addEventListener('change',composeCommand);});
composeCommand();
"""
VERDICT_WORDS = {"valid": "Valid: ready to upload", "valid_with_warnings": "Valid, with warnings",
                 "invalid": "Invalid: fix the problems below before uploading"}


def _number(value) -> str:
    if value is None:
        return "&ndash;"
    value = float(value)
    return f"{value:.0f}" if value == int(value) or abs(value) >= 100 else f"{value:.3g}"


def _check_rows(checks: list[dict]) -> str:
    e = html.escape
    return "".join(
        f"<tr class='{e(c['status'])}'><td>{e(c['id'])}</td><td><span class='badge {e(c['status'])}'>"
        f"{e(c['status'])}</span></td><td class='num'>{_number(c['value'])}</td>"
        f"<td class='num'>{_number(c['threshold'])}</td><td>{e(c['message'])}</td></tr>"
        for c in checks)


CHECK_HEADER = "<tr><th>check</th><th>result</th><th>value</th><th>limit</th><th>what it means / what to do</th></tr>"


def _view_section(number: int, view: dict, source_name: str = "") -> str:
    """One view: its picture, class and angles, the file it came from, the checks that failed
    or warned, and the passing ones folded away."""
    e = html.escape
    problems = [c for c in view["checks"] if c["status"] in ("fail", "warn")]
    passing = [c for c in view["checks"] if c["status"] not in ("fail", "warn")]
    table = f"<table>{CHECK_HEADER}{_check_rows(problems)}</table>" if problems else \
        "<p class='meta'>No check failed or warned.</p>"
    folded = (f"<details><summary>{len(passing)} passing or skipped check(s)</summary>"
              f"<table>{CHECK_HEADER}{_check_rows(passing)}</table></details>") if passing else ""
    origin = f"from {e(source_name)}, " if source_name else ""
    return (
        f"<section class='view' id='view-{number}'>"
        f"<div class='picture'><img src='{e(view['file'])}' alt='view {number}: {e(view_title(view))}'></div>"
        f"<div><h2>{number}. {e(view_title(view).replace('_', ' '))} "
        f"<span class='badge {e(view['status'])}'>{e(view['status'])}</span></h2>"
        f"<p class='angles'>yaw {_angle(view['yaw_deg'])} &middot; pitch {_angle(view['pitch_deg'])} "
        f"&middot; roll {_angle(view['roll_deg'])}</p>"
        f"<p class='meta'>{e(view['file'])} &middot; {view['width']}&times;{view['height']} px &middot; pose from "
        f"{e(view['pose_method'])}, confidence {view['pose_confidence']:.2f} &middot; "
        f"<span class='source'>{origin}box {e(str(view['bbox']))}</span></p>"
        f"{table}{folded}</div></section>")


def grouped_findings(manifest: dict) -> list[tuple[str, str, list[str]]]:
    """The views' failed and warned checks, one group per (status, check): ("fail",
    "6 views: resolution", ["01_front.png: The figure is 384 px...", ...]); failures first,
    then the groups with the most views."""
    groups: dict[tuple[str, str], list[str]] = {}
    for view in manifest["views"]:
        for check in view["checks"]:
            if check["status"] in ("fail", "warn"):
                groups.setdefault((check["status"], check["id"]), []).append(f"{view['file']}: {check['message']}")
    order = sorted(groups.items(), key=lambda item: (item[0][0] != "fail", -len(item[1]), item[0][1]))
    return [(status, f"{len(lines)} view{'s' if len(lines) > 1 else ''}: {check_id}", lines)
            for (status, check_id), lines in order]


def package_findings_text(manifest: dict) -> tuple[list[str], list[str]]:
    """The manifest's problems and warnings that are not one view's check (the preset's rules)."""
    own = re.compile(r"^.+ \([a-z_]+\): check [a-z_]+")
    return ([p for p in manifest["problems"] if not own.match(p)],
            [w for w in manifest.get("warnings", []) if not own.match(w)])


def _shell_word(text: str) -> str:
    """``text`` quoted for a POSIX shell where it needs it."""
    import shlex

    return shlex.quote(text)


def found_views(manifest: dict) -> list[dict]:
    """Every view the inputs had, exported or left out, in sheet order (by ``index``)."""
    views = [v for v in manifest["views"] if "index" in v] + [v for v in manifest.get("excluded", []) if "index" in v]
    return sorted(views, key=lambda v: v["index"])


def build_command(manifest: dict, classes: list[str] | None = None, excluded: list[int] | None = None) -> str:
    """The ``refprep build`` command that rebuilds this package with ``classes`` declared for
    the found views in sheet order (default: as they are now) and ``excluded`` left out
    (default: those the creator left out before)."""
    found = found_views(manifest)
    if classes is None:
        classes = [v["view"] for v in found]
    if excluded is None:
        excluded = [v["index"] for v in found if "--exclude" in v.get("reason", "")]
    return " ".join([_fix_base(manifest), "--views", ",".join(classes), *(f"--exclude {n}" for n in excluded),
                     _fix_tail(manifest)])


def _fix_base(manifest: dict) -> str:
    return " ".join(["refprep build", *(_shell_word(s["file"]) for s in manifest["sources"])])


def _fix_tail(manifest: dict) -> str:
    return (f"--name {_shell_word(manifest['name'])} --preset {_shell_word(manifest['preset'])} "
            f"--background {_shell_word(str(manifest['background']))} --force")


def _fix_section(manifest: dict) -> str:
    """A class menu and an include box per found view, and the command they compose."""
    e = html.escape
    found = found_views(manifest)
    if not found:
        return ""
    rows = []
    for view in found:
        options = "".join(f"<option value='{c}'{' selected' if c == view['view'] else ''}>{c.replace('_', ' ')}</option>"
                          for c in VIEW_CLASSES)
        unsure = view.get("pose_confidence", 0.0) < 0.7 and view.get("pose_method") != "declared"
        note = "<span class='unsure'>unsure</span>" if unsure else f"{e(view.get('pose_method', ''))}"
        included = "--exclude" not in view.get("reason", "")
        where = f"<a href='#view-{manifest['views'].index(view) + 1}'>{e(view['file'])}</a>" if "file" in view \
            else "left out"
        rows.append(f"<tr class='found' data-index='{view['index']}'><td>{view['index']}</td>"
                    f"<td><select aria-label='class of view {view['index']}'>{options}</select></td>"
                    f"<td><input type='checkbox' aria-label='include view {view['index']}'{' checked' if included else ''}>"
                    f"</td><td>{note} &middot; {view.get('pose_confidence', 0):.2f}</td><td>{where}</td></tr>")
    return (f"<section class='fix' id='fix' data-base='{e(_fix_base(manifest))}' data-tail='{e(_fix_tail(manifest))}'>"
            "<h3>Wrong class? Correct it here</h3><p>Pick the right class or leave a view out; the command below "
            "rebuilds the package with your word on the views (copy it to a terminal in the sheet's folder).</p>"
            "<table><tr><th>#</th><th>class</th><th>include</th><th>read from</th><th>file</th></tr>"
            + "".join(rows) + f"</table><pre id='command'>{e(build_command(manifest))}</pre></section>"
            f"<script>{FIX_SCRIPT}</script>")


def html_report(manifest: dict) -> str:
    """A self-contained HTML page for the package: inline styles, one inline script (the
    class menu composing a ``refprep build`` command), the view images and contact sheet
    referenced beside it in the package folder."""
    e = html.escape
    verdict = manifest["status"]
    colour = {"valid": STATUS_COLOURS["pass"], "valid_with_warnings": STATUS_COLOURS["warn"],
              "invalid": STATUS_COLOURS["fail"]}[verdict]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>refprep report: {e(manifest['name'])}</title><style>{REPORT_CSS}</style></head><body>",
        f"<header style='background:rgb{colour}'><h1>{e(manifest['name'])}</h1>"
        f"<p class='verdict'><b>{e(VERDICT_WORDS[verdict])}</b> &middot; {len(manifest['views'])} view(s)</p>"
        f"<p>Preset {e(manifest['preset'])}, background {e(str(manifest['background']))}, "
        f"refprep {e(manifest['refprep_version'])}, {e(manifest['created_at'])}</p></header><main>",
        "<p class='chips'>Coverage: " + "".join(
            f"<span class='{'yes' if ok else 'no'}'>{'&#10003;' if ok else '&#10007;'} {e(group.replace('_', ' '))}</span>"
            for group, ok in manifest["coverage"].items()) + "</p>",
    ]
    verdict_of = manifest.get("consistency")
    if verdict_of:
        parts.append(f"<p class='consistency'><span class='badge {e(verdict_of['status'])}'>{e(verdict_of['status'])}"
                     f"</span> One character: {e(verdict_of['message'])}</p>")
    rule_problems, rule_warnings = package_findings_text(manifest)
    for title, items in (("Problems", rule_problems), ("Warnings", rule_warnings)):
        if items:
            parts.append(f"<h3>{title}</h3><ul class='problems'>" + "".join(f"<li>{e(p)}</li>" for p in items) + "</ul>")
    groups = grouped_findings(manifest)
    if groups:
        parts.append("<h3>Checks that failed or warned</h3><ul class='groups'>" + "".join(
            f"<li><details><summary><span class='badge {status}'>{status}</span> {e(title)}</summary><ul>"
            + "".join(f"<li>{e(line)}</li>" for line in lines) + "</ul></details></li>"
            for status, title, lines in groups) + "</ul>")
    overviews = [f for f in manifest.get("files", []) if f["file"].startswith(SOURCE_PREFIX)]
    if overviews:
        parts.append("<h3>Where each view came from</h3>" + "".join(
            f"<figure class='sheet'><img src='{e(f['file'])}' alt='source {number}: {e(source['file'])}'>"
            f"<figcaption>{e(source['file'])}: numbered boxes are the package's views, grey ones were left out"
            f"</figcaption></figure>"
            for number, (f, source) in enumerate(zip(overviews, manifest["sources"]), 1)))
    if manifest.get("excluded"):
        parts.append("<h3>Left out</h3><ul>" + "".join(
            f"<li>view {e(str(item.get('index')))} ({e(item['view'])}, box {e(str(item['bbox']))}): "
            f"{e(item['reason'])}</li>" for item in manifest["excluded"]) + "</ul>")
    parts.append(_fix_section(manifest))
    names = [source["file"] for source in manifest["sources"]]
    parts.extend(_view_section(number, view, names[view["source"]] if 0 <= view.get("source", -1) < len(names) else "")
                 for number, view in enumerate(manifest["views"], 1))
    parts.append("<h3>Contact sheet</h3><p class='sheet'><img src='contact_sheet.png' alt='contact sheet'></p>"
                 "</main></body></html>")
    return "\n".join(parts)
