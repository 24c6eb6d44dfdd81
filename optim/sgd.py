"""Stochastic gradient descent, optionally with (Nesterov) momentum (``torch.optim.SGD``)."""

from __future__ import annotations

from typing import Any

from ._elementwise import _check_nonnegative, _ElementwiseOptimizer
from .optimizer import ParamsT, _buffer_like, _bump, _no_differentiable, _real

__all__ = ["SGD"]


class SGD(_ElementwiseOptimizer):
    r"""Stochastic gradient descent (PyTorch's algorithm, updated in place).

    For each parameter with a gradient, ``g = ±grad + weight_decay * p``; with momentum
    ``b = g`` on the first step, then ``b = momentum * b + (1 - dampening) * g``; the
    step direction is ``g + momentum * b`` (Nesterov) or ``b``; ``p -= lr * direction``.

    Args:
        params: tensors or parameter groups.
        lr: learning rate (default 1e-3).
        momentum: momentum factor (default 0).
        dampening: dampening of the momentum (default 0).
        weight_decay: L2 penalty added to the gradient (default 0).
        nesterov: Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize: ascend the objective instead of descending it.
        foreach, fused: accepted for compatibility; every step already runs in place.
        differentiable: must be False.

    Example:
        >>> import autograd, optim
        >>> w = autograd.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     opt.step()
        >>> w
        tensor([ 0.4600, -0.9200], requires_grad=True)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        _check_nonnegative(lr=lr, momentum=momentum, weight_decay=weight_decay)
        _no_differentiable(differentiable)
        defaults = {
            "lr": lr, "momentum": momentum, "dampening": dampening,
            "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
            "foreach": foreach, "differentiable": differentiable, "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = float(group["lr"])
        momentum = group["momentum"]
        dampening = group["dampening"]
        nesterov = group["nesterov"]
        for p, w, g, xp in self._grads(group, group["weight_decay"]):
            if momentum != 0:
                state = self.state[p]
                buf_t = state.get("momentum_buffer")
                if buf_t is None:
                    # first step: the buffer starts as the (transformed) gradient
                    buf_t = _buffer_like(p, src=g)
                    state["momentum_buffer"] = buf_t
                    buf = _real(buf_t._data)
                else:
                    buf = _real(buf_t._data)
                    xp.multiply(buf, momentum, out=buf)
                    if dampening == 0:
                        xp.add(buf, g, out=buf)
                    else:
                        tmp = self._scratch(w, 1)
                        xp.multiply(g, 1 - dampening, out=tmp)
                        xp.add(buf, tmp, out=buf)
                    _bump(buf_t)
                if nesterov:
                    tmp = self._scratch(w, 1)
                    xp.multiply(buf, momentum, out=tmp)
                    xp.add(g, tmp, out=tmp)
                    g = tmp
                else:
                    g = buf
            self._finish(xp, p, w, g, -lr, self._scratch(w, 1))
