"""Batching rules for vmap, keyed by op name.

A rule receives the op class, its arguments (some batched at ``level``) and returns
the batched result. It rewrites the call onto physical tensors (batch dim first):
elementwise ops align the logical dims and broadcast; ops with dim arguments shift
them by one; shape ops prepend the batch size. An op without a rule (or a call its
rule cannot express) runs once per batch element and the results are stacked (the
loop fallback): slower, always correct. A custom ``Function`` written outside this
package is looped only when it sets ``generate_vmap_rule = True``; otherwise vmap
raises "vmap: no batching rule for <name>".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import backend
from ._vmap import (
    _RANDOM_ERROR,
    _state,
    batched_value,
    is_batched,
    phantom,
    tangent_batched,
    wrap_level,
)
from ._vmap_phantom import is_basic_key as _is_basic_key
from .tensor import Tensor

__all__ = ["dispatch_op", "dispatch_function", "RULES", "batched_setitem", "make_inplace_method"]

_np = backend.numpy
RULES: dict[str, Callable[[type, tuple, int], Any]] = {}


def rule(*names: str) -> Callable:
    def register(fn: Callable) -> Callable:
        for n in names:
            RULES[n] = fn
        return fn

    return register


# ----------------------------------------------------------------------------- helpers


def _isb(a: Any, level: int) -> bool:
    """Batched at ``level``: its values, or its forward-AD tangents, vary over the batch."""
    return isinstance(a, Tensor) and (is_batched(a, level) or tangent_batched(a, level))


def _scan(a: Any, found: list, depth: int = 0) -> None:
    if isinstance(a, Tensor):
        p = phantom(a._data)
        if p is not None:
            found.append((p._level, True))
    elif depth < 2 and isinstance(a, (tuple, list)):
        for x in a:
            _scan(x, found, depth + 1)
    else:
        p = phantom(a)
        if p is not None:
            found.append((p._level, False))


def _size(args: tuple, level: int, depth: int = 0) -> int | None:
    for a in args:
        if isinstance(a, Tensor):
            p = phantom(a._data)
            if p is not None and p._level == level:
                return p._value.shape[0]
        elif depth < 2 and isinstance(a, (tuple, list)):
            n = _size(a, level, depth + 1)
            if n is not None:
                return n
        else:
            p = phantom(a)
            if p is not None and p._level == level:
                return p._raw().shape[0]
    return None


def _bv(a: Tensor, level: int, size: int) -> Tensor:
    return batched_value(a, level, size)


def _pad(v: Tensor, nd: int, target: int) -> Tensor:
    """Insert size-1 dims after the batch dim so a logical ``nd``-dim tensor lines up
    with ``target`` logical dims under right-aligned broadcasting."""
    if nd >= target:
        return v
    from .ops.shape import Reshape

    shape = tuple(v.shape)
    return Reshape.apply(v, (shape[0],) + (1,) * (target - nd) + shape[1:])


def _out(res: Any, level: int) -> Any:
    if isinstance(res, tuple):
        return tuple(wrap_level(r, level) if isinstance(r, Tensor) else r for r in res)
    return wrap_level(res, level)


class _NoRule(Exception):
    """A rule's precondition failed: use the loop fallback."""


def _shift(d: Any, nd: int) -> Any:
    if d is None or nd == 0:
        raise _NoRule
    if isinstance(d, (tuple, list)):
        return tuple(int(i) % nd + 1 for i in d)
    return int(d) % nd + 1


# ----------------------------------------------------------------------------- dispatch


def dispatch_op(cls: type, args: tuple) -> Any:
    found: list = []
    _scan(args, found)
    level = max(lvl for lvl, _ in found)
    # raw arrays from a batched tensor among the parameters, or a callable parameter
    # (a closure computing with the logical dims): only the loop is sure to be right
    raw_params = any(lvl == level and not is_tensor for lvl, is_tensor in found) or any(
        callable(a) and not isinstance(a, (Tensor, type)) for a in args)
    fn = None if raw_params else RULES.get(cls.__name__)
    if fn is None and not raw_params and _is_unary(cls):
        fn = elementwise
    if fn is not None:
        try:
            return fn(cls, args, level)
        except _NoRule:
            pass
    return loop(cls, args, level)


