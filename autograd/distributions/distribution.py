"""The ``Distribution`` base class (``torch.distributions.Distribution``).

Shapes: ``sample(sample_shape)`` has shape ``sample_shape + batch_shape +
event_shape``; ``log_prob(value)`` has shape ``sample_shape + batch_shape``. Sampling
draws from ``autograd.random`` (so ``autograd.manual_seed`` makes it reproducible);
``rsample`` is reparameterised (a differentiable function of the parameters and
parameter-free noise), ``sample`` is not differentiable.

Example:
    >>> import autograd
    >>> from autograd.distributions import Normal
    >>> d = Normal(autograd.zeros(3), 1.0)
    >>> d.batch_shape, d.event_shape, d.sample((2,)).shape
    ((3,), (), (2, 3))
"""

from __future__ import annotations

from numbers import Number
from typing import Any

from ..grad_mode import no_grad
from ..tensor import Tensor
from . import constraints
from .utils import broadcast_all, lazy_property

__all__ = ["Distribution"]


def _shape(s: Any) -> tuple:
    if isinstance(s, int):
        return (s,)
    return tuple(int(n) for n in s)


class Distribution:
    """Base of all distributions."""

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn argument validation on or off for distributions created afterwards."""
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args expects a bool, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape: Any = (), event_shape: Any = (),
                 validate_args: bool | None = None) -> None:
        self._batch_shape = _shape(batch_shape)
        self._event_shape = _shape(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            self._check_parameters()
        super().__init__()

    def _check_parameters(self) -> None:
        for param, constraint in self.arg_constraints.items():
            if constraints.is_dependent(constraint):
                continue
            if param not in self.__dict__ and isinstance(getattr(type(self), param, None),
                                                         lazy_property):
                continue  # the other parameterization was given
            value = getattr(self, param)
            valid = constraint.check(value)
            if not bool(valid.all()):
                raise ValueError(
                    f"Expected parameter {param} ({type(value).__name__} of shape "
                    f"{tuple(value.shape)}) of distribution {self!r} to satisfy the constraint "
                    f"{constraint!r}, but found invalid values:\n{value}"
                )

    # ----------------------------------------------------------------- shapes
    @property
    def batch_shape(self) -> tuple:
        return self._batch_shape

    @property
    def event_shape(self) -> tuple:
        return self._event_shape

    def _extended_shape(self, sample_shape: Any = ()) -> tuple:
        return _shape(sample_shape) + self._batch_shape + self._event_shape

    def _get_checked_instance(self, cls: type, _instance: Any = None) -> Any:
        if _instance is None and type(self).__init__ != cls.__init__:
            raise RuntimeError(
                f"Subclass {type(self).__name__} of {cls.__name__} that defines a custom "
                "__init__ method must also define a custom .expand() method."
            )
        return self.__new__(type(self)) if _instance is None else _instance

    def expand(self, batch_shape: Any, _instance: Any = None) -> Distribution:
        """A distribution with parameters broadcast to ``batch_shape`` (no copies)."""
        raise RuntimeError(f"{type(self).__name__} does not define expand()")

    def _expanded(self, new: Any, batch_shape: Any, event_shape: Any = ()) -> Any:
        """Finish an ``expand``: ``new`` (parameters already set) gets the shapes and this
        distribution's validation setting (its parameters were checked here)."""
        Distribution.__init__(new, tuple(batch_shape), event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _expand_params(self, cls: type, batch_shape: Any, _instance: Any, *names: str) -> Any:
        """``expand`` for a distribution of same-shaped parameters ``names``."""
        new = self._get_checked_instance(cls, _instance)
        for name in names:
            setattr(new, name, getattr(self, name).expand(*batch_shape))
        return self._expanded(new, batch_shape)

    # ----------------------------------------------------------------- contract
    @property
    def arg_constraints(self) -> dict:
        return {}

    @property
    def support(self) -> Any:
        raise RuntimeError(f"{type(self).__name__} does not define its support")

    def _undefined(self, what: str) -> RuntimeError:
        return RuntimeError(f"{type(self).__name__} does not define {what}")

    @property
    def mean(self) -> Tensor:
        raise self._undefined("mean")

    @property
    def mode(self) -> Tensor:
        raise self._undefined("mode")

    @property
    def variance(self) -> Tensor:
        raise self._undefined("variance")

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Draw samples (not differentiable)."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """Draw reparameterised samples (differentiable w.r.t. the parameters)."""
        raise RuntimeError(
            f"{type(self).__name__} has no reparameterised sampler (has_rsample is False); "
            "use sample() and a score-function estimator instead"
        )

    def sample_n(self, n: int) -> Tensor:
        return self.sample((n,))

    def log_prob(self, value: Tensor) -> Tensor:
        raise self._undefined("log_prob")

    def cdf(self, value: Tensor) -> Tensor:
        raise self._undefined("cdf")

    def icdf(self, value: Tensor) -> Tensor:
        raise self._undefined("icdf")

    def entropy(self) -> Tensor:
        raise self._undefined("entropy")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        raise self._undefined("enumerate_support")

    def perplexity(self) -> Tensor:
        return self.entropy().exp()

    # ----------------------------------------------------------------- validation
    def _validate_sample(self, value: Any) -> None:
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        k = len(self._event_shape)
        shape = tuple(value.shape)
        if shape[len(shape) - k:] != self._event_shape or len(shape) < k:
            raise ValueError(
                f"The right-most size of value must match event_shape: {shape} vs "
                f"{self._event_shape}."
            )
        expected = self._batch_shape + self._event_shape
        for i, j in zip(reversed(shape), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(
                    f"Value is not broadcastable with batch_shape+event_shape: {shape} vs "
                    f"{expected}."
                )
        support = self.support
        valid = support.check(value)
        if not bool(valid.all()):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape {shape}) to be "
                f"within the support ({support!r}) of the distribution {self!r}, but found "
                f"invalid values:\n{value}"
            )

    def __repr__(self) -> str:
        names = [k for k in self.arg_constraints if k in self.__dict__]
        parts = []
        for p in names:
            v = self.__dict__[p]
            parts.append(f"{p}: {v if v.numel() == 1 else tuple(v.shape)}")
        return f"{type(self).__name__}({', '.join(parts)})"


class _LocScale(Distribution):
    """Base of the real-valued location-scale families (Normal, Gumbel): ``loc`` and
    ``scale`` (positive) broadcast together give the batch shape; ``rsample`` exists."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        batch = () if isinstance(loc, Number) and isinstance(scale, Number) else self.loc.shape
        super().__init__(batch, validate_args=validate_args)
