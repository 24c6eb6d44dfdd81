"""Fused loss ops for ``autograd.nn.functional``: cross-entropy (log-softmax + NLL in
one stable pass, class indices or class probabilities, class weights, ignore_index,
label smoothing), NLL and binary cross-entropy. Their public entry points live in
``autograd/nn/functional/loss.py``.

The input is laid out (N, C, d1, …) with classes on dim 1; reductions are
``'none'`` (per-sample losses, shape (N, d1, …)), ``'sum'`` and ``'mean'`` (divided by
the total weight of the non-ignored targets for class indices, by the number of
samples for probabilities).

Example:
    >>> import autograd
    >>> import autograd.nn.functional as F
    >>> x = autograd.tensor([[0.0, 0.0]], requires_grad=True)
    >>> loss = F.cross_entropy(x, autograd.tensor([1]))
    >>> round(loss.item(), 4)
    0.6931
    >>> loss.backward()
    >>> x.grad.tolist()
    [[0.5, -0.5]]
"""

from __future__ import annotations

import math
from typing import Any

from .. import backend
from ..function import Op
from ..grad_mode import is_grad_enabled
from ..tensor import Tensor, _wrap

__all__: list[str] = []


def _class_shape(ndim: int, c: int) -> tuple:
    """Shape that broadcasts a per-class vector over (N, C, d1, …)."""
    return (1, c) + (1,) * (ndim - 2)


def _index_parts(xp: Any, t: Any, w: Any, ignore_index: int, dtype: Any) -> tuple:
    """For class-index targets: the safe targets (ignored -> 0), the per-sample target
    weight w[t] (0 where ignored) and the validity mask."""
    valid = t != ignore_index
    t_safe = xp.where(valid, t, 0)
    wt = (w[t_safe] if w is not None else xp.ones(t.shape, dtype=dtype)) * valid
    return t_safe, wt.astype(dtype, copy=False), valid


def _index_q(xp: Any, shape: tuple, dtype: Any, t: Any, w: Any, ignore_index: int,
             eps: float) -> Any:
    """The dense per-sample target weights q[n, c] with loss = -sum_c q[n, c] logp[n, c]."""
    c = shape[1]
    t_safe, wt, valid = _index_parts(xp, t, w, ignore_index, dtype)
    classes = xp.arange(c).reshape(_class_shape(len(shape), c))
    q = ((classes == t_safe[:, None]) * ((1.0 - eps) * wt)[:, None]).astype(dtype, copy=False)
    if eps:
        wc = (w if w is not None else xp.ones(c, dtype=dtype)).reshape(_class_shape(len(shape), c))
        q += (eps / c) * wc * valid[:, None]
    return q


def _reduce_array(xp: Any, loss: Any, reduction: str, denom: float) -> Any:
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return xp.asarray(total, dtype=loss.dtype)
    if denom == 0:
        return xp.asarray(math.nan, dtype=loss.dtype)
    return xp.asarray(total / denom, dtype=loss.dtype)


def _reduce_tensor(per: Tensor, reduction: str, denom: float) -> Tensor:
    if reduction == "none":
        return per
    total = per.sum()
    if reduction == "sum":
        return total
    return total / denom if denom else total * math.nan


def _scale(grad_out: Tensor, reduction: str, denom: float) -> Tensor:
    """grad_out as a factor that broadcasts over (N, C, d1, …)."""
    if reduction == "none":
        return grad_out.unsqueeze(1)
    if reduction == "sum":
        return grad_out
    return grad_out / denom if denom else grad_out * math.nan


def _log_softmax_t(x: Tensor) -> Tensor:
    """log_softmax over dim 1 written with Tensor ops (differentiable again); the shift
    by the row max is a constant, which leaves the derivatives unchanged."""
    m = _wrap(backend.xp_of(x._data).max(x._data, axis=1, keepdims=True))
    z = x - m
    return z - z.exp().sum(1, keepdim=True).log()


