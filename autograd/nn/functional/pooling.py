"""Pooling (mirrors ``torch.nn.functional`` max/avg/adaptive pooling).

Max pooling finds the winning index of each window once (forward) and then is a
gather (backward: a scatter-add), so gradients of any order exist; average pooling is
a window sum divided by PyTorch's divisor. The 1-D functions run the 2-D ones on a
unit height.

Example:
    >>> import autograd
    >>> import autograd.nn.functional as F
    >>> x = autograd.arange(16.0).reshape(1, 1, 4, 4)
    >>> F.max_pool2d(x, 2).tolist(), F.avg_pool2d(x, 2).tolist()
    ([[[[5.0, 7.0], [13.0, 15.0]]]], [[[[2.5, 4.5], [10.5, 12.5]]]])
"""

from __future__ import annotations

from typing import Any

from ... import backend
from ...ops.conv import PlaneGather, WindowSum, pad2d, windows
from ...tensor import Tensor, _wrap
from ._window import batchify, check_float, check_nonnegative, check_positive, check_tensor, ntuple

__all__ = [
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
    "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "max_pool1d_with_indices", "max_pool2d_with_indices", "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
]


# ----------------------------------------------------------------------------- geometry


def _pool_out(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output size (a ceil-mode window must start inside the input or
    its left padding)."""
    span = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = span // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _geometry(x: Tensor, nd: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
              ceil_mode: bool, op: str) -> tuple:
    """Checked 2-D pooling geometry: kernel, stride, pads (with ceil-mode overhang),
    dilation and the output size."""
    kernel = ntuple(kernel_size, nd, "kernel_size", op, "pooling")
    stride = kernel if stride is None or (isinstance(stride, (list, tuple)) and not stride) \
        else ntuple(stride, nd, "stride", op, "pooling")
    pad = ntuple(padding, nd, "padding", op, "pooling")
    dil = ntuple(dilation, nd, "dilation", op, "pooling")
    check_positive(kernel, "kernel_size", op)
    check_positive(stride, "stride", op)
    check_positive(dil, "dilation", op)
    check_nonnegative(pad, "padding", op)
    for k, p, d in zip(kernel, pad, dil):
        if 2 * p > d * (k - 1) + 1:
            raise RuntimeError(
                f"{op}: pad should be at most half of effective kernel size, but got pad={p}, "
                f"kernel_size={k} and dilation={d}"
            )
    spatial = tuple(x.shape[-nd:])
    out = tuple(_pool_out(n, k, s, p, d, ceil_mode)
                for n, k, s, p, d in zip(spatial, kernel, stride, pad, dil))
    if any(o < 1 for o in out):
        raise RuntimeError(
            f"{op}: Given input size: ({'x'.join(map(str, (x.shape[1],) + spatial))}). Calculated "
            f"output size: ({'x'.join(map(str, (x.shape[1],) + out))}). Output size is too small"
        )
    if nd == 1:
        kernel, stride, pad, dil, out = ((1,) + kernel, (1,) + stride, (0,) + pad, (1,) + dil,
                                         (1,) + out)
        spatial = (1,) + spatial
    # Ceil mode may let the last window hang over the padded input: pad that overhang too.
    pads = tuple(
        (p, p + max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p)))
        for n, k, s, p, d, o in zip(spatial, kernel, stride, pad, dil, out)
    )
    return kernel, stride, pads, dil, out


def _input(x: Tensor, nd: int, op: str) -> tuple[Tensor, bool]:
    check_tensor(x, "input", op)
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{op}: non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input, but "
            f"got input of size {list(x.shape)}"
        )
    x, unbatched = batchify(x, nd, op)
    if nd == 1:
        x = x.unsqueeze(2)
    return x, unbatched


def _output(out: Tensor, nd: int, unbatched: bool) -> Tensor:
    if nd == 1:
        out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


# ----------------------------------------------------------------------------- max pooling


def _lowest(dtype: Any) -> Any:
    np = backend.numpy
    return -np.inf if dtype.kind in "fc" else np.iinfo(dtype).min


def _max_indices(xd: Any, kernel: tuple, stride: tuple, pads: tuple, dil: tuple,
                 out_hw: tuple) -> Any:
    """Flat (per-plane) index of each window's maximum (NaN wins; ties: first)."""
    xp = backend.xp_of(xd)
    n, c, h, w = xd.shape
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dil, out_hw
    win = windows(pad2d(xd, pads, _lowest(xd.dtype)), kernel, stride, dil, out_hw)
    flat = win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c, oh, ow, kh * kw)
    arg = flat.argmax(axis=-1)
    hi = xp.arange(oh)[:, None] * sh - pads[0][0] + (arg // kw) * dh
    wi = xp.arange(ow)[None, :] * sw - pads[1][0] + (arg % kw) * dw
    outside = (hi < 0) | (hi >= h) | (wi < 0) | (wi >= w)
    if bool(outside.any()):
        # Padding only wins a tie at the lowest value (all real entries are -inf): take
        # the window's first real element instead, as PyTorch never looks at padding.
        hs = xp.arange(oh)[:, None] * sh - pads[0][0] + xp.arange(kh)[None, :] * dh
        ws = xp.arange(ow)[:, None] * sw - pads[1][0] + xp.arange(kw)[None, :] * dw
        first_h = ((hs < 0) | (hs >= h)).argmin(axis=1)  # (oh,)
        first_w = ((ws < 0) | (ws >= w)).argmin(axis=1)  # (ow,)
        fh = xp.broadcast_to(hs[xp.arange(oh), first_h][:, None], (oh, ow))
        fw = xp.broadcast_to(ws[xp.arange(ow), first_w][None, :], (oh, ow))
        hi = xp.where(outside, fh, hi)
        wi = xp.where(outside, fw, wi)
    return (hi * w + wi).astype(backend.int64)


def _max_pool(x: Tensor, nd: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
              ceil_mode: bool, return_indices: bool, op: str) -> Any:
    x, unbatched = _input(x, nd, op)
    kernel, stride, pads, dil, out_hw = _geometry(x, nd, kernel_size, stride, padding, dilation,
                                                  ceil_mode, op)
    idx = _max_indices(x._data, kernel, stride, pads, dil, out_hw)
    unique = all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dil))
    out = _output(PlaneGather.apply(x, idx, unique), nd, unbatched)
    if not return_indices:
        return out
    return out, _output(_wrap(idx), nd, unbatched)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """2-D max pooling over ``(N, C, H, W)`` or ``(C, H, W)``; with
    ``return_indices=True`` also the flat index (``h * W + w``) of each maximum.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> x = autograd.tensor([[[[1.0, 5.0], [3.0, 2.0]]]])
        >>> out, idx = F.max_pool2d(x, 2, return_indices=True)
        >>> out.item(), idx.item()
        (5.0, 1)
    """
    return _max_pool(input, 2, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, "max_pool2d")


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """1-D max pooling over ``(N, C, L)`` or ``(C, L)``.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.max_pool1d(autograd.tensor([[[1.0, 4.0, 2.0, 3.0]]]), 2).tolist()
        [[[4.0, 3.0]]]
    """
    return _max_pool(input, 1, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, "max_pool1d")


