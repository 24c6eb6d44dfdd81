"""The Tensor methods that only call an op, as tables bound onto ``Tensor`` at import.

Where PyTorch's method has exactly the parameters of our function after ``self`` (and
for operators, which are never called by keyword) the function itself becomes the
method: ``x.exp()`` and ``x * y`` cost no Python frame beyond the op's own. The
methods whose parameters differ (argument names, keyword-only flags, fixed arguments)
are the small wrappers at the end.

Example:
    >>> import autograd
    >>> x = autograd.tensor([1.0, 4.0])
    >>> x.sqrt().add(1, alpha=2).tolist(), (2 - x).tolist()
    ([3.0, 4.0], [1.0, -2.0])
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from . import backend
from . import creation as _cr
from . import random as _rnd
from .ops import binary as _bin
from .ops import compare as _cmp
from .ops import index as _ix
from .ops import matmul as _mm
from .ops import pointwise as _pw
from .ops import reduce as _red
from .ops import shape as _sh
from .tensor import Tensor

__all__ = ["install"]

# method name == function name, same parameters after self: the function is the method
SAME: dict[Any, tuple[str, ...]] = {
    _pw: ("neg", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt",
          "square", "abs", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
          "sigmoid", "relu", "erf", "erfc", "reciprocal", "frac", "neg_", "exp_", "log_",
          "sqrt_", "abs_", "sin_", "cos_", "tanh_", "sigmoid_", "relu_", "reciprocal_"),
    _bin: ("pow", "clamp", "lerp", "addcmul", "addcdiv", "pow_", "clamp_", "lerp_", "addcmul_",
           "addcdiv_", "fill_"),
    _cmp: ("floor", "ceil", "trunc", "sign", "isfinite", "isnan", "isinf", "logical_not",
           "nonzero"),
    _red: ("sum", "mean", "prod", "var", "std", "max", "min", "amax", "amin", "argmax",
           "argmin", "logsumexp", "norm", "cumsum", "cumprod", "quantile", "median", "any",
           "all", "count_nonzero", "softmax", "log_softmax", "topk"),
    _mm: ("mv", "diag", "diagonal", "trace", "tril", "triu"),
    _sh: ("transpose", "t", "squeeze", "unsqueeze", "broadcast_to", "flatten", "unflatten",
          "split", "chunk", "unbind", "roll", "narrow", "movedim"),
    _ix: ("gather", "scatter", "scatter_", "scatter_add", "scatter_add_", "index_select",
          "index_add", "masked_fill", "masked_fill_", "masked_select", "take"),
    _rnd: ("uniform_", "normal_", "bernoulli_", "random_", "exponential_"),
}

# the less common ``op(self, ...)`` methods: a one-line forwarding method each (those a
# module does not define are left out rather than failing later)
PLAIN: dict[Any, tuple[str, ...]] = {
    _pw: ("arcsin", "arccos", "arctan"),
    _bin: ("hypot", "xlogy"),
    _cmp: ("greater", "greater_equal", "less", "less_equal", "not_equal", "fix", "sgn",
           "signbit", "isposinf", "isneginf", "isreal", "bitwise_not", "bitwise_and",
           "bitwise_or", "bitwise_xor", "argwhere", "nan_to_num"),
    _ix: ("index_copy", "index_fill", "index_put", "index_put_", "scatter_reduce",
          "scatter_reduce_", "take_along_dim"),
    _mm: ("vdot", "inner", "kron", "diag_embed", "addmm", "addmv", "baddbmm", "addbmm", "cross"),
    _red: ("nansum", "nanmean", "logcumsumexp", "cummax", "cummin", "aminmax", "kthvalue",
           "nanmedian", "nanquantile"),
    _sh: ("tensor_split", "fliplr", "flipud", "repeat_interleave"),
}

# operators: Python calls them positionally, so the function serves as it is
OPERATORS: dict[str, Callable[..., Any]] = {
    "__add__": _bin.add, "__sub__": _bin.sub, "__mul__": _bin.mul, "__truediv__": _bin.div,
    "__floordiv__": _bin.floor_divide, "__mod__": _bin.remainder, "__pow__": _bin.pow,
    "__matmul__": _mm.matmul, "__neg__": _pw.neg, "__abs__": _pw.abs,
    "__invert__": _cmp.bitwise_not, "__and__": _cmp.bitwise_and, "__or__": _cmp.bitwise_or,
    "__xor__": _cmp.bitwise_xor, "__eq__": _cmp.eq, "__ne__": _cmp.ne, "__lt__": _cmp.lt,
    "__le__": _cmp.le, "__gt__": _cmp.gt, "__ge__": _cmp.ge, "__iadd__": _bin.add_,
    "__isub__": _bin.sub_, "__imul__": _bin.mul_, "__itruediv__": _bin.div_,
    "__ipow__": _bin.pow_, "__getitem__": _ix.getitem,
}

# reflected operators: ``other (op) self``
REFLECTED: dict[str, Callable[..., Any]] = {
    "__radd__": _bin.add, "__rsub__": _bin.sub, "__rmul__": _bin.mul,
    "__rtruediv__": _bin.div, "__rfloordiv__": _bin.floor_divide, "__rmod__": _bin.remainder,
    "__rpow__": _bin.pow, "__rmatmul__": _mm.matmul, "__rand__": _cmp.bitwise_and,
    "__ror__": _cmp.bitwise_or, "__rxor__": _cmp.bitwise_xor,
}

# ``self.op(other)`` where the function names its second parameter differently
BINARY: dict[str, Callable[..., Any]] = {
    "mul": _bin.mul, "maximum": _bin.maximum, "minimum": _bin.minimum, "atan2": _bin.atan2,
    "fmod": _bin.fmod, "remainder": _bin.remainder, "floor_divide": _bin.floor_divide,
    "maximum_": _bin.maximum_, "mul_": _bin.mul_, "eq": _cmp.eq, "ne": _cmp.ne, "lt": _cmp.lt,
    "le": _cmp.le, "gt": _cmp.gt, "ge": _cmp.ge, "equal": _cmp.equal,
    "logical_and": _cmp.logical_and, "logical_or": _cmp.logical_or,
    "logical_xor": _cmp.logical_xor, "matmul": _mm.matmul, "mm": _mm.mm, "bmm": _mm.bmm,
    "dot": _mm.dot, "outer": _mm.outer,
}

# PyTorch's other names for the same method
ALIASES = {
    "negative": "neg", "absolute": "abs", "subtract": "sub", "multiply": "mul",
    "divide": "div", "true_divide": "div", "arctan2": "atan2", "clip": "clamp",
    "clip_": "clamp_", "ger": "outer", "swapaxes": "transpose", "swapdims": "transpose",
    "moveaxis": "movedim", "ndimension": "dim", "nelement": "numel",
}


def _forwarding(fn: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        return fn(self, *args, **kwargs)

    method.__name__ = fn.__name__
    method.__qualname__ = f"Tensor.{fn.__name__}"
    method.__doc__ = f"``autograd.{fn.__name__}(self, ...)`` as a method."
    return method


def _reflected(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    def method(self: Tensor, other: Any) -> Tensor:
        return fn(other, self)

    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    return method


def _binary(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    def method(self: Tensor, other: Any) -> Any:
        return fn(self, other)

    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    method.__doc__ = f"``autograd.{fn.__name__}(self, other)``."
    return method


# ----------------------------------------------------------------------------- wrappers


def add(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """``self + alpha * other``."""
    return _bin.add(self, other, alpha=alpha)


def sub(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """``self - alpha * other``."""
    return _bin.sub(self, other, alpha=alpha)


def div(self: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """``self / other``, optionally rounded ('trunc' or 'floor')."""
    return _bin.div(self, other, rounding_mode=rounding_mode)


def add_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    return _bin.add_(self, other, alpha=alpha)


def sub_(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    return _bin.sub_(self, other, alpha=alpha)


def div_(self: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    return _bin.div_(self, other, rounding_mode=rounding_mode)


def clamp_min(self: Tensor, min: Any) -> Tensor:
    return _bin.clamp(self, min, None)


def clamp_max(self: Tensor, max: Any) -> Tensor:
    return _bin.clamp(self, None, max)


def where(self: Tensor, condition: Tensor, other: Any) -> Tensor:
    """``self`` where ``condition`` holds, else ``other``."""
    return _bin.where(condition, self, other)


def zero_(self: Tensor) -> Tensor:
    return _bin.fill_(self, 0)


def copy_(self: Tensor, src: Tensor, non_blocking: bool = False) -> Tensor:
    return _bin.copy_(self, src)


def isclose(self: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    return _cmp.isclose(self, other, rtol, atol, equal_nan)


def allclose(self: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    return _cmp.allclose(self, other, rtol, atol, equal_nan)


def round(self: Tensor, decimals: int = 0) -> Tensor:
    return _cmp.round(self, decimals=decimals)


def sort(self: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    return _red.sort(self, dim, descending, stable=stable)


def argsort(self: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    return _red.argsort(self, dim, descending, stable=stable)


def reshape(self: Tensor, *shape: Any) -> Tensor:
    return _sh.reshape(self, *shape)


def view(self: Tensor, *shape: Any) -> Tensor:
    return _sh.view(self, *shape)


def view_as(self: Tensor, other: Tensor) -> Tensor:
    return _sh.view(self, other.shape)


def reshape_as(self: Tensor, other: Tensor) -> Tensor:
    return _sh.reshape(self, other.shape)


def permute(self: Tensor, *dims: Any) -> Tensor:
    return _sh.permute(self, *dims)


def expand(self: Tensor, *sizes: Any) -> Tensor:
    return _sh.expand(self, *sizes)


def expand_as(self: Tensor, other: Tensor) -> Tensor:
    return _sh.expand(self, other.shape)


def ravel(self: Tensor) -> Tensor:
    return _sh.flatten(self)


def flip(self: Tensor, *dims: Any) -> Tensor:
    return _sh.flip(self, *dims)


def repeat(self: Tensor, *sizes: Any) -> Tensor:
    return _sh.repeat(self, *sizes)


def tile(self: Tensor, *dims: Any) -> Tensor:
    return _sh.tile(self, *dims)


def clone(self: Tensor, *, memory_format: Any = None) -> Tensor:
    return _sh.clone(self)


def contiguous(self: Tensor, memory_format: Any = None) -> Tensor:
    return self if self._data.flags.c_contiguous else _sh.clone(self)


def to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(other)``; differentiable."""
    return _cr.to(self, *args, **kwargs)


