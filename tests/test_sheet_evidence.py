"""One decision per view: readings as class likelihoods, their fusion, and printed labels
given to the view they caption."""

from __future__ import annotations

import numpy as np
import pytest

from refprep.evidence.sheet import CLASSES, class_reading, fuse, labels_for_views, yaw_reading
from refprep.evidence.text import TextLine


@pytest.mark.parametrize("yaw, expected", [(0, "front"), (40, "three_quarter_right"), (-90, "side_left"),
                                           (175, "back"), (-175, "back")])
def test_a_sure_yaw_reading_peaks_on_its_class(yaw, expected):
    reading = yaw_reading("body", yaw, reliability=1.0, spread_deg=10.0)
    assert reading.likelihood.sum() == pytest.approx(1.0)
    assert CLASSES[int(np.argmax(reading.likelihood))] == expected


def test_reliability_spreads_the_rest_evenly():
    reading = yaw_reading("body", 0.0, reliability=0.0, spread_deg=10.0)
    assert np.allclose(reading.likelihood, 1 / 6)


def test_two_agreeing_readers_beat_one_sure_dissenter():
    dissent = yaw_reading("face_landmarks", 0.0, reliability=0.8, spread_deg=15.0)
    body = yaw_reading("body", 85.0, reliability=0.8, spread_deg=20.0)
    label = class_reading("label", "side", reliability=0.95)
    decision = fuse([dissent, body, label])
    assert decision.view == "side_right"
    assert decision.yaw_deg == pytest.approx(85.0)  # only the agreeing reader's measured angle
    assert fuse([]) is None


def test_confidence_is_low_when_readers_disagree():
    a = yaw_reading("face_landmarks", 0.0, reliability=0.8, spread_deg=15.0)
    b = yaw_reading("body", 180.0, reliability=0.8, spread_deg=15.0)
    assert fuse([a, b]).confidence < 0.6
    assert fuse([a, yaw_reading("body", 5.0, 0.8, 15.0)]).confidence > 0.9


def _line(text, x, y, w=80, h=20):
    return TextLine(text, (x, y, w, h), 0.99)


def test_labels_go_to_the_view_they_caption():
    boxes = [(0, 0, 100, 300), (150, 0, 100, 300), (300, 0, 100, 300)]
    lines = [_line("FRONT VIEW", 10, 310), _line("SIDE", 160, 320), _line("BACK", 310, -40 + 15),
             _line("CHARACTER SHEET", 100, 400, w=200), _line("LOREM", 10, 340)]
    labels = labels_for_views(lines, boxes)
    assert [None if m is None else m.coarse for m in labels] == ["front", "side", "back"]


def test_a_label_far_below_or_between_views_belongs_to_none():
    boxes = [(0, 0, 100, 300), (150, 0, 100, 300)]
    far = _line("FRONT", 10, 300 + 150)           # half a figure's height under it
    between = _line("BACK", 105, 310, w=40)       # centred in the gutter
    assert labels_for_views([far, between], boxes) == [None, None]
