"""Movement ops that copy: flip, roll, repeat/tile, repeat_interleave and pad.

Example:
    >>> import autograd
    >>> x = autograd.arange(3.0)
    >>> x.flip(0).tolist(), x.roll(1).tolist(), x.repeat(2).tolist()
    ([2.0, 1.0, 0.0], [2.0, 0.0, 1.0], [0.0, 1.0, 2.0, 0.0, 1.0, 2.0])
    >>> autograd.pad(x, (1, 2), mode="reflect").tolist()
    [1.0, 0.0, 1.0, 2.0, 1.0, 0.0]
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..function import Op
from ..tensor import Tensor, _wrap
from ._util import norm_dim
from .shape import Reshape, SumTo, _shape_arg

__all__ = [
    "flip", "fliplr", "flipud", "roll", "repeat", "tile", "repeat_interleave", "pad",
]


# ----------------------------------------------------------------------------- flip


class Flip(Op):
    @staticmethod
    def forward(ctx: Any, x: Any, dims: tuple) -> Any:
        ctx.dims = dims
        return backend.xp_of(x).flip(x, axis=dims).copy() if dims else x.copy()

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return Flip.apply(grad_out, ctx.dims), None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, _: Any) -> Tensor:
        return Flip.apply(tx, ctx.dims)


def flip(x: Tensor, *dims: Any) -> Tensor:
    """Reverse the order of elements along ``dims`` (a copy, as in PyTorch).

    Example:
        >>> import autograd
        >>> autograd.flip(autograd.arange(4).reshape(2, 2), (0, 1)).tolist()
        [[3, 2], [1, 0]]
    """
    dims = _shape_arg(dims)
    nd = x._data.ndim
    norm = tuple(norm_dim(d, nd, "flip") for d in dims)
    seen = set()
    for d in norm:
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)
    return Flip.apply(x, norm if nd else ())


def fliplr(x: Tensor) -> Tensor:
    """Flip dim 1 (left/right); needs at least 2 dims.

    Example:
        >>> import autograd
        >>> autograd.fliplr(autograd.arange(4).reshape(2, 2)).tolist()
        [[1, 0], [3, 2]]
    """
    if x._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return Flip.apply(x, (1,))


def flipud(x: Tensor) -> Tensor:
    """Flip dim 0 (up/down); needs at least 1 dim.

    Example:
        >>> import autograd
        >>> autograd.flipud(autograd.arange(4).reshape(2, 2)).tolist()
        [[2, 3], [0, 1]]
    """
    if x._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return Flip.apply(x, (0,))


# ----------------------------------------------------------------------------- roll


class Roll(Op):
    @staticmethod
    def forward(ctx: Any, x: Any, shifts: Any, dims: Any) -> Any:
        ctx.shifts, ctx.dims = shifts, dims
        return backend.xp_of(x).roll(x, shifts, axis=dims)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return Roll.apply(grad_out, _negate(ctx.shifts), ctx.dims), None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return Roll.apply(tx, ctx.shifts, ctx.dims)


def _negate(shifts: Any) -> Any:
    return tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts


def roll(x: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift elements cyclically by ``shifts`` along ``dims`` (over the flattened
    tensor when ``dims`` is None, keeping the shape).

    Example:
        >>> import autograd
        >>> autograd.arange(4).reshape(2, 2).roll(1, 1).tolist()
        [[1, 0], [3, 2]]
    """
    sh = tuple(int(s) for s in shifts) if isinstance(shifts, (list, tuple)) else (int(shifts),)
    if dims is None or (isinstance(dims, (list, tuple)) and len(dims) == 0):
        if len(sh) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:0")
        return Roll.apply(x, sh[0], None)
    dm = tuple(int(d) for d in dims) if isinstance(dims, (list, tuple)) else (int(dims),)
    if len(sh) != len(dm):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:{len(dm)}")
    nd = x._data.ndim
    if nd == 0:
        return Roll.apply(x, sh[0], None)
    dm = tuple(norm_dim(d, nd, "roll") for d in dm)
    return Roll.apply(x, sh, dm)


# ----------------------------------------------------------------------------- repeat / tile


