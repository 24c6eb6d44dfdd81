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
    """``(sum |x|^ord)^(1/ord)`` over ``dims`` (``ord`` in {inf, -inf, 0} as limits)."""

    saved_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any, ord: float, dims: tuple, keepdim: bool) -> Any:
        ctx.ord, ctx.dims, ctx.keepdim = ord, dims, keepdim
        xp = backend.xp_of(x)
        a = xp.abs(x)
        if ord == 2:
            return xp.sqrt(xp.sum(a * a, axis=dims, keepdims=keepdim))
        if ord == math.inf:
            return xp.max(a, axis=dims, keepdims=keepdim)
        if ord == -math.inf:
            return xp.min(a, axis=dims, keepdims=keepdim)
        if ord == 0:
            return xp.sum(a != 0, axis=dims, keepdims=keepdim).astype(a.dtype)
        if ord == 1:
            return xp.sum(a, axis=dims, keepdims=keepdim)
        return xp.sum(a ** ord, axis=dims, keepdims=keepdim) ** (1.0 / ord)

    @staticmethod
    def _local(ctx: Any, x: Tensor, out: Tensor) -> Tensor | None:
        """d out / d x elementwise (broadcast against ``x``), ``out`` in keepdim form."""
        from .binary import where
        from .compare import sign

        xp = backend.xp_of(x._data)
        p = ctx.ord
        if p == 0:
            return None
        sgn = sign(x)
        if p == 1:
            return sgn
        if p in (math.inf, -math.inf):
            hit = xp.abs(x._data) == out._data
            return sgn * _wrap((hit / hit.sum(axis=ctx.dims, keepdims=True)).astype(x._data.dtype))
        nonzero = _wrap((out._data != 0).astype(x._data.dtype))
        safe_out = where(out == 0, 1.0, out)
        if p == 2:
            return x / safe_out * nonzero
        safe_abs = where(x == 0, 1.0, x.abs())
        return sgn * (safe_abs / safe_out) ** (p - 1) * nonzero

    @staticmethod
    def _keep(ctx: Any, t: Tensor, in_shape: tuple) -> Tensor:
        if ctx.keepdim:
            return t
        return t.reshape(tuple(1 if i in ctx.dims else s for i, s in enumerate(in_shape)))

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        x, out = ctx.saved_tensors
        local = VectorNorm._local(ctx, x, VectorNorm._keep(ctx, out, x.shape))
        if local is None:
            return None, None, None, None
        return VectorNorm._keep(ctx, grad_out, x.shape) * local, None, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor | None:
        x = ctx.saved_tensors[0]
        local = VectorNorm._local(ctx, x, VectorNorm._keep(ctx, ctx._fw_out, x.shape))
        if local is None:
            return None
        return (local * tx).sum(ctx.dims, keepdim=ctx.keepdim)
