"""Binary (and a few ternary) elementwise ops with full broadcasting.

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

from typing import Any

from .. import backend
from ..function import Op, apply_inplace
from ..tensor import Tensor, _wrap
from ._util import check_inplace_cast, expand_to, is_number, promote, to_tensor
from .shape import sum_to

__all__ = [
    "add", "sub", "mul", "div", "true_divide", "pow", "maximum", "minimum", "atan2", "fmod",
    "remainder", "floor_divide", "clamp", "clip", "where", "lerp", "addcmul", "addcdiv",
    "add_", "sub_", "mul_", "div_", "pow_", "clamp_", "lerp_", "addcmul_", "addcdiv_",
    "maximum_", "fill_", "copy_", "hypot", "xlogy",
]


def _shape(v: Any) -> tuple:
    return v.shape if hasattr(v, "shape") else ()


def _grad(g: Tensor | None, like: Any) -> Tensor | None:
    """Sum a gradient back to the shape of operand ``like`` (a Tensor)."""
    if g is None:
        return None
    return sum_to(g, like.shape)


# ----------------------------------------------------------------------------- add / sub


class Add(Op):
    """``x + alpha * y``."""

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any, alpha: Any = 1) -> Any:
        ctx.alpha = alpha
        ctx.sx, ctx.sy = _shape(x), _shape(y)
        if alpha != 1:
            y = y * alpha
        return x + y

    @staticmethod
    def inplace(x: Any, y: Any, alpha: Any = 1) -> None:
        if alpha != 1:
            y = y * alpha
        backend.xp_of(x).add(x, y, out=x)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        nig = ctx.needs_input_grad
        gx = sum_to(grad_out, ctx.sx) if nig[0] else None
        gy = None
        if nig[1]:
            gy = sum_to(grad_out if ctx.alpha == 1 else grad_out * ctx.alpha, ctx.sy)
        return gx, gy, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor | None, ty: Tensor | None, _: Any = None) -> Tensor:
        if ty is not None and ctx.alpha != 1:
            ty = ty * ctx.alpha
        out = tx if ty is None else ty if tx is None else tx + ty
        return expand_to(out, ctx._fw_out.shape)


class Sub(Op):
    """``x - alpha * y``."""

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any, alpha: Any = 1) -> Any:
        ctx.alpha = alpha
        ctx.sx, ctx.sy = _shape(x), _shape(y)
        if alpha != 1:
            y = y * alpha
        return x - y

    @staticmethod
    def inplace(x: Any, y: Any, alpha: Any = 1) -> None:
        if alpha != 1:
            y = y * alpha
        backend.xp_of(x).subtract(x, y, out=x)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        nig = ctx.needs_input_grad
        gx = sum_to(grad_out, ctx.sx) if nig[0] else None
        gy = sum_to(-grad_out if ctx.alpha == 1 else grad_out * -ctx.alpha, ctx.sy) if nig[1] else None
        return gx, gy, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor | None, ty: Tensor | None, _: Any = None) -> Tensor:
        if ty is not None:
            ty = -ty if ctx.alpha == 1 else ty * -ctx.alpha
        out = tx if ty is None else ty if tx is None else tx + ty
        return expand_to(out, ctx._fw_out.shape)


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
        return x * c

    @staticmethod
    def inplace(x: Any, c: Any) -> None:
        backend.xp_of(x).multiply(x, c, out=x)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return MulScalar.apply(grad_out, ctx.c), None

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
        return c / y

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        y, out = ctx.saved_tensors
        return -grad_out * out / y, None

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
        return x / c

    @staticmethod
    def inplace(x: Any, c: Any) -> None:
        backend.xp_of(x).true_divide(x, c, out=x)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return DivScalar.apply(grad_out, ctx.c), None

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


class Fmod(Op):
    """C-style remainder (sign of the dividend); d/dx = 1, d/dy = -trunc(x / y)."""

    saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        ctx.sx = _shape(x)
        return backend.xp_of(x).fmod(x, y)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        x, y = ctx.saved_tensors
        gx = sum_to(grad_out, ctx.sx) if ctx.needs_input_grad[0] else None
        gy = None
        if ctx.needs_input_grad[1]:
            from .compare import trunc

            gy = sum_to(-grad_out * trunc(x / y), y.shape)
        return gx, gy

    @staticmethod
    def jvp(ctx: Any, tx: Tensor | None, ty: Tensor | None) -> Tensor:
        x, y = ctx.saved_tensors
        res = tx
        if ty is not None:
            from .compare import trunc

            b = -ty * trunc(x / y)
            res = b if res is None else res + b
        return expand_to(res, ctx._fw_out.shape)


class Remainder(Op):
    """Python-style remainder (sign of the divisor); d/dy = -floor(x / y)."""

    saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        ctx.sx = _shape(x)
        return backend.xp_of(x if hasattr(x, "shape") else y).remainder(x, y)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        x, y = ctx.saved_tensors
        gx = sum_to(grad_out, ctx.sx) if ctx.needs_input_grad[0] else None
        gy = None
        if ctx.needs_input_grad[1]:
            from .compare import floor

            gy = sum_to(-grad_out * floor(x / y), y.shape)
        return gx, gy

    @staticmethod
    def jvp(ctx: Any, tx: Tensor | None, ty: Tensor | None) -> Tensor:
        x, y = ctx.saved_tensors
        res = tx
        if ty is not None:
            from .compare import floor

            b = -ty * floor(x / y)
            res = b if res is None else res + b
        return expand_to(res, ctx._fw_out.shape)


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


class Addcmul(Op):
    """``x + value * t1 * t2``."""

    saved_inputs = (1, 2)

    @staticmethod
    def forward(ctx: Any, x: Any, t1: Any, t2: Any, value: Any) -> Any:
        ctx.value, ctx.sx = value, _shape(x)
        return x + value * t1 * t2

    @staticmethod
    def inplace(x: Any, t1: Any, t2: Any, value: Any) -> None:
        x += value * t1 * t2

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        t1, t2 = ctx.saved_tensors
        nig = ctx.needs_input_grad
        v = ctx.value
        gx = sum_to(grad_out, ctx.sx) if nig[0] else None
        g1 = _grad(grad_out * t2 * v, t1) if nig[1] else None
        g2 = _grad(grad_out * t1 * v, t2) if nig[2] else None
        return gx, g1, g2, None

    @staticmethod
    def jvp(ctx: Any, tx: Any, t1d: Any, t2d: Any, _: Any) -> Tensor:
        t1, t2 = ctx.saved_tensors
        res = tx
        if t1d is not None:
            b = t1d * t2 * ctx.value
            res = b if res is None else res + b
        if t2d is not None:
            b = t2d * t1 * ctx.value
            res = b if res is None else res + b
        return expand_to(res, ctx._fw_out.shape)


class Addcdiv(Op):
    """``x + value * t1 / t2``."""

    saved_inputs = (1, 2)

    @staticmethod
    def forward(ctx: Any, x: Any, t1: Any, t2: Any, value: Any) -> Any:
        ctx.value, ctx.sx = value, _shape(x)
        return x + value * t1 / t2

    @staticmethod
    def inplace(x: Any, t1: Any, t2: Any, value: Any) -> None:
        x += value * t1 / t2

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        t1, t2 = ctx.saved_tensors
        nig = ctx.needs_input_grad
        v = ctx.value
        gx = sum_to(grad_out, ctx.sx) if nig[0] else None
        g1 = _grad(grad_out * v / t2, t1) if nig[1] else None
        g2 = _grad(-grad_out * v * t1 / (t2 * t2), t2) if nig[2] else None
        return gx, g1, g2, None

    @staticmethod
    def jvp(ctx: Any, tx: Any, t1d: Any, t2d: Any, _: Any) -> Tensor:
        t1, t2 = ctx.saved_tensors
        res = tx
        if t1d is not None:
            b = t1d * ctx.value / t2
            res = b if res is None else res + b
        if t2d is not None:
            b = -t2d * ctx.value * t1 / (t2 * t2)
            res = b if res is None else res + b
        return expand_to(res, ctx._fw_out.shape)


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
        if tv is None:
            return None
        return expand_to(tv, ctx._fw_out.shape)


class Copy(Op):
    """``x.copy_(src)``: src broadcast to x's shape, converted to x's dtype and device."""

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
        if tsrc is None:
            return None
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


def _inplace_operand(x: Tensor, y: Any) -> Any:
    """In-place ops keep x's dtype: the other operand is converted to it (a result of
    a higher category than x's dtype is refused, as PyTorch does)."""
    check_inplace_cast(x, y)
    if isinstance(y, Tensor):
        if y._data.dtype != x._data.dtype:
            if x._data.dtype.kind in "biu" and y._data.dtype.kind in "fc":
                raise RuntimeError(
                    f"result type {y.dtype} can't be cast to the desired output type {x.dtype}"
                )
            y = y.to(x.dtype)
        return y
    if not is_number(y):
        return to_tensor(y, x).to(x.dtype)
    if x._data.dtype.kind in "biu" and isinstance(y, float):
        raise RuntimeError(f"result type Float can't be cast to the desired output type {x.dtype}")
    return y


