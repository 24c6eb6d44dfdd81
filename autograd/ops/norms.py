"""``norm`` as ``torch.norm``: vector p-norms (any real p, inf, -inf, 0), the
Frobenius norm and the nuclear norm (sum of singular values: ``autograd.linalg.svdvals``
when that module exists, else the differentiable reduced SVD op defined here).

Gradients follow PyTorch's subgradient choices: 0 where the norm is 0 (p >= 1) or where
an element is 0 (p < 1); inf-norm ties share the gradient evenly.

Example:
    >>> import autograd
    >>> autograd.norm(autograd.tensor([3.0, 4.0])).item()
    5.0
"""

from __future__ import annotations

import math
from typing import Any

from .. import backend
from ..function import Op, _pack, fw_state
from ..tensor import Tensor, _wrap
from .reduce import Sum, _keepdim_shape, expand_back, reduce_dims

__all__ = ["norm"]


def _where(cond: Any, x: Any, y: Any) -> Tensor:
    from .binary import where

    return where(cond, x, y)


def _sgn(x: Tensor) -> Tensor:
    return _wrap(backend.xp_of(x._data).sign(x._data))


# ----------------------------------------------------------------------------- vector norms


class VectorNorm(Op):
    saved_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any, p: float, dims: tuple, keepdim: bool) -> Any:
        ctx.p, ctx.dims, ctx.keepdim = p, dims, keepdim
        xp = backend.xp_of(x)
        a = xp.abs(x)
        kw = {"axis": dims, "keepdims": keepdim}
        if p == math.inf:
            return xp.amax(a, **kw)
        if p == -math.inf:
            return xp.amin(a, **kw)
        if p == 0:
            return (x != 0).sum(**kw).astype(x.dtype)
        if p == 1:
            return a.sum(**kw)
        if p == 2:
            return xp.sqrt((a * a).sum(**kw))
        with backend.numpy.errstate(divide="ignore", over="ignore"):
            return (a ** p).sum(**kw) ** (1.0 / p)

    @staticmethod
    def _deriv(ctx: Any) -> Tensor:
        """d norm / d x, shaped like x (written with Tensor ops: differentiable again)."""
        x, out = ctx.saved_tensors
        p = ctx.p
        xd = x._data
        xp = backend.xp_of(xd)
        nrm = expand_back(out, xd.shape, ctx.dims, ctx.keepdim)
        if p == 0:
            return _wrap(xp.zeros_like(xd))
        if p == 1:
            return _sgn(x)
        if math.isinf(p):  # like amax/amin of |x|: ties share evenly
            od = nrm._data
            mask = (xp.abs(xd) == od) | (xp.isnan(xd) & xp.isnan(od))
            w = mask.astype(xd.dtype)
            return _wrap(xp.sign(xd) * w / w.sum(axis=ctx.dims, keepdims=True))
        zero_norm = _wrap(nrm._data == 0)
        safe_norm = _where(zero_norm, 1.0, nrm)
        if p == 2:
            return _where(zero_norm, 0.0, x / safe_norm)
        zero_x = _wrap(xd == 0)
        ax = _where(zero_x, 1.0, x.abs())
        if p < 1:  # |x|^(p-1) blows up at 0: those elements get 0
            return _where(zero_x, 0.0, _sgn(x) * ax ** (p - 1) * nrm ** (1 - p))
        if p < 2:
            scaled = _where(zero_x, 0.0, _sgn(x) * ax ** (p - 1))
        else:
            scaled = x * ax ** (p - 2)
        return _where(zero_norm, 0.0, scaled / safe_norm ** (p - 1))

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        d = VectorNorm._deriv(ctx)
        return expand_back(grad_out, d._data.shape, ctx.dims, ctx.keepdim) * d, None, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return Sum.apply(tx * VectorNorm._deriv(ctx), ctx.dims, ctx.keepdim, None)


def _vector_norm(x: Tensor, p: float, dim: Any, keepdim: bool) -> Tensor:
    dims = reduce_dims(x, dim, "linalg.vector_norm")
    if math.isinf(p) and (x._data.size == 0 or any(x._data.shape[d] == 0 for d in dims)):
        raise RuntimeError(
            "linalg.vector_norm cannot compute the inf norm on an empty tensor because the "
            "operation does not have an identity"
        )
    if x._data.dtype.kind == "c":
        x = x.abs()
    return VectorNorm.apply(x, float(p), dims, keepdim)


# ----------------------------------------------------------------------------- SVD


