"""Movement ops: they change shape, order or layout, never values.

View ops (``is_view = True``) return arrays that share memory with their input, so
writes through a view reach the base (and the autograd graph follows, see
``function.rebase_view``).

Example:
    >>> import autograd
    >>> x = autograd.arange(6.0).reshape(2, 3)
    >>> x.T.shape, x.unsqueeze(0).shape
    ((3, 2), (1, 2, 3))
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..function import Op
from ..tensor import Tensor
from ._util import norm_dim

__all__ = [
    "reshape", "view", "permute", "transpose", "t", "expand", "broadcast_to", "sum_to",
    "clone", "squeeze", "unsqueeze",
]


def _shape_arg(shape: tuple) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _infer_shape(shape: tuple, numel: int, op: str, src: tuple) -> tuple:
    shape = tuple(shape)
    if shape.count(-1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred (-1), got {list(shape)}")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"{op}: invalid shape dimension {s} in {list(shape)}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(
                f"shape '{list(shape)}' is invalid for input of size {numel} (in {op} of a "
                f"tensor of shape {list(src)})"
            )
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(
            f"shape '{list(shape)}' is invalid for input of size {numel} (in {op} of a tensor "
            f"of shape {list(src)})"
        )
    return shape


# ----------------------------------------------------------------------------- reshape / view


class Reshape(Op):
    is_view = True  # a view when the backend can reshape without copying

    @staticmethod
    def forward(ctx: Any, x: Any, shape: tuple) -> Any:
        ctx.in_shape = x.shape
        return _reshape_array(x, shape)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return Reshape.apply(grad_out, ctx.in_shape), None

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> tuple:
        return g.reshape(ctx.in_shape), None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, _: Any) -> Tensor:
        return Reshape.apply(tx, ctx._fw_out.shape)


def reshape(x: Tensor, *shape: Any) -> Tensor:
    """Same data, new shape (a view when possible; one ``-1`` is inferred).

    Example:
        >>> import autograd
        >>> autograd.arange(6).reshape(3, -1).shape
        (3, 2)
    """
    target = _infer_shape(_shape_arg(shape), x._data.size, "reshape", x._data.shape)
    return Reshape.apply(x, target)


def _alias(x: Tensor) -> Tensor:
    return Reshape.apply(x, x._data.shape)


def view(x: Tensor, *shape: Any) -> Tensor:
    """Like ``reshape`` but always a view; non-viewable layouts are an error.

    Example:
        >>> import autograd
        >>> autograd.zeros(4).view(2, 2).shape
        (2, 2)
    """
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)):
        return _view_dtype(x, backend.dtype(shape[0]))
    target = _infer_shape(_shape_arg(shape), x._data.size, "view", x._data.shape)
    if not _viewable(x._data, target):
        raise RuntimeError(
            f"view size is not compatible with input tensor's size and stride (shape "
            f"{list(x.shape)}, stride {list(x.stride())}): at least one dimension spans across "
            "two contiguous subspaces. Use .reshape(...) instead."
        )
    return Reshape.apply(x, target)


def _view_dtype(x: Tensor, dt: Any) -> Tensor:
    from ..tensor import _wrap

    if x._rg:
        raise RuntimeError("view(dtype) is not differentiable; detach() first")
    return _wrap(x._data.view(dt), False, None, 0, x._vc)


def _try_view(arr: Any, shape: tuple) -> Any:
    """``arr`` reshaped without copying, or None when its strides do not allow it."""
    if arr.flags.c_contiguous or arr.size == 0:
        return arr.reshape(shape)
    out = arr.view()
    try:
        out.shape = shape  # the backend refuses (AttributeError/ValueError) when a copy is needed
    except (AttributeError, ValueError, TypeError):
        return None
    return out


def _viewable(arr: Any, shape: tuple) -> bool:
    return _try_view(arr, shape) is not None


def _reshape_array(arr: Any, shape: tuple) -> Any:
    """``arr.reshape(shape)``, except that a copy is a fresh array owning its memory.

    ``ndarray.reshape`` returns a *view of a temporary copy* when the strides do not
    allow a view; such a result has a ``.base`` and would be taken for a view of
    ``arr`` (sharing its version counter and write-back), so copy explicitly.
    """
    out = _try_view(arr, shape)
    if out is not None:
        return out
    out = backend.xp_of(arr).empty(shape, dtype=arr.dtype)
    out.reshape(arr.shape)[...] = arr
    return out


# ----------------------------------------------------------------------------- permute


class Permute(Op):
    is_view = True

    @staticmethod
    def forward(ctx: Any, x: Any, dims: tuple) -> Any:
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return Permute.apply(grad_out, _inverse(ctx.dims)), None

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> tuple:
        return g.transpose(_inverse(ctx.dims)), None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, _: Any) -> Tensor:
        return Permute.apply(tx, ctx.dims)


def _inverse(dims: tuple) -> tuple:
    """The permutation that undoes ``dims``."""
    inv = [0] * len(dims)
    for i, d in enumerate(dims):
        inv[d] = i
    return tuple(inv)


def permute(x: Tensor, *dims: Any) -> Tensor:
    """Reorder dimensions (a view).

    Example:
        >>> import autograd
        >>> autograd.zeros(2, 3, 4).permute(2, 0, 1).shape
        (4, 2, 3)
    """
    dims = _shape_arg(dims)
    nd = x._data.ndim
    if len(dims) != nd:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {nd} is not "
            f"equal to len(dims) = {len(dims)}"
        )
    dims = tuple(norm_dim(d, nd, "permute") for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError(f"permute: repeated dim in {list(dims)}")
    return Permute.apply(x, dims)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions (a view).

    Example:
        >>> import autograd
        >>> autograd.zeros(2, 3).transpose(0, 1).shape
        (3, 2)
    """
    nd = x._data.ndim
    if nd == 0:
        return _alias(x)
    d0, d1 = norm_dim(dim0, nd, "transpose"), norm_dim(dim1, nd, "transpose")
    dims = list(range(nd))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(x, tuple(dims))


