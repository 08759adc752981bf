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


def test_models_readme_records_each_bundled_files_sha256():
    """Each bundled file's row in models/README.md carries the sha256 refprep checks it by
    (and bundled_model_path checks the file itself against it)."""
    readme = (models.models_dir() / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("| `")]
    for model in models.BUNDLED_MODELS.values():
        (row,) = [line for line in rows if line.startswith(f"| `{model.filename}`")]
        assert f"`{model.sha256}`" in row, model.filename
        assert models._sha256(models.bundled_model_path(model.name)) == model.sha256


def test_realesrgan_is_the_converted_x4_network():
    """The ONNX file ships the SRVGGNetCompact layers the conversion writes: RGB in, x4 out."""
    import numpy as np

    from refprep.stages.upscale import Upscaler

    upscaler = Upscaler()
    assert [i.name for i in upscaler.session.get_inputs()] == ["input"]
    flat = upscaler.enlarge(np.full((5, 7, 3), 128, np.uint8))
    assert flat.shape == (20, 28, 3)
    assert np.ptp(flat) <= 3 and np.abs(flat.astype(int) - 128).max() <= 6  # flat stays flat, near its level
