"""The ranks' agreement on ``GradScaler``'s "found inf" flag: one MAX all-reduce of a
flag over the default group, so every rank skips the same optimizer steps."""

from __future__ import annotations

from autograd import backend
from autograd.amp.grad_scaler import register_found_inf_reducer

from . import distributed
from .comm.base import ReduceOp


def agree_found_inf(flag: float) -> float:
    """1.0 on every rank when any rank of the default group found an inf/NaN gradient
    (the flag itself without an initialised group of several ranks)."""
    if not distributed.is_initialized():
        return flag
    pg = distributed.default_group()
    if pg.size() == 1:
        return flag
    arr = backend.numpy.array([flag], dtype=backend.float32)  # host memory: any backend
    pg.comm.allreduce(arr, ReduceOp.MAX)
    return float(arr[0])


register_found_inf_reducer(agree_found_inf)
