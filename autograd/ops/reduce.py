"""Reductions along dimensions.

Example:
    >>> import autograd
    >>> x = autograd.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> x.sum(dim=0).tolist(), x.mean().item()
    ([4.0, 6.0], 2.5)
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..function import Op
from ..tensor import Tensor
from ._util import norm_dims
from .shape import BroadcastTo, Reshape

__all__ = ["sum", "mean"]


def _keepdim_shape(in_shape: tuple, dims: tuple) -> tuple:
    return tuple(1 if i in dims else s for i, s in enumerate(in_shape))


def expand_back(g: Tensor, in_shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back over the reduced dims of ``in_shape``."""
    if not keepdim and dims:
        g = Reshape.apply(g, _keepdim_shape(in_shape, dims))
    if g.shape != tuple(in_shape):
        g = BroadcastTo.apply(g, tuple(in_shape))
    return g


class Sum(Op):
    @staticmethod
    def forward(ctx: Any, x: Any, dims: tuple, keepdim: bool, dtype: Any) -> Any:
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return x.sum(axis=dims, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return expand_back(grad_out, ctx.in_shape, ctx.dims, ctx.keepdim), None, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return Sum.apply(tx, ctx.dims, ctx.keepdim, None)


def _sum_dtype(x: Tensor, dtype: Any) -> Any:
    if dtype is not None:
        return backend.dtype(dtype)
    if x._data.dtype.kind in "biu":
        return backend.int64  # PyTorch sums integers (and bools) in int64
    return None


def sum(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Sum over ``dim`` (all dims when None).

    Example:
        >>> import autograd
        >>> autograd.sum(autograd.ones(2, 3), dim=1).tolist()
        [3.0, 3.0]
    """
    dims = norm_dims(dim, x._data.ndim, "sum") if dim is not None else tuple(range(x._data.ndim))
    return Sum.apply(x, dims, keepdim, _sum_dtype(x, dtype))


def mean(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Mean over ``dim`` (all dims when None); floating tensors only, as in PyTorch.

    Example:
        >>> import autograd
        >>> autograd.mean(autograd.tensor([1.0, 2.0, 6.0])).item()
        3.0
    """
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {x.dtype}"
        )
    dims = norm_dims(dim, x._data.ndim, "mean") if dim is not None else tuple(range(x._data.ndim))
    n = 1
    for d in dims:
        n *= x._data.shape[d]
    return Sum.apply(x, dims, keepdim, None) / n
