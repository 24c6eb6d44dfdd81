"""MPI communicator (mpi4py): zero-copy buffer calls on contiguous arrays.

- Tensors never go through pickle: only the upper-case buffer methods are used for
  arrays; the lower-case object methods carry small Python objects only.
- Every collective is issued non-blocking; waiting either blocks in MPI (no timeout)
  or polls with a deadline, so a missing peer becomes an error naming the collective.
- Messages of more than 2**31 - 1 elements are split into chunks (MPI counts are C ints).
- float16 / bfloat16 reduce in float32 (MPI has no such type); bool reductions use
  logical ops.
- CuPy (GPU) arrays: the current CUDA stream is synchronised before any MPI call sees
  them (the kernels that wrote them run asynchronously). With a CUDA-aware MPI they are
  passed to MPI as they are; otherwise they are staged through host memory. Which one
  is decided once per communicator, at its first GPU collective, by ``probe_cuda_aware``:
  when the MPI library says it supports CUDA (``MPIX_Query_cuda_support`` /
  ``MPIX_GPU_query_support``, or ``DTENSOR_CUDA_AWARE_MPI=1``) a small GPU allreduce is
  tried and its result verified; any failure means staging. ``DTENSOR_CUDA_AWARE_MPI=0``
  forces staging.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable
from typing import Any

from autograd import backend

from .base import CollectiveMismatch, Communicator, ReduceOp, Work, wait_until

__all__ = ["MPIComm", "mpi", "MAX_COUNT", "probe_cuda_aware", "library_claims_cuda"]

MAX_COUNT = 2**31 - 1  # MPI counts are C ints


def debug_enabled() -> bool:
    """``DTENSOR_DISTRIBUTED_DEBUG=DETAIL`` checks every collective across ranks first
    (like ``TORCH_DISTRIBUTED_DEBUG=DETAIL``); the launcher's ``--debug`` sets it."""
    return os.environ.get("DTENSOR_DISTRIBUTED_DEBUG", "").upper() == "DETAIL"


_MPI: list[Any] = []


def mpi() -> Any:
    """Import mpi4py's MPI module (initialising MPI) on first use."""
    if not _MPI:
        from mpi4py import MPI

        _MPI.append(MPI)
    return _MPI[0]


_USER_OPS: dict[Any, Any] = {}


def _user_op(fn: Any, dtype: Any) -> Any:
    """An MPI op running ``fn(incoming, inout)`` (numpy arrays of ``dtype``, reduce into
    ``inout`` in place); created once per (fn, dtype)."""
    key = (fn, str(dtype))
    op = _USER_OPS.get(key)
    if op is None:
        np = backend.numpy

        def reduce_fn(inmem: Any, outmem: Any, datatype: Any) -> None:
            fn(np.frombuffer(inmem, dtype=dtype), np.frombuffer(outmem, dtype=dtype))

        op = _USER_OPS[key] = mpi().Op.Create(reduce_fn, commute=True)
    return op


def _half_sum(a: Any, out: Any) -> None:
    out += a


_OPS: dict[tuple, Any] = {}


def _op(op: Any, kind: str, dtype: Any = None) -> Any:
    if not isinstance(op, ReduceOp):
        return _user_op(op, dtype)
    key = (op, kind, dtype)
    found = _OPS.get(key)
    if found is None:
        found = _OPS[key] = _mpi_op(op, kind, dtype)
    return found


def _mpi_op(op: ReduceOp, kind: str, dtype: Any) -> Any:
    MPI = mpi()
    if dtype is not None and dtype == backend.float16 and op in (ReduceOp.SUM, ReduceOp.AVG):
        return _user_op(_half_sum, dtype)
    if kind == "b":
        table = {ReduceOp.SUM: MPI.LOR, ReduceOp.MAX: MPI.LOR, ReduceOp.BOR: MPI.LOR,
                 ReduceOp.PRODUCT: MPI.LAND, ReduceOp.MIN: MPI.LAND, ReduceOp.BAND: MPI.LAND,
                 ReduceOp.BXOR: MPI.LXOR, ReduceOp.AVG: MPI.LOR}
    else:
        table = {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
                 ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND,
                 ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR}
    return table[op]


def _average(flat: Any, n: int) -> None:
    """Divide a summed buffer by the rank count in place (integer division for ints)."""
    xp = backend.xp_of(flat)
    if flat.dtype.kind in "iu":
        xp.floor_divide(flat, n, out=flat)
    elif flat.dtype.kind in "fc":
        xp.multiply(flat, 1.0 / n, out=flat)


