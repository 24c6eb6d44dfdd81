"""The Gumbel (type-I extreme value) distribution.

Example:
    >>> import autograd
    >>> from autograd.distributions import Gumbel
    >>> d = Gumbel(0.0, 1.0)
    >>> round(d.mean.item(), 4), round(d.entropy().item(), 4)
    (0.5772, 1.5772)
"""

from __future__ import annotations

import math
from typing import Any

from .. import backend
from ..random import rand
from ..tensor import Tensor
from .distribution import _LocScale
from .utils import euler_constant

__all__ = ["Gumbel"]


class Gumbel(_LocScale):
    """``Gumbel(loc, scale)``: density ``exp(-(z + e^{-z})) / scale`` with
    ``z = (x - loc) / scale``; ``rsample`` is ``loc - scale log(-log u)``, u ~ U(0, 1)."""

    def expand(self, batch_shape: Any, _instance: Any = None) -> Gumbel:
        return self._expand_params(Gumbel, batch_shape, _instance, "loc", "scale")

    @property
    def mean(self) -> Tensor:
        return self.loc + self.scale * euler_constant

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self) -> Tensor:
        return self.stddev ** 2

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        finfo = backend.numpy.finfo(self.loc.dtype)
        # u in [tiny, 1 - eps]: both logs stay finite
        u = rand(*shape, dtype=self.loc.dtype, device=self.loc.device).clamp(
            min=float(finfo.tiny), max=1 - float(finfo.eps))
        return self.loc - self.scale * (-u.log()).log()

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return -(z + (-z).exp()) - self.scale.log()

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return (-(-(value - self.loc) / self.scale).exp()).exp()

    def icdf(self, value: Tensor) -> Tensor:
        return self.loc - self.scale * (-value.log()).log()

    def entropy(self) -> Tensor:
        return self.scale.log() + (1 + euler_constant)
