"""Gradient accumulation: several micro-batches, one exact big-batch gradient.

Dividing each micro-batch loss by the number of micro-batches (the usual recipe) is
only right when all micro-batches have the same size. :class:`GradientAccumulator`
weights each micro-batch by its number of samples and normalises by the total, so
the accumulated ``.grad`` equals the gradient of the mean loss over the whole batch,
whatever the split (including a short last micro-batch).

Example:
    >>> import autograd, optim
    >>> w = autograd.tensor([1.0, -1.0], requires_grad=True)
    >>> x = autograd.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> acc = optim.GradientAccumulator([w])
    >>> with acc:                                  # micro-batches of 2 and 1 samples
    ...     for xb in (x[:2], x[2:]):
    ...         loss = ((xb @ w) ** 2).mean()          # mean over the micro-batch
    ...         acc.backward(loss, batch_size=xb.shape[0])
    >>> w.grad.tolist() == autograd.grad(((x @ w) ** 2).mean(), w)[0].tolist()
    True
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Any

import autograd
from autograd import backend
from autograd.tensor import Tensor

from .optimizer import _bump, _writeable

__all__ = ["GradientAccumulator"]


class GradientAccumulator:
    """Accumulate gradients over micro-batches so that ``.grad`` ends equal to the
    gradient of the loss averaged over all their samples (the big batch).

    Usage: start a cycle with ``with accumulator:`` (or just call ``backward``), call
    ``accumulator.backward(loss, batch_size)`` once per micro-batch, and leave the
    ``with`` block (or call ``finish()``); then ``optimizer.step()`` and
    ``optimizer.zero_grad()``.

    Args:
        params: a module (anything with ``.parameters()``), a tensor, or tensors: the
            parameters whose gradients are accumulated and normalised.
        total_samples: the number of samples in the big batch, when known in advance.
            Each backward then already scales by ``batch_size / total_samples``, so the
            gradients are final after the last micro-batch (no extra pass) and ``finish``
            checks that exactly this many samples were seen. When ``None``, the
            gradients hold per-sample sums until ``finish`` divides by the count seen.
        reduction: how each micro-batch loss was reduced over its samples: ``"mean"``
            (PyTorch losses' default) or ``"sum"``; ``backward`` can override it per call.

    Guards against misuse: a cycle must start from empty gradients (``None`` or zeros:
    call ``optimizer.zero_grad()`` after each step), the loss must be a scalar, batch
    sizes must be positive integers, ``finish`` needs at least one micro-batch, and
    the sample count must match ``total_samples`` when given.

    Example:
        >>> import autograd, optim
        >>> w = autograd.tensor([2.0], requires_grad=True)
        >>> acc = optim.GradientAccumulator([w], total_samples=4, reduction="sum")
        >>> acc.backward((autograd.ones(3) * w).sum(), batch_size=3)
        >>> acc.backward((5 * w).sum(), batch_size=1)
        >>> acc.finish(), w.grad.tolist()
        (4, [2.0])
    """

    def __init__(self, params: Any, total_samples: int | None = None,
                 reduction: str = "mean") -> None:
        if hasattr(params, "parameters") and callable(params.parameters):
            params = params.parameters()
        self.params: list[Tensor] = [params] if isinstance(params, Tensor) else list(
            params if isinstance(params, Iterable) else [params])
        if not self.params:
            raise ValueError("GradientAccumulator got no parameters")
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"GradientAccumulator: parameter {i} is a {type(p).__name__}, expected a "
                    "Tensor (pass model.parameters() or a list of tensors)")
        if total_samples is not None:
            total_samples = self._count(total_samples, "total_samples")
        self.total_samples = total_samples
        self.reduction = self._reduction(reduction)
        self._seen = 0
        self._micro_batches = 0
        self._open = False

    # ------------------------------------------------------------------ checks
    @staticmethod
    def _count(n: Any, name: str) -> int:
        try:
            value = operator.index(n)
        except TypeError:
            raise TypeError(
                f"GradientAccumulator: {name} must be an integer number of samples, "
                f"got {type(n).__name__} {n!r}") from None
        if value <= 0:
            raise ValueError(f"GradientAccumulator: {name} must be positive, got {value}")
        return value

    @staticmethod
    def _reduction(reduction: str) -> str:
        if reduction not in ("mean", "sum"):
            raise ValueError(
                f"GradientAccumulator: reduction must be 'mean' or 'sum' (how the micro-batch "
                f"loss was reduced over its samples), got {reduction!r}")
        return reduction

    def _begin(self) -> None:
        for i, p in enumerate(self.params):
            g = p.grad
            if g is not None and bool(backend.xp_of(g._data).any(g._data)):
                raise RuntimeError(
                    f"GradientAccumulator: parameter {i} (shape {list(p.shape)}) already holds "
                    "a nonzero gradient from an earlier backward; accumulation must start from "
                    "empty gradients: call optimizer.zero_grad() after each optimizer.step()")
        self._seen = 0
        self._micro_batches = 0
        self._open = True

    # ------------------------------------------------------------------ public API
    @property
    def samples_seen(self) -> int:
        """Samples accumulated in the current cycle."""
        return self._seen

    @property
    def micro_batches(self) -> int:
        """Micro-batches accumulated in the current cycle."""
        return self._micro_batches

    def backward(self, loss: Tensor, batch_size: int, *, reduction: str | None = None,
                 retain_graph: bool | None = None) -> None:
        """Backpropagate one micro-batch's loss with the right weight.

        Args:
            loss: the scalar loss of the micro-batch, reduced over its samples.
            batch_size: the number of samples in the micro-batch.
            reduction: ``"mean"`` or ``"sum"`` for this loss (default: the accumulator's).
            retain_graph: passed to ``backward``.
        """
        if not isinstance(loss, Tensor):
            raise TypeError(
                f"GradientAccumulator.backward: loss must be a Tensor, got {type(loss).__name__}")
        if loss.numel() != 1:
            raise RuntimeError(
                "GradientAccumulator.backward: grad can be implicitly created only for scalar "
                f"outputs, but the loss has shape {list(loss.shape)}; reduce it over the "
                "micro-batch (mean or sum) first")
        b = self._count(batch_size, "batch_size")
        red = self.reduction if reduction is None else self._reduction(reduction)
        if not self._open:
            self._begin()
        n = self.total_samples
        if n is not None and self._seen + b > n:
            raise ValueError(
                f"GradientAccumulator: {self._seen + b} samples after this micro-batch, more "
                f"than total_samples={n}; call finish() (or leave the with block) and step "
                "the optimizer before starting the next batch")
        # the big-batch mean gradient is sum_k (sum of per-sample grads in k) / N
        per_sample_sum = b if red == "mean" else 1
        scale = per_sample_sum if n is None else per_sample_sum / n
        if scale == 1:
            autograd.backward([loss], retain_graph=retain_graph)
        else:
            autograd.backward([loss], [autograd.full_like(loss, scale)],
                              retain_graph=retain_graph)
        self._seen += b
        self._micro_batches += 1

    def finish(self) -> int:
        """End the cycle: normalise the gradients by the samples seen (when
        ``total_samples`` was not given) and return that number."""
        if not self._open or self._micro_batches == 0:
            raise RuntimeError(
                "GradientAccumulator.finish: no micro-batch was accumulated in this cycle; "
                "call backward(loss, batch_size) for each micro-batch first")
        self._open = False
        n = self.total_samples
        if n is not None:
            if self._seen != n:
                raise ValueError(
                    f"GradientAccumulator.finish: saw {self._seen} samples but "
                    f"total_samples={n}; the gradients are scaled for {n} samples and would be "
                    "wrong: feed exactly total_samples samples per cycle, or use "
                    "total_samples=None")
            return n
        with autograd.no_grad():
            for p in self.params:
                g = p.grad
                if g is None:
                    continue
                if not _writeable(g._data):
                    p.grad = g = autograd.as_tensor(g._data.copy())
                backend.xp_of(g._data).divide(g._data, self._seen, out=g._data)
                _bump(g)
        return self._seen

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the parameters' gradients (as ``Optimizer.zero_grad``)."""
        for p in self.params:
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad._data.fill(0)
                _bump(p.grad)

    def __enter__(self) -> GradientAccumulator:
        if self._open:
            raise RuntimeError(
                "GradientAccumulator: a cycle is already open (backward was called without "
                "finish()); finish it before entering a new with block")
        self._begin()
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is not None:
            self._open = False  # leave the partial gradients as they are; no normalising
            return
        self.finish()

    def __repr__(self) -> str:
        return (f"GradientAccumulator(params={len(self.params)}, "
                f"total_samples={self.total_samples}, reduction={self.reduction!r}, "
                f"samples_seen={self._seen}, micro_batches={self._micro_batches})")