_ndarray = backend.numpy.ndarray
_NATIVE = frozenset(backend.numpy.dtype(t) for t in (
    "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
    "uint64", "complex64", "complex128"))


class _Staged:
    """An MPI-typed view of an array: the array itself when possible, else a float32
    (half types) or host (CuPy without CUDA-aware MPI) copy that ``finish`` writes
    back. GPU arrays are synchronised with the current stream first."""

    def __init__(self, arr: Any, writeback: bool = True, keep_half: bool = False,
                 direct: bool = False) -> None:
        self.arr = arr
        self.writeback = writeback
        buf = arr
        if backend.is_device_array(arr):
            backend.synchronize()  # the kernels that wrote arr must finish before MPI reads
            if not direct:
                buf = backend.to_host(arr)
        half = (buf.dtype.kind == "f" and buf.dtype.itemsize == 2) or str(buf.dtype) == "bfloat16"
        if half and not (keep_half and buf.dtype == backend.float16 and not direct):
            buf = buf.astype(backend.float32)
            if direct:
                backend.synchronize()
        if not buf.flags.c_contiguous:
            raise ValueError(
                "collectives need contiguous arrays; call .contiguous() on the tensor first"
            )
        self.buf = buf

    def finish(self) -> None:
        if self.writeback and self.buf is not self.arr:
            if backend.xp_of(self.arr) is backend.xp_of(self.buf):
                self.arr[...] = self.buf.astype(self.arr.dtype, copy=False)
            else:
                self.arr[...] = backend.to_device(self.buf.astype(self.arr.dtype),
                                                  backend.device_of(self.arr))


