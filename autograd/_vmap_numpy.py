"""Batching for raw NumPy code that ops run on a batched tensor's ``_data``.

Some ops do part of their work on raw arrays (sorting indices, masks, argmax of a
window). Inside vmap those arrays are phantoms; the handlers here run the NumPy
function on the physical array instead (axes shifted past the batch dim, other arrays
broadcast over the batch) and wrap the result as a phantom again. A function without a
handler raises the vmap data-dependence error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import backend

_np = backend.numpy
HANDLERS: dict[str, Callable] = {}


def _shift_axis(ax: Any, nd: int, none_all: bool) -> Any:
    if ax is None:
        return tuple(range(1, nd + 1)) if none_all else None
    if isinstance(ax, (tuple, list)):
        return tuple(int(a) % nd + 1 for a in ax)
    return int(ax) % nd + 1


def _batch(x: Any, level: int, size: int) -> tuple[Any, bool]:
    """Physical array of ``x`` at ``level`` (and whether it was batched there)."""
    from ._vmap import phantom

    p = phantom(x)
    if p is not None and p._level == level:
        return p._raw(), True
    return x, False


def _expand(x: Any, level: int, size: int) -> Any:
    raw, batched = _batch(x, level, size)
    if batched:
        return raw
    x = _np.asarray(x) if not hasattr(x, "shape") else x
    return _np.broadcast_to(x, (size,) + tuple(x.shape))


def handler(*names: str) -> Callable:
    def reg(fn: Callable) -> Callable:
        for n in names:
            HANDLERS[n] = fn
        return fn

    return reg


def _arg(args: tuple, kwargs: dict, pos: int, name: str, default: Any) -> tuple[Any, tuple, dict]:
    """Pull argument ``name`` (positional index ``pos``) out of args/kwargs."""
    if len(args) > pos:
        return args[pos], args[:pos] + args[pos + 1:], kwargs
    if name in kwargs:
        kw = dict(kwargs)
        return kw.pop(name), args, kw
    return default, args, kwargs


@handler("sum", "mean", "prod", "max", "min", "amax", "amin", "any", "all", "std", "var",
         "nansum", "nanmean", "nanmax", "nanmin", "count_nonzero", "median", "nanmedian")
def _reduce(func: Any, args: tuple, kwargs: dict, level: int, size: int) -> Any:
    a = args[0]
    ax, rest, kw = _arg(args, kwargs, 1, "axis", None)
    raw, _ = _batch(a, level, size)
    return func(raw, *rest[1:], axis=_shift_axis(ax, _np.ndim(a), True), **kw)


@handler("argmax", "argmin")
def _arg_extreme(func: Any, args: tuple, kwargs: dict, level: int, size: int) -> Any:
    a = args[0]
    ax, rest, kw = _arg(args, kwargs, 1, "axis", None)
    raw, _ = _batch(a, level, size)
    if ax is None:
        return func(raw.reshape(size, -1), axis=1, **kw)
    return func(raw, axis=_shift_axis(ax, _np.ndim(a), False), **kw)


@handler("cumsum", "cumprod", "argsort", "sort", "flip")
def _along(func: Any, args: tuple, kwargs: dict, level: int, size: int) -> Any:
    a = args[0]
    default = None if func.__name__ in ("cumsum", "cumprod", "flip") else -1
    ax, rest, kw = _arg(args, kwargs, 1, "axis", default)
    raw, _ = _batch(a, level, size)
    nd = _np.ndim(a)
    if ax is None:
        if func.__name__ == "flip":
            return func(raw, axis=tuple(range(1, nd + 1)), **kw)
        raw, nd = raw.reshape(size, -1), 1
        ax = 0
    return func(raw, *rest[1:], axis=_shift_axis(ax, nd, False), **kw)


@handler("argpartition", "partition")
def _partition(func: Any, args: tuple, kwargs: dict, level: int, size: int) -> Any:
    a, kth = args[0], args[1]
    ax, rest, kw = _arg(args, kwargs, 2, "axis", -1)
    raw, _ = _batch(a, level, size)
    if ax is None:
        return func(raw.reshape(size, -1), kth, axis=1, **kw)
    return func(raw, kth, axis=_shift_axis(ax, _np.ndim(a), False), **kw)


@handler("take_along_axis")
def _take_along(func: Any, args: tuple, kwargs: dict, level: int, size: int) -> Any:
    arr, idx = args[0], args[1]
    ax, rest, kw = _arg(args, kwargs, 2, "axis", None)
    if ax is None:
        raise _unsupported("take_along_axis with axis=None")
    return func(_expand(arr, level, size), _expand(idx, level, size),
                axis=_shift_axis(ax, _np.ndim(arr), False), **kw)


@handler("isclose", "nan_to_num", "where", "clip", "round", "around", "isnan", "isinf",
         "isfinite", "signbit", "copysign")
def _elementwise(func: Any, args: tuple, kwargs: dict, level: int, size: int) -> Any:
    arrays = [i for i, a in enumerate(args) if hasattr(a, "shape")]
    nd = max(_np.ndim(args[i]) for i in arrays)
    new = list(args)
    for i in arrays:
        raw, batched = _batch(args[i], level, size)
        if batched:
            k = _np.ndim(args[i])
            if k < nd:
                raw = raw.reshape((size,) + (1,) * (nd - k) + raw.shape[1:])
            new[i] = raw
    return func(*new, **kwargs)


@handler("expand_dims")
def _expand_dims(func: Any, args: tuple, kwargs: dict, level: int, size: int) -> Any:
    a = args[0]
    ax, rest, kw = _arg(args, kwargs, 1, "axis", 0)
    raw, _ = _batch(a, level, size)
    nd = _np.ndim(a) + (len(ax) if isinstance(ax, (tuple, list)) else 1)
    return func(raw, _shift_axis(ax, nd, False))


@handler("squeeze")
def _squeeze(func: Any, args: tuple, kwargs: dict, level: int, size: int) -> Any:
    a = args[0]
    ax, rest, kw = _arg(args, kwargs, 1, "axis", None)
    raw, _ = _batch(a, level, size)
    nd = _np.ndim(a)
    if ax is None:
        ax = tuple(i for i, n in enumerate(a.shape) if n == 1)
    return func(raw, axis=_shift_axis(ax, nd, False))


@handler("moveaxis", "swapaxes")
def _two_axes(func: Any, args: tuple, kwargs: dict, level: int, size: int) -> Any:
    a, x, y = args[0], args[1], args[2]
    raw, _ = _batch(a, level, size)
    nd = _np.ndim(a)
    return func(raw, _shift_axis(x, nd, False), _shift_axis(y, nd, False))


@handler("transpose")
def _transpose(func: Any, args: tuple, kwargs: dict, level: int, size: int) -> Any:
    a = args[0]
    axes, rest, kw = _arg(args, kwargs, 1, "axes", None)
    raw, _ = _batch(a, level, size)
    nd = _np.ndim(a)
    axes = tuple(range(nd - 1, -1, -1)) if axes is None else axes
    return func(raw, (0,) + tuple(int(x) % nd + 1 for x in axes))


@handler("reshape")
def _reshape(func: Any, args: tuple, kwargs: dict, level: int, size: int) -> Any:
    a = args[0]
    shape, rest, kw = _arg(args, kwargs, 1, "shape", None)
    raw, _ = _batch(a, level, size)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return func(raw, (size,) + shape)


@handler("broadcast_to")
def _broadcast_to(func: Any, args: tuple, kwargs: dict, level: int, size: int) -> Any:
    a = args[0]
    shape, rest, kw = _arg(args, kwargs, 1, "shape", None)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    raw, _ = _batch(a, level, size)
    k = _np.ndim(a)
    raw = raw.reshape((size,) + (1,) * (len(shape) - k) + raw.shape[1:])
    return func(raw, (size,) + shape)


@handler("concatenate", "stack")
def _join(func: Any, args: tuple, kwargs: dict, level: int, size: int) -> Any:
    seq = args[0]
    ax, rest, kw = _arg(args, kwargs, 1, "axis", 0)
    parts = [_expand(x, level, size) for x in seq]
    nd = _np.ndim(seq[0]) + (1 if func.__name__ == "stack" else 0)
    return func(parts, axis=_shift_axis(ax, nd, False), **kw)


@handler("diagonal")
def _diagonal(func: Any, args: tuple, kwargs: dict, level: int, size: int) -> Any:
    a = args[0]
    offset, rest, kw = _arg(args, kwargs, 1, "offset", 0)
    a1, rest, kw = _arg(rest, kw, 1, "axis1", 0)
    a2, rest, kw = _arg(rest, kw, 1, "axis2", 1)
    raw, _ = _batch(a, level, size)
    nd = _np.ndim(a)
    return func(raw, offset, _shift_axis(a1, nd, False), _shift_axis(a2, nd, False))


@handler("tril", "triu")
def _tri(func: Any, args: tuple, kwargs: dict, level: int, size: int) -> Any:
    raw, _ = _batch(args[0], level, size)
    return func(raw, *args[1:], **kwargs)


def _unsupported(what: str) -> RuntimeError:
    from ._vmap_phantom import data_error

    return data_error(f"numpy {what}")


def run(func: Any, args: tuple, kwargs: dict, level: int, size: int) -> Any:
    fn = HANDLERS.get(func.__name__)
    if fn is None:
        raise _unsupported(f"function {func.__name__}")
    return fn(func, args, kwargs, level, size)
