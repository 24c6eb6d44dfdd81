"""Order statistics: max/min (with indices), amax/amin, argmax/argmin, aminmax, sort,
argsort, topk, kthvalue, median, nanmedian, quantile, nanquantile.

Orders are computed on the arrays (stable sorts; NaN sorts as the largest value, as in
PyTorch); values are then gathered from the input with ``take_along``, so the
gradient goes to the selected positions. Full reductions (``max()``, ``median()``) and
``amax``/``amin`` instead share the gradient evenly among tied elements, as PyTorch.

Example:
    >>> import autograd
    >>> r = autograd.sort(autograd.tensor([3.0, 1.0, 2.0]))
    >>> r.values.tolist(), r.indices.tolist()
    ([1.0, 2.0, 3.0], [1, 2, 0])
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..function import Op
from ..tensor import Tensor, _wrap
from ._util import norm_dim
from .reduce import (
    Sum,
    _keepdim_shape,
    expand_back,
    reduce_dims,
    result_type,
    squeeze_dims,
    take_along,
)
from .shape import BroadcastTo, Clone, Reshape

__all__ = [
    "max", "min", "amax", "amin", "argmax", "argmin", "aminmax", "sort", "argsort", "topk",
    "kthvalue", "median", "nanmedian", "quantile", "nanquantile",
]


# ----------------------------------------------------------------------------- max / min


class TieSplit(Op):
    """A reduction that picks a value (computed by ``fn`` on the array); the gradient
    is shared evenly among the elements equal to it (NaN matching NaN)."""

    saved_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any, dims: tuple, keepdim: bool, fn: Any) -> Any:
        ctx.dims, ctx.keepdim = dims, keepdim
        return fn(x)

    @staticmethod
    def _weights(ctx: Any) -> Tensor:
        x, out = ctx.saved_tensors
        xd, od = x._data, out._data
        xp = backend.xp_of(xd)
        if not ctx.keepdim:
            od = od.reshape(_keepdim_shape(xd.shape, ctx.dims))
        mask = xd == od
        if xd.dtype.kind in "fc":
            mask |= xp.isnan(xd) & xp.isnan(od)
        w = mask.astype(xd.dtype)
        return _wrap(w / w.sum(axis=ctx.dims, keepdims=True))

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        w = TieSplit._weights(ctx)
        return expand_back(grad_out, w._data.shape, ctx.dims, ctx.keepdim) * w, None, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return Sum.apply(tx * TieSplit._weights(ctx), ctx.dims, ctx.keepdim, None)


class Amax(TieSplit):
    pass


class Amin(TieSplit):
    pass


def _keep(rt: type, values: Tensor, idx: Any, d: int, keepdim: bool) -> Any:
    """The ``(values, indices)`` result of a selection along ``d`` made with keepdim."""
    if not keepdim:
        values = squeeze_dims(values, (d,))
        idx = idx.reshape(values._data.shape)
    return rt(values, _wrap(idx))


def _check_nonempty(x: Tensor, dims: tuple, op: str) -> None:
    for d in dims:
        if x._data.shape[d] == 0:
            raise IndexError(
                f"{op}(): Expected reduction dim {d} to have non-zero size (input shape "
                f"{list(x.shape)}); there is no identity to return for an empty slice"
            )


def _extreme(x: Tensor, dim: Any, keepdim: bool, largest: bool, op: str) -> Tensor:
    dims = reduce_dims(x, dim, op)
    _check_nonempty(x, dims, op)
    xp = backend.xp_of(x._data)
    fn_arr = xp.amax if largest else xp.amin

    def fn(a: Any) -> Any:
        return fn_arr(a, axis=dims, keepdims=keepdim)

    return (Amax if largest else Amin).apply(x, dims, keepdim, fn)


def amax(x: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Maximum over ``dim`` (int or tuple; () = all); ties share the gradient evenly.

    Example:
        >>> import autograd
        >>> autograd.amax(autograd.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=1).tolist()
        [5.0, 7.0]
    """
    return _extreme(x, dim, keepdim, True, "amax")


