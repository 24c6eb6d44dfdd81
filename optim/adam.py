"""Adam and AdamW (``torch.optim.Adam``, ``torch.optim.AdamW``)."""

from __future__ import annotations

from typing import Any

from ._elementwise import (
    _check_nonnegative,
    _ElementwiseOptimizer,
    _ema_square_,
    _lerp_,
)
from .optimizer import ParamsT, _advance, _bump, _check, _no_differentiable, _real

__all__ = ["Adam", "AdamW"]


class Adam(_ElementwiseOptimizer):
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
        _check_nonnegative(lr=lr, eps=eps)
        _check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        _check_nonnegative(weight_decay=weight_decay)
        _no_differentiable(differentiable)
        defaults = {
            "lr": lr, "betas": (float(betas[0]), float(betas[1])), "eps": eps,
            "weight_decay": weight_decay, "amsgrad": amsgrad, "maximize": maximize,
            "foreach": foreach, "capturable": capturable, "differentiable": differentiable,
            "fused": fused, "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = float(group["lr"])
        beta1, beta2 = (float(b) for b in group["betas"])
        eps = group["eps"]
        wd = group["weight_decay"]
        amsgrad = group["amsgrad"]
        decoupled = group["decoupled_weight_decay"]
        buffers = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ())
        # decoupled decay scales w below; the gradient then carries no decay term
        for p, w, g, xp in self._grads(group, 0 if decoupled else wd):
            state = self._lazy_state(p, buffers)
            step = _advance(state["step"])
            if wd != 0 and decoupled:
                xp.multiply(w, 1 - lr * wd, out=w)
            m = _real(state["exp_avg"]._data)
            v = _real(state["exp_avg_sq"]._data)
            tmp = self._scratch(w, 1)
            _lerp_(xp, m, g, 1 - beta1, tmp)
            _ema_square_(xp, v, g, beta2, tmp)
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
            _bump(state["exp_avg"])
            _bump(state["exp_avg_sq"])
            self._finish(xp, p, w, tmp, -step_size, tmp)

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
