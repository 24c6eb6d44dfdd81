"""Matrix products and matrix-structure ops: matmul, mm, bmm, mv, dot, vdot, inner,
outer, einsum, tensordot, kron, diag, diagonal, diag_embed, trace, tril, triu, the fused
``add*`` products, cross and linear.

Primitives with hand-written derivatives: ``MatMul``, ``Dot``, ``Linear`` and ``Cross``
here, ``Diagonal`` (a view), ``DiagScatter``, ``Tril``/``Triu`` in ``_structure``; the
rest is composed from them (einsum and tensordot lower to permute + reshape + one matmul
per contraction, see ``_einsum``), so every derivative is differentiable again.

Example:
    >>> import autograd
    >>> a = autograd.ones(2, 3)
    >>> (a @ a.T).tolist()
    [[3.0, 3.0], [3.0, 3.0]]
"""

from __future__ import annotations

import math
from typing import Any

from .. import backend
from ..amp import autocast_mode as _amp
from ..engine import grad_destination
from ..function import Op
from ..tensor import Tensor
from ._einsum import einsum, tensordot
from ._structure import diag, diag_embed, diagonal, trace, tril, triu
from ._util import expand_to, norm_dim, promote, result_dtype, sum_to_array
from .shape import Reshape, sum_to

__all__ = [
    "matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "einsum", "tensordot",
    "kron", "diag", "diagonal", "diag_embed", "trace", "tril", "triu", "addmm", "addmv",
    "baddbmm", "addbmm", "cross", "linear",
]



def _fmt(shape: tuple) -> str:
    return "x".join(str(s) for s in shape) if len(shape) != 1 else f"1x{shape[0]}"


# ----------------------------------------------------------------------------- matmul


class MatMul(Op):
    """Batched/broadcast matrix product of operands with at least 2 dims."""

    saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        xp = backend.xp_of(x)
        if y.ndim == 2 and x.ndim > 2 and x.flags.c_contiguous:
            # one large GEMM instead of a loop of small ones over the batch dims
            out = xp.matmul(x.reshape(math.prod(x.shape[:-1]), x.shape[-1]), y)
            return out.reshape(x.shape[:-1] + (y.shape[-1],))
        return xp.matmul(x, y)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        x, y = ctx.saved_tensors
        nig = ctx.needs_input_grad
        gx = sum_to(MatMul.apply(grad_out, y.mT), x.shape) if nig[0] else None
        gy = None
        if nig[1]:
            if y.ndim == 2 and x.ndim > 2:
                # sum over the batch inside one GEMM: (k, B*n) @ (B*n, m)
                rows = math.prod(x.shape[:-1])
                x2 = Reshape.apply(x, (rows, x.shape[-1]))
                g2 = Reshape.apply(grad_out, (rows, y.shape[-1]))
                gy = MatMul.apply(x2.mT, g2)
            else:
                gy = sum_to(MatMul.apply(x.mT, grad_out), y.shape)
        return gx, gy

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> tuple:
        """The two products on arrays; with a 2-D right operand the batch dims fold into
        the rows, so each product is one GEMM."""
        x, y = ctx.saved_arrays
        edges = ctx._edges
        xp = backend.xp_of(g)
        gx = gy = None
        if edges[0]:
            if y.ndim == 2 and g.ndim > 2:
                rows = math.prod(g.shape[:-1])
                gx = xp.matmul(g.reshape(rows, g.shape[-1]), y.T).reshape(g.shape[:-1] + (y.shape[0],))
            else:
                gx = xp.matmul(g, xp.swapaxes(y, -1, -2))
            gx = sum_to_array(gx, x.shape)
        if edges[1]:
            if y.ndim == 2 and x.ndim > 2:
                rows = math.prod(x.shape[:-1])
                gy = xp.matmul(x.reshape(rows, x.shape[-1]).T, g.reshape(rows, g.shape[-1]))
            else:
                gy = sum_to_array(xp.matmul(xp.swapaxes(x, -1, -2), g), y.shape)
        return gx, gy

    @staticmethod
    def jvp(ctx: Any, tx: Tensor | None, ty: Tensor | None) -> Tensor:
        x, y = ctx.saved_tensors
        res = MatMul.apply(tx, y) if tx is not None else None
        if ty is not None:
            b = MatMul.apply(x, ty)
            res = b if res is None else res + b
        return expand_to(res, ctx._fw_out.shape)