def cpu(self: Tensor) -> Tensor:
    return _cr.to(self, "cpu")


def cuda(self: Tensor, device: Any = None) -> Tensor:
    return _cr.to(self, "cuda" if device is None else backend.device(device))


def type_as(self: Tensor, other: Tensor) -> Tensor:
    return _cr.to(self, other.dtype)


def _cast(name: str, dtype: Any) -> Callable[..., Any]:
    def method(self: Tensor) -> Tensor:
        return _cr.to(self, dtype)

    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    method.__doc__ = f"``self.to({dtype})``."
    return method


def new_tensor(self: Tensor, data: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    return _cr.tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                      requires_grad=requires_grad)


def new_zeros(self: Tensor, *size: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    return _cr.zeros(*size, dtype=dtype or self.dtype, device=device or self.device,
                     requires_grad=requires_grad)


def new_ones(self: Tensor, *size: Any, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    return _cr.ones(*size, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad)


def new_full(self: Tensor, size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    return _cr.full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad)


def new_empty(self: Tensor, *size: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    return _cr.empty(*size, dtype=dtype or self.dtype, device=device or self.device,
                     requires_grad=requires_grad)


def inverse(self: Tensor) -> Tensor:
    from . import linalg

    return linalg.inv(self)


def det(self: Tensor) -> Tensor:
    from . import linalg

    return linalg.det(self)


def slogdet(self: Tensor) -> Any:
    from . import linalg

    return linalg.slogdet(self)


def cholesky(self: Tensor, upper: bool = False) -> Tensor:
    from . import linalg

    out = linalg.cholesky(self)
    return out.mT if upper else out


WRAPPERS = (
    add, sub, div, add_, sub_, div_, clamp_min, clamp_max, where, zero_, copy_, isclose,
    allclose, round, sort, argsort, reshape, view, view_as, reshape_as, permute, expand,
    expand_as, ravel, flip, repeat, tile, clone, contiguous, to, cpu, cuda, type_as,
    new_tensor, new_zeros, new_ones, new_full, new_empty, inverse, det, slogdet, cholesky,
)

CASTS = {"float": backend.float32, "double": backend.float64, "half": backend.float16,
         "int": backend.int32, "long": backend.int64, "bool": backend.bool_}


def install(cls: type) -> None:
    """Bind every table entry onto ``cls`` (methods the class defines itself win)."""

    def put(name: str, fn: Callable[..., Any]) -> None:
        if name not in cls.__dict__:
            setattr(cls, name, fn)

    for module, names in SAME.items():
        for name in names:
            fn = getattr(module, name, None)
            if fn is not None:
                if not inspect.isfunction(fn):
                    raise TypeError(f"Tensor.{name}: {module.__name__}.{name} is not a function")
                put(name, fn)
    for module, names in PLAIN.items():
        for name in names:
            if hasattr(module, name):
                put(name, _forwarding(getattr(module, name)))
    for name, fn in OPERATORS.items():
        put(name, fn)
    for name, fn in REFLECTED.items():
        put(name, _reflected(fn, name))
    for name, fn in BINARY.items():
        put(name, _binary(fn, name))
    for fn in WRAPPERS:
        fn.__qualname__ = f"Tensor.{fn.__name__}"
        put(fn.__name__, fn)
    for name, dtype in CASTS.items():
        put(name, _cast(name, dtype))
    for alias, name in ALIASES.items():
        put(alias, getattr(cls, name))
