"""Run a script under mpiexec with bounded time, as the MPI tests do.

Three nested limits (innermost first): the framework's collective timeout inside the
script, ``MPIEXEC_TIMEOUT`` for the MPI job, and a hard ``timeout`` here that kills the
whole process group — so a hang fails fast instead of eating CI time.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

SCRIPTS = Path(__file__).parent / "scripts"
ROOT = Path(__file__).resolve().parents[2]


def mpiexec() -> str | None:
    """The mpiexec next to the running Python (the mpich wheel's), else PATH's."""
    here = Path(sys.executable).parent / "mpiexec"
    if here.exists():
        return str(here)
    return shutil.which("mpiexec")


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    results: dict[int, dict]


def run(script: str, n: int, *args: str, timeout: float = 120.0, env: dict | None = None,
        tmp: Path | None = None) -> Result:
    exe = mpiexec()
    if exe is None:
        raise RuntimeError("mpiexec not found: install the project with the 'mpich' extra")
    out_dir = tmp or Path(os.environ.get("TMPDIR", "/tmp"))
    full_env = dict(os.environ)
    full_env.update({
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "PYTHONFAULTHANDLER": "1", "HYDRA_LAUNCHER": "fork", "MPIEXEC_TIMEOUT": str(int(timeout)),
        "PYTHONPATH": str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", ""),
        "RESULT_DIR": str(out_dir),
    })
    full_env.update(env or {})
    cmd = [exe, "-n", str(n), sys.executable, str(SCRIPTS / script), *args]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=full_env, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout + 15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        raise AssertionError(
            f"{script} at {n} ranks hung for {timeout + 15:.0f} s and was killed\n"
            f"stdout:\n{stdout[-3000:]}\nstderr:\n{stderr[-3000:]}"
        ) from None
    seconds = time.monotonic() - start
    results = {}
    for r in range(n):
        f = out_dir / f"result.rank{r}.json"
        if f.exists():
            results[r] = json.loads(f.read_text())
            f.unlink()
    return Result(proc.returncode, stdout, stderr, seconds, results)
