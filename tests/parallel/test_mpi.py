"""The parallel layer under mpiexec (real processes, MPICH shared memory), each run
bounded by a timeout so a hang fails fast."""

from __future__ import annotations

import pytest

from tests.parallel import mpirun


@pytest.mark.parametrize("n", [1, 3])
def test_collectives(n: int, tmp_path) -> None:
    r = mpirun.run("collectives.py", n, timeout=60, tmp=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert [r.results[k]["status"] for k in range(n)] == ["ok"] * n
    assert [r.results[k]["local_rank"] for k in range(n)] == list(range(n))


EQUIVALENCE = ["default", "tiny_buckets", "no_sync", "unused", "checkpoint"]


@pytest.mark.parametrize("n,variant,shm", [
    # every variant at 2, 3 and 4 ranks (4 oversubscribed on a 2-core machine) over MPI
    *[(n, v, "0") for n in (2, 3, 4) for v in EQUIVALENCE], (2, "grad", "0"),
    # through the shared-memory window (forced: these models are small); 3 and 4 ranks
    # take the general (more than two ranks) reduction loop
    *[(2, v, "always") for v in (*EQUIVALENCE, "grad")],
    (3, "tiny_buckets", "always"), (3, "unused", "always"), (3, "checkpoint", "always"),
    (4, "default", "always"), (4, "no_sync", "always"),
])
def test_ddp_matches_single_process(n: int, variant: str, shm: str, tmp_path) -> None:
    r = mpirun.run("ddp_equivalence.py", n, "--variant", variant, timeout=90, tmp=tmp_path,
                   env={"DTENSOR_SHM_ALLREDUCE": shm})
    assert r.returncode == 0, r.stderr[-3000:]
    for k in range(n):
        res = r.results[k]
        assert res["status"] == "ok" and res["identical"], res
        assert res["worst_rel_err"] < 1e-9


def test_exception_on_one_rank_aborts_the_job_with_its_traceback(tmp_path) -> None:
    r = mpirun.run("faults.py", 2, "--mode", "exception", timeout=60, tmp=tmp_path)
    assert r.returncode != 0
    assert r.seconds < 20
    assert "[rank 1] ValueError: injected failure on rank 1" in r.stderr
    assert "MPI_Abort" in r.stderr


def test_model_mismatch_is_named_before_any_parameter_traffic(tmp_path) -> None:
    r = mpirun.run("faults.py", 2, "--mode", "model_mismatch", timeout=60, tmp=tmp_path)
    assert r.returncode != 0 and r.seconds < 20
    assert "'weight' is [1, 10] float32 on rank 0 but [1, 100] float32 on rank 1" in r.stderr


def test_skipped_collective_times_out_naming_it(tmp_path) -> None:
    r = mpirun.run("faults.py", 2, "--mode", "skip", timeout=60, tmp=tmp_path)
    assert r.returncode != 0 and r.seconds < 20
    assert "allreduce (collective #1) on rank 0 did not complete within 3.0 s; missing " \
        "ranks: [1]" in r.stderr


@pytest.mark.parametrize("shm", ["0", "always"])
def test_straggler_is_named_in_a_warning_and_the_job_completes(shm: str, tmp_path) -> None:
    r = mpirun.run("faults.py", 2, "--mode", "straggler", timeout=60, tmp=tmp_path,
                   env={"DTENSOR_STALL_WARNING_SECONDS": "1", "DTENSOR_SHM_ALLREDUCE": shm})
    assert r.returncode == 0, r.stderr[-3000:]
    assert "allreduce (collective #1) on rank 0 has waited 1.0 s; missing ranks: [1]; still " \
        "waiting (it gives up after 8.0 s)" in r.stderr
    if shm == "always":  # DDP's reduction waits in the shared window, which names the rank
        assert "the shared-memory reduction of the gradient of b.bias on rank 0 has waited " \
            "1.0 s; missing ranks: [1]" in r.stderr
    else:  # the bucket allreduce over MPI: the collective, its number and the rank
        assert "on rank 0 has waited 1.0 s; missing ranks: [1]" in r.stderr.split("has waited", 1)[1]
    for k in range(2):
        assert r.results[k]["status"] == "ok" and r.results[k]["total"] == [2.0, 2.0, 2.0]
    assert r.results[0]["grad"] == r.results[1]["grad"] == [3.0, 3.0]


def test_rank_missing_from_the_shared_memory_reduction_times_out_naming_it(tmp_path) -> None:
    r = mpirun.run("faults.py", 2, "--mode", "no_backward", timeout=60, tmp=tmp_path,
                   env={"DTENSOR_SHM_ALLREDUCE": "always"})
    assert r.returncode != 0 and r.seconds < 20
    assert "the shared-memory reduction of the gradient of b.bias on rank 0 did not complete " \
        "within 3.0 s; missing ranks: [1]" in r.stderr


def test_rank_dependent_unused_parameter_is_named_not_hung(tmp_path) -> None:
    r = mpirun.run("faults.py", 2, "--mode", "unused", timeout=60, tmp=tmp_path)
    assert r.returncode != 0 and r.seconds < 20
    assert "did not receive a gradient in this backward pass on rank 1: b.weight (index 2)" in r.stderr


@pytest.mark.parametrize("n,shm", [(2, "0"), (3, "0"), (2, "always"), (3, "always")])
def test_join_handles_uneven_inputs(n: int, shm: str, tmp_path) -> None:
    r = mpirun.run("uneven.py", n, timeout=60, tmp=tmp_path, env={"DTENSOR_SHM_ALLREDUCE": shm})
    assert r.returncode == 0, r.stderr[-3000:]
    assert all(r.results[k]["status"] == "ok" for k in range(n)), r.results
    assert all(r.results[k]["weight"] == r.results[0]["weight"] for k in range(n))


def test_debug_mode_names_a_desynchronised_collective(tmp_path) -> None:
    r = mpirun.run("faults.py", 2, "--mode", "desync", timeout=60, tmp=tmp_path,
                   env={"DTENSOR_DISTRIBUTED_DEBUG": "DETAIL"})
    assert r.returncode != 0 and r.seconds < 20
    assert "CollectiveMismatch" in r.stderr
    assert "rank 0: #1 allreduce" in r.stderr and "rank 1: #1 broadcast" in r.stderr
