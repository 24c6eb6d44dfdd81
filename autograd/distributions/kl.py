"""Kullback-Leibler divergences ``KL(p ‖ q)`` between distributions, looked up by the
pair of types (``torch.distributions.kl``); ``register_kl`` adds more pairs.

Example:
    >>> import autograd
    >>> from autograd.distributions import Normal, kl_divergence
    >>> round(kl_divergence(Normal(0.0, 1.0), Normal(1.0, 2.0)).item(), 4)
    0.4431
"""

from __future__ import annotations

from collections.abc import Callable

from ..creation import full_like
from ..ops.binary import where
from ..tensor import Tensor
from .categorical import Categorical
from .distribution import Distribution
from .normal import Normal

__all__ = ["kl_divergence", "register_kl"]

_REGISTRY: dict[tuple[type, type], Callable] = {}


def register_kl(type_p: type, type_q: type) -> Callable:
    """Decorator registering ``fn(p, q)`` as KL(p ‖ q) for instances of these types."""
    if not (isinstance(type_p, type) and issubclass(type_p, Distribution)):
        raise TypeError(f"Expected type_p to be a Distribution subclass but got {type_p}")
    if not (isinstance(type_q, type) and issubclass(type_q, Distribution)):
        raise TypeError(f"Expected type_q to be a Distribution subclass but got {type_q}")

    def decorator(fn: Callable) -> Callable:
        _REGISTRY[type_p, type_q] = fn
        return fn

    return decorator


def _lookup(tp: type, tq: type) -> Callable | None:
    """The registered function for the most specific (p, q) superclass pair."""
    best, rank = None, None
    for (a, b), fn in _REGISTRY.items():
        if issubclass(tp, a) and issubclass(tq, b):
            r = (tp.__mro__.index(a), tq.__mro__.index(b))
            if rank is None or r < rank:
                best, rank = fn, r
    return best


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """``KL(p ‖ q) = E_p[log p(x) - log q(x)]``, batched over the batch shape."""
    fn = _lookup(type(p), type(q))
    if fn is None:
        raise RuntimeError(
            f"No KL(p || q) is implemented for p type {type(p).__name__} and q type "
            f"{type(q).__name__}; add one with @register_kl({type(p).__name__}, "
            f"{type(q).__name__})"
        )
    return fn(p, q)


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Tensor:
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Tensor:
    t = p.probs * (p.logits - q.logits)
    t = where(q.probs == 0, full_like(t, float("inf")), t)  # mass where q has none
    t = where(p.probs == 0, full_like(t, 0.0), t)  # 0 log 0 = 0
    return t.sum(-1)
