"""Allreduce through an MPI shared-memory window, for ranks on one machine.

The data-parallel buckets of every rank live in one shared window, so the ranks can
read each other's gradients directly: each rank sums its slice of every bucket over all
ranks (in rank order, so the result is identical everywhere) and scales it, then copies
the other ranks' reduced slices into its own buckets. Every byte is touched a minimal
number of times and no intermediate copies go through MPI's buffers: on 2 ranks this is
about twice as fast as ``MPI_Allreduce`` on the same bytes (MPICH, shared memory).

Three barriers per reduction: data ready, reduced slices ready, and every rank done
reading the others (before anyone writes new gradients into its own segment).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

__all__ = ["SharedWindow", "shm_enabled"]

ALIGN = 64  # bytes: each bucket starts on a cache line


def shm_enabled() -> bool:
    """``DTENSOR_SHM_ALLREDUCE=0`` turns the shared-memory path off."""
    return os.environ.get("DTENSOR_SHM_ALLREDUCE", "1") != "0"


def shm_forced() -> bool:
    """``DTENSOR_SHM_ALLREDUCE=always`` uses it even for small models (tests)."""
    return os.environ.get("DTENSOR_SHM_ALLREDUCE", "") == "always"


class SharedWindow:
    """One shared segment per rank of ``node`` (an MPI communicator of one machine)."""

    def __init__(self, node: Any, nbytes: int) -> None:
        from mpi4py import MPI

        self.node = node
        self.rank = node.Get_rank()
        self.size = node.Get_size()
        self.nbytes = max(int(nbytes), ALIGN)
        self.win = MPI.Win.Allocate_shared(self.nbytes, 1, comm=node)
        self.segments = []
        for k in range(self.size):
            buf, _ = self.win.Shared_query(k)
            self.segments.append(np.ndarray(buffer=buf, dtype=np.uint8, shape=(self.nbytes,)))

    def view(self, rank: int, dtype: Any, offset: int, numel: int) -> Any:
        """Rank ``rank``'s ``numel`` elements of ``dtype`` at byte ``offset``."""
        seg = self.segments[rank]
        n = np.dtype(dtype).itemsize * numel
        return seg[offset:offset + n].view(dtype)

    def _slice(self, numel: int, k: int) -> tuple[int, int]:
        per = -(-numel // self.size)
        return min(k * per, numel), min((k + 1) * per, numel)

    def reduce_scale(self, parts: list[tuple[Any, int, int]], scale: float) -> None:
        """In place on every rank: each part (dtype, byte offset, numel) becomes the sum
        over ranks times ``scale``."""
        node, me = self.node, self.rank
        node.Barrier()
        for dtype, offset, numel in parts:
            a, b = self._slice(numel, me)
            if a == b:
                continue
            views = [self.view(k, dtype, offset, numel)[a:b] for k in range(self.size)]
            out = views[me]
            if me == 0:
                for v in views[1:]:
                    np.add(out, v, out=out)
            else:  # sum in rank order whoever computes it: identical results everywhere
                tmp = views[0] + views[1]
                for v in views[2:]:
                    np.add(tmp, v, out=tmp)
                out[...] = tmp
            if scale != 1.0:
                np.multiply(out, scale, out=out, casting="unsafe")
        node.Barrier()
        for dtype, offset, numel in parts:
            mine = self.view(me, dtype, offset, numel)
            for k in range(self.size):
                if k == me:
                    continue
                a, b = self._slice(numel, k)
                if a != b:
                    mine[a:b] = self.view(k, dtype, offset, numel)[a:b]
        node.Barrier()

    def free(self) -> None:
        self.segments = []
        self.win.Free()
