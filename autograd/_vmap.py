"""The batching machinery behind ``autograd.func.vmap``.

A tensor batched by a vmap level is a ``BatchedTensor``: it shows the *logical* shape
(one example) to user code and to the ops' argument handling, and keeps the
*physical* tensor (the batch dim first) as its value. Its ``_data`` is a phantom
(``_vmap_phantom``): right shape and dtype, no values, not a NumPy array, pointing back
to the physical value. While a vmap is active, ``Op.apply`` and ``Function.apply`` are
routed through the dispatcher here (the core's ``function._batched_hook``, set on
entering the first vmap and cleared on leaving the last): when an argument is
batched, the op's batching rule (keyed by op name, see ``_vmap_rules``) rewrites the
call onto the physical tensors, or the per-example loop fallback runs the op once per
batch element. Autograd (reverse and forward mode)
happens on the physical tensors, so transforms compose: ``vmap(grad(f))``,
``jacfwd(jacrev(f))``, nested ``vmap``.

Levels nest: a tensor batched by two vmaps is ``BatchedTensor(level 2, value=
BatchedTensor(level 1, value=physical))``, the newest level outermost; the physical
tensor's leading dims are the batch dims, oldest level first.

Raw-array code in ops that reads a batched tensor's ``_data`` works for elementwise
NumPy ufuncs (they are batched too, e.g. masks built from ``rand(...)._data``); any
other value access raises an error saying vmap cannot batch data-dependent code.

Example:
    >>> import autograd
    >>> from autograd.func import vmap
    >>> x = autograd.arange(6.0).reshape(2, 3)
    >>> vmap(lambda row: row.sum())(x)
    tensor([ 3., 12.])
"""

from __future__ import annotations

import functools
import itertools
import threading
from typing import Any

from . import backend
from . import function as _function
from ._vmap_phantom import Phantom as _Phantom
from ._vmap_phantom import VmapDataError, phantom
from ._vmap_phantom import data_error as _data_error
from ._vmap_phantom import make_phantom as _make_phantom
from ._vmap_phantom import phantom_of_raw as _phantom_of_raw
from .function import fw_state
from .tensor import Tensor

__all__ = ["BatchedTensor", "is_batched", "batched_value", "wrap_level", "lift", "lower",
           "active_levels"]

_np = backend.numpy
_level_ids = itertools.count(1)


class _LevelState(threading.local):
    def __init__(self) -> None:
        self.levels: list[tuple[int, int, str]] = []  # (level id, batch size, randomness)


_state = _LevelState()


# ----------------------------------------------------------------------------- BatchedTensor


# ----------------------------------------------------------------------------- BatchedTensor


class BatchedTensor(Tensor):
    """A tensor batched by one vmap level: logical shape outside, physical value inside."""

    __slots__ = ()

    @property
    def _level(self) -> int:
        return self._data._level

    @property
    def _value(self) -> Tensor:
        return self._data._value

    # autograd state lives on the physical value
    @property
    def requires_grad(self) -> bool:  # type: ignore[override]
        return self._value.requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        v = self._value
        if v.grad_fn is None or not requires_grad:
            v.requires_grad_(requires_grad)
        return self

    @property
    def _fw(self) -> dict | None:  # type: ignore[override]
        fw = self._value._fw
        if not fw:
            return None
        return {k: wrap_level(t, self._level) for k, t in fw.items()}

    @_fw.setter
    def _fw(self, tangents: dict | None) -> None:
        value = self._value
        if not tangents:
            value._fw = None
            return
        level, size = self._level, value.shape[0]
        value._fw = {k: batched_value(t, level, size) for k, t in tangents.items()}

    def detach(self) -> Tensor:
        return wrap_level(self._value.detach(), self._level)

    def detach_(self) -> Tensor:
        raise RuntimeError("vmap: detach_() on a batched tensor is not supported; use detach()")

    def backward(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(
            "vmap: backward() on a batched tensor is not supported; compute gradients inside "
            "vmap with autograd.func.grad / autograd.func.vjp"
        )

    def _no_values(self, *args: Any, **kwargs: Any) -> Any:
        raise _data_error("item()/tolist()/numpy()/bool() on a batched tensor")

    item = tolist = numpy = __bool__ = __float__ = __int__ = __index__ = __complex__ = _no_values
    data_ptr = _no_values

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        raise _data_error("converting a batched tensor to a NumPy array")

    def __setitem__(self, key: Any, value: Any) -> None:
        from ._vmap_rules import batched_setitem

        batched_setitem(self, key, value)

    def __repr__(self) -> str:
        return f"BatchedTensor(lvl={self._level}, bdim=0, value=\n{self._value!r}\n)"


def _install_inplace_methods() -> None:
    from ._vmap_rules import make_inplace_method

    for name in dir(Tensor):
        if name.endswith("_") and not name.startswith("_") and name not in (
                "requires_grad_", "detach_", "share_memory_"):
            setattr(BatchedTensor, name, make_inplace_method(name))
    for dunder, name in (("__iadd__", "add_"), ("__isub__", "sub_"), ("__imul__", "mul_"),
                         ("__itruediv__", "div_"), ("__ipow__", "pow_")):
        setattr(BatchedTensor, dunder, make_inplace_method(name))


_COMPARE_DUNDERS = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__invert__",
                    "__and__", "__or__", "__xor__", "__rand__", "__ror__", "__rxor__")