def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1,
                            ceil_mode: bool = False, return_indices: bool = True) -> tuple:
    """``max_pool2d`` that always returns ``(output, indices)``.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.max_pool2d_with_indices(autograd.ones(1, 1, 2, 2), 2)[1].item()
        0
    """
    return _max_pool(input, 2, kernel_size, stride, padding, dilation, ceil_mode, True,
                     "max_pool2d")


def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1,
                            ceil_mode: bool = False, return_indices: bool = True) -> tuple:
    """``max_pool1d`` that always returns ``(output, indices)``.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.max_pool1d_with_indices(autograd.tensor([[[0.0, 2.0]]]), 2)[1].item()
        1
    """
    return _max_pool(input, 1, kernel_size, stride, padding, dilation, ceil_mode, True,
                     "max_pool1d")


# ----------------------------------------------------------------------------- average pooling


def _divisor(size: int, k: int, s: int, p: int, out: int, include_pad: bool) -> Any:
    """Per-output window sizes along one dim, as PyTorch counts them."""
    np = backend.numpy
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    if include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def _avg_pool(x: Tensor, nd: int, kernel_size: Any, stride: Any, padding: Any, ceil_mode: bool,
              count_include_pad: bool, divisor_override: Any, op: str) -> Tensor:
    x, unbatched = _input(x, nd, op)
    check_float(x, op)
    kernel, stride, pads, dil, out_hw = _geometry(x, nd, kernel_size, stride, padding, 1,
                                                  ceil_mode, op)
    total = WindowSum.apply(x, (kernel, stride, pads, dil, 1))
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError(f"{op}: divisor must be not zero")
        return _output(total / divisor_override, nd, unbatched)
    size = x.shape[2:]
    dh = _divisor(size[0], kernel[0], stride[0], pads[0][0], out_hw[0], count_include_pad)
    dw = _divisor(size[1], kernel[1], stride[1], pads[1][0], out_hw[1], count_include_pad)
    inv = 1.0 / (dh[:, None] * dw[None, :]).astype(backend.numpy.float64)
    if bool((inv == inv[0, 0]).all()):
        out = total * float(inv[0, 0])
    else:
        out = total * _wrap(backend.to_device(inv.astype(x.dtype), x.device))
    return _output(out, nd, unbatched)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """2-D average pooling; ``count_include_pad`` counts zero padding in the divisor,
    ``divisor_override`` replaces the divisor.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.avg_pool2d(autograd.ones(1, 1, 3, 3), 2, padding=1).tolist()
        [[[[0.25, 0.5], [0.5, 1.0]]]]
    """
    return _avg_pool(input, 2, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, "avg_pool2d")


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """1-D average pooling over ``(N, C, L)`` or ``(C, L)``.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.avg_pool1d(autograd.tensor([[[1.0, 3.0, 5.0, 7.0]]]), 2).tolist()
        [[[2.0, 6.0]]]
    """
    return _avg_pool(input, 1, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     None, "avg_pool1d")


