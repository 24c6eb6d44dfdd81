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
    "clone", "unbind", "squeeze", "unsqueeze",
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
        return x.reshape(shape)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return Reshape.apply(grad_out, ctx.in_shape), None

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


def _viewable(arr: Any, shape: tuple) -> bool:
    if arr.flags.c_contiguous or arr.size == 0:
        return True
    try:
        out = arr.view()
        out.shape = shape  # numpy refuses (AttributeError/ValueError) when a copy is needed
        return True
    except (AttributeError, ValueError):
        return False


# ----------------------------------------------------------------------------- permute


class Permute(Op):
    is_view = True

    @staticmethod
    def forward(ctx: Any, x: Any, dims: tuple) -> Any:
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        inv = tuple(int(i) for i in backend.numpy.argsort(ctx.dims))
        return Permute.apply(grad_out, inv), None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, _: Any) -> Tensor:
        return Permute.apply(tx, ctx.dims)


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
    shape = tuple(int(s) for s in shape)
    if x._data.shape == shape:
        return x
    try:
        backend.numpy.broadcast_shapes(x._data.shape, shape)
    except ValueError:
        raise RuntimeError(
            f"The expanded size of the tensor must match the existing size at non-singleton "
            f"dimensions: cannot broadcast shape {list(x.shape)} to {list(shape)}"
        ) from None
    return BroadcastTo.apply(x, shape)


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


def unbind(x: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim`` (views).

    Example:
        >>> import autograd
        >>> [r.tolist() for r in autograd.eye(2).unbind()]
        [[1.0, 0.0], [0.0, 1.0]]
    """
    from .index import getitem

    nd = x._data.ndim
    if nd == 0:
        raise RuntimeError("unbind: a 0-d tensor has no dimension to unbind")
    d = norm_dim(dim, nd, "unbind")
    lead = (slice(None),) * d
    return tuple(getitem(x, lead + (i,)) for i in range(x._data.shape[d]))


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
