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
    "scalar_operand", "sum_to_array", "keep_where", "inplace_operand",
]

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_np_generic = backend.numpy.generic
_ndarray = backend.numpy.ndarray


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
    if x.__class__ is Tensor:  # the common cases first: same dtypes, tensor with float
        if y.__class__ is Tensor:
            if x._data.dtype is y._data.dtype:
                return x, y
        elif y.__class__ is float and x._data.dtype.kind in "fc":
            return x, y
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


def inplace_operand(x: Tensor, y: Any) -> Any:
    """The other operand of an in-place op on ``x``, converted to ``x``'s dtype (an
    in-place op keeps it; a result of a higher category is refused, as PyTorch does).

    Example:
        >>> import autograd
        >>> from autograd.ops._util import inplace_operand
        >>> inplace_operand(autograd.ones(2), autograd.tensor([1, 2])).dtype
        dtype('float32')
    """
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


# ----------------------------------------------------------------------------- array helpers

# NumPy 2 takes a slow path for a Python number operand (``a * 1.001`` costs about
# twice ``a * a`` on small arrays); a 0-d array of the other operand's dtype takes the
# fast one and gives the same result (the number is cast to that dtype either way).
_SCALARS: dict = {}  # dtype -> {number: 0-d array}


def scalar_operand(c: Any, like: Any) -> Any:
    """Number ``c`` as a cached read-only 0-d array of ``like``'s floating dtype, for
    ufuncs on NumPy arrays; ``c`` itself otherwise (other backends and dtypes, zeros,
    whose sign a dict key loses, and NaNs).

    Example:
        >>> import numpy as np
        >>> from autograd.ops._util import scalar_operand
        >>> scalar_operand(0.5, np.ones(2, np.float32)).dtype
        dtype('float32')
    """
    if like.__class__ is _ndarray and (c.__class__ is float or c.__class__ is int):
        per_dtype = _SCALARS.get(like.dtype)
        if per_dtype is not None:
            arr = per_dtype.get(c)
            if arr is not None:
                return arr
        return _new_scalar(c, like.dtype)
    return c


def _new_scalar(c: float | int, dt: Any) -> Any:
    if dt.kind not in "fc" or c == 0 or c != c or abs(c) > 1e300:
        return c
    per_dtype = _SCALARS.get(dt)
    if per_dtype is None:
        per_dtype = _SCALARS[dt] = {}
    elif len(per_dtype) >= 256:  # a schedule of ever-new numbers: start over
        per_dtype.clear()
    arr = backend.numpy.asarray(c, dtype=dt)
    arr.flags.writeable = False
    per_dtype[c] = arr
    return arr


def sum_to_array(g: Any, shape: tuple) -> Any:
    """Sum array ``g`` down to ``shape`` (undo broadcasting); ``g`` itself when it
    already has that shape.

    Example:
        >>> import numpy as np
        >>> from autograd.ops._util import sum_to_array
        >>> sum_to_array(np.ones((2, 3)), (3,)).tolist()
        [2.0, 2.0, 2.0]
    """
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead:  # summed without keepdims: a fresh array, not a reshaped view of one
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


_INT_OF_SIZE = {4: backend.numpy.int32, 8: backend.numpy.int64}


def keep_where(g: Any, keep: Any) -> Any:
    """``where(keep, g, 0)`` for a gradient array ``g`` and a boolean mask of its shape.

    For NumPy float32/float64 it ANDs the bits of ``g`` with a mask of all ones (keep)
    or all zeros: the same result, +0.0 included, about ten times faster than
    ``numpy.where``, whose per-element branch mispredicts on irregular masks.

    Example:
        >>> import numpy as np
        >>> from autograd.ops._util import keep_where
        >>> keep_where(np.array([1.5, -2.0, np.nan]), np.array([True, False, False])).tolist()
        [1.5, 0.0, 0.0]
    """
    itype = _INT_OF_SIZE.get(g.dtype.itemsize)
    if g.__class__ is not _ndarray or keep.__class__ is not _ndarray or g.dtype.kind != "f" \
            or itype is None or g.shape != keep.shape:
        return backend.xp_of(g).where(keep, g, backend.xp_of(g).zeros((), g.dtype))
    out = backend.numpy.empty(g.shape, g.dtype)
    bits = out.view(itype)
    backend.numpy.negative(keep.view(backend.numpy.int8), out=bits)  # 0 or all ones
    backend.numpy.bitwise_and(g.view(itype), bits, out=bits)
    return out
