"""Shared helpers for op definitions: operand normalisation, PyTorch type promotion,
dim arguments, and gradient shape fixes."""

from __future__ import annotations

import numbers
from typing import Any

from .. import backend
from ..tensor import Tensor, _wrap

__all__ = [
    "promote", "promote_types", "to_tensor", "norm_dim", "norm_dims", "expand_to",
    "result_dtype", "check_float", "is_number", "type_name", "check_inplace_cast",
]

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_np_generic = backend.numpy.generic


def is_number(v: Any) -> bool:
    return isinstance(v, numbers.Number) and not isinstance(v, Tensor)


def to_tensor(v: Any, like: Tensor | None = None) -> Tensor:
    """Turn an ndarray / list / number into a Tensor (on ``like``'s device)."""
    if isinstance(v, Tensor):
        return v
    from ..creation import as_tensor

    dev = like.device if like is not None else None
    if is_number(v) and like is not None:
        return as_tensor(v, dtype=result_dtype(like, v), device=dev)
    return as_tensor(v, device=dev)


def _category(dt: Any) -> int:
    return _CATEGORY.get(dt.kind, 2)


def _is_float(dt: Any) -> bool:
    return dt is not None and _category(dt) == 2


def _wrapped_dtype(v: Any) -> Any:
    """The dtype a Python number takes part in promotion with (PyTorch's wrapped numbers:
    floats and complex numbers count as the default dtype, not as double)."""
    if isinstance(v, bool):
        return backend.bool_
    if isinstance(v, numbers.Integral):
        return backend.int64
    if isinstance(v, numbers.Real):
        return backend.get_default_dtype()
    return backend.complex128 if backend.get_default_dtype() == backend.float64 else backend.complex64


def _to_complex(dt: Any) -> Any:
    return backend.complex128 if dt == backend.float64 else backend.complex64


def promote_types(a: Any, b: Any) -> Any:
    """``torch.promote_types``: the smallest dtype both ``a`` and ``b`` convert to, where
    a float (complex) dtype absorbs any integer one without widening.

    Example:
        >>> from autograd import backend
        >>> from autograd.ops._util import promote_types
        >>> promote_types(backend.int64, backend.float32), promote_types(backend.int32, backend.int64)
        (dtype('float32'), dtype('int64'))
    """
    if a == b:
        return a
    ca, cb = _category(a), _category(b)
    if ca != cb:
        hi, lo = (a, b) if ca > cb else (b, a)
        if hi.kind == "c" and _category(lo) == 2:
            return backend.complex128 if backend.float64 in (lo, hi) or hi == backend.complex128 \
                else hi
        return hi
    if ca == 2 and a.kind != b.kind:  # float16 with bfloat16: neither holds the other
        return backend.float32
    return backend.numpy.promote_types(a, b)


