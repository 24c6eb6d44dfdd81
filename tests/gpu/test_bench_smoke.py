"""The prepared GPU benchmark runs end to end (on the fake CuPy, without PyTorch): a
typo in it must not cost a lent GPU's minutes."""

from __future__ import annotations

import json
import sys

import pytest

from tests.gpu import bench_gpu


def test_benchmark_runs(fake_cuda: str, tmp_path: object, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(bench_gpu, "HAVE_TORCH", False)
    out = tmp_path / "bench.json"  # type: ignore[operator]
    monkeypatch.setattr(sys, "argv", ["bench_gpu.py", "--smoke", "--json", str(out)])
    monkeypatch.setattr(bench_gpu, "SIZES", dict(bench_gpu.SIZES))
    assert bench_gpu.main() == 0
    rows = json.loads(out.read_text())["rows"]
    assert [r["workload"] for r in rows] == ["mlp", "mlp_amp", "transformer", "randn_1M"]
    assert all("error" not in r and r["ours_ms"] > 0 for r in rows), rows
    assert "step time on fakecupy (NumPy)" in capsys.readouterr().out