_DATA_DEPENDENT = ("equal", "allclose", "nonzero", "argwhere")


_OWN_METHODS = frozenset({"backward", "register_hook", "register_post_accumulate_grad_hook",
                          "retain_grad", "size", "dim", "numel", "ndimension", "stride",
                          "is_contiguous", "is_floating_point", "is_complex", "element_size",
                          "type", "new_tensor", "new_zeros", "new_ones", "new_full",
                          "new_empty", "cpu", "cuda"})


def _install_loop_methods() -> None:
    """Every other public Tensor method of a batched tensor first runs normally; if
    its implementation needs raw values (a vmap data error), it runs once per batch
    element instead and the results are stacked."""
    for name in dir(Tensor):
        if name.startswith("_") or name in _OWN_METHODS or name in BatchedTensor.__dict__:
            continue
        attr = getattr(Tensor, name)
        if callable(attr) and not isinstance(attr, type):
            setattr(BatchedTensor, name, _make_loop_method(name, attr))


def _make_loop_method(name: str, base: Any) -> Any:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        try:
            return base(self, *args, **kwargs)
        except VmapDataError:
            from ._vmap_rules import method_loop

            return method_loop(self, name, args, kwargs)

    method.__name__ = name
    return method


def _install_compare_methods() -> None:
    """Comparison/rounding/logical ops are raw-array code; for a batched tensor they run
    on the physical value (their arguments aligned like any elementwise op) so that the
    result is a proper batched tensor."""
    from .ops import compare

    names = [n for n in compare.__all__ if hasattr(Tensor, n) and n not in _DATA_DEPENDENT]
    for name in names + list(_COMPARE_DUNDERS):
        setattr(BatchedTensor, name, _make_compare_method(name))
    for name in _DATA_DEPENDENT:
        if hasattr(Tensor, name):
            setattr(BatchedTensor, name, BatchedTensor._no_values)


def _make_compare_method(name: str) -> Any:
    base = getattr(Tensor, name)

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        from ._vmap_rules import align_args

        level = self._level
        v, new, kw = align_args(self, args, kwargs, level)
        return wrap_level(base(v, *new, **kw), level)

    method.__name__ = name
    return method


def is_batched(t: Any, level: int | None = None) -> bool:
    """True when ``t`` is a tensor batched (at ``level``, or at any level)."""
    if not isinstance(t, Tensor):
        return False
    p = phantom(t._data)
    return p is not None and (level is None or p._level == level)


def value_of(t: Tensor) -> Tensor:
    """The physical value (batch dim first) of a tensor batched at its top level. A plain
    tensor that merely wraps a phantom is a detached alias: its value is detached too."""
    v = phantom(t._data)._value
    return v if type(t) is BatchedTensor else v.detach()


def wrap_level(value: Tensor, level: int) -> Tensor:
    """Make ``value`` (batch dim of ``level`` first) a tensor batched at ``level``, keeping
    the newest level outermost when ``value`` is itself batched at a newer level."""
    p = phantom(value._data)
    if p is not None:
        if p._level > level:
            inner = value_of(value)  # (B_new, B_level, ...)
            return wrap_level(wrap_level(inner.movedim(1, 0), level), p._level)
        if p._level == level:
            raise RuntimeError("vmap: internal error: a tensor batched twice at one level")
    t = object.__new__(BatchedTensor)
    t._data = _make_phantom(value, level)
    t._rg = False
    t.grad_fn = None
    t._output_nr = 0
    t._vc = [0]
    t._base = None
    return t


def expand_level(t: Tensor, size: int) -> Tensor:
    """``t`` repeated ``size`` times along a new leading dim (a broadcast view)."""
    return t.unsqueeze(0).expand(size, *t.shape)


def _batched_below(t: Tensor, level: int) -> bool:
    """True when ``t`` is batched at ``level`` under newer levels' wrappers."""
    p = phantom(t._data)
    while p is not None:
        if p._level == level:
            return True
        p = phantom(p._value._data)
    return False


def batched_value(t: Tensor, level: int, size: int) -> Tensor:
    """The physical form of ``t`` at ``level`` (its batch dim in front), other levels
    left batched: its value when batched there (dug out from under newer levels'
    wrappers if need be); otherwise ``t`` broadcast over the batch, with any tangents
    batched at ``level`` taking their per-example values (a dual whose tangent varies
    over the batch is batched)."""
    p = phantom(t._data)
    if p is not None:
        if p._level == level:
            return value_of(t)
        if p._level > level and _batched_below(t, level):
            inner = batched_value(value_of(t), level, size)  # (B_level, B_top, ...)
            return wrap_level(inner.movedim(1, 0), p._level)
    fw = t._fw
    if not fw or not any(is_batched(v, level) for v in fw.values()):
        return expand_level(t, size)
    saved = fw_state.level
    fw_state.level = -1  # expand the primal alone; the tangents are set right below
    try:
        out = expand_level(t, size)
    finally:
        fw_state.level = saved
    out._fw = {k: batched_value(v, level, size) for k, v in fw.items()}
    return out


