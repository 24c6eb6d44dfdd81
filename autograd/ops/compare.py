"""Ops with no useful derivative: comparisons, rounding, predicates, logical and
bitwise ops. Their results never require grad (as in PyTorch, where rounding ops have
zero gradient, these return constants cut from the graph).

Example:
    >>> import autograd
    >>> x = autograd.tensor([1.4, -2.6])
    >>> (x > 0).tolist(), x.round().tolist(), x.sign().tolist()
    ([True, False], [1.0, -3.0], [1.0, -1.0])
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..tensor import Tensor, _wrap
from ._util import promote, to_tensor

__all__ = [
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
    "not_equal", "equal", "isclose", "allclose", "round", "floor", "ceil", "trunc", "fix",
    "sign", "sgn", "signbit", "isfinite", "isnan", "isinf", "isposinf", "isneginf", "isreal",
    "logical_not", "logical_and", "logical_or", "logical_xor", "bitwise_not", "bitwise_and",
    "bitwise_or", "bitwise_xor", "nonzero", "argwhere", "nan_to_num",
]


def _arrays(x: Any, y: Any) -> tuple:
    x, y = promote(x, y)
    ref = x if isinstance(x, Tensor) else y
    a = x._data if isinstance(x, Tensor) else x
    b = y._data if isinstance(y, Tensor) else y
    return backend.xp_of(ref._data), a, b


def _compare(fn_name: str, doc: str) -> Any:
    def fn(x: Any, y: Any) -> Tensor:
        xp, a, b = _arrays(x, y)
        return _wrap(xp.asarray(getattr(xp, fn_name)(a, b)))

    fn.__doc__ = doc
    return fn


eq = _compare("equal", "Elementwise ``x == y`` (a bool tensor).")
ne = _compare("not_equal", "Elementwise ``x != y``.")
lt = _compare("less", "Elementwise ``x < y``.")
le = _compare("less_equal", "Elementwise ``x <= y``.")
gt = _compare("greater", "Elementwise ``x > y``.")
ge = _compare("greater_equal", "Elementwise ``x >= y``.")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def equal(x: Tensor, y: Tensor) -> bool:
    """True when both tensors have the same shape and elements.

    Example:
        >>> import autograd
        >>> autograd.equal(autograd.ones(2), autograd.ones(2))
        True
    """
    if tuple(x.shape) != tuple(y.shape):
        return False
    return bool((eq(x, y))._data.all())


def isclose(x: Tensor, y: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """``|x - y| <= atol + rtol * |y|`` elementwise."""
    xp, a, b = _arrays(x, y)
    return _wrap(xp.asarray(xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def allclose(x: Tensor, y: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True when every element is close (see ``isclose``).

    Example:
        >>> import autograd
        >>> autograd.allclose(autograd.ones(2), autograd.ones(2) + 1e-9)
        True
    """
    return bool(isclose(x, y, rtol, atol, equal_nan)._data.all())


def _elementwise(name: str, doc: str, keep_int: bool = True) -> Any:
    def fn(x: Tensor) -> Tensor:
        x = to_tensor(x)
        xp = backend.xp_of(x._data)
        if keep_int and x._data.dtype.kind in "biu":
            return _wrap(x._data.copy())
        return _wrap(xp.asarray(getattr(xp, name)(x._data)))

    fn.__doc__ = doc
    return fn


floor = _elementwise("floor", "Round down (integers are returned unchanged).")
ceil = _elementwise("ceil", "Round up.")
trunc = _elementwise("trunc", "Round toward zero.")
fix = trunc


def round(x: Tensor, *, decimals: int = 0) -> Tensor:
    """Round half to even (as PyTorch), optionally to ``decimals`` places.

    Example:
        >>> import autograd
        >>> autograd.round(autograd.tensor([0.5, 1.5, 2.567]), decimals=0).tolist()
        [0.0, 2.0, 3.0]
    """
    x = to_tensor(x)
    if x._data.dtype.kind in "biu":
        return _wrap(x._data.copy())
    xp = backend.xp_of(x._data)
    return _wrap(xp.asarray(xp.round(x._data, decimals)))


def sign(x: Tensor) -> Tensor:
    """-1, 0 or 1 elementwise (bool stays bool)."""
    x = to_tensor(x)
    if x._data.dtype.kind == "b":
        return _wrap(x._data.copy())
    xp = backend.xp_of(x._data)
    return _wrap(xp.asarray(xp.sign(x._data)))


