"""RMSprop (``torch.optim.RMSprop``)."""

from __future__ import annotations

from typing import Any

from ._elementwise import (
    _check_nonnegative,
    _ElementwiseOptimizer,
    _ema_square_,
    _lerp_,
)
from .optimizer import ParamsT, _advance, _bump, _no_differentiable, _real

__all__ = ["RMSprop"]


class RMSprop(_ElementwiseOptimizer):
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
        _check_nonnegative(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay,
                           alpha=alpha)
        _no_differentiable(differentiable)
        defaults = {
            "lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
            "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = float(group["lr"])
        alpha = group["alpha"]
        eps = group["eps"]
        momentum = group["momentum"]
        centered = group["centered"]
        buffers = (("square_avg",) + (("momentum_buffer",) if momentum > 0 else ())
                   + (("grad_avg",) if centered else ()))
        for p, w, g, xp in self._grads(group, group["weight_decay"]):
            state = self._lazy_state(p, buffers)
            _advance(state["step"])
            v = _real(state["square_avg"]._data)
            tmp = self._scratch(w, 1)
            _ema_square_(xp, v, g, alpha, tmp)
            _bump(state["square_avg"])
            if centered:
                a = _real(state["grad_avg"]._data)
                _lerp_(xp, a, g, 1 - alpha, tmp)
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
                self._finish(xp, p, w, buf, -lr, tmp)
            else:
                self._finish(xp, p, w, tmp, -lr, tmp)
