"""Binary (and a few ternary) elementwise ops with full broadcasting: the arithmetic
here (add, sub, mul, div, pow and their in-place forms), the rest in ``_binary_misc``
(re-exported).

Operands may be Tensors or Python numbers; PyTorch's type promotion decides the
result dtype (``_util.promote``). Backward sums each gradient back to its operand's
shape (``sum_to``), so broadcasting needs no special care by callers.

Example:
    >>> import autograd
    >>> x = autograd.tensor([1.0, 2.0], requires_grad=True)
    >>> y = autograd.tensor([[3.0], [4.0]], requires_grad=True)
    >>> (x * y).sum().backward()
    >>> x.grad, y.grad
    (tensor([7., 7.]), tensor([[3.],
            [3.]]))
"""

from __future__ import annotations

import operator
from typing import Any

from .. import backend
from ..function import Op, apply_inplace
from ..tensor import Tensor, _wrap
from ._binary_misc import (  # noqa: F401 - the rest of the family, re-exported
    Addcdiv,
    Addcmul,
    Atan2,
    Clamp,
    Copy,
    Fill,
    Fmod,
    Lerp,
    Maximum,
    Minimum,
    Remainder,
    Where,
    _shape,
    addcdiv,
    addcdiv_,
    addcmul,
    addcmul_,
    atan2,
    clamp,
    clamp_,
    clip,
    copy_,
    fill_,
    fmod,
    hypot,
    lerp,
    lerp_,
    maximum,
    maximum_,
    minimum,
    remainder,
    where,
    xlogy,
)
from ._util import (
    check_inplace_cast,
    expand_to,
    inplace_operand,
    is_number,
    promote,
    scalar_operand,
    sum_to_array,
)
from .shape import sum_to

__all__ = [
    "add", "sub", "mul", "div", "true_divide", "pow", "maximum", "minimum", "atan2", "fmod",
    "remainder", "floor_divide", "clamp", "clip", "where", "lerp", "addcmul", "addcdiv",
    "add_", "sub_", "mul_", "div_", "pow_", "clamp_", "lerp_", "addcmul_", "addcdiv_",
    "maximum_", "fill_", "copy_", "hypot", "xlogy",
]


# ----------------------------------------------------------------------------- add / sub


class _AddSub(Op):
    """``x + sign * alpha * y``: Add (``sign`` 1) and Sub (``sign`` -1) differ in nothing
    else, so forward, backward and jvp are written once here."""

    sign = 1
    _combine = staticmethod(operator.add)  # the array operation: + or -

    @classmethod
    def forward(cls, ctx: Any, x: Any, y: Any, alpha: Any = 1) -> Any:
        ctx.alpha = alpha
        if alpha != 1:
            y = y * alpha
        out = cls._combine(x, scalar_operand(y, x))
        ctx.sx, ctx.sy = _operand_shape(x, out), _operand_shape(y, out)
        return out

    @classmethod
    def inplace(cls, x: Any, y: Any, alpha: Any = 1) -> None:
        if alpha != 1:
            y = y * alpha
        xp = backend.xp_of(x)
        (xp.add if cls.sign > 0 else xp.subtract)(x, y, out=x)

    @classmethod
    def backward(cls, ctx: Any, grad_out: Tensor) -> tuple:
        nig = ctx.needs_input_grad
        gx = _sum_back(grad_out, ctx.sx) if nig[0] else None
        gy = None
        if nig[1]:
            k = cls.sign * ctx.alpha  # d(out)/dy
            gy = _sum_back(grad_out if k == 1 else -grad_out if k == -1 else grad_out * k, ctx.sy)
        return gx, gy, None

    @classmethod
    def backward_array(cls, ctx: Any, g: Any) -> tuple:
        edges = ctx._edges  # an edge is truthy where the input needs a gradient
        gx = _sum_back_array(g, ctx.sx) if edges[0] else None
        gy = None
        if edges[1]:
            k = cls.sign * ctx.alpha
            gy = _sum_back_array(g if k == 1 else -g if k == -1 else g * scalar_operand(k, g), ctx.sy)
        return gx, gy, None

    @classmethod
    def jvp(cls, ctx: Any, tx: Tensor | None, ty: Tensor | None, _: Any = None) -> Tensor:
        if ty is not None:
            k = cls.sign * ctx.alpha
            ty = ty if k == 1 else -ty if k == -1 else ty * k
        out = tx if ty is None else ty if tx is None else tx + ty
        return expand_to(out, ctx._fw_out.shape)


class Add(_AddSub):
    """``x + alpha * y``."""


class Sub(_AddSub):
    """``x - alpha * y``."""

    sign = -1
    _combine = staticmethod(operator.sub)


