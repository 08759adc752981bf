"""The report and contact sheet as issue 25 asks: the source with numbered boxes, each view's
source file, problems grouped by check, passing checks folded, six views to a row."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

import refprep
from refprep.stages.report import STATUS_COLOURS, contact_sheet, grouped_findings, html_report, source_overview

from cli_helpers import shared_models  # noqa: F401  (a fixture)
from conftest import FIXTURES


def check(check_id, status, message="m"):
    return {"id": check_id, "status": status, "value": 1.0, "threshold": 2.0, "message": message}


def entry(number, status="pass", checks=(), source=0):
    return {"file": f"{number:02d}_front.png", "view": "front", "status": status, "yaw_deg": 0.0, "pitch_deg": None,
            "roll_deg": None, "pose_confidence": 0.9, "pose_method": "label", "bbox": [10 * number, 5, 8, 20],
            "width": 100, "height": 200, "source": source, "index": number, "checks": list(checks)}


def manifest(views):
    return {"name": "hero", "status": "invalid", "preset": "generic", "background": "white",
            "refprep_version": "0", "created_at": "now", "coverage": {"front": True}, "problems": [],
            "warnings": ["Preset generic, rule recommended: no side view"], "excluded": [],
            "sources": [{"file": "sheet.png"}, {"file": "other.png"}], "views": views}


def test_contact_sheet_wraps_at_six_views_a_row():
    picture = np.full((200, 100, 3), 255, np.uint8)
    one_row = contact_sheet([entry(i) for i in range(1, 7)], [picture] * 6, tile_height=100)
    two_rows = contact_sheet([entry(i) for i in range(1, 13)], [picture] * 12, tile_height=100)
    assert two_rows.width == one_row.width  # twelve views: the same width, not one long strip
    assert two_rows.height > 1.8 * one_row.height
    seven = contact_sheet([entry(i) for i in range(1, 8)], [picture] * 7, tile_height=100, per_row=3)
    assert seven.width < one_row.width and seven.height > 2.5 * one_row.height


def test_problems_are_grouped_by_check_failures_first():
    views = [entry(i, "fail", [check("resolution", "fail", f"view {i} small"), check("sharpness", "pass")])
             for i in range(1, 7)] + [entry(7, "warn", [check("face_size", "warn")])]
    groups = grouped_findings(manifest(views))
    assert [(status, title) for status, title, _ in groups] == [("fail", "6 views: resolution"),
                                                                ("warn", "1 view: face_size")]
    assert groups[0][2][0] == "01_front.png: view 1 small"


def test_report_folds_passing_checks_and_names_each_views_source():
    views = [entry(1, "warn", [check("face_size", "warn", "small face"), check("sharpness", "pass", "sharp enough")]),
             entry(2, "pass", [check("sharpness", "pass", "sharp enough")], source=1)]
    page = html_report(manifest(views))
    view_one = page[page.index("id='view-1'"):page.index("id='view-2'")]
    # the warning in the open table, the passing check inside <details>
    assert view_one.index("small face") < view_one.index("<details>") < view_one.index("sharp enough")
    assert "1 passing or skipped check(s)" in view_one
    assert "from sheet.png" in view_one and "from other.png" in page[page.index("id='view-2'"):]
    assert "1 view: face_size" in page and "Preset generic, rule recommended" in page
    # the report no longer repeats each view's check as a loose warning line above the pictures
    assert page.index("Checks that failed or warned") < page.index("id='view-1'")


def test_source_overview_draws_each_box_in_its_status_colour():
    picture = np.full((400, 800, 3), 200, np.uint8)
    drawn = np.asarray(source_overview(picture, [("1", (100, 100, 200, 200), "pass"), ("x", (500, 50, 100, 300),
                                                                                        "skip")], max_side=400))
    assert drawn.shape == (200, 400, 3)  # shrunk to max_side
    assert (drawn[:, :, :] == STATUS_COLOURS["pass"]).all(axis=2).sum() > 100
    assert (drawn == STATUS_COLOURS["skip"]).all(axis=2).sum() > 100


def test_built_package_shows_its_sources_and_still_validates(tmp_path, shared_models):
    result = refprep.build([FIXTURES / "sheet_row4_gradient.png", FIXTURES / "single_front_white.png"],
                           out_dir=tmp_path, name="two")
    listed = [f["file"] for f in result.manifest["files"]]
    assert {"source_1.png", "source_2.png"} <= set(listed)
    for name in ("source_1.png", "source_2.png"):
        with Image.open(result.package / name) as image:
            assert max(image.size) <= 1600
    page = (result.package / "report.html").read_text()
    assert "src='source_1.png'" in page and "from sheet_row4_gradient.png" in page
    assert refprep.validate(result.package).problems == [p for p in result.manifest["problems"]]
    on_disk = json.loads((result.package / "manifest.json").read_text())
    assert on_disk["files"] == result.manifest["files"]


def test_build_open_launches_the_report(tmp_path, shared_models, monkeypatch):
    import click

    from cli_helpers import cli

    opened = []
    monkeypatch.setattr(click, "launch", lambda url, **kwargs: opened.append(url))
    result = cli("build", FIXTURES / "sheet_row4_gradient.png", "-o", tmp_path, "--open", "-q")
    assert result.exit_code in (0, 1), result.stderr
    assert opened == [str(tmp_path / "sheet_row4_gradient" / "report.html")]
