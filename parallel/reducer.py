"""The Reducer: averages gradients across ranks in buckets, overlapped with backward.

Layout (identical on every rank, fixed at construction):
- parameters in reverse registration order (the order backward produces them);
- a parameter of at least ``own_bytes`` is a bucket of its own and is reduced in place
  in its gradient array (no copy at all);
- smaller parameters are packed into flat buckets (the first capped at 1 MiB, the rest
  at ``bucket_cap_mb``); their ``.grad`` become views into the bucket, so after the
  first step the engine accumulates straight into bucket memory.

Each step: the engine's post-accumulate-grad hook reports a parameter ready; when a
bucket's last parameter is ready its non-blocking allreduce starts at once (buckets
are started in index order on every rank, as MPI requires); at the end of backward the
remaining work is awaited and the sums are divided by the world size.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from typing import Any

from autograd import backend
from autograd import engine as _engine
from autograd.tensor import Tensor, _wrap

from .comm.base import ReduceOp, Work

__all__ = ["Reducer", "Bucket", "GradBucket"]

FIRST_BUCKET_BYTES = 1024 * 1024
# Below this many gradient bytes, MPI's allreduce beats the shared window (measured with
# `python -m launch bench allreduce`: the window wins from about 1 MB on 2 ranks).
SHM_MIN_BYTES = 512 * 1024


class Bucket:
    """A group of parameters reduced by one collective."""

    def __init__(self, index: int, params: list[int], shapes: list[tuple], dtype: Any,
                 xp: Any, own: bool, store: Any = None) -> None:
        self.index = index
        self.params = params  # parameter indices, in the order they sit in the buffer
        self.own = own
        self.dtype = dtype
        self.xp = xp
        self.offsets: list[tuple[int, int, tuple]] = []
        pos = 0
        for shape in shapes:
            n = 1
            for s in shape:
                n *= s
            self.offsets.append((pos, pos + n, shape))
            pos += n
        self.numel = pos
        # packed buckets own a persistent flat buffer; an own bucket's buffer is the
        # parameter's gradient array of the current step
        self.store: Any = None if own else (store if store is not None else xp.zeros(pos, dtype=dtype))
        self.shm_offset = -1  # byte offset in the shared window, when there is one
        self.buffer: Any = self.store
        self.fresh = False  # buffer replaced for this step (autograd.grad capture)
        self.pending = len(params)
        self.work: Work | None = None
        self.launched = False

    def view(self, slot: int) -> Any:
        a, b, shape = self.offsets[slot]
        return self.buffer[a:b].reshape(shape)


class GradBucket:
    """What a communication hook sees (``torch.distributed.GradBucket``)."""

    def __init__(self, bucket: Bucket, params: list[Tensor], last: bool) -> None:
        self._bucket, self._params, self._last = bucket, params, last

    def index(self) -> int:
        return self._bucket.index

    def buffer(self) -> Tensor:
        return _wrap(self._bucket.buffer)

    def is_last(self) -> bool:
        return self._last

    def parameters(self) -> list[Tensor]:
        return list(self._params)

    def gradients(self) -> list[Tensor]:
        return [_wrap(self._bucket.view(i)) for i in range(len(self._bucket.params))]


class Reducer:
    """Owns the buckets of one DistributedDataParallel module."""

    def __init__(self, params: list[Tensor], names: list[str], comm: Any,
                 bucket_cap_mb: float = 25.0, find_unused_parameters: bool = False,
                 own_bytes: int = FIRST_BUCKET_BYTES) -> None:
        self.params = params
        self.names = names
        self.comm = comm
        self.find_unused = find_unused_parameters
        self.comm_hook: tuple[Any, Callable] | None = None
        self.require_sync = True
        self.capturing = False
        self.expect_finalize = False
        self.steps = 0
        self.wait_seconds = 0.0  # end-of-backward time: waiting on reductions + averaging
        # of the last reduced step's gradient bytes, the fraction already reduced when
        # backward ended (communication hidden behind backward)
        self.overlapped_fraction = 0.0
        self.shm = self._shared_window(params, bucket_cap_mb)
        self._build_buckets(bucket_cap_mb, own_bytes if self.shm is None else 1 << 62)
        self._reset()
        self._handles: list[Any] = []
        me = weakref.ref(self)
        for i, p in enumerate(params):
            self._handles.append(p.register_post_accumulate_grad_hook(_accumulated_hook(me, i)))
            self._handles.append(p.register_hook(_grad_hook(me, i)))

    # ------------------------------------------------------------------ layout
    def _shared_window(self, params: list[Tensor], cap_mb: float) -> Any:
        """On one machine over MPI, every bucket lives in a shared-memory window and is
        reduced through it (all parameters packed: no bucket of its own)."""
        make = getattr(self.comm, "shared_window", None)
        if make is None or any(backend.xp_of(p._data) is not backend.numpy for p in params):
            return None
        from .comm.shm import shm_forced

        if sum(p._data.nbytes for p in params) < SHM_MIN_BYTES and not shm_forced():
            return None  # small models: the window's fixed costs exceed MPI's allreduce
        from .comm.shm import ALIGN

        total = sum(-(-p._data.nbytes // ALIGN) * ALIGN for p in params) + ALIGN * (len(params) + 1)
        window = make(total, slots=len(params))
        self._shm_next = 0
        return window

    def _build_buckets(self, cap_mb: float, own_bytes: int) -> None:
        cap = int(cap_mb * 1024 * 1024)
        order = list(range(len(self.params)))[::-1]
        self.buckets: list[Bucket] = []
        self.where: list[tuple[int, int]] = [(0, 0)] * len(self.params)
        current: list[int] = []
        size = 0
        limit = min(FIRST_BUCKET_BYTES, cap)

        def close() -> None:
            nonlocal current, size, limit
            if current:
                self._add_bucket(current, own=False)
                limit = cap
            current, size = [], 0

        for i in order:
            p = self.params[i]
            nbytes = p._data.nbytes
            if nbytes >= own_bytes:
                close()
                self._add_bucket([i], own=True)
                continue
            if current and (size + nbytes > limit or p._data.dtype != self.params[current[0]]._data.dtype):
                close()
            current.append(i)
            size += nbytes
        close()

    def _add_bucket(self, idx: list[int], own: bool) -> None:
        p0 = self.params[idx[0]]._data
        store = offset = None
        if self.shm is not None and not own:
            from .comm.shm import ALIGN

            numel = sum(self.params[i]._data.size for i in idx)
            offset = self._shm_next
            store = self.shm.view(self.shm.rank, p0.dtype, offset, numel)
            store[...] = 0
            self._shm_next += -(-numel * p0.dtype.itemsize // ALIGN) * ALIGN
        b = Bucket(len(self.buckets), idx, [tuple(self.params[i].shape) for i in idx], p0.dtype,
                   backend.xp_of(p0), own, store)
        if offset is not None:
            b.shm_offset = offset
        for slot, i in enumerate(idx):
            self.where[i] = (b.index, slot)
            if not own:
                # the parameter's gradient lands directly in bucket memory from now on
                self.params[i]._grad_dest = b.view(slot)
        self.buckets.append(b)

    def layout(self) -> list[list[str]]:
        """Parameter names per bucket, in launch order."""
        return [[self.names[i] for i in b.params] for b in self.buckets]

    # ------------------------------------------------------------------ per step
    def _reset(self) -> None:
        for b in self.buckets:
            b.pending = len(b.params)
            b.work = None
            b.launched = False
            b.buffer = b.store
            b.fresh = False
        self.capturing = False
        self.ready = [False] * len(self.params)
        self.next_launch = 0
        # shared window: parameters in the order this rank delivered them, and how many
        # of those it has reduced its slice of
        self.shm_order: list[int] = []
        self.shm_reduced = 0
        self.callback_queued = False

    def _queue_finalize(self) -> None:
        if not self.callback_queued:
            self.callback_queued = True
            _engine.queue_callback(self.finalize)
            if self._shm_active():
                self.shm.begin()

    def mark_ready(self, i: int, grad: Any) -> None:
        """Parameter ``i``'s gradient (array ``grad``) is complete on this rank."""
        if self.ready[i]:
            raise RuntimeError(
                f"DistributedDataParallel: parameter {self.names[i]} was marked ready twice in "
                "one backward pass (it received its gradient twice: e.g. a reentrant "
                "checkpoint or two backward passes without no_sync())"
            )
        self._queue_finalize()
        self.ready[i] = True
        b_idx, slot = self.where[i]
        b = self.buckets[b_idx]
        if b.own:
            if not grad.flags.c_contiguous:
                grad = b.xp.ascontiguousarray(grad)
                self.params[i]._grad = _wrap(grad)
            b.buffer = grad.reshape(-1)
        else:
            view = b.view(slot)
            if not _same_memory(view, grad):
                view[...] = grad
        b.pending -= 1
        if self._shm_active():
            self._shm_deliver(i)
        if b.pending == 0:
            self._launch_ready()

    def _launch_ready(self) -> None:
        while self.next_launch < len(self.buckets):
            b = self.buckets[self.next_launch]
            if b.pending:
                break
            self._launch(b)
            self.next_launch += 1
        if self._shm_active():
            return  # nothing in flight in MPI
        for b in self.buckets[: self.next_launch]:  # let MPI progress earlier transfers
            if b.work is not None:
                b.work.is_completed()

    def _shm_deliver(self, i: int) -> None:
        """Parameter ``i``'s gradient is in this rank's window: stamp it, then reduce
        whatever every rank has delivered, without waiting (overlap with backward: a
        rank ahead of the others does its share while they still compute). The window
        works per parameter, whatever the bucket layout."""
        self.shm.ready(i)
        self.shm_order.append(i)
        scale = 1.0 / self.comm.size
        order = self.shm_order
        while self.shm_reduced < len(order):
            j = order[self.shm_reduced]
            if not self.shm.try_reduce(j, self._shm_part(j), scale):
                return
            self.shm_reduced += 1

    def _shm_active(self) -> bool:
        return self.shm is not None and self.comm_hook is None and not self.capturing

    def _launch(self, b: Bucket) -> None:
        b.launched = True
        if self._shm_active():
            b.work = None  # reduced through the shared window (see _shm_deliver)
            return
        if self.comm_hook is not None:
            state, hook = self.comm_hook
            params = [self.params[i] for i in b.params]
            b.work = hook(state, GradBucket(b, params, b.index == len(self.buckets) - 1))
        else:
            b.work = self.comm.iallreduce(b.buffer, ReduceOp.SUM)

    def finalize(self) -> None:
        """End of backward: reduce what is left, wait, average, publish gradients."""
        try:
            missing = [i for i, r in enumerate(self.ready) if not r]
            if missing and not self.find_unused:
                names = ", ".join(f"{self.names[i]} (index {i})" for i in missing)
                raise RuntimeError(
                    "DistributedDataParallel: these parameters did not receive a gradient in "
                    f"this backward pass on rank {self.comm.rank}: {names}. If some parameters "
                    "are not used in the forward on purpose, pass find_unused_parameters=True; "
                    "otherwise make sure the loss depends on every parameter (every rank must "
                    "reduce the same gradients)."
                )
            self.overlapped_fraction = self._overlapped()
            used = None
            if self.find_unused:
                for i in missing:
                    b_idx, slot = self.where[i]
                    b = self.buckets[b_idx]
                    if b.own:
                        b.buffer = b.xp.zeros(b.numel, dtype=b.dtype)
                    else:
                        b.view(slot)[...] = 0
                    b.pending -= 1
                    if self._shm_active():
                        self._shm_deliver(i)
                self._launch_ready()
                # after every bucket, so all ranks issue collectives in the same order
                # whichever parameters each of them left unused
                used = self._global_used()
            scale = 1.0 / self.comm.size
            start = time.perf_counter()
            if self._shm_active():
                for i in self.shm_order[self.shm_reduced:]:
                    self.shm.wait_reduce(i, self._shm_part(i), scale,
                                         f"the gradient of {self.names[i]}")
                self.shm.finish()
                for b in self.buckets:
                    self._publish(b, used)
            else:
                for b in self.buckets:
                    b.work.wait()  # type: ignore[union-attr]
                    if self.comm_hook is None and self.comm.size > 1:
                        b.xp.multiply(b.buffer, scale, out=b.buffer)
                    if not self.capturing:
                        self._publish(b, used)
            self.wait_seconds += time.perf_counter() - start
            self.steps += 1
        finally:
            self._reset()

    def _publish(self, b: Bucket, used: Any) -> None:
        for slot, i in enumerate(b.params):
            p = self.params[i]
            if used is not None and not used[i]:
                continue  # unused on every rank: .grad stays as it was (None), as PyTorch
            if b.own:
                a, c, shape = b.offsets[slot]
                arr = b.buffer.reshape(shape)
            else:
                arr = b.view(slot)
            g = p._grad
            if g is None or not _same_memory(g._data, arr):
                p._grad = _wrap(arr)
            else:
                g._vc[0] += 1

    def _overlapped(self) -> float:
        """Fraction of the gradient bytes whose reduction is done as backward ends."""
        total = sum(b.numel * b.dtype.itemsize for b in self.buckets) or 1
        if self._shm_active():
            parts = (self._shm_part(i) for i in self.shm_order[:self.shm_reduced])
            done = sum(numel * dtype.itemsize for dtype, _, numel in parts)
        else:
            done = sum(b.numel * b.dtype.itemsize for b in self.buckets
                       if b.work is not None and b.work.is_completed())
        return done / total

    def _shm_part(self, i: int) -> tuple[Any, int, int]:
        """Parameter ``i``'s gradient in the window: (dtype, byte offset, numel)."""
        b_idx, slot = self.where[i]
        b = self.buckets[b_idx]
        start, stop, _ = b.offsets[slot]
        return (b.dtype, b.shm_offset + start * b.dtype.itemsize, stop - start)

    def _shm_parts(self) -> list[tuple[Any, int, int]]:
        """Every parameter's part, in parameter order (slot ``i`` is parameter ``i``)."""
        return [self._shm_part(i) for i in range(len(self.params))]

    def shadow_reduce(self) -> None:
        """A joined rank's part of one step's reductions: zeros for every bucket, in the
        same collectives, in the same order, as ``finalize`` on the active ranks."""
        if self._shm_active():
            if self.find_unused:
                self._global_used_shadow()
            for b in self.buckets:
                b.store[...] = 0
            self.shm.reduce_scale(self._shm_parts(), 1.0 / self.comm.size)
            return
        for b in self.buckets:
            zeros = b.xp.zeros(b.numel, dtype=b.dtype)
            if self.comm_hook is not None:
                state, hook = self.comm_hook
                saved = b.buffer
                b.buffer = zeros
                hook(state, GradBucket(b, [self.params[i] for i in b.params],
                                       b.index == len(self.buckets) - 1)).wait()
                b.buffer = saved
            else:
                self.comm.allreduce(zeros, ReduceOp.SUM)
        if self.find_unused:  # after every bucket, as in ``finalize``
            self._global_used_shadow()

    def _global_used(self) -> Any:
        flags = backend.numpy.array(self.ready, dtype=backend.numpy.int32)
        self.comm.allreduce(flags, ReduceOp.MAX)
        return flags.astype(bool)

    def _global_used_shadow(self) -> None:
        """A joined rank's part of ``_global_used`` (it used nothing)."""
        flags = backend.numpy.zeros(len(self.params), dtype=backend.numpy.int32)
        self.comm.allreduce(flags, ReduceOp.MAX)

    def remove(self) -> None:
        for h in self._handles:
            h.remove()
        for p in self.params:
            p.__dict__.pop("_grad_dest", None)


