"""Fault tolerance under mpiexec: a rank killed mid-allreduce, restarts that resume
bitwise, preemption by SIGTERM, a rank killed while writing a checkpoint, and resuming
at a different world size."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from launch.checkpoint import Checkpointer

from ._launch import TRAIN, Job, launch

STEPS = "8"


def _params(path: Path) -> dict:
    return json.loads(path.read_text())["params"]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Uninterrupted 2-rank runs: with per-rank noise (restart tests) and without (world
    size tests, where the noise streams would differ)."""
    tmp = tmp_path_factory.mktemp("baseline")
    out = {}
    for name, extra in (("noise", ["--noise"]), ("plain", [])):
        run = launch("-n", "2", TRAIN, "--ckpt", f"ck-{name}", "--steps", STEPS, "--out",
                     f"{name}.json", *extra, tmp=tmp)
        assert run.returncode == 0, run.stderr
        out[name] = _params(tmp / f"{name}.json")
    return out


def _marks(tmp: Path) -> Path:
    marks = tmp / "marks"
    marks.mkdir(exist_ok=True)
    return marks


def test_kill9_mid_allreduce_then_resume(tmp_path: Path, baseline: dict) -> None:
    marks = _marks(tmp_path)
    args = [TRAIN, "--ckpt", "ck", "--steps", STEPS, "--noise", "--out", "final.json"]
    job = Job(["-n", "2", *args, "--stall-at", "5", "--marks", str(marks)], tmp_path, timeout=60)
    stalled = marks / "stalled.rank1"
    job.wait_for(stalled.exists, "rank 1 to stall before its all-reduce of step 5")
    time.sleep(0.3)  # rank 0 is now waiting inside the all-reduce
    pid = int(stalled.read_text())
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    run = job.wait()
    assert time.monotonic() - killed_at < 10, "the job was not torn down within seconds"
    assert run.returncode == 128 + signal.SIGKILL
    assert re.search(rf"rank 1 \(pid {pid} on .+\) was killed by signal 9 \(SIGKILL\)", run.stderr)
    ck = Checkpointer(tmp_path / "ck")
    assert ck.latest_step() == 4 and ck.validate()["world_size"] == 2
    # A fresh launch resumes from step 4 and reaches the uninterrupted result, bitwise.
    again = launch("-n", "2", *args, tmp=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "[rank 0] resumed from step 4 (saved by 2 ranks)" in again.stdout
    assert _params(tmp_path / "final.json") == baseline["noise"]


def test_max_restarts_resumes_to_the_uninterrupted_result(tmp_path: Path, baseline: dict) -> None:
    marks = _marks(tmp_path)
    job = Job(["-n", "2", "--max-restarts", "2", TRAIN, "--ckpt", "ck", "--steps", STEPS,
               "--noise", "--out", "final.json", "--stall-at", "5", "--marks", str(marks)],
              tmp_path, timeout=90)
    stalled = marks / "stalled.rank1"
    job.wait_for(stalled.exists, "rank 1 to stall")
    time.sleep(0.3)
    os.kill(int(stalled.read_text()), signal.SIGKILL)
    run = job.wait()
    assert run.returncode == 0, run.stderr
    assert "was killed by signal 9 (SIGKILL)" in run.stderr
    assert "restarting the job (1 of 2)" in run.stderr
    assert "[rank 1] resumed from step 4 (saved by 2 ranks)" in run.stdout
    assert _params(tmp_path / "final.json") == baseline["noise"]


def _stop_lines(stdout: str) -> dict[str, int]:
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"\[rank (\d)\] stopping at step (\d+)", stdout)}


@pytest.mark.parametrize("target", ["launcher", "rank1"])
def test_sigterm_saves_the_same_step_on_all_ranks(tmp_path: Path, target: str) -> None:
    marks = _marks(tmp_path)
    job = Job(["-n", "2", TRAIN, "--ckpt", "ck", "--steps", "100000", "--save-every", "0",
               "--preempt", "--step-sleep", "0.02", "--marks", str(marks)], tmp_path, timeout=60)
    progress = marks / "step.rank1"
    job.wait_for(lambda: progress.exists() and progress.read_text() not in ("", "1", "2"),
                 "a few training steps")
    if target == "launcher":
        job.signal(signal.SIGTERM)
    else:  # the scheduler signals one rank only: the ranks must still agree
        os.kill(int((marks / "pid.rank1").read_text()), signal.SIGTERM)
    run = job.wait()
    assert run.returncode == 128 + signal.SIGTERM, run.stderr
    stops = _stop_lines(run.stdout)
    assert set(stops) == {"0", "1"} and stops["0"] == stops["1"], run.stdout
    ck = Checkpointer(tmp_path / "ck")
    assert ck.latest_step() == stops["0"]
    manifest = ck.validate()
    assert manifest["world_size"] == 2 and {"rank0.json", "rank1.json"} <= set(manifest["files"])


def test_rank_killed_while_writing_a_checkpoint(tmp_path: Path, baseline: dict) -> None:
    """Rank 1 dies inside save(4): checkpoint 2 stays the latest and intact, the restart
    resumes from it and finishes exactly like the uninterrupted run."""
    run = launch("-n", "2", "--max-restarts", "1", TRAIN, "--ckpt", "ck", "--steps", STEPS,
                 "--noise", "--out", "final.json", "--kill-in-save", "4", tmp=tmp_path, timeout=90)
    assert run.returncode == 0, run.stderr
    assert re.search(r"rank 1 \(pid \d+ on .+\) was killed by signal 9", run.stderr)
    assert "[rank 0] resumed from step 2 (saved by 2 ranks)" in run.stdout
    assert _params(tmp_path / "final.json") == baseline["noise"]
    leftovers = [p.name for p in (tmp_path / "ck").iterdir() if ".tmp-" in p.name]
    assert leftovers == []  # the crashed save's temp directory was cleaned by a later save


def _close(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.allclose(a[k], b[k], rtol=1e-12, atol=1e-14) for k in a)


@pytest.mark.parametrize("first,second", [("2", "1"), ("1", "2")])
def test_resume_at_a_different_world_size(tmp_path: Path, baseline: dict, first: str,
                                          second: str) -> None:
    marks = _marks(tmp_path)
    run = launch("-n", first, TRAIN, "--ckpt", "ck", "--steps", "4", "--out", "half.json",
                 tmp=tmp_path)
    assert run.returncode == 0, run.stderr
    run = launch("-n", second, TRAIN, "--ckpt", "ck", "--steps", STEPS, "--out", "final.json",
                 "--marks", str(marks), tmp=tmp_path)
    assert run.returncode == 0, run.stderr
    assert f"resumed from step 4 (saved by {first} ranks)" in run.stdout
    # parameters and optimizer state are exactly what was saved ...
    assert json.loads((marks / "loaded.step4.json").read_text()) == _params(tmp_path / "half.json")
    # ... and training continues on the same global batches (summation order differs)
    assert _close(_params(tmp_path / "final.json"), baseline["plain"])