def _is_unary(cls: type) -> bool:
    from .ops.pointwise import Unary

    return issubclass(cls, Unary)


def dispatch_function(cls: type, args: tuple) -> Any:
    """A custom ``autograd.Function`` called with batched arguments."""
    found: list = []
    _scan(args, found)
    level = max(lvl for lvl, _ in found)
    if getattr(cls, "generate_vmap_rule", False) or cls.__module__.startswith("autograd."):
        return loop(cls, args, level)
    raise RuntimeError(
        f"vmap: no batching rule for {cls.__name__}: to use a custom autograd.Function inside "
        "vmap, set `generate_vmap_rule = True` on the class (its forward then runs once per "
        "batch element), or call it outside vmap"
    )


# ----------------------------------------------------------------------------- loop fallback


def _slice(a: Any, level: int, b: int, size: int, depth: int = 0) -> Any:
    if isinstance(a, Tensor):
        return _bv(a, level, size)[b] if _isb(a, level) else a
    if depth < 2 and isinstance(a, (tuple, list)):
        return type(a)(_slice(x, level, b, size, depth + 1) for x in a)
    p = phantom(a)
    if p is not None and p._level == level:
        return p._raw()[b]
    return a


def _stack(outs: list, level: int) -> Any:
    from .ops.join import stack

    first = outs[0]
    if isinstance(first, tuple):
        return tuple(
            wrap_level(stack([o[i] for o in outs], 0), level) if isinstance(first[i], Tensor)
            else first[i]
            for i in range(len(first))
        )
    if not isinstance(first, Tensor):
        return first
    return wrap_level(stack(outs, 0), level)


def loop(cls: type, args: tuple, level: int) -> Any:
    """Run the op once per batch element and stack the results."""
    size = _size(args, level)
    if size is None:  # only tangents are batched here
        size = next(s for lvl, s, _ in _state.levels if lvl == level)
    outs = [cls.apply(*[_slice(a, level, b, size) for a in args]) for b in range(size)]
    return _stack(outs, level)


# ----------------------------------------------------------------------------- elementwise


def elementwise(cls: type, args: tuple, level: int) -> Any:
    """Broadcasting elementwise ops: line up logical dims, the batch dim in front."""
    size = _size(args, level)
    nd = max(a.ndim for a in args if isinstance(a, Tensor))
    new = [_pad(_bv(a, level, size), a.ndim, nd) if _isb(a, level) else a for a in args]
    return _out(cls.apply(*new), level)


rule(
    "Add", "Sub", "Mul", "MulScalar", "Div", "RDiv", "DivScalar", "Pow", "PowScalar", "RPow",
    "Maximum", "Minimum", "Atan2", "Fmod", "Remainder", "Where", "Clamp", "Lerp", "Addcmul",
    "Addcdiv", "Relu", "Neg", "Frac", "SafeSqrt", "LeakyRelu", "Hardtanh", "Elu", "Softplus",
    "Conj", "Clone", "ToCopy", "Gelu",
)(elementwise)


@rule("Fill", "Copy", "MaskedFill")
def first_shaped(cls: type, args: tuple, level: int) -> Any:
    """The output has the first argument's shape; the others broadcast into it."""
    x = args[0]
    size = _size(args, level)
    nd = x.ndim
    new = [_bv(x, level, size)] + [
        _pad(_bv(a, level, size), a.ndim, nd) if _isb(a, level) else a for a in args[1:]
    ]
    return _out(cls.apply(*new), level)


# ----------------------------------------------------------------------------- dim arguments