def t(x: Tensor) -> Tensor:
    """Transpose of a tensor with at most 2 dims."""
    if x._data.ndim > 2:
        raise RuntimeError(
            f"t() expects a tensor with <= 2 dimensions, but self is {x._data.ndim}D; use "
            "transpose(dim0, dim1) or .mT"
        )
    return transpose(x, 0, 1) if x._data.ndim == 2 else _alias(x)


# ----------------------------------------------------------------------------- broadcasting


class BroadcastTo(Op):
    is_view = True

    @staticmethod
    def forward(ctx: Any, x: Any, shape: tuple) -> Any:
        ctx.in_shape = x.shape
        return backend.xp_of(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return SumTo.apply(grad_out, ctx.in_shape), None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, _: Any) -> Tensor:
        return BroadcastTo.apply(tx, ctx._fw_out.shape)


class SumTo(Op):
    """Sum a broadcast result back to the shape it was broadcast from."""

    @staticmethod
    def forward(ctx: Any, x: Any, shape: tuple) -> Any:
        ctx.in_shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1
        )
        out = x.sum(axis=axes, keepdims=True) if axes else x
        if lead:
            out = out.reshape(shape)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return BroadcastTo.apply(grad_out, ctx.in_shape), None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, _: Any) -> Tensor:
        return SumTo.apply(tx, ctx._fw_out.shape)


def sum_to(x: Tensor, shape: tuple) -> Tensor:
    """Reduce ``x`` by summation to ``shape`` (the inverse of broadcasting).

    Example:
        >>> import autograd
        >>> from autograd.ops.shape import sum_to
        >>> sum_to(autograd.ones(2, 3), (3,))
        tensor([2., 2., 2.])
    """
    shape = tuple(shape)
    if x._data.shape == shape:
        return x
    return SumTo.apply(x, shape)


