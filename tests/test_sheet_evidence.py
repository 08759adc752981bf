"""One decision per view: readings as class likelihoods, their fusion, and printed labels
given to the view they caption."""

from __future__ import annotations

import numpy as np
import pytest

from refprep.evidence.sheet import CLASSES, class_reading, face_absent_reading, fuse, labels_for_views, yaw_reading
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


def test_only_a_class_some_reader_of_the_view_chose_can_win():
    """A prior (here a face missed where the sheet's other views show one) weighs the classes
    the view's own readers put forward; it cannot make one none of them saw win."""
    outline = class_reading("silhouette", "three_quarter", reliability=0.15, side="left", side_weight=1.0)
    missed = face_absent_reading({"front": 0.19, "three_quarter": 0.14, "side": 0.66, "back": 0.97}, 0.5)
    product = outline.likelihood * missed.likelihood
    assert CLASSES[int(np.argmax(product))] == "back"      # what the plain product says
    decision = fuse([outline, missed])
    assert decision.view == "three_quarter_left" and decision.confidence < 0.5
    assert fuse([missed]).view == "back"    # a prior alone still says what it says
    # A yaw near a class boundary puts both classes forward: the product decides between them.
    face = yaw_reading("face_landmarks", 60.0, reliability=0.8, spread_deg=15.0)
    body = yaw_reading("body", 120.0, reliability=0.85, spread_deg=20.0)
    assert fuse([face, body]).view == "side_right"


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


def _profile(facing_right: bool) -> tuple[np.ndarray, np.ndarray]:
    """A figure with a nose: a body column and a head pushed to one side."""
    figure = np.zeros((120, 80, 3), np.uint8)
    figure[10:110, 30:46] = 180
    figure[10:40, 46:62] = 120              # the face sticks out towards the nose
    figure[20:24, 50:54] = 30               # an eye
    if not facing_right:
        figure = figure[:, ::-1].copy()
    return figure, figure.any(axis=2)


def _front() -> tuple[np.ndarray, np.ndarray]:
    figure = np.zeros((120, 80, 3), np.uint8)
    figure[10:110, 28:52] = 180
    figure[20:24, 32:36] = figure[20:24, 44:48] = 30
    return figure, figure.any(axis=2)


def test_mirror_images_on_a_sheet_are_partners_and_symmetric_views_are_not():
    from refprep.evidence.sheet import mirror_partners

    views = [_profile(True), _front(), _profile(False), _front()]
    matches = mirror_partners([v[0] for v in views], [v[1] for v in views])
    assert [m.partner if m else None for m in matches] == [2, None, 0, None]
    assert matches[0].outline_flipped > 0.95 and matches[0].outline_flipped - matches[0].outline_same >= 0.1


def test_a_hairline_sketch_has_no_mirror_partner_and_breaks_nothing():
    """A faint pencil figure: a mask of 1 px lines on a tall view, which no thumbnail pixel
    is mostly inside (found on an unseen sheet, where it crashed the pose stage)."""
    from refprep.evidence.sheet import mirror_partners

    sketch = np.zeros((2000, 600, 3), np.uint8)
    sketch[::40, 100:500] = 200
    sketch[:, 300] = 200
    views = [(sketch, sketch.any(axis=2)), _profile(True), _profile(False)]
    matches = mirror_partners([v[0] for v in views], [v[1] for v in views])
    assert matches[0] is None and matches[1].partner == 2


def test_a_mirror_partner_turns_the_view_the_other_way():
    from refprep.evidence.sheet import mirror_reading

    sure_left = np.array([float(c == "side_left") for c in CLASSES])
    decision = fuse([mirror_reading(sure_left, 0.8)])
    assert decision.view == "side_right"
    sure_front = np.array([float(c == "front") for c in CLASSES])
    assert fuse([mirror_reading(sure_front, 0.8)]).view == "back"
    knows_nothing = mirror_reading(np.full(len(CLASSES), 1 / len(CLASSES)), 0.8)
    assert np.allclose(knows_nothing.likelihood, 1 / len(CLASSES))
    # Beside a body reading that is unsure between front and three-quarter, the partner decides.
    body = yaw_reading("body", 20.0, reliability=0.85, spread_deg=20.0)
    sure_tql = np.array([float(c == "three_quarter_left") for c in CLASSES])
    assert fuse([body, mirror_reading(sure_tql, 0.8)]).view == "three_quarter_right"


def _decision(yaw: float, confidence: float = 0.9):
    from refprep.data import classify_yaw
    from refprep.evidence.sheet import Decision

    return Decision(classify_yaw(yaw), confidence, yaw, "body", np.full(len(CLASSES), 1 / len(CLASSES)))


def test_an_unsure_view_in_a_turnaround_faces_between_its_sure_neighbours():
    from refprep.evidence.sheet import turn_readings, turn_rows

    boxes = [(0, 0, 50, 200), (70, 5, 45, 195), (140, 0, 50, 200), (210, 0, 50, 205), (0, 260, 60, 60)]
    assert turn_rows(boxes) == [[0, 1, 2, 3]]     # the small head below is no part of the row
    turning = [_decision(2.0), _decision(-12.0, 0.5), _decision(-85.0), _decision(175.0)]
    readings = turn_readings(turning, 0.7, 0.5, 30.0)
    assert [r is None for r in readings] == [True, False, True, True]
    assert readings[1].yaw_deg == pytest.approx(-41.5)
    assert fuse([yaw_reading("body", -12.0, 0.3, 20.0), readings[1]]).view == "three_quarter_left"


@pytest.mark.parametrize("yaws", [
    [0.0, None, -90.0, 0.0],          # turns back: two profiles drawn back to back
    [0.0, None, 180.0, 90.0],         # a front beside a back: which way between them is unknown
    [0.0, None, -90.0],               # two sure views always turn one way
    [0.0, None, 0.0, -90.0],          # one view drawn twice
])
def test_a_row_that_is_no_turnaround_says_nothing(yaws):
    from refprep.evidence.sheet import turn_readings

    row = [_decision(-20.0, 0.4) if yaw is None else _decision(yaw) for yaw in yaws]
    assert turn_readings(row, 0.7, 0.5, 30.0) == [None] * len(yaws)


def test_only_text_near_a_view_is_worth_reading():
    """Captions over and under a view, and a title overlapping its crop, are read; a notes
    column beside the figures is not (its recognition was most of a dense sheet's split time)."""
    from refprep.evidence.sheet import near_views

    views = [(100, 100, 80, 300), (300, 100, 80, 300)]
    assert near_views((110, 420, 60, 20), views)        # caption under the first view
    assert near_views((310, 60, 60, 20), views)         # caption over the second
    assert near_views((150, 90, 200, 20), views)        # a title across both crops
    assert not near_views((500, 200, 200, 20), views)   # the notes column on the right
    assert not near_views((110, 600, 60, 20), views)    # far under the views


def test_docstring_examples_run():
    import doctest

    import refprep.evidence.sheet
    import refprep.stages.split

    for module in (refprep.evidence.sheet, refprep.stages.split):
        results = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert results.failed == 0 and results.attempted > 0, module.__name__
