"""Array-level special functions that NumPy lacks (erf, erfc), for either backend.

W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev approximations
for the error function", Math. Comp. 1969), accurate to double precision; CuPy's own
``cupyx.scipy.special`` kernels are used on the GPU.
"""

from __future__ import annotations

from typing import Any

from .. import backend

_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_SQRPI = 5.6418958354775628695e-1  # 1 / sqrt(pi)
_THRESH = 0.46875


def _small(x: Any) -> Any:
    """erf(x) for |x| <= 0.46875."""
    ysq = x * x
    num = _A[4] * ysq
    den = ysq
    for i in range(3):
        num = (num + _A[i]) * ysq
        den = (den + _B[i]) * ysq
    return x * (num + _A[3]) / (den + _B[3])


def _scaled_exp(xp: Any, y: Any, r: Any) -> Any:
    """exp(-y*y) * r without losing digits in y*y (split y at 1/16 steps)."""
    ysq = xp.trunc(y * 16.0) / 16.0
    delta = (y - ysq) * (y + ysq)
    return xp.exp(-ysq * ysq) * xp.exp(-delta) * r


def _erfc_mid(xp: Any, y: Any) -> Any:
    """erfc(y) for 0.46875 < y <= 4."""
    num = _C[8] * y
    den = y
    for i in range(7):
        num = (num + _C[i]) * y
        den = (den + _D[i]) * y
    return _scaled_exp(xp, y, (num + _C[7]) / (den + _D[7]))


def _erfc_large(xp: Any, y: Any) -> Any:
    """erfc(y) for y > 4."""
    ysq = 1.0 / (y * y)
    num = _P[5] * ysq
    den = ysq
    for i in range(4):
        num = (num + _P[i]) * ysq
        den = (den + _Q[i]) * ysq
    r = ysq * (num + _P[4]) / (den + _Q[4])
    r = (_SQRPI - r) / y
    return _scaled_exp(xp, y, r)


def _erfc_pos(xp: Any, y: Any) -> Any:
    """erfc(y) for y > 0.46875, each branch evaluated only on its own elements."""
    out = xp.zeros_like(y)
    mid = y <= 4.0
    if mid.any():
        out[mid] = _erfc_mid(xp, y[mid])
    big = (~mid) & (y < 27.3)  # erfc underflows to 0 past ~27.3
    if big.any():
        out[big] = _erfc_large(xp, y[big])
    return out


def _split(x: Any) -> tuple[Any, Any, Any, Any]:
    z = x.astype(backend.float64).reshape(-1)
    y = backend.numpy.abs(z)
    small = y <= _THRESH
    return z, y, small, ~small


def erf(x: Any) -> Any:
    """The error function of an array (float32 computed in float64)."""
    xp = backend.xp_of(x)
    if xp is not backend.numpy:
        from cupyx.scipy import special  # type: ignore[import-not-found]

        return special.erf(x)
    z, y, small, tail = _split(x)
    out = backend.numpy.empty_like(z)
    out[small] = _small(z[small])
    t = 1.0 - _erfc_pos(xp, y[tail])
    out[tail] = backend.numpy.where(z[tail] < 0, -t, t)
    out[backend.numpy.isnan(z)] = backend.numpy.nan
    return out.reshape(x.shape).astype(x.dtype, copy=False)


def erfc(x: Any) -> Any:
    """The complementary error function ``1 - erf(x)``, accurate in the tails."""
    xp = backend.xp_of(x)
    if xp is not backend.numpy:
        from cupyx.scipy import special  # type: ignore[import-not-found]

        return special.erfc(x)
    z, y, small, tail = _split(x)
    out = backend.numpy.empty_like(z)
    out[small] = 1.0 - _small(z[small])
    pos = _erfc_pos(xp, y[tail])
    out[tail] = backend.numpy.where(z[tail] < 0, 2.0 - pos, pos)
    out[backend.numpy.isnan(z)] = backend.numpy.nan
    return out.reshape(x.shape).astype(x.dtype, copy=False)
