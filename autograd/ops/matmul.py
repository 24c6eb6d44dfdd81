"""Matrix products and matrix-structure ops.

Example:
    >>> import autograd
    >>> a = autograd.ones(2, 3)
    >>> (a @ a.T).tolist()
    [[3.0, 3.0], [3.0, 3.0]]
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..function import Op
from ..tensor import Tensor
from ._util import promote
from .shape import sum_to

__all__ = ["matmul"]


class MatMul(Op):
    """Batched/broadcast matrix product of operands with at least 2 dims."""

    saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        return backend.xp_of(x).matmul(x, y)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        x, y = ctx.saved_tensors
        nig = ctx.needs_input_grad
        gx = sum_to(MatMul.apply(grad_out, y.mT), x.shape) if nig[0] else None
        gy = sum_to(MatMul.apply(x.mT, grad_out), y.shape) if nig[1] else None
        return gx, gy

    @staticmethod
    def jvp(ctx: Any, tx: Tensor | None, ty: Tensor | None) -> Tensor:
        x, y = ctx.saved_tensors
        res = MatMul.apply(tx, y) if tx is not None else None
        if ty is not None:
            b = MatMul.apply(x, ty)
            res = b if res is None else res + b
        return res


def matmul(x: Tensor, y: Tensor) -> Tensor:
    """Matrix product with NumPy/PyTorch semantics for 1-D and batched operands.

    Example:
        >>> import autograd
        >>> autograd.matmul(autograd.ones(4, 2, 3), autograd.ones(3)).shape
        (4, 2)
    """
    x, y = promote(x, y)
    if x.ndim == 0 or y.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {x.ndim}D and {y.ndim}D"
        )
    if x.shape[-1] != y.shape[-2 if y.ndim > 1 else -1]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_fmt(x.shape)} and {_fmt(y.shape)})"
        )
    if x.ndim == 1 and y.ndim == 1:
        return (MatMul.apply(x.unsqueeze(0), y.unsqueeze(1))).reshape(())
    if x.ndim == 1:
        return MatMul.apply(x.unsqueeze(0), y).squeeze(-2)
    if y.ndim == 1:
        return MatMul.apply(x, y.unsqueeze(1)).squeeze(-1)
    return MatMul.apply(x, y)


def _fmt(shape: tuple) -> str:
    return "x".join(str(s) for s in shape) if len(shape) != 1 else f"1x{shape[0]}"
