"""Normalization (mirrors ``torch.nn.functional`` batch_norm, layer_norm, group_norm,
instance_norm, rms_norm).

The centring and scaling ``(x - mean) / sqrt(var + eps)`` over some dims is one fused
op (``Normalize``): its forward makes one pass for the statistics and one for the
output, and its backward is the closed form
``rstd * (g - mean(g) - xhat * mean(g * xhat))``. When a graph of the backward itself
is needed (``create_graph=True`` or forward-mode AD), the statistics are rebuilt from
Tensor ops, so second derivatives are exact.

Example:
    >>> import autograd
    >>> import autograd.nn.functional as F
    >>> y = F.layer_norm(autograd.tensor([[1.0, 2.0, 3.0]]), (3,))
    >>> [round(v, 4) for v in y[0].tolist()]
    [-1.2247, 0.0, 1.2247]
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from ... import backend
from ...amp import autocast_mode as _amp
from ...function import Op, fw_state
from ...grad_mode import no_grad
from ...grad_mode import state as _grad_state
from ...tensor import Tensor, _wrap
from ._window import check_float, check_tensor

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm"]

_ndarray = backend.numpy.ndarray
_DOT_DTYPES = (backend.float32, backend.float64)


class Normalize(Op):
    """``(x - mean(x)) * rsqrt(var(x) + eps)`` over ``dims`` (biased variance).

    ``stats``, when a list, receives the ``(mean, var)`` arrays (keepdim shape) so
    callers can update running statistics without another pass.
    """

    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any, dims: tuple, eps: float, stats: list | None) -> Any:
        xp = backend.xp_of(x)
        mean = x.mean(axis=dims, keepdims=True)
        xc = x - mean
        var = _mean_of_product(xc, xc, dims)
        rstd = 1.0 / xp.sqrt(var + eps)
        ctx.dims, ctx.eps, ctx.mean, ctx.rstd = dims, eps, mean, rstd
        if stats is not None:
            stats.extend((mean, var))
        xc *= rstd
        return xc

    @staticmethod
    def _parts(ctx: Any, x: Tensor) -> tuple[Tensor, Tensor]:
        """``xhat`` and ``rstd``: as constants from the forward's statistics, or rebuilt
        with Tensor ops when the backward/jvp must itself be differentiable."""
        if _grad_state.enabled or fw_state.level >= 0:
            xc = x - x.mean(ctx.dims, keepdim=True)
            rstd = ((xc * xc).mean(ctx.dims, keepdim=True) + ctx.eps).rsqrt()
            return xc * rstd, rstd
        rstd = _wrap(ctx.rstd)
        return (x - _wrap(ctx.mean)) * rstd, rstd

    @staticmethod
    def _project(ctx: Any, x: Tensor, g: Tensor) -> Tensor:
        # The Jacobian rstd * (I - 11ᵀ/n - xhat xhatᵀ/n) is symmetric: one formula
        # serves as both the vector-Jacobian and the Jacobian-vector product.
        xhat, rstd = Normalize._parts(ctx, x)
        dims = ctx.dims
        return (g - g.mean(dims, keepdim=True) - xhat * (g * xhat).mean(dims, keepdim=True)) * rstd

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        (x,) = ctx.saved_tensors
        return Normalize._project(ctx, x, grad_out), None, None, None

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> tuple:
        """``rstd * (g - mean(g) - xhat * mean(g * xhat))`` on arrays, from the forward's
        statistics, with one new large array (the result)."""
        (x,) = ctx.saved_arrays
        dims, rstd = ctx.dims, ctx.rstd
        gx = x - ctx.mean  # xhat / rstd
        g_mean = g.mean(axis=dims, keepdims=True)
        # xhat * mean(g * xhat) = gx * rstd² * mean(g * gx)
        gx *= -(rstd * rstd) * _mean_of_product(g, gx, dims)
        gx += g
        gx -= g_mean
        gx *= rstd
        return gx, None, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        (x,) = ctx.saved_tensors
        return Normalize._project(ctx, x, tx)


class LayerNorm(Op):
    """``Normalize`` over the trailing ``dims`` fused with the elementwise affine
    ``* weight + bias`` (each of the normalized shape, or None), as PyTorch's
    native_layer_norm: one new array forward, two backward (NumPy: the weight's
    gradient is one ``einsum`` over the rows, no product array)."""

    backward_name = "NativeLayerNormBackward"
    saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx: Any, x: Any, weight: Any, bias: Any, dims: tuple, eps: float) -> Any:
        out = Normalize.forward(ctx, x, dims, eps, None)
        if weight is not None:
            out *= weight
        if bias is not None:
            out += bias
        return out

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> tuple:
        x, w = ctx.saved_arrays
        dims, rstd = ctx.dims, ctx.rstd
        edges = ctx._edges
        xhat = x - ctx.mean
        xhat *= rstd
        lead = tuple(range(x.ndim - len(dims)))
        gx = gw = gb = None
        if edges[1]:
            gw = _sum_of_product(g, xhat, lead)
        if edges[2]:
            gb = g.sum(axis=lead)
        if edges[0]:
            # rstd * (gy - mean(gy) - xhat * mean(gy * xhat)), gy = g * weight
            gy = g * w if w is not None else g
            gy_mean = gy.mean(axis=dims, keepdims=True)
            xhat *= -_mean_of_product(gy, xhat, dims)
            if gy is g:
                gx = g - gy_mean
            else:
                gx = gy
                gx -= gy_mean
            gx += xhat
            gx *= rstd
        return gx, gw, gb, None, None

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        from ...ops.shape import sum_to

        x, w = ctx.saved_tensors
        nig = ctx.needs_input_grad
        gx = gw = gb = None
        if nig[0]:
            gx = Normalize._project(ctx, x, grad_out * w if w is not None else grad_out)
        if nig[1]:
            xhat, _ = Normalize._parts(ctx, x)
            gw = sum_to(grad_out * xhat, tuple(w.shape))
        if nig[2]:
            gb = sum_to(grad_out, tuple(x.shape[x.ndim - len(ctx.dims):]))
        return gx, gw, gb, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor | None, tw: Tensor | None, tb: Tensor | None,
            *_: Any) -> Tensor:
        from ...ops._util import expand_to

        x, w = ctx.saved_tensors
        res = None
        if tx is not None:
            res = Normalize._project(ctx, x, tx)
            if w is not None:
                res = res * w
        if tw is not None:
            xhat, _ = Normalize._parts(ctx, x)
            t = xhat * tw
            res = t if res is None else res + t
        if tb is not None:
            res = tb if res is None else res + tb
        return expand_to(res, ctx._fw_out.shape)


def _sum_of_product(a: Any, b: Any, axes: tuple) -> Any:
    """``sum(a * b)`` over the leading ``axes``, without a product array on NumPy."""
    if a.__class__ is _ndarray and b.__class__ is _ndarray and a.shape == b.shape \
            and a.dtype == b.dtype and a.dtype in _DOT_DTYPES:
        k = len(axes)
        n = math.prod(a.shape[k:])
        rows = math.prod(a.shape[:k])
        out = backend.numpy.einsum("ij,ij->j", a.reshape(rows, n), b.reshape(rows, n))
        return out.reshape(a.shape[k:])
    return (a * b).sum(axis=axes)


def _mean_of_product(a: Any, b: Any, dims: tuple) -> Any:
    """``mean(a * b)`` over ``dims`` (keepdim shape) without an ``a * b`` temporary:
    one dot product per row when ``dims`` are the trailing dims of float NumPy arrays."""
    nd = a.ndim
    k = len(dims)
    if (a.__class__ is _ndarray and b.__class__ is _ndarray and a.shape == b.shape
            and a.dtype == b.dtype and a.dtype in _DOT_DTYPES
            and tuple(d % nd for d in dims) == tuple(range(nd - k, nd))):
        n = math.prod(a.shape[nd - k:])
        if n:
            dots = backend.numpy.vecdot(a.reshape(-1, n), b.reshape(-1, n))
            dots /= n
            return dots.reshape(a.shape[:nd - k] + (1,) * k)
    return (a * b).mean(axis=dims, keepdims=True)


def _channel_view(t: Tensor, ndim: int) -> Tensor:
    """A per-channel ``(C,)`` tensor shaped to broadcast over ``(N, C, *)``."""
    return t.reshape((1, t.shape[0]) + (1,) * (ndim - 2))


def _affine(out: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def _check_channels(name: str, t: Tensor | None, c: int) -> None:
    if t is not None and t.numel() != c:
        raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")


def _channel_views(ndim: int, *ts: Tensor | None) -> list[Tensor | None]:
    """Each per-channel tensor (or ``None``) shaped to broadcast over ``(N, C, *)``."""
    return [_channel_view(t, ndim) if t is not None else None for t in ts]


def _channel_args(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
                  weight: Tensor | None, bias: Tensor | None) -> tuple:
    """Check batch/instance norm's per-channel arguments against ``input``'s channels;
    returns ``(C, weight, bias)`` with the affine pair shaped for broadcasting."""
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_channels(name, t, c)
    return (c, *_channel_views(input.ndim, weight, bias))


def _update_running(running: Tensor | None, stat: Any, momentum: float) -> None:
    """``running = (1 - momentum) * running + momentum * stat``, in place."""
    if running is None:
        return
    xp = backend.xp_of(stat)
    new = _wrap(xp.asarray(stat.reshape(running.shape), dtype=running.dtype))
    with no_grad():
        running.mul_(1.0 - momentum).add_(new, alpha=momentum)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel of ``(N, C, *)`` over the batch and spatial dims.

    In training, batch statistics are used and ``running_mean``/``running_var`` (when
    given) are updated in place with ``momentum`` (the variance unbiased, as PyTorch);
    otherwise the running statistics are used.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> rm, rv = autograd.zeros(2), autograd.ones(2)
        >>> x = autograd.tensor([[1.0, 2.0], [3.0, 6.0]])
        >>> F.batch_norm(x, rm, rv, training=True).abs().round(decimals=3).tolist()
        [[1.0, 1.0], [1.0, 1.0]]
        >>> [round(v, 4) for v in rm.tolist()]
        [0.2, 0.4]
    """
    check_tensor(input, "input", "batch_norm")
    check_float(input, "batch_norm")
    if input.ndim < 2:
        raise ValueError(
            f"batch_norm: expected 2D or higher input (N, C, *), got input of size {list(input.shape)}"
        )
    c, w, b = _channel_args(input, running_mean, running_var, weight, bias)
    nd = input.ndim
    if training:
        count = input.numel() // c
        if count <= 1:
            raise ValueError(
                "Expected more than 1 value per channel when training, got input size "
                f"{list(input.shape)}"
            )
        dims = (0,) + tuple(range(2, nd))
        stats: list = []
        out = Normalize.apply(input, dims, float(eps), stats)
        mean, var = stats
        _update_running(running_mean, mean, momentum)
        _update_running(running_var, var * (count / (count - 1)), momentum)
        return _affine(out, w, b)
    if running_mean is None or running_var is None:
        raise RuntimeError(
            "batch_norm: running_mean and running_var must be given when training=False "
            "(evaluation uses the running statistics)"
        )
    # eval: one scale and one shift per channel, two passes over the input.
    rm = _channel_view(running_mean.to(input.dtype), nd)
    scale = (_channel_view(running_var.to(input.dtype), nd) + eps).rsqrt()
    if w is not None:
        scale = scale * w
    shift = -rm * scale
    if b is not None:
        shift = shift + b
    return input * scale + shift


