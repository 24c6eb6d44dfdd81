"""Gradient clipping: by global norm, by value, adaptive (percentile of past norms) and
unit-wise adaptive (AGC). Canonical here; ``autograd.nn.utils`` re-exports the
PyTorch-named functions.

Everything works in place on the gradient arrays, with one norm computation per
parameter; the common 2-norm and inf-norm need no temporary as large as a gradient.

Example:
    >>> import autograd, optim
    >>> w = autograd.zeros(2, requires_grad=True)
    >>> w.grad = autograd.tensor([3.0, 4.0])
    >>> optim.clip_grad_norm_([w], max_norm=1.0)
    tensor(5.)
    >>> [round(v, 4) for v in w.grad.tolist()]
    [0.6, 0.8]
"""

from __future__ import annotations

import math
import types
import warnings
from collections.abc import Iterable
from typing import Any

import autograd
from autograd import backend
from autograd.tensor import Tensor

from .optimizer import _bump, _real, _writeable

__all__ = [
    "clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_",
    "AdaptiveGradientClipping", "agc_", "AdaptiveGradClip",
]

TensorOrTensors = Tensor | Iterable[Tensor]


def _as_list(tensors: TensorOrTensors) -> list[Tensor]:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _norm(a: Any, p: float) -> Any:
    """The ``p``-norm of a whole array, as a 0-d array of its real dtype on its device."""
    xp = backend.xp_of(a)
    if a.size == 0:
        return xp.zeros((), dtype=a.real.dtype)
    if p == 2.0:
        flat = _real(a).reshape(-1)  # a view when contiguous
        if flat.dtype.itemsize < 4:  # half precision: accumulate in float32, as PyTorch
            flat = flat.astype(xp.float32)
            return xp.sqrt(xp.dot(flat, flat)).astype(a.real.dtype)
        return xp.sqrt(xp.dot(flat, flat))
    if p == math.inf and a.dtype.kind != "c":
        return xp.maximum(a.max(), -a.min())  # max |a| without an |a| temporary
    mag = xp.abs(a)
    if p == math.inf:
        return mag.max()
    if p == -math.inf:
        return mag.min()
    if p == 0.0:
        return xp.asarray(xp.count_nonzero(mag), dtype=mag.dtype)
    if p == 1.0:
        return mag.sum()
    return (mag ** p).sum() ** (1.0 / p)


def _total(norms: list[Any], p: float) -> Any:
    """Combine per-tensor norms (moved to the first one's device) into the total norm."""
    dev = backend.device_of(norms[0])
    xp = backend.xp_for(dev)
    stacked = xp.stack([backend.to_device(n, dev) for n in norms])
    return xp.asarray(_norm(stacked, p))