def _operand_shape(v: Any, out: Any) -> tuple | None:
    """An operand's shape as backward needs it: None when it is the output's shape
    (nothing to sum), so the common case keeps no tuple on the node."""
    shape = getattr(v, "shape", ())
    return None if shape == out.shape else shape


def _sum_back(g: Tensor, shape: tuple | None) -> Tensor:
    return g if shape is None else sum_to(g, shape)


def _sum_back_array(g: Any, shape: tuple | None) -> Any:
    return g if shape is None else sum_to_array(g, shape)


def _check_bool_sub(x: Any, y: Any) -> None:
    for v in (x, y):
        if isinstance(v, Tensor) and v._data.dtype.kind == "b":
            raise RuntimeError(
                "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )


def add(x: Any, y: Any, *, alpha: Any = 1) -> Tensor:
    """``x + alpha * y`` with broadcasting.

    Example:
        >>> import autograd
        >>> autograd.add(autograd.ones(2), 2, alpha=3).tolist()
        [7.0, 7.0]
    """
    x, y = promote(x, y)
    if not isinstance(x, Tensor):  # number + tensor: keep the tensor first for the op
        return Add.apply(y, x, 1) if alpha == 1 else Add.apply(y * alpha, x, 1)
    return Add.apply(x, y, alpha)


def sub(x: Any, y: Any, *, alpha: Any = 1) -> Tensor:
    """``x - alpha * y`` with broadcasting.

    Example:
        >>> import autograd
        >>> (3 - autograd.ones(2)).tolist()
        [2.0, 2.0]
    """
    _check_bool_sub(x, y)
    x, y = promote(x, y)
    if not isinstance(x, Tensor):
        return Add.apply(_neg(y) if alpha == 1 else y * -alpha, x, 1)
    return Sub.apply(x, y, alpha)


def _neg(y: Tensor) -> Tensor:
    from .pointwise import neg

    return neg(y)


# ----------------------------------------------------------------------------- mul / div


class Mul(Op):
    saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        return x * y

    @staticmethod
    def inplace(x: Any, y: Any) -> None:
        backend.xp_of(x).multiply(x, y, out=x)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        x, y = ctx.saved_tensors
        nig = ctx.needs_input_grad
        gx = sum_to(grad_out * y, x.shape) if nig[0] else None
        gy = sum_to(grad_out * x, y.shape) if nig[1] else None
        return gx, gy

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> tuple:
        x, y = ctx.saved_arrays
        edges = ctx._edges
        gx = sum_to_array(g * y, x.shape) if edges[0] else None
        gy = sum_to_array(g * x, y.shape) if edges[1] else None
        return gx, gy

    @staticmethod
    def jvp(ctx: Any, tx: Tensor | None, ty: Tensor | None) -> Tensor:
        x, y = ctx.saved_tensors
        a = tx * y if tx is not None else None
        b = x * ty if ty is not None else None
        out = a if b is None else b if a is None else a + b
        return expand_to(out, ctx._fw_out.shape)


class MulScalar(Op):
    """``x * c`` for a number ``c``: nothing is saved (the gradient is ``grad * c``)."""

    backward_name = "MulBackward"

    @staticmethod
    def forward(ctx: Any, x: Any, c: Any) -> Any:
        ctx.c = c
        return x * scalar_operand(c, x)

    @staticmethod
    def inplace(x: Any, c: Any) -> None:
        backend.xp_of(x).multiply(x, c, out=x)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return MulScalar.apply(grad_out, ctx.c), None

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> tuple:
        return g * scalar_operand(ctx.c, g), None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, _: Any) -> Tensor:
        return MulScalar.apply(tx, ctx.c)


def mul(x: Any, y: Any) -> Tensor:
    """Elementwise product with broadcasting.

    Example:
        >>> import autograd
        >>> autograd.mul(autograd.tensor([1.0, 2.0]), 3).tolist()
        [3.0, 6.0]
    """
    x, y = promote(x, y)
    if not isinstance(x, Tensor):
        x, y = y, x
    if not isinstance(y, Tensor):
        return MulScalar.apply(x, y)
    return Mul.apply(x, y)


class Div(Op):
    saved_inputs = (1,)
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        ctx.sx = _shape(x)
        return x / y

    @staticmethod
    def inplace(x: Any, y: Any) -> None:
        backend.xp_of(x).true_divide(x, y, out=x)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        y, out = ctx.saved_tensors
        nig = ctx.needs_input_grad
        gx = sum_to(grad_out / y, ctx.sx) if nig[0] else None
        gy = sum_to(-grad_out * out / y, y.shape) if nig[1] else None
        return gx, gy

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> tuple:
        y, out = ctx.saved_arrays
        edges = ctx._edges
        gx = sum_to_array(g / y, ctx.sx) if edges[0] else None
        gy = None
        if edges[1]:
            gy = g * out
            gy /= y
            gy = sum_to_array(-gy, y.shape)
        return gx, gy

    @staticmethod
    def jvp(ctx: Any, tx: Tensor | None, ty: Tensor | None) -> Tensor:
        y, out = ctx.saved_tensors
        a = tx / y if tx is not None else None
        b = -ty * out / y if ty is not None else None
        res = a if b is None else b if a is None else a + b
        return expand_to(res, ctx._fw_out.shape)


