"""Helpers shared by the benchmarks that run under mpiexec: launching a worker job and
timing repetitions fairly (interleaved variants, medians)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def mpiexec() -> str:
    """The mpiexec next to the running Python (the mpich wheel's), else PATH's."""
    here = Path(sys.executable).parent / "mpiexec"
    if here.exists():
        return str(here)
    found = shutil.which("mpiexec")
    if found is None:
        raise RuntimeError("mpiexec not found: install the project with the 'mpich' extra")
    return found


def run_job(module: str, ranks: int, args: list[str], timeout: float = 600) -> dict[str, Any]:
    """Run ``python -m module --worker ...`` on ``ranks`` ranks; return rank 0's JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        env = dict(os.environ)
        env.setdefault("OMP_NUM_THREADS", "1")
        env.setdefault("OPENBLAS_NUM_THREADS", "1")
        env.setdefault("MKL_NUM_THREADS", "1")
        cmd = [mpiexec(), "-n", str(ranks), sys.executable, "-m", module, "--worker",
               "--json", str(out), *args]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0 or not out.exists():
            raise RuntimeError(
                f"benchmark job {module} at {ranks} ranks failed (exit {proc.returncode}):\n"
                f"{proc.stderr[-3000:]}"
            )
        return json.loads(out.read_text())


def interleaved(variants: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Call each variant once per round, in rotating order; collect the times it returns."""
    names = list(variants)
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        for k in range(len(names)):
            name = names[(r + k) % len(names)]
            times[name].append(variants[name]())
    return times


def median(xs: list[float]) -> float:
    return float(np.median(np.asarray(xs))) if xs else float("nan")


def write_outputs(out_dir: str | None, name: str, data: dict[str, Any], table: str,
                  plot: Callable[[Any], None] | None = None) -> None:
    """Print the table; with ``out_dir`` also write NAME.json, NAME.md and (when
    matplotlib is installed and ``plot`` given) NAME.png."""
    print(table)
    if not out_dir:
        return
    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{name}.json").write_text(json.dumps(data, indent=1))
    (d / f"{name}.md").write_text(table + "\n")
    if plot is None:
        return
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"(no {name}.png: matplotlib is not installed; pip install matplotlib)")
        return
    fig = plt.figure(figsize=(7, 4))
    plot(fig)
    fig.tight_layout()
    fig.savefig(d / f"{name}.png", dpi=120)
    plt.close(fig)
    print(f"wrote {d / name}.json, .md, .png")
