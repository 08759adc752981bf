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


def test_a_title_over_a_caption_is_not_read_with_it():
    title = _line("CHARACTER TURNAROUND", 19, 50, w=128, h=13)
    lines = [title, _line("FRONT", 117, 82, w=41, h=15), _line("BACK", 531, 82, w=35, h=15)]
    assert [m.coarse for _, m in caption_rows(lines)[0]] == ["front", "back"]


def test_a_view_spanning_captioned_figures_is_split_by_its_captions(tmp_path):
    """A split that joined the ruled figures into one view (as a panel or a ruled page does)
    is split again column by column; a view spanning fewer than two captions is kept."""
    from refprep.data import View
    from refprep.stages.load import load_image
    from refprep.stages.split import resplit_by_captions

    source = load_image(guide_lined_sheet(tmp_path))
    step = (source.width - 60) // 3
    captions = [_line(word, 30 + i * step + step // 2 - 40, source.height - 55, w=80, h=28)
                for i, word in enumerate(("FRONT", "SIDE", "BACK"))]
    rows = caption_rows(captions)
    joined = View(0, (0, 0, source.width, source.height - 60), source.rgb[:source.height - 60])
    views, notes = resplit_by_captions(source, [joined], rows)
    assert len(views) == 3 and len(notes) == 3
    centres = [v.bbox[0] + v.bbox[2] / 2 for v in views]
    assert all(abs(c - (box[0] + box[2] / 2)) < step / 2 for c, (box, _) in zip(centres, rows[0]))
    narrow = View(0, (0, 0, step, source.height - 60), source.rgb[:source.height - 60, :step])
    assert resplit_by_captions(source, [narrow], rows)[0] == [narrow]


def _view_with_caption():
    from refprep.data import Background, View

    mask = np.zeros((200, 100), bool)
    mask[40:190, 30:70] = True            # the figure
    mask[5:20, 10:90:6] = True            # its caption's letters, over it
    image = np.where(mask[..., None], 40, 255).astype(np.uint8).repeat(3, axis=2)
    backdrop = Background("flat", (255, 255, 255), 0.0, None, (400, 300))
    return View(source_index=0, bbox=(100, 50, 100, 200), image=image, mask=mask, kind="figure", backdrop=backdrop)


def test_printed_text_is_taken_out_of_a_view():
    from refprep.stages.split import without_text

    view = _view_with_caption()
    caption = (108, 54, 84, 17)           # sheet pixels, as the text reader gives them
    (trimmed,), notes = without_text([view], [caption])
    assert trimmed.bbox == (130, 90, 40, 150) and trimmed.mask.all() and notes == []
    # A view that is only text is no view; a detector's box as big as a figure is no line.
    text_only = dict(view.__dict__, mask=np.zeros((200, 100), bool))
    text_only["mask"][5:20, 10:90:6] = True
    from refprep.data import View

    kept, notes = without_text([View(**text_only)], [caption])
    assert kept == [] and notes == [{"bbox": [100, 50, 100, 200], "kind": "text"}]
    (untouched,), _ = without_text([view], [(100, 50, 100, 200)])
    assert untouched is view
