"""Shared pieces of the ``autograd.linalg`` primitives: ``LinAlgError`` and the
PyTorch-style failure messages (which batch element, which pivot or leading minor),
Tensor-level helpers used by the backward formulas, and the simplest ops (``Solve``,
``Inv``, ``VectorNorm``). Backward and jvp are written with Tensor ops, so they can be
differentiated again.

Example:
    >>> import autograd
    >>> from autograd.ops._linalg_base import Inv
    >>> Inv.apply(2 * autograd.eye(2)).tolist()
    [[0.5, 0.0], [0.0, 0.5]]
"""

from __future__ import annotations

import math
from typing import Any

from .. import backend
from ..function import Op, _pack, fw_state
from ..tensor import Tensor, _wrap
from ._structure import Diagonal, DiagScatter
from .matmul import MatMul

__all__ = ["LinAlgError", "Solve", "Inv", "VectorNorm", "MultiOut", "singular_error"]

_LinAlgErrors = (backend.numpy.linalg.LinAlgError,)


class LinAlgError(RuntimeError):
    """A linear-algebra routine failed on its input (singular, not positive-definite, no
    convergence); ``torch.linalg.LinAlgError``."""


# ----------------------------------------------------------------------------- helpers


def mm(a: Tensor, b: Tensor) -> Tensor:
    return MatMul.apply(a, b)


def eye_like(n: int, like: Tensor) -> Tensor:
    return _wrap(backend.xp_of(like._data).eye(n, dtype=like._data.dtype))


def diag_matrix(t: Tensor) -> Tensor:
    """Batched diagonal -> matrix (``diag_embed``)."""
    n = t.shape[-1]
    return DiagScatter.apply(t, tuple(t.shape) + (n,), 0, t.ndim - 1, t.ndim)


def diag_part(t: Tensor) -> Tensor:
    return Diagonal.apply(t, 0, t.ndim - 2, t.ndim - 1)


def unsq2(t: Tensor) -> Tensor:
    return t.reshape(tuple(t.shape) + (1, 1))


def solve_right(x: Tensor, r: Tensor) -> Tensor:
    """``x @ inv(r)`` without forming the inverse."""
    return Solve.apply(r.mT, x.mT).mT


class MultiOut(Op):
    """A multi-output op that saves all its outputs (after ``saved_inputs``) and whose
    backward receives ``None`` for outputs without gradient (no zero-filling)."""

    @classmethod
    def apply(cls, *args: Any) -> Any:
        res = super().apply(*args)
        ctx = res[0].grad_fn
        if ctx is not None and ctx._fn is cls:
            # outputs are saved like ``save_output`` does for the first one: version-checked,
            # freed after backward, and attached to this node so double backward flows here
            packed = [_pack(ctx, o, fw_state.level < 0, i) for i, o in enumerate(res)]
            ctx._saved = list(ctx._saved or ()) + packed
        return res

    @classmethod
    def _run_backward(cls, ctx: Any, grads: tuple) -> tuple:
        out = cls.backward(ctx, *grads)
        return out if type(out) is tuple else (out,)


def _host(a: Any) -> Any:
    return backend.to_device(a, backend.CPU)


def _batches(a: Any) -> Any:
    a = _host(a)
    return a.reshape((-1,) + a.shape[-2:]), a.ndim > 2


def _prefix(i: int, batched: bool) -> str:
    return f"(Batch element {i}): " if batched else ""


def _first_zero_pivot(a: Any) -> int:
    """1-based index of the first zero pivot of LU with partial pivoting (0: none)."""
    np = backend.numpy
    u = np.array(a, dtype=np.result_type(a.dtype, np.float64))
    n = u.shape[0]
    for j in range(n):
        p = j + int(np.argmax(np.abs(u[j:, j])))
        if u[p, j] == 0:
            return j + 1
        u[[j, p]] = u[[p, j]]
        u[j + 1:, j:] -= np.outer(u[j + 1:, j] / u[j, j], u[j, j:])
    return 0


def _first_bad_minor(a: Any) -> int:
    """1-based order of the first leading minor that is not positive-definite (0: none)."""
    np = backend.numpy
    n = a.shape[0]
    low = np.zeros((n, n), dtype=np.float64)
    for j in range(n):
        d = a[j, j].real - low[j, :j] @ low[j, :j]
        if not d > 0:
            return j + 1
        low[j, j] = math.sqrt(d)
        low[j + 1:, j] = (a[j + 1:, j].real - low[j + 1:, :j] @ low[j, :j]) / low[j, j]
    return 0


def _first_failure(a: Any, test: Any) -> tuple[str, int]:
    """The batch prefix and ``test``'s code for the first matrix of ``a`` it flags."""
    mats, batched = _batches(a)
    for i, m in enumerate(mats):
        k = test(m)
        if k:
            return _prefix(i, batched), k
    return "", 0


def singular_error(op: str, a: Any) -> LinAlgError:
    prefix, k = _first_failure(a, _first_zero_pivot)
    if not k:
        what = "The input matrix is numerically singular."
    elif op == "linalg.inv":
        what = (f"The diagonal element {k} is zero, the inversion could not be completed "
                "because the input matrix is singular.")
    else:
        what = "The solver failed because the input matrix is singular."
    return LinAlgError(
        f"{op}: {prefix}{what} (A has shape {list(a.shape)}; linalg.pinv or "
        "linalg.lstsq handle singular matrices)"
    )


