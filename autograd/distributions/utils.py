"""Helpers shared by the distributions (``torch.distributions.utils``).

Example:
    >>> import autograd
    >>> from autograd.distributions.utils import broadcast_all
    >>> a, b = broadcast_all(autograd.zeros(3), 1.0)
    >>> b.tolist()
    [1.0, 1.0, 1.0]
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from numbers import Number
from typing import Any

from .. import backend
from ..creation import as_tensor
from ..ops.grid import broadcast_tensors
from ..tensor import Tensor

__all__ = ["broadcast_all", "probs_to_logits", "logits_to_probs", "clamp_probs", "lazy_property",
           "euler_constant"]

euler_constant = 0.57721566490153286060  # Euler-Mascheroni


def broadcast_all(*values: Any) -> tuple[Tensor, ...]:
    """Numbers become tensors (of the first tensor argument's dtype and device, else the
    default dtype); all are broadcast to one shape."""
    if not all(isinstance(v, (Tensor, Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number or autograd.Tensor.")
    ref = next((v for v in values if isinstance(v, Tensor)), None)
    dtype = ref.dtype if ref is not None and ref.dtype.kind in "fc" else backend.get_default_dtype()
    device = ref.device if ref is not None else None
    tensors = [v if isinstance(v, Tensor) else as_tensor(v, dtype=dtype, device=device)
               for v in values]
    return tuple(broadcast_tensors(*tensors))


def _expand_probs_or_logits(dist: Any, new: Any, shape: tuple) -> None:
    """Set ``new``'s ``probs`` and/or ``logits`` (those ``dist`` holds, not the lazy other
    one) to ``dist``'s expanded to ``shape``; ``new._param`` is the one given."""
    if "probs" in dist.__dict__:
        new.probs = dist.probs.expand(*shape)
        new._param = new.probs
    if "logits" in dist.__dict__:
        new.logits = dist.logits.expand(*shape)
        new._param = new.logits


def _eps(dtype: Any) -> float:
    return float(backend.numpy.finfo(dtype).eps)


def clamp_probs(probs: Tensor) -> Tensor:
    """Probabilities kept away from exactly 0 and 1 (so their logs are finite)."""
    eps = _eps(probs.dtype)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """Log-odds of binary probabilities, or log-probabilities of categorical ones."""
    p = clamp_probs(probs)
    return (p.log() - (-p).log1p()) if is_binary else p.log()


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """Sigmoid of binary logits, softmax (last dim) of categorical ones."""
    from ..ops.softmax import softmax

    return logits.sigmoid() if is_binary else softmax(logits, -1)


class lazy_property:
    """A property computed on first access and then stored on the instance (so either
    parameterization of a distribution can be derived from the other on demand)."""

    def __init__(self, wrapped: Callable[[Any], Any]) -> None:
        self.wrapped = wrapped
        functools.update_wrapper(self, wrapped)  # type: ignore[arg-type]

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        value = self.wrapped(instance)
        instance.__dict__[self.wrapped.__name__] = value
        return value