class CrossEntropy(Op):
    """loss_n = -sum_c q[n, c] · log_softmax(x)[n, c]; d loss / d x = softmax · sum(q) - q.

    ``target`` holds class indices (N, d1, …) or probabilities (N, C, d1, …) (``soft``);
    ``weight`` is a per-class array or None.
    """

    saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx: Any, x: Any, target: Any, weight: Any, ignore_index: int, eps: float,
                reduction: str, soft: bool) -> Any:
        xp = backend.xp_of(x)
        c = x.shape[1]
        w = None if weight is None else weight.astype(x.dtype, copy=False)
        ctx.w, ctx.ignore_index, ctx.eps, ctx.reduction, ctx.soft = w, ignore_index, eps, reduction, soft
        z = x - x.max(axis=1, keepdims=True)
        logp = z - xp.log(xp.exp(z).sum(axis=1, keepdims=True))
        ctx.logp = logp  # reused by the first-order backward
        if soft:
            p = target * (1.0 - eps) + eps / c if eps else target
            q = p * w.reshape(_class_shape(x.ndim, c)) if w is not None else p
            loss = -(q * logp).sum(axis=1)
            ctx.denom = float(x.size // c) if c else 0.0
        else:
            t_safe, wt, valid = _index_parts(xp, target, w, ignore_index, x.dtype)
            picked = xp.take_along_axis(logp, t_safe[:, None], axis=1)[:, 0]
            loss = -(1.0 - eps) * wt * picked
            if eps:
                wc = logp * w.reshape(_class_shape(x.ndim, c)) if w is not None else logp
                loss = loss - (eps / c) * valid * wc.sum(axis=1)
            ctx.denom = float(wt.sum())
        return _reduce_array(xp, loss.astype(x.dtype, copy=False), reduction, ctx.denom)

    @staticmethod
    def _parts(ctx: Any, x: Tensor, target: Tensor) -> tuple:
        """(logp, q, w as a broadcastable Tensor or None) for backward and jvp."""
        c = x.shape[1]
        logp = _log_softmax_t(x)
        wb = None if ctx.w is None else _wrap(ctx.w.reshape(_class_shape(x.ndim, c)))
        if ctx.soft:
            p = target * (1.0 - ctx.eps) + ctx.eps / c if ctx.eps else target
            q = p * wb if wb is not None else p
        else:
            xp = backend.xp_of(x._data)
            q = _wrap(_index_q(xp, x.shape, x.dtype, target._data, ctx.w, ctx.ignore_index, ctx.eps))
        return logp, q, wb

    @staticmethod
    def _fast_grad_x(ctx: Any, target: Tensor, grad_out: Tensor) -> Tensor:
        """First-order d loss / d x on arrays, from the saved log-probabilities."""
        logp = ctx.logp
        xp = backend.xp_of(logp)
        c = logp.shape[1]
        if ctx.soft:
            t = target._data
            q = t * (1.0 - ctx.eps) + ctx.eps / c if ctx.eps else t
            if ctx.w is not None:
                q = q * ctx.w.reshape(_class_shape(logp.ndim, c))
        else:
            q = _index_q(xp, logp.shape, logp.dtype, target._data, ctx.w, ctx.ignore_index, ctx.eps)
        g = grad_out._data
        if ctx.reduction == "none":
            g = g[:, None]
        elif ctx.reduction == "mean":
            g = g / ctx.denom if ctx.denom else g * math.nan
        gx = xp.exp(logp)
        gx *= q.sum(axis=1, keepdims=True)
        gx -= q
        gx *= g
        return _wrap(gx.astype(logp.dtype, copy=False))

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        x, target = ctx.saved_tensors
        nig = ctx.needs_input_grad
        if not is_grad_enabled() and not (ctx.soft and nig[1]):
            return CrossEntropy._fast_grad_x(ctx, target, grad_out), None, None, None, None, None, None
        logp, q, wb = CrossEntropy._parts(ctx, x, target)
        s = _scale(grad_out, ctx.reduction, ctx.denom)
        gx = gt = None
        if nig[0]:
            gx = (logp.exp() * q.sum(1, keepdim=True) - q) * s
        if ctx.soft and nig[1]:
            g = logp * wb if wb is not None else logp
            gt = g * (-(1.0 - ctx.eps)) * s
        return gx, gt, None, None, None, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor | None, tt: Tensor | None, *_: Any) -> Tensor:
        x, target = ctx.saved_tensors
        logp, q, wb = CrossEntropy._parts(ctx, x, target)
        per = None
        if tx is not None:
            per = ((logp.exp() * q.sum(1, keepdim=True) - q) * tx).sum(1)
        if ctx.soft and tt is not None:
            g = logp * wb if wb is not None else logp
            part = (g * tt).sum(1) * (-(1.0 - ctx.eps))
            per = part if per is None else per + part
        return _reduce_tensor(per, ctx.reduction, ctx.denom)


