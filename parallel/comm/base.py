"""The communicator interface: collectives on raw arrays, named after MPI's verbs.

A communicator moves numpy/cupy arrays between the ranks of a group. Array arguments
are contiguous; results are written in place (``allreduce``) or into the given output
array. Non-blocking variants return a ``Work`` handle. Implementations: ``SingleComm``
(world of one), ``MPIComm`` (mpi4py buffer calls), ``ThreadComm`` (virtual ranks in one
process).
"""

from __future__ import annotations

import enum
import logging
import os
import time
from collections.abc import Callable
from typing import Any

__all__ = ["ReduceOp", "Work", "CompletedWork", "Communicator", "CollectiveTimeout",
           "PeerFailure", "CollectiveMismatch"]

_log = logging.getLogger("parallel")


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

    __slots__ = ()  # subclasses may use slots (one is made per bucket per step)

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
               missing: Callable[[], list[int] | None] | None = None, spin: float = 5e-5) -> None:
    """Poll ``done`` until it is true: spin for ``spin`` seconds (latency), then back off
    to short sleeps (so oversubscribed ranks yield the CPU). Python signal handlers run
    either way: the loop is Python code. Ranks that each have a core of their own spin
    longer (see :func:`spin_seconds`): a sleep overshoots by up to a millisecond, and a
    rank waiting for a straggler every step pays that on every step.

    ``what`` names the wait ("allreduce (collective #5) on rank 0"); ``missing`` says
    which ranks have not arrived, when that is known. Past :func:`stall_seconds` one
    warning says how long this rank has waited and for whom; past ``timeout`` the wait
    becomes a :class:`CollectiveTimeout` saying the same."""
    if done():
        return
    start = time.perf_counter()
    spin_until = start + spin
    delay = 1e-5
    stall = stall_seconds()
    while not done():
        now = time.perf_counter()
        if timeout is not None and now - start > timeout:
            raise CollectiveTimeout(
                f"{what} did not complete within {timeout:.1f} s"
                f"{_missing(missing() if missing is not None else None)}; a rank "
                "is missing, slow, or called a different collective (set a larger timeout "
                "in init_process_group(timeout=...) if the job is just slow)"
            )
        if stall is not None and now - start > stall:
            warn_stall(what, now - start, missing() if missing is not None else None, timeout)
            stall = None  # once per wait
        if now < spin_until:
            continue
        time.sleep(delay)
        delay = min(delay * 2, 1e-3)


def _missing(ranks: list[int] | None) -> str:
    return f"; missing ranks: {ranks}" if ranks else ""


def warn_stall(what: str, waited: float, ranks: list[int] | None, timeout: float | None) -> None:
    """The stall warning: which wait, for how long, for whom, and what happens next."""
    limit = f"it gives up after {timeout:.1f} s" if timeout is not None else "no timeout is set"
    _log.warning("%s has waited %.1f s%s; still waiting (%s)", what, waited, _missing(ranks), limit)


def stall_seconds() -> float | None:
    """After how long a waiting collective logs a warning naming the ranks it waits for
    (Horovod's stall check): ``DTENSOR_STALL_WARNING_SECONDS``, default 60; 0 turns it
    off. Waits that poll warn: every wait under a timeout, and the shared-memory
    reduction; without a timeout, MPI's own blocking wait is used and cannot warn."""
    raw = os.environ.get("DTENSOR_STALL_WARNING_SECONDS", "60")
    try:
        secs = float(raw)
    except ValueError:
        raise ValueError(
            f"DTENSOR_STALL_WARNING_SECONDS={raw!r}: expected a number of seconds (0 turns "
            "the stall warning off)"
        ) from None
    return secs if secs > 0 else None


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

