"""Scans along one dimension: cumsum, cumprod, logcumsumexp, cummax, cummin.

``cumprod``'s gradient is exact when the input has zeros, and ``logcumsumexp`` works
in log space both ways (no overflow for large inputs). ``cummax``/``cummin`` return a
``(values, indices)`` namedtuple; the gradient goes to the recorded indices.

Example:
    >>> import autograd
    >>> autograd.cumsum(autograd.tensor([1.0, 2.0, 3.0]), 0).tolist()
    [1.0, 3.0, 6.0]
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..amp import autocast_mode as _amp
from ..function import Op
from ..tensor import Tensor, _wrap
from ._util import norm_dim
from .reduce import result_type, take_along

__all__ = ["cumsum", "cumprod", "logcumsumexp", "cummax", "cummin"]


def _scan_dim(x: Tensor, dim: Any, op: str) -> int | None:
    """The axis to scan (None for a 0-d tensor, whose scan is itself)."""
    if dim is None or isinstance(dim, bool) or not isinstance(dim, (int, Tensor)):
        raise TypeError(f"{op}(): dim must be an int, got {dim!r}")
    d = norm_dim(dim, x._data.ndim, op)
    return d if x._data.ndim else None


def _to_last(t: Tensor, d: int) -> Tensor:
    """``t`` with dim ``d`` moved last (a view)."""
    from .shape import Permute

    nd = t._data.ndim
    if d == nd - 1:
        return t
    return Permute.apply(t, tuple(a for a in range(nd) if a != d) + (d,))


def _flip(t: Tensor, d: int) -> Tensor:
    from .index import GetItem

    return GetItem.apply(t, (slice(None),) * d + (slice(None, None, -1),))


def _accumulate(xp: Any, ufunc_name: str, a: Any, axis: int) -> Any:
    """``ufunc.accumulate`` along ``axis`` for an associative binary ufunc."""
    fn = getattr(xp, ufunc_name)
    if xp is backend.numpy:
        return fn.accumulate(a, axis=axis)
    # CuPy lacks accumulate for most ufuncs: a log-step (Hillis-Steele) scan instead.
    out = xp.moveaxis(a, axis, -1).copy()
    step = 1
    while step < out.shape[-1]:
        out[..., step:] = fn(out[..., step:], out[..., :-step])
        step *= 2
    return xp.moveaxis(out, -1, axis)


# ----------------------------------------------------------------------------- cumsum


class Cumsum(Op):
    @staticmethod
    def forward(ctx: Any, x: Any, d: int, dtype: Any) -> Any:
        ctx.d = d
        return backend.xp_of(x).cumsum(x, axis=d, dtype=dtype)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return _rev_cumsum(grad_out, ctx.d), None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return Cumsum.apply(tx, ctx.d, None)


def _rev_cumsum(t: Tensor, d: int) -> Tensor:
    """``out[i] = sum_{j >= i} t[j]`` along ``d``."""
    return _flip(Cumsum.apply(_flip(t, d), d, None), d)


def _cumulative(op: Any, x: Tensor, dim: Any, dtype: Any, name: str) -> Tensor:
    """cumsum/cumprod: autocast to float32, integers accumulate in int64 (or ``dtype``),
    and a 0-d tensor is its own scan."""
    if _amp.active[0] and dtype is None:  # autocast: a float32 op
        (x,) = _amp.autocast_fp32(x)
    d = _scan_dim(x, dim, name)
    x, acc = _int_to_long(x, dtype)
    if d is None:
        return x.to(acc) if acc is not None else x.clone()
    return op.apply(x, d, acc)


def _int_to_long(x: Tensor, dtype: Any) -> tuple[Tensor, Any]:
    if dtype is not None:
        return x.to(dtype), None
    if x._data.dtype.kind in "biu":
        return x, backend.int64  # PyTorch accumulates integers in int64
    return x, None


def cumsum(x: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running sum along ``dim`` (integers accumulate in int64).

    Example:
        >>> import autograd
        >>> autograd.cumsum(autograd.tensor([[1, 2], [3, 4]]), dim=1).tolist()
        [[1, 3], [3, 7]]
    """
    return _cumulative(Cumsum, x, dim, dtype, "cumsum")


# ----------------------------------------------------------------------------- cumprod


class Shift(Op):
    """Shift along ``d`` by ``k`` places (right when ``k > 0``), filling with ``fill``."""

    @staticmethod
    def forward(ctx: Any, x: Any, d: int, k: int, fill: float) -> Any:
        ctx.d, ctx.k = d, k
        out = backend.xp_of(x).full(x.shape, fill, dtype=x.dtype)
        lead = (slice(None),) * d
        if k > 0:
            out[lead + (slice(k, None),)] = x[lead + (slice(None, -k),)]
        else:
            out[lead + (slice(None, k),)] = x[lead + (slice(-k, None),)]
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return Shift.apply(grad_out, ctx.d, -ctx.k, 0.0), None, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return Shift.apply(tx, ctx.d, ctx.k, 0.0)


