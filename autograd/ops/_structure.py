"""Matrix-structure ops: ``diagonal`` (a writable view) and its adjoint ``DiagScatter``,
``diag``, ``diag_embed``, ``trace``, ``tril`` and ``triu``. Re-exported by
``autograd.ops.matmul`` (so they are ``autograd.diag`` etc.).

Example:
    >>> import autograd
    >>> autograd.diag(autograd.tensor([1.0, 2.0])).diagonal().tolist()
    [1.0, 2.0]
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..function import Op
from ..tensor import Tensor
from ._util import norm_dim

__all__ = ["diag", "diagonal", "diag_embed", "trace", "tril", "triu", "Diagonal", "DiagScatter",
           "Tril", "Triu"]

_ndarray = backend.numpy.ndarray


def _writable_diagonal(a: Any, offset: int, dim1: int, dim2: int) -> Any:
    out = backend.xp_of(a).diagonal(a, offset, dim1, dim2)
    if out.__class__ is _ndarray and not out.flags.writeable and a.flags.writeable:
        out.flags.writeable = True  # numpy hands out read-only diagonals; PyTorch's are writable
    return out


class Diagonal(Op):
    """The (offset) diagonal of dims ``dim1, dim2``, appended as the last dim (a view)."""

    is_view = True

    @staticmethod
    def forward(ctx: Any, x: Any, offset: int, dim1: int, dim2: int) -> Any:
        ctx.in_shape, ctx.params = x.shape, (offset, dim1, dim2)
        return _writable_diagonal(x, offset, dim1, dim2)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return DiagScatter.apply(grad_out, ctx.in_shape, *ctx.params), None, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return Diagonal.apply(tx, *ctx.params)


class DiagScatter(Op):
    """Zeros of ``shape`` with ``x``'s last dim written on a diagonal (adjoint of Diagonal)."""

    @staticmethod
    def forward(ctx: Any, x: Any, shape: tuple, offset: int, dim1: int, dim2: int) -> Any:
        ctx.shape, ctx.params = shape, (offset, dim1, dim2)
        out = backend.xp_of(x).zeros(shape, dtype=x.dtype)
        _writable_diagonal(out, offset, dim1, dim2)[...] = x
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return Diagonal.apply(grad_out, *ctx.params), None, None, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return DiagScatter.apply(tx, ctx.shape, *ctx.params)


def _diag_dims(nd: int, dim1: int, dim2: int, op: str) -> tuple[int, int]:
    d1, d2 = norm_dim(dim1, nd, op), norm_dim(dim2, nd, op)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def diagonal(x: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """View of the diagonal of dims ``dim1, dim2`` (``offset > 0``: above the main one);
    the diagonal becomes the last dim. Writes through it reach ``x``.

    Example:
        >>> import autograd
        >>> autograd.diagonal(autograd.arange(9.0).reshape(3, 3), 1).tolist()
        [1.0, 5.0]
    """
    d1, d2 = _diag_dims(x.ndim, dim1, dim2, "diagonal")
    return Diagonal.apply(x, int(offset), d1, d2)


def diag_embed(x: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices (in dims ``dim1, dim2`` of the result) whose diagonals are ``x``'s last dim.

    Example:
        >>> import autograd
        >>> autograd.diag_embed(autograd.tensor([[1.0, 2.0]])).tolist()
        [[[1.0, 0.0], [0.0, 2.0]]]
    """
    if x.ndim == 0:
        raise RuntimeError("diag_embed: the input must have at least 1 dimension, got a 0-d tensor")
    nd = x.ndim + 1
    d1, d2 = _diag_dims(nd, dim1, dim2, "diag_embed")
    n = x.shape[-1] + abs(int(offset))
    shape = list(x.shape[:-1])
    for d in sorted((d1, d2)):
        shape.insert(d, n)
    return DiagScatter.apply(x, tuple(shape), int(offset), d1, d2)


def diag(x: Tensor, diagonal: int = 0) -> Tensor:
    """1-D input: a square matrix with ``x`` on the given diagonal. 2-D input: a copy of
    that diagonal.

    Example:
        >>> import autograd
        >>> autograd.diag(autograd.tensor([1.0, 2.0])).tolist()
        [[1.0, 0.0], [0.0, 2.0]]
    """
    k = int(diagonal)
    if x.ndim == 1:
        n = x.shape[0] + abs(k)
        return DiagScatter.apply(x, (n, n), k, 0, 1)
    if x.ndim == 2:
        from .shape import clone

        return clone(Diagonal.apply(x, k, 0, 1))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D")


def trace(x: Tensor) -> Tensor:
    """Sum of the main diagonal of a matrix.

    Example:
        >>> import autograd
        >>> autograd.trace(autograd.arange(9.0).reshape(3, 3)).item()
        12.0
    """
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    return Diagonal.apply(x, 0, 0, 1).sum()


class _Triangle(Op):
    """Keep one triangle of the last two dims (``xp.<_part>(x, k)``), zero the rest: a
    linear projection, so its backward and jvp are itself."""

    _part: str

    @classmethod
    def forward(cls, ctx: Any, x: Any, k: int) -> Any:
        ctx.k = k
        return getattr(backend.xp_of(x), cls._part)(x, k)

    @classmethod
    def backward(cls, ctx: Any, grad_out: Tensor) -> tuple:
        return cls.apply(grad_out, ctx.k), None

    @classmethod
    def jvp(cls, ctx: Any, tx: Tensor, _: Any) -> Tensor:
        return cls.apply(tx, ctx.k)


class Tril(_Triangle):
    """Lower triangle (on and below diagonal ``k``) of the last two dims."""

    _part = "tril"


class Triu(_Triangle):
    """Upper triangle (on and above diagonal ``k``) of the last two dims."""

    _part = "triu"


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """Zero the elements above diagonal ``diagonal`` of the last two dims.

    Example:
        >>> import autograd
        >>> autograd.tril(autograd.ones(2, 2)).tolist()
        [[1.0, 0.0], [1.0, 1.0]]
    """
    if x.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tril.apply(x, int(diagonal))


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    """Zero the elements below diagonal ``diagonal`` of the last two dims.

    Example:
        >>> import autograd
        >>> autograd.triu(autograd.ones(2, 2)).tolist()
        [[1.0, 1.0], [0.0, 1.0]]
    """
    if x.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Triu.apply(x, int(diagonal))
