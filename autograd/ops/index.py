"""Indexing: ``x[key]``, ``x[key] = value`` and the index ops built on them
(index_select, index_add/copy/fill, index_put, take).

Basic keys (ints, slices, None, Ellipsis) give views; keys with tensors, lists or
boolean masks ("advanced" indexing) give copies. Both backwards scatter the gradient
back into a zero tensor of the input's shape, adding where an index repeats.
The mask ops (``masked.py``) and the gather/scatter family (``scatter.py``) are
re-exported here.

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
from ..function import Op, _Scratch, apply_inplace
from ..tensor import Tensor, _wrap
from ._util import is_number, norm_dim, to_tensor
from .shape import Reshape, broadcast_to, sum_to

__all__ = [
    "getitem", "setitem", "index_select", "index_add", "index_copy", "index_fill",
    "index_put", "index_put_", "masked_fill", "masked_fill_", "masked_select", "take",
]


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
            out.append(backend.to_device(arr, x.device))
            basic = False
        elif isinstance(k, (list, range)) or (hasattr(k, "dtype") and hasattr(k, "shape")):
            arr = k if backend.is_device_array(k) else backend.numpy.asarray(k)
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
    if basic and Ellipsis not in out:
        # x[0] of a 1-D array is a NumPy scalar (a copy); x[0, ...] is a 0-d view.
        out.append(Ellipsis)
    return tuple(out), basic


def _index(arr: Any, key: tuple) -> Any:
    """``arr[key]`` with PyTorch's wording for out-of-range indices."""
    try:
        return arr[key]
    except IndexError as e:
        if "too many indices" in str(e):
            raise IndexError(f"too many indices for tensor of dimension {arr.ndim}") from None
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
    def backward_array(ctx: Any, g: Any) -> tuple:
        return IndexPut.forward(_Scratch(), g, ctx.in_shape, ctx._key), None

    @classmethod
    def jvp(cls, ctx: Any, tx: Tensor, _: Any) -> Tensor:
        return cls.apply(tx, ctx._key)


class GetItemAdvanced(GetItem):
    """``x[key]`` with tensors, lists or masks in the key: a copy (else as ``GetItem``)."""

    is_view = False


class IndexPut(Op):
    """Scatter-add ``g`` into zeros of ``shape`` at ``key`` (the adjoint of indexing)."""

    @staticmethod
    def forward(ctx: Any, g: Any, shape: tuple, key: tuple) -> Any:
        ctx._key = key
        xp = backend.xp_of(g)
        out = xp.zeros(shape, dtype=g.dtype)
        if all(_is_basic(k) for k in key):
            out[key] = g
        else:  # repeated indices accumulate
            backend.scatter_add(out, key, g)
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
            gv = sum_to_value(cls.apply(grad_out, key), ctx.value_shape)
        return gx, None, gv

    @staticmethod
    def jvp(ctx: Any, tx: Any, _: Any, tv: Any) -> Tensor:
        out = ctx._fw_out._data
        base = tx if tx is not None else _wrap(backend.xp_of(out).zeros(out.shape, out.dtype))
        return SetItem.apply(base, ctx._key, tv if tv is not None else 0.0)


def sum_to_value(g: Tensor, shape: tuple) -> Tensor:
    """Sum the gradient of an indexed region back to the shape of the value that was
    broadcast into it (which may carry extra leading size-1 dims)."""
    extra = len(shape) - g._data.ndim
    if extra <= 0:
        return sum_to(g, shape)
    return Reshape.apply(sum_to(g, tuple(shape[extra:])), tuple(shape))


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


# ----------------------------------------------------------------------------- index tensors


def index_array(index: Any, x: Tensor, op: str, kinds: str = "iu") -> Any:
    """The raw array of an index argument (a Tensor or a list), on ``x``'s device,
    checked to be an integer tensor."""
    if not isinstance(index, Tensor):
        index = to_tensor(index)
    arr = index._data
    if arr.dtype.kind not in kinds:
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index, got {index.dtype}")
    if backend.device_of(arr) != x.device:
        arr = backend.to_device(arr, x.device)
    return arr


