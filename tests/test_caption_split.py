"""Sheets whose guide lines join every figure into one piece are split by their printed
captions; a single figure without captions stays one view."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from refprep.evidence.sheet import caption_rows
from refprep.evidence.text import TextLine

from conftest import FIXTURES


def _line(text, x, y, w=80, h=30):
    return TextLine(text, (x, y, w, h), 0.99)


def test_caption_rows_merge_stacked_lines_and_keep_rows_of_views():
    lines = [_line("FRONT", 100, 900), _line("PROFILE", 400, 900), _line("(RIGHT)", 410, 925, w=60),
             _line("BACK", 700, 902), _line("MODEL SHEET", 300, 10, w=300)]
    rows = caption_rows(lines)
    assert len(rows) == 1
    assert [(m.coarse, m.side_word) for _, m in rows[0]] == [("front", None), ("side", "right"), ("back", None)]


def test_a_lone_caption_is_no_row():
    assert caption_rows([_line("FRONT VIEW", 100, 900), _line("HELLO", 400, 900)]) == []


def guide_lined_sheet(tmp_path):
    """Three drawn figures (the fixture sheet's front, side and back) side by side, ruled by
    guide lines from edge to edge (the height marks of a model sheet), captioned below."""
    sheet = Image.open(FIXTURES / "sheet_row6_gray.png").convert("RGB")
    width, height = sheet.size
    step = width // 6
    figures = [sheet.crop((i * step, 0, (i + 1) * step, height)) for i in (0, 2, 3)]
    canvas = Image.new("RGB", (3 * step + 60, height + 90), (60, 64, 70))
    for i, figure in enumerate(figures):
        canvas.paste(figure, (30 + i * step, 10))
    draw = ImageDraw.Draw(canvas)
    for y in range(20, height, 45):
        draw.line([(0, y), (canvas.width, y)], fill=(150, 150, 150), width=2)
    font = ImageFont.load_default(size=28)
    for i, word in enumerate(("FRONT", "SIDE", "BACK")):
        draw.text((30 + i * step + step // 2 - 40, height + 35), word, fill=(235, 235, 235), font=font)
    path = tmp_path / "ruled_sheet.png"
    canvas.save(path)
    return path


def test_guide_lines_do_not_merge_a_captioned_sheet(tmp_path, pipeline):
    from refprep.stages.load import load_image
    from refprep.stages.split import split_source

    path = guide_lined_sheet(tmp_path)
    assert len(split_source(load_image(path)).views) <= 1  # the lines join the figures
    analysis = pipeline.split(pipeline.load([path]))
    assert len(analysis.views) == 3
    pipeline.matte(analysis)
    pipeline.pose(analysis)
    assert [v.pose.view for v in analysis.views][0::2] == ["front", "back"]
    assert [v.pose.method for v in analysis.views][0::2] == ["label", "label"]
    assert analysis.views[1].pose.view.startswith("side")
    xs = [v.bbox[0] + v.bbox[2] / 2 for v in analysis.views]
    assert xs == sorted(xs)


def test_a_single_figure_stays_one_view(pipeline):
    analysis = pipeline.split(pipeline.load([FIXTURES / "single_front_white.png"]))
    assert len(analysis.views) == 1
