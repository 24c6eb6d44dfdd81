"""Adam and AdamW (``torch.optim.Adam``, ``torch.optim.AdamW``)."""

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

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2014), optionally AMSGrad, exactly as PyTorch's algorithm.

    With ``g = ±grad`` (plus ``weight_decay * p`` unless the decay is decoupled):
    ``m = lerp(m, g, 1 - beta1)``, ``v = beta2 * v + (1 - beta2) * g²``,
    ``p -= lr / (1 - beta1^t) * m / (sqrt(v̂) / sqrt(1 - beta2^t) + eps)`` where ``v̂`` is
    ``v`` or its running maximum (AMSGrad). Decoupled decay (AdamW) first scales
    ``p *= 1 - lr * weight_decay``.

    Args:
        params: tensors or parameter groups.
        lr: learning rate (default 1e-3).
        betas: coefficients of the running averages of the gradient and its square.
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        amsgrad: use the AMSGrad variant.
        maximize: ascend the objective.
        decoupled_weight_decay: AdamW's decay (default False; see :class:`AdamW`).
        foreach, capturable, fused: accepted for compatibility; steps already run in place.
        differentiable: must be False.

    Example:
        >>> import autograd, optim
        >>> w = autograd.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        _check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _no_differentiable(differentiable)
        defaults = {
            "lr": lr, "betas": (float(betas[0]), float(betas[1])), "eps": eps,
            "weight_decay": weight_decay, "amsgrad": amsgrad, "maximize": maximize,
            "foreach": foreach, "capturable": capturable, "differentiable": differentiable,
            "fused": fused, "decoupled_weight_decay": decoupled_weight_decay,
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
        beta1, beta2 = (float(b) for b in group["betas"])
        eps = group["eps"]
        wd = group["weight_decay"]
        amsgrad = group["amsgrad"]
        decoupled = group["decoupled_weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _new_step()
                state["exp_avg"] = _buffer_like(p)
                state["exp_avg_sq"] = _buffer_like(p)
                if amsgrad:
                    state["max_exp_avg_sq"] = _buffer_like(p)
            step = _advance(state["step"])
            w = _real(p._data)
            xp = backend.xp_of(w)
            if wd != 0 and decoupled:
                xp.multiply(w, 1 - lr * wd, out=w)
                g = self._effective_grad(w, _real(p.grad._data), 0, group["maximize"])
            else:
                g = self._effective_grad(w, _real(p.grad._data), wd, group["maximize"])
            m = _real(state["exp_avg"]._data)
            v = _real(state["exp_avg_sq"]._data)
            tmp = self._scratch(w, 1)
            # m = lerp(m, g, 1 - beta1), in the same two forms as torch.lerp
            weight = 1 - beta1
            xp.subtract(g, m, out=tmp)
            if weight < 0.5:
                xp.multiply(tmp, weight, out=tmp)
                xp.add(m, tmp, out=m)
            else:
                xp.multiply(tmp, 1 - weight, out=tmp)
                xp.subtract(g, tmp, out=m)
            # v = beta2 * v + (1 - beta2) * g * g
            xp.multiply(v, beta2, out=v)
            xp.multiply(g, 1 - beta2, out=tmp)
            xp.multiply(tmp, g, out=tmp)
            xp.add(v, tmp, out=v)
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            step_size = lr / bias_correction1
            bias_correction2_sqrt = bias_correction2 ** 0.5
            if amsgrad:
                vmax_t = state["max_exp_avg_sq"]
                vmax = _real(vmax_t._data)
                xp.maximum(vmax, v, out=vmax)
                _bump(vmax_t)
                xp.sqrt(vmax, out=tmp)
            else:
                xp.sqrt(v, out=tmp)
            xp.divide(tmp, bias_correction2_sqrt, out=tmp)
            xp.add(tmp, eps, out=tmp)
            xp.divide(m, tmp, out=tmp)
            xp.multiply(tmp, -step_size, out=tmp)
            xp.add(w, tmp, out=w)
            _bump(state["exp_avg"])
            _bump(state["exp_avg_sq"])
            _bump(p)

    def _restore_defaults(self) -> None:
        for group in self.param_groups:
            group["betas"] = tuple(group["betas"])


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019): each step first
    scales ``p *= 1 - lr * weight_decay``, then applies the Adam update without decay
    in the gradient. Default ``weight_decay`` is 1e-2, as PyTorch.

    Example:
        >>> import autograd, optim
        >>> w = autograd.tensor([1.0], requires_grad=True)
        >>> opt = optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> w.sum().backward()
        >>> opt.step()
        >>> round(w.item(), 6)
        0.85
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def _restore_defaults(self) -> None:
        super()._restore_defaults()
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
