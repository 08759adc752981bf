"""The public API through the package namespace: every function works called again and in
any order (the stage modules no longer shadow ``refprep.pose``, ``split``, ``clean``)."""

from __future__ import annotations

import refprep

from conftest import FIXTURES

SINGLE = FIXTURES / "single_front_white.png"


def test_api_functions_are_functions_after_any_call(tmp_path):
    first = refprep.pose([SINGLE])
    refprep.split(SINGLE, out_dir=tmp_path / "views")
    refprep.clean([SINGLE], out_dir=tmp_path / "clean")
    refprep.check([SINGLE])
    second = refprep.pose([SINGLE], views="f")
    for name in ("build", "check", "pose", "split", "clean", "validate"):
        assert callable(getattr(refprep, name)), name
    assert first["images"][0]["views"][0]["bbox"] == second["images"][0]["views"][0]["bbox"]
    assert second["images"][0]["views"][0]["pose_method"] == "declared"
