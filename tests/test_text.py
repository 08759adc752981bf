"""Printed view captions: PP-OCR reads rendered text, ``view_label`` maps captions to views."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from refprep.evidence.text import LabelMatch, TextLine, TextReader, view_label

DEVDATA = Path(__file__).resolve().parents[2] / "shared" / "devdata"

# CJK fonts looked for in this order; tests that render CJK skip when none is installed.
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


@pytest.fixture(scope="module")
def reader():
    with TextReader() as shared:
        yield shared


def render(captions: list[tuple[str, tuple[int, int]]], size=(900, 400), font=None, font_size=40) -> np.ndarray:
    """White RGB canvas with each caption drawn in black at its top-left corner."""
    from PIL import Image, ImageDraw, ImageFont

    face = ImageFont.truetype(font, font_size) if font else ImageFont.load_default(size=font_size)
    canvas = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(canvas)
    for text, corner in captions:
        draw.text(corner, text, fill="black", font=face)
    return np.asarray(canvas)


def contains(outer, inner, slack=12) -> bool:
    ox, oy, ow, oh = outer
    ix, iy, iw, ih = inner
    return ox - slack <= ix and oy - slack <= iy and ix + iw <= ox + ow + slack and iy + ih <= oy + oh + slack


# --- reading -----------------------------------------------------------------------------------

def test_reads_and_matches_latin_captions(reader):
    image = render([("FRONT VIEW", (60, 60)), ("BACK", (600, 60)), ("3/4 VIEW", (60, 250))])
    lines = reader.read(image)
    assert all(isinstance(line, TextLine) for line in lines)
    texts = [line.text.upper() for line in lines]
    assert texts == ["FRONT VIEW", "BACK", "3/4 VIEW"]  # reading order: rows, then left to right
    assert [view_label(line.text).coarse for line in lines] == ["front", "back", "three_quarter"]
    assert all(line.score > 0.8 for line in lines)
    # Each box covers its caption's ink, in the input image's pixels.
    dark = image.min(axis=2) < 128
    for line, (x0, y0, x1, y1) in zip(lines, [(0, 0, 450, 150), (450, 0, 900, 150), (0, 150, 450, 400)]):
        ys, xs = np.nonzero(dark[y0:y1, x0:x1])
        ink_box = (x0 + int(xs.min()), y0 + int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1)
        assert contains(line.box, ink_box), (line, ink_box)


def test_small_caption_on_a_large_sheet_is_found(reader):
    """A 3840x2160 sheet is seen at 1280 px: 36 px captions shrink to 12 px and are still read."""
    image = np.full((2160, 3840, 3), 255, np.uint8)
    image[300:1800, 500:900] = (90, 70, 60)  # a dark figure-sized block is not text
    caption = render([("LEFT PROFILE", (10, 10))], size=(320, 60), font_size=36)
    image[1900:1960, 1800:2120] = caption
    lines = [line for line in reader.read(image) if view_label(line.text)]  # the block's edge may read as "_"
    assert [line.text.upper() for line in lines] == ["LEFT PROFILE"]
    assert view_label(lines[0].text) == LabelMatch("side", "left", "LEFT PROFILE")
    assert contains((1800, 1900, 320, 60), lines[0].box)


def test_text_flush_with_the_edge_and_tight_crops(reader):
    """Sheets: a caption touching the bottom edge is read. Caption crops (a small image that
    is all text) are padded for the detector, which finds nothing without surroundings."""
    from PIL import Image, ImageDraw, ImageFont

    sheet = Image.new("RGB", (1600, 900), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=48)
    left, top, right, bottom = draw.textbbox((0, 0), "BACK VIEW", font=font)
    draw.text(((1600 - right + left) // 2 - left, 900 - bottom), "BACK VIEW", fill="black", font=font)
    assert [line.text for line in reader.read(np.asarray(sheet))] == ["BACK VIEW"]
    for font_size, size in ((24, (120, 40)), (12, (60, 20)), (60, (300, 90))):
        crop = render([("FRONT", (4, 4))], size=size, font_size=font_size)
        assert [line.text for line in reader.read(crop)] == ["FRONT"], size


def test_blank_rgba_and_grey_images(reader):
    assert reader.read(np.full((200, 300, 3), 255, np.uint8)) == []
    rgba = np.zeros((200, 500, 4), np.uint8)  # transparent black: composited on white
    rgba[..., 3] = 0
    text = render([("SIDE", (40, 60))], size=(500, 200))
    ink = text.min(axis=2) < 128
    rgba[ink] = (0, 0, 0, 255)
    assert [line.text.upper() for line in reader.read(rgba)] == ["SIDE"]
    grey = render([("REAR", (40, 60))], size=(500, 200))[..., 0]
    assert [line.text.upper() for line in reader.read(grey)] == ["REAR"]


def test_close_drops_sessions_and_reloads(reader):
    image = render([("FRONT", (40, 40))], size=(400, 150))
    reader.close()
    reader.close()
    assert [line.text.upper() for line in reader.read(image)] == ["FRONT"]


def _cjk_font() -> str | None:
    return next((path for path in CJK_FONTS if Path(path).is_file()), None)


@pytest.mark.skipif(_cjk_font() is None, reason="no CJK font installed (e.g. apt-get install fonts-noto-cjk)")
def test_reads_cjk_captions(reader):
    image = render([("正面", (60, 60)), ("斜め", (300, 60)), ("側面", (540, 60)), ("背面", (60, 220)),
                    ("侧面", (300, 220))], font=_cjk_font(), font_size=48)
    lines = reader.read(image)
    assert [line.text for line in lines] == ["正面", "斜め", "側面", "背面", "侧面"]
    assert [view_label(line.text).coarse for line in lines] == ["front", "three_quarter", "side", "back", "side"]


def test_import_is_light():
    probe = subprocess.run([sys.executable, "-c", "import sys, refprep.evidence.text; "
                            "print(sorted({'cv2', 'onnxruntime'} & set(sys.modules)))"],
                           capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "[]"


# --- view_label --------------------------------------------------------------------------------

@pytest.mark.parametrize("caption, coarse, side_word", [
    ("FRONT", "front", None), ("FRONT VIEW", "front", None), ("front view", "front", None),
    ("Frontal", "front", None), ("FRONTVIEW", "front", None),
    ("BACK", "back", None), ("BACK VIEW", "back", None), ("REAR", "back", None),
    ("3/4 BACK", "back", None), ("3 / 4 BACK VIEW", "back", None),
    ("SIDE", "side", None), ("SIDE VIEW", "side", None), ("PROFILE", "side", None),
    ("LEFT", "side", "left"), ("RIGHT", "side", "right"), ("LEFT SIDE", "side", "left"),
    ("RIGHT SIDE", "side", "right"), ("LEFT PROFILE", "side", "left"), ("RIGHT PROFILE", "side", "right"),
    ("PROFILE (RIGHT)", "side", "right"), ("LEFT PROFILE VIEW", "side", "left"),
    ("HEADSHOT - EXTREME RIGHT PROFILE", "side", "right"),
    ("3/4", "three_quarter", None), ("3/4 VIEW", "three_quarter", None), ("3/4 FRONT", "three_quarter", None),
    ("THREE-QUARTER", "three_quarter", None), ("THREE QUARTER", "three_quarter", None),
    ("QUARTER", "three_quarter", None), ("3/4 LEFT", "three_quarter", "left"),
    ("3/4 RIGHT PORTRAIT", "three_quarter", "right"), ("¾ VIEW", "three_quarter", None),
    ("３／４", "three_quarter", None), ("HEADSHOT - FRONT VIEW", "front", None),
    # Panel positions printed beside the view: the view word wins, the side word is kept.
    ("LEFT VIEW (FRONT)", "front", "left"), ("CENTER VIEW (SIDE)", "side", None),
    ("RIGHT VIEW (BACK)", "back", "right"),
    ("正面", "front", None), ("前面", "front", None), ("正面図", "front", None), ("正视图", "front", None),
    ("背面", "back", None), ("后面", "back", None), ("後ろ", "back", None), ("背后", "back", None),
    ("斜め後ろ", "back", None),
    ("侧面", "side", None), ("側面", "side", None), ("横", "side", None), ("横顔", "side", None),
    ("侧视图", "side", None),
    ("斜め", "three_quarter", None), ("斜", "three_quarter", None), ("半侧面", "three_quarter", None),
    ("3/4侧面", "three_quarter", None),
    ("左", "side", "left"), ("右", "side", "right"), ("左侧", "side", "left"), ("右侧", "side", "right"),
    ("左側", "side", "left"), ("右側", "side", "right"), ("左側面", "side", "left"), ("左视图", "side", "left"),
    ("フロント", "front", None), ("バックビュー", "back", None), ("サイド", "side", None),
    # Marks the recogniser hangs on Latin capitals are dropped; kana keep theirs.
    ("BAÇK VIEW", "back", None),
])
def test_view_label_vocabulary(caption, coarse, side_word):
    match = view_label(caption)
    assert match is not None, caption
    assert (match.coarse, match.side_word) == (coarse, side_word)


@pytest.mark.parametrize("caption", [
    "FRNOT VEIW", "LOREM", "LOREM IPSUM", "", "   ", "FRONT VEIW", "BAKC", "SIDEE", "PROFILEE",
    "BACKPACK", "FRONTIER", "Straps on back", "Back of braided hairstyle", "LOOKING UP VIEW",
    "THE CURATOR - CHARACTER TURNAROUND", "MODEL SHEET", "THREE VIEWS", "VIEW",
    "FRONT / BACK", "FRONT SIDE", "表情差分", "左手", "右手で持つ", "三面図", "设定图", "ハック",
])
def test_view_label_rejects_other_text(caption):
    assert view_label(caption) is None


def test_view_label_reports_normalised_words():
    assert view_label("3/4 back view") == LabelMatch("back", None, "3/4 BACK VIEW")
    assert view_label("LEFT RIGHT").side_word is None  # both directions: no hint
    assert view_label("LEFT RIGHT").coarse == "side"


# --- devdata ----------------------------------------------------------------------------------

@pytest.mark.devdata
def test_devdata_captions_are_read(reader):
    """Sheets whose captions were checked by eye: every caption is read and matched."""
    if not (DEVDATA / "labels.json").is_file():
        pytest.skip("../shared/devdata is not here")
    from PIL import Image

    expected = {
        "images/dreamwright/dreamwright_ember_cat_3view.png": ["front", "side", "back"],
        "images/xmedia/xmedia_jp_labelled_sheet_grid.png": ["front", "three_quarter", "side", "back"] * 2,
    }
    for name, coarse in expected.items():
        rgb = np.asarray(Image.open(DEVDATA / name).convert("RGB"))
        matches = [view_label(line.text) for line in reader.read(rgb)]
        assert [m.coarse for m in matches if m] == coarse, name
    labels = {entry["file"] for entry in json.loads((DEVDATA / "labels.json").read_text())}
    assert set(expected) <= labels


@pytest.mark.parametrize("stem, coarse", [
    ("hy3d2_front", "front"), ("Char-3_4-left", "three_quarter"), ("BackView", "back"), ("side", "side"),
    ("正面", "front"), ("backyard_photo", None), ("front_and_back", None), ("image00050", None)])
def test_file_names_name_views_only_with_whole_words(stem, coarse):
    from refprep.evidence.text import name_label

    match = name_label(stem)
    assert (match.coarse if match else None) == coarse