class NllLoss(Op):
    """loss_n = -w[t_n] · x[n, t_n] (0 where t_n == ignore_index); linear in x."""

    saved_inputs = (1,)

    @staticmethod
    def forward(ctx: Any, x: Any, target: Any, weight: Any, ignore_index: int,
                reduction: str) -> Any:
        xp = backend.xp_of(x)
        w = None if weight is None else weight.astype(x.dtype, copy=False)
        ctx.w, ctx.ignore_index, ctx.reduction, ctx.shape = w, ignore_index, reduction, x.shape
        t_safe, wt, _ = _index_parts(xp, target, w, ignore_index, x.dtype)
        loss = -wt * xp.take_along_axis(x, t_safe[:, None], axis=1)[:, 0]
        ctx.denom = float(wt.sum())
        return _reduce_array(xp, loss.astype(x.dtype, copy=False), reduction, ctx.denom)

    @staticmethod
    def _q(ctx: Any, like: Tensor) -> Tensor:
        (target,) = ctx.saved_tensors
        xp = backend.xp_of(like._data)
        return _wrap(_index_q(xp, ctx.shape, like.dtype, target._data, ctx.w, ctx.ignore_index, 0.0))

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        gx = -(NllLoss._q(ctx, grad_out) * _scale(grad_out, ctx.reduction, ctx.denom))
        return gx, None, None, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        per = -(NllLoss._q(ctx, tx) * tx).sum(1)
        return _reduce_tensor(per, ctx.reduction, ctx.denom)


class BinaryCrossEntropy(Op):
    """Elementwise -w · (t · log x + (1 - t) · log(1 - x)), logs clamped at -100 as in
    PyTorch; d/dx = w · (x - t) / max(x (1 - x), 1e-12)."""

    saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx: Any, x: Any, t: Any, weight: Any) -> Any:
        xp = backend.xp_of(x)
        ctx.w = None if weight is None else weight.astype(x.dtype, copy=False)
        with _quiet(xp):
            logx = xp.maximum(xp.log(x), -100.0)
            log1mx = xp.maximum(xp.log1p(-x), -100.0)
        loss = -(t * logx + (1.0 - t) * log1mx)
        if ctx.w is not None:
            loss = loss * ctx.w
        return loss.astype(x.dtype, copy=False)

    @staticmethod
    def _derivs(ctx: Any, x: Tensor, t: Tensor, need_x: bool, need_t: bool) -> tuple:
        w = None if ctx.w is None else _wrap(ctx.w)
        dx = dt = None
        if need_x:
            dx = (x - t) / (x * (1.0 - x)).clamp(min=1e-12)
            dx = dx * w if w is not None else dx
        if need_t:
            dt = (1.0 - x).log().clamp(min=-100.0) - x.log().clamp(min=-100.0)
            dt = dt * w if w is not None else dt
        return dx, dt

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        x, t = ctx.saved_tensors
        nig = ctx.needs_input_grad
        dx, dt = BinaryCrossEntropy._derivs(ctx, x, t, nig[0], nig[1])
        return (grad_out * dx if dx is not None else None,
                grad_out * dt if dt is not None else None, None)

    @staticmethod
    def jvp(ctx: Any, tx: Tensor | None, tt: Tensor | None, _: Any) -> Tensor:
        x, t = ctx.saved_tensors
        dx, dt = BinaryCrossEntropy._derivs(ctx, x, t, tx is not None, tt is not None)
        out = tx * dx if tx is not None else None
        if tt is not None:
            out = tt * dt if out is None else out + tt * dt
        return out


class _quiet:
    """Silence NumPy's divide-by-zero warning for log(0) (the result is clamped)."""

    def __init__(self, xp: Any) -> None:
        self.ctx = xp.errstate(divide="ignore") if hasattr(xp, "errstate") else None

    def __enter__(self) -> None:
        if self.ctx is not None:
            self.ctx.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self.ctx is not None:
            self.ctx.__exit__(*exc)
