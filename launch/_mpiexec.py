"""Finding ``mpiexec`` and building its command line (MPICH's Hydra or Open MPI)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["MpiExec", "find_mpiexec", "build_command"]


@dataclass
class MpiExec:
    path: str
    flavour: str  # "hydra" (MPICH, Intel MPI), "openmpi", or "unknown"
    forward_env: list[str] = field(default_factory=list)


def _flavour(path: str) -> str:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20,
                             stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    text = (out.stdout + out.stderr).lower()
    if "hydra" in text or "mpich" in text or "intel(r) mpi" in text:
        return "hydra"
    if "open mpi" in text or "openrte" in text or "prrte" in text or "open-mpi" in text:
        return "openmpi"
    return "unknown"


def find_mpiexec(explicit: str | None = None) -> MpiExec:
    """``explicit``, else the ``mpiexec`` next to the running Python (the ``mpich`` wheel
    installs one into the virtual environment), else the first on ``PATH``."""
    if explicit:
        path = explicit if os.sep in explicit else shutil.which(explicit)
        if not path or not os.access(path, os.X_OK):
            raise FileNotFoundError(f"--mpiexec {explicit}: not an executable file")
        return MpiExec(path, _flavour(path))
    for candidate in (Path(sys.executable).parent / "mpiexec", Path(sys.executable).parent / "mpirun"):
        if candidate.exists() and os.access(candidate, os.X_OK):
            return MpiExec(str(candidate), _flavour(str(candidate)))
    for name in ("mpiexec", "mpirun"):
        found = shutil.which(name)
        if found:
            return MpiExec(found, _flavour(found))
    raise FileNotFoundError(
        "mpiexec not found next to this Python nor on PATH: install MPICH with "
        "`pip install 'dtensor[mpich]'` (or a system MPI), or run one process with "
        "`python -m launch --debug script.py` / N virtual ranks with `--threads N`"
    )


def build_command(mpi: MpiExec, nproc: int, worker_args: list[str], *,
                  hostfile: str | None = None, hosts: str | None = None,
                  extra: list[str] | None = None, env_names: list[str] | None = None) -> list[str]:
    """The full ``mpiexec`` command running ``python -m launch._worker worker_args…`` on
    ``nproc`` ranks.

    Example:
        >>> cmd = build_command(MpiExec("mpiexec", "hydra"), 2, ["train.py"], hosts="a,b")
        >>> cmd[:5]
        ['mpiexec', '-hosts', 'a,b', '-n', '2']
    """
    cmd = [mpi.path]
    if mpi.flavour == "openmpi":
        if hostfile:
            cmd += ["--hostfile", hostfile]
        if hosts:
            cmd += ["--host", hosts]
        for name in env_names or []:
            cmd += ["-x", name]  # Open MPI does not pass the environment to remote nodes
    else:
        if hostfile:
            cmd += ["-f", hostfile]
        if hosts:
            cmd += ["-hosts", hosts]
    cmd += ["-n", str(nproc), *(extra or []), sys.executable, "-m", "launch._worker", *worker_args]
    return cmd