sgn = sign


def signbit(x: Tensor) -> Tensor:
    xp = backend.xp_of(x._data)
    return _wrap(xp.asarray(xp.signbit(x._data)))


def _predicate(name: str, doc: str, int_value: bool) -> Any:
    def fn(x: Tensor) -> Tensor:
        x = to_tensor(x)
        xp = backend.xp_of(x._data)
        if x._data.dtype.kind in "biu":
            return _wrap(xp.full(x._data.shape, int_value, dtype=bool))
        return _wrap(xp.asarray(getattr(xp, name)(x._data)))

    fn.__doc__ = doc
    return fn


isfinite = _predicate("isfinite", "True where the element is neither inf nor nan.", True)
isnan = _predicate("isnan", "True where the element is nan.", False)
isinf = _predicate("isinf", "True where the element is +inf or -inf.", False)
isposinf = _predicate("isposinf", "True where the element is +inf.", False)
isneginf = _predicate("isneginf", "True where the element is -inf.", False)


def isreal(x: Tensor) -> Tensor:
    xp = backend.xp_of(x._data)
    return _wrap(xp.asarray(xp.isreal(x._data)))


def nan_to_num(x: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """Replace nan/inf by finite numbers (gradient passes where finite)."""
    from .binary import where

    finite = isfinite(x)
    if x._data.dtype.kind not in "fc":
        return x.clone()
    info = backend.numpy.finfo(x._data.dtype)
    pos = info.max if posinf is None else posinf
    neg = info.min if neginf is None else neginf
    repl = _wrap(backend.xp_of(x._data).nan_to_num(x._data, nan=nan, posinf=pos, neginf=neg))
    return where(finite, x, repl)


def _logical(name: str, doc: str) -> Any:
    def fn(x: Any, y: Any) -> Tensor:
        x = to_tensor(x)
        xp = backend.xp_of(x._data)
        b = y._data if isinstance(y, Tensor) else y
        return _wrap(xp.asarray(getattr(xp, name)(x._data, b)))

    fn.__doc__ = doc
    return fn


logical_and = _logical("logical_and", "Elementwise logical AND (truthiness of elements).")
logical_or = _logical("logical_or", "Elementwise logical OR.")
logical_xor = _logical("logical_xor", "Elementwise logical XOR.")


def logical_not(x: Tensor) -> Tensor:
    xp = backend.xp_of(x._data)
    return _wrap(xp.asarray(xp.logical_not(x._data)))


def _bitwise(name: str, doc: str) -> Any:
    def fn(x: Any, y: Any) -> Tensor:
        xp, a, b = _arrays(x, y)
        for v in (a, b):
            kind = getattr(v, "dtype", None)
            if kind is not None and kind.kind not in "biu":
                raise TypeError(
                    f"{name} is only supported for integer and boolean tensors, got {kind}"
                )
        return _wrap(xp.asarray(getattr(xp, name)(a, b)))

    fn.__doc__ = doc
    return fn


bitwise_and = _bitwise("bitwise_and", "Elementwise AND of integer/bool tensors (``&``).")
bitwise_or = _bitwise("bitwise_or", "Elementwise OR of integer/bool tensors (``|``).")
bitwise_xor = _bitwise("bitwise_xor", "Elementwise XOR of integer/bool tensors (``^``).")


def bitwise_not(x: Tensor) -> Tensor:
    """``~x`` for integer/bool tensors (logical not for bool)."""
    if x._data.dtype.kind not in "biu":
        raise TypeError(
            f"bitwise_not is only supported for integer and boolean tensors, got {x.dtype}"
        )
    xp = backend.xp_of(x._data)
    return _wrap(xp.asarray(xp.invert(x._data)))


def nonzero(x: Tensor, *, as_tuple: bool = False) -> Any:
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or one index
    tensor per dim with ``as_tuple=True``.

    Example:
        >>> import autograd
        >>> autograd.nonzero(autograd.tensor([0, 3, 0, 4])).tolist()
        [[1], [3]]
    """
    xp = backend.xp_of(x._data)
    data = x._data if x._data.ndim else x._data.reshape(1)
    idx = xp.nonzero(data)
    if as_tuple:
        return tuple(_wrap(i.astype(backend.int64)) for i in idx)
    return _wrap(xp.stack(idx, axis=1).astype(backend.int64) if idx else
                 xp.zeros((0, 0), dtype=backend.int64))


argwhere = nonzero