def add_(x: Tensor, y: Any, *, alpha: Any = 1) -> Tensor:
    return apply_inplace(Add, x, _inplace_operand(x, y), alpha)


def sub_(x: Tensor, y: Any, *, alpha: Any = 1) -> Tensor:
    return apply_inplace(Sub, x, _inplace_operand(x, y), alpha)


def mul_(x: Tensor, y: Any) -> Tensor:
    y = _inplace_operand(x, y)
    return apply_inplace(Mul if isinstance(y, Tensor) else MulScalar, x, y)


def div_(x: Tensor, y: Any, *, rounding_mode: str | None = None) -> Tensor:
    if rounding_mode is not None:
        return copy_(x, div(x, y, rounding_mode=rounding_mode))
    check_inplace_cast(x, 1.0)  # true division of an integer tensor gives floats
    y = _inplace_operand(x, y)
    return apply_inplace(Div if isinstance(y, Tensor) else DivScalar, x, y)


def pow_(x: Tensor, exponent: Any) -> Tensor:
    if is_number(exponent):
        return apply_inplace(PowScalar, x, exponent)
    return apply_inplace(Pow, x, _inplace_operand(x, exponent))


def clamp_(x: Tensor, min: Any = None, max: Any = None) -> Tensor:
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return copy_(x, clamp(x, min, max))
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    return apply_inplace(Clamp, x, min, max)


def lerp_(x: Tensor, end: Tensor, weight: Any) -> Tensor:
    return apply_inplace(Lerp, x, _inplace_operand(x, end), weight)


def addcmul_(x: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    return apply_inplace(Addcmul, x, tensor1, tensor2, value)


def addcdiv_(x: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    return apply_inplace(Addcdiv, x, tensor1, tensor2, value)


def maximum_(x: Tensor, y: Tensor) -> Tensor:
    return apply_inplace(Maximum, x, _inplace_operand(x, y))