def check_range(idx: Any, n: int, dim: int, negative: bool = False, prefix: str = "",
                exc: type = RuntimeError) -> None:
    """PyTorch's bounds check for index ops: ``[0, n)`` (``[-n, n)`` when ``negative``)."""
    if idx.size == 0:
        return
    lo, hi = int(idx.min()), int(idx.max())
    bad = hi if hi >= n else lo if lo < (-n if negative else 0) else None
    if bad is not None:
        raise exc(f"{prefix}index {bad} is out of bounds for dimension {dim} with size {n}")


def _vector(idx: Any, op: str) -> Any:
    if idx.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector, got shape {list(idx.shape)}")
    return idx.reshape(-1)


def _dim_key(dim: int, idx: Any) -> tuple:
    return (slice(None),) * dim + (idx,)


def _scalar_value(x: Tensor, value: Any, op: str) -> Any:
    """A fill value: a number converted to x's kind, or a 0-d tensor cast to x's dtype."""
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(
                f"{op} only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s)."
            )
        return value if value._data.dtype == x._data.dtype else value.to(x.dtype)
    kind = x._data.dtype.kind
    if kind == "b":
        return bool(value)
    if kind in "iu":
        return int(value)
    return value


def _lift0d(x: Tensor) -> Tensor:
    return Reshape.apply(x, (1,)) if x._data.ndim == 0 else x


def index_select(x: Tensor, dim: int, index: Any) -> Tensor:
    """The slices ``index`` (a 1-D integer tensor) of ``x`` along ``dim`` (a copy).

    Example:
        >>> import autograd
        >>> x = autograd.arange(6).reshape(2, 3)
        >>> x.index_select(1, autograd.tensor([2, 0])).tolist()
        [[2, 0], [5, 3]]
    """
    idx = _vector(index_array(index, x, "index_select"), "index_select")
    zero_d = x._data.ndim == 0
    d = norm_dim(dim, x._data.ndim, "index_select")
    x1 = _lift0d(x)
    n = x1._data.shape[d]
    lo, hi = (int(idx.min()), int(idx.max())) if idx.size else (0, 0)
    if idx.size and (lo < 0 or hi >= n):
        bad = hi if hi >= n else lo
        raise IndexError(
            f"index out of range in self: index_select got index {bad} for dimension {d} with "
            f"size {n}"
        )
    out = GetItemAdvanced.apply(x1, _dim_key(d, idx))
    return Reshape.apply(out, ()) if zero_d and out._data.size == 1 else out


def take(x: Tensor, index: Any) -> Tensor:
    """Elements of the flattened ``x`` at ``index`` (negative counts from the end); the
    result has ``index``'s shape.

    Example:
        >>> import autograd
        >>> autograd.arange(6).reshape(2, 3).take(autograd.tensor([[0, -1]])).tolist()
        [[0, 5]]
    """
    if isinstance(index, Tensor) and index._data.dtype.kind not in "iu":
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {index.dtype}")
    idx = index_array(index, x, "take")
    n = x._data.size
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if hi >= n or lo < -n:
            raise IndexError(
                f"out of range: tried to access index {hi if hi >= n else lo} on a tensor of "
                f"{n} elements."
            )
    return GetItemAdvanced.apply(Reshape.apply(x, (n,)), (idx,))


# ----------------------------------------------------------------------------- accumulate


