"""Convolutions and window extraction (mirrors ``torch.nn.functional.conv*``,
``unfold`` and ``fold``).

Each convolution is one im2col copy of the (padded) input and one batched matrix
product per call; gradients of any order come from ``autograd.ops.conv``.

Example:
    >>> import autograd
    >>> import autograd.nn.functional as F
    >>> x = autograd.randn(2, 3, 8, 8)
    >>> F.conv2d(x, autograd.randn(4, 3, 3, 3), padding=1).shape
    (2, 4, 8, 8)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...amp import autocast_mode as _amp
from ...ops.conv import Col2im, Conv2d, ConvInputGrad, Im2col, out_size
from ...tensor import Tensor
from ._window import (
    batchify,
    check_float,
    check_nonnegative,
    check_positive,
    check_same_dtype,
    check_tensor,
    ntuple,
)

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]


def _same_pads(kernel: tuple, dilation: tuple) -> tuple:
    # PyTorch pads the extra element (odd total padding) on the right/bottom side.
    out = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        out.append((total // 2, total - total // 2))
    return tuple(out)


def _lift(vals: tuple, fill: int) -> tuple:
    """A 1-D geometry as 2-D with a unit height."""
    return (fill,) + vals if len(vals) == 1 else vals


def _check_args(x: Tensor, w: Tensor, bias: Tensor | None, groups: int, nd: int, op: str,
                w_out: str, w_in: str) -> tuple:
    """The checks every convolution makes (after autocast): tensors, a batch dim, weight
    rank (its layout named ``(<w_out>_channels, <w_in>_channels/groups, ...)``), dtypes,
    groups. Returns ``(x, w, bias, unbatched, groups)``."""
    if _amp.active[0]:  # autocast: a lower-precision op
        x, w, bias = _amp.autocast_lower(x, w, bias)
    check_tensor(x, "input", op)
    check_tensor(w, "weight", op)
    x, unbatched = batchify(x, nd, op)
    if w.ndim != nd + 2:
        raise RuntimeError(
            f"{op}: expected weight to be {nd + 2}-dimensional ({w_out}_channels, "
            f"{w_in}_channels/groups, *kernel_size), but got weight of size {list(w.shape)}"
        )
    check_same_dtype(op, x, w, "weight")
    check_same_dtype(op, x, bias, "bias")
    check_float(x, op)
    groups = int(groups)
    if groups <= 0:
        raise RuntimeError(f"{op}: non-positive groups is not supported (got groups={groups})")
    return x, w, bias, unbatched, groups


def _run(apply: Callable, x: Tensor, w: Tensor, bias: Tensor | None, unbatched: bool, nd: int,
         out_ch: int, geometry: tuple) -> Tensor:
    """``apply(x, w, geom)`` on the 2-D form (1-D gets a unit height), plus the bias;
    ``geometry`` is ``(kernel, stride, pads, dilation, groups)`` of the ``nd``-D op."""
    kernel, stride, pads, dilation, groups = geometry
    if nd == 1:
        x = x.unsqueeze(2)
        w = w.unsqueeze(2)
        pads = ((0, 0),) + pads
    geom = (_lift(kernel, 1), _lift(stride, 1), pads, _lift(dilation, 1), groups)
    out = apply(x, w, geom)
    if nd == 1:
        out = out.squeeze(2)
    if bias is not None:
        out = out + bias.reshape((1, out_ch) + (1,) * nd)
    return out.squeeze(0) if unbatched else out


def _conv(x: Tensor, w: Tensor, bias: Tensor | None, stride: Any, padding: Any,
          dilation: Any, groups: int, nd: int, op: str) -> Tensor:
    x, w, bias, unbatched, groups = _check_args(x, w, bias, groups, nd, op, "out", "in")
    out_ch, in_per_group = w.shape[:2]
    if out_ch % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size {list(w.shape)} instead"
        )
    if x.shape[1] != in_per_group * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(w.shape)}, expected input"
            f"{list(x.shape)} to have {in_per_group * groups} channels, but got {x.shape[1]} "
            "channels instead"
        )
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != out_ch):
        raise RuntimeError(
            f"Given weight of size {list(w.shape)}, expected bias to be 1-dimensional with "
            f"{out_ch} elements, but got bias of size {list(bias.shape)} instead"
        )
    kernel = tuple(w.shape[2:])
    stride = ntuple(stride, nd, "stride", op)
    dilation = ntuple(dilation, nd, "dilation", op)
    check_positive(stride, "stride", op)
    check_positive(dilation, "dilation", op)
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError(f"{op}: padding='same' is not supported for strided convolutions")
            pads = _same_pads(kernel, dilation)
        else:
            raise RuntimeError(
                f"{op}: Invalid padding string: '{padding}' (expected 'same', 'valid', an int or "
                "a tuple of ints)"
            )
    else:
        p = ntuple(padding, nd, "padding", op)
        check_nonnegative(p, "padding", op)
        pads = tuple((v, v) for v in p)
    spatial = tuple(x.shape[2:])
    padded = tuple(s + a + b for s, (a, b) in zip(spatial, pads))
    eff = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(pd < e for pd, e in zip(padded, eff)):
        raise RuntimeError(
            f"{op}: Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, eff))}). Kernel size can't be greater than "
            "actual input size"
        )
    return _run(Conv2d.apply, x, w, bias, unbatched, nd, out_ch,
                (kernel, stride, pads, dilation, groups))


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D convolution (cross-correlation) of ``(N, C_in, L)`` with
    ``(C_out, C_in/groups, k)`` weights; ``padding`` is an int, a 1-tuple, ``'valid'`` or
    ``'same'``.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.conv1d(autograd.ones(1, 1, 5), autograd.ones(1, 1, 3)).tolist()
        [[[3.0, 3.0, 3.0]]]
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation) of ``(N, C_in, H, W)`` (or unbatched
    ``(C_in, H, W)``) with ``(C_out, C_in/groups, kH, kW)`` weights.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.conv2d(autograd.ones(1, 2, 4, 4), autograd.ones(3, 2, 3, 3), stride=2,
        ...          padding=1).shape
        (1, 3, 2, 2)
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def _conv_transpose(x: Tensor, w: Tensor, bias: Tensor | None, stride: Any, padding: Any,
                    output_padding: Any, groups: int, dilation: Any, nd: int, op: str) -> Tensor:
    x, w, bias, unbatched, groups = _check_args(x, w, bias, groups, nd, op, "in", "out")
    in_ch, out_per_group = w.shape[:2]
    if x.shape[1] != in_ch or in_ch % groups:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(w.shape)}, expected input{list(x.shape)} "
            f"to have {in_ch} channels (divisible by groups={groups}), but got {x.shape[1]} "
            "channels instead"
        )
    out_ch = out_per_group * groups
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != out_ch):
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(w.shape)}, expected bias to be "
            f"1-dimensional with {out_ch} elements, but got bias of size {list(bias.shape)} instead"
        )
    kernel = tuple(w.shape[2:])
    stride = ntuple(stride, nd, "stride", op)
    dilation = ntuple(dilation, nd, "dilation", op)
    pad = ntuple(padding, nd, "padding", op)
    opad = ntuple(output_padding, nd, "output_padding", op)
    check_positive(stride, "stride", op)
    check_positive(dilation, "dilation", op)
    check_nonnegative(pad, "padding", op)
    check_nonnegative(opad, "output_padding", op)
    if any(o >= s for o, s in zip(opad, stride)):
        raise RuntimeError(
            f"{op}: output padding must be smaller than stride, but got output_padding={list(opad)} "
            f"and stride={list(stride)}"
        )
    spatial = tuple(x.shape[2:])
    out_sp = tuple((i - 1) * s - 2 * p + d * (k - 1) + o + 1
                   for i, s, p, d, k, o in zip(spatial, stride, pad, dilation, kernel, opad))
    if any(v <= 0 for v in out_sp):
        raise RuntimeError(
            f"{op}: Given input size per channel: {list(spatial)}, the calculated output size "
            f"per channel {list(out_sp)} is too small; lower padding or raise stride/kernel size"
        )
    pads = tuple((p, p) for p in pad)
    out_shape = (x.shape[0], out_ch) + _lift(out_sp, 1)
    return _run(lambda x, w, geom: ConvInputGrad.apply(x, w, geom, out_shape),
                x, w, bias, unbatched, nd, out_ch, (kernel, stride, pads, dilation, groups))


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """1-D transposed convolution (the gradient of ``conv1d`` w.r.t. its input) with
    ``(C_in, C_out/groups, k)`` weights.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.conv_transpose1d(autograd.ones(1, 1, 3), autograd.ones(1, 1, 2)).tolist()
        [[[1.0, 2.0, 2.0, 1.0]]]
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 1, "conv_transpose1d")


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """2-D transposed convolution with ``(C_in, C_out/groups, kH, kW)`` weights; the
    output side is ``(in - 1) * stride - 2 * padding + dilation * (k - 1) +
    output_padding + 1``.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.conv_transpose2d(autograd.ones(1, 4, 3, 3), autograd.ones(4, 2, 2, 2),
        ...                    stride=2).shape
        (1, 2, 6, 6)
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 2, "conv_transpose2d")


def _fold_geom(kernel_size: Any, dilation: Any, padding: Any, stride: Any, op: str) -> tuple:
    kernel = ntuple(kernel_size, 2, "kernel_size", op, "fold/unfold")
    dilation = ntuple(dilation, 2, "dilation", op, "fold/unfold")
    pad = ntuple(padding, 2, "padding", op, "fold/unfold")
    stride = ntuple(stride, 2, "stride", op, "fold/unfold")
    check_positive(kernel, "kernel_size", op)
    check_positive(stride, "stride", op)
    check_positive(dilation, "dilation", op)
    check_nonnegative(pad, "padding", op)
    return kernel, stride, tuple((p, p) for p in pad), dilation, 1


def _blocks(hw: tuple, geom: tuple, op: str) -> tuple:
    kernel, stride, pads, dilation, _ = geom
    blocks = tuple(out_size(hw[d], kernel[d], stride[d], 2 * pads[d][0], dilation[d]) for d in (0, 1))
    if any(b <= 0 for b in blocks):
        raise RuntimeError(
            f"{op}: Given input with spatial size {list(hw)}, kernel_size={list(kernel)}, "
            f"dilation={list(dilation)}, padding={[p[0] for p in pads]}, calculated shape of the "
            f"array of sliding blocks as {list(blocks)}, but its components must be at least one."
        )
    return blocks


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """Extract sliding blocks: ``(N, C, H, W) -> (N, C * kH * kW, L)`` with ``L`` the
    number of blocks (im2col). Unbatched ``(C, H, W)`` input gives ``(C * kH * kW, L)``.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.unfold(autograd.arange(9.0).reshape(1, 1, 3, 3), 2)[0].tolist()
        [[0.0, 1.0, 3.0, 4.0], [1.0, 2.0, 4.0, 5.0], [3.0, 4.0, 6.0, 7.0], [4.0, 5.0, 7.0, 8.0]]
    """
    check_tensor(input, "input", "unfold")
    if input.ndim not in (3, 4):
        raise RuntimeError(
            "Input Error: Only 3D or 4D input Tensors are supported for unfold (got "
            f"{input.ndim}D input of size {list(input.shape)})"
        )
    x, unbatched = batchify(input, 2, "unfold")
    geom = _fold_geom(kernel_size, dilation, padding, stride, "unfold")
    _blocks(tuple(x.shape[2:]), geom, "unfold")
    out = Im2col.apply(x, geom)
    return out.squeeze(0) if unbatched else out


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """Combine sliding blocks into an image, summing overlaps: ``(N, C * kH * kW, L) ->
    (N, C, H, W)`` (col2im; the adjoint of ``unfold``).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.fold(autograd.ones(1, 4, 4), (3, 3), 2)[0, 0].tolist()
        [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """
    check_tensor(input, "input", "fold")
    if input.ndim not in (2, 3):
        raise RuntimeError(
            "Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported for "
            f"fold (got {input.ndim}D input of size {list(input.shape)})"
        )
    x, unbatched = (input.unsqueeze(0), True) if input.ndim == 2 else (input, False)
    geom = _fold_geom(kernel_size, dilation, padding, stride, "fold")
    hw = ntuple(output_size, 2, "output_size", "fold", "fold/unfold")
    kernel = geom[0]
    per = kernel[0] * kernel[1]
    if x.shape[1] % per:
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
            f"but got input.size(1)={x.shape[1]} and kernel_size={kernel}"
        )
    blocks = _blocks(hw, geom, "fold")
    if x.shape[2] != blocks[0] * blocks[1]:
        raise RuntimeError(
            f"Given output_size={hw}, kernel_size={kernel}, dilation={geom[3]}, padding="
            f"{tuple(p[0] for p in geom[2])}, stride={geom[1]}, expected size of input's "
            f"dimension 2 to match the calculated number of sliding blocks {blocks[0]} * "
            f"{blocks[1]} = {blocks[0] * blocks[1]}, but got input.size(2)={x.shape[2]}."
        )
    out = Col2im.apply(x, geom, (x.shape[0], x.shape[1] // per) + hw)
    return out.squeeze(0) if unbatched else out
