"""Shared by the dtensor MPI scripts and the threads-backend tests: result files (and
the scripts' report-and-exit protocol), parameter comparison against the
single-process reference."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

import numpy as np

import parallel


def write_result(rank: int, **fields: object) -> None:
    out = Path(os.environ.get("RESULT_DIR", "/tmp")) / f"result.rank{rank}.json"
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(fields))
    os.replace(tmp, out)


def report(rank: int, work: Callable[[], dict]) -> None:
    """Run ``work()`` and write this rank's result file: ``status="ok"`` and its fields,
    or ``status="error"`` and the error (re-raised, so the job fails); then a barrier."""
    try:
        result = work()
    except BaseException as e:
        write_result(rank, status="error", error=f"{type(e).__name__}: {e}")
        raise
    write_result(rank, status="ok", **result)
    parallel.barrier()


def mpi_main(run_all: Callable[[int], dict]) -> None:
    """A check script's entry point under mpiexec: ``run_all(world_size)``, reported."""
    parallel.init_process_group(timeout=60)
    report(parallel.get_rank(), lambda: run_all(parallel.get_world_size()))


def assert_close(got: np.ndarray, want: np.ndarray, what: str, rtol: float = 1e-9,
                 atol: float = 1e-12) -> float:
    """Raise naming ``what`` when ``got`` and ``want`` differ; return the worst relative error."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        raise AssertionError(f"{what}: shape {got.shape} != reference {want.shape}")
    err = float(np.max(np.abs(got - want) / (np.abs(want) + atol))) if got.size else 0.0
    if not np.allclose(got, want, rtol=rtol, atol=atol):
        raise AssertionError(f"{what}: differs from the single-process reference by up to {err:.3e}")
    return err
