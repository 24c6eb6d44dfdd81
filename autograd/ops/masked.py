"""Mask ops: ``masked_fill`` (differentiable in the input and in a 0-d tensor value),
``masked_fill_`` and ``masked_select``. Masks are boolean tensors that broadcast with
the input.

Example:
    >>> import autograd
    >>> x = autograd.arange(4.0)
    >>> m = autograd.tensor([True, False, True, False])
    >>> x.masked_fill(m, -1.0).tolist(), x.masked_select(m).tolist()
    ([-1.0, 1.0, -1.0, 3.0], [0.0, 2.0])
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..function import Op, apply_inplace
from ..tensor import Tensor, _wrap
from ._util import to_tensor
from .binary import Where
from .index import GetItemAdvanced, _scalar_value
from .shape import broadcast_shapes, broadcast_to, sum_to

__all__ = ["masked_fill", "masked_fill_", "masked_select"]


class MaskedFill(Op):
    """``where(mask, value, x)`` with a number or 0-d tensor ``value``."""

    @staticmethod
    def forward(ctx: Any, x: Any, mask: Any, value: Any) -> Any:
        ctx.mask = mask
        return backend.xp_of(x).where(mask, value, x)

    @staticmethod
    def inplace(x: Any, mask: Any, value: Any) -> None:
        backend.xp_of(x).copyto(x, value, where=mask, casting="unsafe")

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        nig = ctx.needs_input_grad
        mask = _wrap(ctx.mask)
        zero = _wrap(backend.xp_of(grad_out._data).zeros((), grad_out._data.dtype))
        gx = Where.apply(mask, zero, grad_out) if nig[0] else None
        gv = sum_to(Where.apply(mask, grad_out, zero), ()) if nig[2] else None
        return gx, None, gv

    @staticmethod
    def jvp(ctx: Any, tx: Any, _: Any, tv: Any) -> Tensor:
        out = ctx._fw_out._data
        zero = _wrap(backend.xp_of(out).zeros((), out.dtype))
        res = Where.apply(_wrap(ctx.mask), zero if tv is None else tv, zero if tx is None else tx)
        return res if res._data.shape == out.shape else broadcast_to(res, out.shape)


def _mask_array(mask: Any, x: Tensor, op: str) -> Any:
    if not isinstance(mask, Tensor):
        mask = to_tensor(mask)
    if mask._data.dtype.kind != "b":
        raise RuntimeError(
            f"{op} only supports boolean masks, but got mask with dtype {mask.dtype}"
        )
    arr = mask._data
    return arr if backend.device_of(arr) == x.device else backend.to_device(arr, x.device)


def masked_fill(x: Tensor, mask: Any, value: Any) -> Tensor:
    """``x`` with ``value`` where ``mask`` is True (mask and x broadcast together);
    differentiable in ``x`` and in a 0-d tensor ``value``.

    Example:
        >>> import autograd
        >>> x = autograd.zeros(3)
        >>> x.masked_fill(autograd.tensor([True, False, True]), -1.0).tolist()
        [-1.0, 0.0, -1.0]
    """
    m = _mask_array(mask, x, "masked_fill_")
    value = _scalar_value(x, value, "masked_fill_")
    shape = broadcast_shapes(x._data.shape, m.shape)
    if x._data.shape != shape:
        x = broadcast_to(x, shape)
    return MaskedFill.apply(x, m, value)


def masked_fill_(x: Tensor, mask: Any, value: Any) -> Tensor:
    """In-place ``masked_fill`` (the mask must broadcast to ``x``'s shape).

    Example:
        >>> import autograd
        >>> autograd.ones(2).masked_fill_(autograd.tensor([False, True]), 0.0).tolist()
        [1.0, 0.0]
    """
    m = _mask_array(mask, x, "masked_fill_")
    value = _scalar_value(x, value, "masked_fill_")
    shape = broadcast_shapes(x._data.shape, m.shape)
    if shape != x._data.shape:
        raise RuntimeError(
            f"output with shape {list(x.shape)} doesn't match the broadcast shape {list(shape)}"
        )
    return apply_inplace(MaskedFill, x, m, value)


def masked_select(x: Tensor, mask: Any) -> Tensor:
    """The elements of ``x`` where ``mask`` is True, as a 1-D tensor (x and mask
    broadcast together).

    Example:
        >>> import autograd
        >>> autograd.arange(4).masked_select(autograd.tensor([True, False, True, False])).tolist()
        [0, 2]
    """
    if isinstance(mask, Tensor) and mask._data.dtype.kind != "b":
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {mask.dtype}")
    m = _mask_array(mask, x, "masked_select")
    shape = broadcast_shapes(x._data.shape, m.shape)
    if x._data.shape != shape:
        x = broadcast_to(x, shape)
    if m.shape != shape:
        m = backend.xp_of(m).broadcast_to(m, shape)
    return GetItemAdvanced.apply(x, (m,))
