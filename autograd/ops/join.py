"""Joining and splitting along a dim: cat/stack (and the h/v/d/column variants) build a
new tensor; split/tensor_split/chunk/unbind/narrow return views of their input.

The two primitives are adjoints of each other: ``Split`` cuts slices (views), ``Cat``
assembles parts into a new tensor; each one's backward is the other.

Example:
    >>> import autograd
    >>> x = autograd.arange(6.0)
    >>> [p.tolist() for p in x.split([2, 4])]
    [[0.0, 1.0], [2.0, 3.0, 4.0, 5.0]]
    >>> autograd.cat(x.chunk(3)[::-1]).tolist()
    [4.0, 5.0, 2.0, 3.0, 0.0, 1.0]
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..function import Op
from ..tensor import Tensor, _wrap
from ._util import norm_dim, result_dtype
from .shape import Reshape

__all__ = [
    "cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack",
    "column_stack", "split", "tensor_split", "chunk", "unbind", "narrow",
]


def _key(dim: int, a: int, b: int, drop: bool) -> tuple:
    """The basic index of slice ``a:b`` along ``dim`` (or of the single index ``a``);
    the trailing Ellipsis keeps a 0-d result a view instead of a NumPy scalar."""
    return (slice(None),) * dim + ((a, Ellipsis) if drop else (slice(a, b),))


def _covers(bounds: tuple, n: int) -> bool:
    pos = 0
    for a, b in bounds:
        if a != pos:
            return False
        pos = b
    return pos == n


class Split(Op):
    """Slices ``bounds`` of ``x`` along ``dim`` (single indices when ``drop``): views."""

    is_view = True

    @staticmethod
    def forward(ctx: Any, x: Any, dim: int, bounds: tuple, drop: bool) -> tuple:
        ctx.in_shape, ctx.params = x.shape, (dim, bounds, drop)
        return tuple(x[_key(dim, a, b, drop)] for a, b in bounds)

    @staticmethod
    def backward(ctx: Any, *grads: Tensor) -> tuple:
        dim, bounds, drop = ctx.params
        return Cat.apply(dim, ctx.in_shape, bounds, drop, *grads), None, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> tuple:
        return Split.apply(tx, *ctx.params)


def _split_apply(x: Tensor, dim: int, bounds: tuple, drop: bool = False) -> tuple:
    return Split.apply(x, dim, tuple(bounds), drop)


class Cat(Op):
    """Assemble ``parts`` into a new tensor of ``shape``: part i fills slice
    ``bounds[i]`` along ``dim`` (the single index ``bounds[i][0]`` when ``drop``, so the
    parts are stacked); overlapping parts add up, uncovered elements are zero."""

    @staticmethod
    def forward(ctx: Any, dim: int, shape: tuple, bounds: tuple, drop: bool, *parts: Any) -> Any:
        ctx.params, ctx.part_shapes = (dim, shape, bounds, drop), tuple(p.shape for p in parts)
        xp = backend.xp_of(parts[0])
        if _covers(bounds, shape[dim]):
            return xp.stack(parts, axis=dim) if drop else xp.concatenate(parts, axis=dim)
        out = xp.zeros(shape, dtype=parts[0].dtype)
        for (a, b), p in zip(bounds, parts):
            out[_key(dim, a, b, drop)] += p
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        dim, _, bounds, drop = ctx.params
        return (None, None, None, None) + tuple(Split.apply(grad_out, dim, bounds, drop))

    @staticmethod
    def jvp(ctx: Any, *tangents: Any) -> Tensor:
        dim, shape, bounds, drop = ctx.params
        out = ctx._fw_out._data
        xp = backend.xp_of(out)
        parts = [
            t if t is not None else _wrap(xp.zeros(s, dtype=out.dtype))
            for t, s in zip(tangents[4:], ctx.part_shapes)
        ]
        return Cat.apply(dim, shape, bounds, drop, *parts)


# ----------------------------------------------------------------------------- cat / stack


def _tensor_list(tensors: Any, op: str) -> list:
    if isinstance(tensors, Tensor):
        raise TypeError(
            f"{op}(): argument 'tensors' must be a tuple or list of Tensors, not Tensor"
        )
    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{op}(): expected Tensor as element {i} in argument 'tensors', but got "
                f"{type(t).__name__}"
            )
    return tensors


def _promoted(tensors: list) -> list:
    dt = result_dtype(*tensors) if len(tensors) > 1 else tensors[0]._data.dtype
    return [t if t._data.dtype == dt else t.to(dt) for t in tensors]


def cat(tensors: Any, dim: int = 0) -> Tensor:
    """Concatenate tensors along an existing dim (dtypes promote as in PyTorch).

    Example:
        >>> import autograd
        >>> autograd.cat([autograd.zeros(2, 1), autograd.ones(2, 2)], dim=1).tolist()
        [[0.0, 1.0, 1.0], [0.0, 1.0, 1.0]]
    """
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(
                f"zero-dimensional tensor (at position {i}) cannot be concatenated; use stack() "
                "or reshape it to 1-D first"
            )
    tensors = _promoted(tensors)
    # PyTorch's legacy rule: 1-D empty tensors are skipped whatever the other shapes.
    kept = [(i, t) for i, t in enumerate(tensors) if t._data.shape != (0,)]
    if not kept:
        kept = [(0, tensors[0])]
    ref = kept[0][1]._data.shape
    d = norm_dim(dim, len(ref), "cat")
    for i, t in kept:
        shape = t._data.shape
        if len(shape) != len(ref):
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {len(ref)} and {len(shape)}"
            )
        for k, (a, b) in enumerate(zip(ref, shape)):
            if k != d and a != b:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {a} "
                    f"but got size {b} for tensor number {i} in the list."
                )
    bounds, pos = [], 0
    for _, t in kept:
        n = t._data.shape[d]
        bounds.append((pos, pos + n))
        pos += n
    shape = ref[:d] + (pos,) + ref[d + 1:]
    return Cat.apply(d, shape, tuple(bounds), False, *(t for _, t in kept))


def concat(tensors: Any, dim: int = 0) -> Tensor:
    """Alias of ``cat``.

    Example:
        >>> import autograd
        >>> autograd.concat([autograd.ones(1), autograd.zeros(1)]).tolist()
        [1.0, 0.0]
    """
    return cat(tensors, dim)


def concatenate(tensors: Any, axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Alias of ``cat`` (NumPy's name; ``axis`` or ``dim``).

    Example:
        >>> import autograd
        >>> autograd.concatenate([autograd.ones(1, 1), autograd.zeros(1, 1)], axis=1).shape
        (1, 2)
    """
    return cat(tensors, axis if dim is None else dim)


