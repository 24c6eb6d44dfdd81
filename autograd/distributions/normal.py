"""The Normal (Gaussian) distribution.

Example:
    >>> import autograd
    >>> from autograd.distributions import Normal
    >>> d = Normal(0.0, 2.0)
    >>> round(d.log_prob(autograd.tensor(0.0)).item(), 4), round(d.entropy().item(), 4)
    (-1.6121, 2.1121)
"""

from __future__ import annotations

import math
from typing import Any

from ..random import randn
from ..tensor import Tensor
from .distribution import _LocScale

__all__ = ["Normal"]


class Normal(_LocScale):
    """``N(loc, scale²)``, batched over the broadcast shape of ``loc`` and ``scale``;
    ``rsample`` is ``loc + scale * ε`` with ε ~ N(0, 1)."""

    def expand(self, batch_shape: Any, _instance: Any = None) -> Normal:
        return self._expand_params(Normal, batch_shape, _instance, "loc", "scale")

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale ** 2

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = randn(*shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + eps * self.scale

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale ** 2
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() - 0.5 * math.log(2 * math.pi)

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + ((value - self.loc) / (self.scale * math.sqrt(2))).erf())

    def entropy(self) -> Tensor:
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()
