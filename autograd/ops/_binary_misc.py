"""The binary ops beyond arithmetic: elementwise maximum/minimum, atan2, fmod,
remainder, hypot, xlogy, ``where`` and ``clamp``, the fused updates (lerp, addcmul,
addcdiv) and the fills (``fill_``, ``copy_``). Their public functions are re-exported by
``autograd.ops.binary``.

Example:
    >>> import autograd
    >>> x = autograd.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    >>> autograd.clamp(x, min=0, max=1).sum().backward()
    >>> x.grad.tolist()
    [0.0, 1.0, 0.0]
"""

from __future__ import annotations

import operator
from typing import Any

from .. import backend
from ..function import Op, apply_inplace
from ..tensor import Tensor, _wrap
from ._util import expand_to, inplace_operand, promote, to_tensor, zeros_of
from .shape import sum_to

__all__ = [
    "maximum", "minimum", "atan2", "fmod", "remainder", "clamp", "clip", "where", "lerp",
    "addcmul", "addcdiv", "clamp_", "lerp_", "addcmul_", "addcdiv_", "maximum_", "fill_",
    "copy_", "hypot", "xlogy",
]


def _shape(v: Any) -> tuple:
    return v.shape if hasattr(v, "shape") else ()


def _log(x: Tensor) -> Tensor:
    from .pointwise import log

    return log(x)


def _grad(g: Tensor | None, like: Any) -> Tensor | None:
    """Sum a gradient back to the shape of operand ``like`` (a Tensor)."""
    if g is None:
        return None
    return sum_to(g, like.shape)


# ----------------------------------------------------------------------------- max / min


class Maximum(Op):
    saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        return backend.xp_of(x).maximum(x, y)

    @staticmethod
    def inplace(x: Any, y: Any) -> None:
        backend.xp_of(x).maximum(x, y, out=x)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        x, y = ctx.saved_tensors
        return _split_grad(grad_out, x, y, x > y, ctx.needs_input_grad)

    @staticmethod
    def jvp(ctx: Any, tx: Tensor | None, ty: Tensor | None) -> Tensor:
        x, y = ctx.saved_tensors
        return _select_tangent(tx, ty, x > y, x == y, ctx._fw_out.shape)


class Minimum(Op):
    saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        return backend.xp_of(x).minimum(x, y)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        x, y = ctx.saved_tensors
        return _split_grad(grad_out, x, y, x < y, ctx.needs_input_grad)

    @staticmethod
    def jvp(ctx: Any, tx: Tensor | None, ty: Tensor | None) -> Tensor:
        x, y = ctx.saved_tensors
        return _select_tangent(tx, ty, x < y, x == y, ctx._fw_out.shape)


def _split_grad(g: Tensor, x: Tensor, y: Tensor, x_wins: Tensor, nig: tuple) -> tuple:
    """Winner takes the gradient; a tie splits it in half (PyTorch's rule)."""
    tie = x == y
    half = g * 0.5
    gx = sum_to(where(x_wins, g, where(tie, half, 0.0)), x.shape) if nig[0] else None
    gy = None
    if nig[1]:
        gy = sum_to(where(x_wins, 0.0, where(tie, half, g)), y.shape)
    return gx, gy


def _select_tangent(tx: Tensor | None, ty: Tensor | None, x_wins: Tensor, tie: Tensor,
                    shape: tuple) -> Tensor:
    zero = 0.0
    a = tx if tx is not None else zero
    b = ty if ty is not None else zero
    res = where(x_wins, a, where(tie, (a + b) * 0.5 if tx is not None and ty is not None
                                 else (a if tx is not None else b) * 0.5, b))
    return expand_to(res, shape)


def maximum(x: Any, y: Any) -> Tensor:
    """Elementwise maximum (a tie splits the gradient equally).

    Example:
        >>> import autograd
        >>> autograd.maximum(autograd.tensor([1.0, 5.0]), autograd.tensor([3.0, 2.0])).tolist()
        [3.0, 5.0]
    """
    x, y = promote(to_tensor(x) if not isinstance(x, Tensor) else x, y)
    y = to_tensor(y, x)
    return Maximum.apply(x, y)


