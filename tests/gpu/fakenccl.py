"""A test-only stand-in for ``cupy.cuda.nccl`` over virtual ranks (threads): it checks
the NCCL backend's bootstrap and routing, not NCCL itself.

Communicators made with the same unique id form a clique; each collective exchanges
the ranks' buffers (read and written through the raw pointers NCCL takes, which with
``fakecupy`` point at host memory) at a barrier and reduces them in rank order. What
happened is recorded for tests: ``ids_made`` (one per ``get_unique_id`` call) and
``joined`` ((unique id, rank, ndev) per communicator).
"""

from __future__ import annotations

import ctypes
import os
import threading
from typing import Any

import numpy

NCCL_INT8, NCCL_UINT8, NCCL_INT32, NCCL_UINT32 = 0, 1, 2, 3
NCCL_INT64, NCCL_UINT64, NCCL_FLOAT16, NCCL_FLOAT32, NCCL_FLOAT64 = 4, 5, 6, 7, 8
NCCL_SUM, NCCL_PROD, NCCL_MAX, NCCL_MIN, NCCL_AVG = 0, 1, 2, 3, 4

_DTYPES = {NCCL_INT8: "int8", NCCL_UINT8: "uint8", NCCL_INT32: "int32", NCCL_UINT32: "uint32",
           NCCL_INT64: "int64", NCCL_UINT64: "uint64", NCCL_FLOAT16: "float16",
           NCCL_FLOAT32: "float32", NCCL_FLOAT64: "float64"}
_REDUCE = {NCCL_SUM: numpy.add, NCCL_PROD: numpy.multiply, NCCL_MAX: numpy.maximum,
           NCCL_MIN: numpy.minimum}

ids_made: list[tuple] = []
joined: list[tuple] = []
_cliques: dict[tuple, _Clique] = {}
_lock = threading.Lock()


def reset() -> None:
    ids_made.clear()
    joined.clear()
    _cliques.clear()


class NcclError(RuntimeError):
    pass


class _Clique:
    def __init__(self, ndev: int) -> None:
        self.ndev = ndev
        self.barrier = threading.Barrier(ndev, timeout=30)
        self.slots: list[Any] = [None] * ndev
        self.cond = threading.Condition()
        self.mail: dict[tuple, list] = {}

    def exchange(self, rank: int, data: Any) -> list:
        self.slots[rank] = data
        self.barrier.wait()
        out = list(self.slots)
        self.barrier.wait()
        return out


def get_unique_id() -> tuple:
    uid = tuple(int(b) - 128 for b in os.urandom(128))
    ids_made.append(uid)
    return uid


def groupStart() -> None:
    return None


def groupEnd() -> None:
    return None


def _view(ptr: int, count: int, datatype: int) -> numpy.ndarray:
    dt = numpy.dtype(_DTYPES[datatype])
    raw = (ctypes.c_char * (count * dt.itemsize)).from_address(ptr)
    return numpy.frombuffer(raw, dtype=dt, count=count)


class NcclCommunicator:
    def __init__(self, ndev: int, commId: tuple, rank: int) -> None:
        if not (isinstance(commId, tuple) and len(commId) == 128):
            raise NcclError("ncclInvalidArgument: commId must be the 128-byte unique id")
        if not 0 <= rank < ndev:
            raise NcclError(f"ncclInvalidArgument: rank {rank} not in [0, {ndev})")
        with _lock:
            clique = _cliques.setdefault(commId, _Clique(ndev))
            joined.append((commId, rank, ndev))
        if clique.ndev != ndev:
            raise NcclError("ncclInvalidUsage: ranks disagree on the communicator size")
        self.clique, self.rank, self.ndev = clique, rank, ndev

    def rank_id(self) -> int:
        return self.rank

    def size(self) -> int:
        return self.ndev

    def allReduce(self, sendbuf: int, recvbuf: int, count: int, datatype: int, op: int,
                  stream: int) -> None:
        parts = self.clique.exchange(self.rank, _view(sendbuf, count, datatype).copy())
        out = parts[0].copy()
        for p in parts[1:]:
            out = _REDUCE.get(op, numpy.add)(out, p)
        if op == NCCL_AVG:
            out = out / self.ndev
        _view(recvbuf, count, datatype)[...] = out

    def bcast(self, buff: int, count: int, datatype: int, root: int, stream: int) -> None:
        parts = self.clique.exchange(self.rank, _view(buff, count, datatype).copy())
        _view(buff, count, datatype)[...] = parts[root]

    def allGather(self, sendbuf: int, recvbuf: int, count: int, datatype: int,
                  stream: int) -> None:
        parts = self.clique.exchange(self.rank, _view(sendbuf, count, datatype).copy())
        _view(recvbuf, count * self.ndev, datatype)[...] = numpy.concatenate(parts)

    def reduceScatter(self, sendbuf: int, recvbuf: int, recvcount: int, datatype: int,
                      op: int, stream: int) -> None:
        parts = self.clique.exchange(self.rank, _view(sendbuf, recvcount * self.ndev, datatype).copy())
        total = parts[0].copy()
        for p in parts[1:]:
            total = _REDUCE[op](total, p)
        _view(recvbuf, recvcount, datatype)[...] = total[self.rank * recvcount:(self.rank + 1) * recvcount]

    def reduce(self, sendbuf: int, recvbuf: int, count: int, datatype: int, op: int, root: int,
               stream: int) -> None:
        parts = self.clique.exchange(self.rank, _view(sendbuf, count, datatype).copy())
        if self.rank == root:
            total = parts[0].copy()
            for p in parts[1:]:
                total = _REDUCE[op](total, p)
            _view(recvbuf, count, datatype)[...] = total

    def send(self, sendbuf: int, count: int, datatype: int, peer: int, stream: int) -> None:
        with self.clique.cond:
            self.clique.mail.setdefault((self.rank, peer), []).append(
                _view(sendbuf, count, datatype).copy())
            self.clique.cond.notify_all()

    def recv(self, recvbuf: int, count: int, datatype: int, peer: int, stream: int) -> None:
        with self.clique.cond:
            box = self.clique.mail.setdefault((peer, self.rank), [])
            if not self.clique.cond.wait_for(lambda: bool(box), timeout=30):
                raise NcclError(f"fakenccl: rank {self.rank} waited for a send from {peer}")
            _view(recvbuf, count, datatype)[...] = box.pop(0)
