"""Probability distributions (``torch.distributions``): sampling (``sample``,
reparameterised ``rsample``), ``log_prob``, ``entropy``, moments and KL divergences.

Example:
    >>> import autograd
    >>> from autograd.distributions import Normal
    >>> autograd.manual_seed(0)
    <autograd.Generator device=cpu seed=0>
    >>> mu = autograd.tensor(1.0, requires_grad=True)
    >>> x = Normal(mu, 2.0).rsample((1000,))
    >>> x.mean().backward()
    >>> round(mu.grad.item(), 4)
    1.0
"""

from __future__ import annotations

from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .gumbel import Gumbel
from .kl import kl_divergence, register_kl
from .normal import Normal
from .relaxed_categorical import ExpRelaxedCategorical, RelaxedOneHotCategorical
from .uniform import Uniform

__all__ = [
    "Bernoulli", "Categorical", "Distribution", "ExpRelaxedCategorical", "Gumbel", "Normal",
    "RelaxedOneHotCategorical", "Uniform", "constraints", "kl_divergence", "register_kl",
]