def minimum(x: Any, y: Any) -> Tensor:
    """Elementwise minimum (a tie splits the gradient equally).

    Example:
        >>> import autograd
        >>> autograd.minimum(autograd.tensor([1.0, 5.0]), autograd.tensor([3.0, 2.0])).tolist()
        [1.0, 2.0]
    """
    x, y = promote(to_tensor(x) if not isinstance(x, Tensor) else x, y)
    y = to_tensor(y, x)
    return Minimum.apply(x, y)


# ----------------------------------------------------------------------------- atan2, hypot, fmod


class Atan2(Op):
    saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx: Any, y: Any, x: Any) -> Any:
        return backend.xp_of(y).arctan2(y, x)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        y, x = ctx.saved_tensors
        r2 = x * x + y * y
        nig = ctx.needs_input_grad
        gy = sum_to(grad_out * x / r2, y.shape) if nig[0] else None
        gx = sum_to(-grad_out * y / r2, x.shape) if nig[1] else None
        return gy, gx

    @staticmethod
    def jvp(ctx: Any, ty: Tensor | None, tx: Tensor | None) -> Tensor:
        y, x = ctx.saved_tensors
        r2 = x * x + y * y
        res = None
        if ty is not None:
            res = ty * x / r2
        if tx is not None:
            b = -tx * y / r2
            res = b if res is None else res + b
        return expand_to(res, ctx._fw_out.shape)


def atan2(y: Any, x: Any) -> Tensor:
    """The angle of the point (x, y), elementwise.

    Example:
        >>> import autograd
        >>> round(autograd.atan2(autograd.tensor(1.0), autograd.tensor(1.0)).item(), 4)
        0.7854
    """
    y, x = promote(y, x)
    y, x = to_tensor(y), to_tensor(x, y if isinstance(y, Tensor) else None)
    if y._data.dtype.kind not in "fc":
        y, x = y.to(backend.get_default_dtype()), x.to(backend.get_default_dtype())
    return Atan2.apply(y, x)


def hypot(x: Tensor, y: Tensor) -> Tensor:
    """``sqrt(x**2 + y**2)`` (composed, so it is differentiable)."""
    from .pointwise import sqrt

    return sqrt(x * x + y * y)


def xlogy(x: Any, y: Any) -> Tensor:
    """``x * log(y)``, with 0 where ``x == 0`` (even if ``y == 0``)."""
    x, y = promote(x, y)
    x, y = to_tensor(x), to_tensor(y, x if isinstance(x, Tensor) else None)
    safe_y = where(x == 0, 1.0, y)
    return where(x == 0, 0.0, x * _log(safe_y))


class _Modulo(Op):
    """``x - q * y`` for a rounded quotient ``q``: d/dx = 1, d/dy = -q (``_quotient``
    gives the rounding, ``forward`` the array function)."""

    saved_inputs = (0, 1)

    @staticmethod
    def _quotient(x: Tensor, y: Tensor) -> Tensor:
        raise TypeError("_Modulo is abstract: use Fmod or Remainder")

    @classmethod
    def backward(cls, ctx: Any, grad_out: Tensor) -> tuple:
        x, y = ctx.saved_tensors
        gx = sum_to(grad_out, ctx.sx) if ctx.needs_input_grad[0] else None
        gy = sum_to(-grad_out * cls._quotient(x, y), y.shape) if ctx.needs_input_grad[1] else None
        return gx, gy

    @classmethod
    def jvp(cls, ctx: Any, tx: Tensor | None, ty: Tensor | None) -> Tensor:
        x, y = ctx.saved_tensors
        res = tx
        if ty is not None:
            b = -ty * cls._quotient(x, y)
            res = b if res is None else res + b
        return expand_to(res, ctx._fw_out.shape)


class Fmod(_Modulo):
    """C-style remainder (sign of the dividend); d/dx = 1, d/dy = -trunc(x / y)."""

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        ctx.sx = _shape(x)
        return backend.xp_of(x).fmod(x, y)

    @staticmethod
    def _quotient(x: Tensor, y: Tensor) -> Tensor:
        from .compare import trunc

        return trunc(x / y)


class Remainder(_Modulo):
    """Python-style remainder (sign of the divisor); d/dy = -floor(x / y)."""

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        ctx.sx = _shape(x)
        return backend.xp_of(x if hasattr(x, "shape") else y).remainder(x, y)

    @staticmethod
    def _quotient(x: Tensor, y: Tensor) -> Tensor:
        from .compare import floor

        return floor(x / y)


def fmod(x: Any, y: Any) -> Tensor:
    """Remainder with the sign of ``x`` (C ``fmod``)."""
    x, y = promote(x, y)
    return Fmod.apply(to_tensor(x), y)


