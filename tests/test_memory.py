"""Peak memory of `refprep build` on a 24-megapixel sheet stays under the bound the README
documents (benchmarks/memory_bench.py measures it the same way)."""

from __future__ import annotations

import pytest

import memory_bench

# README, "Memory": peak RSS of one build of a 24 MP sheet, the bundled models included
# (measured ~1.0 GB on the development machine: ~0.5 GB of models and libraries, ~20 bytes a
# pixel of working images).
SHEET_24MP_RSS_MB = 1536


@pytest.mark.slow
def test_a_24_megapixel_sheet_builds_within_the_documented_memory(tmp_path):
    sheet = tmp_path / "sheet_8000x3000.png"
    memory_bench.big_sheet(8000, 3000, 6).save(sheet)
    result = memory_bench.measure(sheet, tmp_path / "out")
    assert result["exit"] in (0, 1), result["stderr"]
    assert result["peak_rss_mb"] < SHEET_24MP_RSS_MB, result
    print(result)
