"""Reductions along dimensions: sum, mean, nansum, nanmean, prod, var/std (and
var_mean/std_mean), any/all/count_nonzero, plus the helpers the other reduction
families share (``expand_back``, ``reduce_dims``, ``take_along``, ``result_type``).

The other families live next door and are re-exported here, so ``reduce.<name>`` (what
``Tensor`` methods call) reaches all of them: ``sorting`` (max/min, amax/amin,
argmax/argmin, aminmax, sort, topk, kthvalue, median, quantile), ``scan`` (cumsum,
cumprod, logcumsumexp, cummax, cummin), ``softmax`` (logsumexp, softmax, log_softmax)
and ``norms`` (norm).

Example:
    >>> import autograd
    >>> x = autograd.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> x.sum(dim=0).tolist(), x.mean().item()
    ([4.0, 6.0], 2.5)
"""

from __future__ import annotations

import builtins
import collections
import warnings
from typing import Any

from .. import backend
from ..amp import autocast_mode as _amp
from ..function import Op
from ..tensor import Tensor, _wrap
from ._util import norm_dims
from .index import GetItemAdvanced
from .shape import BroadcastTo, Reshape

__all__ = [
    "sum", "mean", "nansum", "nanmean", "prod", "var", "std", "var_mean", "std_mean", "any",
    "all", "count_nonzero",
]


# ----------------------------------------------------------------------------- helpers


def _keepdim_shape(in_shape: tuple, dims: tuple) -> tuple:
    return tuple(1 if i in dims else s for i, s in enumerate(in_shape))


