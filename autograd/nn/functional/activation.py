"""Activation functions (mirrors the activations of ``torch.nn.functional``).

Piecewise activations whose derivative is a mask or a simple closed form are ops
(forward on arrays, backward/jvp with Tensor ops); smooth compositions (GELU, SiLU,
Mish, Softsign …) are built from existing differentiable ops.

Example:
    >>> import autograd
    >>> import autograd.nn.functional as F
    >>> F.leaky_relu(autograd.tensor([-2.0, 3.0]), 0.5).tolist()
    [-1.0, 3.0]
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from ... import backend
from ...function import Op
from ...ops import pointwise as _pw
from ...ops.binary import where
from ...tensor import Tensor, _wrap
from ._gelu import Gelu

__all__ = [
    "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "celu",
    "gelu", "silu", "mish", "softplus", "softsign", "tanh", "sigmoid", "hardtanh",
    "hardtanh_", "hardsigmoid", "hardswish", "logsigmoid", "softmax", "log_softmax",
    "softmin", "prelu", "threshold", "tanhshrink", "softshrink", "hardshrink", "glu",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _const(arr: Any) -> Tensor:
    return _wrap(arr)


def _finish(x: Tensor, fn: Any, inplace: bool) -> Tensor:
    """``fn(x)``; with ``inplace=True`` the result is written into ``x`` (differentiably,
    via copy_; ``fn`` sees a clone so the tensors it saves are not overwritten)."""
    if not inplace:
        return fn(x)
    return x.copy_(fn(x.clone() if x.requires_grad else x))


# ----------------------------------------------------------------------------- piecewise ops


class LeakyRelu(Op):
    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any, slope: float) -> Any:
        ctx.slope = slope
        return backend.xp_of(x).where(x > 0, x, x * slope).astype(x.dtype, copy=False)

    @staticmethod
    def _deriv(ctx: Any) -> Tensor:
        (x,) = ctx.saved_tensors
        xp = backend.xp_of(x._data)
        return _const(xp.where(x._data > 0, 1.0, ctx.slope).astype(x._data.dtype))

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return grad_out * LeakyRelu._deriv(ctx), None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, _: Any) -> Tensor:
        return tx * LeakyRelu._deriv(ctx)


class Hardtanh(Op):
    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any, lo: float, hi: float) -> Any:
        ctx.lo, ctx.hi = lo, hi
        return backend.xp_of(x).clip(x, lo, hi).astype(x.dtype, copy=False)

    @staticmethod
    def _deriv(ctx: Any) -> Tensor:
        (x,) = ctx.saved_tensors
        d = x._data
        return _const(((d > ctx.lo) & (d < ctx.hi)).astype(d.dtype))

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return grad_out * Hardtanh._deriv(ctx), None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return tx * Hardtanh._deriv(ctx)


class Elu(Op):
    """``scale * (x if x > 0 else alpha * (exp(x * input_scale) - 1))`` (ELU, SELU, CELU)."""

    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any, alpha: float, scale: float, input_scale: float) -> Any:
        ctx.params = (alpha, scale, input_scale)
        xp = backend.xp_of(x)
        neg = alpha * xp.expm1(xp.minimum(x, 0) * input_scale)
        return (scale * xp.where(x > 0, x, neg)).astype(x.dtype, copy=False)

    @staticmethod
    def _deriv(ctx: Any) -> Tensor:
        (x,) = ctx.saved_tensors
        alpha, scale, input_scale = ctx.params
        pos = _const(x._data > 0)
        # the exp is a Tensor op so that second derivatives flow
        neg = (x.clamp(max=0) * input_scale).exp() * (alpha * input_scale * scale)
        return where(pos, scale, neg)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return grad_out * Elu._deriv(ctx), None, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return tx * Elu._deriv(ctx)


class Softplus(Op):
    """``log(1 + exp(beta x)) / beta``, linear above ``threshold`` (as PyTorch)."""

    saved_inputs = (0,)

    @staticmethod
    def forward(ctx: Any, x: Any, beta: float, threshold: float) -> Any:
        ctx.beta, ctx.threshold = beta, threshold
        xp = backend.xp_of(x)
        bx = x * beta
        soft = (xp.log1p(xp.exp(-xp.abs(bx))) + xp.maximum(bx, 0)) / beta
        return xp.where(bx > threshold, x, soft).astype(x.dtype, copy=False)

    @staticmethod
    def _deriv(ctx: Any) -> Tensor:
        (x,) = ctx.saved_tensors
        lin = _const(x._data * ctx.beta > ctx.threshold)
        return where(lin, 1.0, _pw.sigmoid(x * ctx.beta))

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return grad_out * Softplus._deriv(ctx), None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return tx * Softplus._deriv(ctx)


# ----------------------------------------------------------------------------- functions


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(0, x).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.relu(autograd.tensor([-1.0, 2.0])).tolist()
        [0.0, 2.0]
    """
    return _pw.relu_(input) if inplace else _pw.relu(input)


