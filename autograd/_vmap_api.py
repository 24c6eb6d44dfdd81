"""``vmap`` itself: argument handling (``in_dims``/``out_dims`` over nested tuples,
lists and dicts), entering a batch level, chunking, and moving batch dims back out.
The batching machinery it drives lives in ``_vmap`` (see there).

Example:
    >>> import autograd
    >>> from autograd.func import vmap
    >>> vmap(lambda a, b: a @ b, in_dims=(0, None))(autograd.ones(3, 2), autograd.ones(2)).tolist()
    [2.0, 2.0, 2.0]
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ._vmap import (
    _guard_generators,
    _level_ids,
    _patch,
    _state,
    batched_value,
    is_batched,
    wrap_level,
)
from .tensor import Tensor

__all__ = ["vmap"]


# ----------------------------------------------------------------------------- pytrees


def _flatten(tree: Any) -> tuple[list, Any]:
    if isinstance(tree, (tuple, list)):
        leaves, specs = [], []
        for item in tree:
            ls, s = _flatten(item)
            leaves += ls
            specs.append(s)
        return leaves, (type(tree), specs)
    if isinstance(tree, dict):
        leaves, specs = [], []
        for k in tree:
            ls, s = _flatten(tree[k])
            leaves += ls
            specs.append((k, s))
        return leaves, (dict, specs)
    return [tree], None


def _unflatten(leaves: list, spec: Any) -> Any:
    it = iter(leaves)

    def build(s: Any) -> Any:
        if s is None:
            return next(it)
        kind, children = s
        if kind is dict:
            return {k: build(c) for k, c in children}
        items = [build(c) for c in children]
        if hasattr(kind, "_fields"):
            return kind(*items)
        return kind(items)

    return build(spec)


def _broadcast_dims(dims: Any, tree: Any, what: str, where: str) -> list:
    """One dim per leaf of ``tree``: ``dims`` is an int/None for the whole subtree or has
    the same structure as it."""
    if dims is None or isinstance(dims, int):
        return [dims] * len(_flatten(tree)[0])
    if isinstance(dims, (tuple, list)) and isinstance(tree, (tuple, list)) and len(dims) == len(tree):
        out = []
        for d, t in zip(dims, tree):
            out += _broadcast_dims(d, t, what, where)
        return out
    if isinstance(dims, dict) and isinstance(tree, dict) and set(dims) == set(tree):
        out = []
        for k in tree:
            out += _broadcast_dims(dims[k], tree[k], what, where)
        return out
    raise ValueError(
        f"{where}: {what} is not compatible with the structure of the "
        f"{'inputs' if what == 'in_dims' else 'outputs'}. {what} has structure "
        f"{_describe(dims)} but the {'inputs' if what == 'in_dims' else 'outputs'} have "
        f"structure {_describe(tree)}."
    )


def _describe(tree: Any) -> str:
    if isinstance(tree, (tuple, list)):
        return f"{type(tree).__name__}(len={len(tree)})"
    if isinstance(tree, dict):
        return f"dict(keys={sorted(map(str, tree))})"
    return type(tree).__name__


# ----------------------------------------------------------------------------- vmap


def vmap(func: Callable[..., Any], in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error",
         *, chunk_size: int | None = None) -> Callable[..., Any]:
    """Vectorize ``func`` over a batch dimension of its inputs (``torch.func.vmap``).

    ``in_dims`` says which dim of each input is the batch (an int, None for an input
    that is not batched, or a structure matching the arguments); ``out_dims`` where the
    batch goes in each output. ``randomness``: ``'error'`` (random ops raise),
    ``'same'`` (one draw shared by the batch) or ``'different'`` (one draw per
    element). ``chunk_size`` runs the batch in pieces of that size. Nested vmaps and
    the function transforms (grad, jacrev, jacfwd, vjp, jvp) compose.

    Example:
        >>> import autograd
        >>> from autograd.func import vmap
        >>> x, w = autograd.ones(4, 3), autograd.arange(3.0)
        >>> vmap(lambda row, w: (row * w).sum(), in_dims=(0, None))(x, w)
        tensor([3., 3., 3., 3.])
    """
    if randomness not in ("error", "different", "same"):
        raise ValueError(
            f"Only allowed values for randomness are 'error', 'different', or 'same'. Got "
            f"{randomness}"
        )
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return _vmap_call(func, in_dims, out_dims, randomness, chunk_size, args, kwargs)

    return wrapped


def _fname(func: Any) -> str:
    return getattr(func, "__name__", type(func).__name__)


def _vmap_call(func: Callable, in_dims: Any, out_dims: Any, randomness: str,
               chunk_size: int | None, args: tuple, kwargs: dict) -> Any:
    name = _fname(func)
    where = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>)"
    if not args:
        raise ValueError(
            f"{where}: got no inputs. Maybe you forgot to add inputs, or you are trying to vmap "
            "over a function with no inputs. The latter is unsupported."
        )
    if not (in_dims is None or isinstance(in_dims, (int, tuple, list, dict))):
        raise ValueError(
            f"{where}: expected `in_dims` to be int or a (potentially nested) tuple matching "
            f"the structure of inputs, got: {type(in_dims)}."
        )
    if isinstance(in_dims, (int, type(None))):
        dims = _broadcast_dims(in_dims, args, "in_dims", where)
    else:
        if not isinstance(in_dims, (tuple, list)) or len(in_dims) != len(args):
            raise ValueError(
                f"{where}: in_dims is not compatible with the structure of `inputs`. in_dims "
                f"has structure {_describe(in_dims)} but inputs has structure "
                f"{_describe(args)}."
            )
        dims = _broadcast_dims(tuple(in_dims), args, "in_dims", where)
    leaves, spec = _flatten(args)
    sizes = []
    norm_dims: list = []
    for x, d in zip(leaves, dims):
        if d is None:
            norm_dims.append(None)
            continue
        if not isinstance(x, Tensor):
            raise ValueError(
                f"{where}: Got in_dim={d} for an input but the input is of type {type(x)}. We "
                "cannot vmap over non-Tensor arguments, please use None as the respective in_dim"
            )
        if not isinstance(d, int) or not -max(x.ndim, 1) <= d < max(x.ndim, 1) or x.ndim == 0:
            raise ValueError(
                f"{where}: Got in_dim={d} for some input, but that input is a Tensor of "
                f"dimensionality {x.ndim} so expected in_dim to satisfy -{x.ndim} <= in_dim "
                f"< {x.ndim}."
            )
        d = d % x.ndim
        norm_dims.append(d)
        sizes.append(x.shape[d])
    if not sizes:
        raise ValueError(
            f"{where}: at least one input must be batched; got in_dims={in_dims} with no "
            "Tensor inputs to map over"
        )
    if len(set(sizes)) > 1:
        raise ValueError(
            f"vmap: Expected all tensors to have the same size in the mapped dimension, got "
            f"sizes {sizes} for the mapped dimension"
        )
    for x in leaves:
        if isinstance(x, Tensor) and x.device.type != "cpu":
            raise RuntimeError(
                f"vmap: got a tensor on {x.device}; vmap batches CPU tensors only, move the "
                "inputs with .cpu() first"
            )
    size = sizes[0]
    if chunk_size is not None and chunk_size < size:
        return _chunked(func, leaves, spec, norm_dims, out_dims, randomness, chunk_size, size,
                        kwargs, name)
    return _run_level(func, leaves, spec, norm_dims, out_dims, randomness, size, kwargs, name)


def _run_level(func: Callable, leaves: list, spec: Any, dims: list, out_dims: Any,
               randomness: str, size: int, kwargs: dict, name: str) -> Any:
    level = next(_level_ids)
    _patch(True)
    _state.levels.append((level, size, randomness))
    guards = _guard_generators(level, size, randomness)
    try:
        batched = [x if d is None else wrap_level(x.movedim(d, 0) if d else x, level)
                   for x, d in zip(leaves, dims)]
        out = func(*_unflatten(batched, spec), **kwargs)
        return _unbatch(out, out_dims, level, size, name)
    finally:
        for gen, prev in guards:
            gen._impl = prev
        _state.levels.pop()
        _patch(False)


def _unbatch(out: Any, out_dims: Any, level: int, size: int, name: str) -> Any:
    where = f"vmap({name}, ..., out_dims={out_dims})(<inputs>)"
    leaves, spec = _flatten(out)
    dims = _broadcast_dims(out_dims, out, "out_dims", where)
    res = []
    for o, d in zip(leaves, dims):
        if d is None:
            if is_batched(o, level):
                raise ValueError(
                    f"{where}: `{name}` can not return a BatchedTensor when out_dim is None"
                )
            res.append(o)
            continue
        if not isinstance(o, Tensor):
            raise ValueError(
                f"{where}: `{name}` must only return Tensors, got type {type(o)}. Did you mean "
                "to set out_dims= to None for output?"
            )
        v = batched_value(o, level, size)
        nd = v.ndim
        if not -nd <= d < nd:
            raise ValueError(
                f"{where}: out_dims={d} is out of range for an output of dimensionality "
                f"{nd - 1}; expected -{nd} <= out_dim < {nd}"
            )
        d = d % nd
        res.append(v.movedim(0, d) if d else v)
    return _unflatten(res, spec)


def _chunked(func: Callable, leaves: list, spec: Any, dims: list, out_dims: Any,
             randomness: str, chunk: int, size: int, kwargs: dict, name: str) -> Any:
    from .ops.join import cat

    outs = []
    for start in range(0, size, chunk):
        n = min(chunk, size - start)
        part = [x if d is None else x.narrow(d, start, n) for x, d in zip(leaves, dims)]
        outs.append(_run_level(func, part, spec, dims, out_dims, randomness, n, kwargs, name))
    flat = [_flatten(o)[0] for o in outs]
    _, ospec = _flatten(outs[0])
    odims = _broadcast_dims(out_dims, outs[0], "out_dims", f"vmap({name}, ...)")
    merged = []
    for j, d in enumerate(odims):
        if d is None:
            merged.append(flat[0][j])
        else:
            merged.append(cat([f[j] for f in flat], d % flat[0][j].ndim))
    return _unflatten(merged, ospec)


