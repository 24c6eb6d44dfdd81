"""The relaxed (Gumbel-softmax / Concrete) one-hot categorical distribution.

``RelaxedOneHotCategorical(temperature, probs|logits)`` draws points of the simplex:
``softmax((logits + g) / temperature)`` with ``g`` i.i.d. standard Gumbel noise. As
the temperature falls the samples approach one-hot vectors; they are differentiable in
``logits`` (and ``temperature``), which makes discrete choices trainable.
``ExpRelaxedCategorical`` is the same in log space (samples are log-probabilities).

Example:
    >>> import autograd
    >>> from autograd.distributions import RelaxedOneHotCategorical
    >>> d = RelaxedOneHotCategorical(0.5, logits=autograd.zeros(4))
    >>> y = d.rsample((3,))
    >>> y.shape, [round(s, 5) for s in y.sum(-1).tolist()]
    ((3, 4), [1.0, 1.0, 1.0])
"""

from __future__ import annotations

import math
from typing import Any

from .. import backend
from ..ops.softmax import logsumexp
from ..random import rand
from ..tensor import Tensor
from . import constraints
from .categorical import Categorical
from .distribution import Distribution
from .utils import broadcast_all, clamp_probs

__all__ = ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"]


class ExpRelaxedCategorical(Distribution):
    """The log of a ``RelaxedOneHotCategorical`` sample (a point of the log-simplex)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature: Any, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        param = self._categorical._param
        (self.temperature,) = broadcast_all(temperature) if not isinstance(temperature, Tensor) \
            else (temperature,)
        if self.temperature.dtype != param.dtype:
            self.temperature = self.temperature.to(param.dtype)
        super().__init__(self._categorical.batch_shape, param.shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> ExpRelaxedCategorical:
        new = self._get_checked_instance(ExpRelaxedCategorical, _instance)
        new.temperature = self.temperature
        new._categorical = self._categorical.expand(batch_shape)
        return self._expanded(new, batch_shape, self._event_shape)

    @property
    def param_shape(self) -> tuple:
        return self._categorical.param_shape

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = clamp_probs(rand(*shape, dtype=self.logits.dtype, device=self.logits.device))
        gumbels = -(-u.log()).log()
        scores = (self.logits + gumbels) / self.temperature
        return scores - logsumexp(scores, -1, keepdim=True)

    def log_prob(self, value: Tensor) -> Tensor:
        k = self._categorical._num_events
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        # density of the Concrete distribution in log space: (K-1)! τ^(K-1) Π … (Maddison
        # et al. 2017, eq. 3 after the change of variables x = log y)
        log_scale = math.lgamma(k) + (k - 1) * self.temperature.log()
        score = logits - value * self.temperature
        score = (score - logsumexp(score, -1, keepdim=True)).sum(-1)
        return score + log_scale


class RelaxedOneHotCategorical(Distribution):
    """Gumbel-softmax samples on the simplex; ``rsample`` is differentiable."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature: Any, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        self.base_dist = ExpRelaxedCategorical(temperature, probs, logits,
                                               validate_args=validate_args)
        super().__init__(self.base_dist.batch_shape, self.base_dist.event_shape,
                         validate_args=validate_args)

    def _check_parameters(self) -> None:
        """The parameters were validated by the base distribution."""

    def expand(self, batch_shape: Any, _instance: Any = None) -> RelaxedOneHotCategorical:
        new = self._get_checked_instance(RelaxedOneHotCategorical, _instance)
        new.base_dist = self.base_dist.expand(batch_shape)
        return self._expanded(new, batch_shape, self._event_shape)

    @property
    def temperature(self) -> Tensor:
        return self.base_dist.temperature

    @property
    def logits(self) -> Tensor:
        return self.base_dist.logits

    @property
    def probs(self) -> Tensor:
        return self.base_dist.probs

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        return self.base_dist.rsample(sample_shape).exp()

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        # y = exp(x): log p(y) = log p_X(log y) - Σ log y (the log-Jacobian of exp)
        x = value.clamp(min=float(backend.numpy.finfo(value.dtype).tiny)).log()
        return self.base_dist.log_prob(x) - x.sum(-1)

    def __repr__(self) -> str:
        return f"RelaxedOneHotCategorical(temperature: {self.temperature}, logits: " \
               f"{tuple(self.logits.shape)})"