class IndexAccumulate(Op):
    """``out = x.clone(); out[key] += values`` (repeated indices add up)."""

    @staticmethod
    def forward(ctx: Any, x: Any, key: tuple, values: Any) -> Any:
        ctx._key, ctx.value_shape = key, values.shape
        out = x.copy()
        _add_at(out, key, values)
        return out

    @staticmethod
    def inplace(x: Any, key: tuple, values: Any) -> None:
        _add_at(x, key, values)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        nig = ctx.needs_input_grad
        gv = sum_to_value(GetItemAdvanced.apply(grad_out, ctx._key), ctx.value_shape) \
            if nig[2] else None
        return grad_out if nig[0] else None, None, gv

    @staticmethod
    def jvp(ctx: Any, tx: Any, _: Any, tv: Any) -> Tensor:
        if tv is None:
            return tx
        if tx is None:
            out = ctx._fw_out._data
            tx = _wrap(backend.xp_of(out).zeros(out.shape, out.dtype))
        return IndexAccumulate.apply(tx, ctx._key, tv)


def _add_at(out: Any, key: tuple, values: Any) -> None:
    backend.scatter_add(out, key, values)


def _check_source(x: Tensor, d: int, idx: Any, source: Tensor, op: str) -> None:
    xs, ss = x._data.shape, source._data.shape
    if len(ss) != len(xs) or any(a != b for k, (a, b) in enumerate(zip(xs, ss)) if k != d):
        raise RuntimeError(
            f"{op}(): source tensor shape must match self tensor shape, excluding the "
            f"specified dimension. Got self.shape = {list(xs)} source.shape = {list(ss)}"
        )
    if ss[d] != idx.size:
        raise RuntimeError(
            f"{op}(): Number of indices ({idx.size}) should be equal to source.size(dim): "
            f"({ss[d]}), for dim: {d}"
        )


def index_add(x: Tensor, dim: int, index: Any, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """``x`` with ``alpha * source`` added at the slices ``index`` along ``dim``
    (repeated indices accumulate).

    Example:
        >>> import autograd
        >>> x = autograd.zeros(3)
        >>> x.index_add(0, autograd.tensor([0, 2, 0]), autograd.ones(3)).tolist()
        [2.0, 0.0, 1.0]
    """
    idx = _vector(index_array(index, x, "index_add_"), "index_add_")
    if source._data.dtype != x._data.dtype:
        raise RuntimeError(
            f"index_add_(): self ({x.dtype}) and source ({source.dtype}) must have the same "
            "scalar type"
        )
    zero_d = x._data.ndim == 0
    d = norm_dim(dim, x._data.ndim, "index_add_")
    x1, s1 = _lift0d(x), _lift0d(source)
    _check_source(x1, d, idx, s1, "index_add_")
    check_range(idx, x1._data.shape[d], d)
    if alpha != 1:
        s1 = s1 * alpha
    out = IndexAccumulate.apply(x1, _dim_key(d, idx), s1)
    return Reshape.apply(out, ()) if zero_d else out


def index_copy(x: Tensor, dim: int, index: Any, source: Tensor) -> Tensor:
    """``x`` with the slices ``index`` along ``dim`` replaced by ``source``.

    Example:
        >>> import autograd
        >>> autograd.index_copy(autograd.zeros(3), 0, autograd.tensor([2]), autograd.ones(1)).tolist()
        [0.0, 0.0, 1.0]
    """
    idx = _vector(index_array(index, x, "index_copy_"), "index_copy_")
    if source._data.dtype != x._data.dtype:
        raise RuntimeError(
            "index_copy_(): self and source expected to have the same dtype, but got (self) "
            f"{x.dtype} and (source) {source.dtype}"
        )
    zero_d = x._data.ndim == 0
    d = norm_dim(dim, x._data.ndim, "index_copy_")
    x1, s1 = _lift0d(x), _lift0d(source)
    xs, ss = x1._data.shape, s1._data.shape
    if len(ss) != len(xs) or any(a != b for k, (a, b) in enumerate(zip(xs, ss)) if k != d):
        raise RuntimeError(
            "index_copy_(): Source/destination tensor must have same slice shapes. Destination "
            f"shape {list(xs)} and source shape {list(ss)} differ outside dimension {d}."
        )
    if ss[d] != idx.size:
        raise IndexError(
            f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) "
            f"({ss[d]})"
        )
    check_range(idx, xs[d], d, prefix="index_copy_(): ", exc=IndexError)
    out = SetItem.apply(x1, _dim_key(d, idx), s1)
    return Reshape.apply(out, ()) if zero_d else out


