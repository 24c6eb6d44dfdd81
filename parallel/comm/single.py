"""The world of one process: every collective is a local copy (no MPI needed)."""

from __future__ import annotations

from typing import Any

from .base import Communicator, CompletedWork, ReduceOp, Work

__all__ = ["SingleComm"]


def _check_root(root: int, what: str) -> None:
    if root != 0:
        raise ValueError(f"{what}: root {root} is not a rank of a world of size 1")


class SingleComm(Communicator):
    """Rank 0 of 1. Collectives keep the same contracts as the multi-rank backends."""

    name = "single"

    def __init__(self) -> None:
        self.rank, self.size = 0, 1

    def iallreduce(self, arr: Any, op: ReduceOp = ReduceOp.SUM) -> Work:
        return CompletedWork()

    def allreduce(self, arr: Any, op: ReduceOp = ReduceOp.SUM) -> None:
        return None

    def broadcast(self, arr: Any, root: int = 0) -> None:
        _check_root(root, "broadcast")

    def allgather(self, send: Any, recv: Any) -> None:
        recv.reshape(-1)[...] = send.reshape(-1)

    def reduce_scatter(self, send: Any, recv: Any, op: ReduceOp = ReduceOp.SUM) -> None:
        recv.reshape(-1)[...] = send.reshape(-1)

    def alltoall(self, send: Any, recv: Any) -> None:
        recv.reshape(-1)[...] = send.reshape(-1)

    def reduce(self, arr: Any, root: int = 0, op: ReduceOp = ReduceOp.SUM) -> None:
        _check_root(root, "reduce")

    def gather(self, send: Any, recv: Any | None, root: int = 0) -> None:
        _check_root(root, "gather")
        recv.reshape(-1)[...] = send.reshape(-1)

    def scatter(self, send: Any | None, recv: Any, root: int = 0) -> None:
        _check_root(root, "scatter")
        recv.reshape(-1)[...] = send.reshape(-1)

    def send(self, arr: Any, dst: int, tag: int = 0) -> None:
        raise ValueError(f"send: rank {dst} does not exist in a world of size 1")

    def recv(self, arr: Any, src: int, tag: int = 0) -> None:
        raise ValueError(f"recv: rank {src} does not exist in a world of size 1")

    def barrier(self) -> None:
        return None

    def bcast_object(self, obj: Any, root: int = 0) -> Any:
        _check_root(root, "broadcast_object_list")
        return obj

    def allgather_object(self, obj: Any) -> list:
        return [obj]

    def split(self, ranks: list[int]) -> Communicator | None:
        if list(ranks) not in ([0], []):
            raise ValueError(f"new_group: ranks {ranks} are not ranks of a world of size 1")
        return SingleComm() if ranks else None

    def abort(self, code: int = 1) -> None:
        raise SystemExit(code)
