"""Indexing: ``x[key]`` and ``x[key] = value``.

Basic keys (ints, slices, None, Ellipsis) give views; keys with tensors, lists or
boolean masks ("advanced" indexing) give copies. Both backwards scatter the gradient
back into a zero tensor of the input's shape, adding where an index repeats.

Example:
    >>> import autograd
    >>> x = autograd.arange(6.0).reshape(2, 3).requires_grad_()
    >>> x[:, [0, 0, 2]].sum().backward()
    >>> x.grad
    tensor([[2., 0., 1.],
            [2., 0., 1.]])
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..function import Op, apply_inplace
from ..tensor import Tensor, _wrap
from ._util import is_number, to_tensor
from .shape import sum_to

__all__ = ["getitem", "setitem"]


# ----------------------------------------------------------------------------- keys


def _is_basic(k: Any) -> bool:
    return k is None or k is Ellipsis or isinstance(k, slice) or (
        isinstance(k, int) and not isinstance(k, bool)
    )


def normalize_key(key: Any, x: Tensor) -> tuple[Any, bool]:
    """Turn a user key into an array-level key; also say whether it is basic."""
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    basic = True
    xp = backend.xp_of(x._data)
    for k in key:
        if isinstance(k, Tensor):
            if k._data.ndim == 0 and k._data.dtype.kind in "iu":
                out.append(int(k._data))
                continue
            arr = k._data
            if arr.dtype.kind not in "biu":
                raise IndexError(
                    f"tensors used as indices must be long, int, byte or bool tensors, got {k.dtype}"
                )
            out.append(backend.to_device(arr, x.device) if xp is not backend.numpy else arr)
            basic = False
        elif isinstance(k, (list, range)) or (hasattr(k, "dtype") and hasattr(k, "shape")):
            arr = backend.numpy.asarray(k)
            if arr.dtype.kind not in "biu":
                if arr.size == 0:
                    arr = arr.astype(backend.int64)
                else:
                    raise IndexError(f"only integers, slices, ellipsis, None and integer or boolean arrays are valid indices, got {k!r}")
            out.append(backend.to_device(arr, x.device))
            basic = False
        elif isinstance(k, bool):
            out.append(backend.numpy.asarray(k))
            basic = False
        elif _is_basic(k):
            out.append(k)
        else:
            try:
                out.append(int(k.__index__()))
            except (AttributeError, TypeError):
                raise IndexError(
                    f"only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                    f"Variables are valid indices (got {type(k).__name__})"
                ) from None
    return tuple(out), basic


def _index(arr: Any, key: tuple) -> Any:
    """``arr[key]`` with PyTorch's wording for out-of-range indices."""
    try:
        return arr[key]
    except IndexError as e:
        msg = str(e).replace("axis", "dimension").replace("array", "tensor")
        raise IndexError(f"{msg} (indexing a tensor of shape {list(arr.shape)})") from None


# ----------------------------------------------------------------------------- getitem


class GetItem(Op):
    """``x[key]`` with a basic key: a view."""

    is_view = True

    @staticmethod
    def forward(ctx: Any, x: Any, key: tuple) -> Any:
        ctx.in_shape, ctx._key = x.shape, key
        return _index(x, key)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return IndexPut.apply(grad_out, ctx.in_shape, ctx._key), None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, _: Any) -> Tensor:
        return GetItem.apply(tx, ctx._key)


class GetItemAdvanced(Op):
    """``x[key]`` with tensors, lists or masks in the key: a copy."""

    @staticmethod
    def forward(ctx: Any, x: Any, key: tuple) -> Any:
        ctx.in_shape, ctx._key = x.shape, key
        return _index(x, key)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return IndexPut.apply(grad_out, ctx.in_shape, ctx._key), None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, _: Any) -> Tensor:
        return GetItemAdvanced.apply(tx, ctx._key)