def _batch_shape(bx: tuple, by: tuple) -> tuple:
    """Broadcast two batch shapes, with PyTorch's message when they do not match."""
    n = max(len(bx), len(by))
    bx, by = (1,) * (n - len(bx)) + tuple(bx), (1,) * (n - len(by)) + tuple(by)
    out = []
    for i, (a, b) in enumerate(zip(bx, by)):
        if a != b and a != 1 and b != 1:
            raise RuntimeError(
                f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                f"non-singleton dimension {i}"
            )
        out.append(max(a, b) if a != 0 and b != 0 else 0)
    return tuple(out)


def matmul(x: Tensor, y: Tensor) -> Tensor:
    """Matrix product with NumPy/PyTorch semantics for 1-D and batched operands.

    Example:
        >>> import autograd
        >>> autograd.matmul(autograd.ones(4, 2, 3), autograd.ones(3)).shape
        (4, 2)
    """
    if _amp.active[0]:  # autocast: a lower-precision op
        x, y = _amp.autocast_lower(x, y)
    x, y = promote(x, y)
    xs, ys = x._data.shape, y._data.shape
    if len(xs) == 0 or len(ys) == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {len(xs)}D and "
            f"{len(ys)}D"
        )
    if len(xs) == 1 and len(ys) == 1:
        if xs[0] != ys[0]:
            raise RuntimeError(_inconsistent(xs, ys))
        return Dot.apply(x, y)
    if len(ys) == 1:
        if xs[-1] != ys[0]:
            raise RuntimeError(
                f"size mismatch, got input ({xs[-2]}), mat ({_fmt(xs[-2:])}), vec ({ys[0]})"
            )
        return MatMul.apply(x, Reshape.apply(y, (ys[0], 1))).squeeze(-1)
    if xs[-1] != ys[-2]:
        if len(xs) <= 2 and len(ys) == 2:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({_fmt(xs)} and {_fmt(ys)})"
            )
        b = math.prod(_batch_shape(xs[:-2], ys[:-2]))
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {xs[-1]}] "
            f"but got: [{b}, {ys[-2]}]. (matmul of shapes {list(xs)} and {list(ys)}: the last "
            "dim of the first operand must equal the second-to-last dim of the second)"
        )
    _batch_shape(xs[:-2], ys[:-2])
    if len(xs) == 1:
        return MatMul.apply(Reshape.apply(x, (1, xs[0])), y).squeeze(-2)
    return MatMul.apply(x, y)


def mm(x: Tensor, y: Tensor) -> Tensor:
    """Product of two matrices (no broadcasting).

    Example:
        >>> import autograd
        >>> autograd.mm(autograd.ones(2, 3), autograd.ones(3, 4)).shape
        (2, 4)
    """
    if _amp.active[0]:  # autocast: a lower-precision op
        x, y = _amp.autocast_lower(x, y)
    if x.ndim != 2:
        raise RuntimeError(f"self must be a matrix (mm got a {x.ndim}-D first operand)")
    if y.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix (mm got a {y.ndim}-D second operand)")
    if x.shape[1] != y.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_fmt(x.shape)} and {_fmt(y.shape)})"
        )
    x, y = promote(x, y)
    return MatMul.apply(x, y)


def bmm(x: Tensor, y: Tensor) -> Tensor:
    """Batched product of ``(b, n, k)`` and ``(b, k, m)`` tensors (no broadcasting).

    Example:
        >>> import autograd
        >>> autograd.bmm(autograd.ones(5, 2, 3), autograd.ones(5, 3, 4)).shape
        (5, 2, 4)
    """
    if _amp.active[0]:  # autocast: a lower-precision op
        x, y = _amp.autocast_lower(x, y)
    if x.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor (bmm got shape {list(x.shape)})")
    if y.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor (bmm got shape {list(y.shape)})")
    if y.shape[:2] != (x.shape[0], x.shape[2]):
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{x.shape[0]}, {x.shape[2]}] but got: [{y.shape[0]}, {y.shape[1]}]."
        )
    x, y = promote(x, y)
    return MatMul.apply(x, y)


