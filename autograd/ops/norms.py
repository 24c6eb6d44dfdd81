"""``norm`` as ``torch.norm``: vector p-norms (any real p, inf, -inf, 0), the
Frobenius norm and the nuclear norm (sum of singular values), on the ``linalg`` ops
(``VectorNorm`` of ``_linalg_base``, ``Svd`` of ``_decomp``).

Gradients follow PyTorch's subgradient choices: 0 where the norm is 0 (p >= 1) or where
an element is 0 (p < 1); inf-norm ties share the gradient evenly.

Example:
    >>> import autograd
    >>> autograd.norm(autograd.tensor([3.0, 4.0])).item()
    5.0
"""

from __future__ import annotations

import math
from typing import Any

from ..tensor import Tensor
from ._decomp import Svd
from ._linalg_base import VectorNorm
from .reduce import Sum, _keepdim_shape, reduce_dims

__all__ = ["norm"]


# ----------------------------------------------------------------------------- vector norms


def _vector_norm(x: Tensor, p: float, dim: Any, keepdim: bool) -> Tensor:
    dims = reduce_dims(x, dim, "linalg.vector_norm")
    if math.isinf(p) and (x._data.size == 0 or any(x._data.shape[d] == 0 for d in dims)):
        raise RuntimeError(
            "linalg.vector_norm cannot compute the inf norm on an empty tensor because the "
            "operation does not have an identity"
        )
    if x._data.dtype.kind == "c":
        x = x.abs()
    return VectorNorm.apply(x, float(p), dims, keepdim, True)  # p = 0: a zero gradient


def _nuclear(x: Tensor, dims: tuple, keepdim: bool) -> Tensor:
    from .shape import Permute, Reshape

    nd = x._data.ndim
    rest = tuple(a for a in range(nd) if a not in dims)
    xt = Permute.apply(x, rest + dims)
    if x._data.size == 0:
        out = Sum.apply(xt, (nd - 2, nd - 1), False, None)
    else:
        out = Sum.apply(Svd.apply(xt, False)[1], (nd - 2,), False, None)
    if keepdim:
        out = Reshape.apply(out, _keepdim_shape(x._data.shape, dims))
    return out


def _matrix_dims(x: Tensor, dim: Any) -> tuple:
    nd = x._data.ndim
    if nd < 2:
        raise RuntimeError(
            f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions (got "
            f"shape {list(x.shape)})."
        )
    dims = tuple(range(nd)) if dim is None else ((dim,) if isinstance(dim, int) else tuple(dim))
    if len(dims) != 2:
        raise RuntimeError(
            f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}"
        )
    from ._util import norm_dim

    d0, d1 = (norm_dim(d, nd, "linalg.matrix_norm") for d in dims)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    return d0, d1


# ----------------------------------------------------------------------------- norm


def norm(x: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         dtype: Any = None) -> Tensor:
    """``torch.norm``: ``p`` = 'fro' (the 2-norm over ``dim``), 'nuc' (nuclear norm of
    the matrices over the two dims ``dim``), or a number / inf / -inf / 0 (vector norm
    over ``dim``, all elements when None). ``dtype`` casts the input first.

    Example:
        >>> import autograd
        >>> x = autograd.tensor([[3.0, 0.0], [0.0, 4.0]])
        >>> autograd.norm(x, 1).item(), autograd.norm(x, "nuc").item()
        (7.0, 7.0)
    """
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(
            f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{x.dtype}; convert it first, e.g. x.float()"
        )
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return _vector_norm(x, 2.0, dim, keepdim)
        if p not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        dims = _matrix_dims(x, dim)
        if p == "fro":
            return _vector_norm(x, 2.0, dims, keepdim)
        if x._data.dtype.kind == "c":
            raise RuntimeError("norm(p='nuc'): complex inputs are not supported here")
        return _nuclear(x, dims, keepdim)
    return _vector_norm(x, 2.0 if p is None else float(p), dim, keepdim)