def tangent_batched(t: Any, level: int) -> bool:
    fw = t._fw if isinstance(t, Tensor) else None
    return bool(fw) and any(is_batched(v, level) for v in fw.values())


# ----------------------------------------------------------------------------- lifting
# The function transforms (grad, vjp, jvp) run autograd on physical tensors carrying
# every active level as a leading dim; these helpers convert to and from that form.


def active_levels() -> list[tuple[int, int]]:
    return [(lvl, size) for lvl, size, _ in _state.levels]


def lift(t: Tensor, levels: list[tuple[int, int]]) -> Tensor:
    """Physical form of ``t`` with one leading dim per level in ``levels`` (oldest
    first), broadcasting where ``t`` is not batched. Levels are peeled newest first, so
    each step's batch dim lands in front of the ones already peeled."""
    for lvl, size in reversed(levels):
        t = batched_value(t, lvl, size)
    return t


def lower(p: Tensor, levels: list[tuple[int, int]]) -> Tensor:
    """Inverse of ``lift``: wrap the leading dims of ``p`` back as batched levels."""
    for lvl, _ in levels:
        p = wrap_level(p, lvl)
    return p


# ----------------------------------------------------------------------------- dispatch

_patch_lock = threading.Lock()
_patch_depth = 0


def _has_batched(args: tuple, depth: int = 0) -> bool:
    for a in args:
        if isinstance(a, Tensor):
            if type(a._data) is _Phantom:
                return True
        elif type(a) is _Phantom:
            return True
        elif depth < 2 and isinstance(a, (tuple, list)) and a:
            if _has_batched(a, depth + 1):
                return True
    return False


def _dispatch(cls: type, args: tuple, is_op: bool) -> Any:
    """The core's batching hook: a call with a batched argument goes to its batching
    rule (or the per-example loop); any other call goes on as usual."""
    if not _has_batched(args):
        return NotImplemented
    from ._vmap_rules import dispatch_function, dispatch_op

    return dispatch_op(cls, args) if is_op else dispatch_function(cls, args)


def _patch(on: bool) -> None:
    """Route op calls through the batching dispatcher while any vmap is running (the
    core's ``function._batched_hook``; an ``Fn.apply`` bound earlier sees it too)."""
    global _patch_depth
    with _patch_lock:
        if on:
            _patch_depth += 1
            if _patch_depth == 1:
                _function._batched_hook = _dispatch
        else:
            _patch_depth -= 1
            if _patch_depth == 0:
                _function._batched_hook = None


# ----------------------------------------------------------------------------- randomness

_RANDOM_ERROR = (
    "vmap: called random operation while in randomness error mode. Please either use the "
    "'same' or 'different' randomness flags on vmap or perform the randomness operation out "
    "of vmap"
)


class _RandomGuard:
    """Stands in for a generator's bit stream inside vmap: raises (``randomness=
    'error'``) or draws one independent sample per batch element (``'different'``)."""

    _DRAWS = ("random", "standard_normal", "standard_exponential")

    def __init__(self, inner: Any, level: int, size: int, mode: str) -> None:
        self._inner, self._lvl, self._size, self._mode = inner, level, size, mode

    def __getattr__(self, name: str) -> Any:
        if name == "bit_generator":  # state save/restore is not a draw
            return self._inner.bit_generator
        if self._mode == "error":
            raise RuntimeError(_RANDOM_ERROR)
        if name in self._DRAWS:
            return functools.partial(self._draw, name)
        if name == "integers":
            return self._integers
        raise RuntimeError(
            f"vmap: randomness='different' is not supported for this random function ({name}); "
            "use randomness='same' or draw the random values outside vmap"
        )

    def _draw(self, name: str, size: Any = None, *args: Any, **kwargs: Any) -> Any:
        shape = () if size is None else tuple(size) if isinstance(size, (tuple, list)) else (size,)
        raw = getattr(self._inner, name)((self._size,) + shape, *args, **kwargs)
        return _phantom_of_raw(raw, self._lvl)

    def _integers(self, low: Any, high: Any = None, size: Any = None, **kwargs: Any) -> Any:
        shape = () if size is None else tuple(size) if isinstance(size, (tuple, list)) else (size,)
        raw = self._inner.integers(low, high, size=(self._size,) + shape, **kwargs)
        return _phantom_of_raw(raw, self._lvl)


def _guard_generators(level: int, size: int, mode: str) -> list:
    if mode == "same":
        return []
    from .random import default_generator

    gen = default_generator("cpu")
    prev = gen._impl
    gen._impl = _RandomGuard(prev, level, size, mode)
    return [(gen, prev)]


_install_inplace_methods()
_install_compare_methods()
_install_loop_methods()