def _same_memory(a: Any, b: Any) -> bool:
    """True when two arrays are the same memory with the same layout."""
    return a is b or (a.shape == b.shape and a.strides == b.strides and backend.data_ptr(a) == backend.data_ptr(b))


def _accumulated_hook(ref: Any, i: int) -> Callable[[Tensor], None]:
    def hook(p: Tensor) -> None:
        r = ref()
        if r is None or not r.require_sync or r.capturing:
            return
        r.mark_ready(i, p._grad._data)

    return hook


def _grad_hook(ref: Any, i: int) -> Callable[[Tensor], Tensor | None]:
    """For ``autograd.grad`` (no accumulation into .grad): the returned gradient is the
    bucket memory, which holds the average once backward ends."""

    def hook(grad: Tensor) -> Tensor | None:
        r = ref()
        if r is None or not r.require_sync or not _engine.is_capturing():
            return None
        r.capturing = True
        b_idx, slot = r.where[i]
        b = r.buckets[b_idx]
        if not b.own and not b.fresh:  # the caller keeps the returned gradients: new memory
            b.buffer = b.xp.zeros(b.numel, dtype=b.dtype)
            b.fresh = True
        data = grad._data
        if b.own:
            data = data.copy()
            r.mark_ready(i, data)
            return _wrap(data)
        r.mark_ready(i, data)
        return _wrap(b.view(slot))

    hook.keeps_no_reference = True  # type: ignore[attr-defined]  # see grad_destination
    return hook
