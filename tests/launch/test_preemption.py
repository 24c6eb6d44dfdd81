"""launch.preemption: signals become a flag that all ranks agree on at a step boundary."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

import parallel
from launch import preemption

from ._launch import ROOT, Job


@pytest.fixture(autouse=True)
def _clean() -> None:
    preemption.reset()
    yield
    preemption.uninstall()
    preemption.reset()


def test_a_signal_only_sets_a_flag() -> None:
    preemption.install()
    assert not preemption.requested() and not preemption.should_stop()
    os.kill(os.getpid(), signal.SIGUSR1)
    assert preemption.requested() and preemption.should_stop()
    assert preemption.stop_signal() == signal.SIGUSR1 and preemption.exit_code() == 138
    with pytest.raises(SystemExit) as info:
        preemption.exit()
    assert info.value.code == 138
    preemption.uninstall()
    assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL


def test_ranks_agree_on_the_step() -> None:
    """One rank is asked to stop: every rank stops at the same step."""

    def rank_fn(rank: int) -> int:
        parallel.init_process_group("threads")
        for step in range(100):
            parallel.barrier()  # the request lands between two checks of rank 0
            if rank == 1 and step == 5:
                preemption.request(signal.SIGTERM)
            if preemption.should_stop():
                return step
        return -1

    assert parallel.spawn(rank_fn, nprocs=3) == [5, 5, 5]
    assert preemption.exit_code() == 143


def test_install_must_be_called_from_the_main_thread() -> None:
    def rank_fn(rank: int) -> str:
        with pytest.raises(RuntimeError) as info:
            preemption.install()
        return str(info.value)

    assert "must be called from the main thread" in parallel.spawn(rank_fn, nprocs=1)[0]


def test_sigusr1_through_the_launcher(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    train = str(ROOT / "tests" / "launch" / "scripts" / "train.py")
    job = Job(["-n", "2", train, "--ckpt", "ck", "--steps", "100000", "--save-every", "0",
               "--preempt", "--step-sleep", "0.02", "--marks", str(marks)], tmp_path, timeout=60)
    job.wait_for(lambda: (marks / "step.rank0").exists(), "training to start")
    job.signal(signal.SIGUSR1)
    run = job.wait()
    assert run.returncode == 128 + signal.SIGUSR1, run.stderr
    steps = set(re.findall(r"\[rank \d\] stopping at step (\d+)", run.stdout))
    assert len(steps) == 1 and len(re.findall("stopping at step", run.stdout)) == 2