class Repeat(Op):
    """``x`` tiled ``sizes[i]`` times along each dim (leading 1s added to ``x``)."""

    @staticmethod
    def forward(ctx: Any, x: Any, sizes: tuple) -> Any:
        ctx.in_shape, ctx.sizes = x.shape, sizes
        return backend.xp_of(x).tile(x, sizes)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        shape = (1,) * (len(ctx.sizes) - len(ctx.in_shape)) + tuple(ctx.in_shape)
        split, kept = [], []
        for s, n in zip(ctx.sizes, shape):
            split += [s, n]
            kept += [1, n]
        g = SumTo.apply(Reshape.apply(grad_out, tuple(split)), tuple(kept))
        return Reshape.apply(g, tuple(ctx.in_shape)), None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, _: Any) -> Tensor:
        return Repeat.apply(tx, ctx.sizes)


def repeat(x: Tensor, *sizes: Any) -> Tensor:
    """Tile ``x``: ``sizes[i]`` copies along dim i (``len(sizes)`` may exceed
    ``x.dim()``: new leading dims). Always a copy.

    Example:
        >>> import autograd
        >>> autograd.tensor([1, 2]).repeat(2, 2).tolist()
        [[1, 2, 1, 2], [1, 2, 1, 2]]
    """
    sizes = _shape_arg(sizes)
    shape = x._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions "
            "of tensor"
        )
    full = (1,) * (len(sizes) - len(shape)) + shape
    out = [s * n for s, n in zip(sizes, full)]
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {out}")
    return Repeat.apply(x, sizes)


def tile(x: Tensor, *dims: Any) -> Tensor:
    """Like ``repeat``, but ``dims`` shorter than ``x.dim()`` are padded with leading 1s.

    Example:
        >>> import autograd
        >>> autograd.tile(autograd.ones(2, 2), (2,)).shape
        (2, 4)
    """
    dims = _shape_arg(dims)
    nd = x._data.ndim
    if len(dims) < nd:
        dims = (1,) * (nd - len(dims)) + dims
    return repeat(x, *dims)