def broadcast_to(x: Tensor, shape: Any) -> Tensor:
    """Broadcast to ``shape`` (a read-only view).

    Example:
        >>> import autograd
        >>> autograd.ones(3).broadcast_to((2, 3)).shape
        (2, 3)
    """
    shape = _shape_arg((shape,))
    src = x._data.shape
    if len(shape) < len(src):
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(shape)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({len(src)})"
        )
    for i in range(1, len(src) + 1):
        have, want = src[-i], shape[-i]
        if have != want and have != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({want}) must match the existing size ({have}) "
                f"at non-singleton dimension {len(shape) - i}.  Target sizes: {list(shape)}.  "
                f"Tensor sizes: {list(src)}"
            )
    for s in shape:
        if s < 0:
            raise RuntimeError(f"expand: negative size {s} in the target sizes {list(shape)}")
    if _prod(shape) == x._data.size:
        # Nothing is repeated (only size-1 dims appear): a plain, writable view.
        return Reshape.apply(x, shape)
    return BroadcastTo.apply(x, shape)


def _prod(shape: tuple) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def broadcast_shapes(*shapes: Any) -> tuple:
    """The shape that tensors of ``shapes`` broadcast to (PyTorch's error otherwise).

    Example:
        >>> import autograd
        >>> autograd.broadcast_shapes((2, 1), (3,))
        (2, 3)
    """
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    nd = max((len(s) for s in shapes), default=0)
    out = [1] * nd
    for s in shapes:
        for i in range(1, len(s) + 1):
            a, b = out[-i], s[-i]
            if a == 1:
                out[-i] = b
            elif b != 1 and a != b:
                raise RuntimeError(
                    f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                    f"non-singleton dimension {nd - i}"
                )
    return tuple(out)