class RDiv(Op):
    """``number / y``."""

    saved_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx: Any, y: Any, c: Any) -> Any:
        return scalar_operand(c, y) / y

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        y, out = ctx.saved_tensors
        return -grad_out * out / y, None

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> tuple:
        y, out = ctx.saved_arrays
        gy = g * out
        gy /= y
        return -gy, None

    @staticmethod
    def jvp(ctx: Any, ty: Tensor, _: Any) -> Tensor:
        y, out = ctx.saved_tensors
        return -ty * out / y


def _float_operands(x: Any, y: Any) -> tuple:
    """True division of integers gives the default float dtype, as in PyTorch."""
    dt = backend.get_default_dtype()
    if isinstance(x, Tensor) and x._data.dtype.kind in "biu":
        x = x.to(dt)
        if not isinstance(y, Tensor):
            y = float(y)
    if isinstance(y, Tensor) and y._data.dtype.kind in "biu":
        y = y.to(dt)
        if not isinstance(x, Tensor):
            x = float(x)
    return x, y


class DivScalar(Op):
    """``x / c`` for a number ``c``: nothing is saved."""

    backward_name = "DivBackward"

    @staticmethod
    def forward(ctx: Any, x: Any, c: Any) -> Any:
        ctx.c = c
        return x / scalar_operand(c, x)

    @staticmethod
    def inplace(x: Any, c: Any) -> None:
        backend.xp_of(x).true_divide(x, c, out=x)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return DivScalar.apply(grad_out, ctx.c), None

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> tuple:
        return g / scalar_operand(ctx.c, g), None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, _: Any) -> Tensor:
        return DivScalar.apply(tx, ctx.c)


def div(x: Any, y: Any, *, rounding_mode: str | None = None) -> Tensor:
    """``x / y``; ``rounding_mode`` 'trunc' or 'floor' rounds the quotient (and is not
    differentiable).

    Example:
        >>> import autograd
        >>> autograd.div(autograd.tensor([7, -7]), 2, rounding_mode="floor").tolist()
        [3, -4]
    """
    if rounding_mode is not None:
        return _rounded_div(x, y, rounding_mode)
    x, y = promote(x, y)
    x, y = _float_operands(x, y)
    if not isinstance(x, Tensor):
        return RDiv.apply(y, x)
    if not isinstance(y, Tensor):
        return DivScalar.apply(x, y)
    return Div.apply(x, y)


true_divide = div


def _rounded_div(x: Any, y: Any, mode: str) -> Tensor:
    if mode not in ("trunc", "floor"):
        raise ValueError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{mode}'"
        )
    x, y = promote(x, y)
    ref = x if isinstance(x, Tensor) else y
    a = x._data if isinstance(x, Tensor) else x
    b = y._data if isinstance(y, Tensor) else y
    xp = backend.xp_of(ref._data)
    if ref._data.dtype.kind in "iu":
        if (xp.asarray(b) == 0).any():
            raise ZeroDivisionError("integer division by zero in div(rounding_mode=...)")
        out = xp.floor_divide(a, b) if mode == "floor" else xp.trunc(xp.true_divide(a, b)).astype(ref.dtype)
    else:
        q = xp.true_divide(a, b)
        out = xp.floor(q) if mode == "floor" else xp.trunc(q)
    return _wrap(xp.asarray(out, dtype=ref.dtype))


def floor_divide(x: Any, y: Any) -> Tensor:
    """``x // y`` (rounds toward negative infinity, as Python and PyTorch >= 1.13)."""
    return _rounded_div(x, y, "floor")


# ----------------------------------------------------------------------------- pow


class Pow(Op):
    """``x ** y`` for two tensors."""

    saved_inputs = (0, 1)
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        return backend.xp_of(x).power(x, y)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        x, y, out = ctx.saved_tensors
        nig = ctx.needs_input_grad
        gx = gy = None
        if nig[0]:
            d = where(y == 0, 0.0, y * pow(x, y - 1))
            gx = sum_to(grad_out * d, x.shape)
        if nig[1]:
            d = where((x == 0) & (y >= 0), 0.0, out * _log(x))
            gy = sum_to(grad_out * d, y.shape)
        return gx, gy

    @staticmethod
    def jvp(ctx: Any, tx: Tensor | None, ty: Tensor | None) -> Tensor:
        x, y, out = ctx.saved_tensors
        res = None
        if tx is not None:
            res = tx * where(y == 0, 0.0, y * pow(x, y - 1))
        if ty is not None:
            b = ty * where((x == 0) & (y >= 0), 0.0, out * _log(x))
            res = b if res is None else res + b
        return expand_to(res, ctx._fw_out.shape)