def repeat_interleave(x: Tensor, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Repeat each element (or slice along ``dim``) ``repeats`` times in place, e.g.
    ``[a, b] -> [a, a, b, b]``; ``repeats`` is a number or a tensor with one count per
    element. With ``dim=None`` the input is flattened. ``repeat_interleave(counts)``
    alone repeats the indices ``0..len(counts)-1``.

    Example:
        >>> import autograd
        >>> autograd.repeat_interleave(autograd.tensor([1, 2]), 2).tolist()
        [1, 1, 2, 2]
        >>> autograd.repeat_interleave(autograd.tensor([1, 0, 2])).tolist()
        [0, 2, 2]
    """
    from ..creation import as_tensor
    from .index import index_select

    np = backend.numpy
    if repeats is None:
        counts = _counts(x, None)
        return as_tensor(np.repeat(np.arange(counts.size, dtype=np.int64), counts),
                         device=x.device)
    if dim is None:
        x = Reshape.apply(x, (x._data.size,))
        d = 0
    else:
        d = norm_dim(dim, x._data.ndim, "repeat_interleave")
    n = x._data.shape[d] if x._data.ndim else 1
    if isinstance(repeats, Tensor):
        counts = _counts(repeats, n)
    else:
        r = int(repeats)
        if r < 0:
            raise RuntimeError("Repeats must be non-negative")
        counts = np.full(n, r, dtype=np.int64)
    index = np.repeat(np.arange(n, dtype=np.int64), counts)
    if output_size is not None and int(output_size) != index.size:
        raise RuntimeError(
            f"repeat_interleave: output_size {output_size} does not match the sum of repeats "
            f"({index.size})"
        )
    if x._data.ndim == 0:
        x = Reshape.apply(x, (1,))
    return index_select(x, d, _wrap(backend.to_device(index, x.device)))


def _counts(repeats: Tensor, n: int | None) -> Any:
    """Repeat counts as a host int64 array (checked like PyTorch)."""
    np = backend.numpy
    if repeats._data.dtype.kind not in "iu":
        raise RuntimeError(
            f"repeat_interleave: repeats must be an integer tensor, got dtype {repeats.dtype}"
        )
    if repeats._data.ndim > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    counts = np.asarray(backend.to_device(repeats._data, backend.CPU), dtype=np.int64).reshape(-1)
    if counts.size and counts.min() < 0:
        raise RuntimeError("repeats can not be negative")
    if n is not None:
        if repeats._data.ndim == 0 or counts.size == 1:
            counts = np.full(n, counts[0], dtype=np.int64)
        elif counts.size != n:
            raise RuntimeError(
                f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                f"{counts.size} and input.size(0) = {n}"
            )
    return counts


# ----------------------------------------------------------------------------- pad


class ConstantPad(Op):
    """Pad (positive) or crop (negative) each dim by ``pads[d] = (lo, hi)``, filling
    new elements with ``value``. Its adjoint is itself with the pads negated."""

    @staticmethod
    def forward(ctx: Any, x: Any, pads: tuple, value: Any) -> Any:
        ctx.pads = pads
        xp = backend.xp_of(x)
        shape = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, pads))
        out = xp.full(shape, value, dtype=x.dtype)
        src, dst = [], []
        for n, (lo, hi) in zip(x.shape, pads):
            a, b = max(-lo, 0), n - max(-hi, 0)
            length = max(b - a, 0)
            src.append(slice(a, a + length))
            dst.append(slice(max(lo, 0), max(lo, 0) + length))
        out[tuple(dst)] = x[tuple(src)]
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        neg = tuple((-lo, -hi) for lo, hi in ctx.pads)
        return ConstantPad.apply(grad_out, neg, 0), None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return ConstantPad.apply(tx, ctx.pads, 0)


_MODES = ("constant", "reflect", "replicate", "circular")


def pad(x: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad ``x`` as ``torch.nn.functional.pad``: ``pad`` lists (before, after) pairs
    starting from the last dim and going backwards; negative amounts crop. Modes:
    ``constant`` (fill with ``value``, default 0), ``reflect`` (mirror without the edge),
    ``replicate`` (repeat the edge), ``circular`` (wrap around).

    Example:
        >>> import autograd
        >>> autograd.pad(autograd.ones(1, 2), (1, 0, 0, 1)).tolist()
        [[0.0, 1.0, 1.0], [0.0, 0.0, 0.0]]
    """
    amounts = [int(p) for p in pad]
    shape = x._data.shape
    nd = len(shape)
    if len(amounts) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(amounts) // 2 > nd:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(amounts)} and input of dimension {nd}"
        )
    if mode not in _MODES:
        raise ValueError(
            f"Unrecognised padding mode {mode}; expected one of {', '.join(_MODES)}"
        )
    pads = [(0, 0)] * nd
    for k in range(len(amounts) // 2):
        pads[nd - 1 - k] = (amounts[2 * k], amounts[2 * k + 1])
    for d, (lo, hi) in enumerate(pads):
        if shape[d] + lo + hi < 0:
            raise RuntimeError(
                f"pad: padding ({lo}, {hi}) at dimension {d} would give a negative size "
                f"({shape[d] + lo + hi}) for an input of shape {list(shape)}"
            )
    if mode == "constant":
        if all(p == (0, 0) for p in pads):
            return x.clone()
        return ConstantPad.apply(x, tuple(pads), 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if all(p == (0, 0) for p in pads):
        return x.clone()
    for d, (lo, hi) in enumerate(pads):
        if (lo, hi) != (0, 0):
            x = _pad_dim(x, d, lo, hi, mode, shape)
    return x


def _pad_dim(x: Tensor, d: int, lo: int, hi: int, mode: str, shape: tuple) -> Tensor:
    """Pad one dim by gathering the source position of every output position."""
    from .index import index_select

    np = backend.numpy
    n = x._data.shape[d]
    if mode == "reflect" and (lo >= n or hi >= n):
        raise RuntimeError(
            "Argument #4: Padding size should be less than the corresponding input dimension, "
            f"but got: padding ({lo}, {hi}) at dimension {d} of input {list(shape)}"
        )
    if mode == "circular" and (lo > n or hi > n):
        raise RuntimeError(
            "Padding value causes wrapping around more than once "
            f"(padding ({lo}, {hi}) at dimension {d} of input {list(shape)})."
        )
    if mode == "replicate" and n == 0 and (lo > 0 or hi > 0):
        raise RuntimeError(
            f"pad: cannot replicate-pad dimension {d} of size 0 (input {list(shape)})"
        )
    j = np.arange(-lo, n + hi, dtype=np.int64)
    if mode == "reflect":
        period = max(2 * (n - 1), 1)
        j = np.mod(j, period)
        j = np.where(j >= n, period - j, j)
    elif mode == "replicate":
        j = np.clip(j, 0, n - 1)
    else:
        j = np.mod(j, n) if n else j
    return index_select(x, d, _wrap(backend.to_device(j, x.device)))
