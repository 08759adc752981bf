"""The package's report.html and contact sheet, opened the way a user opens them: the page in a
real headless browser (Debian's chromium, installed by .ci/run; skipped where there is none)."""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile

import numpy as np
import pytest
from PIL import Image

import refprep

from conftest import FIXTURES

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return refprep.build([FIXTURES / "sheet_row3_vignette.png"], out_dir=out)


@pytest.fixture(scope="module")
def browser() -> str:
    found = next((path for path in map(shutil.which, BROWSERS) if path), None)
    if found is None:
        pytest.skip("no chromium binary on this machine (.ci/run installs Debian's chromium)")
    return found


def run_browser(browser: str, *args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=120)


def signature_colour(picture: np.ndarray) -> np.ndarray:
    """The most frequent strongly coloured pixel value of a view (its costume, say): a colour
    the report's own styling never uses, so finding it on screen means the view rendered."""
    pixels = picture[..., :3].reshape(-1, 3).astype(int)
    saturated = pixels[(pixels.max(axis=1) - pixels.min(axis=1)) > 60]
    values, counts = np.unique(saturated // 8 * 8 + 4, axis=0, return_counts=True)
    return values[np.argmax(counts)]


def test_report_lists_every_view_and_check(package):
    page = (package.package / "report.html").read_text()
    assert "<script src" not in page and "http" not in page  # self-contained: opens offline
    for view in package.manifest["views"]:
        assert f"src='{view['file']}'" in page
        assert f"<h2>{package.manifest['views'].index(view) + 1}. {view['view'].replace('_', ' ')}" in page
        for check in view["checks"]:
            assert f"<td>{html.escape(check['id'])}</td>" in page and html.escape(check["message"]) in page


def test_report_renders_the_views_in_chromium(package, browser, tmp_path):
    shot = tmp_path / "report.png"
    result = run_browser(browser, f"--screenshot={shot}", "--window-size=1400,3000",
                         (package.package / "report.html").as_uri())
    assert shot.is_file(), result.stderr[-2000:]
    screen = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert screen.std() > 20  # not a blank page
    for view in package.manifest["views"]:
        picture = np.asarray(Image.open(package.package / view["file"]))
        colour = signature_colour(picture)
        shown = np.all(np.abs(screen - colour) <= 12, axis=2)
        assert shown.sum() > 2000, (view["file"], colour)  # the view is drawn, and large
    # Without the view files beside it the same page shows none of those colours: the
    # pixels above came from the images, not from the page's own styling.
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(package.package / "report.html", bare / "report.html")
    run_browser(browser, f"--screenshot={tmp_path / 'bare.png'}", "--window-size=1400,3000",
                (bare / "report.html").as_uri())
    empty = np.asarray(Image.open(tmp_path / "bare.png").convert("RGB")).astype(int)
    first = signature_colour(np.asarray(Image.open(package.package / package.manifest["views"][0]["file"])))
    assert np.all(np.abs(empty - first) <= 12, axis=2).sum() < 200


def test_report_page_parses_with_every_check_in_the_dom(package, browser):
    result = run_browser(browser, "--dump-dom", (package.package / "report.html").as_uri())
    dom = result.stdout
    assert dom.count("<section class=\"view\"") == len(package.manifest["views"])
    checks = package.manifest["views"][0]["checks"]
    assert dom.count("<tr class=") >= len(checks) * len(package.manifest["views"])


def test_report_class_menu_composes_the_build_command(package, browser, tmp_path):
    """The menu's script runs in a real browser: the command it writes follows the form."""
    from refprep.stages.report import build_command

    page = (package.package / "report.html").read_text()
    dom = run_browser(browser, "--dump-dom", (package.package / "report.html").as_uri()).stdout
    assert html.escape(build_command(package.manifest)) in dom
    # The creator picks "back" for view 2 and leaves view 1 out: the same page, that form state.
    views = [v["view"] for v in package.manifest["views"]]
    start = page.index("data-index='2'")
    end = page.index("</tr>", start)
    row = page[start:end].replace(" selected>", ">").replace("<option value='back'>", "<option value='back' selected>")
    edited = (page[:start] + row + page[end:]).replace("aria-label='include view 1' checked>",
                                                         "aria-label='include view 1'>")
    copy = tmp_path / "edited.html"
    copy.write_text(edited)
    dom = run_browser(browser, "--dump-dom", copy.as_uri()).stdout
    wanted = build_command(package.manifest, classes=[views[0], "back", *views[2:]], excluded=[1])
    assert html.escape(wanted) in dom, dom[-3000:]


def test_build_command_declares_every_found_view(package):
    from refprep.stages.report import build_command

    command = build_command(package.manifest)
    views = ",".join(v["view"] for v in package.manifest["views"])
    assert command.startswith("refprep build sheet_row3_vignette.png --views " + views)
    assert command.endswith("--force")


def test_contact_sheet_names_the_failing_checks(package):
    from refprep.stages.report import CONTACT_TILE_HEIGHT, STATUS_COLOURS

    sheet = np.asarray(Image.open(package.package / "contact_sheet.png").convert("RGB")).astype(int)
    views = package.manifest["views"]
    assert all(any(c["status"] == "fail" for c in v["checks"]) for v in views)  # 224 px figures
    # The caption's third line (under class and yaw) lists the failed checks in red.
    line = sheet[16 + CONTACT_TILE_HEIGHT + 8 + 50:16 + CONTACT_TILE_HEIGHT + 8 + 70]
    red = np.all(np.abs(line - np.array(STATUS_COLOURS["fail"])) <= 40, axis=2)
    assert red.sum() > 50 * len(views)
