"""Gather and scatter along a dim: ``out[i][j] = x[index[i][j]][j]`` (gather, dim 0)
and its adjoints (scatter, scatter_add, scatter_reduce), plus take_along_dim.

Every position ``p`` of ``index`` addresses ``x`` at ``p`` with coordinate ``dim``
replaced by ``index[p]``; ``_along_key`` builds that advanced index once, so the ops
are plain fancy indexing / ``ufunc.at`` on the backend.

Example:
    >>> import autograd
    >>> x = autograd.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> x.gather(1, autograd.tensor([[1, 0], [0, 0]])).tolist()
    [[2.0, 1.0], [3.0, 3.0]]
    >>> autograd.zeros(3).scatter_add(0, autograd.tensor([0, 2, 0]), autograd.ones(3)).tolist()
    [2.0, 0.0, 1.0]
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..function import Op, apply_inplace
from ..tensor import Tensor, _wrap
from ._util import norm_dim
from .binary import Where
from .index import GetItem, _add_at, check_range, index_array
from .shape import Reshape, broadcast_shapes, broadcast_to

__all__ = [
    "gather", "scatter", "scatter_", "scatter_add", "scatter_add_", "scatter_reduce",
    "scatter_reduce_", "take_along_dim",
]


def _along_key(idx: Any, dim: int) -> tuple:
    """The advanced key picking ``x[p with p[dim] = idx[p]]`` for every position p."""
    xp = backend.xp_of(idx)
    key = []
    for d, n in enumerate(idx.shape):
        if d == dim:
            key.append(idx)
        else:
            shape = [1] * idx.ndim
            shape[d] = n
            key.append(xp.arange(n).reshape(shape))
    return tuple(key)


def _zeros(shape: tuple, like: Any) -> Tensor:
    return _wrap(backend.xp_of(like).zeros(shape, dtype=like.dtype))


# ----------------------------------------------------------------------------- ops


class Gather(Op):
    @staticmethod
    def forward(ctx: Any, x: Any, dim: int, idx: Any) -> Any:
        ctx.in_shape, ctx.dim, ctx.idx = x.shape, dim, idx
        return x[_along_key(idx, dim)]

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        base = _zeros(ctx.in_shape, grad_out._data)
        return ScatterAdd.apply(base, ctx.dim, ctx.idx, grad_out), None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return Gather.apply(tx, ctx.dim, ctx.idx)


class ScatterAdd(Op):
    """``out = x.clone(); out[along(idx)] += src`` (src has idx's shape)."""

    @staticmethod
    def forward(ctx: Any, x: Any, dim: int, idx: Any, src: Any) -> Any:
        ctx.dim, ctx.idx = dim, idx
        out = x.copy()
        _add_at(out, _along_key(idx, dim), src)
        return out

    @staticmethod
    def inplace(x: Any, dim: int, idx: Any, src: Any) -> None:
        _add_at(x, _along_key(idx, dim), src)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        nig = ctx.needs_input_grad
        gsrc = Gather.apply(grad_out, ctx.dim, ctx.idx) if nig[3] else None
        return grad_out if nig[0] else None, None, None, gsrc

    @staticmethod
    def jvp(ctx: Any, tx: Any, _: Any, __: Any, tsrc: Any) -> Tensor:
        if tsrc is None:
            return tx
        if tx is None:
            tx = _zeros(ctx._fw_out.shape, ctx._fw_out._data)
        return ScatterAdd.apply(tx, ctx.dim, ctx.idx, tsrc)


class Scatter(Op):
    """``out = x.clone(); out[along(idx)] = src`` (a tensor of idx's shape, or a number)."""

    @staticmethod
    def forward(ctx: Any, x: Any, dim: int, idx: Any, src: Any) -> Any:
        ctx.dim, ctx.idx = dim, idx
        out = x.copy()
        out[_along_key(idx, dim)] = src
        return out

    @staticmethod
    def inplace(x: Any, dim: int, idx: Any, src: Any) -> None:
        x[_along_key(idx, dim)] = src

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        nig = ctx.needs_input_grad
        gx = Scatter.apply(grad_out, ctx.dim, ctx.idx, 0) if nig[0] else None
        gsrc = Gather.apply(grad_out, ctx.dim, ctx.idx) if nig[3] else None
        return gx, None, None, gsrc

    @staticmethod
    def jvp(ctx: Any, tx: Any, _: Any, __: Any, tsrc: Any) -> Tensor:
        if tx is None:
            tx = _zeros(ctx._fw_out.shape, ctx._fw_out._data)
        return Scatter.apply(tx, ctx.dim, ctx.idx, 0 if tsrc is None else tsrc)


_UFUNC = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum", "amin": "minimum"}


def _ufunc_at(name: str, out: Any, key: tuple, src: Any) -> None:
    """``out[key] (op)= src`` with repeated indices combined (``ufunc.at``)."""
    backend.ufunc_at(name, out, key, src)


def _identity(reduce: str, dtype: Any) -> Any:
    np = backend.numpy
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if dtype.kind == "b":
        return reduce != "amax"
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


class ScatterReduce(Op):
    """Reduce ``src`` into ``x`` at ``along(idx)`` with sum/prod/mean/amax/amin,
    counting x's own value only when ``include_self``."""

    saved_inputs = (0, 3)
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any, dim: int, idx: Any, src: Any, reduce: str,
                include_self: bool) -> Any:
        ctx.dim, ctx.idx, ctx.reduce, ctx.include_self = dim, idx, reduce, include_self
        xp = backend.xp_of(x)
        key = _along_key(idx, dim)
        out = x.copy()
        if not include_self:
            out[key] = _identity(reduce, x.dtype)
        _ufunc_at(_UFUNC[reduce], out, key, src)
        if reduce == "mean":
            count = xp.full(x.shape, 1 if include_self else 0, dtype=x.dtype)
            _ufunc_at("add", count, key, xp.ones(idx.shape, dtype=x.dtype))
            ctx.count = count
            safe = xp.where(count == 0, 1, count).astype(x.dtype)
            out = out // safe if x.dtype.kind in "iu" else out / safe
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        x, src, result = ctx.saved_tensors
        gx, gsrc = _scatter_reduce_grads(ctx, x, src, result, grad_out)
        nig = ctx.needs_input_grad
        return gx if nig[0] else None, None, None, gsrc if nig[3] else None, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Any, _: Any, __: Any, tsrc: Any, *___: Any) -> Tensor:
        x, src, result = ctx.saved_tensors
        # Linearise the reduction: out' = Jx tx + Jsrc tsrc, with the reverse-mode
        # weights (the same per-element partial derivatives) applied to the tangents.
        dim, idx = ctx.dim, ctx.idx
        ones = _wrap(backend.xp_of(result._data).ones(result._data.shape, result._data.dtype))
        wx, wsrc = _scatter_reduce_grads(ctx, x, src, result, ones)
        out = None
        if tx is not None:
            out = wx * tx
        if tsrc is not None:
            base = _zeros(result._data.shape, result._data)
            part = ScatterAdd.apply(base, dim, idx, wsrc * tsrc)
            out = part if out is None else out + part
        return out


