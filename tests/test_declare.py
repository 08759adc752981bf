"""The creator's word: --views / --view / --exclude, their parsing, and how a declared class
wins over inferred evidence while a contradiction with strong evidence is reported."""

from __future__ import annotations

import json

import pytest

from refprep.data import Pose, View
from refprep.stages.pose import ViewDeclaration, apply_declaration, declared_pose, parse_view_class

from cli_helpers import cli, shared_models  # noqa: F401
from conftest import FIXTURES


@pytest.mark.parametrize("text, expected", [
    ("f", "front"), ("3/4L", "three_quarter_left"), ("tqr", "three_quarter_right"), ("sl", "side_left"),
    ("SR", "side_right"), ("b", "back"), ("side_left", "side_left"), (" back ", "back")])
def test_short_forms(text, expected):
    assert parse_view_class(text) == expected


@pytest.mark.parametrize("text", ["x", "frontal", "3/4", ""])
def test_unknown_class_names_are_refused(text):
    with pytest.raises(ValueError, match="unknown view class"):
        parse_view_class(text)


def test_views_view_and_exclude_compose():
    declaration = ViewDeclaration.parse("f,-,sl,b", ["2=3/4r", "4=sr"], [3])
    assert [declaration.class_of(n) for n in range(1, 6)] == ["front", "three_quarter_right", "side_left",
                                                             "side_right", None]
    assert declaration.excluded == {3}
    declaration.check_count(4)
    with pytest.raises(ValueError, match="4 views but 3 were found"):
        declaration.check_count(3)


@pytest.mark.parametrize("item", ["0=front", "x=front", "2", "2="])
def test_malformed_view_items_are_refused(item):
    with pytest.raises(ValueError):
        ViewDeclaration.parse(None, [item])


def _view(pose: Pose) -> View:
    import numpy as np

    return View(source_index=0, bbox=(0, 0, 8, 8), image=np.zeros((8, 8, 3), np.uint8), pose=pose)


def test_declared_class_wins_and_keeps_only_agreeing_angles():
    face = Pose(view="three_quarter_left", yaw_deg=-40.0, pitch_deg=3.0, confidence=0.9, method="face_landmarks")
    agreeing = declared_pose(face, "three_quarter_left")
    assert (agreeing.view, agreeing.method, agreeing.yaw_deg, agreeing.conflict) == (
        "three_quarter_left", "declared", -40.0, None)
    other_side = declared_pose(face, "three_quarter_right")
    assert other_side.yaw_deg is None and other_side.conflict is None  # same coarse class: no contradiction


def test_contradicting_strong_evidence_is_reported_weak_is_not():
    strong = Pose(view="front", yaw_deg=2.0, confidence=0.93, method="face_landmarks")
    assert "face landmarks reads front" in declared_pose(strong, "back").conflict
    weak = Pose(view="front", confidence=0.4, method="silhouette")
    assert declared_pose(weak, "back").conflict is None


def test_apply_declaration_leaves_undeclared_views_alone():
    views = [_view(Pose(view="front", confidence=0.5, method="silhouette")) for _ in range(3)]
    out = apply_declaration(views, ViewDeclaration.parse("-,b"))
    assert out[0] is views[0] and out[2] is views[2]
    assert out[1].pose.view == "back" and out[1].pose.method == "declared"


def test_cli_declared_views_reach_the_manifest(tmp_path, shared_models):  # noqa: F811
    sheet = FIXTURES / "sheet_row4_gradient.png"
    result = cli("build", sheet, "-o", tmp_path, "--views", "f,3/4r,sr,b", "--view", "4=back", "--exclude", "3",
                 "--json", "-q")
    assert result.exit_code in (0, 1), result.output
    manifest = json.loads(result.stdout)
    assert all(v["pose_method"] == "declared" for v in manifest["views"])
    assert sorted(v["view"] for v in manifest["views"]) == ["back", "front", "three_quarter_right"]
    assert [e["index"] for e in manifest["excluded"] if "--exclude" in e["reason"]] == [3]


def test_cli_declaring_more_views_than_found_is_usage_error(tmp_path, shared_models):  # noqa: F811
    result = cli("pose", FIXTURES / "single_front_white.png", "--views", "f,b", "-q")
    assert result.exit_code == 2
    assert "declared for 2 views but 1 were found" in result.stderr
