"""The fused GELU op behind ``F.gelu``: ``x · Φ(x)`` (Φ the standard normal CDF), or
its tanh approximation, in one pass forward and one pass backward.

On float32 NumPy arrays Φ uses the same erf formula as PyTorch's vectorized CPU kernel
(Abramowitz & Stegun 7.1.26, absolute error below 1.5e-7), evaluated block by block
in the cache, and forward keeps the derivative ``Φ(x) + x φ(x)`` for backward, whose
``exp(-x²/2)`` the formula computes anyway; float64 (and the other dtypes and
backends) use the exact ``erf``. The Tensor-level derivative rebuilds everything with
Tensor ops, so second derivatives and forward mode are exact.

Example:
    >>> import autograd
    >>> import autograd.nn.functional as F
    >>> x = autograd.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    >>> F.gelu(x).sum().backward()
    >>> [round(v, 4) for v in x.grad.tolist()]
    [-0.0833, 0.5, 1.0852]
"""

from __future__ import annotations

import math
from typing import Any

from ... import backend
from ...function import Op
from ...ops import pointwise as _pw
from ...ops import special
from ...ops._util import scalar_operand
from ...tensor import Tensor

__all__: list[str] = []

_np = backend.numpy
_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TANH_C = math.sqrt(2.0 / math.pi)
_TANH_K = 0.044715

# erfc(z) ≈ t · P(t) · exp(-z²), t = 1 / (1 + p z), z = |x| / √2 (A&S 7.1.26); p is
# scaled by 1/√2 to take |x|, the coefficients by -1/2 to give -erfc(z)/2 directly.
_F32 = _np.dtype("float32")
_P = _np.asarray(0.3275911 * _SQRT1_2, _F32)
_COEFS = tuple(_np.asarray(-0.5 * c, _F32) for c in (
    0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429))
_ONE, _HALF, _MHALF = (_np.asarray(v, _F32) for v in (1.0, 0.5, -0.5))
_INV_SQRT_2PI_32 = _np.asarray(_INV_SQRT_2PI, _F32)
_SIGN = _np.asarray(0x80000000, _np.uint32)
_BLOCK = 65536  # float32 elements per block: the work arrays stay in the L2 cache


def _gelu_float32(x: Any, with_deriv: bool) -> tuple[Any, Any]:
    """``x · Φ(x)`` of a float32 NumPy array, and ``Φ(x) + x φ(x)`` when asked."""
    flat = _np.ascontiguousarray(x).reshape(-1)
    n = flat.size
    out = _np.empty(n, _F32)
    deriv = _np.empty(n, _F32) if with_deriv else None
    size = min(n, _BLOCK)
    t_buf, e_buf, s_buf = _np.empty(size, _F32), _np.empty(size, _F32), _np.empty(size, _np.uint32)
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        k = stop - start
        xb, yb = flat[start:stop], out[start:stop]
        t, e, s = t_buf[:k], e_buf[:k], s_buf[:k]
        _np.abs(xb, out=t)
        t *= _P
        t += _ONE
        _np.divide(_ONE, t, out=t)
        _np.multiply(xb, xb, out=e)
        e *= _MHALF
        _np.exp(e, out=e)  # exp(-x²/2) = √(2π) φ(x)
        _np.multiply(t, _COEFS[4], out=yb)
        for c in _COEFS[3::-1]:
            yb += c
            yb *= t
        yb *= e
        yb += _HALF  # |erf(x/√2)| / 2
        # Φ(x) = 1/2 + sign(x) |erf| / 2: flip the sign bit where x's is set
        _np.bitwise_and(xb.view(_np.uint32), _SIGN, out=s)
        yv = yb.view(_np.uint32)
        _np.bitwise_xor(yv, s, out=yv)
        yb += _HALF
        if deriv is not None:
            db = deriv[start:stop]
            _np.multiply(xb, e, out=db)
            db *= _INV_SQRT_2PI_32
            db += yb
        yb *= xb
    shape = x.shape
    return out.reshape(shape), None if deriv is None else deriv.reshape(shape)


def _needs_grad(ctx: Any) -> bool:
    nig = ctx.needs_input_grad
    return bool(nig) and nig[0]


class Gelu(Op):
    """``x · Φ(x)``; ``approximate='tanh'`` uses Φ(x) ≈ ½(1 + tanh(√(2/π)(x + 0.044715
    x³))). Forward keeps what the array-level backward ``g · (Φ(x) + x φ(x))`` needs:
    that derivative itself (float32), Φ(x) (exact erf) or the tanh."""

    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any, approximate: str) -> Any:
        ctx.approximate = ctx.kept = approximate  # kept: what ctx.keep holds
        xp = backend.xp_of(x)
        if approximate == "tanh":
            u = xp.multiply(x, x, out=xp.empty_like(x))
            u *= scalar_operand(_TANH_C * _TANH_K, u)
            u += scalar_operand(_TANH_C, u)
            u *= x  # √(2/π) (x + k x³)
            ctx.keep = th = xp.tanh(u, out=u)
            out = th + scalar_operand(1.0, th)
            out *= scalar_operand(0.5, out)
            out *= x
            return out
        if x.__class__ is _np.ndarray and x.dtype == _F32:
            out, ctx.keep = _gelu_float32(x, _needs_grad(ctx))
            ctx.kept = "deriv"
            return out
        cdf = special.erf(x * scalar_operand(_SQRT1_2, x))
        cdf += scalar_operand(1.0, cdf)
        cdf *= scalar_operand(0.5, cdf)
        ctx.keep = cdf
        return x * cdf

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> tuple:
        (x,) = ctx.saved_arrays
        if ctx.kept == "deriv":
            d = ctx.keep
            if d is not None and d.shape == g.shape:
                # forward's derivative becomes the gradient (a fresh large array costs
                # page faults); a second backward (retain_graph) recomputes it
                ctx.keep = None
                d *= g
                return d, None
            return g * _gelu_float32(x, True)[1], None
        xp = backend.xp_of(x)
        d = xp.multiply(x, x, out=xp.empty_like(x))
        if ctx.kept == "tanh":
            # ½(1 + th) + ½ x (1 - th²) √(2/π) (1 + 3k x²)
            th = ctx.keep
            d *= scalar_operand(3.0 * _TANH_K * _TANH_C, d)
            d += scalar_operand(_TANH_C, d)
            d *= x
            d -= d * (th * th)
            d += th
            d += scalar_operand(1.0, d)
            d *= scalar_operand(0.5, d)
        else:
            # Φ(x) + x φ(x), φ(x) = exp(-x²/2) / √(2π)
            d *= scalar_operand(-0.5, d)
            xp.exp(d, out=d)
            d *= x
            d *= scalar_operand(_INV_SQRT_2PI, d)
            d += ctx.keep
        d *= g
        return d, None

    @staticmethod
    def _deriv(ctx: Any) -> Tensor:
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            th = _pw.tanh((x + x * x * x * _TANH_K) * _TANH_C)
            slope = (x * x * (3.0 * _TANH_K) + 1.0) * _TANH_C
            return (th + 1.0) * 0.5 + x * (1.0 - th * th) * slope * 0.5
        cdf = (_pw.erf(x * _SQRT1_2) + 1.0) * 0.5
        return cdf + x * _pw.exp(x * x * -0.5) * _INV_SQRT_2PI

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return grad_out * Gelu._deriv(ctx), None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, _: Any) -> Tensor:
        return tx * Gelu._deriv(ctx)