def stack(tensors: Any, dim: int = 0) -> Tensor:
    """Join equally shaped tensors along a new dim ``dim``.

    Example:
        >>> import autograd
        >>> autograd.stack([autograd.zeros(3), autograd.ones(3)], dim=1).shape
        (3, 2)
    """
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 "
                f"and {list(t.shape)} at entry {i}"
            )
    d = norm_dim(dim, len(ref) + 1, "stack")
    tensors = _promoted(tensors) if len(tensors) > 1 else tensors
    shape = ref[:d] + (len(tensors),) + ref[d:]
    bounds = tuple((i, i + 1) for i in range(len(tensors)))
    return Cat.apply(d, shape, bounds, True, *tensors)


def hstack(tensors: Any) -> Tensor:
    """Concatenate along dim 1 (along dim 0 for 1-D tensors).

    Example:
        >>> import autograd
        >>> autograd.hstack([autograd.zeros(2), autograd.ones(3)]).shape
        (5,)
    """
    from .shape import atleast_1d

    tensors = list(atleast_1d(tuple(_tensor_list(tensors, "hstack"))))
    if not tensors:
        raise RuntimeError("hstack expects a non-empty TensorList")
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors: Any) -> Tensor:
    """Concatenate along dim 0, viewing 0-D/1-D tensors as rows.

    Example:
        >>> import autograd
        >>> autograd.vstack([autograd.zeros(3), autograd.ones(3)]).shape
        (2, 3)
    """
    from .shape import atleast_2d

    tensors = list(atleast_2d(tuple(_tensor_list(tensors, "vstack"))))
    if not tensors:
        raise RuntimeError("vstack expects a non-empty TensorList")
    return cat(tensors, 0)


row_stack = vstack


def dstack(tensors: Any) -> Tensor:
    """Concatenate along dim 2 (depth), viewing smaller tensors as 3-D.

    Example:
        >>> import autograd
        >>> autograd.dstack([autograd.zeros(2, 3), autograd.ones(2, 3)]).shape
        (2, 3, 2)
    """
    from .shape import atleast_3d

    tensors = list(atleast_3d(tuple(_tensor_list(tensors, "dstack"))))
    if not tensors:
        raise RuntimeError("dstack expects a non-empty TensorList")
    return cat(tensors, 2)


def column_stack(tensors: Any) -> Tensor:
    """Stack 0-D/1-D tensors as columns (and concatenate 2-D ones) along dim 1.

    Example:
        >>> import autograd
        >>> autograd.column_stack([autograd.zeros(3), autograd.ones(3, 2)]).shape
        (3, 3)
    """
    tensors = _tensor_list(tensors, "column_stack")
    if not tensors:
        raise RuntimeError("column_stack expects a non-empty TensorList")
    cols = [Reshape.apply(t, (t._data.size, 1)) if t._data.ndim <= 1 else t for t in tensors]
    return cat(cols, 1)


# ----------------------------------------------------------------------------- split & co


def _split_dim(x: Tensor, dim: int, op: str) -> int:
    if x._data.ndim == 0:
        raise RuntimeError(f"{op} expects at least a 1-dimensional tensor")
    return norm_dim(dim, x._data.ndim, op)


def _as_int(v: Any) -> int:
    if isinstance(v, Tensor):
        return int(v.item())
    return int(v)


