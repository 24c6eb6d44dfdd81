"""``python -m launch -n N``: environment, rank prefixes, exit statuses, startup failures."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from launch.__main__ import main, split_argv
from launch._mpiexec import MpiExec, build_command
from launch._worker import rank_env, thread_env

from ._launch import ECHO, Job, launch, launch_env


def test_environment_threads_and_prefixes(tmp_path: Path) -> None:
    run = launch("-n", "2", ECHO, "env", "a", "-n", tmp=tmp_path)
    assert run.returncode == 0, run.stderr
    lines = sorted(run.stdout.splitlines())
    assert lines == [
        "[rank 0] RANK=0 WORLD_SIZE=2 LOCAL_RANK=0 LOCAL_WORLD_SIZE=2 OMP_NUM_THREADS=1 "
        "OPENBLAS_NUM_THREADS=1 args=a,-n",
        "[rank 1] RANK=1 WORLD_SIZE=2 LOCAL_RANK=1 LOCAL_WORLD_SIZE=2 OMP_NUM_THREADS=1 "
        "OPENBLAS_NUM_THREADS=1 args=a,-n",
    ]
    assert "[rank 0] stderr of 0" in run.stderr and "[rank 1] stderr of 1" in run.stderr


def test_user_thread_settings_are_kept(tmp_path: Path) -> None:
    run = launch("-n", "1", ECHO, tmp=tmp_path, env=launch_env(OMP_NUM_THREADS="3"))
    assert "OMP_NUM_THREADS=3" in run.stdout and run.returncode == 0


def test_exception_exits_1_with_traceback_naming_the_rank(tmp_path: Path) -> None:
    run = launch("-n", "2", ECHO, "raise", tmp=tmp_path, timeout=40)
    assert run.returncode == 1
    assert run.seconds < 20  # rank 0 sleeps 30 s: it was torn down, not waited for
    assert "[rank 1] Traceback (most recent call last):" in run.stderr
    assert "[rank 1] ValueError: boom on rank 1" in run.stderr
    assert "_bootstrap" not in run.stderr  # the traceback starts in the user's script
    assert re.search(r"job failed \(exit status 1\): rank 1 \(pid \d+ on .+\) exited with status "
                     r"1: ValueError: boom on rank 1", run.stderr)
    assert "|   File" in run.stderr  # the report repeats the failing rank's last lines


def test_sys_exit_code_is_passed_through_without_traceback(tmp_path: Path) -> None:
    run = launch("-n", "2", ECHO, "exit7", tmp=tmp_path)
    assert run.returncode == 7
    assert "Traceback" not in run.stderr
    assert "exited with status 7" in run.stderr


def test_sigint_gives_130(tmp_path: Path) -> None:
    job = Job(["-n", "2", ECHO, "sleep"], tmp_path, timeout=40)
    job.wait_for(lambda: job.stdout().count("ready") == 2, "both ranks to start")
    job.signal(signal.SIGINT)
    run = job.wait()
    assert run.returncode == 130, run.stderr
    assert "KeyboardInterrupt" in run.stderr
    assert "stopped by SIGINT" in run.stderr


def _site(tmp: Path, body: str) -> dict[str, str]:
    """An environment whose sitecustomize runs ``body`` in rank 1's script process
    before MPI is initialised."""
    site = tmp / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import os, time\n"
        "if os.environ.get('DTENSOR_LAUNCH_CONTROL_FD') and os.environ.get('PMI_RANK') == '1':\n"
        f"    {body}\n")
    env = launch_env()
    env["PYTHONPATH"] = f"{site}:{env['PYTHONPATH']}"
    return env


def test_rank_dying_before_mpi_init_does_not_hang(tmp_path: Path) -> None:
    env = _site(tmp_path, "os.write(2, b'bad config on rank 1\\n'); os._exit(3)")
    run = launch("-n", "2", ECHO, tmp=tmp_path, env=env, timeout=40)
    assert run.returncode == 3
    assert run.seconds < 15  # Hydra alone would leave rank 0 in MPI_Init forever
    assert "exited with status 3 before MPI initialisation" in run.stderr
    assert "| bad config on rank 1" in run.stderr


def test_startup_deadline(tmp_path: Path) -> None:
    env = _site(tmp_path, "time.sleep(60)")
    run = launch("-n", "2", "--start-timeout", "2", ECHO, tmp=tmp_path, env=env, timeout=40)
    assert run.returncode != 0
    assert run.seconds < 20
    assert "ranks 0, 1 did not finish starting (MPI initialisation) within 2 s" in run.stderr


def test_log_dir_and_module_mode(tmp_path: Path) -> None:
    (tmp_path / "mymod.py").write_text("import os\nprint('module on', os.environ['RANK'])\n")
    env = launch_env()
    env["PYTHONPATH"] = f"{tmp_path}:{env['PYTHONPATH']}"
    run = launch("-n", "2", "--log-dir", "logs", "-m", "mymod", tmp=tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "logs" / "rank1.log").read_text() == "module on 1\n"
    assert (tmp_path / "logs" / "rank0.log").read_text() == "module on 0\n"
    assert run.stdout == "[rank 0] module on 0\n"  # the terminal shows rank 0 only


def test_timeout_stops_the_job(tmp_path: Path) -> None:
    run = launch("-n", "1", "--timeout", "1", ECHO, "sleep", tmp=tmp_path, timeout=30)
    assert run.returncode == 124
    assert "ran past --timeout 1 s" in run.stderr and run.seconds < 15


def test_argument_splitting_and_errors(capsys: pytest.CaptureFixture) -> None:
    assert split_argv(["--max-restarts", "2", "-m", "pkg.train", "--lr", "1"]) == (
        ["--max-restarts", "2"], "pkg.train", ["--lr", "1"], True)
    assert split_argv(["--debug", "--", "-odd.py"]) == (["--debug"], "-odd.py", [], False)
    for argv, message in [([], "missing the script"), (["-n", "0", "x.py"], "at least 1"),
                          (["-n", "2", "--threads", "2", "x.py"], "exclude each other"),
                          (["--pdb", "x.py"], "--pdb needs --debug"),
                          (["--threads", "2", "--max-restarts", "1", "x.py"],
                           "--max-restarts needs MPI ranks (-n N)")]:
        with pytest.raises(SystemExit):
            main(argv)
        assert message in capsys.readouterr().err


def test_bench_dispatches_to_the_suites(capsys: pytest.CaptureFixture) -> None:
    assert main(["bench", "no-such-suite"]) == 2
    err = capsys.readouterr().err
    assert "unknown suite 'no-such-suite'; available: " in err and "allreduce" in err
    assert main(["bench", "--help"]) == 0
    assert "suites: " in capsys.readouterr().out


def test_rank_env_from_each_mpi_launcher() -> None:
    assert rank_env({"OMPI_COMM_WORLD_RANK": "3", "OMPI_COMM_WORLD_SIZE": "4",
                     "OMPI_COMM_WORLD_LOCAL_RANK": "1", "OMPI_COMM_WORLD_LOCAL_SIZE": "2"}) == {
        "RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2"}
    assert rank_env({"SLURM_PROCID": "5", "SLURM_NTASKS": "8", "SLURM_LOCALID": "1",
                     "SLURM_NTASKS_PER_NODE": "4(x2)"})["LOCAL_WORLD_SIZE"] == "4"
    assert rank_env({}) == {"RANK": "0", "WORLD_SIZE": "1", "LOCAL_RANK": "0", "LOCAL_WORLD_SIZE": "1"}
    threads = thread_env({}, 10**6)
    assert set(threads.values()) == {"1"} and "MKL_NUM_THREADS" in threads


def test_multi_node_flags() -> None:
    hydra = build_command(MpiExec("/x/mpiexec", "hydra"), 4, ["t.py"], hostfile="hosts")
    assert hydra[:5] == ["/x/mpiexec", "-f", "hosts", "-n", "4"]
    ompi = build_command(MpiExec("/x/mpirun", "openmpi"), 4, ["t.py"], hosts="a,b",
                         env_names=["DTENSOR_LAUNCH_TOKEN"])
    assert ompi[:7] == ["/x/mpirun", "--host", "a,b", "-x", "DTENSOR_LAUNCH_TOKEN", "-n", "4"]
    assert ompi[-3:] == ["-m", "launch._worker", "t.py"]
