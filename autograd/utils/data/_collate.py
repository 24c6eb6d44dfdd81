"""Collation: turning a list of samples into a batch. Mirrors
``torch.utils.data._utils.collate`` (``default_collate``, ``default_convert`` and the
extensible ``collate(batch, collate_fn_map=...)``).

``default_collate`` stacks Tensors and NumPy arrays along a new dimension 0, turns Python
floats into a float64 tensor, ints into an int64 tensor (bools into a bool tensor), keeps
strings as lists, and recurses into dicts, namedtuples, tuples and lists (a tuple of fields
becomes a list of batched fields, as in PyTorch).

Example:
    >>> from autograd.utils.data import default_collate
    >>> default_collate([(1, 0.5), (2, 1.5)])
    [tensor([1, 2]), tensor([0.5000, 1.5000], dtype=autograd.float64)]
"""

from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable
from typing import Any

from ... import backend
from ...creation import as_tensor, tensor
from ...grad_mode import is_grad_enabled
from ...tensor import Tensor, _wrap

__all__ = ["default_collate", "default_convert", "collate", "default_collate_fn_map"]

# dtype.str codes of NumPy arrays that hold strings or Python objects, not numbers.
_NON_NUMERIC = re.compile(r"[SaUO]")

_ERR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
    "found {}"
)


def _is_numpy_value(x: Any) -> bool:
    t = type(x)
    return t.__module__ == "numpy" and t.__name__ not in ("str_", "bytes_", "string_")


def default_convert(data: Any) -> Any:
    """Turn NumPy arrays and scalars inside ``data`` into Tensors, leaving everything else
    (and the container structure) as it is. Used when the DataLoader does not batch.

    Example:
        >>> import numpy as np
        >>> from autograd.utils.data import default_convert
        >>> default_convert({"x": np.array([1, 2]), "name": "a"})
        {'x': tensor([1, 2]), 'name': 'a'}
    """
    if isinstance(data, Tensor):
        return data
    if _is_numpy_value(data):
        if isinstance(data, backend.numpy.ndarray) and _NON_NUMERIC.search(data.dtype.str):
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        converted = {k: default_convert(data[k]) for k in data}
        return _rebuild_mapping(data, converted)
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def _rebuild_mapping(like: Any, values: dict) -> Any:
    """A mapping of ``like``'s type holding ``values`` (a plain dict when that type can't
    be rebuilt that way)."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            out = copy.copy(like)
            out.update(values)
            return out
        return type(like)(values)
    except TypeError:
        return values


def _rebuild_sequence(like: Any, values: list) -> Any:
    try:
        if isinstance(like, collections.abc.MutableSequence):
            out = copy.copy(like)
            for i, v in enumerate(values):
                out[i] = v
            return out
        return type(like)(values)
    except TypeError:
        return values


def collate(batch: list, *, collate_fn_map: dict | None = None) -> Any:
    """Collate ``batch`` by the type of its first element: a function from
    ``collate_fn_map`` (exact type first, then ``isinstance`` in insertion order) for leaf
    types, recursion for mappings, namedtuples and sequences.

    Example:
        >>> from autograd.utils.data._collate import collate
        >>> collate([{"a": "x"}, {"a": "y"}], collate_fn_map={str: lambda b, collate_fn_map: "".join(b)})
        {'a': 'xy'}
    """
    if len(batch) == 0:
        raise ValueError("collate: the batch is empty; there is nothing to stack")
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        fn = collate_fn_map.get(elem_type)
        if fn is None:
            for key, candidate in collate_fn_map.items():
                if isinstance(elem, key):
                    fn = candidate
                    break
        if fn is not None:
            return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        values = {k: collate([d[k] for d in batch], collate_fn_map=collate_fn_map) for k in elem}
        return _rebuild_mapping(elem, values)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return elem_type(*(collate(list(s), collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence) and not isinstance(elem, (str, bytes)):
        size = len(elem)
        for i, e in enumerate(batch):
            if len(e) != size:
                raise RuntimeError(
                    f"each element in list of batch should be of equal size (element 0 has "
                    f"{size} fields, element {i} has {len(e)})"
                )
        fields = [collate(list(s), collate_fn_map=collate_fn_map) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return fields  # a list, as PyTorch returns for tuples
        return _rebuild_sequence(elem, fields)
    raise TypeError(_ERR.format(elem_type))


def _stack_tensors(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    first = batch[0]
    for i, t in enumerate(batch):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"default_collate: element 0 of the batch is a Tensor but element {i} is a "
                f"{type(t).__name__}; return the same type from every sample"
            )
        if t.shape != first.shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(first.shape)} at "
                f"entry 0 and {list(t.shape)} at entry {i}"
            )
        if t.device != first.device:
            raise RuntimeError(
                f"default_collate: all samples must be on the same device, got {first.device} "
                f"at entry 0 and {t.device} at entry {i}"
            )
    if is_grad_enabled() and any(t.requires_grad for t in batch):
        import autograd

        return autograd.stack(batch, 0)  # keep the graph so gradients reach the samples
    xp = backend.xp_of(first._data)
    dt = backend.numpy.result_type(*{t.dtype for t in batch})
    return _wrap(xp.stack([t._data for t in batch]).astype(dt, copy=False))


def _collate_numpy_array(batch: list, *, collate_fn_map: dict | None = None) -> Any:
    if _NON_NUMERIC.search(batch[0].dtype.str):
        raise TypeError(_ERR.format(batch[0].dtype))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def _collate_numpy_scalar(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    return as_tensor(backend.numpy.asarray(batch))


def _collate_float(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    return tensor(batch, dtype=backend.float64)


def _collate_int(batch: list, *, collate_fn_map: dict | None = None) -> Tensor:
    return tensor(batch)


def _collate_str(batch: list, *, collate_fn_map: dict | None = None) -> list:
    return batch


default_collate_fn_map: dict[type | tuple[type, ...], Callable] = {
    Tensor: _stack_tensors,
    backend.numpy.ndarray: _collate_numpy_array,
    (backend.numpy.bool_, backend.numpy.number, backend.numpy.object_): _collate_numpy_scalar,
    float: _collate_float,
    int: _collate_int,
    str: _collate_str,
    bytes: _collate_str,
}


def default_collate(batch: list) -> Any:
    """Stack a list of samples into a batch (see the module docstring for the rules).

    Example:
        >>> import autograd
        >>> from autograd.utils.data import default_collate
        >>> out = default_collate([{"x": autograd.zeros(2), "y": 1}, {"x": autograd.ones(2), "y": 0}])
        >>> out["x"].shape, out["y"]
        ((2, 2), tensor([1, 0]))
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