def get_total_norm(tensors: TensorOrTensors, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """The norm of the norms of ``tensors`` (as if they were concatenated), as PyTorch's
    ``torch.nn.utils.get_total_norm``.

    Example:
        >>> import autograd, optim
        >>> optim.get_total_norm([autograd.tensor([3.0]), autograd.tensor([4.0])])
        tensor(5.)
    """
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return autograd.tensor(0.0)
    total = _total([_norm(t._data, norm_type) for t in tensors], norm_type)
    if error_if_nonfinite and not bool(backend.xp_of(total).isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return autograd.as_tensor(total)


def _writable_grad(p: Tensor) -> Any:
    """``p.grad``'s array, ready for an in-place write: a read-only gradient (e.g. a
    broadcast view someone assigned) is replaced by a private copy first."""
    g = p.grad._data
    if not _writeable(g):
        g = g.copy()
        p.grad = autograd.as_tensor(g)
    return g


def _scale_grad(p: Tensor, coef: Any) -> None:
    """``p.grad *= coef`` in place."""
    g = _writable_grad(p)
    backend.xp_of(g).multiply(g, backend.to_device(coef, backend.device_of(g)), out=g)
    _bump(p.grad)


def clip_grads_with_norm_(parameters: TensorOrTensors, max_norm: float,
                          total_norm: Tensor | float, foreach: bool | None = None) -> None:
    """Scale the gradients by ``min(1, max_norm / (total_norm + 1e-6))`` (the second
    half of :func:`clip_grad_norm_`, for a norm computed elsewhere, e.g. all-reduced).

    Example:
        >>> import autograd, optim
        >>> w = autograd.zeros(2, requires_grad=True)
        >>> w.grad = autograd.tensor([3.0, 4.0])
        >>> optim.clip_grads_with_norm_([w], max_norm=2.5, total_norm=5.0)
        >>> [round(v, 4) for v in w.grad.tolist()]
        [1.5, 2.0]
    """
    params = [p for p in _as_list(parameters) if p.grad is not None]
    if not params:
        return
    max_norm = float(max_norm)
    total = total_norm._data if isinstance(total_norm, Tensor) else total_norm
    xp = backend.xp_of(total)
    total = xp.asarray(total)
    if total.dtype.kind != "f":
        total = total.astype(xp.float64)
    coef = xp.minimum(max_norm / (total + 1e-6), 1.0)
    if xp is backend.numpy and not coef < 1.0:
        return  # multiplying by exactly 1.0 changes nothing: skip a pass over memory
    for p in params:
        _scale_grad(p, coef)


def clip_grad_norm_(parameters: TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Scale all gradients together so their total ``norm_type``-norm is at most
    ``max_norm``; returns the total norm before clipping (``torch.nn.utils.clip_grad_norm_``).

    Args:
        parameters: a tensor or tensors whose ``.grad`` gets clipped.
        max_norm: the largest allowed total norm.
        norm_type: the p of the p-norm; ``float("inf")`` for the max norm.
        error_if_nonfinite: raise when the total norm is nan or inf.
        foreach: accepted for compatibility.

    Example:
        >>> import autograd, optim
        >>> w = autograd.zeros(2, requires_grad=True)
        >>> w.grad = autograd.tensor([-3.0, 1.0])
        >>> optim.clip_grad_norm_(w, 1.0, norm_type=float("inf"))
        tensor(3.)
    """
    if isinstance(parameters, types.GeneratorType):
        parameters = list(parameters)
        if not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=2)
    params = _as_list(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(params, max_norm, total, foreach)
    return total


def clip_grad_value_(parameters: TensorOrTensors, clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient element to ``[-clip_value, clip_value]`` in place.

    Example:
        >>> import autograd, optim
        >>> w = autograd.zeros(3, requires_grad=True)
        >>> w.grad = autograd.tensor([-2.0, 0.5, 3.0])
        >>> optim.clip_grad_value_([w], 1.0)
        >>> w.grad.tolist()
        [-1.0, 0.5, 1.0]
    """
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is None:
            continue
        g = p.grad._data
        xp = backend.xp_of(g)
        if g.dtype.kind == "c":
            raise TypeError(
                f"clip_grad_value_ needs real gradients, got {g.dtype}; clip complex "
                "gradients by norm with clip_grad_norm_")
        g = _writable_grad(p)
        xp.clip(g, -clip_value, clip_value, out=g)
        _bump(p.grad)


class AdaptiveGradientClipping:
    """Clip the global gradient norm at a percentile of recently seen per-parameter
    gradient norms (the seed document's clipper, done efficiently).

    Each call records the 2-norm of every parameter's gradient in a fixed-size ring
    buffer (the last ``history_size`` norms, 1000 by default); once more than 10 norms
    are known, the gradients are clipped with ``clip_grad_norm_`` semantics at the
    ``clip_percentile``-th percentile (linear interpolation) of the history. Each
    gradient's norm is computed once and reused for the total norm.

    ``ema_decay`` keeps an exponential moving average of the thresholds in
    ``threshold_ema`` (for monitoring; the clipping itself uses the percentile).

    Example:
        >>> import autograd, optim
        >>> w = autograd.zeros(1, requires_grad=True)
        >>> clipper = optim.AdaptiveGradientClipping([w], clip_percentile=50)
        >>> for g in [1.0] * 11 + [100.0]:
        ...     w.grad = autograd.tensor([g])
        ...     threshold = clipper.clip_gradients()
        >>> threshold, round(w.grad.item(), 3)
        (1.0, 1.0)
    """

    def __init__(self, parameters: Iterable[Tensor], clip_percentile: float = 95,
                 ema_decay: float = 0.99, history_size: int = 1000,
                 min_history: int = 10) -> None:
        if not 0 <= clip_percentile <= 100:
            raise ValueError(f"clip_percentile must be in [0, 100], got {clip_percentile}")
        if history_size < 1:
            raise ValueError(f"history_size must be at least 1, got {history_size}")
        self.parameters = _as_list(parameters)
        self.clip_percentile = clip_percentile
        self.ema_decay = ema_decay
        self.history_size = history_size
        self.min_history = min_history
        self.threshold_ema: float | None = None
        self._ring: Any = None  # allocated on the gradients' device at the first call
        self._pos = 0  # where the next norm goes
        self._count = 0  # how many norms the ring holds (<= history_size)

    @property
    def gradient_history(self) -> list[float]:
        """The recorded norms, oldest first (a copy)."""
        if self._ring is None:
            return []
        ring = backend.to_device(self._ring, backend.CPU)
        if self._count < self.history_size:
            return ring[:self._count].tolist()
        return ring[self._pos:].tolist() + ring[:self._pos].tolist()

    def _record(self, norms: Any) -> None:
        cap, k = self.history_size, norms.shape[0]
        if self._ring is None:
            self._ring = backend.xp_of(norms).zeros(cap, dtype="float64")
        if k >= cap:
            self._ring[:] = norms[k - cap:]
            self._pos, self._count = 0, cap
            return
        first = min(k, cap - self._pos)
        self._ring[self._pos:self._pos + first] = norms[:first]
        self._ring[:k - first] = norms[first:]
        self._pos = (self._pos + k) % cap
        self._count = min(self._count + k, cap)

    def clip_gradients(self) -> float | None:
        """Record the current gradient norms and clip (once enough history exists);
        returns the threshold used, or None when nothing was clipped."""
        params = [p for p in self.parameters if p.grad is not None]
        if not params:
            return None
        norms = [_norm(p.grad._data, 2.0) for p in params]
        dev = backend.device_of(norms[0])
        xp = backend.xp_for(dev)
        stacked = xp.stack([backend.to_device(n, dev) for n in norms])
        self._record(stacked)
        if self._count <= self.min_history:
            return None
        valid = self._ring if self._count == self.history_size else self._ring[:self._count]
        threshold = float(xp.quantile(valid, self.clip_percentile / 100.0))
        d = self.ema_decay
        self.threshold_ema = threshold if self.threshold_ema is None else (
            d * self.threshold_ema + (1 - d) * threshold)
        clip_grads_with_norm_(params, threshold, _norm(stacked, 2.0))
        return threshold

    __call__ = clip_gradients


def _unit_norms(a: Any) -> Any:
    """2-norms of the units of ``a``: its rows (dim 0, the output units of a weight in
    PyTorch's layout) for 2-D and up, the whole tensor for 0-D and 1-D. Shaped to
    broadcast against ``_real(a)``."""
    xp = backend.xp_of(a)
    r = _real(a)
    if a.ndim <= 1:
        return _norm(a, 2.0)
    rows = r.reshape(r.shape[0], -1)
    sq = xp.einsum("ij,ij->i", rows, rows)  # no temporary as large as the tensor
    return xp.sqrt(sq).reshape((r.shape[0],) + (1,) * (r.ndim - 1))


def agc_(parameters: TensorOrTensors, clipping: float = 0.01, eps: float = 1e-3) -> None:
    """Unit-wise adaptive gradient clipping (Brock et al., 2021, NFNets), in place.

    For each unit (a row of a weight; the whole tensor when 0-D or 1-D) with
    ``||g|| / max(||w||, eps) > clipping``, the gradient is rescaled to norm
    ``clipping * max(||w||, eps)``; other units are left alone.

    Example:
        >>> import autograd, optim
        >>> w = autograd.tensor([[3.0, 4.0], [0.0, 1.0]], requires_grad=True)
        >>> w.grad = autograd.tensor([[1.0, 0.0], [0.001, 0.0]])
        >>> optim.agc_([w], clipping=0.1)
        >>> [[round(v, 6) for v in row] for row in w.grad.tolist()]
        [[0.5, 0.0], [0.001, 0.0]]
    """
    clipping = float(clipping)
    for p in _as_list(parameters):
        if p.grad is None:
            continue
        xp = backend.xp_of(p._data)
        w_norm = xp.maximum(_unit_norms(p._data), eps)
        g_norm = _unit_norms(p.grad._data)
        clip = g_norm / w_norm > clipping
        if xp is backend.numpy and not clip.any():
            continue
        scale = xp.where(clip, clipping * w_norm / g_norm, 1.0).astype(w_norm.dtype)
        gr = _real(_writable_grad(p))
        xp.multiply(gr, scale, out=gr)
        _bump(p.grad)


class AdaptiveGradClip:
    """Unit-wise AGC (see :func:`agc_`) bound to a set of parameters.

    The paper leaves the final classifier layer unclipped: pass only the parameters to
    clip.

    Example:
        >>> import autograd, optim
        >>> w = autograd.ones(2, 2, requires_grad=True)
        >>> w.grad = autograd.ones(2, 2) * 10
        >>> AGC = optim.AdaptiveGradClip([w], clipping=0.1)
        >>> AGC.clip_gradients()
        >>> [round(v, 4) for v in w.grad[0].tolist()]
        [0.1, 0.1]
    """

    def __init__(self, parameters: Iterable[Tensor], clipping: float = 0.01,
                 eps: float = 1e-3) -> None:
        if clipping <= 0:
            raise ValueError(f"clipping must be positive, got {clipping}")
        self.parameters = _as_list(parameters)
        self.clipping = clipping
        self.eps = eps

    def clip_gradients(self) -> None:
        """Clip the current gradients in place."""
        agc_(self.parameters, self.clipping, self.eps)

    __call__ = clip_gradients
