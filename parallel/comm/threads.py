"""Virtual ranks: N ranks as threads of one process, with the semantics of separate
processes (for debugging in one process, tests, and fault injection).

Every collective deposits a copy of each rank's data in a shared slot keyed by the
collective's sequence number; when all ranks have arrived, each rank computes the
result from the deposits in rank order, so every rank gets bitwise the same answer.
Each deposit carries a signature (collective name, shape, dtype, root); ranks that
disagree all get a ``CollectiveMismatch`` naming the ranks, instead of a hang. A rank
that fails or returns early marks the group, and peers waiting on it get a
``PeerFailure`` naming it.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from autograd import backend

from .base import (
    CollectiveMismatch,
    CollectiveTimeout,
    Communicator,
    PeerFailure,
    ReduceOp,
    Work,
    stall_seconds,
    warn_stall,
)

__all__ = ["ThreadGroup", "ThreadComm"]


class _Slot:
    __slots__ = ("values", "sigs", "arrived", "read")

    def __init__(self, size: int) -> None:
        self.values: list[Any] = [None] * size
        self.sigs: list[Any] = [None] * size
        self.arrived = 0
        self.read = 0


class ThreadGroup:
    """State shared by the virtual ranks of one group."""

    def __init__(self, size: int, timeout: float | None = None) -> None:
        if size < 1:
            raise ValueError(f"a group needs at least one rank, got size={size}")
        self.size = size
        self.timeout = timeout
        self.cond = threading.Condition()
        self.slots: dict[int, _Slot] = {}
        self.failed: dict[int, str] = {}  # rank -> why (exception, early exit, abort)
        self.finished: set[int] = set()
        self.subgroups: dict[Any, ThreadGroup] = {}
        self.mailbox: dict[tuple, list] = {}  # (src, dst, tag) -> queued sends

    def mark_failed(self, rank: int, why: str) -> None:
        with self.cond:
            self.failed.setdefault(rank, why)
            self.cond.notify_all()
        for sub in list(self.subgroups.values()):
            sub.mark_failed(-1, f"rank {rank} of the parent group failed: {why}")

    def mark_finished(self, rank: int) -> None:
        with self.cond:
            self.finished.add(rank)
            self.cond.notify_all()


def _reduce(values: list, op: Any) -> Any:
    xp = backend.xp_of(values[0])
    out = values[0].copy()
    for v in values[1:]:
        if callable(op) and not isinstance(op, ReduceOp):
            op(v, out)  # a custom reduction: fn(incoming, inout)
        elif op in (ReduceOp.SUM, ReduceOp.AVG):
            out = out | v if out.dtype.kind == "b" else out + v
        elif op is ReduceOp.PRODUCT:
            out = out & v if out.dtype.kind == "b" else out * v
        elif op is ReduceOp.MAX:
            out = xp.maximum(out, v)
        elif op is ReduceOp.MIN:
            out = xp.minimum(out, v)
        elif op is ReduceOp.BAND:
            out = out & v
        elif op is ReduceOp.BOR:
            out = out | v
        elif op is ReduceOp.BXOR:
            out = out ^ v
        else:
            raise ValueError(f"unsupported reduce op {op!r}")
    if op is ReduceOp.AVG:
        if out.dtype.kind in "iub":
            out = out // len(values)
        else:
            out = out / len(values)
    return out


class _ThreadWork(Work):
    def __init__(self, comm: ThreadComm, seq: int, what: str, finish: Any) -> None:
        self.comm, self.seq, self.what, self.finish = comm, seq, what, finish
        self.done = False

    def is_completed(self) -> bool:
        if self.done:
            return True
        g = self.comm.group
        with g.cond:
            slot = g.slots.get(self.seq)
            return slot is not None and slot.arrived == g.size

    def wait(self, timeout: float | None = None) -> bool:
        if not self.done:
            values = self.comm._collect(self.seq, self.what)
            self._result = self.finish(values)
            self.done = True
        return True


class ThreadComm(Communicator):
    """Rank ``rank`` of a ``ThreadGroup``."""

    name = "threads"

    def __init__(self, group: ThreadGroup, rank: int) -> None:
        self.group = group
        self.rank = rank
        self.size = group.size
        self.timeout = group.timeout
        self.seq = 0

    # -- the exchange at the heart of every collective
    def _post(self, what: str, value: Any, sig: Any) -> int:
        g = self.group
        self.seq += 1  # collectives are numbered from 1, as on the MPI backend
        seq = self.seq
        with g.cond:
            self._check_failed(what)
            slot = g.slots.get(seq)
            if slot is None:
                slot = g.slots[seq] = _Slot(g.size)
            slot.values[self.rank] = value
            slot.sigs[self.rank] = (what, sig)
            slot.arrived += 1
            if slot.arrived == g.size:
                g.cond.notify_all()
        return seq

    def _check_failed(self, what: str) -> None:
        g = self.group
        others = {r: why for r, why in g.failed.items() if r != self.rank}
        if others:
            r, why = next(iter(sorted(others.items())))
            who = f"rank {r}" if r >= 0 else "a rank"
            raise PeerFailure(f"{what} on rank {self.rank} cannot complete: {who} failed ({why})")

    def _collect(self, seq: int, what: str) -> list:
        g = self.group
        with g.cond:
            slot = g.slots[seq]

            def ready() -> bool:
                if slot.arrived == g.size:
                    return True
                missing = [r for r in range(g.size) if slot.sigs[r] is None]
                if any(r in g.failed for r in missing) or any(r in g.finished for r in missing):
                    return True
                return bool({r for r in g.failed if r != self.rank})

            stall = stall_seconds()
            if stall is not None and (self.timeout is None or stall < self.timeout):
                ok = g.cond.wait_for(ready, timeout=stall)
                if not ok:
                    missing = [r for r in range(g.size) if slot.sigs[r] is None]
                    warn_stall(f"{what} (collective #{seq}) on rank {self.rank}", stall,
                               missing, self.timeout)
                    ok = g.cond.wait_for(ready, timeout=None if self.timeout is None
                                         else self.timeout - stall)
            else:
                ok = g.cond.wait_for(ready, timeout=self.timeout)
            if not ok:
                missing = [r for r in range(g.size) if slot.sigs[r] is None]
                raise CollectiveTimeout(
                    f"{what} (collective #{seq}) on rank {self.rank} did not complete within "
                    f"{self.timeout:.1f} s; missing ranks: {missing}"
                )
            if slot.arrived != g.size:
                missing = [r for r in range(g.size) if slot.sigs[r] is None]
                gone = [r for r in missing if r in g.finished and r not in g.failed]
                if gone:
                    raise PeerFailure(
                        f"{what} (collective #{seq}) on rank {self.rank} cannot complete: rank "
                        f"{gone[0]} returned without calling it (ranks must run the same "
                        "collectives in the same order)"
                    )
                self._check_failed(what)
                raise PeerFailure(f"{what} on rank {self.rank}: ranks {missing} failed")
            sigs = slot.sigs
            if any(s != sigs[0] for s in sigs):
                detail = "; ".join(f"rank {r}: {s[0]} {s[1]}" for r, s in enumerate(sigs))
                raise CollectiveMismatch(
                    f"collective #{seq} differs across ranks ({detail}): every rank must call "
                    "the same collective with the same shapes and dtypes, in the same order"
                )
            values = slot.values
            slot.read += 1
            if slot.read == g.size:
                del g.slots[seq]
        return values

    def _run(self, what: str, value: Any, sig: Any, finish: Any) -> Any:
        seq = self._post(what, value, sig)
        return _ThreadWork(self, seq, what, finish).result()

    # -- collectives
    def iallreduce(self, arr: Any, op: Any = ReduceOp.SUM) -> Work:
        sig = (tuple(arr.shape), str(arr.dtype), getattr(op, "name", getattr(op, "__name__", "custom")))

        def finish(values: list) -> None:
            arr[...] = _reduce(values, op).astype(arr.dtype, copy=False)

        seq = self._post("allreduce", arr.copy(), sig)
        return _ThreadWork(self, seq, "allreduce", finish)

    def broadcast(self, arr: Any, root: int = 0) -> None:
        self._check_rank(root, "broadcast")
        value = arr.copy() if self.rank == root else None

        def finish(values: list) -> None:
            if self.rank != root:
                arr[...] = values[root]

        self._run("broadcast", value, (tuple(arr.shape), str(arr.dtype), root), finish)

    def allgather(self, send: Any, recv: Any) -> None:
        def finish(values: list) -> None:
            flat = recv.reshape(-1)
            n = send.size
            for r, v in enumerate(values):
                flat[r * n:(r + 1) * n] = v.reshape(-1)

        self._run("allgather", send.copy(), (tuple(send.shape), str(send.dtype)), finish)

    def reduce_scatter(self, send: Any, recv: Any, op: ReduceOp = ReduceOp.SUM) -> None:
        n = recv.size

        def finish(values: list) -> None:
            total = _reduce([v.reshape(-1) for v in values], op)
            recv.reshape(-1)[...] = total[self.rank * n:(self.rank + 1) * n]

        self._run("reduce_scatter", send.copy(), (tuple(send.shape), str(send.dtype), op.name),
                  finish)

    def alltoall(self, send: Any, recv: Any) -> None:
        n = send.size // self.size

        def finish(values: list) -> None:
            flat = recv.reshape(-1)
            for r, v in enumerate(values):
                flat[r * n:(r + 1) * n] = v.reshape(-1)[self.rank * n:(self.rank + 1) * n]

        self._run("alltoall", send.copy(), (tuple(send.shape), str(send.dtype)), finish)

    def reduce(self, arr: Any, root: int = 0, op: ReduceOp = ReduceOp.SUM) -> None:
        self._check_rank(root, "reduce")

        def finish(values: list) -> None:
            if self.rank == root:
                arr[...] = _reduce(values, op).astype(arr.dtype, copy=False)

        self._run("reduce", arr.copy(), (tuple(arr.shape), str(arr.dtype), op.name, root), finish)

    def gather(self, send: Any, recv: Any | None, root: int = 0) -> None:
        self._check_rank(root, "gather")

        def finish(values: list) -> None:
            if self.rank == root:
                flat = recv.reshape(-1)
                n = send.size
                for r, v in enumerate(values):
                    flat[r * n:(r + 1) * n] = v.reshape(-1)

        self._run("gather", send.copy(), (tuple(send.shape), str(send.dtype), root), finish)

    def scatter(self, send: Any | None, recv: Any, root: int = 0) -> None:
        self._check_rank(root, "scatter")
        n = recv.size

        def finish(values: list) -> None:
            recv.reshape(-1)[...] = values[root].reshape(-1)[self.rank * n:(self.rank + 1) * n]

        value = send.copy() if self.rank == root else None
        self._run("scatter", value, (tuple(recv.shape), str(recv.dtype), root), finish)

    def send(self, arr: Any, dst: int, tag: int = 0) -> None:
        self._check_rank(dst, "send")
        g = self.group
        with g.cond:
            g.mailbox.setdefault((self.rank, dst, tag), []).append(arr.copy())
            g.cond.notify_all()

    def recv(self, arr: Any, src: int, tag: int = 0) -> None:
        self._check_rank(src, "recv")
        g = self.group
        key = (src, self.rank, tag)
        with g.cond:
            ok = g.cond.wait_for(
                lambda: bool(g.mailbox.get(key)) or src in g.failed or src in g.finished,
                timeout=self.timeout,
            )
            queue = g.mailbox.get(key)
            if not queue:
                if not ok:
                    raise CollectiveTimeout(
                        f"recv on rank {self.rank} from rank {src} (tag {tag}) did not complete "
                        f"within {self.timeout:.1f} s"
                    )
                raise PeerFailure(f"recv on rank {self.rank}: rank {src} ended without sending")
            value = queue.pop(0)
        if value.shape != arr.shape:
            raise CollectiveMismatch(
                f"recv on rank {self.rank}: rank {src} sent shape {list(value.shape)}, the "
                f"receive buffer has shape {list(arr.shape)}"
            )
        arr[...] = value

    def barrier(self) -> None:
        self._run("barrier", None, None, lambda values: None)

    def bcast_object(self, obj: Any, root: int = 0) -> Any:
        self._check_rank(root, "broadcast_object_list")
        value = obj if self.rank == root else None
        return self._run("bcast_object", value, root, lambda v: copy.deepcopy(v[root]))

    def allgather_object(self, obj: Any) -> list:
        return self._run("allgather_object", obj, None, lambda v: copy.deepcopy(list(v)))

    def split(self, ranks: list[int]) -> Communicator | None:
        ranks = [int(r) for r in ranks]
        for r in ranks:
            self._check_rank(r, "new_group")
        seq = self.seq
        self._run("new_group", None, tuple(ranks), lambda v: None)
        if self.rank not in ranks:
            return None
        g = self.group
        with g.cond:
            sub = g.subgroups.get(seq)
            if sub is None:
                sub = g.subgroups[seq] = ThreadGroup(len(ranks), self.timeout)
        return ThreadComm(sub, ranks.index(self.rank))

    def abort(self, code: int = 1) -> None:
        self.group.mark_failed(self.rank, f"abort({code}) called")
        raise SystemExit(code)

    def _check_rank(self, r: int, what: str) -> None:
        if not 0 <= r < self.size:
            raise ValueError(f"{what}: rank {r} is not in a group of size {self.size}")

