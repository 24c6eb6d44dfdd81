"""Array-level special functions that NumPy lacks (erf, erfc), for either backend.

float64 follows W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev
approximations for the error function", Math. Comp. 1969), accurate to double
precision. Lower precisions use one rational function, evaluated in float64 and
rounded once, which is within 0.55 ulp of the true value (no branches, no masks:
a few passes over cache-sized blocks). CuPy's own ``cupyx.scipy.special`` kernels are
used on the GPU.

Example:
    >>> import numpy as np
    >>> from autograd.ops import special
    >>> special.erf(np.array([0.0, 1.0], dtype=np.float32)).tolist()
    [0.0, 0.8427007794380188]
"""

from __future__ import annotations

from typing import Any

from .. import backend

_np = backend.numpy
_f64 = backend.float64

# -- Cody's coefficients (float64)
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
_ERF_ONE = 6.0  # erf(y) rounds to 1.0 in float64 from here on

# -- single precision: erf(x) = x * N(x^2) / M(x^2) on |x| <= 3.93 (beyond it erf(x)
# rounds to +-1 in float32), fitted for this module by iteratively reweighted least
# squares to a relative error below 1.9e-9 (well under float32's 6e-8 half ulp).
_N32 = (1.128379169175287, 0.1851477325145384, 0.05425473218340865, 0.003840293961344482,
        0.00037716698352111716, 4.620041433257385e-06, -1.285788570120802e-08)
_M32 = (1.0, 0.4974163130271269, 0.11388695624530625, 0.015434839084021962,
        0.0013024089476707022, 6.250070623586208e-05)
_CLAMP32 = 3.93
_BLOCK = 32768  # elements per block: the four float64 work arrays stay in the L2 cache


def _horner(coefs: tuple, t: Any, out: Any) -> Any:
    """``sum(coefs[k] * t**k)`` into ``out`` (in place, constants as 0-d arrays)."""
    _np.multiply(t, coefs[-1], out=out)
    for c in coefs[-2:0:-1]:
        _np.add(out, c, out=out)
        _np.multiply(out, t, out=out)
    _np.add(out, coefs[0], out=out)
    return out


_N32_A = tuple(_np.asarray(c, _f64) for c in _N32)
_M32_A = tuple(_np.asarray(c, _f64) for c in _M32)


def _erf_single(x: Any) -> Any:
    """erf of a float32/float16 NumPy array, block by block in float64."""
    flat = x.reshape(-1)
    out = _np.empty(flat.shape, x.dtype)
    n = flat.size
    size = min(n, _BLOCK)
    z, t, num, den = (_np.empty(size, _f64) for _ in range(4))
    lo, hi = _np.asarray(-_CLAMP32, _f64), _np.asarray(_CLAMP32, _f64)
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        k = stop - start
        zb, tb, nb, db = z[:k], t[:k], num[:k], den[:k]
        _np.clip(flat[start:stop], lo, hi, out=zb)
        _np.multiply(zb, zb, out=tb)
        _horner(_N32_A, tb, nb)
        _horner(_M32_A, tb, db)
        _np.multiply(nb, zb, out=nb)
        _np.divide(nb, db, out=out[start:stop], casting="same_kind")
    return out.reshape(x.shape)


def _small(x: Any) -> Any:
    """erf(x) for |x| <= 0.46875."""
    ysq = x * x
    num = _A[4] * ysq
    den = ysq
    for i in range(3):
        num = (num + _A[i]) * ysq
        den = (den + _B[i]) * ysq
    return x * (num + _A[3]) / (den + _B[3])


def _mid_rational(y: Any) -> Any:
    """Cody's rational factor of erfc(y) = exp(-y*y) * R(y), 0.46875 < y <= 4 (and,
    for erf's absolute accuracy, up to 6)."""
    num = _C[8] * y
    den = y
    for i in range(7):
        num = (num + _C[i]) * y
        den = (den + _D[i]) * y
    return (num + _C[7]) / (den + _D[7])


def _scaled_exp(xp: Any, y: Any, r: Any) -> Any:
    """exp(-y*y) * r without losing digits in y*y (split y at 1/16 steps): erfc's
    relative accuracy in the far tail needs it."""
    ysq = xp.trunc(y * 16.0) / 16.0
    delta = (y - ysq) * (y + ysq)
    return xp.exp(-ysq * ysq) * xp.exp(-delta) * r


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
        ym = y[mid]
        out[mid] = _scaled_exp(xp, ym, _mid_rational(ym))
    big = (~mid) & (y < 27.3)  # erfc underflows to 0 past ~27.3
    if big.any():
        out[big] = _erfc_large(xp, y[big])
    return out


def _erf_double(x: Any) -> Any:
    """erf of a float64 NumPy array: Cody's small branch, and 1 - erfc from the middle
    branch (one exp suffices for erf's absolute accuracy) on the rest."""
    z = x.reshape(-1)
    y = _np.abs(z)
    small = y <= _THRESH
    if small.all():
        return _small(z).reshape(x.shape)
    out = _np.empty_like(z)
    if small.any():
        out[small] = _small(z[small])
        tail = ~small
        zt, yt = z[tail], y[tail]
    else:
        tail, zt, yt = slice(None), z, y
    yt = _np.minimum(yt, _ERF_ONE)  # NaN stays NaN
    r = _mid_rational(yt)
    r *= _np.exp(-(yt * yt))
    _np.subtract(1.0, r, out=r)
    out[tail] = _np.copysign(r, zt)
    return out.reshape(x.shape)


def erf(x: Any) -> Any:
    """The error function of an array (any float dtype; float64 to 1e-16 absolute,
    lower precisions within 0.55 ulp)."""
    xp = backend.xp_of(x)
    if xp is not _np:
        from cupyx.scipy import special  # type: ignore[import-not-found]

        return special.erf(x)
    if x.dtype == _f64:
        return _erf_double(x)
    if x.dtype.itemsize < 8 and x.dtype.kind == "f":
        return _erf_single(x)
    return _erf_double(x.astype(_f64)).astype(x.dtype, copy=False)


def erfc(x: Any) -> Any:
    """The complementary error function ``1 - erf(x)``, accurate in the tails (computed
    in float64)."""
    xp = backend.xp_of(x)
    if xp is not _np:
        from cupyx.scipy import special  # type: ignore[import-not-found]

        return special.erfc(x)
    z = x.astype(_f64).reshape(-1)
    y = _np.abs(z)
    small = y <= _THRESH
    tail = ~small
    out = _np.empty_like(z)
    out[small] = 1.0 - _small(z[small])
    pos = _erfc_pos(xp, y[tail])
    out[tail] = _np.where(z[tail] < 0, 2.0 - pos, pos)
    out[_np.isnan(z)] = _np.nan
    return out.reshape(x.shape).astype(x.dtype, copy=False)
