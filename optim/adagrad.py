"""Adagrad (``torch.optim.Adagrad``)."""

from __future__ import annotations

from typing import Any

from ._elementwise import _check_nonnegative, _ElementwiseOptimizer
from .optimizer import ParamsT, _advance, _buffer_like, _bump, _new_step, _no_differentiable, _real

__all__ = ["Adagrad"]


class Adagrad(_ElementwiseOptimizer):
    r"""Adagrad (Duchi et al., 2011), with PyTorch's options and update rule.

    With ``g = ±grad + weight_decay * p`` and step ``t``:
    ``clr = lr / (1 + (t - 1) * lr_decay)``, ``s += g²``, ``p -= clr * g / (sqrt(s) + eps)``.
    The accumulator ``s`` starts at ``initial_accumulator_value`` (allocated here, as
    PyTorch does, so the state exists before the first step).

    Args:
        params: tensors or parameter groups.
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay (default 0).
        weight_decay: L2 penalty (default 0).
        initial_accumulator_value: starting value of the sum of squares (default 0).
        eps: added to the denominator (default 1e-10).
        maximize: ascend the objective.
        foreach, fused: accepted for compatibility; steps already run in place.
        differentiable: must be False.

    Example:
        >>> import autograd, optim
        >>> w = autograd.tensor([1.0], requires_grad=True)
        >>> opt = optim.Adagrad([w], lr=0.1)
        >>> w.sum().backward()
        >>> opt.step()
        >>> round(w.item(), 4)
        0.9
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        _check_nonnegative(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                           initial_accumulator_value=initial_accumulator_value, eps=eps)
        _no_differentiable(differentiable)
        defaults = {
            "lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable, "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p: Any, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state[p]
        if len(state) == 0:
            init = group["initial_accumulator_value"]
            if p.is_complex():
                init = complex(init, init)
            state["step"] = _new_step()
            state["sum"] = _buffer_like(p, fill=init)
        return state

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = float(group["lr"])
        lr_decay = group["lr_decay"]
        eps = group["eps"]
        for p, w, g, xp in self._grads(group, group["weight_decay"]):
            state = self._init_state(p, group)  # groups added later start here
            step = _advance(state["step"])
            clr = lr / (1 + (step - 1) * lr_decay)
            s = _real(state["sum"]._data)
            tmp = self._scratch(w, 1)
            xp.multiply(g, g, out=tmp)
            xp.add(s, tmp, out=s)
            _bump(state["sum"])
            xp.sqrt(s, out=tmp)
            xp.add(tmp, eps, out=tmp)
            xp.divide(g, tmp, out=tmp)
            self._finish(xp, p, w, tmp, -clr, tmp)