def _combine(higher: Any, lower: Any) -> Any:
    """Merge the results of two priority groups (PyTorch's ``combine_categories``): the
    higher-priority group wins unless the lower one is of a higher category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.kind == "c":
        return higher
    if lower.kind == "c":
        return _to_complex(higher) if _is_float(higher) else lower
    if _is_float(higher):
        return higher
    if higher.kind == "b" or _is_float(lower):
        return promote_types(higher, lower)
    return higher


def result_dtype(*operands: Any) -> Any:
    """PyTorch's type promotion (``torch.result_type``): operands fall in three priority
    groups — tensors with dims, zero-dim tensors, Python numbers — each promoted on its
    own; a lower group only matters when its category (bool < int < float < complex) is
    higher, and Python floats count as the default dtype.

    Example:
        >>> import autograd
        >>> from autograd.ops._util import result_dtype
        >>> result_dtype(autograd.tensor([1, 2]), 1.5)
        dtype('float32')
        >>> result_dtype(autograd.ones(2), autograd.tensor(1.0, dtype=autograd.float64))
        dtype('float32')
    """
    dims = zeros = wrapped = None
    for o in operands:
        if isinstance(o, Tensor):
            dt = o._data.dtype
            if o._data.ndim:
                dims = dt if dims is None else promote_types(dims, dt)
            else:
                zeros = dt if zeros is None else promote_types(zeros, dt)
        elif o is not None:
            dt = _wrapped_dtype(o)
            wrapped = dt if wrapped is None else promote_types(wrapped, dt)
    return _combine(dims, _combine(zeros, wrapped))


def _plain_scalar(t: Tensor, v: Any) -> bool:
    """True when number ``v`` can meet tensor ``t`` as it is (no promotion, no cast)."""
    tp = type(v)
    if tp is float:
        return t._data.dtype.kind in "fc"
    if tp is int:
        dt = t._data.dtype
        k = dt.kind
        return k in "fc" or (k in "iu" and (dt == backend.int64 or _fits(v, dt)))
    return False


def _fits(v: int, dt: Any) -> bool:
    info = backend.numpy.iinfo(dt)
    return info.min <= v <= info.max


def promote(x: Any, y: Any) -> tuple[Any, Any]:
    """Bring two operands (Tensors or Python numbers) to PyTorch's result dtype,
    casting Tensors with differentiable conversions only when needed. NumPy scalars
    count as Python numbers, as in PyTorch."""
    xt = isinstance(x, Tensor)
    yt = isinstance(y, Tensor)
    if xt and yt:
        if x._data.dtype == y._data.dtype:
            return x, y
    elif xt:
        if _plain_scalar(x, y):
            return x, y
        if isinstance(y, _np_generic):
            return promote(x, y.item())
        if not is_number(y):
            return promote(x, to_tensor(y, x))
    elif yt:
        if _plain_scalar(y, x):
            return x, y
        if isinstance(x, _np_generic):
            return promote(x.item(), y)
        if not is_number(x):
            return promote(to_tensor(x, y), y)
    else:
        return promote(to_tensor(x), y)
    target = result_dtype(x, y)
    if isinstance(x, Tensor) and x._data.dtype != target:
        x = x.to(target)
    if isinstance(y, Tensor) and y._data.dtype != target:
        y = y.to(target)
    if not isinstance(x, Tensor):
        x = _scalar_as(x, target)
    if not isinstance(y, Tensor):
        y = _scalar_as(y, target)
    return x, y


def _scalar_as(v: Any, dt: Any) -> Any:
    if dt.kind == "f":
        return float(v)
    if dt.kind == "c":
        return complex(v)
    if dt.kind in "iu":
        v = int(v)
        # out-of-range Python ints wrap around, as they do in PyTorch (uint8 + 300)
        return v if _fits(v, dt) else int(backend.numpy.array(v).astype(dt))
    return bool(v)


_TYPE_NAMES = {
    "float16": "Half", "float32": "Float", "float64": "Double", "bfloat16": "BFloat16",
    "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte",
    "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble",
}


def type_name(dt: Any) -> str:
    """PyTorch's scalar-type name of a dtype (``Float``, ``Long`` …), as its error
    messages spell it."""
    return _TYPE_NAMES.get(dt.name, dt.name)


def check_inplace_cast(x: Tensor, other: Any) -> None:
    """An in-place op keeps ``x``'s dtype, so a result of a higher category (float into
    an int tensor, int into a bool tensor …) is refused, as PyTorch does.

    Example:
        >>> import autograd
        >>> from autograd.ops._util import check_inplace_cast
        >>> check_inplace_cast(autograd.tensor([1, 2]), 1.5)
        Traceback (most recent call last):
        ...
        RuntimeError: result type Float can't be cast to the desired output type Long
    """
    dst = x._data.dtype
    res = result_dtype(x, other)
    if _category(res) > _category(dst):
        raise RuntimeError(
            f"result type {type_name(res)} can't be cast to the desired output type "
            f"{type_name(dst)}"
        )


def check_float(x: Tensor, op: str) -> None:
    """Ops that only make sense on floating tensors say so."""
    if x._data.dtype.kind not in "fc":
        raise TypeError(f"{op}: expected a floating point tensor, got dtype {x.dtype}")


def norm_dim(dim: int, ndim: int, op: str = "op") -> int:
    """Wrap a possibly negative dim; error like PyTorch when out of range."""
    if isinstance(dim, Tensor):
        dim = int(dim)
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not (lo <= dim <= hi):
        raise IndexError(
            f"{op}: Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})"
        )
    return dim % ndim if ndim else 0


def norm_dims(dim: Any, ndim: int, op: str = "op") -> tuple[int, ...]:
    """``None`` / ``()`` -> all dims; an int or a sequence -> sorted positive dims."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, Tensor)) and not isinstance(dim, bool):
        return (norm_dim(dim, ndim, op),)
    dims = tuple(norm_dim(d, ndim, op) for d in dim)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"{op}: dim {list(dims)} appears multiple times in the list of dims")
    return tuple(sorted(dims)) if dims else tuple(range(ndim))


def expand_to(t: Tensor | None, shape: tuple) -> Tensor | None:
    """Broadcast a tangent/gradient to ``shape`` (no-op when it already has it)."""
    if t is None or t._data.shape == tuple(shape):
        return t
    from .shape import broadcast_to

    return broadcast_to(t, shape)


def zeros_of(arr: Any) -> Tensor:
    return _wrap(backend.xp_of(arr).zeros_like(arr))
