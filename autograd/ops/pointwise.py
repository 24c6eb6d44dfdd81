"""Unary elementwise math. Each op gives its forward and its derivative ``deriv``;
backward is ``grad_out * deriv`` and jvp is ``tangent * deriv`` (``Unary``).

Example:
    >>> import autograd
    >>> x = autograd.tensor([0.0, 1.0], requires_grad=True)
    >>> autograd.exp(x).sum().backward()
    >>> x.grad
    tensor([1.0000, 2.7183])
"""

from __future__ import annotations

import math
from typing import Any

from .. import backend
from ..function import Op, apply_inplace
from ..tensor import Tensor, _wrap
from . import special
from ._util import keep_where, scalar_operand

__all__ = [
    "neg", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt", "square",
    "abs", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "sigmoid",
    "relu", "erf", "erfc", "reciprocal", "frac", "neg_", "exp_", "log_", "sqrt_", "abs_",
    "sin_", "cos_", "tanh_", "sigmoid_", "relu_", "reciprocal_", "arcsin", "arccos", "arctan",
    "negative", "absolute",
]


class Unary(Op):
    """A unary op whose backward and jvp both multiply by ``deriv(ctx)``; the hot ones
    also give ``backward_array`` (the same product on raw arrays)."""

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        raise RuntimeError(f"{cls.__name__} must define deriv(ctx)")

    @classmethod
    def backward(cls, ctx: Any, grad_out: Tensor) -> Tensor:
        return grad_out * cls.deriv(ctx)

    @classmethod
    def jvp(cls, ctx: Any, tx: Tensor) -> Tensor:
        return tx * cls.deriv(ctx)


def _float_input(x: Tensor) -> Tensor:
    """Math on integer tensors gives the default float dtype, as in PyTorch."""
    if x._data.dtype.kind in "biu":
        return x.to(backend.get_default_dtype())
    return x


# ----------------------------------------------------------------------------- sign & scale


class Neg(Op):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return -x

    @staticmethod
    def inplace(x: Any) -> None:
        backend.xp_of(x).negative(x, out=x)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> Tensor:
        return Neg.apply(grad_out)

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> Any:
        return -g

    @staticmethod
    def jvp(ctx: Any, tx: Tensor) -> Tensor:
        return Neg.apply(tx)


class Abs(Unary):
    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).abs(x)

    @staticmethod
    def inplace(x: Any) -> None:
        backend.xp_of(x).abs(x, out=x)

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        from .compare import sign

        (x,) = ctx.saved_tensors
        return sign(x)

    @classmethod
    def jvp(cls, ctx: Any, tx: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        if x._data.dtype.kind != "c":
            return tx * cls.deriv(ctx)
        # |x| is real: its tangent is Re(conj(x) * tx) / |x| (0 where x = 0, as sgn)
        from ._binary_misc import where
        from .matmul import Conj

        out = ctx._fw_out
        at_zero = _wrap(out._data == 0)
        re = (Conj.apply(x) * tx).to(out.dtype)
        return where(at_zero, 0.0, re / where(at_zero, 1.0, out))


class Square(Unary):
    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return x * x

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        (x,) = ctx.saved_tensors
        return 2.0 * x

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> Any:
        (x,) = ctx.saved_arrays
        gx = x + x
        gx *= g
        return gx


class Reciprocal(Unary):
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).reciprocal(x)

    @staticmethod
    def inplace(x: Any) -> None:
        backend.xp_of(x).reciprocal(x, out=x)

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        (out,) = ctx.saved_tensors
        return -(out * out)


