"""What the elementwise optimizers (SGD, Adam, RMSprop, Adagrad) share: the ``step``
loop, per-parameter state creation, hyperparameter checks, and the in-place array
kernels their update rules are built from.

Every kernel writes into arrays it is given (a state buffer, the parameter, a scratch
slot), so a warm step allocates nothing large (DESIGN.md section 7).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import autograd
from autograd import backend

from .optimizer import Optimizer, _buffer_like, _bump, _check, _new_step, _real

# How PyTorch names each hyperparameter in its "Invalid ..." messages (else "<name> value").
_LABELS = {"lr": "learning rate", "eps": "epsilon value"}


def _check_nonnegative(**values: float) -> None:
    """Raise PyTorch's ``ValueError("Invalid <what>: <value>")`` for the first negative
    (or NaN) hyperparameter, checked in the order given."""
    for name, value in values.items():
        _check(0.0 <= value, f"Invalid {_LABELS.get(name, name + ' value')}: {value}")


def _lerp_(xp: Any, a: Any, g: Any, weight: float, tmp: Any) -> None:
    """``a = lerp(a, g, weight)`` in place, in the same two forms as ``torch.lerp`` (so
    results match it bit for bit); ``tmp`` is scratch."""
    xp.subtract(g, a, out=tmp)
    if weight < 0.5:
        xp.multiply(tmp, weight, out=tmp)
        xp.add(a, tmp, out=a)
    else:
        xp.multiply(tmp, 1 - weight, out=tmp)
        xp.subtract(g, tmp, out=a)


def _ema_square_(xp: Any, v: Any, g: Any, beta: float, tmp: Any) -> None:
    """``v = beta * v + (1 - beta) * g * g`` in place; ``tmp`` is scratch."""
    xp.multiply(v, beta, out=v)
    xp.multiply(g, 1 - beta, out=tmp)
    xp.multiply(tmp, g, out=tmp)
    xp.add(v, tmp, out=v)


def _add_scaled_(xp: Any, w: Any, x: Any, alpha: float, tmp: Any) -> None:
    """``w += alpha * x`` in place (``tmp`` may be ``x`` itself)."""
    xp.multiply(x, alpha, out=tmp)
    xp.add(w, tmp, out=w)


class _ElementwiseOptimizer(Optimizer):
    """An optimizer whose rule updates each parameter on its own: ``step`` runs the
    subclass's ``_update_group(group)`` on every parameter group under ``no_grad``."""

    _update_group: Callable[[dict[str, Any]], None]

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()``'s loss.

        Example:
            >>> import autograd, optim
            >>> w = autograd.tensor([3.0], requires_grad=True)
            >>> opt = optim.SGD([w], lr=0.5)
            >>> def closure():
            ...     opt.zero_grad()
            ...     loss = (w * w).sum()
            ...     loss.backward()
            ...     return loss
            >>> float(opt.step(closure)), w.tolist()
            (9.0, [0.0])
        """
        loss = self._closure_loss(closure)
        with autograd.no_grad():
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _grads(self, group: dict[str, Any], weight_decay: float) -> Iterator[tuple]:
        """``(p, w, g, xp)`` for each parameter of ``group`` that has a gradient: ``w`` is
        the parameter's (real view) array, ``g`` its gradient with ``maximize`` and
        ``weight_decay`` applied (see :meth:`Optimizer._effective_grad`: it may live in
        scratch slot 0, valid until the next item)."""
        maximize = group["maximize"]
        for p in group["params"]:
            if p.grad is None:
                continue
            w = _real(p._data)
            g = self._effective_grad(w, _real(p.grad._data), weight_decay, maximize)
            yield p, w, g, backend.xp_of(w)

    def _lazy_state(self, p: Any, buffers: tuple[str, ...]) -> dict[str, Any]:
        """``p``'s state; on first use a step counter and the zero buffers ``buffers``."""
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _new_step()
            for name in buffers:
                state[name] = _buffer_like(p)
        return state

    @staticmethod
    def _finish(xp: Any, p: Any, w: Any, x: Any, alpha: float, tmp: Any) -> None:
        """The last move of every rule: ``p += alpha * x``, recorded in ``p``'s version."""
        _add_scaled_(xp, w, x, alpha, tmp)
        _bump(p)