def _dims_rule(*positions: int, all_tensors: bool = False) -> Callable:
    """Ops of one batched tensor (or several, all expanded: ``all_tensors``) with dim
    arguments at ``positions``, counted on the first argument's logical dims."""

    def apply(cls: type, args: tuple, level: int) -> Any:
        x = args[0]
        size = _size(args, level)
        tensors = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        if not all_tensors and any(_isb(args[i], level) for i in tensors if i != 0):
            raise _NoRule
        new = list(args)
        for i in tensors:
            if all_tensors or i == 0:
                new[i] = _bv(args[i], level, size)
        if all_tensors:
            for i, a in enumerate(args):
                if i and hasattr(a, "shape") and not isinstance(a, Tensor) and phantom(a) is None:
                    new[i] = _np.broadcast_to(a, (size,) + tuple(a.shape))
        for p in positions:
            new[p] = _shift(args[p], x.ndim)
        return _out(cls.apply(*new), level)

    return apply


rule("Sum", "Prod", "LogSumExp", "Softmax", "LogSoftmax", "Flip", "Cumsum", "Cumprod", "LogCumSumExp", "Shift",
     "Split")(_dims_rule(1))
rule("VectorNorm")(_dims_rule(2))
rule("Roll")(_dims_rule(2))
rule("Diagonal")(_dims_rule(2, 3))
rule("Gather", "Scatter", "ScatterAdd", "ScatterReduce")(_dims_rule(1, all_tensors=True))


@rule("Cat")
def _cat(cls: type, args: tuple, level: int) -> Any:
    dim, shape, bounds, drop, *parts = args
    size = _size(args, level)
    vals = [_bv(p, level, size) for p in parts]
    nd = len(shape)
    return _out(cls.apply(_shift(dim, nd), (size,) + tuple(shape), bounds, drop, *vals), level)


@rule("DiagScatter")
def _diag_scatter(cls: type, args: tuple, level: int) -> Any:
    x, shape, offset, d1, d2 = args
    size = _size(args, level)
    nd = len(shape)
    return _out(cls.apply(_bv(x, level, size), (size,) + tuple(shape), offset, _shift(d1, nd),
                          _shift(d2, nd)), level)


# ----------------------------------------------------------------------------- shapes


@rule("Reshape")
def _reshape(cls: type, args: tuple, level: int) -> Any:
    x, shape = args
    size = _size(args, level)
    return _out(cls.apply(_bv(x, level, size), (size,) + tuple(shape)), level)


@rule("Permute")
def _permute(cls: type, args: tuple, level: int) -> Any:
    x, dims = args
    size = _size(args, level)
    nd = x.ndim
    perm = (0,) + tuple(int(d) % nd + 1 for d in dims) if nd else (0,)
    return _out(cls.apply(_bv(x, level, size), perm), level)


@rule("BroadcastTo")
def _broadcast_to(cls: type, args: tuple, level: int) -> Any:
    x, shape = args
    size = _size(args, level)
    v = _pad(_bv(x, level, size), x.ndim, len(shape))
    return _out(cls.apply(v, (size,) + tuple(shape)), level)


@rule("SumTo")
def _sum_to(cls: type, args: tuple, level: int) -> Any:
    from .ops.reduce import Sum

    x, shape = args
    size = _size(args, level)
    v = _bv(x, level, size)
    lead = x.ndim - len(shape)
    if lead > 0:
        v = Sum.apply(v, tuple(range(1, lead + 1)), False, None)
    return _out(cls.apply(v, (size,) + tuple(shape)), level)


@rule("Repeat")
def _repeat(cls: type, args: tuple, level: int) -> Any:
    x, sizes = args
    size = _size(args, level)
    v = _pad(_bv(x, level, size), x.ndim, len(sizes))
    return _out(cls.apply(v, (1,) + tuple(sizes)), level)