def relu_(input: Tensor) -> Tensor:
    """In-place relu.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.relu_(autograd.tensor([-1.0, 2.0])).tolist()
        [0.0, 2.0]
    """
    return _pw.relu_(input)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """Clamp to [min_val, max_val]; the gradient is 1 strictly inside, 0 outside.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.hardtanh(autograd.tensor([-3.0, 0.5, 3.0])).tolist()
        [-1.0, 0.5, 1.0]
    """
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    return _finish(input, lambda t: Hardtanh.apply(t, float(min_val), float(max_val)), inplace)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place hardtanh.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.hardtanh_(autograd.tensor([-3.0, 3.0])).tolist()
        [-1.0, 1.0]
    """
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(0, x), 6).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.relu6(autograd.tensor([-1.0, 7.0])).tolist()
        [0.0, 6.0]
    """
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope · x otherwise.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.leaky_relu(autograd.tensor([-1.0, 2.0]), 0.5).tolist()
        [-0.5, 2.0]
    """
    return _finish(input, lambda t: LeakyRelu.apply(t, float(negative_slope)), inplace)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place leaky_relu.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.leaky_relu_(autograd.tensor([-1.0, 2.0]), 0.5).tolist()
        [-0.5, 2.0]
    """
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha · (exp(x) - 1) otherwise.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> round(F.elu(autograd.tensor([-1.0])).item(), 4)
        -0.6321
    """
    return _finish(input, lambda t: Elu.apply(t, float(alpha), 1.0, 1.0), inplace)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place elu.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.elu_(autograd.tensor([2.0])).tolist()
        [2.0]
    """
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale · elu(x, alpha) with the self-normalising constants.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> round(F.selu(autograd.tensor([1.0])).item(), 4)
        1.0507
    """
    return _finish(input, lambda t: Elu.apply(t, _SELU_ALPHA, _SELU_SCALE, 1.0), inplace)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha · (exp(x / alpha) - 1)).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> round(F.celu(autograd.tensor([-1.0]), alpha=2.0).item(), 4)
        -0.7869
    """
    if alpha == 0:
        raise ValueError("ZeroDivisionError in CELU: alpha cannot be 0")
    return _finish(input, lambda t: Elu.apply(t, float(alpha), 1.0, 1.0 / alpha), inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x · Φ(x) (``approximate='tanh'``: the tanh approximation), one fused op. On
    float32 CPU tensors Φ uses PyTorch's CPU erf formula (within 1.5e-7 of Φ).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> round(F.gelu(autograd.tensor([1.0])).item(), 4)
        0.8413
    """
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"gelu: approximate must be 'none' or 'tanh', got '{approximate}'")
    if not isinstance(input, Tensor):
        raise TypeError(f"gelu(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input._data.dtype.kind not in "fcV":
        raise RuntimeError(f'"GeluKernelImpl" not implemented for \'{_type_word(input)}\'')
    return Gelu.apply(input, approximate)


def _type_word(t: Tensor) -> str:
    return {"b": "Bool", "i": "Long", "u": "Byte"}.get(t._data.dtype.kind, str(t.dtype))


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x · sigmoid(x) (swish).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> round(F.silu(autograd.tensor([1.0])).item(), 4)
        0.7311
    """
    return _finish(input, lambda t: t * _pw.sigmoid(t), inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta · x)) / beta, linear where beta · x > threshold.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> round(F.softplus(autograd.tensor([0.0])).item(), 4)
        0.6931
    """
    return Softplus.apply(input, float(beta), float(threshold))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x · tanh(softplus(x)).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> round(F.mish(autograd.tensor([1.0])).item(), 4)
        0.8651
    """
    return _finish(input, lambda t: t * _pw.tanh(softplus(t)), inplace)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.softsign(autograd.tensor([1.0, -3.0])).tolist()
        [0.5, -0.75]
    """
    return input / (1.0 + _pw.abs(input))


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.tanh(autograd.tensor([0.0])).tolist()
        [0.0]
    """
    return _pw.tanh(input)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.sigmoid(autograd.tensor([0.0])).tolist()
        [0.5]
    """
    return _pw.sigmoid(input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.hardsigmoid(autograd.tensor([-4.0, 0.0, 4.0])).tolist()
        [0.0, 0.5, 1.0]
    """
    return _finish(input, lambda t: Hardtanh.apply(t + 3.0, 0.0, 6.0) / 6.0, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x · relu6(x + 3) / 6.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.hardswish(autograd.tensor([-4.0, 4.0])).tolist()
        [-0.0, 4.0]
    """
    return _finish(input, lambda t: t * Hardtanh.apply(t + 3.0, 0.0, 6.0) / 6.0, inplace)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.logsigmoid(autograd.tensor([-100.0])).tolist()
        [-100.0]
    """
    return -Softplus.apply(-input, 1.0, math.inf)


def _softmax_dim(ndim: int, name: str) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to "
        "include dim=X as an argument.", stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.softmax(autograd.tensor([0.0, 0.0]), dim=0).tolist()
        [0.5, 0.5]
    """
    from ...ops import reduce

    if dim is None:
        dim = _softmax_dim(input.ndim, "softmax")
    return reduce.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """log(softmax(x)) along ``dim``, computed stably.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> [round(v, 4) for v in F.log_softmax(autograd.tensor([0.0, 0.0]), dim=0).tolist()]
        [-0.6931, -0.6931]
    """
    from ...ops import reduce

    if dim is None:
        dim = _softmax_dim(input.ndim, "log_softmax")
    return reduce.log_softmax(input, dim, dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """softmax(-x) along ``dim``.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.softmin(autograd.tensor([1.0, 1.0]), dim=0).tolist()
        [0.5, 0.5]
    """
    if dim is None:
        dim = _softmax_dim(input.ndim, "softmin")
    return softmax(-input, dim, dtype=dtype)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, weight · x otherwise; ``weight`` has 1 or C (channel dim 1) entries.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.prelu(autograd.tensor([-2.0, 2.0]), autograd.tensor([0.25])).tolist()
        [-0.5, 2.0]
    """
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: weight must be a scalar or 1-D tensor, got shape {list(weight.shape)}")
    n = weight.numel()
    if n != 1:
        if input.ndim < 2 and not (input.ndim == 1 and input.shape[0] == n):
            raise RuntimeError(
                f"prelu: mismatch of parameter numbers and input channel size. Found parameter "
                f"numbers = {n} and channel size = {input.shape[1] if input.ndim > 1 else 1}."
            )
        channels = input.shape[1] if input.ndim >= 2 else input.shape[0]
        if channels != n:
            raise RuntimeError(
                f"prelu: mismatch of parameter numbers and input channel size. Found parameter "
                f"numbers = {n} and channel size = {channels}."
            )
        if input.ndim >= 2:
            weight = weight.reshape((n,) + (1,) * (input.ndim - 2))
    return where(_const(input._data > 0), input, weight * input)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else ``value``.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.threshold(autograd.tensor([0.5, 2.0]), 1.0, -1.0).tolist()
        [-1.0, 2.0]
    """
    return _finish(input, lambda t: where(_const(t._data > threshold), t, float(value)), inplace)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.tanhshrink(autograd.tensor([0.0])).tolist()
        [0.0]
    """
    return input - _pw.tanh(input)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd for x > lambd, x + lambd for x < -lambd, 0 otherwise.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.softshrink(autograd.tensor([-1.0, 0.2, 1.0])).tolist()
        [-0.5, 0.0, 0.5]
    """
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found to be {lambd}.")
    d = input._data
    return where(_const(d > lambd), input - lambd, where(_const(d < -lambd), input + lambd, 0.0))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.hardshrink(autograd.tensor([-1.0, 0.2])).tolist()
        [-1.0, 0.0]
    """
    d = input._data
    return where(_const((d > lambd) | (d < -lambd)), input, 0.0)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a · sigmoid(b) where a, b are the two halves of ``input`` along ``dim``.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.glu(autograd.tensor([2.0, 0.0])).tolist()
        [1.0]
    """
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim % input.ndim
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    head = (slice(None),) * d
    a = input[head + (slice(0, n // 2),)]
    b = input[head + (slice(n // 2, n),)]
    return a * _pw.sigmoid(b)
