"""Run N virtual ranks as threads of this process (the ``"threads"`` backend).

``spawn(fn, nprocs)`` calls ``fn(rank, *args)`` in ``nprocs`` threads; inside,
``parallel.init_process_group()`` joins a world of ``nprocs`` ranks whose collectives
have the same semantics as MPI's. Each thread gets its own default random generators
and grad mode, like a separate process. The first failure (the lowest failing rank)
is re-raised in the caller, naming the rank; ranks waiting on a failed peer stop with
``PeerFailure`` instead of hanging.

Example:
    >>> import autograd, parallel
    >>> def work(rank):
    ...     parallel.init_process_group("threads")
    ...     t = autograd.tensor([float(rank)])
    ...     parallel.all_reduce(t)
    ...     return t.item()
    >>> parallel.spawn(work, nprocs=3)
    [3.0, 3.0, 3.0]
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from autograd import random as _random

from . import distributed
from .comm.base import PeerFailure
from .comm.threads import ThreadComm, ThreadGroup

__all__ = ["spawn", "SpawnError"]


class SpawnError(RuntimeError):
    """A virtual rank raised; ``rank`` and the original exception are attached."""

    def __init__(self, rank: int, error: BaseException) -> None:
        super().__init__(f"rank {rank} failed: {type(error).__name__}: {error}")
        self.rank = rank
        self.error = error


def spawn(fn: Callable[..., Any], args: tuple = (), nprocs: int = 1, join: bool = True,
          timeout: float | None = None, seed: int | None = None) -> list[Any]:
    """Run ``fn(rank, *args)`` on ``nprocs`` virtual ranks; return their results in rank
    order. ``timeout`` bounds every collective wait (seconds)."""
    if nprocs < 1:
        raise ValueError(f"spawn: nprocs must be >= 1, got {nprocs}")
    group = ThreadGroup(nprocs, timeout)
    results: list[Any] = [None] * nprocs
    errors: dict[int, BaseException] = {}

    def run(rank: int) -> None:
        distributed._local.thread_comm = ThreadComm(group, rank)
        _random.install_thread_generators(seed if seed is None else seed + rank)
        try:
            results[rank] = fn(rank, *args)
        except BaseException as e:
            errors[rank] = e
            group.mark_failed(rank, f"{type(e).__name__}: {e}")
        finally:
            group.mark_finished(rank)
            distributed._local.world = None
            distributed._local.thread_comm = None

    threads = [threading.Thread(target=run, args=(r,), name=f"rank{r}", daemon=True)
               for r in range(nprocs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        # Report the root cause: a rank that failed on its own, not a peer that only
        # noticed the failure.
        primary = {r: e for r, e in errors.items() if not isinstance(e, PeerFailure)}
        rank = min(primary) if primary else min(errors)
        raise SpawnError(rank, errors[rank]) from errors[rank]
    return results