def index_fill(x: Tensor, dim: int, index: Any, value: Any) -> Tensor:
    """``x`` with the slices ``index`` along ``dim`` set to ``value`` (a number or a
    0-d tensor, differentiable).

    Example:
        >>> import autograd
        >>> autograd.index_fill(autograd.zeros(2, 2), 1, autograd.tensor([0]), 7.0).tolist()
        [[7.0, 0.0], [7.0, 0.0]]
    """
    idx = _vector(index_array(index, x, "index_fill_"), "index_fill_")
    value = _scalar_value(x, value, "index_fill_")
    zero_d = x._data.ndim == 0
    d = norm_dim(dim, x._data.ndim, "index_fill_")
    x1 = _lift0d(x)
    check_range(idx, x1._data.shape[d], d, negative=True, exc=IndexError)
    out = SetItem.apply(x1, _dim_key(d, idx), value)
    return Reshape.apply(out, ()) if zero_d else out


def _put_key(x: Tensor, indices: Any) -> tuple:
    if isinstance(indices, Tensor) or not isinstance(indices, (tuple, list)):
        indices = (indices,)
    key = tuple(slice(None) if i is None else i for i in indices)
    key, _ = normalize_key(key, x)
    return key


def _indexed_shape(x: Tensor, key: tuple) -> tuple:
    """The shape of ``x[key]`` without reading ``x`` (indexing a broadcast scalar)."""
    xp = backend.xp_of(x._data)
    return _index(xp.broadcast_to(xp.zeros((), dtype=backend.numpy.int8), x._data.shape), key).shape


def _put_values(x: Tensor, values: Any) -> Any:
    if isinstance(values, Tensor):
        if values._data.dtype != x._data.dtype:
            raise RuntimeError(
                "Index put requires the source and destination dtypes match, got "
                f"{x.dtype} for the destination and {values.dtype} for the source."
            )
        return values
    return to_tensor(values, x).to(x.dtype)


def index_put(x: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
    """``x`` with ``x[indices] = values`` (or ``+=`` with ``accumulate=True``, where
    repeated indices add up); ``indices`` is a tuple of index tensors (None = all).

    Example:
        >>> import autograd
        >>> idx = (autograd.tensor([0, 0]),)
        >>> autograd.index_put(autograd.zeros(2), idx, autograd.tensor(1.0), True).tolist()
        [2.0, 0.0]
    """
    key = _put_key(x, indices)
    values = _put_values(x, values)
    if accumulate:
        shape = _indexed_shape(x, key)
        return IndexAccumulate.apply(x, key, broadcast_to(values, shape))
    _indexed_shape(x, key)  # bounds and shape errors before any work
    return SetItem.apply(x, key, values)


def index_put_(x: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
    """In-place ``index_put``.

    Example:
        >>> import autograd
        >>> from autograd.ops.index import index_put_
        >>> x = autograd.zeros(3)
        >>> index_put_(x, (autograd.tensor([1]),), autograd.tensor(5.0)).tolist()
        [0.0, 5.0, 0.0]
    """
    key = _put_key(x, indices)
    values = _put_values(x, values)
    shape = _indexed_shape(x, key)
    if accumulate:
        return apply_inplace(IndexAccumulate, x, key, broadcast_to(values, shape))
    return apply_inplace(SetItem, x, key, values)


# The mask ops and the gather/scatter family live in their own modules; Tensor methods
# look for them here.
from .masked import masked_fill, masked_fill_, masked_select  # noqa: E402
from .scatter import (  # noqa: E402
    gather,
    scatter,
    scatter_,
    scatter_add,
    scatter_add_,
    scatter_reduce,
    scatter_reduce_,
    take_along_dim,
)

__all__ += [
    "gather", "scatter", "scatter_", "scatter_add", "scatter_add_", "scatter_reduce",
    "scatter_reduce_", "take_along_dim",
]