class Frac(Op):
    """``x - trunc(x)``: derivative 1."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return x - backend.xp_of(x).trunc(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> Tensor:
        return grad_out

    @staticmethod
    def jvp(ctx: Any, tx: Tensor) -> Tensor:
        return tx


# ----------------------------------------------------------------------------- exp & log


class Exp(Unary):
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).exp(x)

    @staticmethod
    def inplace(x: Any) -> None:
        backend.xp_of(x).exp(x, out=x)

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        (out,) = ctx.saved_tensors
        return out

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> Any:
        (out,) = ctx.saved_arrays
        return g * out


class Exp2(Unary):
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).exp2(x)

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        (out,) = ctx.saved_tensors
        return out * math.log(2.0)


class Expm1(Unary):
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).expm1(x)

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        (out,) = ctx.saved_tensors
        return out + 1.0


class Log(Unary):
    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).log(x)

    @staticmethod
    def inplace(x: Any) -> None:
        backend.xp_of(x).log(x, out=x)

    @classmethod
    def backward(cls, ctx: Any, grad_out: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad_out / x

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> Any:
        (x,) = ctx.saved_arrays
        return g / x

    @classmethod
    def jvp(cls, ctx: Any, tx: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return tx / x


class Log2(Unary):
    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).log2(x)

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        (x,) = ctx.saved_tensors
        return 1.0 / (x * math.log(2.0))


class Log10(Unary):
    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).log10(x)

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        (x,) = ctx.saved_tensors
        return 1.0 / (x * math.log(10.0))


class Log1p(Unary):
    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).log1p(x)

    @classmethod
    def backward(cls, ctx: Any, grad_out: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad_out / (x + 1.0)

    @classmethod
    def jvp(cls, ctx: Any, tx: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return tx / (x + 1.0)


# ----------------------------------------------------------------------------- roots


class Sqrt(Unary):
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).sqrt(x)

    @staticmethod
    def inplace(x: Any) -> None:
        backend.xp_of(x).sqrt(x, out=x)

    @classmethod
    def backward(cls, ctx: Any, grad_out: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        return grad_out / (2.0 * out)

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> Any:
        (out,) = ctx.saved_arrays
        return g / (out + out)

    @classmethod
    def jvp(cls, ctx: Any, tx: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        return tx / (2.0 * out)


class Rsqrt(Unary):
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return 1.0 / backend.xp_of(x).sqrt(x)

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        (out,) = ctx.saved_tensors
        return -0.5 * out * out * out


# ----------------------------------------------------------------------------- trigonometry


class Sin(Unary):
    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).sin(x)

    @staticmethod
    def inplace(x: Any) -> None:
        backend.xp_of(x).sin(x, out=x)

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        (x,) = ctx.saved_tensors
        return cos(x)

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> Any:
        (x,) = ctx.saved_arrays
        gx = backend.xp_of(x).cos(x)
        gx *= g
        return gx


class Cos(Unary):
    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).cos(x)

    @staticmethod
    def inplace(x: Any) -> None:
        backend.xp_of(x).cos(x, out=x)

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        (x,) = ctx.saved_tensors
        return -sin(x)

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> Any:
        (x,) = ctx.saved_arrays
        gx = backend.xp_of(x).sin(x)
        gx *= g
        return -gx


class Tan(Unary):
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).tan(x)

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        (out,) = ctx.saved_tensors
        return 1.0 + out * out


class Asin(Unary):
    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).arcsin(x)

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        (x,) = ctx.saved_tensors
        return rsqrt(1.0 - x * x)


class Acos(Unary):
    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).arccos(x)

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        (x,) = ctx.saved_tensors
        return -rsqrt(1.0 - x * x)


class Atan(Unary):
    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).arctan(x)

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        (x,) = ctx.saved_tensors
        return 1.0 / (1.0 + x * x)


class Sinh(Unary):
    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).sinh(x)

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        (x,) = ctx.saved_tensors
        return cosh(x)


class Cosh(Unary):
    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).cosh(x)

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        (x,) = ctx.saved_tensors
        return sinh(x)


class Tanh(Unary):
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).tanh(x)

    @staticmethod
    def inplace(x: Any) -> None:
        backend.xp_of(x).tanh(x, out=x)

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        (out,) = ctx.saved_tensors
        return 1.0 - out * out

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> Any:
        (out,) = ctx.saved_arrays
        gx = scalar_operand(1.0, out) - out * out
        gx *= g
        return gx


# ----------------------------------------------------------------------------- activations


class Sigmoid(Unary):
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        xp = backend.xp_of(x)
        # split by sign so exp never overflows: 1/(1+e^-x) for x>=0, e^x/(1+e^x) otherwise
        z = xp.exp(-xp.abs(x))
        return xp.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z)).astype(x.dtype, copy=False)

    @staticmethod
    def inplace(x: Any) -> None:
        x[...] = Sigmoid.forward(None, x)

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        (out,) = ctx.saved_tensors
        return out * (1.0 - out)

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> Any:
        (out,) = ctx.saved_arrays
        gx = scalar_operand(1.0, out) - out
        gx *= out
        gx *= g
        return gx


class Relu(Op):
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).maximum(x, 0)

    @staticmethod
    def inplace(x: Any) -> None:
        backend.xp_of(x).maximum(x, 0, out=x)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        return _masked(grad_out, out)

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> Any:
        (out,) = ctx.saved_arrays
        return keep_where(g, out > 0)

    @staticmethod
    def jvp(ctx: Any, tx: Tensor) -> Tensor:
        (out,) = ctx.saved_tensors
        return _masked(tx, out)


def _masked(g: Tensor, out: Tensor) -> Tensor:
    """``g`` where the relu output is positive, else 0 (the subgradient 0 at 0)."""
    from .binary import where

    return where(out > 0, g, 0.0)


class Erf(Unary):
    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return special.erf(x)

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        (x,) = ctx.saved_tensors
        return (2.0 / math.sqrt(math.pi)) * exp(-(x * x))

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> Any:
        (x,) = ctx.saved_arrays
        gx = x * x
        gx = backend.xp_of(gx).exp(-gx)
        gx *= scalar_operand(2.0 / math.sqrt(math.pi), gx)
        gx *= g
        return gx


class Erfc(Unary):
    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return special.erfc(x)

    @classmethod
    def deriv(cls, ctx: Any) -> Any:
        (x,) = ctx.saved_tensors
        return (-2.0 / math.sqrt(math.pi)) * exp(-(x * x))


# ----------------------------------------------------------------------------- public functions


def _unary(cls: type, doc: str, floats_only: bool = True) -> Any:
    def fn(x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(x).__name__}")
        if floats_only and x._data.dtype.kind in "biu":
            x = x.to(backend.get_default_dtype())  # as PyTorch: integer math gives floats
        return cls.apply(x)

    name = cls.__name__.lower()
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


def _unary_(cls: type, floats_only: bool = True) -> Any:
    def fn(x: Tensor) -> Tensor:
        if floats_only and x._data.dtype.kind in "biu":
            raise RuntimeError(
                f"result type Float can't be cast to the desired output type {x.dtype} "
                f"({cls.__name__.lower()}_ of an integer tensor)"
            )
        return apply_inplace(cls, x)

    fn.__name__ = fn.__qualname__ = cls.__name__.lower() + "_"
    fn.__doc__ = f"In-place {cls.__name__.lower()}: writes the result into ``x``."
    return fn


neg = _unary(Neg, "``-x``.\n\nExample:\n    >>> import autograd\n    >>> autograd.neg(autograd.ones(1)).tolist()\n    [-1.0]", floats_only=False)
negative = neg
abs = _unary(Abs, "``|x|`` (subgradient 0 at 0).\n\nExample:\n    >>> import autograd\n    >>> autograd.abs(autograd.tensor([-2.0])).tolist()\n    [2.0]", floats_only=False)
absolute = abs
square = _unary(Square, "``x * x``.\n\nExample:\n    >>> import autograd\n    >>> autograd.square(autograd.tensor([3.0])).tolist()\n    [9.0]", floats_only=False)
reciprocal = _unary(Reciprocal, "``1 / x``.\n\nExample:\n    >>> import autograd\n    >>> autograd.reciprocal(autograd.tensor([4.0])).tolist()\n    [0.25]")
frac = _unary(Frac, "``x - trunc(x)``.\n\nExample:\n    >>> import autograd\n    >>> autograd.frac(autograd.tensor([1.25])).tolist()\n    [0.25]")
exp = _unary(Exp, "``e ** x``.\n\nExample:\n    >>> import autograd\n    >>> autograd.exp(autograd.zeros(1)).tolist()\n    [1.0]")
exp2 = _unary(Exp2, "``2 ** x``.\n\nExample:\n    >>> import autograd\n    >>> autograd.exp2(autograd.tensor([3.0])).tolist()\n    [8.0]")
expm1 = _unary(Expm1, "``e ** x - 1``, accurate near 0.\n\nExample:\n    >>> import autograd\n    >>> autograd.expm1(autograd.zeros(1)).tolist()\n    [0.0]")
log = _unary(Log, "Natural logarithm.\n\nExample:\n    >>> import autograd\n    >>> autograd.log(autograd.ones(1)).tolist()\n    [0.0]")
log2 = _unary(Log2, "Base-2 logarithm.\n\nExample:\n    >>> import autograd\n    >>> autograd.log2(autograd.tensor([8.0])).tolist()\n    [3.0]")
log10 = _unary(Log10, "Base-10 logarithm.\n\nExample:\n    >>> import autograd\n    >>> autograd.log10(autograd.tensor([100.0])).tolist()\n    [2.0]")
log1p = _unary(Log1p, "``log(1 + x)``, accurate near 0.\n\nExample:\n    >>> import autograd\n    >>> autograd.log1p(autograd.zeros(1)).tolist()\n    [0.0]")
sqrt = _unary(Sqrt, "Square root.\n\nExample:\n    >>> import autograd\n    >>> autograd.sqrt(autograd.tensor([9.0])).tolist()\n    [3.0]")
rsqrt = _unary(Rsqrt, "``1 / sqrt(x)``.\n\nExample:\n    >>> import autograd\n    >>> autograd.rsqrt(autograd.tensor([4.0])).tolist()\n    [0.5]")
sin = _unary(Sin, "Sine.\n\nExample:\n    >>> import autograd\n    >>> autograd.sin(autograd.zeros(1)).tolist()\n    [0.0]")
cos = _unary(Cos, "Cosine.\n\nExample:\n    >>> import autograd\n    >>> autograd.cos(autograd.zeros(1)).tolist()\n    [1.0]")
tan = _unary(Tan, "Tangent.\n\nExample:\n    >>> import autograd\n    >>> autograd.tan(autograd.zeros(1)).tolist()\n    [0.0]")
asin = _unary(Asin, "Inverse sine.\n\nExample:\n    >>> import autograd\n    >>> autograd.asin(autograd.zeros(1)).tolist()\n    [0.0]")
acos = _unary(Acos, "Inverse cosine.\n\nExample:\n    >>> import autograd\n    >>> autograd.acos(autograd.ones(1)).tolist()\n    [0.0]")
atan = _unary(Atan, "Inverse tangent.\n\nExample:\n    >>> import autograd\n    >>> autograd.atan(autograd.zeros(1)).tolist()\n    [0.0]")
arcsin, arccos, arctan = asin, acos, atan
sinh = _unary(Sinh, "Hyperbolic sine.\n\nExample:\n    >>> import autograd\n    >>> autograd.sinh(autograd.zeros(1)).tolist()\n    [0.0]")
cosh = _unary(Cosh, "Hyperbolic cosine.\n\nExample:\n    >>> import autograd\n    >>> autograd.cosh(autograd.zeros(1)).tolist()\n    [1.0]")
tanh = _unary(Tanh, "Hyperbolic tangent.\n\nExample:\n    >>> import autograd\n    >>> autograd.tanh(autograd.zeros(1)).tolist()\n    [0.0]")
sigmoid = _unary(Sigmoid, "Logistic sigmoid ``1 / (1 + e ** -x)``, stable for large ``|x|``.\n\nExample:\n    >>> import autograd\n    >>> autograd.sigmoid(autograd.zeros(1)).tolist()\n    [0.5]")
relu = _unary(Relu, "``max(x, 0)`` (subgradient 0 at 0).\n\nExample:\n    >>> import autograd\n    >>> autograd.relu(autograd.tensor([-1.0, 2.0])).tolist()\n    [0.0, 2.0]", floats_only=False)
erf = _unary(Erf, "The error function.\n\nExample:\n    >>> import autograd\n    >>> autograd.erf(autograd.zeros(1)).tolist()\n    [0.0]")
erfc = _unary(Erfc, "``1 - erf(x)``, accurate in the tails.\n\nExample:\n    >>> import autograd\n    >>> autograd.erfc(autograd.zeros(1)).tolist()\n    [1.0]")

neg_ = _unary_(Neg, floats_only=False)
exp_ = _unary_(Exp)
log_ = _unary_(Log)
sqrt_ = _unary_(Sqrt)
abs_ = _unary_(Abs, floats_only=False)
sin_ = _unary_(Sin)
cos_ = _unary_(Cos)
tanh_ = _unary_(Tanh)
sigmoid_ = _unary_(Sigmoid)
relu_ = _unary_(Relu, floats_only=False)
reciprocal_ = _unary_(Reciprocal)