# ----------------------------------------------------------------------------- adaptive pooling


def _adaptive_size(x: Tensor, output_size: Any, nd: int, op: str) -> tuple:
    if isinstance(output_size, (list, tuple)):
        vals = list(output_size)
        if len(vals) == 1:
            vals = vals * nd
    else:
        vals = [output_size] * nd
    if len(vals) != nd:
        raise RuntimeError(f"{op}: output_size must be {nd} integers (got {output_size!r})")
    size = tuple(x.shape[-nd:])
    out = tuple(size[i] if v is None else int(v) for i, v in enumerate(vals))
    if any(o < 0 for o in out) or (any(o == 0 for o in out) and x.numel()):
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 "
                           f"(got {list(out)})")
    return out


def _adaptive_input(x: Tensor, nd: int, op: str) -> tuple[Tensor, bool]:
    check_tensor(x, "input", op)
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}(): Expected {nd + 1}D or {nd + 2}D tensor, but got {list(x.shape)}")
    return _input(x, nd, op)


def _bounds(size: int, out: int) -> list[tuple[int, int]]:
    # window i covers [floor(i * size / out), ceil((i + 1) * size / out))
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def _avg_matrix(size: int, out: int, like: Tensor) -> Tensor:
    np = backend.numpy
    m = np.zeros((out, size))
    for i, (a, b) in enumerate(_bounds(size, out)):
        m[i, a:b] = 1.0 / (b - a)
    return _wrap(backend.to_device(m.astype(like.dtype), like.device))