def expand_back(g: Tensor, in_shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back over the reduced dims of ``in_shape``."""
    if not keepdim and dims:
        g = Reshape.apply(g, _keepdim_shape(in_shape, dims))
    if g.shape != tuple(in_shape):
        g = BroadcastTo.apply(g, tuple(in_shape))
    return g


def reduce_dims(x: Tensor, dim: Any, op: str) -> tuple:
    """Sorted non-negative dims to reduce (None / () -> all). A 0-d tensor accepts
    dim 0 / -1 as PyTorch does, and has nothing to reduce."""
    nd = x._data.ndim
    dims = norm_dims(dim, nd, op)
    return dims if nd else ()


def numel_of(shape: tuple, dims: tuple) -> int:
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def squeeze_dims(t: Tensor, dims: tuple) -> Tensor:
    """Drop the (size-1) ``dims`` of a keepdim result."""
    if not dims:
        return t
    return Reshape.apply(t, tuple(s for i, s in enumerate(t._data.shape) if i not in dims))


def take_along(x: Tensor, idx: Any, dim: int) -> Tensor:
    """``x`` gathered along ``dim`` at the integer array ``idx`` (same ndim as ``x``).

    Differentiable in ``x``: the gradient is scattered back to the chosen positions
    (adding where an index repeats), which is PyTorch's rule for value-selecting ops.
    """
    xp = backend.xp_of(idx)
    nd = idx.ndim
    key = tuple(
        idx if a == dim else xp.arange(idx.shape[a]).reshape((-1,) + (1,) * (nd - a - 1))
        for a in range(nd)
    )
    return GetItemAdvanced.apply(x, key)


def _const(arr: Any) -> Tensor:
    return _wrap(arr)


def _float_only(x: Tensor, op: str) -> None:
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(
            f"{op}(): expected input to have floating point or complex dtype but got "
            f"{x.dtype}; convert it first, e.g. x.float()"
        )


_RESULT_TYPES: dict = {}


def result_type(name: str, fields: tuple = ("values", "indices")) -> type:
    """The namedtuple returned by ``name`` (like ``torch.return_types.<name>``)."""
    cls = _RESULT_TYPES.get(name)
    if cls is None:
        cls = collections.namedtuple(name, fields)  # type: ignore[misc]
        cls.__qualname__ = f"_return_type_{name}"
        globals()[cls.__qualname__] = cls  # so instances pickle

        def __repr__(self: Any) -> str:
            body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
            return f"autograd.return_types.{name}(\n{body})"

        cls.__repr__ = __repr__
        _RESULT_TYPES[name] = cls
    return cls


# Created at import so that pickled results load in a fresh process.
for _name in ("max", "min", "sort", "topk", "kthvalue", "median", "nanmedian", "cummax", "cummin"):
    result_type(_name)
result_type("aminmax", ("min", "max"))


# ----------------------------------------------------------------------------- sum / mean


class Sum(Op):
    @staticmethod
    def forward(ctx: Any, x: Any, dims: tuple, keepdim: bool, dtype: Any) -> Any:
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return x.sum(axis=dims, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return expand_back(grad_out, ctx.in_shape, ctx.dims, ctx.keepdim), None, None, None

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> tuple:
        in_shape, dims = ctx.in_shape, ctx.dims
        if not ctx.keepdim and dims:
            g = g.reshape(_keepdim_shape(in_shape, dims))
        if g.shape != in_shape:
            g = backend.xp_of(g).broadcast_to(g, in_shape)
        return g, None, None, None

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
    """Sum over ``dim`` (an int, a tuple, or None for all dims).

    Example:
        >>> import autograd
        >>> autograd.sum(autograd.ones(2, 3), dim=1).tolist()
        [3.0, 3.0]
    """
    if _amp.active[0] and dtype is None:  # autocast: a float32 op
        (x,) = _amp.autocast_fp32(x)
    dims = reduce_dims(x, dim, "sum")
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
    dims = reduce_dims(x, dim, "mean")
    return Sum.apply(x, dims, keepdim, None) / numel_of(x._data.shape, dims)


def _zero_nans(x: Tensor) -> Tensor:
    from .binary import where
    from .compare import isnan

    return where(isnan(x), 0.0, x) if x._data.dtype.kind in "fc" else x


def nansum(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Sum treating NaN as zero (NaN positions get a zero gradient).

    Example:
        >>> import autograd
        >>> autograd.nansum(autograd.tensor([1.0, float("nan"), 2.0])).item()
        3.0
    """
    return sum(_zero_nans(x), dim, keepdim, dtype=dtype)


def nanmean(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Mean of the non-NaN elements (NaN when a slice has none).

    Example:
        >>> import autograd
        >>> autograd.nanmean(autograd.tensor([1.0, float("nan"), 2.0])).item()
        1.5
    """
    if dtype is not None:
        x = x.to(dtype)
    _float_only(x, "nanmean")
    from .compare import isnan

    dims = reduce_dims(x, dim, "nanmean")
    count = (~isnan(x)._data).sum(axis=dims, keepdims=keepdim).astype(x._data.dtype)
    with backend.numpy.errstate(invalid="ignore", divide="ignore"):
        return Sum.apply(_zero_nans(x), dims, keepdim, None) / _const(count)


# ----------------------------------------------------------------------------- prod


def _prod_others(x: Tensor, dims: tuple) -> Tensor:
    """For each element, the product of the other elements of its reduced slice, as
    (exclusive cumprod) * (reversed exclusive cumprod): no division, so exact with zeros,
    and differentiable to any order (see ``scan.AffineScan``)."""
    from .scan import _flip, exclusive_cumprod
    from .shape import Permute

    nd = x._data.ndim
    keep = [d for d in range(nd) if d not in dims]
    perm = tuple(keep + list(dims))
    xt = Permute.apply(x, perm) if perm != tuple(range(nd)) else x
    lead = xt._data.shape[: len(keep)]
    rows = Reshape.apply(xt, lead + (numel_of(x._data.shape, dims),))
    last = rows._data.ndim - 1
    po = exclusive_cumprod(rows, last) * _flip(exclusive_cumprod(_flip(rows, last), last), last)
    po = Reshape.apply(po, xt._data.shape)
    if perm == tuple(range(nd)):
        return po
    inv = tuple(int(i) for i in backend.numpy.argsort(perm))
    return Permute.apply(po, inv)


class Prod(Op):
    saved_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any, dims: tuple, keepdim: bool, dtype: Any) -> Any:
        ctx.dims, ctx.keepdim = dims, keepdim
        return backend.xp_of(x).prod(x, axis=dims, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def _deriv(ctx: Any) -> Tensor:
        x, out = ctx.saved_tensors
        if not (x._data == 0).any():
            return expand_back(out, x._data.shape, ctx.dims, ctx.keepdim) / x
        return _prod_others(x, ctx.dims)  # exact with one or several zeros

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        d = Prod._deriv(ctx)
        return expand_back(grad_out, d._data.shape, ctx.dims, ctx.keepdim) * d, None, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return Sum.apply(tx * Prod._deriv(ctx), ctx.dims, ctx.keepdim, None)


def prod(x: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Product over ``dim`` (all elements when None); integers give int64. The gradient
    is exact when the input has zeros.

    Example:
        >>> import autograd
        >>> x = autograd.tensor([2.0, 0.0, 3.0], requires_grad=True)
        >>> x.prod().backward()
        >>> x.grad.tolist()
        [0.0, 6.0, 0.0]
    """
    if _amp.active[0] and dtype is None:
        (x,) = _amp.autocast_fp32(x)
    if dim is not None and not isinstance(dim, int):
        raise TypeError(
            f"prod(): dim must be an int or None, got {type(dim).__name__}; reduce one dim at a "
            "time (x.prod(0).prod(0)) to multiply over several"
        )
    if dtype is not None:
        x = x.to(dtype)
    dims = reduce_dims(x, dim, "prod")
    return Prod.apply(x, dims, keepdim, _sum_dtype(x, None))


# ----------------------------------------------------------------------------- var / std


class SafeSqrt(Op):
    """sqrt whose gradient is 0 where the result is 0 (PyTorch's rule for ``std``)."""

    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).sqrt(x)

    @staticmethod
    def _deriv(ctx: Any) -> Tensor:
        from .binary import where

        (out,) = ctx.saved_tensors
        zero = out == 0
        return where(zero, 0.0, 0.5 / where(zero, 1.0, out))

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> Tensor:
        return grad_out * SafeSqrt._deriv(ctx)

    @staticmethod
    def jvp(ctx: Any, tx: Tensor) -> Tensor:
        return tx * SafeSqrt._deriv(ctx)


def _moments(x: Tensor, dim: Any, unbiased: Any, keepdim: bool, correction: Any,
             op: str) -> tuple[Tensor, Tensor]:
    """(var, mean) with PyTorch 2 semantics (``correction`` defaults to 1)."""
    if isinstance(dim, bool):  # the legacy overload var(x, unbiased)
        if unbiased is not None:
            raise TypeError(f"{op}(): got unbiased twice (as dim={dim} and unbiased={unbiased})")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise RuntimeError(
            f"{op}(): cannot specify both unbiased and correction; use correction=1 for "
            "unbiased=True and correction=0 for unbiased=False"
        )
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(
            f"std and var only support floating point and complex dtypes (got {x.dtype} in "
            f"{op}()); convert the input first, e.g. x.float()"
        )
    c = correction if correction is not None else (0 if unbiased is False else 1)
    dims = reduce_dims(x, dim, op)
    n = numel_of(x._data.shape, dims)
    dof = builtins.max(0, n - c)
    if dof <= 0:
        warnings.warn(
            f"{op}(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "reduction factor (input numel divided by output numel).", UserWarning, stacklevel=3
        )
    with backend.numpy.errstate(invalid="ignore", divide="ignore"):
        mu = Sum.apply(x, dims, True, None) / n
        d = x - mu
        sq = d * d if x._data.dtype.kind == "f" else d.abs() * d.abs()
        var = Sum.apply(sq, dims, keepdim, None) / float(dof)
    return var, (mu if keepdim else squeeze_dims(mu, dims))


def var(x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    """Variance over ``dim`` with ``correction`` (default 1, Bessel's correction).

    Example:
        >>> import autograd
        >>> autograd.var(autograd.tensor([1.0, 2.0, 4.0]), correction=0).item()  # doctest: +ELLIPSIS
        1.555...
    """
    return _moments(x, dim, unbiased, keepdim, correction, "var")[0]


def std(x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    """Standard deviation over ``dim`` (gradient 0 where it is 0, as PyTorch).

    Example:
        >>> import autograd
        >>> autograd.std(autograd.tensor([1.0, 3.0])).item()  # doctest: +ELLIPSIS
        1.414...
    """
    return SafeSqrt.apply(_moments(x, dim, unbiased, keepdim, correction, "std")[0])


def var_mean(x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,
             *, correction: Any = None) -> tuple[Tensor, Tensor]:
    """``(var, mean)`` in one pass.

    Example:
        >>> import autograd
        >>> [t.item() for t in autograd.var_mean(autograd.tensor([1.0, 3.0]))]
        [2.0, 2.0]
    """
    return _moments(x, dim, unbiased, keepdim, correction, "var_mean")


def std_mean(x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,
             *, correction: Any = None) -> tuple[Tensor, Tensor]:
    """``(std, mean)`` in one pass.

    Example:
        >>> import autograd
        >>> [t.item() for t in autograd.std_mean(autograd.tensor([1.0, 3.0]), correction=0)]
        [1.0, 2.0]
    """
    v, m = _moments(x, dim, unbiased, keepdim, correction, "std_mean")
    return SafeSqrt.apply(v), m


# ----------------------------------------------------------------------------- any / all / count


def _logical(x: Tensor, dim: Any, keepdim: bool, op: str) -> Tensor:
    xd = x._data
    xp = backend.xp_of(xd)
    dims = reduce_dims(x, dim, op)
    out = getattr(xp, op)(xd, axis=dims, keepdims=keepdim)
    # PyTorch keeps uint8 for uint8 inputs, bool otherwise
    return _wrap(xp.asarray(out, dtype=backend.uint8 if xd.dtype == backend.uint8 else bool))


def any(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """True where any element over ``dim`` is nonzero.

    Example:
        >>> import autograd
        >>> autograd.any(autograd.tensor([[0, 1], [0, 0]]), dim=1).tolist()
        [True, False]
    """
    return _logical(x, dim, keepdim, "any")


def all(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """True where every element over ``dim`` is nonzero.

    Example:
        >>> import autograd
        >>> autograd.all(autograd.tensor([[1, 1], [0, 1]]), dim=1).tolist()
        [True, False]
    """
    return _logical(x, dim, keepdim, "all")


def count_nonzero(x: Tensor, dim: Any = None) -> Tensor:
    """Number of nonzero elements over ``dim`` (int64).

    Example:
        >>> import autograd
        >>> autograd.count_nonzero(autograd.tensor([[0.0, 1.0], [2.0, 3.0]]), dim=0).tolist()
        [1, 2]
    """
    xd = x._data
    xp = backend.xp_of(xd)
    dims = reduce_dims(x, dim, "count_nonzero")
    return _wrap(xp.asarray((xd != 0).sum(axis=dims), dtype=backend.int64))


# The other families, re-exported: tensor.py calls them as ``reduce.<name>`` and
# autograd exports this module's __all__.
from .norms import norm  # noqa: E402
from .scan import cummax, cummin, cumprod, cumsum, logcumsumexp  # noqa: E402
from .softmax import log_softmax, logsumexp, softmax  # noqa: E402
from .sorting import (  # noqa: E402
    amax,
    amin,
    aminmax,
    argmax,
    argmin,
    argsort,
    kthvalue,
    max,
    median,
    min,
    nanmedian,
    nanquantile,
    quantile,
    sort,
    topk,
)

__all__ += [
    "norm", "cumsum", "cumprod", "logcumsumexp", "cummax", "cummin", "logsumexp", "softmax",
    "log_softmax", "max", "min", "amax", "amin", "argmax", "argmin", "aminmax", "sort",
    "argsort", "topk", "kthvalue", "median", "nanmedian", "quantile", "nanquantile",
]