def split(x: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of ``x`` cut along ``dim``: chunks of ``split_size`` (the last one may be
    smaller) or of the given list of sizes (which must add up to the dim's size).

    Example:
        >>> import autograd
        >>> [p.shape for p in autograd.zeros(5, 2).split(2)]
        [(2, 2), (2, 2), (1, 2)]
    """
    d = _split_dim(x, dim, "split")
    n = x._data.shape[d]
    sections = split_size_or_sections
    if isinstance(sections, Tensor) and sections._data.ndim == 0:
        sections = int(sections.item())
    if isinstance(sections, int):
        if sections < 0:
            raise RuntimeError(
                f"split expects split_size be non-negative, but got split_size={sections}"
            )
        if sections == 0 and n != 0:
            raise RuntimeError(
                f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}"
            )
        if n == 0:
            return _split_apply(x, d, ((0, 0),))
        return _split_apply(x, d, tuple((a, min(a + sections, n)) for a in range(0, n, sections)))
    sizes = [_as_int(s) for s in sections]
    if any(s < 0 for s in sizes):
        raise RuntimeError(
            "split_with_sizes expects split_sizes have only non-negative entries, but got "
            f"split_sizes={sizes}"
        )
    if sum(sizes) != n:
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
            f"at dimension {d}), but got split_sizes={sizes}"
        )
    if not sizes:
        raise RuntimeError("split_with_sizes expects a non-empty list of sizes")
    bounds, pos = [], 0
    for s in sizes:
        bounds.append((pos, pos + s))
        pos += s
    return _split_apply(x, d, tuple(bounds))


def tensor_split(x: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of ``x`` cut along ``dim`` into ``sections`` nearly equal parts (the first
    ``n % sections`` one larger), or at the given indices (slice semantics).

    Example:
        >>> import autograd
        >>> [p.tolist() for p in autograd.tensor_split(autograd.arange(5), [1, 3])]
        [[0], [1, 2], [3, 4]]
    """
    if x._data.ndim == 0:
        raise RuntimeError(
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
        )
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        if spec._data.dtype.kind not in "iu":
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to have dtype of long, but "
                f"got {spec.dtype}"
            )
        if spec._data.ndim > 1:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                f"one-dimensional tensor, but got a tensor with {spec._data.ndim} dims"
            )
        spec = int(spec.item()) if spec._data.ndim == 0 else [int(v) for v in spec.tolist()]
    d = norm_dim(dim, x._data.ndim, "tensor_split")
    n = x._data.shape[d]
    if isinstance(spec, int):
        if spec <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {spec}")
        q, r = divmod(n, spec)
        bounds, pos = [], 0
        for i in range(spec):
            size = q + (1 if i < r else 0)
            bounds.append((pos, pos + size))
            pos += size
        return _split_apply(x, d, tuple(bounds))
    cuts = [int(v) for v in spec]
    starts, ends = [0] + cuts, cuts + [n]
    bounds = []
    for a, b in zip(starts, ends):
        lo, hi, _ = slice(a, b).indices(n)
        bounds.append((lo, max(lo, hi)))
    return _split_apply(x, d, tuple(bounds))


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most ``chunks`` views of equal size ``ceil(n / chunks)`` (the last may be
    smaller, and there may be fewer chunks than asked for).

    Example:
        >>> import autograd
        >>> [p.shape for p in autograd.zeros(6).chunk(4)]
        [(2,), (2,), (2,)]
    """
    chunks = _as_int(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _split_dim(x, dim, "chunk")
    n = x._data.shape[d]
    if n == 0:
        return _split_apply(x, d, ((0, 0),) * chunks)
    return split(x, -(-n // chunks), d)


def unbind(x: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim``, with that dim removed (views).

    Example:
        >>> import autograd
        >>> [r.tolist() for r in autograd.eye(2).unbind()]
        [[1.0, 0.0], [0.0, 1.0]]
    """
    if x._data.ndim == 0:
        raise IndexError(
            "Dimension specified as 0 but tensor has no dimensions (unbind of a 0-d tensor)"
        )
    d = norm_dim(dim, x._data.ndim, "unbind")
    n = x._data.shape[d]
    if n == 0:
        return ()
    return _split_apply(x, d, tuple((i, i + 1) for i in range(n)), True)


def narrow(x: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """The view ``x[..., start:start + length, ...]`` along ``dim`` (``start`` may be
    negative or a 0-d tensor).

    Example:
        >>> import autograd
        >>> autograd.arange(6).narrow(0, 2, 3).tolist()
        [2, 3, 4]
    """
    from .index import GetItem

    if x._data.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = norm_dim(dim, x._data.ndim, "narrow")
    n = x._data.shape[d]
    start, length = _as_int(start), _as_int(length)
    if not -n <= start <= n:
        raise IndexError(
            f"start out of range (expected to be in range of [{-n}, {n}], but got {start})"
        )
    if start < 0:
        start += n
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > n:
        raise RuntimeError(
            f"start ({start}) + length ({length}) exceeds dimension size ({n})."
        )
    return GetItem.apply(x, (slice(None),) * d + (slice(start, start + length),))
