"""Run ``python -m launch`` under a hard timeout, as the launcher tests do.

Output goes to files (not pipes), so a test can watch it while the job runs and a
chatty job can never block on a full pipe. The whole process group is killed if the
launcher outlives ``timeout``: a hang fails the test fast instead of eating CI time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.parallel.mpirun import ROOT

SCRIPTS = Path(__file__).parent / "scripts"
TRAIN = str(SCRIPTS / "train.py")
ECHO = str(SCRIPTS / "echo.py")


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def launch_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DTENSOR_", "PMI_", "MPI_LOCAL", "OMPI_", "RANK", "WORLD_SIZE",
                                "LOCAL_RANK", "LOCAL_WORLD_SIZE"))}
    env.update({"PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
                "PYTHONFAULTHANDLER": "1", "OPENBLAS_NUM_THREADS": "1"})
    env.update(extra)
    return env


class Job:
    """A running ``python -m launch``; :meth:`wait` returns its :class:`Run`."""

    def __init__(self, args: list[str], tmp: Path, env: dict[str, str] | None = None,
                 timeout: float = 60.0) -> None:
        self.out, self.err = tmp / "launch.out", tmp / "launch.err"
        self.timeout = timeout
        self.start = time.monotonic()
        with open(self.out, "w") as out, open(self.err, "w") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "launch", *args], stdout=out,
                                         stderr=err, stdin=subprocess.DEVNULL,
                                         env=env or launch_env(), cwd=tmp, start_new_session=True)

    def stdout(self) -> str:
        return self.out.read_text()

    def wait_for(self, predicate: Callable[[], bool], what: str, limit: float = 30.0) -> None:
        end = time.monotonic() + limit
        while not predicate():
            if self.proc.poll() is not None or time.monotonic() > end:
                self.kill()
                raise AssertionError(f"gave up waiting for {what}\nstdout:\n{self.stdout()}\n"
                                     f"stderr:\n{self.err.read_text()}")
            time.sleep(0.05)

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def wait(self) -> Run:
        try:
            self.proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"python -m launch hung for {self.timeout:.0f} s and was killed\n"
                                 f"stdout:\n{self.stdout()[-3000:]}\nstderr:\n"
                                 f"{self.err.read_text()[-3000:]}") from None
        return Run(self.proc.returncode, self.stdout(), self.err.read_text(),
                   time.monotonic() - self.start)


def launch(*args: str, tmp: Path, env: dict[str, str] | None = None, timeout: float = 60.0) -> Run:
    return Job(list(args), tmp, env, timeout).wait()