def remainder(x: Any, y: Any) -> Tensor:
    """Remainder with the sign of ``y`` (Python ``%``)."""
    x, y = promote(x, y)
    if not isinstance(x, Tensor):
        x = to_tensor(x, y)
    return Remainder.apply(x, y)


# ----------------------------------------------------------------------------- where / clamp


class Where(Op):
    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, cond: Any, x: Any, y: Any) -> Any:
        ctx.sx, ctx.sy = _shape(x), _shape(y)
        return backend.xp_of(cond).where(cond, x, y)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        (cond,) = ctx.saved_tensors
        nig = ctx.needs_input_grad
        zero = _wrap(backend.xp_of(grad_out._data).zeros((), grad_out._data.dtype))
        gx = sum_to(Where.apply(cond, grad_out, zero), ctx.sx) if nig[1] else None
        gy = sum_to(Where.apply(cond, zero, grad_out), ctx.sy) if nig[2] else None
        return None, gx, gy

    @staticmethod
    def jvp(ctx: Any, _: Any, tx: Tensor | None, ty: Tensor | None) -> Tensor:
        (cond,) = ctx.saved_tensors
        like = tx if tx is not None else ty
        zero = _wrap(backend.xp_of(like._data).zeros((), like._data.dtype))
        return Where.apply(cond, tx if tx is not None else zero, ty if ty is not None else zero)


def where(condition: Tensor, x: Any = None, y: Any = None) -> Any:
    """Pick ``x`` where ``condition`` holds, else ``y`` (broadcasting all three);
    ``where(condition)`` alone is ``nonzero(condition, as_tuple=True)``.

    Example:
        >>> import autograd
        >>> c = autograd.tensor([True, False])
        >>> autograd.where(c, autograd.tensor([1.0, 2.0]), 0.0).tolist()
        [1.0, 0.0]
    """
    if x is None and y is None:
        from .compare import nonzero

        return nonzero(condition, as_tuple=True)
    cond = condition if isinstance(condition, Tensor) else to_tensor(condition)
    if cond._data.dtype.kind != "b":
        if cond._data.dtype.kind not in "biu":
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {cond.dtype}")
        cond = _wrap(cond._data.astype(bool))
    x, y = promote(x, y)
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        x = to_tensor(x)
        x = x.to(backend.get_default_dtype()) if isinstance(y, float) and x._data.dtype.kind != "f" else x
    if isinstance(x, Tensor) and not isinstance(y, Tensor):
        y = _wrap(backend.xp_of(x._data).asarray(y, dtype=x._data.dtype))
    elif isinstance(y, Tensor) and not isinstance(x, Tensor):
        x = _wrap(backend.xp_of(y._data).asarray(x, dtype=y._data.dtype))
    return Where.apply(cond, x, y)


class Clamp(Op):
    """Clamp to number bounds; the gradient flows where ``min <= x <= max``."""

    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any, lo: Any, hi: Any) -> Any:
        ctx.lo, ctx.hi = lo, hi
        return backend.xp_of(x).clip(x, lo, hi)

    @staticmethod
    def inplace(x: Any, lo: Any, hi: Any) -> None:
        backend.xp_of(x).clip(x, lo, hi, out=x)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        (x,) = ctx.saved_tensors
        return where(_inside(x, ctx.lo, ctx.hi), grad_out, 0.0), None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        (x,) = ctx.saved_tensors
        return where(_inside(x, ctx.lo, ctx.hi), tx, 0.0)


def _inside(x: Tensor, lo: Any, hi: Any) -> Tensor:
    from .compare import ge, le

    if lo is None:
        return le(x, hi)
    if hi is None:
        return ge(x, lo)
    return ge(x, lo) & le(x, hi)


