"""Shared helpers for op definitions: operand normalisation, PyTorch type promotion,
dim arguments, and gradient shape fixes."""

from __future__ import annotations

import numbers
from typing import Any

from .. import backend
from ..tensor import Tensor, _wrap

__all__ = [
    "promote", "to_tensor", "norm_dim", "norm_dims", "expand_to", "result_dtype",
    "check_float", "is_number",
]

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


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


def _scalar_category(v: Any) -> int:
    if isinstance(v, bool):
        return 0
    if isinstance(v, numbers.Integral):
        return 1
    if isinstance(v, numbers.Real):
        return 2
    return 3


def _category(dt: Any) -> int:
    return _CATEGORY.get(dt.kind, 2)


def _default_for(category: int) -> Any:
    if category == 3:
        return backend.complex128 if backend.get_default_dtype() == backend.float64 else backend.complex64
    if category == 2:
        return backend.get_default_dtype()
    if category == 1:
        return backend.int64
    return backend.bool_


def result_dtype(*operands: Any) -> Any:
    """PyTorch's promotion: dimensioned tensors > zero-dim tensors > Python numbers;
    a higher category (bool < int < float < complex) in a lower-priority group
    lifts the result to that category."""
    dims = [o._data.dtype for o in operands if isinstance(o, Tensor) and o._data.ndim > 0]
    zeros = [o._data.dtype for o in operands if isinstance(o, Tensor) and o._data.ndim == 0]
    scalars = [_scalar_category(o) for o in operands if not isinstance(o, Tensor)]

    def combine(dts: list) -> Any:
        best = dts[0]
        for d in dts[1:]:
            cb, cd = _category(best), _category(d)
            if cd > cb:
                best = d
            elif cd == cb and d != best:
                best = backend.numpy.promote_types(best, d)
        return best

    result = None
    for group in (dims, zeros):
        if not group:
            continue
        cand = combine(group)
        if result is None or _category(cand) > _category(result):
            result = cand
    if scalars:
        top = max(scalars)
        if result is None:
            result = _default_for(top)
        elif top > _category(result):
            result = _default_for(top) if not (top == 3 and result == backend.float64) \
                else backend.complex128
    return result


def promote(x: Any, y: Any) -> tuple[Any, Any]:
    """Bring two operands (Tensors or Python numbers) to PyTorch's result dtype,
    casting Tensors with differentiable conversions only when needed."""
    xt = isinstance(x, Tensor)
    yt = isinstance(y, Tensor)
    if xt and yt:
        dx, dy = x._data.dtype, y._data.dtype
        if dx == dy:
            return x, y
    elif xt:
        if not is_number(y):
            y = to_tensor(y, x)
            return promote(x, y)
        k = x._data.dtype.kind
        if (k in "fc" and not isinstance(y, complex)) or (k in "iu" and isinstance(y, numbers.Integral)
                                                            and not isinstance(y, bool)):
            return x, y
    elif yt:
        if not is_number(x):
            return promote(to_tensor(x, y), y)
        k = y._data.dtype.kind
        if (k in "fc" and not isinstance(x, complex)) or (k in "iu" and isinstance(x, numbers.Integral)
                                                            and not isinstance(x, bool)):
            return x, y
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
        return int(v)
    return bool(v)


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
