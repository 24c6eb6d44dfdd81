"""The communicator interface: collectives on raw arrays, named after MPI's verbs.

A communicator moves numpy/cupy arrays between the ranks of a group. Array arguments
are contiguous; results are written in place (``allreduce``) or into the given output
array. Non-blocking variants return a ``Work`` handle. Implementations: ``SingleComm``
(world of one), ``MPIComm`` (mpi4py buffer calls), ``ThreadComm`` (virtual ranks in one
process).
"""

from __future__ import annotations

import enum
import os
import time
from collections.abc import Callable
from typing import Any

__all__ = ["ReduceOp", "Work", "CompletedWork", "Communicator", "CollectiveTimeout",
           "PeerFailure", "CollectiveMismatch"]


class ReduceOp(enum.Enum):
    """Reduction operators (``torch.distributed.ReduceOp``)."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"

    def __repr__(self) -> str:
        return f"<ReduceOp.{self.name}>"


class CollectiveTimeout(RuntimeError):
    """A collective did not complete within the group's timeout."""


class PeerFailure(RuntimeError):
    """Another rank failed, so this collective can never complete."""


class CollectiveMismatch(RuntimeError):
    """Ranks called different collectives (or with different shapes/dtypes)."""


class Work:
    """Handle of a non-blocking collective (``torch.distributed.Work``)."""

    def wait(self, timeout: float | None = None) -> bool:
        raise RuntimeError(f"{type(self).__name__} must implement wait()")

    def is_completed(self) -> bool:
        raise RuntimeError(f"{type(self).__name__} must implement is_completed()")

    def result(self) -> Any:
        self.wait()
        return getattr(self, "_result", None)


class CompletedWork(Work):
    """A collective that already finished (blocking backends, world of one)."""

    def __init__(self, result: Any = None, then: Callable[[], Any] | None = None) -> None:
        self._result = result
        self._then = then

    def wait(self, timeout: float | None = None) -> bool:
        if self._then is not None:
            then, self._then = self._then, None
            then()
        return True

    def is_completed(self) -> bool:
        return True


class Communicator:
    """Base class: a group of ``size`` ranks, this process being ``rank``.

    ``timeout`` (seconds, None = wait forever) bounds every blocking wait, so a missing
    or failed peer becomes a ``CollectiveTimeout`` naming the collective, not a hang.
    """

    rank: int = 0
    size: int = 1
    timeout: float | None = None
    name = "base"

    # -- collectives on arrays (to be provided by each backend)
    def allreduce(self, arr: Any, op: ReduceOp = ReduceOp.SUM) -> None:
        self.iallreduce(arr, op).wait()

    def iallreduce(self, arr: Any, op: ReduceOp = ReduceOp.SUM) -> Work:
        raise RuntimeError(f"{self.name} communicator has no iallreduce")

    def broadcast(self, arr: Any, root: int = 0) -> None:
        raise RuntimeError(f"{self.name} communicator has no broadcast")

    def allgather(self, send: Any, recv: Any) -> None:
        raise RuntimeError(f"{self.name} communicator has no allgather")

    def reduce_scatter(self, send: Any, recv: Any, op: ReduceOp = ReduceOp.SUM) -> None:
        raise RuntimeError(f"{self.name} communicator has no reduce_scatter")

    def alltoall(self, send: Any, recv: Any) -> None:
        raise RuntimeError(f"{self.name} communicator has no alltoall")

    def reduce(self, arr: Any, root: int = 0, op: ReduceOp = ReduceOp.SUM) -> None:
        raise RuntimeError(f"{self.name} communicator has no reduce")

    def gather(self, send: Any, recv: Any | None, root: int = 0) -> None:
        raise RuntimeError(f"{self.name} communicator has no gather")

    def scatter(self, send: Any | None, recv: Any, root: int = 0) -> None:
        raise RuntimeError(f"{self.name} communicator has no scatter")

    def send(self, arr: Any, dst: int, tag: int = 0) -> None:
        raise RuntimeError(f"{self.name} communicator has no send")

    def recv(self, arr: Any, src: int, tag: int = 0) -> None:
        raise RuntimeError(f"{self.name} communicator has no recv")

    def barrier(self) -> None:
        raise RuntimeError(f"{self.name} communicator has no barrier")

    # -- small Python objects (pickled; never used for tensors)
    def bcast_object(self, obj: Any, root: int = 0) -> Any:
        raise RuntimeError(f"{self.name} communicator has no bcast_object")

    def allgather_object(self, obj: Any) -> list:
        raise RuntimeError(f"{self.name} communicator has no allgather_object")

    # -- groups
    def split(self, ranks: list[int]) -> Communicator | None:
        """A communicator over ``ranks`` (ranks of this group); None on the others.
        Every rank of this group must call it with the same list."""
        raise RuntimeError(f"{self.name} communicator cannot split")

    def abort(self, code: int = 1) -> None:
        """End the whole job now (used when a rank fails, so no peer waits forever)."""
        raise SystemExit(code)


def wait_until(done: Callable[[], bool], timeout: float | None, what: str,
               on_timeout: Callable[[], str] | None = None, spin: float = 5e-5) -> None:
    """Poll ``done`` until it is true: spin for ``spin`` seconds (latency), then back off
    to short sleeps (so oversubscribed ranks yield the CPU). Python signal handlers run
    either way: the loop is Python code. Ranks that each have a core of their own spin
    longer (see :func:`spin_seconds`): a sleep overshoots by up to a millisecond, and a
    rank waiting for a straggler every step pays that on every step."""
    if done():
        return
    start = time.perf_counter()
    spin_until = start + spin
    delay = 1e-5
    while not done():
        now = time.perf_counter()
        if timeout is not None and now - start > timeout:
            detail = on_timeout() if on_timeout is not None else ""
            raise CollectiveTimeout(
                f"{what} did not complete within {timeout:.1f} s{detail}; a rank is missing, "
                "slow, or called a different collective (set a larger timeout in "
                "init_process_group(timeout=...) if the job is just slow)"
            )
        if now < spin_until:
            continue
        time.sleep(delay)
        delay = min(delay * 2, 1e-3)


def spin_seconds(local_ranks: int) -> float:
    """How long a rank busy-polls before it sleeps: 10 ms when the ``local_ranks`` ranks
    of this machine have a core each (nobody needs the CPU it would give up), a few tens
    of microseconds when they share cores (oversubscribed: a spinning rank would steal
    the core from the rank it is waiting for)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return 1e-2 if local_ranks <= cores else 5e-5