def _affine_scan_array(g: Any, a: Any) -> Any:
    """``r[k] = g[k] + a[k] * r[k + 1]`` (``r[n] = 0``) along the last axis, by composing
    the affine maps in log2(n) vectorized steps: no division, so exact with zeros."""
    r, m = g.copy(), a.copy()
    n = g.shape[-1]
    step = 1
    while step < n:
        r[..., : n - step] = r[..., : n - step] + m[..., : n - step] * r[..., step:]
        m[..., : n - step] = m[..., : n - step] * m[..., step:]
        step *= 2
    return r


class AffineScan(Op):
    """``r[k] = g[k] + a[k] * r[k + 1]`` backwards along ``d`` (``r[n] = 0``).

    Its adjoint is the same recurrence run forwards, so every derivative of it is again
    an AffineScan: this carries cumprod's (and prod's) exact gradients with zeros to
    any order, in O(n log n)."""

    saved_inputs = (1,)
    save_output = True

    @staticmethod
    def forward(ctx: Any, g: Any, a: Any, d: int) -> Any:
        ctx.d = d
        xp = backend.xp_of(g)
        r = _affine_scan_array(xp.moveaxis(g, d, -1), xp.moveaxis(a, d, -1))
        return xp.moveaxis(r, -1, d)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        a, r = ctx.saved_tensors
        d = ctx.d
        # s[j] = v[j] + a[j - 1] * s[j - 1]: the forward recurrence, as a flipped scan
        s = _flip(AffineScan.apply(_flip(grad_out, d), _flip(Shift.apply(a, d, 1, 0.0), d), d), d)
        ga = s * Shift.apply(r, d, -1, 0.0) if ctx.needs_input_grad[1] else None
        return s, ga, None

    @staticmethod
    def jvp(ctx: Any, tg: Tensor | None, ta: Tensor | None, _: Any) -> Tensor:
        a, r = ctx.saved_tensors
        base = tg
        if ta is not None:
            extra = ta * Shift.apply(r, ctx.d, -1, 0.0)
            base = extra if base is None else base + extra
        return AffineScan.apply(base, a, ctx.d)


def exclusive_cumprod(x: Tensor, d: int) -> Tensor:
    """``out[i] = prod_{j < i} x[j]`` along ``d`` (differentiable, exact with zeros)."""
    return Cumprod.apply(Shift.apply(x, d, 1, 1.0), d, None)


class Cumprod(Op):
    saved_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any, d: int, dtype: Any) -> Any:
        ctx.d = d
        return backend.xp_of(x).cumprod(x, axis=d, dtype=dtype)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        x, out = ctx.saved_tensors
        d = ctx.d
        if not (x._data == 0).any():
            return _rev_cumsum(grad_out * out, d) / x, None, None
        # gx[k] = prod_{j<k} x[j] * r[k] with r[k] = g[k] + x[k+1] * r[k+1]: no division
        r = AffineScan.apply(grad_out, Shift.apply(x, d, -1, 0.0), d)
        return exclusive_cumprod(x, d) * r, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        x, out = ctx.saved_tensors
        d = ctx.d
        if not (x._data == 0).any():
            return out * Cumsum.apply(tx / x, d, None)
        # t[i] = x[i] * t[i-1] + tx[i] * prod_{j<i} x[j]: the forward recurrence
        v = tx * exclusive_cumprod(x, d)
        return _flip(AffineScan.apply(_flip(v, d), _flip(x, d), d), d)