def _scatter_reduce_grads(ctx: Any, x: Tensor, src: Tensor, result: Tensor,
                          g: Tensor) -> tuple:
    """(grad wrt x, grad wrt src) of scatter_reduce for the incoming gradient ``g``."""
    dim, idx, reduce, include_self = ctx.dim, ctx.idx, ctx.reduce, ctx.include_self
    xp = backend.xp_of(result._data)
    dt = result._data.dtype
    scattered = xp.zeros(result._data.shape, dtype=bool)
    scattered[_along_key(idx, dim)] = True
    scattered_t = _wrap(scattered)
    zero = _wrap(xp.zeros((), dt))
    if reduce == "sum":
        gx = g
        gsrc = Gather.apply(g, dim, idx)
    elif reduce == "mean":
        count = ctx.count
        n = _wrap(xp.where(count == 0, 1, count).astype(dt))
        gx = g / n
        gsrc = Gather.apply(gx, dim, idx)
    elif reduce in ("amax", "amin"):
        value = Gather.apply(result, dim, idx)
        self_hit = (x == result)._data
        if not include_self:
            self_hit = self_hit & ~scattered
        src_hit = (src == value)._data.astype(dt)
        n_hit = ScatterAdd.apply(_wrap(self_hit.astype(dt)), dim, idx, _wrap(src_hit))
        share = g / n_hit
        gx = Where.apply(_wrap(self_hit), share, zero)
        gsrc = Where.apply(_wrap(src_hit.astype(bool)), Gather.apply(share, dim, idx), zero)
    else:  # prod: the product of the other members of each group, zeros handled exactly
        one = _wrap(xp.ones((), dt))
        x_zero = _wrap(x._data == 0)
        masked_x = Where.apply(x_zero, one, x)
        others_x = ScatterReduce.apply(masked_x, dim, idx, src, "prod", include_self)
        gx = g * others_x / masked_x
        src_zero = src._data == 0
        zeros_per_slot = xp.zeros(result._data.shape, dtype=dt)
        _ufunc_at("add", zeros_per_slot, _along_key(idx, dim), src_zero.astype(dt))
        single = src_zero & (zeros_per_slot[_along_key(idx, dim)] == 1)
        masked_src = Where.apply(_wrap(single), one, src)
        others_src = ScatterReduce.apply(x, dim, idx, masked_src, "prod", include_self)
        plain = Gather.apply(g * result, dim, idx) / Where.apply(_wrap(src_zero), one, src)
        gsrc = Where.apply(_wrap(single), Gather.apply(g * others_src, dim, idx), plain)
    if not include_self:
        gx = Where.apply(scattered_t, zero, gx)
    return gx, gsrc


