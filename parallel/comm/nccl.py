"""NCCL communicator (``init_process_group("nccl")``): GPU collectives through CuPy's
``cupy.cuda.nccl``, bootstrapped over MPI.

Bootstrap: rank 0 asks NCCL for a unique id, MPI broadcasts it (a small object), and
every rank builds its ``NcclCommunicator(world_size, id, rank)`` on its GPU (the local
rank modulo the GPUs it sees). MPI stays the host communicator: host (NumPy) arrays,
Python objects and subgroup splits go through it, so code that mixes a host flag into
a GPU job (``GradScaler``'s inf agreement, DDP's unused-parameter map) works unchanged.

Streams: each collective on device arrays is queued on the communicator's own CUDA
stream after an event recorded on the caller's current stream (so it sees the
kernels that produced the buffer), and ``Work.wait`` makes the caller's current stream
wait on the collective's completion event: DDP's bucket all-reduces overlap the rest
of backward on the GPU, and the host never blocks.
"""

from __future__ import annotations

from typing import Any

from autograd import backend

from .base import Communicator, ReduceOp, Work

__all__ = ["NCCLComm", "nccl_module", "bootstrap"]


def nccl_module() -> Any:
    """CuPy's NCCL bindings, or a RuntimeError saying what is missing."""
    cupy = backend.cupy
    if cupy is None:
        raise RuntimeError(
            "the 'nccl' backend needs CuPy with NCCL on NVIDIA GPUs, and CuPy is not installed "
            "(pip install 'dtensor[cuda12]'); use backend='mpi' (or None) for CPU training"
        )
    if backend.device_count() == 0:
        raise RuntimeError("the 'nccl' backend needs an NVIDIA GPU, and CuPy sees none; use "
                           "backend='mpi' (or None) for CPU training")
    try:
        nccl = cupy.cuda.nccl
        nccl.get_unique_id  # noqa: B018  (the attribute a build without NCCL lacks)
    except (AttributeError, ImportError) as e:
        raise RuntimeError(
            f"the 'nccl' backend needs CuPy's NCCL bindings, which this CuPy lacks ({e}); "
            "install NCCL (pip install nvidia-nccl-cu12) or use backend='mpi'"
        ) from None
    return nccl


def _dtypes(nccl: Any) -> dict[str, int]:
    table = {"float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64",
             "int8": "NCCL_INT8", "uint8": "NCCL_UINT8", "int32": "NCCL_INT32",
             "uint32": "NCCL_UINT32", "int64": "NCCL_INT64", "uint64": "NCCL_UINT64",
             "bool": "NCCL_UINT8", "bfloat16": "NCCL_BFLOAT16"}
    return {k: getattr(nccl, v) for k, v in table.items() if hasattr(nccl, v)}


def _ops(nccl: Any) -> dict[ReduceOp, int]:
    out = {ReduceOp.SUM: nccl.NCCL_SUM, ReduceOp.PRODUCT: nccl.NCCL_PROD,
           ReduceOp.MIN: nccl.NCCL_MIN, ReduceOp.MAX: nccl.NCCL_MAX}
    if hasattr(nccl, "NCCL_AVG"):
        out[ReduceOp.AVG] = nccl.NCCL_AVG
    return out


def bootstrap(host: Communicator, nccl: Any) -> Any:
    """The NCCL unique id of this group: made on rank 0, broadcast over ``host``."""
    uid = nccl.get_unique_id() if host.rank == 0 else None
    return host.bcast_object(uid, 0)


class _NCCLWork(Work):
    def __init__(self, done: Any, then: Any = None) -> None:
        self.done, self.then, self.finished = done, then, False

    def is_completed(self) -> bool:
        return bool(self.done.done)

    def wait(self, timeout: float | None = None) -> bool:
        if not self.finished:
            self.finished = True
            backend.cupy.cuda.get_current_stream().wait_event(self.done)
            if self.then is not None:
                self.then()
        return True