def amin(x: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Minimum over ``dim`` (int or tuple; () = all); ties share the gradient evenly.

    Example:
        >>> import autograd
        >>> autograd.amin(autograd.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=0).tolist()
        [1.0, 2.0]
    """
    return _extreme(x, dim, keepdim, False, "amin")


def _arg_extreme(x: Tensor, dim: Any, keepdim: bool, largest: bool, op: str) -> Tensor:
    xd = x._data
    xp = backend.xp_of(xd)
    fn = xp.argmax if largest else xp.argmin
    if dim is None:
        if xd.size == 0:
            raise RuntimeError(
                f"{op}(): Expected reduction dim to be specified for input.numel() == 0."
            )
        idx = xp.asarray(fn(xd.reshape(-1)), dtype=backend.int64)
        return _wrap(idx.reshape((1,) * xd.ndim) if keepdim else idx)
    d = norm_dim(dim, xd.ndim, op)
    if xd.ndim == 0:
        return _wrap(xp.zeros((), dtype=backend.int64))
    _check_nonempty(x, (d,), op)
    return _wrap(xp.asarray(fn(xd, axis=d, keepdims=keepdim), dtype=backend.int64))


def argmax(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the maximum (of the flattened tensor when ``dim`` is None); the first
    one among ties, and the first NaN when there is one.

    Example:
        >>> import autograd
        >>> autograd.argmax(autograd.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=1).tolist()
        [1, 0]
    """
    return _arg_extreme(x, dim, keepdim, True, "argmax")


def argmin(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the minimum (of the flattened tensor when ``dim`` is None).

    Example:
        >>> import autograd
        >>> autograd.argmin(autograd.tensor([3.0, 1.0, 2.0])).item()
        1
    """
    return _arg_extreme(x, dim, keepdim, False, "argmin")


def _select_dim(x: Tensor, dim: Any, keepdim: bool, largest: bool, op: str) -> Any:
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(
            f"{op}(): dim must be an int, got {type(dim).__name__}; use "
            f"a{op}(x, dim=(...)) to reduce over several dims"
        )
    rt = result_type(op)
    if x._data.ndim == 0:
        norm_dim(dim, 0, op)
        return rt(Clone.apply(x), _wrap(backend.xp_of(x._data).zeros((), dtype=backend.int64)))
    d = norm_dim(dim, x._data.ndim, op)
    idx = _arg_extreme(x, d, True, largest, op)._data
    return _keep(rt, take_along(x, idx, d), idx, d, keepdim)


def _max_or_min(x: Tensor, dim: Any, keepdim: bool, largest: bool) -> Any:
    op = "max" if largest else "min"
    if isinstance(dim, Tensor):
        from .binary import maximum, minimum

        return maximum(x, dim) if largest else minimum(x, dim)
    if dim is None:
        if x._data.size == 0:
            raise RuntimeError(
                f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        return _extreme(x, None, False, largest, op)
    return _select_dim(x, dim, keepdim, largest, op)


def max(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """``max(x)``: the largest element (a 0-d tensor; ties share the gradient);
    ``max(x, dim)``: a ``(values, indices)`` namedtuple; ``max(x, other)``: ``maximum``.

    Example:
        >>> import autograd
        >>> r = autograd.max(autograd.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=1)
        >>> r.values.tolist(), r.indices.tolist()
        ([5.0, 7.0], [1, 0])
    """
    return _max_or_min(x, dim, keepdim, True)


def min(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """``min(x)``, ``min(x, dim)`` -> ``(values, indices)``, or ``minimum(x, other)``.

    Example:
        >>> import autograd
        >>> autograd.min(autograd.tensor([4.0, 1.0, 3.0])).item()
        1.0
    """
    return _max_or_min(x, dim, keepdim, False)


def aminmax(x: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:
    """``(min, max)`` namedtuple over ``dim`` (all elements when None).

    Example:
        >>> import autograd
        >>> r = autograd.aminmax(autograd.tensor([3.0, 1.0, 4.0]))
        >>> r.min.item(), r.max.item()
        (1.0, 4.0)
    """
    dims = reduce_dims(x, dim, "aminmax")
    if any(x._data.shape[d] == 0 for d in dims) or (dim is None and x._data.size == 0):
        raise RuntimeError(
            "aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
            "identity."
        )
    dims_arg = None if dim is None else dims
    lo = _extreme(x, dims_arg, keepdim, False, "aminmax")
    hi = _extreme(x, dims_arg, keepdim, True, "aminmax")
    return result_type("aminmax", ("min", "max"))(lo, hi)


# ----------------------------------------------------------------------------- sort


def _order(a: Any, d: int, descending: bool) -> Any:
    """Stable argsort along ``d``, NaN sorting as the largest value: equal elements
    keep their input order (also when descending), deterministic on every backend."""
    xp = backend.xp_of(a)
    if not descending:
        return xp.argsort(a, axis=d, kind="stable")
    idx = xp.argsort(xp.flip(a, axis=d), axis=d, kind="stable")
    return xp.flip(a.shape[d] - 1 - idx, axis=d)


def _zero_index(x: Tensor) -> Tensor:
    return _wrap(backend.xp_of(x._data).zeros((), dtype=backend.int64))


def _slice(a: Any, d: int, start: int, stop: int) -> Any:
    return a[(slice(None),) * d + (slice(start, stop),)]


def sort(x: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
    """``(values, indices)`` sorted along ``dim`` (NaN last, or first when descending).
    The sort is always stable (equal elements keep their input order), which also
    satisfies ``stable=False``.

    Example:
        >>> import autograd
        >>> autograd.sort(autograd.tensor([1.0, 3.0, 2.0]), descending=True).values.tolist()
        [3.0, 2.0, 1.0]
    """
    rt = result_type("sort")
    d = norm_dim(dim, x._data.ndim, "sort")
    if x._data.ndim == 0:
        return rt(Clone.apply(x), _zero_index(x))
    idx = _order(x._data, d, descending)
    return rt(take_along(x, idx, d), _wrap(idx))


def argsort(x: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """The indices that sort ``x`` along ``dim``.

    Example:
        >>> import autograd
        >>> autograd.argsort(autograd.tensor([3.0, 1.0, 2.0])).tolist()
        [1, 2, 0]
    """
    d = norm_dim(dim, x._data.ndim, "argsort")
    if x._data.ndim == 0:
        return _zero_index(x)
    return _wrap(_order(x._data, d, descending))


def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """The ``k`` largest (or smallest) elements along ``dim``: ``(values, indices)``,
    in sorted order (which also satisfies ``sorted=False``).

    Example:
        >>> import autograd
        >>> autograd.topk(autograd.tensor([1.0, 4.0, 2.0, 3.0]), 2).values.tolist()
        [4.0, 3.0]
    """
    rt = result_type("topk")
    nd = x._data.ndim
    d = norm_dim(dim, nd, "topk")
    size = x._data.shape[d] if nd else 1
    if not isinstance(k, int) or not 0 <= k <= size:
        raise RuntimeError(
            f"selected index k out of range: topk got k={k} for a dimension of size {size} "
            f"(tensor of shape {list(x.shape)}); k must be in [0, {size}]"
        )
    if nd == 0:
        if k == 0:
            raise RuntimeError("topk(): k=0 of a 0-d tensor has no result shape; use k=1")
        return rt(Clone.apply(x), _zero_index(x))
    xd = x._data
    xp = backend.xp_of(xd)
    if k == 0:
        idx = _slice(xp.zeros(xd.shape, dtype=backend.int64), d, 0, 0)
    else:  # a partial sort picks the k (NaN counts as largest), then only they are sorted
        kth = size - k if largest else k - 1
        part = xp.argpartition(xd, kth, axis=d)
        top = _slice(part, d, kth, size) if largest else _slice(part, d, 0, k)
        idx = xp.take_along_axis(top, _order(xp.take_along_axis(xd, top, axis=d), d, largest),
                                 axis=d)
    return rt(take_along(x, idx, d), _wrap(idx))


def kthvalue(x: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """The ``k``-th smallest element (1-based) along ``dim``: ``(values, indices)``.

    Example:
        >>> import autograd
        >>> r = autograd.kthvalue(autograd.tensor([3.0, 1.0, 2.0]), 2)
        >>> r.values.item(), r.indices.item()
        (2.0, 2)
    """
    rt = result_type("kthvalue")
    nd = x._data.ndim
    d = norm_dim(dim, nd, "kthvalue")
    size = x._data.shape[d] if nd else 1
    if not isinstance(k, int) or not 1 <= k <= size:
        raise RuntimeError(
            f"kthvalue(): selected number k out of range for dimension {d} (k={k}, size {size}); "
            f"k counts from 1 and must be in [1, {size}]"
        )
    if nd == 0:
        return rt(Clone.apply(x), _zero_index(x))
    idx = _slice(backend.xp_of(x._data).argpartition(x._data, k - 1, axis=d), d, k - 1, k)
    return _keep(rt, take_along(x, idx, d), idx, d, keepdim)


# ----------------------------------------------------------------------------- median


def _median_pos(sorted_arr: Any, ignore_nan: bool) -> Any:
    """Position (keepdim, last axis) of the lower median in rows sorted with NaN last:
    the first NaN when the row has one (median), or the median of the non-NaN
    values (nanmedian; 0 for an all-NaN row)."""
    xp = backend.xp_of(sorted_arr)
    n = sorted_arr.shape[-1]
    if sorted_arr.dtype.kind in "fc":
        cnt = (~xp.isnan(sorted_arr)).sum(axis=-1, keepdims=True)
    else:
        cnt = xp.full(sorted_arr.shape[:-1] + (1,), n)
    if ignore_nan:
        return xp.maximum(cnt - 1, 0) // 2
    return xp.where(cnt < n, cnt, (n - 1) // 2)


class Median(TieSplit):
    pass


class NanMedian(TieSplit):
    pass


def _median(x: Tensor, dim: Any, keepdim: bool, ignore_nan: bool, op: str) -> Any:
    xd = x._data
    xp = backend.xp_of(xd)
    if dim is None:
        def fn(a: Any) -> Any:
            if a.size == 0:
                return xp.asarray(xp.nan, dtype=a.dtype)
            s = xp.sort(a.reshape(-1))
            return s[_median_pos(s, ignore_nan)[0]]

        return (NanMedian if ignore_nan else Median).apply(x, tuple(range(xd.ndim)), False, fn)
    rt = result_type(op)
    d = norm_dim(dim, xd.ndim, op)
    if xd.ndim == 0:
        return rt(Clone.apply(x), _zero_index(x))
    _check_nonempty(x, (d,), op)
    order = xp.moveaxis(_order(xd, d, False), d, -1)
    pos = _median_pos(xp.take_along_axis(xp.moveaxis(xd, d, -1), order, axis=-1), ignore_nan)
    idx = xp.moveaxis(xp.take_along_axis(order, pos, axis=-1), -1, d)
    return _keep(rt, take_along(x, idx, d), idx, d, keepdim)


def median(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """Lower median: of all elements (0-d; NaN if any NaN) or along ``dim`` as a
    ``(values, indices)`` namedtuple.

    Example:
        >>> import autograd
        >>> autograd.median(autograd.tensor([4.0, 1.0, 3.0, 2.0])).item()
        2.0
    """
    return _median(x, dim, keepdim, False, "median")


def nanmedian(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """Like ``median`` but ignoring NaN (NaN only for an all-NaN slice).

    Example:
        >>> import autograd
        >>> autograd.nanmedian(autograd.tensor([4.0, float("nan"), 3.0])).item()
        3.0
    """
    return _median(x, dim, keepdim, True, "nanmedian")


# ----------------------------------------------------------------------------- quantile

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _q_tensor(x: Tensor, q: Any, op: str) -> tuple[Tensor, bool]:
    """``q`` as a 1-D Tensor of x's dtype (differentiable when it is a Tensor) and
    whether the result drops the leading q dim."""
    xp = backend.xp_of(x._data)
    if isinstance(q, Tensor):
        if q._data.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor (got shape {list(q.shape)})")
        if q._data.dtype != x._data.dtype:
            raise RuntimeError(
                f"{op}() q tensor must be same dtype as the input tensor (q is {q.dtype}, input "
                f"is {x.dtype})"
            )
        if q._data.size and not bool(((q._data >= 0) & (q._data <= 1)).all()):
            raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
        return Reshape.apply(q, (q._data.size,)), q._data.ndim == 0
    qf = float(q)
    if not 0.0 <= qf <= 1.0:
        raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {qf}")
    return _wrap(xp.asarray([qf], dtype=x._data.dtype)), True


def _quantile(x: Tensor, q: Any, dim: Any, keepdim: bool, interpolation: str,
              ignore_nan: bool, op: str) -> Tensor:
    from .binary import where
    from .scan import _to_last

    if x._data.dtype not in (backend.float32, backend.float64):
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype (got {x.dtype})")
    if x._data.size == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            f"{op}() interpolation must be one of linear, lower, higher, midpoint or nearest, "
            f"but got {interpolation}"
        )
    qt, scalar_q = _q_tensor(x, q, op)
    xd = x._data
    xp = backend.xp_of(xd)
    nd = xd.ndim
    if dim is None:
        rows, d = Reshape.apply(x, (xd.size,)), 0
        out_shape = (1,) * nd if keepdim else ()
    else:
        d = norm_dim(dim, nd, op)
        rows = x if nd else Reshape.apply(x, (1,))
        kept = tuple(1 if i == d else s for i, s in enumerate(xd.shape))
        out_shape = kept if keepdim else tuple(s for i, s in enumerate(xd.shape) if i != d)
    rows = _to_last(rows, d)  # (B..., n)
    srt = take_along(rows, _order(rows._data, rows._data.ndim - 1, False), rows._data.ndim - 1)
    sd = srt._data
    n = sd.shape[-1]
    nq = qt._data.shape[0]
    full = (nq,) + sd.shape[:-1] + (1,)
    q_col = Reshape.apply(qt, (nq,) + (1,) * sd.ndim)
    nan_cnt = xp.isnan(sd).sum(axis=-1, keepdims=True)
    if ignore_nan:  # ranks over the non-NaN values; an all-NaN row gives rank 0 (NaN)
        ranks_t = q_col * _wrap((n - nan_cnt - 1).astype(sd.dtype))
        ranks_t = where(_wrap(xp.broadcast_to(nan_cnt == n, full)), 0.0, ranks_t)
    else:  # a row with a NaN takes its last (NaN) element
        ranks_t = where(_wrap(xp.broadcast_to(nan_cnt > 0, full)), float(n - 1),
                        q_col * float(n - 1))
    ranks = xp.broadcast_to(ranks_t._data, full)
    if interpolation == "lower":
        ranks = xp.floor(ranks)
    elif interpolation == "higher":
        ranks = xp.ceil(ranks)
    elif interpolation == "nearest":
        ranks = xp.round(ranks)  # half to even, as PyTorch
    below = ranks.astype(backend.int64)
    table = BroadcastTo.apply(srt.unsqueeze(0), (nq,) + sd.shape)
    out = take_along(table, below, sd.ndim)
    if interpolation in ("linear", "midpoint"):
        above = take_along(table, xp.ceil(ranks).astype(backend.int64), sd.ndim)
        linear = interpolation == "linear"
        w = ranks_t - _wrap(below.astype(sd.dtype)) if linear else 0.5
        diff = above - out
        # the two-sided lerp of PyTorch/NumPy: exact at both ends
        hi = _wrap(xp.broadcast_to(ranks - below >= 0.5 if linear else True, full))
        out = where(hi, above - diff * (1.0 - w), out + diff * w)
    out = Reshape.apply(out, (nq,) + out_shape)
    return squeeze_dims(out, (0,)) if scalar_q else out


def quantile(x: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    """The ``q``-th quantiles along ``dim`` (of all elements when None). ``q`` is a
    float or a 1-D tensor (its size becomes the leading dim). A slice with NaN gives NaN.

    Example:
        >>> import autograd
        >>> autograd.quantile(autograd.tensor([1.0, 2.0, 3.0, 4.0]), 0.5).item()
        2.5
    """
    return _quantile(x, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(x: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    """Like ``quantile`` but ignoring NaN (NaN only for an all-NaN slice).

    Example:
        >>> import autograd
        >>> autograd.nanquantile(autograd.tensor([1.0, float("nan"), 3.0]), 0.5).item()
        2.0
    """
    return _quantile(x, q, dim, keepdim, interpolation, True, "nanquantile")
