"""Bundled models: found from the installed package, verified by sha256, clear errors otherwise."""

from __future__ import annotations

import pytest

from refprep import models
from refprep.errors import ModelError


def test_every_bundled_model_is_present_and_intact():
    for name in models.BUNDLED_MODELS:
        path = models.bundled_model_path(name)
        assert path.is_file() and path.stat().st_size > 100_000


def test_missing_and_corrupt_models_are_named(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "models_dir", lambda: tmp_path)
    models.bundled_model_path.cache_clear()
    try:
        with pytest.raises(ModelError, match="missing: .*u2netp.onnx"):
            models.bundled_model_path("u2netp")
        (tmp_path / "u2netp.onnx").write_bytes(b"not a model")
        with pytest.raises(ModelError, match="corrupt: .*u2netp.onnx"):
            models.bundled_model_path("u2netp")
        assert {row["status"] for row in models.model_status() if row["name"] == "u2netp"} == {"corrupt"}
    finally:
        models.bundled_model_path.cache_clear()


def test_no_non_commercial_default():
    assert "bria-rmbg" not in models.DOWNLOADABLE_REMBG_MODELS
    from refprep.stages.clean import needs_download

    assert needs_download("u2netp") is False
