"""RMSprop (``torch.optim.RMSprop``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import autograd
from autograd import backend

from .optimizer import (
    Optimizer,
    ParamsT,
    _advance,
    _buffer_like,
    _bump,
    _check,
    _new_step,
    _no_differentiable,
    _real,
)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e), with PyTorch's options and update rule.

    With ``g = ±grad + weight_decay * p``: ``v = alpha * v + (1 - alpha) * g²``;
    centered: ``a = lerp(a, g, 1 - alpha)`` and ``denom = sqrt(v - a²) + eps``, else
    ``denom = sqrt(v) + eps``; with momentum ``b = momentum * b + g / denom`` and
    ``p -= lr * b``, else ``p -= lr * g / denom``.

    Args:
        params: tensors or parameter groups.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant (default 0.99).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0).
        centered: normalise by an estimate of the gradient's variance.
        maximize: ascend the objective.
        capturable, foreach: accepted for compatibility; steps already run in place.
        differentiable: must be False.

    Example:
        >>> import autograd, optim
        >>> w = autograd.tensor([1.0], requires_grad=True)
        >>> opt = optim.RMSprop([w], lr=0.01)
        >>> w.sum().backward()
        >>> opt.step()
        >>> round(w.item(), 4)
        0.9
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= momentum, f"Invalid momentum value: {momentum}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check(0.0 <= alpha, f"Invalid alpha value: {alpha}")
        _no_differentiable(differentiable)
        defaults = {
            "lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
            "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()``'s loss."""
        loss = self._closure_loss(closure)
        with autograd.no_grad():
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = float(group["lr"])
        alpha = group["alpha"]
        eps = group["eps"]
        momentum = group["momentum"]
        centered = group["centered"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _new_step()
                state["square_avg"] = _buffer_like(p)
                if momentum > 0:
                    state["momentum_buffer"] = _buffer_like(p)
                if centered:
                    state["grad_avg"] = _buffer_like(p)
            _advance(state["step"])
            w = _real(p._data)
            xp = backend.xp_of(w)
            g = self._effective_grad(w, _real(p.grad._data), group["weight_decay"],
                                     group["maximize"])
            v = _real(state["square_avg"]._data)
            tmp = self._scratch(w, 1)
            xp.multiply(v, alpha, out=v)
            xp.multiply(g, 1 - alpha, out=tmp)
            xp.multiply(tmp, g, out=tmp)
            xp.add(v, tmp, out=v)
            _bump(state["square_avg"])
            if centered:
                a = _real(state["grad_avg"]._data)
                weight = 1 - alpha
                xp.subtract(g, a, out=tmp)
                if weight < 0.5:
                    xp.multiply(tmp, weight, out=tmp)
                    xp.add(a, tmp, out=a)
                else:
                    xp.multiply(tmp, 1 - weight, out=tmp)
                    xp.subtract(g, tmp, out=a)
                _bump(state["grad_avg"])
                xp.multiply(a, a, out=tmp)
                xp.subtract(v, tmp, out=tmp)
                xp.sqrt(tmp, out=tmp)
            else:
                xp.sqrt(v, out=tmp)
            xp.add(tmp, eps, out=tmp)
            xp.divide(g, tmp, out=tmp)
            if momentum > 0:
                buf_t = state["momentum_buffer"]
                buf = _real(buf_t._data)
                xp.multiply(buf, momentum, out=buf)
                xp.add(buf, tmp, out=buf)
                _bump(buf_t)
                xp.multiply(buf, -lr, out=tmp)
            else:
                xp.multiply(tmp, -lr, out=tmp)
            xp.add(w, tmp, out=w)
            _bump(p)