@rule("ConstantPad")
def _pad_rule(cls: type, args: tuple, level: int) -> Any:
    x, pads, value = args
    if len(pads) != x.ndim or isinstance(value, Tensor):
        raise _NoRule
    return _out(cls.apply(_bv(x, level, _size(args, level)), ((0, 0),) + tuple(pads), value), level)


@rule("Tril", "Triu")
def _tri(cls: type, args: tuple, level: int) -> Any:
    x, k = args
    if x.ndim < 2:
        raise _NoRule
    return _out(cls.apply(_bv(x, level, _size(args, level)), k), level)


def _adjacent_advanced(key: tuple) -> bool:
    adv = [i for i, k in enumerate(key) if not (k is None or k is Ellipsis or isinstance(k, slice))]
    return not adv or adv == list(range(adv[0], adv[-1] + 1))


@rule("GetItem", "GetItemAdvanced")
def _getitem(cls: type, args: tuple, level: int) -> Any:
    x, key = args
    if not _adjacent_advanced(key) or any(isinstance(k, Tensor) for k in key):
        raise _NoRule
    return _out(cls.apply(_bv(x, level, _size(args, level)), (slice(None),) + tuple(key)), level)


@rule("IndexPut")
def _index_put(cls: type, args: tuple, level: int) -> Any:
    g, shape, key = args
    if not _adjacent_advanced(key) or any(isinstance(k, Tensor) for k in key):
        raise _NoRule
    size = _size(args, level)
    return _out(cls.apply(_bv(g, level, size), (size,) + tuple(shape), (slice(None),) + tuple(key)),
                level)


@rule("SetItem")
def _setitem_rule(cls: type, args: tuple, level: int) -> Any:
    x, key, value = args
    if not _is_basic_key(key):
        raise _NoRule
    size = _size(args, level)
    if _isb(value, level):
        region = _np.broadcast_to(_np.empty(()), tuple(x.shape))[tuple(key)].ndim
        value = _pad(_bv(value, level, size), value.ndim, region)
    return _out(cls.apply(_bv(x, level, size), (slice(None),) + tuple(key), value), level)


# ----------------------------------------------------------------------------- products, linalg


@rule("MatMul")
def _matmul(cls: type, args: tuple, level: int) -> Any:
    x, y = args
    if x.ndim < 2 or y.ndim < 2:
        raise _NoRule
    size = _size(args, level)
    nd = max(x.ndim, y.ndim)
    xv = _pad(_bv(x, level, size), x.ndim, nd) if _isb(x, level) else x
    yv = _pad(_bv(y, level, size), y.ndim, nd) if _isb(y, level) else y
    return _out(cls.apply(xv, yv), level)


@rule("Linear")
def _linear(cls: type, args: tuple, level: int) -> Any:
    x, w, b = args
    if _isb(w, level) or _isb(b, level) or x.ndim < 1:
        raise _NoRule
    return _out(cls.apply(_bv(x, level, _size(args, level)), w, b), level)


@rule("Inv", "Det", "Cholesky", "Slogdet", "Eigh", "Svd", "Qr", "Pinv")
def _linalg_single(cls: type, args: tuple, level: int) -> Any:
    a = args[0]
    if any(_isb(o, level) for o in args[1:]) or a.ndim < 2:
        raise _NoRule
    return _out(cls.apply(_bv(a, level, _size(args, level)), *args[1:]), level)


@rule("Embedding")
def _embedding(cls: type, args: tuple, level: int) -> Any:
    weight, idx, *rest = args
    if _isb(weight, level) or not isinstance(idx, Tensor):
        raise _NoRule
    return _out(cls.apply(weight, _bv(idx, level, _size(args, level)), *rest), level)


# ----------------------------------------------------------------------------- in-place