class PowScalar(Op):
    """``x ** c`` for a number ``c``."""

    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any, c: Any) -> Any:
        ctx.c = c
        if c == 2:
            return x * x
        return backend.xp_of(x).power(x, c)

    @staticmethod
    def inplace(x: Any, c: Any) -> None:
        backend.xp_of(x).power(x, c, out=x)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        (x,) = ctx.saved_tensors
        return grad_out * _pow_deriv(x, ctx.c), None

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> tuple:
        (x,) = ctx.saved_arrays
        c = ctx.c
        if c == 0:
            d = x * 0.0
        elif c == 1:
            d = x * 0.0 + 1.0  # 1, or NaN where x is: as the Tensor-level derivative
        elif c == 2:
            d = x + x
        else:
            d = backend.xp_of(x).power(x, c - 1)
            d *= scalar_operand(c, d)
        d *= g
        return d, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, _: Any) -> Tensor:
        (x,) = ctx.saved_tensors
        return tx * _pow_deriv(x, ctx.c)


def _pow_deriv(x: Tensor, c: Any) -> Any:
    if c == 0:
        return 0.0 * x
    if c == 1:
        return 1.0 + 0.0 * x
    if c == 2:
        return 2.0 * x
    return c * pow(x, c - 1)


class RPow(Op):
    """``c ** y`` for a number ``c``."""

    save_output = True

    @staticmethod
    def forward(ctx: Any, y: Any, c: Any) -> Any:
        ctx.logc = backend.numpy.log(c) if c > 0 else (float("-inf") if c == 0 else float("nan"))
        return backend.xp_of(y).power(backend.xp_of(y).asarray(c, dtype=y.dtype), y)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        (out,) = ctx.saved_tensors
        if ctx.logc == float("-inf"):
            return grad_out * 0.0, None
        return grad_out * out * float(ctx.logc), None

    @staticmethod
    def jvp(ctx: Any, ty: Tensor, _: Any) -> Tensor:
        (out,) = ctx.saved_tensors
        return ty * out * float(ctx.logc)


def _log(x: Tensor) -> Tensor:
    from .pointwise import log

    return log(x)


def pow(x: Any, exponent: Any) -> Tensor:
    """``x ** exponent``; either side may be a number.

    Example:
        >>> import autograd
        >>> autograd.pow(autograd.tensor([2.0, 3.0]), 2).tolist()
        [4.0, 9.0]
    """
    if isinstance(x, Tensor) and is_number(exponent):
        if x._data.dtype.kind in "iub" and (isinstance(exponent, float) or exponent < 0):
            if exponent < 0 and not isinstance(exponent, float):
                raise RuntimeError("Integers to negative integer powers are not allowed.")
            x = x.to(backend.get_default_dtype())
        return PowScalar.apply(x, exponent)
    if is_number(x) and isinstance(exponent, Tensor):
        y = exponent
        if y._data.dtype.kind in "iub" and isinstance(x, float):
            y = y.to(backend.get_default_dtype())
        return RPow.apply(y, x)
    x, exponent = promote(x, exponent)
    return Pow.apply(x, exponent)


# ----------------------------------------------------------------------------- in-place variants


def add_(x: Tensor, y: Any, *, alpha: Any = 1) -> Tensor:
    return apply_inplace(Add, x, inplace_operand(x, y), alpha)


def sub_(x: Tensor, y: Any, *, alpha: Any = 1) -> Tensor:
    return apply_inplace(Sub, x, inplace_operand(x, y), alpha)


def mul_(x: Tensor, y: Any) -> Tensor:
    y = inplace_operand(x, y)
    return apply_inplace(Mul if isinstance(y, Tensor) else MulScalar, x, y)


def div_(x: Tensor, y: Any, *, rounding_mode: str | None = None) -> Tensor:
    if rounding_mode is not None:
        return copy_(x, div(x, y, rounding_mode=rounding_mode))
    check_inplace_cast(x, 1.0)  # true division of an integer tensor gives floats
    y = inplace_operand(x, y)
    return apply_inplace(Div if isinstance(y, Tensor) else DivScalar, x, y)


def pow_(x: Tensor, exponent: Any) -> Tensor:
    if is_number(exponent):
        return apply_inplace(PowScalar, x, exponent)
    return apply_inplace(Pow, x, inplace_operand(x, exponent))