class NCCLComm(Communicator):
    """Rank ``host.rank`` of an NCCL clique over the ranks of ``host`` (an MPI
    communicator, which also carries host arrays and objects)."""

    name = "nccl"

    def __init__(self, host: Communicator, device_index: int | None = None,
                 nccl: Any = None) -> None:
        self.nccl = nccl if nccl is not None else nccl_module()
        cupy = backend.cupy
        self.host = host
        self.rank, self.size, self.timeout = host.rank, host.size, host.timeout
        if device_index is None:
            device_index = int(getattr(host, "local_rank", host.rank)) % backend.device_count()
        self.device_index = device_index
        cupy.cuda.Device(device_index).use()
        uid = bootstrap(host, self.nccl)
        self.comm = self.nccl.NcclCommunicator(self.size, uid, self.rank)
        self.stream = cupy.cuda.Stream(non_blocking=True)
        self._dt = _dtypes(self.nccl)
        self._op = _ops(self.nccl)

    # -- helpers
    def _device(self, *arrays: Any) -> bool:
        dev = [backend.is_device_array(a) for a in arrays if a is not None]
        if any(dev) and not all(dev):
            raise ValueError("nccl: the send and receive buffers must both be on the GPU")
        return bool(dev) and dev[0]

    def _dtype(self, arr: Any) -> int:
        code = self._dt.get(str(arr.dtype))
        if code is None:
            raise TypeError(f"nccl: dtype {arr.dtype} is not supported by NCCL "
                            f"(supported: {sorted(self._dt)})")
        if not arr.flags.c_contiguous:
            raise ValueError("collectives need contiguous arrays; call .contiguous() on the tensor first")
        return code

    def _launch(self, fn: Any, then: Any = None) -> Work:
        """Queue ``fn(stream_ptr)`` after the caller's current stream's work so far."""
        cupy = backend.cupy
        ready = cupy.cuda.Event()
        ready.record(cupy.cuda.get_current_stream())
        self.stream.wait_event(ready)
        fn(self.stream.ptr)
        done = cupy.cuda.Event()
        done.record(self.stream)
        return _NCCLWork(done, then)

    def _reduce_op(self, op: Any) -> tuple[int, bool]:
        if not isinstance(op, ReduceOp) or (op not in self._op and op is not ReduceOp.AVG):
            raise ValueError(f"nccl: reduce op {op!r} is not supported (SUM, AVG, PRODUCT, MIN, MAX)")
        if op is ReduceOp.AVG and op not in self._op:
            return self._op[ReduceOp.SUM], True
        return self._op[op], False

    # -- collectives
    def iallreduce(self, arr: Any, op: Any = ReduceOp.SUM) -> Work:
        if not self._device(arr):
            return self.host.iallreduce(arr, op)
        dt = self._dtype(arr)
        code, divide = self._reduce_op(op)
        ptr, n = backend.data_ptr(arr), arr.size

        def then() -> None:
            if divide:
                backend.cupy.multiply(arr, 1.0 / self.size, out=arr)

        return self._launch(lambda s: self.comm.allReduce(ptr, ptr, n, dt, code, s), then)

    def broadcast(self, arr: Any, root: int = 0) -> None:
        if not self._device(arr):
            return self.host.broadcast(arr, root)
        dt, ptr = self._dtype(arr), backend.data_ptr(arr)
        self._launch(lambda s: self.comm.bcast(ptr, arr.size, dt, root, s)).wait()

    def allgather(self, send: Any, recv: Any) -> None:
        if not self._device(send, recv):
            return self.host.allgather(send, recv)
        dt = self._dtype(send)
        self._dtype(recv)
        sp, rp = backend.data_ptr(send), backend.data_ptr(recv)
        self._launch(lambda s: self.comm.allGather(sp, rp, send.size, dt, s)).wait()

    def reduce_scatter(self, send: Any, recv: Any, op: ReduceOp = ReduceOp.SUM) -> None:
        if not self._device(send, recv):
            return self.host.reduce_scatter(send, recv, op)
        dt = self._dtype(send)
        self._dtype(recv)
        code, divide = self._reduce_op(op)
        sp, rp = backend.data_ptr(send), backend.data_ptr(recv)

        def then() -> None:
            if divide:
                backend.cupy.multiply(recv, 1.0 / self.size, out=recv)

        self._launch(lambda s: self.comm.reduceScatter(sp, rp, recv.size, dt, code, s), then).wait()

    def reduce(self, arr: Any, root: int = 0, op: ReduceOp = ReduceOp.SUM) -> None:
        if not self._device(arr):
            return self.host.reduce(arr, root, op)
        dt = self._dtype(arr)
        code, divide = self._reduce_op(op)
        ptr = backend.data_ptr(arr)

        def then() -> None:
            if divide and self.rank == root:
                backend.cupy.multiply(arr, 1.0 / self.size, out=arr)

        self._launch(lambda s: self.comm.reduce(ptr, ptr, arr.size, dt, code, root, s), then).wait()

    def _p2p(self, arr: Any, peer: int, sending: bool) -> Work:
        dt, ptr = self._dtype(arr), backend.data_ptr(arr)
        if sending:
            return self._launch(lambda s: self.comm.send(ptr, arr.size, dt, peer, s))
        return self._launch(lambda s: self.comm.recv(ptr, arr.size, dt, peer, s))

    def isend(self, arr: Any, dst: int, tag: int = 0) -> Work:
        if not self._device(arr):
            return self.host.isend(arr, dst, tag)
        return self._p2p(arr, dst, True)

    def irecv(self, arr: Any, src: int, tag: int = 0) -> Work:
        if not self._device(arr):
            return self.host.irecv(arr, src, tag)
        return self._p2p(arr, src, False)

    def send(self, arr: Any, dst: int, tag: int = 0) -> None:
        self.isend(arr, dst, tag).wait()

    def recv(self, arr: Any, src: int, tag: int = 0) -> None:
        self.irecv(arr, src, tag).wait()

    def alltoall(self, send: Any, recv: Any) -> None:
        if not self._device(send, recv):
            return self.host.alltoall(send, recv)
        n = send.size // self.size
        dt = self._dtype(send)
        self._dtype(recv)
        sp, rp, step = backend.data_ptr(send), backend.data_ptr(recv), n * send.itemsize

        def exchange(stream: int) -> None:  # one NCCL group: every pair at once
            self.nccl.groupStart()
            try:
                for r in range(self.size):
                    self.comm.send(sp + r * step, n, dt, r, stream)
                    self.comm.recv(rp + r * step, n, dt, r, stream)
            finally:
                self.nccl.groupEnd()

        self._launch(exchange).wait()

    def gather(self, send: Any, recv: Any | None, root: int = 0) -> None:
        if not self._device(send):
            return self.host.gather(send, recv, root)
        full = backend.cupy.empty((self.size,) + send.shape, dtype=send.dtype)
        self.allgather(send, full)
        if self.rank == root:
            recv[...] = full.reshape(recv.shape)

    def scatter(self, send: Any | None, recv: Any, root: int = 0) -> None:
        if not self._device(recv):
            return self.host.scatter(send, recv, root)
        buf = send if self.rank == root else backend.cupy.empty((self.size,) + recv.shape,
                                                                 dtype=recv.dtype)
        buf = backend.cupy.ascontiguousarray(buf)
        self.broadcast(buf, root)
        recv[...] = buf.reshape((self.size,) + recv.shape)[self.rank]

    def barrier(self) -> None:
        backend.synchronize()
        self.host.barrier()

    def bcast_object(self, obj: Any, root: int = 0) -> Any:
        return self.host.bcast_object(obj, root)

    def allgather_object(self, obj: Any) -> list:
        return self.host.allgather_object(obj)

    def split(self, ranks: list[int]) -> Communicator | None:
        sub = self.host.split(ranks)
        if sub is None:
            return None
        return NCCLComm(sub, self.device_index, self.nccl)

    def abort(self, code: int = 1) -> None:
        self.host.abort(code)
