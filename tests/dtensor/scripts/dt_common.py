"""Shared by the dtensor MPI scripts and the threads-backend tests: result files,
parameter comparison against the single-process reference."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

import numpy as np


def write_result(rank: int, **fields: object) -> None:
    out = Path(os.environ.get("RESULT_DIR", "/tmp")) / f"result.rank{rank}.json"
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(fields))
    os.replace(tmp, out)


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
