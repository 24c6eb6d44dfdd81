"""The fused ``add*`` matrix products (mirrors ``torch.addmm``, ``addmv``, ``baddbmm``,
``addbmm``): ``beta * input + alpha * product``, composed from the products of
``autograd.ops.matmul`` (re-exported there), so every derivative is differentiable again.

Example:
    >>> import autograd
    >>> autograd.addmm(autograd.zeros(2), autograd.ones(2, 3), autograd.ones(3, 2), alpha=2).tolist()
    [[6.0, 6.0], [6.0, 6.0]]
"""

from __future__ import annotations

from typing import Any

from ..amp import autocast_mode as _amp
from ..tensor import Tensor
from ._util import promote
from .matmul import MatMul, _check_expand, bmm, mm, mv
from .shape import Reshape

__all__ = ["addmm", "addmv", "baddbmm", "addbmm"]


def _scaled_sum(inp: Tensor, prod: Tensor, beta: Any, alpha: Any) -> Tensor:
    """``beta * inp + alpha * prod`` with ``inp`` broadcast to ``prod`` (ignored when beta
    is 0, so NaNs in it do not propagate, as in PyTorch)."""
    _check_expand(inp, tuple(prod.shape))
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return prod
    return prod + (inp if beta == 1 else inp * beta)


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``.

    Example:
        >>> import autograd
        >>> autograd.addmm(autograd.ones(2), autograd.ones(2, 3), autograd.ones(3, 2)).tolist()
        [[4.0, 4.0], [4.0, 4.0]]
    """
    if _amp.active[0]:  # autocast: a lower-precision op
        input, mat1, mat2 = _amp.autocast_lower(input, mat1, mat2)
    return _scaled_sum(input, mm(mat1, mat2), beta, alpha)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``.

    Example:
        >>> import autograd
        >>> autograd.addmv(autograd.ones(2), autograd.ones(2, 3), autograd.ones(3), alpha=2).tolist()
        [7.0, 7.0]
    """
    if _amp.active[0]:  # autocast: a lower-precision op
        input, mat, vec = _amp.autocast_lower(input, mat, vec)
    return _scaled_sum(input, mv(mat, vec), beta, alpha)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1,
            alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``.

    Example:
        >>> import autograd
        >>> autograd.baddbmm(autograd.zeros(2, 4), autograd.ones(5, 2, 3), autograd.ones(5, 3, 4)).shape
        (5, 2, 4)
    """
    if _amp.active[0]:  # autocast: a lower-precision op
        input, batch1, batch2 = _amp.autocast_lower(input, batch1, batch2)
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1,
           alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])`` (one GEMM over the batch).

    Example:
        >>> import autograd
        >>> autograd.addbmm(autograd.zeros(2, 4), autograd.ones(5, 2, 3), autograd.ones(5, 3, 4))[0, 0].item()
        15.0
    """
    if _amp.active[0]:  # autocast: a lower-precision op
        input, batch1, batch2 = _amp.autocast_lower(input, batch1, batch2)
    if batch1.ndim != 3 or batch2.ndim != 3:
        raise RuntimeError(
            f"batch1 and batch2 must be 3D tensors, got shapes {list(batch1.shape)} and "
            f"{list(batch2.shape)}"
        )
    b, n, k = batch1.shape
    if batch2.shape[0] != b:
        raise RuntimeError(
            f"batch1 and batch2 must have same number of batches, got {b} and {batch2.shape[0]}"
        )
    if batch2.shape[1] != k:
        raise RuntimeError(
            f"Incompatible matrix sizes for bmm ({n}x{k} and {batch2.shape[1]}x{batch2.shape[2]})"
        )
    batch1, batch2 = promote(batch1, batch2)
    m = batch2.shape[2]
    lhs = Reshape.apply(batch1.permute(1, 0, 2), (n, b * k))
    return _scaled_sum(input, MatMul.apply(lhs, Reshape.apply(batch2, (b * k, m))), beta, alpha)