def mv(x: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product.

    Example:
        >>> import autograd
        >>> autograd.mv(autograd.ones(2, 3), autograd.ones(3)).tolist()
        [3.0, 3.0]
    """
    if _amp.active[0]:  # autocast: a lower-precision op
        x, vec = _amp.autocast_lower(x, vec)
    if x.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {x.ndim}, {vec.ndim}")
    if x.shape[1] != vec.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({x.shape[0]}), mat ({_fmt(x.shape)}), vec ({vec.shape[0]})"
        )
    x, vec = promote(x, vec)
    return MatMul.apply(x, Reshape.apply(vec, (vec.shape[0], 1))).squeeze(-1)


# ----------------------------------------------------------------------------- dot family


def _inconsistent(xs: tuple, ys: tuple) -> str:
    return (
        f"inconsistent tensor size, expected tensor [{xs[0]}] and src [{ys[0]}] to have the "
        f"same number of elements, but got {xs[0]} and {ys[0]} elements respectively"
    )


class Dot(Op):
    """Inner product of two vectors (a 0-d result)."""

    saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        return backend.xp_of(x).dot(x, y)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        x, y = ctx.saved_tensors
        nig = ctx.needs_input_grad
        return (grad_out * y if nig[0] else None), (grad_out * x if nig[1] else None)

    @staticmethod
    def jvp(ctx: Any, tx: Tensor | None, ty: Tensor | None) -> Tensor:
        x, y = ctx.saved_tensors
        res = Dot.apply(tx, y) if tx is not None else None
        if ty is not None:
            b = Dot.apply(x, ty)
            res = b if res is None else res + b
        return res


class Conj(Op):
    """Complex conjugate (the identity on real tensors is skipped by callers)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return backend.xp_of(x).conj(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> Tensor:
        return Conj.apply(grad_out)

    @staticmethod
    def jvp(ctx: Any, tx: Tensor) -> Tensor:
        return Conj.apply(tx)


def conj_if_complex(x: Tensor) -> Tensor:
    return Conj.apply(x) if x._data.dtype.kind == "c" else x


def _check_vectors(x: Tensor, y: Tensor) -> None:
    if x.ndim != 1 or y.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {x.ndim}D and {y.ndim}D tensors")
    if x.shape[0] != y.shape[0]:
        raise RuntimeError(_inconsistent(x.shape, y.shape))


def dot(x: Tensor, y: Tensor) -> Tensor:
    """Inner product of two 1-D tensors.

    Example:
        >>> import autograd
        >>> autograd.dot(autograd.tensor([1.0, 2.0]), autograd.tensor([3.0, 4.0])).item()
        11.0
    """
    _check_vectors(x, y)
    x, y = promote(x, y)
    return Dot.apply(x, y)


def vdot(x: Tensor, y: Tensor) -> Tensor:
    """``sum(conj(x) * y)`` of two 1-D tensors (``dot`` for real tensors).

    Example:
        >>> import autograd
        >>> autograd.vdot(autograd.tensor([1.0, 2.0]), autograd.tensor([3.0, 4.0])).item()
        11.0
    """
    _check_vectors(x, y)
    x, y = promote(x, y)
    return Dot.apply(conj_if_complex(x), y)


def inner(x: Tensor, y: Tensor) -> Tensor:
    """Sum of products over the last dims: result shape ``x.shape[:-1] + y.shape[:-1]``.

    Example:
        >>> import autograd
        >>> autograd.inner(autograd.ones(2, 3), autograd.ones(4, 3)).shape
        (2, 4)
    """
    x, y = promote(x, y)
    if x.ndim == 0 or y.ndim == 0:
        return x * y
    if x.shape[-1] != y.shape[-1]:
        raise RuntimeError(
            f"inner() the last dimension must match on both input tensors but got shapes "
            f"{list(x.shape)} and {list(y.shape)}"
        )
    return tensordot(x, y, ([x.ndim - 1], [y.ndim - 1]))


def outer(x: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two vectors: ``out[i, j] = x[i] * vec2[j]``.

    Example:
        >>> import autograd
        >>> autograd.outer(autograd.tensor([1.0, 2.0]), autograd.tensor([1.0, 10.0])).tolist()
        [[1.0, 10.0], [2.0, 20.0]]
    """
    if x.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {x.ndim}-D")
    if vec2.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument vec2, but got {vec2.ndim}-D")
    x, vec2 = promote(x, vec2)
    return Reshape.apply(x, (x.shape[0], 1)) * vec2


ger = outer


def kron(x: Tensor, y: Tensor) -> Tensor:
    """Kronecker product (block ``i`` of the result is ``x[i] * y``) for any number of dims.

    Example:
        >>> import autograd
        >>> autograd.kron(autograd.tensor([1.0, 2.0]), autograd.tensor([1.0, 10.0])).tolist()
        [1.0, 10.0, 2.0, 20.0]
    """
    x, y = promote(x, y)
    nd = max(x.ndim, y.ndim)
    xs = (1,) * (nd - x.ndim) + tuple(x.shape)
    ys = (1,) * (nd - y.ndim) + tuple(y.shape)
    # (x0, 1, x1, 1, ...) * (1, y0, 1, y1, ...) -> (x0, y0, x1, y1, ...) -> (x0*y0, x1*y1, ...)
    xr = Reshape.apply(x, tuple(v for s in xs for v in (s, 1)))
    yr = Reshape.apply(y, tuple(v for s in ys for v in (1, s)))
    return Reshape.apply(xr * yr, tuple(a * b for a, b in zip(xs, ys)))


# ----------------------------------------------------------------------------- broadcasting checks


def _check_expand(t: Tensor, target: tuple) -> None:
    """``t`` must broadcast to ``target`` without growing it (PyTorch's expand message)."""
    src = tuple(t.shape)
    if len(src) > len(target):
        raise RuntimeError(
            f"The expanded size of the tensor must have at least as many dimensions as the "
            f"tensor: target sizes {list(target)}, tensor sizes {list(src)}"
        )
    lead = len(target) - len(src)
    for i in reversed(range(len(src))):  # PyTorch reports the last mismatching dim
        s = src[i]
        if s != 1 and s != target[lead + i]:
            raise RuntimeError(
                f"The expanded size of the tensor ({target[lead + i]}) must match the existing "
                f"size ({s}) at non-singleton dimension {lead + i}.  Target sizes: "
                f"{list(target)}.  Tensor sizes: {list(src)}"
            )


# ----------------------------------------------------------------------------- cross


class Cross(Op):
    """Cross product of 3-vectors along ``dim`` (inputs broadcast)."""

    saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any, dim: int) -> Any:
        ctx.dim = dim
        return backend.xp_of(x).cross(x, y, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        x, y = ctx.saved_tensors
        nig = ctx.needs_input_grad
        gx = sum_to(Cross.apply(y, grad_out, ctx.dim), x.shape) if nig[0] else None
        gy = sum_to(Cross.apply(grad_out, x, ctx.dim), y.shape) if nig[1] else None
        return gx, gy, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor | None, ty: Tensor | None, _: Any) -> Tensor:
        x, y = ctx.saved_tensors
        res = Cross.apply(tx, y, ctx.dim) if tx is not None else None
        if ty is not None:
            b = Cross.apply(x, ty, ctx.dim)
            res = b if res is None else res + b
        return expand_to(res, ctx._fw_out.shape)


def cross(x: Tensor, y: Tensor, dim: int | None = None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (default: the first dim of size 3).

    Example:
        >>> import autograd
        >>> autograd.cross(autograd.tensor([1.0, 0.0, 0.0]), autograd.tensor([0.0, 1.0, 0.0])).tolist()
        [0.0, 0.0, 1.0]
    """
    if x.ndim != y.ndim:
        raise RuntimeError(
            f"linalg.cross: inputs must have the same number of dimensions (got shapes "
            f"{list(x.shape)} and {list(y.shape)})."
        )
    shape = _batch_shape(x.shape, y.shape)
    if dim is None:
        sizes3 = [i for i, s in enumerate(shape) if s == 3]
        if not sizes3:
            raise RuntimeError(f"no dimension of size 3 in input (shape {list(shape)})")
        dim = sizes3[0]
    d = norm_dim(dim, len(shape), "linalg.cross")
    if x.shape[d] != 3 or y.shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {x.shape[d]} and "
            f"{y.shape[d]}"
        )
    x, y = promote(x, y)
    return Cross.apply(x, y, d)


# ----------------------------------------------------------------------------- linear


class Linear(Op):
    """``x @ weight.T + bias``: one GEMM over all leading dims, bias added in place."""

    saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx: Any, x: Any, w: Any, b: Any) -> Any:
        ctx.b_shape = None if b is None else b.shape
        xp = backend.xp_of(x)
        if x.ndim == 2:
            out = xp.matmul(x, w.T)
        else:
            rows = math.prod(x.shape[:-1])
            out = xp.matmul(x.reshape(rows, x.shape[-1]), w.T).reshape(x.shape[:-1] + (w.shape[0],))
        if b is not None:
            out += b
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        x, w = ctx.saved_tensors
        nig = ctx.needs_input_grad
        g2, x2 = grad_out, x
        if x.ndim != 2:
            rows = math.prod(x.shape[:-1])
            g2 = Reshape.apply(grad_out, (rows, w.shape[0]))
            x2 = Reshape.apply(x, (rows, w.shape[1]))
        gx = gw = gb = None
        if nig[0]:
            gx = MatMul.apply(g2, w)
            if x.ndim != 2:
                gx = Reshape.apply(gx, x.shape)
        if nig[1]:
            gw = MatMul.apply(g2.mT, x2)
        if nig[2]:
            gb = sum_to(grad_out, ctx.b_shape)
        return gx, gw, gb

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> tuple:
        """The three GEMM-shaped products on arrays, each written once: into a fresh
        array (which the engine then keeps as the parameter's ``.grad``) or into the
        parameter's bucket view under data parallelism."""
        x, w = ctx.saved_arrays
        edges = ctx._edges
        g2, x2 = g, x
        if x.ndim != 2:
            rows = math.prod(x.shape[:-1])
            g2 = g.reshape(rows, w.shape[0])
            x2 = x.reshape(rows, w.shape[1])
        gx = gw = gb = None
        if edges[0]:
            gx = g2 @ w
            if x.ndim != 2:
                gx = gx.reshape(x.shape)
        if edges[1]:
            # straight into the data-parallel bucket when the engine allows it
            dest = grad_destination(edges[1], w.shape, w.dtype)
            gw = g2.T @ x2 if dest is None else backend.xp_of(g2).matmul(g2.T, x2, out=dest)
        if edges[2]:
            dest = grad_destination(edges[2], ctx.b_shape, g.dtype) if g.ndim == 2 and len(ctx.b_shape) == 1 else None
            gb = sum_to_array(g, ctx.b_shape) if dest is None else g.sum(axis=0, out=dest)
        return gx, gw, gb

    @staticmethod
    def jvp(ctx: Any, tx: Tensor | None, tw: Tensor | None, tb: Tensor | None) -> Tensor:
        x, w = ctx.saved_tensors
        res = Linear.apply(tx, w, None) if tx is not None else None
        if tw is not None:
            r = Linear.apply(x, tw, None)
            res = r if res is None else res + r
        if tb is not None:
            res = tb if res is None else res + tb
        return expand_to(res, ctx._fw_out.shape)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weight.T + bias`` over the last dim of ``x`` (``weight``: out x in), as one
    op: a single GEMM over all leading dims with the bias added in place.

    Example:
        >>> import autograd
        >>> autograd.linear(autograd.ones(4, 3), autograd.ones(2, 3), autograd.ones(2)).shape
        (4, 2)
    """
    if _amp.active[0]:  # autocast: a lower-precision op
        x, weight, bias = _amp.autocast_lower(x, weight, bias)
    if weight.ndim == 1:  # a single output feature, dropped from the result (as PyTorch)
        out = matmul(x, weight)
        return out if bias is None else out + bias
    if weight.ndim != 2:
        raise RuntimeError(
            f"linear: weight must be a 1-D or 2-D tensor (out_features x in_features), got "
            f"shape {list(weight.shape)}"
        )
    if x.ndim == 0:
        raise RuntimeError("linear: the input must have at least 1 dimension, got a 0-d tensor")
    if x.shape[-1] != weight.shape[1]:
        rows = math.prod(x.shape[:-1])
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{x.shape[-1]} and "
            f"{weight.shape[1]}x{weight.shape[0]})"
        )
    dt = x._data.dtype
    if weight._data.dtype != dt or (bias is not None and bias._data.dtype != dt):
        dt = result_dtype(x, weight, *(() if bias is None else (bias,)))
        x, weight = x.to(dt), weight.to(dt)
        bias = None if bias is None else bias.to(dt)
    if bias is not None:
        _check_expand(bias, tuple(x.shape[:-1]) + (weight.shape[0],))
    return Linear.apply(x, weight, bias)


# The fused add* products build on mm/mv/bmm above (re-exported here).
from ._addmm import addbmm, addmm, addmv, baddbmm  # noqa: E402