def expand(x: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to ``sizes``; ``-1`` keeps a dimension (a view).

    Example:
        >>> import autograd
        >>> autograd.ones(3, 1).expand(-1, 4).shape
        (3, 4)
    """
    sizes = _shape_arg(sizes)
    nd = x._data.ndim
    if len(sizes) < nd:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({nd})"
        )
    lead = len(sizes) - nd
    target = []
    for i, s in enumerate(sizes):
        if s == -1:
            if i < lead:
                raise RuntimeError(
                    f"expand: -1 is not allowed in a leading, non-existing dimension ({i})"
                )
            s = x._data.shape[i - lead]
        target.append(s)
    return broadcast_to(x, tuple(target))


# ----------------------------------------------------------------------------- copies


class Clone(Op):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return x.copy()

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> Tensor:
        return grad_out

    @staticmethod
    def jvp(ctx: Any, tx: Tensor) -> Tensor:
        return tx


def clone(x: Tensor) -> Tensor:
    """A copy that stays in the graph (the gradient passes through unchanged).

    Example:
        >>> import autograd
        >>> autograd.ones(2).clone().tolist()
        [1.0, 1.0]
    """
    return Clone.apply(x)


# ----------------------------------------------------------------------------- squeeze


def squeeze(x: Tensor, dim: Any = None) -> Tensor:
    """Drop size-1 dims (all of them, or only ``dim``; a dim of another size is kept).

    Example:
        >>> import autograd
        >>> autograd.zeros(1, 3, 1).squeeze().shape, autograd.zeros(1, 3).squeeze(1).shape
        ((3,), (1, 3))
    """
    shape = x._data.shape
    if dim is None:
        target = tuple(s for s in shape if s != 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        nd = len(shape)
        drop = {norm_dim(d, nd, "squeeze") for d in dims} if nd else set()
        target = tuple(s for i, s in enumerate(shape) if not (i in drop and s == 1))
    return Reshape.apply(x, target)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at ``dim`` (negative counts from the end of the result).

    Example:
        >>> import autograd
        >>> autograd.zeros(3).unsqueeze(-1).shape
        (3, 1)
    """
    nd = x._data.ndim
    d = norm_dim(dim, nd + 1, "unsqueeze")
    shape = x._data.shape
    return Reshape.apply(x, shape[:d] + (1,) + shape[d:])


# ----------------------------------------------------------------------------- flatten & co


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one (a view when the strides allow).

    Example:
        >>> import autograd
        >>> autograd.zeros(2, 3, 4).flatten(1).shape, autograd.tensor(5.0).flatten().shape
        ((2, 12), (1,))
    """
    shape = x._data.shape
    nd = len(shape)
    if nd == 0:
        return Reshape.apply(x, (1,))
    s = norm_dim(start_dim, nd, "flatten")
    e = norm_dim(end_dim, nd, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return x
    return Reshape.apply(x, shape[:s] + (_prod(shape[s:e + 1]),) + shape[e + 1:])


def ravel(x: Tensor) -> Tensor:
    """The elements as a 1-D tensor (a view when possible).

    Example:
        >>> import autograd
        >>> autograd.ravel(autograd.eye(2)).tolist()
        [1.0, 0.0, 0.0, 1.0]
    """
    return Reshape.apply(x, (x._data.size,))


def unflatten(x: Tensor, dim: int, sizes: Any) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one may be -1); the inverse of ``flatten``.

    Example:
        >>> import autograd
        >>> autograd.zeros(2, 12).unflatten(1, (3, -1)).shape
        (2, 3, 4)
    """
    shape = x._data.shape
    d = norm_dim(dim, len(shape), "unflatten")
    sizes = tuple(int(v) for v in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = shape[d] if shape else 1
    if sizes.count(-1) > 1:
        raise RuntimeError(
            f"unflatten: only one dimension can be inferred (-1), got sizes {list(sizes)}"
        )
    known = _prod(tuple(v for v in sizes if v != -1))
    if -1 in sizes:
        if known == 0 or n % known:
            raise RuntimeError(
                f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim "
                f"{dim} ({n}) in the input tensor"
            )
        sizes = tuple(n // known if v == -1 else v for v in sizes)
    elif known != n:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
            f"({n}) in the input tensor"
        )
    return Reshape.apply(x, shape[:d] + sizes + shape[d + 1:])


def _dim_list(dims: Any) -> tuple:
    if isinstance(dims, (list, tuple)):
        return tuple(int(d) for d in dims)
    return (int(dims),)


def movedim(x: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dims ``source`` to positions ``destination``; the others keep their order
    (a view).

    Example:
        >>> import autograd
        >>> autograd.zeros(2, 3, 4).movedim(0, -1).shape
        (3, 4, 2)
    """
    src, dst = _dim_list(source), _dim_list(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)"
        )
    nd = x._data.ndim
    src = tuple(norm_dim(d, nd, "movedim") for d in src)
    dst = tuple(norm_dim(d, nd, "movedim") for d in dst)
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(src)})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(dst)})")
    if nd == 0:
        return _alias(x)
    order = [-1] * nd
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(i for i in range(nd) if i not in src)
    order = tuple(o if o != -1 else next(rest) for o in order)
    return Permute.apply(x, order)


moveaxis = movedim


def swapaxes(x: Tensor, axis0: int, axis1: int) -> Tensor:
    """Alias of ``transpose`` (NumPy's name).

    Example:
        >>> import autograd
        >>> autograd.swapaxes(autograd.zeros(2, 3), 0, 1).shape
        (3, 2)
    """
    return transpose(x, axis0, axis1)


swapdims = swapaxes


# Multi-tensor helpers, joining/splitting and copying movement ops live in their own
# modules; they are re-exported here, where Tensor methods and ``autograd.<name>`` look for them.
from .grid import (  # noqa: E402
    atleast_1d,
    atleast_2d,
    atleast_3d,
    broadcast_tensors,
    meshgrid,
)
from .join import (  # noqa: E402
    cat,
    chunk,
    column_stack,
    concat,
    concatenate,
    dstack,
    hstack,
    narrow,
    row_stack,
    split,
    stack,
    tensor_split,
    unbind,
    vstack,
)
from .pad import (  # noqa: E402
    flip,
    fliplr,
    flipud,
    pad,
    repeat,
    repeat_interleave,
    roll,
    tile,
)

__all__ += [
    "flatten", "ravel", "unflatten", "movedim", "moveaxis", "swapaxes", "swapdims",
    "atleast_1d", "atleast_2d", "atleast_3d", "meshgrid", "broadcast_shapes",
    "broadcast_tensors", "cat", "concat", "concatenate", "stack", "hstack", "vstack",
    "row_stack", "dstack", "column_stack", "split", "tensor_split", "chunk", "unbind",
    "narrow", "flip", "fliplr", "flipud", "roll", "repeat", "tile", "repeat_interleave",
    "pad",
]