# ----------------------------------------------------------------------------- checks


def _prepare(op: str, x: Tensor, dim: int, index: Any, src: Any = None) -> tuple:
    """Validate like PyTorch; return (dim, raw index, src cut to index's shape)."""
    idx = index_array(index, x, op)
    nd = x._data.ndim
    d = norm_dim(dim, nd, op)
    if idx.ndim != nd:
        what = "input" if op == "gather" else "self"
        raise RuntimeError(
            f"Index tensor must have the same number of dimensions as {what} tensor ({op}: "
            f"index has {idx.ndim} dims, {what} has {nd})"
        )
    xs, ids = x._data.shape, idx.shape
    if src is not None and isinstance(src, Tensor):
        ss = src._data.shape
        ok = len(ss) == len(ids) and all(i <= s for i, s in zip(ids, ss))
        ok = ok and all(i <= s for k, (i, s) in enumerate(zip(ids, xs)) if k != d)
        if not ok:
            raise RuntimeError(
                f"Expected index {list(ids)} to be no larger than self {list(xs)} apart from "
                f"dimension {d} and to be no larger size than src {list(ss)}"
            )
    else:
        for k, (i, s) in enumerate(zip(ids, xs)):
            if k != d and i > s:
                raise RuntimeError(
                    f"Size does not match at dimension {k} expected index {list(ids)} to be no "
                    f"larger than self {list(xs)} apart from dimension {d}"
                )
    check_range(idx, xs[d] if nd else 1, d)
    if isinstance(src, Tensor) and src._data.shape != ids:
        src = GetItem.apply(src, tuple(slice(0, n) for n in ids) + (Ellipsis,))
    return d, idx, src


# ----------------------------------------------------------------------------- public