def clamp(x: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Limit values to ``[min, max]`` (numbers or tensors; either may be None).

    Example:
        >>> import autograd
        >>> autograd.clamp(autograd.tensor([-2.0, 0.5, 3.0]), min=0, max=1).tolist()
        [0.0, 0.5, 1.0]
    """
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = x
        if min is not None:
            out = where(out < min, min, out)
        if max is not None:
            out = where(out > max, max, out)
        return out
    if x._data.dtype.kind in "iu" and (isinstance(min, float) or isinstance(max, float)):
        x = x.to(backend.get_default_dtype())
    return Clamp.apply(x, min, max)


clip = clamp


# ----------------------------------------------------------------------------- fused updates


class Lerp(Op):
    """``x + w * (end - x)``."""

    saved_inputs = (0, 1, 2)

    @staticmethod
    def forward(ctx: Any, x: Any, end: Any, w: Any) -> Any:
        return x + w * (end - x)

    @staticmethod
    def inplace(x: Any, end: Any, w: Any) -> None:
        x += w * (end - x)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        x, end, w = ctx.saved_tensors
        nig = ctx.needs_input_grad
        gx = _grad(grad_out * (1 - w), x) if nig[0] else None
        gend = _grad(grad_out * w, end) if nig[1] else None
        gw = _grad(grad_out * (end - x), w) if nig[2] else None
        return gx, gend, gw

    @staticmethod
    def jvp(ctx: Any, tx: Any, tend: Any, tw: Any) -> Tensor:
        x, end, w = ctx.saved_tensors
        res = None
        if tx is not None:
            res = tx * (1 - w)
        if tend is not None:
            b = tend * w
            res = b if res is None else res + b
        if tw is not None:
            b = tw * (end - x)
            res = b if res is None else res + b
        return expand_to(res, ctx._fw_out.shape)


class _AddcOp(Op):
    """``x + value * t1 (op) t2``: forward, backward and jvp written once; each
    subclass gives the array operation and the two partial derivatives of
    ``value * t1 (op) t2`` (``_d1`` by ``t1``, ``_d2`` by ``t2``, as tensors)."""

    saved_inputs = (1, 2)
    _combine = staticmethod(operator.mul)

    @staticmethod
    def _d1(v: Any, t1: Tensor, t2: Tensor) -> Tensor:
        raise TypeError("_AddcOp is abstract: use Addcmul or Addcdiv")

    _d2 = _d1

    @classmethod
    def forward(cls, ctx: Any, x: Any, t1: Any, t2: Any, value: Any) -> Any:
        ctx.value, ctx.sx = value, _shape(x)
        return x + cls._combine(value * t1, t2)

    @classmethod
    def inplace(cls, x: Any, t1: Any, t2: Any, value: Any) -> None:
        x += cls._combine(value * t1, t2)

    @classmethod
    def backward(cls, ctx: Any, grad_out: Tensor) -> tuple:
        t1, t2 = ctx.saved_tensors
        nig = ctx.needs_input_grad
        v = ctx.value
        gx = sum_to(grad_out, ctx.sx) if nig[0] else None
        g1 = _grad(grad_out * cls._d1(v, t1, t2), t1) if nig[1] else None
        g2 = _grad(grad_out * cls._d2(v, t1, t2), t2) if nig[2] else None
        return gx, g1, g2, None

    @classmethod
    def jvp(cls, ctx: Any, tx: Any, t1d: Any, t2d: Any, _: Any) -> Tensor:
        t1, t2 = ctx.saved_tensors
        res = tx
        if t1d is not None:
            b = t1d * cls._d1(ctx.value, t1, t2)
            res = b if res is None else res + b
        if t2d is not None:
            b = t2d * cls._d2(ctx.value, t1, t2)
            res = b if res is None else res + b
        return expand_to(res, ctx._fw_out.shape)


class Addcmul(_AddcOp):
    """``x + value * t1 * t2``."""

    @staticmethod
    def _d1(v: Any, t1: Tensor, t2: Tensor) -> Tensor:
        return t2 * v

    @staticmethod
    def _d2(v: Any, t1: Tensor, t2: Tensor) -> Tensor:
        return t1 * v


class Addcdiv(_AddcOp):
    """``x + value * t1 / t2``."""

    _combine = staticmethod(operator.truediv)

    @staticmethod
    def _d1(v: Any, t1: Tensor, t2: Tensor) -> Tensor:
        return v / t2

    @staticmethod
    def _d2(v: Any, t1: Tensor, t2: Tensor) -> Tensor:
        return -v * t1 / (t2 * t2)


def lerp(x: Tensor, end: Tensor, weight: Any) -> Tensor:
    """Linear interpolation ``x + weight * (end - x)``.

    Example:
        >>> import autograd
        >>> autograd.lerp(autograd.zeros(2), autograd.ones(2), 0.25).tolist()
        [0.25, 0.25]
    """
    end = to_tensor(end, x)
    return Lerp.apply(x, end, weight)


def addcmul(x: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """``x + value * tensor1 * tensor2``."""
    return Addcmul.apply(x, tensor1, tensor2, value)


def addcdiv(x: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """``x + value * tensor1 / tensor2``."""
    return Addcdiv.apply(x, tensor1, tensor2, value)


# ----------------------------------------------------------------------------- fill / copy


class Fill(Op):
    """Every element becomes ``value`` (a number, or a tensor broadcast to x's shape)."""

    @staticmethod
    def forward(ctx: Any, x: Any, value: Any) -> Any:
        ctx.sv = _shape(value)
        xp = backend.xp_of(x)
        if hasattr(value, "shape"):
            return xp.broadcast_to(value.astype(x.dtype, copy=False), x.shape).copy()
        return xp.full(x.shape, value, dtype=x.dtype)

    @staticmethod
    def inplace(x: Any, value: Any) -> None:
        x[...] = value

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        gv = sum_to(grad_out, ctx.sv) if ctx.needs_input_grad[1] else None
        return None, gv

    @staticmethod
    def jvp(ctx: Any, tx: Any, tv: Any) -> Any:
        if tv is None:  # a constant overwrites the tangent too
            return zeros_of(ctx._fw_out._data)
        return expand_to(tv, ctx._fw_out.shape)


class Copy(Op):
    """``x.copy_(src)``: src broadcast to x's shape, converted to x's dtype and device."""

    cross_device = True  # src may live elsewhere: forward moves it to x's device

    @staticmethod
    def forward(ctx: Any, x: Any, src: Any) -> Any:
        ctx.src_meta = (src.shape, src.dtype, backend.device_of(src))
        src = backend.to_device(src, backend.device_of(x))
        xp = backend.xp_of(x)
        return xp.broadcast_to(src.astype(x.dtype, copy=False), x.shape).copy()

    @staticmethod
    def inplace(x: Any, src: Any) -> None:
        x[...] = backend.to_device(src, backend.device_of(x))

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        if not ctx.needs_input_grad[1]:
            return None, None
        shape, dtype, dev = ctx.src_meta
        g = sum_to(grad_out, shape)
        return None, g.to(dev, dtype)

    @staticmethod
    def jvp(ctx: Any, tx: Any, tsrc: Any) -> Any:
        if tsrc is None:  # copying a constant overwrites the tangent with zeros
            return zeros_of(ctx._fw_out._data)
        return expand_to(tsrc.to(ctx._fw_out.device, ctx._fw_out.dtype), ctx._fw_out.shape)


def fill_(x: Tensor, value: Any) -> Tensor:
    """Fill ``x`` in place with a number (or a 0-dim tensor, differentiably)."""
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError(
            f"fill_ only supports 0-dimension value tensor but got tensor with "
            f"{value._data.ndim} dimensions."
        )
    return apply_inplace(Fill, x, value)


def copy_(x: Tensor, src: Any) -> Tensor:
    """Copy ``src`` into ``x`` in place (broadcasting, converting dtype/device)."""
    src = to_tensor(src, x)
    try:
        backend.numpy.broadcast_shapes(src.shape, x.shape)
    except ValueError:
        raise RuntimeError(
            f"copy_: the source of shape {list(src.shape)} cannot be broadcast to the "
            f"destination's shape {list(x.shape)}"
        ) from None
    if len(src.shape) > len(x.shape) or backend.numpy.broadcast_shapes(src.shape, x.shape) != x.shape:
        raise RuntimeError(
            f"copy_: the source of shape {list(src.shape)} cannot be broadcast to the "
            f"destination's shape {list(x.shape)}"
        )
    return apply_inplace(Copy, x, src)


# ----------------------------------------------------------------------------- in-place variants


def clamp_(x: Tensor, min: Any = None, max: Any = None) -> Tensor:
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return copy_(x, clamp(x, min, max))
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    return apply_inplace(Clamp, x, min, max)


def lerp_(x: Tensor, end: Tensor, weight: Any) -> Tensor:
    return apply_inplace(Lerp, x, inplace_operand(x, end), weight)


def addcmul_(x: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    return apply_inplace(Addcmul, x, tensor1, tensor2, value)


def addcdiv_(x: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    return apply_inplace(Addcdiv, x, tensor1, tensor2, value)


def maximum_(x: Tensor, y: Tensor) -> Tensor:
    return apply_inplace(Maximum, x, inplace_operand(x, y))
