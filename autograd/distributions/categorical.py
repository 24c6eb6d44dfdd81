"""The Categorical distribution over ``{0, …, K-1}``, from ``probs`` or ``logits``
(last dim: the K categories; leading dims: the batch).

Example:
    >>> import autograd
    >>> from autograd.distributions import Categorical
    >>> d = Categorical(probs=autograd.tensor([0.2, 0.3, 0.5]))
    >>> round(d.log_prob(autograd.tensor(2)).item(), 4), round(d.entropy().item(), 4)
    (-0.6931, 1.0297)
"""

from __future__ import annotations

from typing import Any

from .. import backend
from .. import random as _random
from ..creation import arange, full
from ..ops.softmax import logsumexp
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import (
    _expand_probs_or_logits,
    broadcast_all,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)

__all__ = ["Categorical"]


class Categorical(Distribution):
    """Category ``k`` with probability ``probs[..., k]`` (normalised to sum to one), or
    ``softmax(logits)[..., k]``."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if not isinstance(probs, Tensor) or probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            self._param = self.probs
        else:
            if not isinstance(logits, Tensor) or logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logsumexp(logits, -1, keepdim=True)
            self._param = self.logits
        self._num_events = self._param.shape[-1]
        super().__init__(self._param.shape[:-1], validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Categorical:
        new = self._get_checked_instance(Categorical, _instance)
        _expand_probs_or_logits(self, new, tuple(batch_shape) + (self._num_events,))
        new._num_events = self._num_events
        return self._expanded(new, batch_shape)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> Any:
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> tuple:
        return tuple(self._param.shape)

    @property
    def mean(self) -> Tensor:
        return full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(-1)

    @property
    def variance(self) -> Tensor:
        return full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        n = 1
        for s in shape[:len(shape) - len(self._batch_shape)]:
            n *= s
        rows = self.probs.detach().reshape(-1, self._num_events)
        draws = _random.multinomial(rows, n, replacement=True)  # (rows, n)
        return draws.t().reshape(*shape)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        idx = value.long().unsqueeze(-1)
        idx, log_pmf = broadcast_all(idx, self.logits)
        return log_pmf.gather(-1, idx[..., :1]).squeeze(-1)

    def entropy(self) -> Tensor:
        lowest = float(backend.numpy.finfo(self.logits.dtype).min)
        logits = self.logits.clamp(min=lowest)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = arange(self._num_events, dtype=backend.int64, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand(self._num_events, *self._batch_shape) if expand else values