def gather(x: Tensor, dim: int, index: Any) -> Tensor:
    """``out[p] = x[p with p[dim] = index[p]]`` for every position p of ``index``
    (which may be smaller than x in the other dims).

    Example:
        >>> import autograd
        >>> autograd.tensor([[1, 2], [3, 4]]).gather(0, autograd.tensor([[1, 0]])).tolist()
        [[3, 2]]
    """
    d, idx, _ = _prepare("gather", x, dim, index)
    return Gather.apply(x, d, idx)


def _scatter_src(op: str, x: Tensor, src: Any) -> Any:
    if isinstance(src, Tensor):
        if src._data.dtype != x._data.dtype:
            raise RuntimeError(
                f"{op}(): Expected self.dtype to be equal to src.dtype (self {x.dtype}, src "
                f"{src.dtype})"
            )
        return src
    kind = x._data.dtype.kind
    return bool(src) if kind == "b" else int(src) if kind in "iu" else src


_SCATTER_REDUCE = {"add": "sum", "multiply": "prod"}


def scatter(x: Tensor, dim: int, index: Any, src: Any, *, reduce: str | None = None) -> Tensor:
    """``x`` with ``out[p with p[dim] = index[p]] = src[p]`` (``src`` a tensor or a
    number); ``reduce='add'|'multiply'`` combines instead of overwriting.

    Example:
        >>> import autograd
        >>> autograd.zeros(2, 2).scatter(1, autograd.tensor([[1], [0]]), 5.0).tolist()
        [[0.0, 5.0], [5.0, 0.0]]
    """
    if reduce is not None:
        return ScatterReduce.apply(x, *_legacy_reduce_args(x, dim, index, src, reduce))
    src = _scatter_src("scatter", x, src)
    d, idx, src = _prepare("scatter", x, dim, index, src)
    return Scatter.apply(x, d, idx, src)


def _legacy_reduce_args(x: Tensor, dim: int, index: Any, src: Any, reduce: str) -> tuple:
    """``scatter(..., reduce='add'|'multiply')`` as ScatterReduce arguments."""
    if reduce not in _SCATTER_REDUCE:
        raise RuntimeError("reduce argument must be either add or multiply.")
    src = _scatter_src("scatter", x, src)
    d, idx, src = _prepare("scatter", x, dim, index, src)
    if not isinstance(src, Tensor):
        src = _wrap(backend.xp_of(x._data).full(idx.shape, src, dtype=x._data.dtype))
    return d, idx, src, _SCATTER_REDUCE[reduce], True


def scatter_(x: Tensor, dim: int, index: Any, src: Any, *, reduce: str | None = None) -> Tensor:
    """In-place ``scatter``.

    Example:
        >>> import autograd
        >>> autograd.zeros(3).scatter_(0, autograd.tensor([2]), 1.0).tolist()
        [0.0, 0.0, 1.0]
    """
    if reduce is not None:
        return apply_inplace(ScatterReduce, x, *_legacy_reduce_args(x, dim, index, src, reduce))
    src = _scatter_src("scatter", x, src)
    d, idx, src = _prepare("scatter", x, dim, index, src)
    return apply_inplace(Scatter, x, d, idx, src)


def scatter_add(x: Tensor, dim: int, index: Any, src: Tensor) -> Tensor:
    """``x`` with ``src[p]`` added at ``p with p[dim] = index[p]`` (repeats add up).

    Example:
        >>> import autograd
        >>> autograd.zeros(2).scatter_add(0, autograd.tensor([1, 1]), autograd.ones(2)).tolist()
        [0.0, 2.0]
    """
    src = _scatter_src("scatter_add", x, src)
    d, idx, src = _prepare("scatter_add", x, dim, index, src)
    return ScatterAdd.apply(x, d, idx, src)