def cholesky_error(a: Any) -> LinAlgError:
    prefix, k = _first_failure(a, _first_bad_minor)
    minor = f" (the leading minor of order {k} is not positive-definite)" if k else ""
    return LinAlgError(
        f"linalg.cholesky: {prefix}The factorization could not be completed because the input "
        f"is not positive-definite{minor}. (A has shape {list(a.shape)})"
    )


def no_convergence(op: str, a: Any, what: str) -> LinAlgError:
    return LinAlgError(
        f"{op}: The algorithm failed to converge because the input matrix is ill-conditioned or "
        f"has too many repeated {what} (A has shape {list(a.shape)})."
    )


# ----------------------------------------------------------------------------- solve / inv


class Solve(Op):
    """``X = A^-1 B`` for ``A (..., n, n)`` and ``B (..., n, k)`` with equal batch dims."""

    saved_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        try:
            return backend.xp_of(a).linalg.solve(a, b)
        except _LinAlgErrors:
            raise singular_error("linalg.solve", a) from None

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        a, x = ctx.saved_tensors
        gb = Solve.apply(a.mT, grad_out)
        ga = -mm(gb, x.mT) if ctx.needs_input_grad[0] else None
        return ga, (gb if ctx.needs_input_grad[1] else None)

    @staticmethod
    def jvp(ctx: Any, ta: Tensor | None, tb: Tensor | None) -> Tensor:
        a, x = ctx.saved_tensors
        rhs = tb
        if ta is not None:
            rhs = -mm(ta, x) if rhs is None else rhs - mm(ta, x)
        return Solve.apply(a, rhs)


class Inv(Op):
    save_output = True

    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        try:
            return backend.xp_of(a).linalg.inv(a)
        except _LinAlgErrors:
            raise singular_error("linalg.inv", a) from None

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> Tensor:
        (ai,) = ctx.saved_tensors
        t = ai.mT
        return -mm(mm(t, grad_out), t)

    @staticmethod
    def jvp(ctx: Any, ta: Tensor) -> Tensor:
        ai = ctx._fw_out
        return -mm(mm(ai, ta), ai)


# ----------------------------------------------------------------------------- vector norm


class VectorNorm(Op):
    """``(sum |x|^p)^(1/p)`` over ``dims`` (``p`` in {inf, -inf, 0} as limits), for
    ``linalg.vector_norm`` and ``autograd.norm``.

    Gradients follow PyTorch's subgradient choices: 0 where the norm is 0 (p >= 1) or
    where an element is 0 (p < 1); inf-norm ties (NaNs included) share the gradient
    evenly. The p = 0 count has no gradient (``None``, as ``linalg.vector_norm``), or a
    zero one with ``zero_count_grad`` (as ``autograd.norm`` has always given)."""

    saved_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any, p: float, dims: tuple, keepdim: bool,
                zero_count_grad: bool = False) -> Any:
        ctx.p, ctx.dims, ctx.keepdim, ctx.zero_count_grad = p, dims, keepdim, zero_count_grad
        xp = backend.xp_of(x)
        a = xp.abs(x)
        kw = {"axis": dims, "keepdims": keepdim}
        if p == math.inf:
            return xp.amax(a, **kw)
        if p == -math.inf:
            return xp.amin(a, **kw)
        if p == 0:
            return (a != 0).sum(**kw).astype(a.dtype)
        if p == 1:
            return a.sum(**kw)
        if p == 2:
            return xp.sqrt((a * a).sum(**kw))
        with backend.numpy.errstate(divide="ignore", over="ignore"):
            return (a ** p).sum(**kw) ** (1.0 / p)

    @staticmethod
    def _deriv(ctx: Any) -> Tensor | None:
        """d norm / d x, shaped like x (written with Tensor ops: differentiable again);
        ``None`` for a p = 0 count without ``zero_count_grad``."""
        from .binary import where
        from .reduce import expand_back

        x, out = ctx.saved_tensors
        p = ctx.p
        xd = x._data
        xp = backend.xp_of(xd)
        nrm = expand_back(out, xd.shape, ctx.dims, ctx.keepdim)
        if p == 0:
            return _wrap(xp.zeros_like(xd)) if ctx.zero_count_grad else None
        sgn = _wrap(xp.sign(xd))
        if p == 1:
            return sgn
        if math.isinf(p):  # like amax/amin of |x|: ties share evenly
            od = nrm._data
            mask = (xp.abs(xd) == od) | (xp.isnan(xd) & xp.isnan(od))
            w = mask.astype(xd.dtype)
            return _wrap(xp.sign(xd) * w / w.sum(axis=ctx.dims, keepdims=True))
        zero_norm = _wrap(nrm._data == 0)
        safe_norm = where(zero_norm, 1.0, nrm)
        if p == 2:
            return where(zero_norm, 0.0, x / safe_norm)
        zero_x = _wrap(xd == 0)
        ax = where(zero_x, 1.0, x.abs())
        if p < 1:  # |x|^(p-1) blows up at 0: those elements get 0
            return where(zero_x, 0.0, sgn * ax ** (p - 1) * nrm ** (1 - p))
        if p < 2:
            scaled = where(zero_x, 0.0, sgn * ax ** (p - 1))
        else:
            scaled = x * ax ** (p - 2)
        return where(zero_norm, 0.0, scaled / safe_norm ** (p - 1))

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        from .reduce import expand_back

        d = VectorNorm._deriv(ctx)
        if d is None:
            return None, None, None, None, None
        gx = expand_back(grad_out, d._data.shape, ctx.dims, ctx.keepdim) * d
        return gx, None, None, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor | None:
        from .reduce import Sum

        d = VectorNorm._deriv(ctx)
        return None if d is None else Sum.apply(tx * d, ctx.dims, ctx.keepdim, None)