def _maps_libraries() -> list[str]:
    """Shared libraries named like MPI's that this process has loaded (Linux)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "libmpi" in line and ".so" in line}
    except OSError:
        return []
    return sorted(p for p in paths if p.startswith("/"))


def library_claims_cuda() -> bool:
    """Whether the loaded MPI library says it supports CUDA device buffers (Open MPI's
    ``MPIX_Query_cuda_support``, MPICH's ``MPIX_GPU_query_support``)."""
    libs: list[Any] = []
    for path in [None, *_maps_libraries()]:
        try:
            libs.append(ctypes.CDLL(path))
        except OSError:
            continue
    for lib in libs:
        query = getattr(lib, "MPIX_Query_cuda_support", None)
        if query is not None:
            query.restype = ctypes.c_int
            return bool(query())
        gpu = getattr(lib, "MPIX_GPU_query_support", None)
        if gpu is not None:
            flag = ctypes.c_int(0)
            gpu(ctypes.c_int(0), ctypes.byref(flag))  # MPIX_GPU_SUPPORT_CUDA is 0
            return bool(flag.value)
    return False


def probe_cuda_aware(comm: Any, claims: Callable[[], bool] = library_claims_cuda) -> bool:
    """Collective over the mpi4py communicator ``comm``: True on every rank when MPI can
    take GPU buffers directly. Only a library that claims CUDA support is tried (a
    device pointer can crash an MPI that does not), with a 4-element GPU allreduce in a
    try whose result is checked; every rank must succeed."""
    MPI = mpi()
    env = os.environ.get("DTENSOR_CUDA_AWARE_MPI", "")
    if env == "0" or backend.cupy is None:
        return False
    try:
        mine = env == "1" or bool(claims())
    except Exception:
        mine = False
    if not comm.allreduce(mine, op=MPI.LAND):
        return False
    ok = False
    try:
        cupy = backend.cupy
        x = cupy.full(4, comm.Get_rank() + 1, dtype=backend.float32)
        backend.synchronize()
        comm.Allreduce(MPI.IN_PLACE, x, op=MPI.SUM)
        n = comm.Get_size()
        ok = bool((backend.to_host(x) == n * (n + 1) / 2).all())
    except Exception:
        ok = False
    return bool(comm.allreduce(ok, op=MPI.LAND))


class _MPIWork(Work):
    __slots__ = ("reqs", "what", "comm", "then", "seq", "done")

    def __init__(self, reqs: list, what: str, comm: MPIComm, then: Callable[[], Any] | None,
                 seq: int | None = None) -> None:
        self.reqs, self.what, self.comm, self.then, self.seq = reqs, what, comm, then, seq
        self.done = False

    def _finish(self) -> None:
        if not self.done:
            self.done = True
            if self.then is not None:
                self.then()

    def is_completed(self) -> bool:
        if self.done:
            return True
        MPI = mpi()
        if MPI.Request.Testall(self.reqs):
            self._finish()
            return True
        return False

    def wait(self, timeout: float | None = None) -> bool:
        if self.done:
            return True
        MPI = mpi()
        limit = timeout if timeout is not None else self.comm.timeout
        if limit is None:  # MPI's own wait: the fastest, but it cannot warn or give up
            if len(self.reqs) == 1:
                self.reqs[0].Wait()
            else:
                MPI.Request.Waitall(self.reqs)
        else:
            seq, comm = self.seq, self.comm
            what = f"{self.what} on rank {comm.rank}" if seq is None else \
                f"{self.what} (collective #{seq}) on rank {comm.rank}"
            wait_until(lambda: MPI.Request.Testall(self.reqs), limit, what,
                       None if seq is None else lambda: comm.arrivals.behind(seq), comm.spin)
        self._finish()
        return True


class MPIComm(Communicator):
    """Rank ``comm.rank`` of an mpi4py communicator."""

    name = "mpi"

    def __init__(self, comm: Any, timeout: float | None = None, max_count: int = MAX_COUNT,
                 debug: bool | None = None) -> None:
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.timeout = timeout
        self.max_count = max_count
        self.debug = debug_enabled() if debug is None else debug
        self.seq = 0
        self._cuda_aware: bool | None = None
        self._last_op: tuple = (None, None, None)  # see _native_op
        from .arrivals import ArrivalBoard
        from .base import spin_seconds

        self.arrivals = ArrivalBoard(comm)  # names the missing ranks of a stalled wait
        self.spin = spin_seconds(self.arrivals.local_size)

    def _native_op(self, op: Any, dtype: Any) -> Any:
        """The MPI op for ``op`` on ``dtype``, remembered for the next call: a bucket
        layer issues the same (op, dtype) over and over, and the general lookup (hashing
        an enum and a dtype) costs a microsecond, as much as a small allreduce's MPI call."""
        last = self._last_op
        if last[0] is op and last[1] is dtype:
            return last[2]
        mop = _op(op, dtype.kind, dtype)
        self._last_op = (op, dtype, mop)
        return mop

    def _enter(self) -> None:
        """A new collective: its number, published for the others' stall diagnostics."""
        self.seq += 1
        self.arrivals.enter(self.seq)

    @property
    def cuda_aware(self) -> bool:
        """Whether GPU arrays go to MPI directly (probed at the first GPU collective)."""
        if self._cuda_aware is None:
            self._cuda_aware = probe_cuda_aware(self.comm)
        return self._cuda_aware

    def _stage(self, arr: Any, writeback: bool = True, keep_half: bool = False) -> _Staged:
        direct = backend.is_device_array(arr) and self.cuda_aware
        return _Staged(arr, writeback, keep_half, direct)

    def _check(self, what: str, *sig: Any) -> None:
        """Debug mode: before the collective, compare (sequence number, collective,
        shapes, dtypes) across ranks; a difference is an error on every rank naming the
        ranks, instead of a hang or silently mixed data."""
        mine = (self.seq, what, *sig)
        every = self.comm.allgather(mine)
        if any(e != every[0] for e in every):
            detail = "; ".join(f"rank {r}: #{e[0]} {e[1]} {e[2:]}" for r, e in enumerate(every))
            raise CollectiveMismatch(
                f"collectives differ across ranks ({detail}): every rank must call the same "
                "collective with the same shapes and dtypes, in the same order"
            )

    # -- helpers
    def _work(self, reqs: list, what: str, then: Callable[[], Any] | None = None,
              seq: int | None = -1) -> Work:
        """``seq``: the collective's number (default: the current one), None for
        point-to-point messages."""
        return _MPIWork(reqs, what, self, then, self.seq if seq == -1 else seq)

    def _chunks(self, n: int) -> list[tuple[int, int]]:
        step = self.max_count
        return [(i, min(i + step, n)) for i in range(0, max(n, 1), step)] if n else [(0, 0)]

    def _blocking(self, work: Work) -> None:
        work.wait()

    # -- collectives
    def allreduce(self, arr: Any, op: Any = ReduceOp.SUM) -> None:
        """Blocking in-place allreduce: MPI's own ``Allreduce`` when nothing needs the
        non-blocking path (no timeout to poll against, no debug check, a native array):
        a few microseconds faster than ``Iallreduce`` + wait for small messages."""
        if (self.timeout is not None or self.debug or arr.__class__ is not _ndarray
                or not arr.flags.c_contiguous or arr.size > self.max_count
                or arr.dtype not in _NATIVE or not isinstance(op, ReduceOp)):
            self.iallreduce(arr, op).wait()
            return
        self._enter()
        self.comm.Allreduce(mpi().IN_PLACE, arr, op=self._native_op(op, arr.dtype))
        if op is ReduceOp.AVG:
            _average(arr, self.size)

    def iallreduce(self, arr: Any, op: Any = ReduceOp.SUM) -> Work:
        """Non-blocking in-place allreduce. ``op`` is a ReduceOp or a callable
        ``fn(incoming, inout)`` reducing numpy arrays of ``arr``'s dtype in place.
        float16 SUM/AVG travel as 16-bit values (half the bytes of float32)."""
        self._enter()
        if self.debug:
            self._check("allreduce", arr.shape, str(arr.dtype), getattr(op, "name", None)
                    or getattr(op, "__qualname__", "custom"))
        MPI = mpi()
        if (arr.__class__ is _ndarray and arr.flags.c_contiguous and arr.size <= self.max_count
                and arr.dtype in _NATIVE):
            # the common case (a DDP bucket): no staging, one request
            req = self.comm.Iallreduce(MPI.IN_PLACE, arr, op=self._native_op(op, arr.dtype))
            if op is ReduceOp.AVG:
                return _MPIWork([req], "allreduce", self, lambda: _average(arr, self.size), self.seq)
            return _MPIWork([req], "allreduce", self, None, self.seq)
        custom = not isinstance(op, ReduceOp)
        st = self._stage(arr, keep_half=custom or op in (ReduceOp.SUM, ReduceOp.AVG))
        flat = st.buf.reshape(-1)
        mop = _op(op, flat.dtype.kind, flat.dtype)
        reqs = [self.comm.Iallreduce(MPI.IN_PLACE, flat[a:b], op=mop) for a, b in self._chunks(flat.size)]

        def then() -> None:
            if op is ReduceOp.AVG:
                _average(flat, self.size)
            st.finish()

        return self._work(reqs, "allreduce", then)

    def broadcast(self, arr: Any, root: int = 0) -> None:
        self._enter()
        if self.debug:
            self._check("broadcast", arr.shape, str(arr.dtype), root)
        st = self._stage(arr, writeback=self.rank != root)
        flat = st.buf.reshape(-1)
        reqs = [self.comm.Ibcast(flat[a:b], root=root) for a, b in self._chunks(flat.size)]
        self._blocking(self._work(reqs, "broadcast", st.finish))

    def allgather(self, send: Any, recv: Any) -> None:
        self._enter()
        if self.debug:
            self._check("allgather", send.shape, str(send.dtype))
        s = self._stage(send, writeback=False)
        r = self._stage(recv)
        n = s.buf.size
        if n <= self.max_count:
            req = self.comm.Iallgather(s.buf.reshape(-1), r.buf.reshape(-1))
            self._blocking(self._work([req], "allgather", r.finish))
            return
        out = r.buf.reshape(self.size, n)
        for a, b in self._chunks(n):
            tmp = backend.numpy.empty((self.size, b - a), dtype=s.buf.dtype)
            self._blocking(self._work([self.comm.Iallgather(s.buf.reshape(-1)[a:b], tmp)], "allgather"))
            out[:, a:b] = tmp
        r.finish()

    def reduce_scatter(self, send: Any, recv: Any, op: ReduceOp = ReduceOp.SUM) -> None:
        self._enter()
        if self.debug:
            self._check("reduce_scatter", send.shape, str(send.dtype), op.name)
        s = self._stage(send, writeback=False)
        r = self._stage(recv)
        mop = _op(op, s.buf.dtype.kind)
        if s.buf.size // self.size > self.max_count:
            # Large: allreduce a copy in chunks, then keep this rank's slice.
            tmp = s.buf.reshape(-1).copy()
            for a, b in self._chunks(tmp.size):
                self._blocking(self._work([self.comm.Iallreduce(mpi().IN_PLACE, tmp[a:b], op=mop)],
                                          "reduce_scatter"))
            n = r.buf.size
            r.buf.reshape(-1)[...] = tmp[self.rank * n:(self.rank + 1) * n]
        else:
            req = self.comm.Ireduce_scatter_block(s.buf.reshape(-1), r.buf.reshape(-1), op=mop)
            self._blocking(self._work([req], "reduce_scatter"))
        if op is ReduceOp.AVG:
            _average(r.buf.reshape(-1), self.size)
        r.finish()

    def alltoall(self, send: Any, recv: Any) -> None:
        self._enter()
        if self.debug:
            self._check("alltoall", send.shape, str(send.dtype))
        s = self._stage(send, writeback=False)
        r = self._stage(recv)
        if s.buf.size // self.size > self.max_count:
            raise ValueError(
                f"alltoall: {s.buf.size // self.size} elements per rank exceed the MPI count "
                f"limit {self.max_count}; split the tensor"
            )
        req = self.comm.Ialltoall(s.buf.reshape(-1), r.buf.reshape(-1))
        self._blocking(self._work([req], "alltoall", r.finish))

    def reduce(self, arr: Any, root: int = 0, op: ReduceOp = ReduceOp.SUM) -> None:
        self._enter()
        if self.debug:
            self._check("reduce", arr.shape, str(arr.dtype), op.name, root)
        MPI = mpi()
        st = self._stage(arr, writeback=self.rank == root)
        flat = st.buf.reshape(-1)
        mop = _op(op, flat.dtype.kind)
        reqs = []
        for a, b in self._chunks(flat.size):
            if self.rank == root:
                reqs.append(self.comm.Ireduce(MPI.IN_PLACE, flat[a:b], op=mop, root=root))
            else:
                reqs.append(self.comm.Ireduce(flat[a:b], None, op=mop, root=root))

        def then() -> None:
            if self.rank == root and op is ReduceOp.AVG:
                _average(flat, self.size)
            st.finish()

        self._blocking(self._work(reqs, "reduce", then))

    def gather(self, send: Any, recv: Any | None, root: int = 0) -> None:
        self._enter()
        if self.debug:
            self._check("gather", send.shape, str(send.dtype), root)
        s = self._stage(send, writeback=False)
        r = self._stage(recv) if self.rank == root else None
        req = self.comm.Igather(s.buf.reshape(-1), r.buf.reshape(-1) if r else None, root=root)
        self._blocking(self._work([req], "gather", r.finish if r else None))

    def scatter(self, send: Any | None, recv: Any, root: int = 0) -> None:
        self._enter()
        if self.debug:
            self._check("scatter", recv.shape, str(recv.dtype), root)
        s = self._stage(send, writeback=False) if self.rank == root else None
        r = self._stage(recv)
        req = self.comm.Iscatter(s.buf.reshape(-1) if s else None, r.buf.reshape(-1), root=root)
        self._blocking(self._work([req], "scatter", r.finish))

    def isend(self, arr: Any, dst: int, tag: int = 0) -> Work:
        s = self._stage(arr, writeback=False)
        return self._work([self.comm.Isend(s.buf.reshape(-1), dest=dst, tag=tag)], "send",
                          seq=None)

    def irecv(self, arr: Any, src: int, tag: int = 0) -> Work:
        r = self._stage(arr)
        return self._work([self.comm.Irecv(r.buf.reshape(-1), source=src, tag=tag)], "recv",
                          r.finish, seq=None)

    def send(self, arr: Any, dst: int, tag: int = 0) -> None:
        self.isend(arr, dst, tag).wait()

    def recv(self, arr: Any, src: int, tag: int = 0) -> None:
        self.irecv(arr, src, tag).wait()

    def barrier(self) -> None:
        self._enter()
        if self.debug:
            self._check("barrier")
        self._blocking(self._work([self.comm.Ibarrier()], "barrier"))

    def bcast_object(self, obj: Any, root: int = 0) -> Any:
        return self.comm.bcast(obj, root=root)

    def allgather_object(self, obj: Any) -> list:
        return self.comm.allgather(obj)

    def split(self, ranks: list[int]) -> Communicator | None:
        MPI = mpi()
        ranks = [int(r) for r in ranks]
        color = 0 if self.rank in ranks else MPI.UNDEFINED
        key = ranks.index(self.rank) if self.rank in ranks else 0
        sub = self.comm.Split(color, key)
        if sub == MPI.COMM_NULL:
            return None
        return MPIComm(sub, self.timeout, self.max_count, self.debug)

    def shared_window(self, nbytes: int, slots: int = 1) -> Any:
        """A shared-memory window of ``nbytes`` per rank (and ``slots`` readiness flags)
        when every rank of this group is on this machine (else None): the data-parallel
        buckets then reduce through it (``parallel/comm/shm.py``)."""
        from .shm import SharedWindow, shm_enabled

        if self.size == 1 or not shm_enabled():
            return None
        MPI = mpi()
        node = self.comm.Split_type(MPI.COMM_TYPE_SHARED)
        if node.Get_size() != self.size:
            node.Free()
            return None
        return SharedWindow(node, nbytes, slots, self.timeout)

    def abort(self, code: int = 1) -> None:
        mpi().COMM_WORLD.Abort(code)