def batched_setitem(x: Tensor, key: Any, value: Any) -> None:
    """``x[key] = value`` for a batched ``x``: written into its physical value."""
    level, v = x._level, x._value
    size = v.shape[0]
    key_t = key if isinstance(key, tuple) else (key,)
    if _is_basic_key(key_t):
        if _isb(value, level):
            region = _np.broadcast_to(_np.empty(()), tuple(x.shape))[key_t].ndim
            value = _pad(_bv(value, level, size), value.ndim, region)
        v[(slice(None),) + key_t] = value
        return
    for b in range(size):
        v[b][_slice(key, level, b, size)] = _slice(value, level, b, size)


def _elementwise_inplace() -> frozenset:
    from .ops import binary, compare, pointwise

    names = {n + "_" for m in (pointwise, binary, compare) for n in m.__all__}
    names |= {n for m in (pointwise, binary) for n in m.__all__ if n.endswith("_")}
    return frozenset(names | {"zero_", "fill_", "copy_", "masked_fill_", "clip_", "clamp_"})


_RANDOM_FILLS = frozenset({"uniform_", "normal_", "bernoulli_", "random_", "exponential_"})
_ELEMENTWISE: frozenset | None = None


def method_loop(x: Tensor, name: str, args: tuple, kwargs: dict) -> Any:
    """``x.name(*args, **kwargs)`` once per batch element of ``x``, results stacked."""
    from ._vmap_phantom import data_error

    level, v = x._level, x._value
    size = v.shape[0]
    outs = []
    for b in range(size):
        xb = v[b]
        a = _slice(args, level, b, size)
        kw = {k: _slice(val, level, b, size) for k, val in kwargs.items()}
        outs.append(getattr(xb, name)(*a, **kw))
    first = outs[0]
    if isinstance(first, Tensor) or isinstance(first, tuple) and all(
            isinstance(o, Tensor) for o in first):
        res = _stack(outs, level)
        return type(first)(*res) if hasattr(first, "_fields") else res
    raise data_error(f"{name}() returns a Python value ({type(first).__name__}) that")


def align_args(x: Tensor, args: tuple, kwargs: dict, level: int) -> tuple:
    """The physical value of batched ``x`` and its arguments lined up with it for an
    elementwise op (batched tensors padded to the same logical rank)."""
    v = x._value
    size = v.shape[0]
    nd = max([x.ndim] + [a.ndim for a in args if isinstance(a, Tensor)])
    v = _pad(v, x.ndim, nd)
    new = tuple(_pad(_bv(a, level, size), a.ndim, nd) if _isb(a, level) else a for a in args)
    kw = {k: _pad(_bv(a, level, size), a.ndim, nd) if _isb(a, level) else a
          for k, a in kwargs.items()}
    return v, new, kw


def make_inplace_method(name: str) -> Callable:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        global _ELEMENTWISE
        if _ELEMENTWISE is None:
            _ELEMENTWISE = _elementwise_inplace()
        level, v = self._level, self._value
        if name in _RANDOM_FILLS:
            _random_fill(self, name, args, kwargs)
            return self
        if name not in _ELEMENTWISE:
            raise RuntimeError(
                f"vmap: no batching rule for {name} (in-place) on a batched tensor; use the "
                "out-of-place form"
            )
        _, new, kw = align_args(self, args, kwargs, level)
        getattr(v, name)(*new, **kw)
        return self

    method.__name__ = name
    return method


def _random_fill(x: Tensor, name: str, args: tuple, kwargs: dict) -> None:
    from .random import default_generator

    level, v = x._level, x._value
    mode = next(m for lvl, _, m in _state.levels if lvl == level)
    if mode == "error":
        raise RuntimeError(_RANDOM_ERROR)
    gen = default_generator("cpu")
    guard = gen._impl
    gen._impl = getattr(guard, "_inner", guard)  # draw the physical values directly
    try:
        if mode == "same":
            from .creation import empty

            tmp = getattr(empty(tuple(x.shape), dtype=x.dtype), name)(*args, **kwargs)
            v.copy_(tmp)
        else:
            getattr(v, name)(*args, **kwargs)
    finally:
        gen._impl = guard
