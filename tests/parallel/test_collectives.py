"""Collectives on virtual ranks (threads backend) and in a world of one: results,
rank-order determinism, errors that name the ranks instead of hanging."""

from __future__ import annotations

import time

import numpy as np
import pytest

import autograd
import parallel
import parallel.functional as pf
from parallel import ReduceOp


def spawn(fn, n, **kw):
    return parallel.spawn(fn, nprocs=n, timeout=kw.pop("timeout", 20), **kw)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_all_reduce_ops(n: int) -> None:
    def work(rank: int) -> dict:
        parallel.init_process_group()
        out = {}
        for op in (ReduceOp.SUM, ReduceOp.AVG, ReduceOp.MAX, ReduceOp.MIN, ReduceOp.PRODUCT):
            t = autograd.tensor([rank + 1.0, -(rank + 1.0)], dtype=autograd.float64)
            parallel.all_reduce(t, op=op)
            out[op.name] = t.tolist()
        i = autograd.tensor([rank + 1]) * 3
        parallel.all_reduce(i, op=ReduceOp.AVG)
        out["int_avg"] = i.tolist()
        return out

    vals = np.arange(1, n + 1, dtype=np.float64)
    for res in spawn(work, n):
        assert res["SUM"] == [vals.sum(), -vals.sum()]
        assert res["AVG"] == [vals.mean(), -vals.mean()]
        assert res["MAX"] == [vals.max(), -vals.min()]
        assert res["MIN"] == [vals.min(), -vals.max()]
        assert res["PRODUCT"] == [vals.prod(), (-vals).prod()]
        assert res["int_avg"] == [int(3 * vals.sum()) // n]


def test_async_all_reduce_and_version_counter() -> None:
    def work(rank: int) -> tuple:
        parallel.init_process_group()
        t = autograd.ones(1000) * rank
        v0 = t._version
        w = parallel.all_reduce(t, async_op=True)
        w.wait()
        return t[0].item(), t._version - v0, w.is_completed()

    for value, bumps, done in spawn(work, 3):
        assert value == 3.0 and bumps == 1 and done


def test_broadcast_gather_scatter_family() -> None:
    def work(rank: int) -> dict:
        parallel.init_process_group()
        n = parallel.get_world_size()
        b = autograd.full((3,), float(rank))
        parallel.broadcast(b, src=n - 1)
        agt = autograd.zeros(2 * n)
        parallel.all_gather_into_tensor(agt, autograd.tensor([rank, rank + 0.5]))
        lst = [autograd.zeros(2) for _ in range(n)]
        parallel.all_gather(lst, autograd.tensor([rank, -rank], dtype=autograd.float32))
        rs = autograd.zeros(2)
        parallel.reduce_scatter_tensor(rs, autograd.arange(2.0 * n) * (rank + 1))
        a2a = autograd.zeros(n)
        parallel.all_to_all_single(a2a, autograd.arange(float(n)) + 10 * rank)
        red = autograd.tensor([float(rank)])
        parallel.reduce(red, dst=0)
        gl = [autograd.zeros(1) for _ in range(n)] if rank == 0 else None
        parallel.gather(autograd.tensor([float(rank)]), gl, dst=0)
        sc = autograd.zeros(1)
        parallel.scatter(sc, [autograd.tensor([10.0 * r]) for r in range(n)] if rank == 1 else None, src=1)
        objs = [None] * n
        parallel.all_gather_object(objs, {"rank": rank})
        bol = [rank, "x"] if rank == 0 else [None, None]
        parallel.broadcast_object_list(bol, src=0)
        return dict(b=b.tolist(), agt=agt.tolist(), lst=[t.tolist() for t in lst], rs=rs.tolist(),
                    a2a=a2a.tolist(), red=red.item(), gl=None if gl is None else [t.item() for t in gl],
                    sc=sc.item(), objs=objs, bol=bol)

    n = 3
    res = spawn(work, n)
    tri = sum(range(1, n + 1))
    for r, out in enumerate(res):
        assert out["b"] == [n - 1.0] * 3
        assert out["agt"] == [v for k in range(n) for v in (k, k + 0.5)]
        assert out["lst"] == [[k, -k] for k in range(n)]
        assert out["rs"] == [(2 * r) * tri, (2 * r + 1) * tri]
        assert out["a2a"] == [r + 10.0 * k for k in range(n)]
        assert out["sc"] == 10.0 * r
        assert out["objs"] == [{"rank": k} for k in range(n)]
        assert out["bol"] == [0, "x"]
    assert res[0]["red"] == sum(range(n)) and res[1]["red"] == 1.0
    assert res[0]["gl"] == [0.0, 1.0, 2.0] and res[1]["gl"] is None


def test_send_recv_and_subgroups() -> None:
    def work(rank: int) -> tuple:
        parallel.init_process_group()
        t = autograd.zeros(2)
        if rank == 0:
            parallel.send(autograd.tensor([1.0, 2.0]), dst=1)
        elif rank == 1:
            parallel.recv(t, src=0)
        g = parallel.new_group([1, 2])
        sub = None
        if g is not None:
            s = autograd.tensor([float(rank)])
            parallel.all_reduce(s, group=g)
            sub = (s.item(), parallel.get_rank(g), parallel.get_world_size(g))
        return t.tolist(), sub

    res = spawn(work, 3)
    assert res[1][0] == [1.0, 2.0]
    assert res[0][1] is None
    assert res[1][1] == (3.0, 0, 2) and res[2][1] == (3.0, 1, 2)


def test_differentiable_collectives_give_adjoint_gradients() -> None:
    def work(rank: int) -> dict:
        parallel.init_process_group()
        x = autograd.tensor([1.0, 2.0], dtype=autograd.float64, requires_grad=True) * (rank + 1)
        x.retain_grad()
        y = pf.all_reduce(x)
        (y * y).sum().backward()
        a = autograd.tensor([float(rank + 1)], dtype=autograd.float64, requires_grad=True)
        g = pf.all_gather_into_tensor(a)
        (g * autograd.arange(1.0, 4.0, dtype=autograd.float64)).sum().backward()
        b = autograd.tensor([3.0], dtype=autograd.float64, requires_grad=True)
        pf.broadcast(b * (rank + 1), src=0).sum().backward()
        return {"x": x.grad.tolist(), "a": a.grad.tolist(), "b": b.grad.tolist()}

    res = spawn(work, 3)
    total = [6.0 * 1.0, 6.0 * 2.0]  # y = sum_r x_r = 6 * [1, 2]
    for r, out in enumerate(res):
        # d/dx_r of sum over ranks of sum(y*y) = sum over ranks 2y = 3 * 2y
        assert out["x"] == [3 * 2 * v for v in total]
        # every rank's loss weights rank r's slot by (r + 1); summed over 3 ranks
        assert out["a"] == [3.0 * (r + 1)]
    assert res[0]["b"] == [3.0] and res[1]["b"] == [0.0] and res[2]["b"] == [0.0]


def test_exception_on_one_rank_fails_fast_naming_it() -> None:
    def work(rank: int) -> None:
        parallel.init_process_group()
        if rank == 1:
            raise ValueError("boom on rank 1")
        parallel.barrier()

    start = time.monotonic()
    with pytest.raises(parallel.SpawnError, match="rank 1 failed: ValueError: boom on rank 1"):
        spawn(work, 3, timeout=None)
    assert time.monotonic() - start < 5


def test_mismatched_collectives_are_named_on_every_rank() -> None:
    def work(rank: int) -> None:
        parallel.init_process_group()
        parallel.all_reduce(autograd.ones(2 + rank))

    with pytest.raises(parallel.SpawnError) as info:
        spawn(work, 2)
    assert isinstance(info.value.error, parallel.CollectiveMismatch)
    assert "rank 0: allreduce ((2,)" in str(info.value) and "rank 1: allreduce ((3,)" in str(info.value)


def test_a_rank_that_skips_a_collective_is_reported() -> None:
    def work(rank: int) -> None:
        parallel.init_process_group()
        if rank == 0:
            parallel.barrier()

    with pytest.raises(parallel.SpawnError, match="rank 1 returned without calling it"):
        spawn(work, 2, timeout=None)


def test_timeout_names_the_missing_rank() -> None:
    def work(rank: int) -> None:
        parallel.init_process_group(timeout=0.3)
        if rank == 1:
            time.sleep(1.0)
        parallel.barrier()

    with pytest.raises(parallel.SpawnError, match=r"missing ranks: \[1\]"):
        spawn(work, 2, timeout=None)


def test_straggler_is_named_in_a_stall_warning_and_the_collective_completes(
        monkeypatch, caplog) -> None:
    monkeypatch.setenv("DTENSOR_STALL_WARNING_SECONDS", "0.2")

    def work(rank: int) -> float:
        parallel.init_process_group(timeout=5)
        if rank == 1:
            time.sleep(0.6)
        t = autograd.tensor([float(rank + 1)])
        parallel.all_reduce(t)
        return t.item()

    with caplog.at_level("WARNING", logger="parallel"):
        assert spawn(work, 2, timeout=None) == [3.0, 3.0]
    warned = [r.getMessage() for r in caplog.records if r.name == "parallel"]
    assert warned == ["allreduce (collective #1) on rank 0 has waited 0.2 s; missing ranks: "
                      "[1]; still waiting (it gives up after 5.0 s)"]


def test_stall_warning_setting_is_checked(monkeypatch) -> None:
    from parallel.comm.base import stall_seconds

    monkeypatch.setenv("DTENSOR_STALL_WARNING_SECONDS", "0")
    assert stall_seconds() is None
    monkeypatch.setenv("DTENSOR_STALL_WARNING_SECONDS", "soon")
    with pytest.raises(ValueError, match="DTENSOR_STALL_WARNING_SECONDS='soon': expected a "
                       "number of seconds"):
        stall_seconds()


def test_world_of_one_needs_no_mpi() -> None:
    parallel.init_process_group()
    try:
        assert parallel.get_backend() == "single"
        t = autograd.tensor([2.0])
        parallel.all_reduce(t, op=ReduceOp.AVG)
        assert t.item() == 2.0
        out = autograd.zeros(2)
        parallel.all_gather_into_tensor(out, autograd.tensor([1.0, 2.0]))
        assert out.tolist() == [1.0, 2.0]
        with pytest.raises(RuntimeError, match="twice"):
            parallel.init_process_group()
    finally:
        parallel.destroy_process_group()
    with pytest.raises(RuntimeError, match="has not been initialized"):
        parallel.get_rank()


def test_threads_backend_outside_spawn_explains_itself() -> None:
    with pytest.raises(RuntimeError, match="parallel.spawn"):
        parallel.init_process_group("threads")


def test_per_rank_random_streams_are_independent_and_seeded() -> None:
    def work(rank: int) -> list:
        autograd.manual_seed(123 + rank)
        return autograd.rand(3).tolist()

    a = spawn(work, 2)
    b = spawn(work, 2)
    assert a == b and a[0] != a[1]


def test_waits_spin_only_while_every_rank_has_a_core() -> None:
    from parallel.comm.base import CollectiveTimeout, spin_seconds, wait_until

    assert spin_seconds(1) == 1e-2  # one rank per core: busy-poll (no sleep overshoot)
    assert spin_seconds(10**6) == 5e-5  # oversubscribed: yield the core soon
    polls = []
    wait_until(lambda: polls.append(1) or len(polls) > 3, 1.0, "a test wait", spin=1e-2)
    assert len(polls) == 4
    start = time.perf_counter()
    with pytest.raises(CollectiveTimeout, match="a test wait did not complete within 0.1 s"):
        wait_until(lambda: False, 0.1, "a test wait", spin=1e-2)
    assert time.perf_counter() - start < 1.0
