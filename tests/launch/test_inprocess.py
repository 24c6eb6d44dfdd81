"""``--debug`` (one process, anomaly detection) and ``--threads N`` (virtual ranks)."""

from __future__ import annotations

import json
from pathlib import Path

from ._launch import ECHO, TRAIN, launch, launch_env


def test_debug_runs_the_script_once_with_anomaly_detection(tmp_path: Path) -> None:
    run = launch("--debug", ECHO, "anomaly", tmp=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "anomaly=True rank=0 world=1\n"
    assert "debug mode: one process" in run.stderr


def test_debug_exit_statuses(tmp_path: Path) -> None:
    assert launch("--debug", ECHO, "exit7", tmp=tmp_path).returncode == 7
    (tmp_path / "bad.py").write_text("def f():\n    raise KeyError('k')\nf()\n")
    run = launch("--debug", "bad.py", tmp=tmp_path)
    assert run.returncode == 1
    assert 'File "' in run.stderr and "bad.py\", line 3" in run.stderr and "KeyError: 'k'" in run.stderr


def test_threads_run_the_script_on_virtual_ranks(tmp_path: Path) -> None:
    run = launch("--threads", "3", ECHO, "threads", tmp=tmp_path)
    assert run.returncode == 0, run.stderr
    assert sorted(run.stdout.splitlines()) == [
        f"[rank {r}] rank {r} of 3 env RANK={r} sum=3.0" for r in range(3)]


def test_threads_failure_names_the_rank(tmp_path: Path) -> None:
    run = launch("--threads", "2", ECHO, "threads", "fail", tmp=tmp_path)
    assert run.returncode == 5
    assert "job failed (exit status 5): rank 1 exited with status 5" in run.stderr


def test_threads_training_matches_mpi_training(tmp_path: Path) -> None:
    """The same script, unchanged, trains identically on 2 virtual ranks and 2 MPI ranks."""
    for mode in (["--threads", "2"], ["-n", "2"]):
        tag = mode[0].strip("-")
        run = launch(*mode, TRAIN, "--ckpt", f"ck-{tag}", "--steps", "4", "--noise",
                     "--out", f"{tag}.json", tmp=tmp_path)
        assert run.returncode == 0, run.stderr
    threads = json.loads((tmp_path / "threads.json").read_text())
    mpi = json.loads((tmp_path / "n.json").read_text())
    assert threads == mpi


def test_debug_settings_in_an_mpi_run(tmp_path: Path) -> None:
    run = launch("--debug", "-n", "2", ECHO, "anomaly", tmp=tmp_path)
    assert run.returncode == 0, run.stderr
    assert sorted(run.stdout.splitlines()) == [f"[rank {r}] anomaly=True rank={r} world=2"
                                               for r in (0, 1)]


def test_threads_module_mode_and_fresh_script_globals(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(
        "import parallel\n"
        "calls = []\n"
        "def main():\n"
        "    parallel.init_process_group()\n"
        "    calls.append(parallel.get_rank())\n"
        "    print('calls', calls)\n"
        "if __name__ == '__main__':\n"
        "    main()\n")
    env = launch_env()
    env["PYTHONPATH"] = f"{tmp_path}:{env['PYTHONPATH']}"
    for target in (["job.py"], ["-m", "job"]):
        run = launch("--threads", "2", *target, tmp=tmp_path, env=env)
        assert run.returncode == 0, run.stderr
        assert sorted(run.stdout.splitlines()) == ["[rank 0] calls [0]", "[rank 1] calls [1]"]
