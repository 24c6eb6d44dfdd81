"""The softmax family: logsumexp, softmax, log_softmax. Each is one fused op, shifted
by the max for stability, with hand-written backward and jvp (written with Tensor
ops, so higher derivatives work).

Example:
    >>> import autograd
    >>> x = autograd.tensor([1.0, 2.0, 3.0])
    >>> round(autograd.softmax(x, 0).sum().item(), 6)
    1.0
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..amp import autocast_mode as _amp
from ..function import Op, fw_state
from ..grad_mode import state as _grad_state
from ..tensor import Tensor, _wrap
from .reduce import Sum, _keepdim_shape, expand_back, reduce_dims

__all__ = ["logsumexp", "softmax", "log_softmax"]


# ----------------------------------------------------------------------------- logsumexp


class LogSumExp(Op):
    saved_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any, dims: tuple, keepdim: bool) -> Any:
        ctx.dims, ctx.keepdim = dims, keepdim
        xp = backend.xp_of(x)
        if x.size:
            m = xp.amax(x, axis=dims, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0)  # all -inf (or an inf) slices: no shift
        else:
            m = xp.zeros(_keepdim_shape(x.shape, dims), dtype=x.dtype)
        with backend.numpy.errstate(divide="ignore", invalid="ignore"):
            out = xp.log(xp.exp(x - m).sum(axis=dims, keepdims=True)) + m
        return out if keepdim else out.reshape(tuple(s for i, s in enumerate(out.shape) if i not in dims))

    @staticmethod
    def _weights(ctx: Any) -> Tensor:
        x, out = ctx.saved_tensors
        return (x - expand_back(out, x._data.shape, ctx.dims, ctx.keepdim)).exp()

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        w = LogSumExp._weights(ctx)
        return expand_back(grad_out, w._data.shape, ctx.dims, ctx.keepdim) * w, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return Sum.apply(tx * LogSumExp._weights(ctx), ctx.dims, ctx.keepdim, None)


def logsumexp(x: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, computed without overflow.

    Example:
        >>> import autograd
        >>> autograd.logsumexp(autograd.tensor([1000.0, 1000.0]), 0).item()  # doctest: +ELLIPSIS
        1000.693...
    """
    if _amp.active[0]:  # autocast: a float32 op
        (x,) = _amp.autocast_fp32(x)
    if x._data.dtype.kind in "biu":
        x = x.to(backend.get_default_dtype())
    return LogSumExp.apply(x, reduce_dims(x, dim, "logsumexp"), keepdim)


# ----------------------------------------------------------------------------- softmax


def _softmax_input(x: Tensor, dim: Any, dtype: Any, op: str) -> tuple[Tensor, tuple]:
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind != "f":
        raise RuntimeError(
            f"{op}(): expected a floating point input, got {x.dtype}; pass dtype= (e.g. "
            f"{op}(x, dim, dtype=autograd.float32)) or convert with x.float()"
        )
    if dim is None or not isinstance(dim, int):
        raise TypeError(f"{op}(): dim must be an int, got {dim!r}")
    return x, reduce_dims(x, dim, op)


def _plain(*ts: Tensor) -> bool:
    """True when a backward may run on raw arrays: nothing will differentiate it again
    (no graph being recorded through these tensors, no forward-AD tangents)."""
    if fw_state.level >= 0:
        return False
    return not _grad_state.enabled or not any(t._rg for t in ts)


class Softmax(Op):
    """Fused, shifted by the max: ``backward = out * (g - sum(g * out))``."""

    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any, dims: tuple) -> Any:
        ctx.dims = dims
        if x.size == 0:
            return x.copy()
        xp = backend.xp_of(x)
        e = xp.asarray(x - xp.amax(x, axis=dims, keepdims=True))  # 0-d: an array, not a scalar
        xp.exp(e, out=e)
        e /= e.sum(axis=dims, keepdims=True)
        return e

    @staticmethod
    def _apply_jac(ctx: Any, t: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        if _plain(t, out):  # one fused pass on the arrays, one temporary
            xp = backend.xp_of(out._data)
            gx = xp.asarray(t._data * out._data)
            xp.subtract(t._data, gx.sum(axis=ctx.dims, keepdims=True), out=gx)
            gx *= out._data
            return _wrap(gx)
        return out * (t - Sum.apply(t * out, ctx.dims, True, None))

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return Softmax._apply_jac(ctx, grad_out), None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, _: Any) -> Tensor:
        return Softmax._apply_jac(ctx, tx)


class LogSoftmax(Op):
    """Fused: ``out = x - max - log(sum(exp(x - max)))``; ``backward = g - softmax * sum(g)``."""

    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any, dims: tuple) -> Any:
        ctx.dims = dims
        if x.size == 0:
            return x.copy()
        xp = backend.xp_of(x)
        shifted = xp.asarray(x - xp.amax(x, axis=dims, keepdims=True))
        shifted -= xp.log(xp.exp(shifted).sum(axis=dims, keepdims=True))
        return shifted

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        (out,) = ctx.saved_tensors
        if _plain(grad_out, out):
            g = grad_out._data
            xp = backend.xp_of(g)
            gx = xp.asarray(xp.exp(out._data))
            gx *= g.sum(axis=ctx.dims, keepdims=True)
            xp.subtract(g, gx, out=gx)
            return _wrap(gx), None
        return grad_out - out.exp() * Sum.apply(grad_out, ctx.dims, True, None), None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, _: Any) -> Tensor:
        (out,) = ctx.saved_tensors
        return tx - Sum.apply(tx * out.exp(), ctx.dims, True, None)


def softmax(x: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim`` (stable; ``dtype`` casts the input first).

    Example:
        >>> import autograd
        >>> autograd.softmax(autograd.tensor([0.0, 0.0]), 0).tolist()
        [0.5, 0.5]
    """
    if _amp.active[0] and dtype is None:  # autocast: a float32 op
        (x,) = _amp.autocast_fp32(x)
    x, dims = _softmax_input(x, dim, dtype, "softmax")
    return Softmax.apply(x, dims)


def log_softmax(x: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed stably in one op.

    Example:
        >>> import autograd
        >>> autograd.log_softmax(autograd.tensor([0.0, 0.0]), 0).exp().tolist()
        [0.5, 0.5]
    """
    if _amp.active[0] and dtype is None:
        (x,) = _amp.autocast_fp32(x)
    x, dims = _softmax_input(x, dim, dtype, "log_softmax")
    return LogSoftmax.apply(x, dims)
