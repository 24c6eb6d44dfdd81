"""Sliding-window ops: convolution (im2col + one batched matmul), unfold/fold, window
sums (average pooling) and per-plane gathers (max pooling).

All ops work on 2-D spatial layouts ``(N, C, H, W)``; the 1-D variants reshape to
``H = 1``. A geometry tuple ``geom = (kernel, stride, pads, dilation, groups)`` holds
pairs ``kernel=(kh, kw)``, ``stride=(sh, sw)``, ``dilation=(dh, dw)`` and
``pads=((top, bottom), (left, right))`` (asymmetric, for ``padding='same'`` and
``ceil_mode`` pooling).

Convolution is a trilinear form ``T(x, w, g) = <g, conv(x, w)>``; its three partial
maps are the ops ``Conv2d`` (``x, w -> out``), ``ConvInputGrad`` (``g, w -> x``, the
transposed convolution) and ``ConvWeightGrad`` (``x, g -> w``). The backward and jvp
of each is written with the other two, so derivatives of any order exist.

Example:
    >>> import autograd
    >>> from autograd.ops.conv import Conv2d
    >>> x, w = autograd.ones(1, 1, 3, 3), autograd.ones(1, 1, 2, 2)
    >>> Conv2d.apply(x, w, ((2, 2), (1, 1), ((0, 0), (0, 0)), (1, 1), 1)).tolist()
    [[[[4.0, 4.0], [4.0, 4.0]]]]
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..function import Op
from ..tensor import Tensor

__all__ = [
    "Conv2d", "ConvInputGrad", "ConvWeightGrad", "Im2col", "Col2im", "WindowSum",
    "WindowScatter", "PlaneGather", "PlaneScatter", "windows", "col2im", "pad2d", "out_size",
]


# ----------------------------------------------------------------------------- array helpers


def pad2d(a: Any, pads: tuple, value: float = 0.0) -> Any:
    """Pad the last two dims of ``a`` by ``pads = ((top, bottom), (left, right))``.

    Example:
        >>> from autograd import backend
        >>> pad2d(backend.numpy.ones((1, 1, 2, 2)), ((0, 1), (2, 0))).shape
        (1, 1, 3, 4)
    """
    (t, b), (left, r) = pads
    if not (t or b or left or r):
        return a
    xp = backend.xp_of(a)
    widths = ((0, 0),) * (a.ndim - 2) + ((t, b), (left, r))
    return xp.pad(a, widths, mode="constant", constant_values=value)


def out_size(size: int, kernel: int, stride: int, pad: int, dilation: int) -> int:
    """Output length of a window sweep over ``size`` padded by ``pad`` in total.

    Example:
        >>> out_size(8, kernel=3, stride=2, pad=2, dilation=1)
        4
    """
    return (size + pad - dilation * (kernel - 1) - 1) // stride + 1


def _strided(a: Any, shape: tuple, strides: tuple) -> Any:
    xp = backend.xp_of(a)
    if xp is backend.numpy:
        return xp.lib.stride_tricks.as_strided(a, shape=shape, strides=strides, writeable=False)
    return xp.lib.stride_tricks.as_strided(a, shape=shape, strides=strides)


def windows(xpad: Any, kernel: tuple, stride: tuple, dilation: tuple, out_hw: tuple) -> Any:
    """A read-only ``(N, C, kh, kw, OH, OW)`` view of the windows of an already padded
    ``(N, C, Hp, Wp)`` array (no copy).

    Example:
        >>> from autograd import backend
        >>> x = backend.numpy.arange(16.0).reshape(1, 1, 4, 4)
        >>> w = windows(x, (2, 2), (2, 2), (1, 1), (2, 2))
        >>> w.shape, w[0, 0, :, :, 1, 1].tolist()
        ((1, 1, 2, 2, 2, 2), [[10.0, 11.0], [14.0, 15.0]])
    """
    n, c = xpad.shape[:2]
    s_n, s_c, s_h, s_w = xpad.strides
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    return _strided(
        xpad, (n, c, kh, kw) + tuple(out_hw),
        (s_n, s_c, dh * s_h, dw * s_w, sh * s_h, sw * s_w),
    )


def _slices(i: int, j: int, stride: tuple, dilation: tuple, out_hw: tuple) -> tuple:
    (sh, sw), (dh, dw), (oh, ow) = stride, dilation, out_hw
    return (
        Ellipsis,
        slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
        slice(j * dw, j * dw + sw * (ow - 1) + 1, sw),
    )


def col2im(cols: Any, padded_hw: tuple, stride: tuple, dilation: tuple) -> Any:
    """Scatter-add ``(N, C, kh, kw, OH, OW)`` window values back onto a zero
    ``(N, C, Hp, Wp)`` array: the adjoint of ``windows``. One strided add per kernel
    offset keeps it vectorised.

    Example:
        >>> from autograd import backend
        >>> cols = backend.numpy.ones((1, 1, 2, 2, 2, 2))
        >>> col2im(cols, (3, 3), (1, 1), (1, 1))[0, 0].tolist()
        [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """
    n, c, kh, kw, oh, ow = cols.shape
    xp = backend.xp_of(cols)
    out = xp.zeros((n, c) + tuple(padded_hw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[_slices(i, j, stride, dilation, (oh, ow))] += cols[:, :, i, j]
    return out


def _crop(a: Any, pads: tuple, hw: tuple) -> Any:
    (t, b), (left, r) = pads
    if not (t or b or left or r) and a.shape[-2:] == tuple(hw):
        return a
    xp = backend.xp_of(a)
    return xp.ascontiguousarray(a[..., t:t + hw[0], left:left + hw[1]])


def _padded_hw(hw: tuple, pads: tuple) -> tuple:
    return (hw[0] + pads[0][0] + pads[0][1], hw[1] + pads[1][0] + pads[1][1])


def _out_hw(hw: tuple, geom: tuple) -> tuple:
    kernel, stride, pads, dilation, _ = geom
    return tuple(
        out_size(hw[d], kernel[d], stride[d], pads[d][0] + pads[d][1], dilation[d]) for d in (0, 1)
    )


def _cols(x: Any, geom: tuple) -> tuple:
    """im2col of ``x`` grouped for a batched matmul: ``(G, Cg*kh*kw, N*OH*OW)``."""
    kernel, stride, pads, dilation, groups = geom
    n, c, h, w = x.shape
    oh, ow = _out_hw((h, w), geom)
    win = windows(pad2d(x, pads), kernel, stride, dilation, (oh, ow))
    win = win.reshape((n, groups, c // groups) + win.shape[2:])
    k = (c // groups) * kernel[0] * kernel[1]
    cols = win.transpose(1, 2, 3, 4, 0, 5, 6).reshape(groups, k, n * oh * ow)
    return cols, (oh, ow)


def _grouped_grad(g: Any, groups: int) -> Any:
    """``(N, O, OH, OW)`` -> ``(G, O/G, N*OH*OW)``."""
    n, o, oh, ow = g.shape
    og = o // groups
    return g.reshape(n, groups, og, oh * ow).transpose(1, 2, 0, 3).reshape(groups, og, n * oh * ow)


def _conv2d_array(x: Any, w: Any, geom: tuple) -> Any:
    groups = geom[4]
    n = x.shape[0]
    o = w.shape[0]
    xp = backend.xp_of(x)
    cols, (oh, ow) = _cols(x, geom)
    out = xp.matmul(w.reshape(groups, o // groups, -1), cols)  # (G, O/G, N*L)
    out = out.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)
    return xp.ascontiguousarray(out)


def _conv_input_array(g: Any, w: Any, geom: tuple, x_shape: tuple) -> Any:
    kernel, stride, pads, dilation, groups = geom
    n, c, h, wd = x_shape
    o = w.shape[0]
    oh, ow = g.shape[2:]
    xp = backend.xp_of(g)
    wm = w.reshape(groups, o // groups, -1)
    cols = xp.matmul(wm.transpose(0, 2, 1), _grouped_grad(g, groups))  # (G, K, N*L)
    cols = cols.reshape((groups, c // groups) + tuple(kernel) + (n, oh, ow))
    cols = cols.transpose(4, 0, 1, 2, 3, 5, 6).reshape((n, c) + tuple(kernel) + (oh, ow))
    full = col2im(cols, _padded_hw((h, wd), pads), stride, dilation)
    return _crop(full, pads, (h, wd))


def _conv_weight_array(x: Any, g: Any, geom: tuple, w_shape: tuple) -> Any:
    groups = geom[4]
    xp = backend.xp_of(x)
    cols, _ = _cols(x, geom)
    gw = xp.matmul(_grouped_grad(g, groups), cols.transpose(0, 2, 1))  # (G, O/G, K)
    return gw.reshape(w_shape)


# ----------------------------------------------------------------------------- convolution ops


def _add(a: Tensor | None, b: Tensor | None) -> Tensor | None:
    return a if b is None else b if a is None else a + b


def _bilinear_jvp(op: Any, ctx: Any, t0: Tensor | None, t1: Tensor | None,
                  *shape: tuple) -> Tensor:
    """The jvp of an op bilinear in its two saved inputs ``(u, v)``:
    ``op(t0, v) + op(u, t1)`` (a ``None`` tangent drops its term)."""
    u, v = ctx.saved_tensors
    a = op.apply(t0, v, ctx.geom, *shape) if t0 is not None else None
    b = op.apply(u, t1, ctx.geom, *shape) if t1 is not None else None
    return _add(a, b)


class Conv2d(Op):
    """``out[n, o] = sum_{c in group(o), i, j} w[o, c, i, j] * xpad[n, c, s*p + d*i, ...]``."""

    saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx: Any, x: Any, w: Any, geom: tuple) -> Any:
        ctx.geom = geom
        return _conv2d_array(x, w, geom)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        x, w = ctx.saved_tensors
        nig = ctx.needs_input_grad
        gx = ConvInputGrad.apply(grad_out, w, ctx.geom, x.shape) if nig[0] else None
        gw = ConvWeightGrad.apply(x, grad_out, ctx.geom, w.shape) if nig[1] else None
        return gx, gw, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor | None, tw: Tensor | None, _: Any) -> Tensor:
        return _bilinear_jvp(Conv2d, ctx, tx, tw)


class ConvInputGrad(Op):
    """The transposed convolution ``g, w -> x`` (gradient of ``conv2d`` w.r.t. input)."""

    saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx: Any, g: Any, w: Any, geom: tuple, x_shape: tuple) -> Any:
        ctx.geom = geom
        return _conv_input_array(g, w, geom, tuple(x_shape))

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        g, w = ctx.saved_tensors
        nig = ctx.needs_input_grad
        gg = Conv2d.apply(grad_out, w, ctx.geom) if nig[0] else None
        gw = ConvWeightGrad.apply(grad_out, g, ctx.geom, w.shape) if nig[1] else None
        return gg, gw, None, None

    @staticmethod
    def jvp(ctx: Any, tg: Tensor | None, tw: Tensor | None, *_: Any) -> Tensor:
        return _bilinear_jvp(ConvInputGrad, ctx, tg, tw, ctx._fw_out.shape)


class ConvWeightGrad(Op):
    """``x, g -> w`` (gradient of ``conv2d`` w.r.t. weight)."""

    saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx: Any, x: Any, g: Any, geom: tuple, w_shape: tuple) -> Any:
        ctx.geom = geom
        return _conv_weight_array(x, g, geom, tuple(w_shape))

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        x, g = ctx.saved_tensors
        nig = ctx.needs_input_grad
        gx = ConvInputGrad.apply(g, grad_out, ctx.geom, x.shape) if nig[0] else None
        gg = Conv2d.apply(x, grad_out, ctx.geom) if nig[1] else None
        return gx, gg, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor | None, tg: Tensor | None, *_: Any) -> Tensor:
        return _bilinear_jvp(ConvWeightGrad, ctx, tx, tg, ctx._fw_out.shape)


# ----------------------------------------------------------------------------- unfold / fold


class Im2col(Op):
    """``(N, C, H, W) -> (N, C*kh*kw, L)`` window columns (``F.unfold``)."""

    @staticmethod
    def forward(ctx: Any, x: Any, geom: tuple) -> Any:
        kernel, stride, pads, dilation, _ = geom
        ctx.geom, ctx.x_shape = geom, x.shape
        out_hw = _out_hw(x.shape[2:], geom)
        win = windows(pad2d(x, pads), kernel, stride, dilation, out_hw)
        n, c = x.shape[:2]
        out = win.reshape(n, c * kernel[0] * kernel[1], out_hw[0] * out_hw[1])
        if backend.xp_of(x).may_share_memory(out, x):  # a 1x1 kernel reshapes without copying
            out = out.copy()
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return Col2im.apply(grad_out, ctx.geom, ctx.x_shape), None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, _: Any) -> Tensor:
        return Im2col.apply(tx, ctx.geom)


class Col2im(Op):
    """``(N, C*kh*kw, L) -> (N, C, H, W)``, summing overlapping windows (``F.fold``)."""

    @staticmethod
    def forward(ctx: Any, cols: Any, geom: tuple, x_shape: tuple) -> Any:
        kernel, stride, pads, dilation, _ = geom
        ctx.geom = geom
        n, c, h, w = x_shape
        out_hw = _out_hw((h, w), geom)
        six = cols.reshape((n, c) + tuple(kernel) + tuple(out_hw))
        full = col2im(six, _padded_hw((h, w), pads), stride, dilation)
        return _crop(full, pads, (h, w))

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return Im2col.apply(grad_out, ctx.geom), None, None

    @staticmethod
    def jvp(ctx: Any, tc: Tensor, *_: Any) -> Tensor:
        return Col2im.apply(tc, ctx.geom, ctx._fw_out.shape)


# ----------------------------------------------------------------------------- window sums


def _window_sum_array(x: Any, geom: tuple) -> Any:
    kernel, stride, pads, dilation, _ = geom
    xpad = pad2d(x, pads)
    out_hw = _out_hw(x.shape[2:], geom)
    out = None
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            part = xpad[_slices(i, j, stride, dilation, out_hw)]
            if out is None:
                out = part.copy()
            else:
                out += part
    return out


class WindowSum(Op):
    """Sum of every window: ``(N, C, H, W) -> (N, C, OH, OW)`` (average pooling)."""

    @staticmethod
    def forward(ctx: Any, x: Any, geom: tuple) -> Any:
        ctx.geom, ctx.x_shape = geom, x.shape
        return _window_sum_array(x, geom)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return WindowScatter.apply(grad_out, ctx.geom, ctx.x_shape), None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, _: Any) -> Tensor:
        return WindowSum.apply(tx, ctx.geom)


class WindowScatter(Op):
    """The adjoint of ``WindowSum``: each output value added over its window."""

    @staticmethod
    def forward(ctx: Any, g: Any, geom: tuple, x_shape: tuple) -> Any:
        kernel, stride, pads, dilation, _ = geom
        ctx.geom = geom
        xp = backend.xp_of(g)
        hw = tuple(x_shape[2:])
        full = xp.zeros(tuple(x_shape[:2]) + _padded_hw(hw, pads), dtype=g.dtype)
        for i in range(kernel[0]):
            for j in range(kernel[1]):
                full[_slices(i, j, stride, dilation, g.shape[2:])] += g
        return _crop(full, pads, hw)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return WindowSum.apply(grad_out, ctx.geom), None, None

    @staticmethod
    def jvp(ctx: Any, tg: Tensor, *_: Any) -> Tensor:
        return WindowScatter.apply(tg, ctx.geom, ctx._fw_out.shape)


# ----------------------------------------------------------------------------- plane gathers


def _numel(shape: tuple) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


class PlaneGather(Op):
    """``out[n, c, ...] = x[n, c].flat[idx[n, c, ...]]`` (max pooling's selection)."""

    @staticmethod
    def forward(ctx: Any, x: Any, idx: Any, unique: bool) -> Any:
        ctx.idx, ctx.x_shape, ctx.unique = idx, x.shape, unique
        xp = backend.xp_of(x)
        n, c = x.shape[:2]
        flat = x.reshape(n, c, _numel(x.shape[2:]))
        pick = idx.reshape(n, c, _numel(idx.shape[2:]))
        return xp.take_along_axis(flat, pick, axis=2).reshape(idx.shape)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return PlaneScatter.apply(grad_out, ctx.idx, ctx.x_shape, ctx.unique), None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return PlaneGather.apply(tx, ctx.idx, ctx.unique)


class PlaneScatter(Op):
    """The adjoint of ``PlaneGather``: add each value at its index (repeats add up)."""

    @staticmethod
    def forward(ctx: Any, g: Any, idx: Any, x_shape: tuple, unique: bool) -> Any:
        ctx.idx, ctx.unique = idx, unique
        xp = backend.xp_of(g)
        n, c = x_shape[:2]
        plane = _numel(x_shape[2:])
        offs = idx.reshape(n * c, _numel(idx.shape[2:])) + (xp.arange(n * c) * plane)[:, None]
        if unique:  # windows that never overlap select each input at most once
            out = xp.zeros(n * c * plane, dtype=g.dtype)
            out[offs.ravel()] = g.ravel()
        else:
            out = xp.bincount(offs.ravel(), weights=g.ravel(), minlength=n * c * plane)
            out = out.astype(g.dtype, copy=False)
        return out.reshape(x_shape)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return PlaneGather.apply(grad_out, ctx.idx, ctx.unique), None, None, None

    @staticmethod
    def jvp(ctx: Any, tg: Tensor, *_: Any) -> Tensor:
        return PlaneScatter.apply(tg, ctx.idx, ctx._fw_out.shape, ctx.unique)
