"""Which ranks have reached a collective: one counter per rank in shared memory.

Each rank stores the number of the collective it has entered (its sequence number in
the group) into its own slot of an MPI shared-memory window: a plain store, no MPI
call, so it costs nothing per collective. A rank that has waited too long reads every
slot and names the ranks still behind: a straggler (the stall warning) or a rank that
never called the collective (the timeout error). The board needs every rank of the
group on one machine; across machines the messages cannot name the ranks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["ArrivalBoard"]


class ArrivalBoard:
    """Collective over ``comm`` (an mpi4py communicator): every rank constructs it."""

    def __init__(self, comm: Any) -> None:
        from mpi4py import MPI

        self.win: Any = None
        self.slots: list[Any] = []
        node = comm.Split_type(MPI.COMM_TYPE_SHARED)
        self.local_size = node.Get_size()
        if comm.Get_size() == 1 or node.Get_size() != comm.Get_size():
            node.Free()
            return
        # Split_type keeps the order of ``comm``: node rank k is rank k of the group
        self.win = MPI.Win.Allocate_shared(8, 8, comm=node)
        for k in range(node.Get_size()):
            buf, _ = self.win.Shared_query(k)
            self.slots.append(np.ndarray(buffer=buf, dtype=np.int64, shape=(1,)))
        self.mine = self.slots[node.Get_rank()]
        self.mine[0] = 0
        node.Barrier()  # every slot is zero before anyone reads one
        node.Free()

    def enter(self, seq: int) -> None:
        """This rank has entered collective number ``seq``."""
        if self.win is not None:
            self.mine[0] = seq

    def behind(self, seq: int) -> list[int] | None:
        """The ranks that have not entered collective ``seq`` yet (None: unknown)."""
        if self.win is None:
            return None
        return [k for k, s in enumerate(self.slots) if int(s[0]) < seq]
