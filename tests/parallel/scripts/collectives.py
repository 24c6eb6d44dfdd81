"""Collectives under mpiexec: every rank checks the results it gets."""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_result

import autograd
import parallel
import parallel.functional as pf
from parallel import ReduceOp


def check(cond: bool, what: str) -> None:
    if not cond:
        raise AssertionError(what)


def main() -> None:
    parallel.init_process_group(timeout=30)
    r, n = parallel.get_rank(), parallel.get_world_size()
    t = autograd.tensor([float(r + 1)], dtype=autograd.float64)
    parallel.all_reduce(t)
    check(t.item() == n * (n + 1) / 2, f"all_reduce sum: {t.item()}")
    comm = parallel.default_group().comm
    for timeout in (30, None):  # polled against a deadline / MPI's blocking Allreduce
        comm.timeout = timeout
        for op, expect in ((ReduceOp.SUM, n * (n + 1) / 2), (ReduceOp.MAX, n), (ReduceOp.MIN, 1),
                           (ReduceOp.AVG, (n + 1) / 2), (ReduceOp.PRODUCT, math.factorial(n))):
            u = autograd.tensor([float(r + 1)], dtype=autograd.float64)
            parallel.all_reduce(u, op=op)
            check(u.item() == expect, f"all_reduce {op} (timeout {timeout}): {u.item()}")
        i = autograd.tensor([r + 1, -r], dtype=autograd.int64)
        parallel.all_reduce(i, op=ReduceOp.MAX)
        check(i.tolist() == [n, 0], f"int64 max (timeout {timeout}): {i.tolist()}")
    comm.timeout = 30
    h = autograd.full((5,), float(r + 1), dtype=autograd.float16)
    parallel.all_reduce(h)
    check(h.tolist() == [n * (n + 1) / 2] * 5, f"float16 sum: {h.tolist()}")
    b = autograd.full((3,), float(r))
    parallel.broadcast(b, src=n - 1)
    check(b.tolist() == [n - 1.0] * 3, "broadcast")
    out = autograd.zeros(2 * n)
    parallel.all_gather_into_tensor(out, autograd.tensor([r, r + 0.5]))
    check(out.tolist() == [v for k in range(n) for v in (k, k + 0.5)], "all_gather_into_tensor")
    rs = autograd.zeros(1)
    parallel.reduce_scatter_tensor(rs, autograd.arange(float(n)))
    check(rs.item() == r * n, "reduce_scatter_tensor")
    a2a = autograd.zeros(n)
    parallel.all_to_all_single(a2a, autograd.arange(float(n)) + 10 * r)
    check(a2a.tolist() == [r + 10.0 * k for k in range(n)], "all_to_all_single")
    objs = [None] * n
    parallel.all_gather_object(objs, {"r": r})
    check(objs == [{"r": k} for k in range(n)], "all_gather_object")
    big = autograd.ones(1 << 20)
    w = parallel.all_reduce(big, async_op=True)
    w.wait()
    check(big[0].item() == n and w.is_completed(), "async all_reduce")
    # chunked messages: force tiny chunks so the > 2**31 path runs
    comm = parallel.default_group().comm
    saved = comm.max_count
    comm.max_count = 7
    c = autograd.arange(20.0) * (r + 1)
    parallel.all_reduce(c)
    comm.max_count = saved
    check(c.tolist() == [float(i * n * (n + 1) / 2) for i in range(20)], "chunked all_reduce")
    g = parallel.new_group(sorted({0, n - 1}))
    if g is not None:
        s = autograd.ones(2)
        parallel.all_reduce(s, group=g)
        check(s.tolist() == [float(len({0, n - 1}))] * 2, "subgroup all_reduce")
    if n > 1:
        if r == 0:
            parallel.send(autograd.tensor([3.0, 4.0]), dst=1)
        elif r == 1:
            got = autograd.zeros(2)
            parallel.recv(got, src=0)
            check(got.tolist() == [3.0, 4.0], "send/recv")
    x = autograd.tensor([1.0, 2.0], dtype=autograd.float64, requires_grad=True)
    y = pf.all_gather_into_tensor(x)
    (y * y).sum().backward()
    check(x.grad.tolist() == [2.0 * n, 4.0 * n], f"differentiable all_gather: {x.grad.tolist()}")
    write_result(r, status="ok", local_rank=parallel.get_local_rank())
    parallel.barrier()


if __name__ == "__main__":
    main()