def cumprod(x: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running product along ``dim``; the gradient is exact when the input has zeros.

    Example:
        >>> import autograd
        >>> x = autograd.tensor([2.0, 0.0, 3.0], requires_grad=True)
        >>> x.cumprod(0).sum().backward()
        >>> x.grad.tolist()
        [1.0, 8.0, 0.0]
    """
    return _cumulative(Cumprod, x, dim, dtype, "cumprod")


# ----------------------------------------------------------------------------- logcumsumexp


class LogCumSumExp(Op):
    """``out[i] = log(sum_{j <= i} exp(x[j]))``. Backward and jvp stay in log space:
    positive and negative parts of the incoming gradient are scanned separately."""

    saved_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any, d: int) -> Any:
        ctx.d = d
        return _accumulate(backend.xp_of(x), "logaddexp", x, d)

    @staticmethod
    def _signed_scan(t: Tensor, shift: Tensor, d: int, reverse: bool) -> list:
        """``sum_j t[j] * exp(shift[j])`` scanned along ``d`` (backwards when
        ``reverse``), as ``exp(lse(log t+ + shift)) - exp(lse(log t- + shift))``."""
        from .binary import where

        pos, neg = t > 0, t < 0
        mag = where(pos | neg, t.abs(), 1.0).log()
        res = []
        for mask in (pos, neg):
            logs = where(mask, mag + shift, float("-inf"))
            if reverse:
                res.append(_flip(LogCumSumExp.apply(_flip(logs, d), d), d))
            else:
                res.append(LogCumSumExp.apply(logs, d))
        return res

    @staticmethod
    def _finite(out: Tensor) -> Tensor:
        """``out`` with -inf (a prefix of -inf inputs) replaced by 0: those positions
        contribute exp(-inf) = 0, as in PyTorch, instead of exp(-inf - -inf) = nan."""
        from .binary import where

        return where(out == float("-inf"), 0.0, out)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        # gx[k] = sum_{i >= k} g[i] * exp(x[k] - out[i])
        x, out = ctx.saved_tensors
        p, n = LogCumSumExp._signed_scan(grad_out, -LogCumSumExp._finite(out), ctx.d, True)
        return (p + x).exp() - (n + x).exp(), None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, _: Any) -> Tensor:
        # t_out[i] = sum_{k <= i} tx[k] * exp(x[k] - out[i])
        x, out = ctx.saved_tensors
        safe = LogCumSumExp._finite(out)
        p, n = LogCumSumExp._signed_scan(tx, x, ctx.d, False)
        return (p - safe).exp() - (n - safe).exp()


def logcumsumexp(x: Tensor, dim: int) -> Tensor:
    """``log(cumsum(exp(x)))`` along ``dim`` without overflow or underflow.

    Example:
        >>> import autograd
        >>> autograd.logcumsumexp(autograd.tensor([0.0, 0.0]), 0).tolist()  # doctest: +ELLIPSIS
        [0.0, 0.693...]
    """
    d = _scan_dim(x, dim, "logcumsumexp")
    if x._data.dtype.kind != "f":
        raise RuntimeError(
            f"logcumsumexp(): expected a real floating point input, got {x.dtype}; convert "
            "it first, e.g. x.float()"
        )
    if d is None:
        return x.clone()
    return LogCumSumExp.apply(x, d)


# ----------------------------------------------------------------------------- cummax / cummin


def _cum_indices(a: Any, d: int, largest: bool) -> Any:
    """Indices of the running max/min along ``d``: the latest position holding the
    current value (ties move the index forward, and NaN, once seen, is the value and
    every later NaN a tie, as PyTorch)."""
    xp = backend.xp_of(a)
    a = xp.moveaxis(a, d, -1)
    n = a.shape[-1]
    pos = xp.arange(n).reshape((1,) * (a.ndim - 1) + (n,))
    run = _accumulate(xp, "maximum" if largest else "minimum", a, a.ndim - 1)
    hit = a == run
    if a.dtype.kind in "fc":
        hit |= xp.isnan(a)
    last = _accumulate(xp, "maximum", xp.where(hit, pos, -1), a.ndim - 1)
    return xp.moveaxis(xp.asarray(last, dtype=backend.int64), -1, d)


def _cum_select(x: Tensor, dim: int, largest: bool, op: str) -> Any:
    d = _scan_dim(x, dim, op)
    rt = result_type(op)
    xp = backend.xp_of(x._data)
    if d is None:
        return rt(x.clone(), _wrap(xp.zeros((), dtype=backend.int64)))
    if x._data.size == 0:
        return rt(x.clone(), _wrap(xp.zeros(x._data.shape, dtype=backend.int64)))
    idx = _cum_indices(x._data, d, largest)
    return rt(take_along(x, idx, d), _wrap(idx))


def cummax(x: Tensor, dim: int) -> Any:
    """Running maximum along ``dim``: a ``(values, indices)`` namedtuple.

    Example:
        >>> import autograd
        >>> r = autograd.cummax(autograd.tensor([1.0, 3.0, 2.0, 3.0]), 0)
        >>> r.values.tolist(), r.indices.tolist()
        ([1.0, 3.0, 3.0, 3.0], [0, 1, 1, 3])
    """
    return _cum_select(x, dim, True, "cummax")


def cummin(x: Tensor, dim: int) -> Any:
    """Running minimum along ``dim``: a ``(values, indices)`` namedtuple.

    Example:
        >>> import autograd
        >>> autograd.cummin(autograd.tensor([2.0, 3.0, 1.0]), 0).values.tolist()
        [2.0, 2.0, 1.0]
    """
    return _cum_select(x, dim, False, "cummin")