class Svd(Op):
    """Reduced SVD ``A = U diag(S) Vh`` of (batched) real matrices. All three outputs
    are differentiable (backward and jvp after Townsend, "Differentiating the singular
    value decomposition"); assumes distinct, nonzero singular values."""

    saved_inputs = ()

    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        u, s, vh = backend.xp_of(a).linalg.svd(a, full_matrices=False)
        return u, s, vh

    @classmethod
    def apply(cls, a: Tensor) -> Any:  # type: ignore[override]
        res = super().apply(a)
        node = res[0].grad_fn
        if node is not None and node._fn is cls:
            # save all three outputs (Op saves only the first); they stay differentiable
            node._saved = [_pack(node, t, fw_state.level < 0, i) for i, t in enumerate(res)]
        return res

    @staticmethod
    def _f(s: Tensor) -> Tensor:
        """``F[i, j] = 1 / (s_j^2 - s_i^2)`` off the diagonal, 0 on it."""
        k = s._data.shape[-1]
        eye = _wrap(backend.xp_of(s._data).eye(k, dtype=bool))
        s2 = s * s
        den = s2.unsqueeze(-2) - s2.unsqueeze(-1)
        return _where(eye, 0.0, 1.0 / _where(eye, 1.0, den))

    @staticmethod
    def backward(ctx: Any, gu: Tensor, gs: Tensor, gvh: Tensor) -> Tensor:
        u, s, vh = ctx.saved_tensors
        m, n, k = u._data.shape[-2], vh._data.shape[-1], s._data.shape[-1]
        v, gv = vh.mT, gvh.mT
        f = Svd._f(s)
        utgu = u.mT @ gu
        vtgv = v.mT @ gv
        eye = _wrap(backend.xp_of(s._data).eye(k, dtype=s._data.dtype))
        inner = (f * (utgu - utgu.mT)) * s.unsqueeze(-2) + s.unsqueeze(-1) * (f * (vtgv - vtgv.mT))
        inner = inner + gs.unsqueeze(-1) * eye
        ga = u @ inner @ vh
        if m > k:
            ga = ga + ((gu - u @ utgu) / s.unsqueeze(-2)) @ vh
        if n > k:
            ga = ga + u @ ((gv - v @ vtgv) / s.unsqueeze(-2)).mT
        return ga

    @staticmethod
    def jvp(ctx: Any, ta: Tensor) -> tuple:
        u, s, vh = ctx._fw_out
        m, n, k = u._data.shape[-2], vh._data.shape[-1], s._data.shape[-1]
        v = vh.mT
        f = Svd._f(s)
        dp = u.mT @ ta @ v
        eye = _wrap(backend.xp_of(s._data).eye(k, dtype=s._data.dtype))
        ds = (dp * eye).sum(-1)
        si, sj = s.unsqueeze(-1), s.unsqueeze(-2)
        du = u @ (f * (dp * sj + si * dp.mT))
        dv = v @ (f * (si * dp + dp.mT * sj))
        if m > k:
            du = du + (ta @ v - u @ dp) / sj
        if n > k:
            dv = dv + (ta.mT @ u - v @ dp.mT) / sj
        return du, ds, dv.mT


def _own_svdvals(a: Tensor) -> Tensor:
    return Svd.apply(a)[1]


def _svdvals() -> Any:
    """``autograd.linalg.svdvals`` when that module is there, else this module's Svd."""
    try:
        from .. import linalg
    except ImportError:
        return _own_svdvals
    return getattr(linalg, "svdvals", _own_svdvals)


def _nuclear(x: Tensor, dims: tuple, keepdim: bool) -> Tensor:
    from .shape import Permute, Reshape

    nd = x._data.ndim
    rest = tuple(a for a in range(nd) if a not in dims)
    xt = Permute.apply(x, rest + dims)
    if x._data.size == 0:
        out = Sum.apply(xt, (nd - 2, nd - 1), False, None)
    else:
        out = Sum.apply(_svdvals()(xt), (nd - 2,), False, None)
    if keepdim:
        out = Reshape.apply(out, _keepdim_shape(x._data.shape, dims))
    return out


def _matrix_dims(x: Tensor, dim: Any) -> tuple:
    nd = x._data.ndim
    if nd < 2:
        raise RuntimeError(
            f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions (got "
            f"shape {list(x.shape)})."
        )
    dims = tuple(range(nd)) if dim is None else ((dim,) if isinstance(dim, int) else tuple(dim))
    if len(dims) != 2:
        raise RuntimeError(
            f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}"
        )
    from ._util import norm_dim

    d0, d1 = (norm_dim(d, nd, "linalg.matrix_norm") for d in dims)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    return d0, d1


# ----------------------------------------------------------------------------- norm


def norm(x: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         dtype: Any = None) -> Tensor:
    """``torch.norm``: ``p`` = 'fro' (the 2-norm over ``dim``), 'nuc' (nuclear norm of
    the matrices over the two dims ``dim``), or a number / inf / -inf / 0 (vector norm
    over ``dim``, all elements when None). ``dtype`` casts the input first.

    Example:
        >>> import autograd
        >>> x = autograd.tensor([[3.0, 0.0], [0.0, 4.0]])
        >>> autograd.norm(x, 1).item(), autograd.norm(x, "nuc").item()
        (7.0, 7.0)
    """
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(
            f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{x.dtype}; convert it first, e.g. x.float()"
        )
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return _vector_norm(x, 2.0, dim, keepdim)
        if p not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        dims = _matrix_dims(x, dim)
        if p == "fro":
            return _vector_norm(x, 2.0, dims, keepdim)
        if x._data.dtype.kind == "c":
            raise RuntimeError("norm(p='nuc'): complex inputs are not supported here")
        return _nuclear(x, dims, keepdim)
    return _vector_norm(x, 2.0 if p is None else float(p), dim, keepdim)