class IndexPut(Op):
    """Scatter-add ``g`` into zeros of ``shape`` at ``key`` (the adjoint of indexing)."""

    @staticmethod
    def forward(ctx: Any, g: Any, shape: tuple, key: tuple) -> Any:
        ctx._key = key
        xp = backend.xp_of(g)
        out = xp.zeros(shape, dtype=g.dtype)
        if all(_is_basic(k) for k in key):
            out[key] = g
        elif xp is backend.numpy:
            backend.numpy.add.at(out, key, g)
        else:  # cupy: scatter_add handles repeated indices
            import cupyx  # type: ignore[import-not-found]

            cupyx.scatter_add(out, key, g)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        key = ctx._key
        cls = GetItem if all(_is_basic(k) for k in key) else GetItemAdvanced
        return cls.apply(grad_out, key), None, None

    @staticmethod
    def jvp(ctx: Any, tg: Tensor, *_: Any) -> Tensor:
        return IndexPut.apply(tg, ctx._fw_out.shape, ctx._key)


def getitem(x: Tensor, index: Any) -> Tensor:
    """``x[index]`` with PyTorch/NumPy semantics.

    Example:
        >>> import autograd
        >>> autograd.arange(5)[1:4].tolist(), autograd.arange(5)[autograd.tensor([0, 4])].tolist()
        ([1, 2, 3], [0, 4])
    """
    key, basic = normalize_key(index, x)
    return (GetItem if basic else GetItemAdvanced).apply(x, key)


# ----------------------------------------------------------------------------- setitem


class SetItem(Op):
    """``x[key] = value`` computed out of place (the in-place machinery writes it back)."""

    @staticmethod
    def forward(ctx: Any, x: Any, key: tuple, value: Any) -> Any:
        ctx._key = key
        ctx.value_shape = value.shape if hasattr(value, "shape") else None
        out = x.copy()
        try:
            out[key] = value
        except IndexError:
            _index(x, key)  # raises with the tensor wording
            raise
        return out

    @staticmethod
    def inplace(x: Any, key: tuple, value: Any) -> None:
        x[key] = value

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        key = ctx._key
        nig = ctx.needs_input_grad
        gx = gv = None
        if nig[0]:
            xp = backend.xp_of(grad_out._data)
            mask = xp.ones(grad_out.shape, dtype=grad_out._data.dtype)
            mask[key] = 0
            gx = grad_out * _wrap(mask)
        if nig[2]:
            cls = GetItem if all(_is_basic(k) for k in key) else GetItemAdvanced
            gv = sum_to(cls.apply(grad_out, key), ctx.value_shape)
        return gx, None, gv

    @staticmethod
    def jvp(ctx: Any, tx: Any, _: Any, tv: Any) -> Tensor:
        out = ctx._fw_out._data
        base = tx if tx is not None else _wrap(backend.xp_of(out).zeros(out.shape, out.dtype))
        return SetItem.apply(base, ctx._key, tv if tv is not None else 0.0)


def setitem(x: Tensor, index: Any, value: Any) -> None:
    """``x[index] = value`` in place (differentiable w.r.t. both ``x`` and ``value``).

    Example:
        >>> import autograd
        >>> x = autograd.zeros(3)
        >>> x[1] = 5.0
        >>> x.tolist()
        [0.0, 5.0, 0.0]
    """
    key, _ = normalize_key(index, x)
    if isinstance(value, Tensor):
        if value._data.dtype != x._data.dtype:
            value = value.to(x.dtype)
    elif is_number(value):
        if x._data.dtype.kind in "biu" and isinstance(value, float):
            value = int(value) if x._data.dtype.kind != "b" else bool(value)
    else:
        value = to_tensor(value, x).to(x.dtype)
    try:
        apply_inplace(SetItem, x, key, value)
    except ValueError as e:
        raise RuntimeError(
            f"setitem: cannot assign a value of shape {list(getattr(value, 'shape', ()))} to "
            f"x[{index!r}] of a tensor of shape {list(x.shape)}: {e}"
        ) from None
