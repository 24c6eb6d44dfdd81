"""Allreduce through an MPI shared-memory window, for ranks on one machine.

The data-parallel buckets of every rank live in one shared window, so the ranks can
read each other's gradients directly. The reduction works on parts (the data-parallel
layer makes each parameter's gradient one part). Rank ``k`` owns slice ``k`` of every
part: it sums that slice over all ranks (in rank order), scales it and writes the result
into every rank's copy chunk by chunk, while it is still in cache. Every byte is touched
a minimal number of times and nothing goes through MPI's buffers: on 2 ranks this is
1.5-4 times as fast as ``MPI_Allreduce`` on the same bytes from 1 MB up (MPICH, shared
memory; slower below, where DDP keeps to MPI).

Reductions overlap backward. Each rank has a row of flags at the head of its segment;
when a part is in place it stamps the part's flag with the number of the reduction
(``ready``). Any rank that finds a part stamped by every rank reduces its slice at once
(``try_reduce``), even in the middle of its own backward. A memory fence (``MPI_Win_sync``) orders the gradients before the stamp and
the stamps before the reads. One barrier ends each reduction (``finish``): after it
nobody touches another rank's segment until the next reduction's stamps, so each rank
may write new gradients into its own segment at once. Waiting honours the process
group's timeout: a missing rank becomes an error naming the gradient and the ranks.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

__all__ = ["SharedWindow", "shm_enabled"]

ALIGN = 64  # bytes: each bucket starts on a cache line
CHUNK = 32 * 1024  # elements reduced at a time: a few of them fit in L2


def shm_enabled() -> bool:
    """``DTENSOR_SHM_ALLREDUCE=0`` turns the shared-memory path off."""
    return os.environ.get("DTENSOR_SHM_ALLREDUCE", "1") != "0"


def shm_forced() -> bool:
    """``DTENSOR_SHM_ALLREDUCE=always`` uses it even for small models (tests)."""
    return os.environ.get("DTENSOR_SHM_ALLREDUCE", "") == "always"


class SharedWindow:
    """One shared segment per rank of ``node`` (an MPI communicator of one machine):
    ``slots`` flags, then ``nbytes`` of data (offsets in ``view`` count from there)."""

    def __init__(self, node: Any, nbytes: int, slots: int = 1, timeout: float | None = None) -> None:
        from mpi4py import MPI

        self.node = node
        self.rank = node.Get_rank()
        self.size = node.Get_size()
        self.timeout = timeout
        from .base import spin_seconds

        self.spin = spin_seconds(self.size)  # how long a wait busy-polls before sleeping
        self.head = -(-8 * max(slots, 1) // ALIGN) * ALIGN
        self.nbytes = self.head + max(int(nbytes), ALIGN)
        self.win = MPI.Win.Allocate_shared(self.nbytes, 1, comm=node)
        self.win.Lock_all(MPI.MODE_NOCHECK)  # a passive epoch, so Sync() is a memory fence
        self.segments = []
        self.flags = []
        for k in range(self.size):
            buf, _ = self.win.Shared_query(k)
            seg = np.ndarray(buffer=buf, dtype=np.uint8, shape=(self.nbytes,))
            self.segments.append(seg[self.head:])
            self.flags.append(seg[:self.head].view(np.int64))
        self.flags[self.rank][...] = 0
        self.generation = 0  # reductions begun on this rank (the same count on every rank)
        self._scratch: Any = None  # a chunk's running sum on ranks >= 2
        self.node.Barrier()  # every rank's flags are zero before anyone stamps one

    def view(self, rank: int, dtype: Any, offset: int, numel: int) -> Any:
        """Rank ``rank``'s ``numel`` elements of ``dtype`` at byte ``offset``."""
        seg = self.segments[rank]
        n = np.dtype(dtype).itemsize * numel
        return seg[offset:offset + n].view(dtype)

    def _slice(self, numel: int, k: int) -> tuple[int, int]:
        per = -(-numel // self.size)
        return min(k * per, numel), min((k + 1) * per, numel)

    # ------------------------------------------------------------------ one reduction
    def begin(self) -> None:
        """A new reduction: stamps from now on carry its number."""
        self.generation += 1

    def ready(self, slot: int) -> None:
        """This rank's data for part ``slot`` is in place."""
        self.win.Sync()  # the data before the stamp
        self.flags[self.rank][slot] = self.generation

    def _everyone(self, slot: int) -> bool:
        gen = self.generation
        return all(int(f[slot]) >= gen for f in self.flags)

    def try_reduce(self, slot: int, part: tuple[Any, int, int], scale: float) -> bool:
        """Reduce this rank's slice of ``part`` if every rank has stamped ``slot``."""
        if not self._everyone(slot):
            return False
        self.win.Sync()  # the stamps before the data
        self._reduce_slice(part, scale)
        return True

    def wait_reduce(self, slot: int, part: tuple[Any, int, int], scale: float,
                    name: str | None = None) -> None:
        """Wait (within the timeout) until every rank has stamped ``slot``, then reduce;
        ``name`` says what the part is in a timeout's message."""
        from .base import wait_until

        def missing() -> list[int]:  # the ranks whose part is not in place yet
            return [k for k, f in enumerate(self.flags) if int(f[slot]) < self.generation]

        wait_until(lambda: self._everyone(slot), self.timeout,
                   f"the shared-memory reduction of {name or f'part {slot}'} on rank {self.rank}",
                   missing, self.spin)
        self.win.Sync()
        self._reduce_slice(part, scale)

    def finish(self) -> None:
        """Every rank's slices are reduced and pushed everywhere."""
        from .base import wait_until

        self.win.Sync()
        req = self.node.Ibarrier()
        wait_until(req.Test, self.timeout, f"the end of shared-memory reduction "
                   f"{self.generation} on rank {self.rank}", spin=self.spin)

    def reduce_scale(self, parts: list[tuple[Any, int, int]], scale: float) -> None:
        """All of one reduction at once: each part (dtype, byte offset, numel) becomes
        the sum over ranks times ``scale``, in place on every rank."""
        self.begin()
        for slot in range(len(parts)):
            self.ready(slot)
        for slot, part in enumerate(parts):
            self.wait_reduce(slot, part, scale)
        self.finish()

    def _reduce_slice(self, part: tuple[Any, int, int], scale: float) -> None:
        dtype, offset, numel = part
        a, b = self._slice(numel, self.rank)
        views = [self.view(k, dtype, offset, numel) for k in range(self.size)]
        for c in range(a, b, CHUNK):
            self._reduce_chunk([v[c:min(c + CHUNK, b)] for v in views], scale)

    def _reduce_chunk(self, chunks: list[Any], scale: float) -> None:
        """Sum ``chunks`` (one per rank) in rank order, scale, write the result into all."""
        if self.rank <= 1:  # the running sum can live in this rank's own chunk
            acc = chunks[self.rank]
        else:
            if self._scratch is None or self._scratch.nbytes < chunks[0].nbytes:
                self._scratch = np.empty(CHUNK * chunks[0].itemsize, dtype=np.uint8)
            acc = self._scratch[:chunks[0].nbytes].view(chunks[0].dtype)
        np.add(chunks[0], chunks[1], out=acc)
        for c in chunks[2:]:
            np.add(acc, c, out=acc)
        if scale != 1.0:
            np.multiply(acc, scale, out=acc, casting="unsafe")
        for c in chunks:
            if c is not acc:
                c[...] = acc

    def free(self) -> None:
        self.segments = []
        self.flags = []
        self.win.Unlock_all()
        self.win.Free()