def scatter_add_(x: Tensor, dim: int, index: Any, src: Tensor) -> Tensor:
    """In-place ``scatter_add``.

    Example:
        >>> import autograd
        >>> autograd.zeros(2).scatter_add_(0, autograd.tensor([0, 0]), autograd.ones(2)).tolist()
        [2.0, 0.0]
    """
    src = _scatter_src("scatter_add", x, src)
    d, idx, src = _prepare("scatter_add", x, dim, index, src)
    return apply_inplace(ScatterAdd, x, d, idx, src)


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(x: Tensor, dim: int, index: Any, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """Reduce ``src`` into ``x`` at ``p with p[dim] = index[p]`` with ``reduce`` in
    sum/prod/mean/amax/amin (x's own values take part when ``include_self``).

    Example:
        >>> import autograd
        >>> x, i = autograd.zeros(2), autograd.tensor([0, 0, 1])
        >>> autograd.scatter_reduce(x, 0, i, autograd.tensor([1.0, 3.0, 5.0]), "amax").tolist()
        [3.0, 5.0]
    """
    return ScatterReduce.apply(x, *_reduce_args(x, dim, index, src, reduce, include_self))


def _reduce_args(x: Tensor, dim: int, index: Any, src: Tensor, reduce: str,
                 include_self: bool) -> tuple:
    if reduce not in _REDUCTIONS:
        raise RuntimeError(
            f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
        )
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce(): src must be a Tensor, got {type(src).__name__}")
    src = _scatter_src("scatter_reduce", x, src)
    d, idx, src = _prepare("scatter_reduce", x, dim, index, src)
    return d, idx, src, reduce, bool(include_self)


def scatter_reduce_(x: Tensor, dim: int, index: Any, src: Tensor, reduce: str, *,
                    include_self: bool = True) -> Tensor:
    """In-place ``scatter_reduce``.

    Example:
        >>> import autograd
        >>> from autograd.ops.scatter import scatter_reduce_
        >>> x = autograd.ones(2)
        >>> scatter_reduce_(x, 0, autograd.tensor([1]), autograd.tensor([4.0]), "prod").tolist()
        [1.0, 4.0]
    """
    return apply_inplace(ScatterReduce, x, *_reduce_args(x, dim, index, src, reduce, include_self))


def take_along_dim(x: Tensor, indices: Any, dim: int | None = None) -> Tensor:
    """Pick values along ``dim`` at ``indices`` (which broadcast with ``x`` in the other
    dims), e.g. with the result of ``argsort``/``argmax(keepdim=True)``; over the
    flattened tensor when ``dim`` is None.

    Example:
        >>> import autograd
        >>> x = autograd.tensor([[3.0, 1.0], [0.0, 2.0]])
        >>> autograd.take_along_dim(x, x.argsort(1), 1).tolist()
        [[1.0, 3.0], [0.0, 2.0]]
    """
    if isinstance(indices, Tensor) and indices._data.dtype.kind not in "iu":
        raise RuntimeError(
            f"torch.take_along_dim(): dtype of indices should be Long but got {indices.dtype}"
        )
    idx = index_array(indices, x, "take_along_dim")
    if dim is None:
        flat = Reshape.apply(x, (x._data.size,))
        return gather(flat, 0, _wrap(idx.reshape(-1)))
    if idx.ndim != x._data.ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {x._data.ndim} dimensions for input, and {idx.ndim} "
            "dimensions for indices"
        )
    d = norm_dim(dim, x._data.ndim, "take_along_dim")
    xs, ids = list(x._data.shape), list(idx.shape)
    ids_b = list(broadcast_shapes(tuple(xs[:d] + [ids[d]] + xs[d + 1:]), tuple(ids)))
    xs_b = list(broadcast_shapes(tuple(ids[:d] + [xs[d]] + ids[d + 1:]), tuple(xs)))
    if tuple(xs_b) != x._data.shape:
        x = broadcast_to(x, tuple(xs_b))
    if tuple(ids_b) != idx.shape:
        idx = backend.xp_of(idx).broadcast_to(idx, tuple(ids_b))
    return gather(x, d, _wrap(idx))
