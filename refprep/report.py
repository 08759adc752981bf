"""Report stage: pictures people look at instead of reading JSON.

``contact_sheet`` draws all views side by side with their class, angles and verdict;
``html_report`` writes a self-contained page (images referenced beside it in the package)
with every check's value, threshold and advice.
"""

from __future__ import annotations

import html

import numpy as np
from PIL import Image, ImageDraw, ImageFont

STATUS_COLOURS = {"pass": (46, 160, 67), "warn": (219, 145, 0), "fail": (207, 34, 46), "skip": (140, 140, 140)}
STATUS_MARKS = {"pass": "OK", "warn": "WARN", "fail": "FAIL", "skip": "-"}
CONTACT_TILE_HEIGHT = 512
CONTACT_CAPTION_HEIGHT = 64


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has only the small bitmap font
        return ImageFont.load_default()


def _angle(value) -> str:
    return "-" if value is None else f"{value:+.0f}°"


def contact_sheet(entries: list[dict], images: list[np.ndarray]) -> Image.Image:
    """All views in one row: each tile captioned with file, class, yaw and verdict.

    ``entries`` are the manifest's view dicts; ``images`` the matching exported pictures.
    """
    tiles = []
    for entry, picture in zip(entries, images):
        tile = Image.fromarray(picture)
        if tile.mode == "RGBA":  # show transparency on a light checkerboard-free grey
            base = Image.new("RGBA", tile.size, (235, 235, 235, 255))
            tile = Image.alpha_composite(base, tile)
        tile = tile.convert("RGB")
        scale = CONTACT_TILE_HEIGHT / tile.height
        tiles.append((entry, tile.resize((max(1, round(tile.width * scale)), CONTACT_TILE_HEIGHT),
                                         Image.Resampling.LANCZOS)))
    gap = 16
    width = sum(t.width for _, t in tiles) + gap * (len(tiles) + 1)
    sheet = Image.new("RGB", (max(width, 200), CONTACT_TILE_HEIGHT + CONTACT_CAPTION_HEIGHT + 2 * gap), (250, 250, 250))
    draw = ImageDraw.Draw(sheet)
    title_font, small_font = _font(20), _font(16)
    x = gap
    for entry, tile in tiles:
        sheet.paste(tile, (x, gap))
        status = entry["status"]
        colour = STATUS_COLOURS[status]
        draw.rectangle([x - 3, gap - 3, x + tile.width + 2, gap + tile.height + 2], outline=colour, width=3)
        caption_y = gap + CONTACT_TILE_HEIGHT + 8
        draw.text((x, caption_y), f"{entry['view']}  [{STATUS_MARKS[status]}]", fill=colour, font=title_font)
        detail = (f"yaw {_angle(entry['yaw_deg'])}  conf {entry['pose_confidence']:.2f}  "
                  f"{entry['pose_method']}")
        draw.text((x, caption_y + 28), detail, fill=(60, 60, 60), font=small_font)
        x += tile.width + gap
    return sheet


def html_report(manifest: dict) -> str:
    """A self-contained HTML page for the package (images are the files beside it)."""
    e = html.escape
    verdict_colour = {"valid": STATUS_COLOURS["pass"], "valid_with_warnings": STATUS_COLOURS["warn"],
                      "invalid": STATUS_COLOURS["fail"]}[manifest["status"]]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>refprep report: {e(manifest['name'])}</title>",
        "<style>body{font:15px/1.4 system-ui,sans-serif;margin:2em;color:#222;background:#fafafa}"
        ".views{display:flex;flex-wrap:wrap;gap:24px}.view{background:#fff;border:1px solid #ddd;padding:12px;"
        "border-radius:8px;max-width:520px}.view img{max-width:100%;max-height:520px;display:block;margin:auto;"
        "background:repeating-conic-gradient(#eee 0 25%,#fff 0 50%) 0 0/16px 16px}"
        "table{border-collapse:collapse;width:100%;margin-top:8px}td,th{border-top:1px solid #eee;padding:4px;"
        "text-align:left;vertical-align:top;font-size:13px}.pass{color:#2ea043}.warn{color:#db9100}"
        ".fail{color:#cf222e}.skip{color:#888}.verdict{font-size:20px;font-weight:600}</style></head><body>",
        f"<h1>{e(manifest['name'])}</h1>",
        f"<p class='verdict' style='color:rgb{verdict_colour}'>{e(manifest['status'].replace('_', ' '))}</p>",
        f"<p>Preset <b>{e(manifest['preset'])}</b>, background <b>{e(str(manifest['background']))}</b>, "
        f"made by refprep {e(manifest['refprep_version'])} on {e(manifest['created_at'])}.</p>",
        "<p>Coverage: " + ", ".join(
            f"<span class='{'pass' if ok else 'fail'}'>{e(group)} {'✓' if ok else '✗'}</span>"
            for group, ok in manifest["coverage"].items()) + "</p>",
    ]
    if manifest["problems"]:
        parts.append("<h2>Problems</h2><ul>" + "".join(f"<li>{e(p)}</li>" for p in manifest["problems"]) + "</ul>")
    if manifest.get("warnings"):
        parts.append("<h2>Warnings</h2><ul>" + "".join(f"<li>{e(p)}</li>" for p in manifest["warnings"]) + "</ul>")
    if manifest.get("excluded"):
        parts.append("<h2>Left out</h2><ul>" + "".join(
            f"<li>view {e(str(item.get('index')))} ({e(item['view'])}, box {e(str(item['bbox']))}): "
            f"{e(item['reason'])}</li>" for item in manifest["excluded"]) + "</ul>")
    parts.append("<h2>Views</h2><div class='views'>")
    for view in manifest["views"]:
        rows = "".join(
            f"<tr><td>{e(c['id'])}</td><td class='{c['status']}'>{e(c['status'])}</td>"
            f"<td>{'' if c['value'] is None else e(str(c['value']))}</td>"
            f"<td>{'' if c['threshold'] is None else e(str(c['threshold']))}</td><td>{e(c['message'])}</td></tr>"
            for c in view["checks"])
        parts.append(
            f"<div class='view'><img src='{e(view['file'])}' alt='{e(view['view'])}'>"
            f"<h3 class='{view['status']}'>{e(view['file'])}: {e(view['view'])}</h3>"
            f"<p>yaw {_angle(view['yaw_deg'])}, pitch {_angle(view['pitch_deg'])}, roll {_angle(view['roll_deg'])}; "
            f"confidence {view['pose_confidence']:.2f} ({e(view['pose_method'])}); "
            f"box in source {e(str(view['bbox']))}</p>"
            f"<table><tr><th>check</th><th>status</th><th>value</th><th>threshold</th><th>advice</th></tr>{rows}</table></div>")
    parts.append("</div><p><img src='contact_sheet.png' alt='contact sheet' style='max-width:100%'></p></body></html>")
    return "\n".join(parts)