def _norm_dims(input: Tensor, normalized_shape: Any, op: str) -> tuple[tuple, tuple]:
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (int(normalized_shape),)
    shape = tuple(int(s) for s in normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[-k:]) != shape:
        sep = ", " if op == "layer_norm" else ""
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*{sep}{', '.join(map(str, shape))}], but got input of size{list(input.shape)}"
        )
    return shape, tuple(range(input.ndim - k, input.ndim))


def _check_param(name: str, t: Tensor | None, shape: tuple) -> None:
    if t is not None and tuple(t.shape) != shape:
        raise RuntimeError(
            f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
            f"{list(t.shape)} and normalized_shape = {list(shape)}"
        )


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize over the trailing ``normalized_shape`` dims, then scale and shift
    elementwise by ``weight`` and ``bias`` (of that shape).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.layer_norm(autograd.randn(2, 5, 4), (4,)).mean(-1).abs().max().item() < 1e-6
        True
    """
    if _amp.active[0]:  # autocast: a float32 op
        input, weight, bias = _amp.autocast_fp32(input, weight, bias)
    check_tensor(input, "input", "layer_norm")
    check_float(input, "layer_norm")
    shape, dims = _norm_dims(input, normalized_shape, "layer_norm")
    _check_param("weight", weight, shape)
    _check_param("bias", bias, shape)
    dt = input._data.dtype
    if (weight is None or weight._data.dtype == dt) and (bias is None or bias._data.dtype == dt):
        return LayerNorm.apply(input, weight, bias, dims, float(eps))
    return _affine(Normalize.apply(input, dims, float(eps), None), weight, bias)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Split the channels of ``(N, C, *)`` into ``num_groups`` groups and normalize each
    group of each sample; ``weight``/``bias`` are per channel.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.group_norm(autograd.randn(2, 6, 3), 3).shape
        (2, 6, 3)
    """
    if _amp.active[0]:
        input, weight, bias = _amp.autocast_fp32(input, weight, bias)
    check_tensor(input, "input", "group_norm")
    check_float(input, "group_norm")
    if input.ndim < 2:
        raise RuntimeError(
            f"group_norm: expected input of shape (N, C, *), got input of size {list(input.shape)}"
        )
    n, c = input.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {list(input.shape)} and num_groups={num_groups}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.shape[0] != c):
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in "
                f"input, but got {name} of shape {list(t.shape)} and input of shape "
                f"{list(input.shape)}"
            )
    grouped = input.reshape(n, num_groups, -1)
    out = Normalize.apply(grouped, (2,), float(eps), None).reshape(input.shape)
    return _affine(out, *_channel_views(input.ndim, weight, bias))


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel of each sample of ``(N, C, *)`` over its spatial dims;
    with ``use_input_stats=False`` use the running statistics instead.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.instance_norm(autograd.randn(2, 3, 5)).mean(-1).abs().max().item() < 1e-6
        True
    """
    check_tensor(input, "input", "instance_norm")
    check_float(input, "instance_norm")
    if input.ndim < 3:
        raise ValueError(
            "instance_norm: expected input of shape (N, C, *spatial) with at least one spatial "
            f"dim, got input of size {list(input.shape)}"
        )
    c, w, b = _channel_args(input, running_mean, running_var, weight, bias)
    nd = input.ndim
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    count = 1
    for s in input.shape[2:]:
        count *= s
    if count <= 1:
        raise ValueError(
            "Expected more than 1 spatial element when training, got input size "
            f"{list(input.shape)}"
        )
    stats: list = []
    out = Normalize.apply(input, tuple(range(2, nd)), float(eps), stats)
    mean, var = stats
    _update_running(running_mean, mean.mean(axis=0), momentum)
    _update_running(running_var, var.mean(axis=0) * (count / (count - 1)), momentum)
    return _affine(out, w, b)


def rms_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """``x / sqrt(mean(x**2) + eps) * weight`` over the trailing ``normalized_shape``
    dims; ``eps`` defaults to the dtype's machine epsilon, as in PyTorch.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> y = F.rms_norm(autograd.tensor([[3.0, 4.0]]), (2,))  # rms = sqrt(12.5)
        >>> [round(v, 4) for v in y[0].tolist()]
        [0.8485, 1.1314]
    """
    check_tensor(input, "input", "rms_norm")
    check_float(input, "rms_norm")
    shape, dims = _norm_dims(input, normalized_shape, "rms_norm")
    _check_param("weight", weight, shape)
    if eps is None:
        eps = float(backend.numpy.finfo(input.dtype).eps)
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out
