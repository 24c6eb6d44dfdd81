"""``once_differentiable``: a custom ``backward`` whose own computation is not
differentiable runs under no_grad, and differentiating its result again is a clear
error (``torch.autograd.function.once_differentiable``).

Example:
    >>> import autograd
    >>> class Cube(autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     @autograd.once_differentiable
    ...     def backward(ctx, g):
    ...         (x,) = ctx.saved_tensors
    ...         return 3 * x * x * g
    >>> x = autograd.tensor([2.0], requires_grad=True)
    >>> Cube.apply(x).sum().backward()
    >>> x.grad
    tensor([12.])
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .function import Function, Node
from .grad_mode import no_grad
from .grad_mode import state as _grad_state
from .tensor import Tensor

__all__ = ["once_differentiable"]


class _OnceDifferentiableError(Function):
    @staticmethod
    def forward(ctx: Node, name: str, n: int, *tensors: Tensor) -> tuple:
        ctx.fn_name = name
        return tuple(g.detach() for g in tensors[:n])

    @staticmethod
    def backward(ctx: Node, *grads: Any) -> Any:
        raise RuntimeError(
            f"trying to differentiate twice a function that was marked with "
            f"@once_differentiable ({ctx.fn_name})"
        )


def once_differentiable(fn: Callable) -> Callable:
    """Decorate a custom ``backward`` whose own computation is not differentiable: it
    runs under no_grad, and differentiating its result again raises a clear error."""

    @functools.wraps(fn)
    def wrapper(ctx: Node, *args: Any) -> Any:
        with no_grad():
            out = fn(ctx, *args)
        if not _grad_state.enabled or not any(isinstance(a, Tensor) and a._rg for a in args):
            return out
        outs = out if isinstance(out, tuple) else (out,)
        name = getattr(fn, "__qualname__", "backward")
        tracked = [a for a in args if isinstance(a, Tensor) and a._rg]
        present = [o for o in outs if o is not None]
        wrapped = _OnceDifferentiableError.apply(name, len(present), *present, *tracked)
        it = iter(wrapped)
        res = tuple(next(it) if o is not None else None for o in outs)
        return res if isinstance(out, tuple) else res[0]

    return wrapper
