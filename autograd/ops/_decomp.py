"""The decompositions behind ``autograd.linalg``: det, slogdet, eigh, cholesky, svd, qr
and pinv. Each forward calls the backend's LAPACK routine on arrays; backward and jvp are
written with Tensor ops (matmul, solve, ...) so they can be differentiated again. Real
inputs; the formulas are the standard matrix-calculus results (Giles 2008; Murray 2016
for Cholesky; Townsend 2016 for the SVD).

Ops with several outputs (eigh, svd, qr, slogdet) see ``None`` for an output that got no
gradient, so e.g. eigenvalue-only losses never touch the ``1 / (λj - λi)`` terms.

Example:
    >>> import autograd
    >>> from autograd.ops._decomp import Det
    >>> Det.apply(autograd.tensor([[2.0, 1.0], [1.0, 2.0]])).item()
    3.0
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..function import Op
from ..tensor import Tensor, _wrap
from ._linalg_base import (
    Inv,
    MultiOut,
    cholesky_error,
    diag_matrix,
    diag_part,
    eye_like,
    mm,
    no_convergence,
    solve_right,
    unsq2,
)
from ._structure import Tril, Triu

__all__ = ["Det", "Slogdet", "Eigh", "Cholesky", "Svd", "Qr", "Pinv"]

_LinAlgErrors = (backend.numpy.linalg.LinAlgError,)


# ----------------------------------------------------------------------------- determinants


def _cofactor(a: Tensor, det: Tensor) -> Tensor:
    """d det(A) / dA = adj(A)^T: ``det * A^-T`` when invertible, else from the SVD
    (``det(U) det(Vh) U diag(prod_{j != i} s_j) Vh``, defined for singular A too)."""
    if bool((det._data != 0).all()):
        return unsq2(det) * Inv.apply(a).mT
    xp = backend.xp_of(a._data)
    u, s, vh = Svd.apply(a, False)
    sign = _wrap(xp.asarray(xp.linalg.det(u._data) * xp.linalg.det(vh._data)))
    eye = eye_like(s.shape[-1], s)
    m = s.unsqueeze(-2) * (1 - eye) + eye  # m[..., i, j] = s_j off the diagonal, 1 on it
    prod = m[..., 0]
    for j in range(1, s.shape[-1]):
        prod = prod * m[..., j]
    return unsq2(sign) * mm(u * prod.unsqueeze(-2), vh)


class Det(Op):
    saved_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        return backend.xp_of(a).linalg.det(a)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> Tensor:
        a, det = ctx.saved_tensors
        return unsq2(grad_out) * _cofactor(a, det)

    @staticmethod
    def jvp(ctx: Any, ta: Tensor) -> Tensor:
        a, det = ctx.saved_tensors
        return (_cofactor(a, det) * ta).sum((-2, -1))


class Slogdet(MultiOut):
    """``(sign, log|det|)``; only ``logabsdet`` carries a gradient."""

    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        sign, logabs = backend.xp_of(a).linalg.slogdet(a)
        return sign, logabs

    @staticmethod
    def backward(ctx: Any, g_sign: Tensor | None, g_log: Tensor | None) -> Any:
        if g_log is None:
            return None
        a = ctx.saved_tensors[0]
        return unsq2(g_log) * Inv.apply(a).mT

    @staticmethod
    def jvp(ctx: Any, ta: Tensor) -> tuple:
        a = ctx.saved_tensors[0]
        return None, (Inv.apply(a).mT * ta).sum((-2, -1))


# ----------------------------------------------------------------------------- eigh / cholesky


class Eigh(MultiOut):
    """Eigen-decomposition of a symmetric matrix (reads the ``uplo`` triangle)."""

    @staticmethod
    def forward(ctx: Any, a: Any, uplo: str) -> Any:
        try:
            w, v = backend.xp_of(a).linalg.eigh(a, UPLO=uplo)
        except _LinAlgErrors:
            raise no_convergence("linalg.eigh", a, "eigenvalues") from None
        return w, v

    @staticmethod
    def backward(ctx: Any, gw: Tensor | None, gv: Tensor | None) -> tuple:
        w, v = ctx.saved_tensors
        inner = None
        if gv is not None:
            # gA = V (diag(gw) + skew(V^T gV) / 2 / E) V^T with E_ij = w_j - w_i: symmetric,
            # as PyTorch returns it (the gradient with respect to a symmetric input)
            x = mm(v.mT, gv)
            gap = w.unsqueeze(-2) - w.unsqueeze(-1) + eye_like(w.shape[-1], w)
            inner = (x - x.mT) * 0.5 / gap
        if gw is not None:
            inner = diag_matrix(gw) if inner is None else inner + diag_matrix(gw)
        return mm(mm(v, inner), v.mT), None

    @staticmethod
    def jvp(ctx: Any, ta: Tensor, _: Any) -> tuple:
        w, v = ctx._fw_out
        p = mm(mm(v.mT, ta), v)
        tw = diag_part(p)
        gap = w.unsqueeze(-2) - w.unsqueeze(-1) + eye_like(w.shape[-1], w)
        return tw, mm(v, (p - diag_matrix(tw)) / gap)


def _phi(x: Tensor) -> Tensor:
    """Lower triangle with the diagonal halved."""
    return Tril.apply(x, 0) - diag_matrix(diag_part(x)) * 0.5


class Cholesky(Op):
    """Lower Cholesky factor ``L`` (``A = L L^T``) of a positive-definite matrix."""

    save_output = True

    @staticmethod
    def forward(ctx: Any, a: Any) -> Any:
        try:
            return backend.xp_of(a).linalg.cholesky(a)
        except _LinAlgErrors:
            raise cholesky_error(a) from None

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> Tensor:
        (low,) = ctx.saved_tensors
        li = Inv.apply(low)
        ga = mm(mm(li.mT, _phi(mm(low.mT, grad_out))), li)
        return (ga + ga.mT) * 0.5

    @staticmethod
    def jvp(ctx: Any, ta: Tensor) -> Tensor:
        low = ctx._fw_out
        li = Inv.apply(low)
        return mm(low, _phi(mm(mm(li, ta), li.mT)))


# ----------------------------------------------------------------------------- svd


def _svd_grad(gu: Tensor | None, gs: Tensor | None, gvh: Tensor | None, u: Tensor, s: Tensor,
              vh: Tensor) -> Tensor:
    """Reduced SVD backward (Townsend 2016), real case."""
    if gu is None and gvh is None:
        return mm(u, gs.unsqueeze(-1) * vh)
    m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
    s2 = s * s
    gap = s2.unsqueeze(-2) - s2.unsqueeze(-1) + eye_like(k, s)  # s_j^2 - s_i^2, 1 on the diagonal
    inner = None
    if gu is not None:
        j = mm(u.mT, gu)
        inner = (j - j.mT) / gap * s.unsqueeze(-2)
    if gvh is not None:
        kk = mm(vh, gvh.mT)
        term = s.unsqueeze(-1) * ((kk - kk.mT) / gap)
        inner = term if inner is None else inner + term
    if gs is not None:
        inner = inner + diag_matrix(gs)
    ga = mm(mm(u, inner), vh)
    if gu is not None and m > k:  # (I - U U^T) gU S^-1 Vh
        gus = gu / s.unsqueeze(-2)
        ga = ga + mm(gus - mm(u, mm(u.mT, gus)), vh)
    if gvh is not None and n > k:  # U S^-1 gVh (I - V V^T)
        sgv = gvh / s.unsqueeze(-1)
        ga = ga + mm(u, sgv - mm(mm(sgv, vh.mT), vh))
    return ga


def _svd_tangents(ta: Tensor, u: Tensor, s: Tensor, vh: Tensor) -> tuple:
    m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
    v = vh.mT
    dp = mm(mm(u.mT, ta), v)
    ds = diag_part(dp)
    s2 = s * s
    eye = eye_like(k, s)
    gap = s2.unsqueeze(-2) - s2.unsqueeze(-1) + eye
    off = 1 - eye
    si, sj = s.unsqueeze(-1), s.unsqueeze(-2)
    du = mm(u, (dp * sj + si * dp.mT) / gap * off)
    dv = mm(v, (si * dp + dp.mT * sj) / gap * off)
    if m > k:
        tav = mm(ta, v)
        du = du + (tav - mm(u, mm(u.mT, tav))) / sj
    if n > k:
        tau = mm(ta.mT, u)
        dv = dv + (tau - mm(v, mm(vh, tau))) / sj
    return du, ds, dv.mT


def _embed(t: Tensor, rows: int | None, cols: int | None) -> Tensor:
    """Zero-pad the last two dims to ``rows`` x ``cols`` (a matmul with a 0/1 matrix)."""
    xp = backend.xp_of(t._data)
    if cols is not None and cols != t.shape[-1]:
        t = mm(t, _wrap(xp.eye(t.shape[-1], cols, dtype=t._data.dtype)))
    if rows is not None and rows != t.shape[-2]:
        t = mm(_wrap(xp.eye(rows, t.shape[-2], dtype=t._data.dtype)), t)
    return t


class Svd(MultiOut):
    """``A = U diag(S) Vh``; gradients through the reduced factors only (with
    ``full_matrices=True`` the extra columns of U / rows of Vh are arbitrary)."""

    @staticmethod
    def forward(ctx: Any, a: Any, full: bool) -> Any:
        try:
            u, s, vh = backend.xp_of(a).linalg.svd(a, full_matrices=full)
        except _LinAlgErrors:
            raise no_convergence("linalg.svd", a, "singular values") from None
        ctx.full = full
        return u, s, vh

    @staticmethod
    def backward(ctx: Any, gu: Tensor | None, gs: Tensor | None, gvh: Tensor | None) -> tuple:
        u, s, vh = ctx.saved_tensors
        k = s.shape[-1]
        if ctx.full:
            if u.shape[-1] > k:
                gu = _narrow(gu, k, "columns of U", u.shape[-1])
                u = u[..., :k]
            if vh.shape[-2] > k:
                gvh = None if gvh is None else _narrow(gvh.mT, k, "rows of Vh", vh.shape[-2]).mT
                vh = vh[..., :k, :]
        if gu is None and gs is None and gvh is None:
            return None, None
        return _svd_grad(gu, gs, gvh, u, s, vh), None

    @staticmethod
    def jvp(ctx: Any, ta: Tensor, _: Any) -> tuple:
        u, s, vh = ctx._fw_out
        k = s.shape[-1]
        full_rows, full_cols = u.shape[-1], vh.shape[-2]
        du, ds, dvh = _svd_tangents(ta, u[..., :k], s, vh[..., :k, :])
        # with full_matrices=True the extra singular vectors get a zero tangent, as in PyTorch
        return _embed(du, None, full_rows), ds, _embed(dvh, full_cols, None)


def _narrow(g: Tensor | None, k: int, what: str, total: int) -> Tensor | None:
    if g is None:
        return None
    if bool((g._data[..., k:] != 0).any()):
        raise RuntimeError(
            f"linalg.svd: the loss depends on the last {total - k} {what} of a "
            "full_matrices=True decomposition; they are an arbitrary orthonormal basis of a "
            "complement space, so that gradient is not defined. Use "
            "linalg.svd(A, full_matrices=False) (or only the first min(m, n) singular vectors)."
        )
    return g[..., :k]


# ----------------------------------------------------------------------------- qr


def _qr_square_grad(gq: Tensor | None, gr: Tensor | None, q: Tensor, r: Tensor) -> Tensor:
    """Backward of ``A = QR`` with ``m >= n``: ``(gQ + Q N) R^-T`` where
    ``M = gR R^T - Q^T gQ`` and ``N`` is M with its upper triangle mirrored below."""
    m = None
    if gr is not None:
        m = mm(gr, r.mT)
    if gq is not None:
        t = mm(q.mT, gq)
        m = -t if m is None else m - t
    n = Triu.apply(m, 0) + Tril.apply(m.mT, -1)  # copy the upper triangle to the lower
    b = mm(q, n)
    if gq is not None:
        b = b + gq
    return solve_right(b, r.mT)


def _qr_square_tangents(ta: Tensor, q: Tensor, r: Tensor) -> tuple:
    ta_rinv = solve_right(ta, r)
    x = mm(q.mT, ta_rinv)  # Q^T dA R^-1
    low = Tril.apply(x, -1)
    dr_rinv = x - low + low.mT  # dR R^-1, upper triangular: triu(X) + tril(X, -1)^T
    return ta_rinv - mm(q, dr_rinv), mm(dr_rinv, r)


def _qr_complete_error(shape: tuple) -> RuntimeError:
    return RuntimeError(
        "The QR decomposition is not differentiable when mode='complete' and nrows > ncols. "
        f"(A has shape {list(shape)}: the extra columns of Q are arbitrary; use mode='reduced')"
    )


class Qr(MultiOut):
    @staticmethod
    def forward(ctx: Any, a: Any, mode: str) -> Any:
        q, r = backend.xp_of(a).linalg.qr(a, mode=mode)
        ctx.mode, ctx.shape = mode, a.shape
        return q, r

    @staticmethod
    def backward(ctx: Any, gq: Tensor | None, gr: Tensor | None) -> tuple:
        q, r = ctx.saved_tensors
        m, n = ctx.shape[-2:]
        if gq is None and gr is None:
            return None, None
        if ctx.mode == "complete" and m > n:
            raise _qr_complete_error(ctx.shape)
        if m >= n:
            return _qr_square_grad(gq, gr, q, r), None
        # wide A = [X | Y]: X = Q R1 (square QR), Y = Q R2
        r1, r2 = r[..., :m], r[..., m:]
        gr1 = gy = None
        if gr is not None:
            gr1, gr2 = gr[..., :m], gr[..., m:]
            gy = mm(q, gr2)
            extra = mm(mm(q, r2), gr2.mT)
            gq = extra if gq is None else gq + extra
        gx = _qr_square_grad(gq, gr1, q, r1)
        ga = _embed(gx, None, n)
        if gy is not None:
            ga = ga + mm(gy, _wrap(backend.xp_of(gy._data).eye(n - m, n, m, dtype=gy._data.dtype)))
        return ga, None

    @staticmethod
    def jvp(ctx: Any, ta: Tensor, _: Any) -> tuple:
        q, r = ctx._fw_out
        m, n = ctx.shape[-2:]
        if ctx.mode == "complete" and m > n:
            raise _qr_complete_error(ctx.shape)
        if m >= n:
            return _qr_square_tangents(ta, q, r)
        dq, dr1 = _qr_square_tangents(ta[..., :m], q, r[..., :m])
        dr2 = mm(dq.mT, mm(q, r[..., m:])) + mm(q.mT, ta[..., m:])
        xp = backend.xp_of(ta._data)
        place = _wrap(xp.eye(n - m, n, m, dtype=ta._data.dtype))
        return dq, _embed(dr1, None, n) + mm(dr2, place)


# ----------------------------------------------------------------------------- pinv


class Pinv(Op):
    """Moore-Penrose pseudo-inverse; singular values below ``max(atol, rtol * s_max)``
    count as zero. The derivative assumes the rank does not change nearby."""

    saved_inputs = (0,)
    save_output = True

    @staticmethod
    def forward(ctx: Any, a: Any, atol: float, rtol: float, hermitian: bool) -> Any:
        xp = backend.xp_of(a)
        if hermitian:
            w, v = xp.linalg.eigh(a)
            s, left, right = xp.abs(w), v, xp.swapaxes(v, -1, -2)
            vals = w
        else:
            left, s, right = xp.linalg.svd(a, full_matrices=False)
            vals = s
        smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else s[..., :1]
        tol = xp.maximum(atol, rtol * smax)
        keep = s > tol
        inv = xp.where(keep, 1 / xp.where(keep, vals, 1), 0)
        return xp.swapaxes(right, -1, -2) @ (inv[..., :, None] * xp.swapaxes(left, -1, -2))

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        a, p = ctx.saved_tensors
        g = grad_out
        t1 = -mm(mm(p.mT, g), p.mT)
        x2 = mm(g.mT, mm(p, p.mT))
        t2 = x2 - mm(a, mm(p, x2))
        x3 = mm(mm(p.mT, p), g.mT)
        t3 = x3 - mm(mm(x3, p), a)
        return t1 + t2 + t3, None, None, None

    @staticmethod
    def jvp(ctx: Any, ta: Tensor, *_: Any) -> Tensor:
        a, p = ctx.saved_tensors
        t1 = -mm(mm(p, ta), p)
        tat = ta.mT
        t2 = mm(mm(p, p.mT), tat - mm(mm(tat, a), p))
        y = mm(tat, mm(p.mT, p))
        return t1 + t2 + (y - mm(p, mm(a, y)))
