"""The scaling benchmarks run end to end (tiny settings): JSON, markdown and the table
columns they promise. Timings themselves are not asserted — ratios on a shared machine
are reported by the benchmark, not tested."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bench(*args: str, tmp: Path) -> str:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-m", "launch", "bench", *args, "--out", str(tmp)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc.stdout


def test_allreduce_benchmark(tmp_path: Path) -> None:
    out = bench("allreduce", "--ranks", "2", "--reps", "3", tmp=tmp_path)
    assert "| ranks | message | bucket layer GB/s | raw mpi4py GB/s | ours / raw |" in out
    assert "shared window GB/s" in out
    data = json.loads((tmp_path / "allreduce.json").read_text())
    rows = data["results"][0]["rows"]
    assert [r["bytes"] for r in rows][0] == 4096 and all(r["ratio"] > 0 for r in rows)
    assert all(r["shm_ratio"] > 0 for r in rows)
    assert (tmp_path / "allreduce.md").exists()


def test_ddp_scaling_benchmark(tmp_path: Path) -> None:
    out = bench("ddp", "--ranks", "1,2", "--steps", "3", "--warmup", "1", tmp=tmp_path)
    assert "ours eff." in out and "numpy eff." in out
    results = json.loads((tmp_path / "ddp.json").read_text())["results"]
    assert [r["ranks"] for r in results] == [1, 2]
    two = results[1]
    assert set(two["ours_breakdown"]) == {"forward", "backward", "wait", "optimizer"}
    assert 0.0 <= two["hidden_fraction"] <= 1.0
