"""Communication hooks for DistributedDataParallel (mirrors
``torch.distributed.algorithms.ddp_comm_hooks.default_hooks``): a hook replaces each
bucket's allreduce and returns a ``Future`` whose value is the averaged bucket.

- ``allreduce_hook``: the default (sum, then divide by the world size);
- ``fp16_compress_hook``: send float16 (half the bytes), accumulate in float16;
- ``bf16_compress_hook``: send bfloat16 bit patterns, accumulate in float32 and round
  back to bfloat16 at each step of the reduction.

Example:
    >>> import autograd, parallel
    >>> from autograd import nn
    >>> from parallel.comm_hooks import fp16_compress_hook
    >>> parallel.init_process_group()
    >>> model = parallel.DistributedDataParallel(nn.Linear(3, 1))
    >>> model.register_comm_hook(None, fp16_compress_hook)
    >>> model(autograd.randn(2, 3)).sum().backward()
    >>> parallel.destroy_process_group()
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograd import backend
from autograd.tensor import Tensor

from .comm.base import ReduceOp, Work
from .distributed import ProcessGroup, _group

__all__ = ["Future", "allreduce_hook", "fp16_compress_hook", "bf16_compress_hook",
           "float32_to_bf16_bits", "bf16_bits_to_float32"]


class Future:
    """The result of an asynchronous computation (``torch.futures.Future``)."""

    def __init__(self, waiter: Callable[[], Any], work: Work | None = None) -> None:
        self._waiter = waiter
        self._work = work
        self._done = False
        self._value: Any = None

    def wait(self) -> Any:
        if not self._done:
            self._value = self._waiter()
            self._done = True
        return self._value

    def value(self) -> Any:
        return self.wait()

    def done(self) -> bool:
        return self._done

    def is_completed(self) -> bool:
        return self._done or (self._work is not None and self._work.is_completed())

    def then(self, callback: Callable[[Future], Any]) -> Future:
        """A future whose value is ``callback(self)`` once this one is done."""

        def run() -> Any:
            self.wait()
            return callback(self)

        return Future(run, self._work)


def _comm(state: Any) -> Any:
    pg = state if isinstance(state, ProcessGroup) else _group(None)
    return pg.comm


def allreduce_hook(process_group: ProcessGroup | None, bucket: Any) -> Future:
    """Sum the bucket over ranks and divide by the world size."""
    comm = _comm(process_group)
    buf = bucket.buffer()
    work = comm.iallreduce(buf._data, ReduceOp.SUM)

    def done() -> Tensor:
        work.wait()
        backend.xp_of(buf._data).multiply(buf._data, 1.0 / comm.size, out=buf._data)
        return buf

    return Future(done, work)


def fp16_compress_hook(process_group: ProcessGroup | None, bucket: Any) -> Future:
    """Reduce in float16: pre-divide by the world size, send 16-bit values, cast back."""
    comm = _comm(process_group)
    buf = bucket.buffer()
    half = (buf._data * (1.0 / comm.size)).astype(backend.float16)
    work = comm.iallreduce(half, ReduceOp.SUM)

    def done() -> Tensor:
        work.wait()
        buf._data[...] = half.astype(buf._data.dtype)
        return buf

    return Future(done, work)


def float32_to_bf16_bits(x: Any) -> Any:
    """Round float32 values to bfloat16 (nearest even) and return the 16-bit patterns."""
    xp = backend.xp_of(x)
    u = x.astype(backend.float32).view(backend.numpy.uint32)
    rounded = (u + ((u >> 16) & 1) + 0x7FFF) >> 16
    nan = xp.isnan(x)
    return xp.where(nan, 0x7FC0, rounded).astype(backend.numpy.uint16)


def bf16_bits_to_float32(bits: Any) -> Any:
    """Expand bfloat16 bit patterns to float32 values (exact)."""
    return (bits.astype(backend.numpy.uint32) << 16).view(backend.float32)


def _bf16_sum(incoming: Any, inout: Any) -> None:
    inout[...] = float32_to_bf16_bits(bf16_bits_to_float32(incoming) + bf16_bits_to_float32(inout))


def bf16_compress_hook(process_group: ProcessGroup | None, bucket: Any) -> Future:
    """Reduce in bfloat16: pre-divide by the world size, send bf16 bit patterns (16 bits
    per value), sum in float32 with bf16 rounding at each step, expand back."""
    comm = _comm(process_group)
    buf = bucket.buffer()
    bits = float32_to_bf16_bits(buf._data * (1.0 / comm.size))
    work = comm.iallreduce(bits, _bf16_sum)

    def done() -> Tensor:
        work.wait()
        buf._data[...] = bf16_bits_to_float32(bits).astype(buf._data.dtype)
        return buf

    return Future(done, work)