def _adaptive_avg(x: Tensor, output_size: Any, nd: int, op: str) -> Tensor:
    out_sz = _adaptive_size(x, output_size, nd, op)
    x, unbatched = _adaptive_input(x, nd, op)
    check_float(x, op)
    out_hw = (1,) + out_sz if nd == 1 else out_sz
    h, w = x.shape[2:]
    if out_hw == (1, 1):
        out = x.mean((2, 3), keepdim=True)
    elif h % out_hw[0] == 0 and w % out_hw[1] == 0:
        kernel = (h // out_hw[0], w // out_hw[1])
        total = WindowSum.apply(x, (kernel, kernel, ((0, 0), (0, 0)), (1, 1), 1))
        out = total * (1.0 / (kernel[0] * kernel[1]))
    else:
        # Uneven windows: averaging is linear, so it is two small matrix products.
        out = x
        if out_hw[0] != h:
            out = _avg_matrix(h, out_hw[0], x) @ out
        if out_hw[1] != w:
            out = out @ _avg_matrix(w, out_hw[1], x).mT
    return _output(out, nd, unbatched)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed ``output_size`` (an int, a pair, ``None`` keeps a
    dim): window ``i`` covers ``[floor(i*H/out), ceil((i+1)*H/out))``.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.adaptive_avg_pool2d(autograd.randn(2, 3, 7, 5), (2, 1)).shape
        (2, 3, 2, 1)
    """
    return _adaptive_avg(input, output_size, 2, "adaptive_avg_pool2d")


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """1-D adaptive average pooling over ``(N, C, L)`` or ``(C, L)``.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.adaptive_avg_pool1d(autograd.tensor([[[1.0, 2.0, 3.0]]]), 2).tolist()
        [[[1.5, 2.5]]]
    """
    return _adaptive_avg(input, output_size, 1, "adaptive_avg_pool1d")


def _adaptive_max(x: Tensor, output_size: Any, return_indices: bool, nd: int, op: str) -> Any:
    out_sz = _adaptive_size(x, output_size, nd, op)
    x, unbatched = _adaptive_input(x, nd, op)
    out_hw = (1,) + out_sz if nd == 1 else out_sz
    h, w = x.shape[2:]
    xd = x._data
    xp = backend.xp_of(xd)
    n, c = xd.shape[:2]
    idx = xp.empty((n, c) + tuple(out_hw), dtype=backend.int64)
    for i, (h0, h1) in enumerate(_bounds(h, out_hw[0])):
        for j, (w0, w1) in enumerate(_bounds(w, out_hw[1])):
            arg = xd[:, :, h0:h1, w0:w1].reshape(n, c, (h1 - h0) * (w1 - w0)).argmax(axis=-1)
            idx[:, :, i, j] = (h0 + arg // (w1 - w0)) * w + w0 + arg % (w1 - w0)
    unique = h % out_hw[0] == 0 and w % out_hw[1] == 0
    out = _output(PlaneGather.apply(x, idx, unique), nd, unbatched)
    if not return_indices:
        return out
    return out, _output(_wrap(idx), nd, unbatched)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max pooling to a fixed ``output_size`` (windows as in ``adaptive_avg_pool2d``).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.adaptive_max_pool2d(autograd.arange(16.0).reshape(1, 1, 4, 4), 1).item()
        15.0
    """
    return _adaptive_max(input, output_size, return_indices, 2, "adaptive_max_pool2d")


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """1-D adaptive max pooling over ``(N, C, L)`` or ``(C, L)``.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.adaptive_max_pool1d(autograd.tensor([[[1.0, 3.0, 2.0]]]), 2).tolist()
        [[[3.0, 3.0]]]
    """
    return _adaptive_max(input, output_size, return_indices, 1, "adaptive_max_pool1d")


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = True) -> tuple:
    """``adaptive_max_pool2d`` that always returns ``(output, indices)``.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.adaptive_max_pool2d_with_indices(autograd.ones(1, 2, 2), 1)[1].tolist()
        [[[0]]]
    """
    return _adaptive_max(input, output_size, True, 2, "adaptive_max_pool2d")


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = True) -> tuple:
    """``adaptive_max_pool1d`` that always returns ``(output, indices)``.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.adaptive_max_pool1d_with_indices(autograd.tensor([[0.0, 1.0]]), 1)[1].tolist()
        [[1]]
    """
    return _adaptive_max(input, output_size, True, 1, "adaptive_max_pool1d")

