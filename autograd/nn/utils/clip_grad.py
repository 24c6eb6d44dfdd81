"""Gradient clipping, re-exported from ``optim`` where it is implemented (the import
happens on first call, so ``autograd.nn`` never depends on ``optim`` at import time).

Example:
    >>> import autograd
    >>> from autograd.nn.utils import clip_grad_norm_
    >>> w = autograd.tensor([3.0, 4.0], requires_grad=True)
    >>> (w * w).sum().backward()
    >>> float(clip_grad_norm_([w], max_norm=1.0))
    10.0
"""

from __future__ import annotations

from typing import Any

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_"]


def clip_grad_norm_(parameters: Any, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Any:
    """Scale the gradients of ``parameters`` so that their joint norm is at most
    ``max_norm``; returns the total norm before clipping (see ``optim.clip_grad_norm_``).

    Example:
        >>> import autograd
        >>> from autograd.nn.utils import clip_grad_norm_
        >>> w = autograd.tensor([1.0], requires_grad=True)
        >>> w.grad = autograd.tensor([0.5])
        >>> float(clip_grad_norm_([w], 1.0)), w.grad.tolist()
        (0.5, [0.5])
    """
    from optim.clip import clip_grad_norm_ as impl

    return impl(parameters, max_norm, norm_type=norm_type, error_if_nonfinite=error_if_nonfinite,
                foreach=foreach)


def clip_grad_norm(parameters: Any, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Any:
    """Deprecated alias of :func:`clip_grad_norm_` (as in PyTorch).

    Example:
        >>> import autograd
        >>> from autograd.nn.utils import clip_grad_norm
        >>> w = autograd.tensor([1.0], requires_grad=True)
        >>> w.grad = autograd.tensor([2.0])
        >>> float(clip_grad_norm([w], 1.0))
        2.0
    """
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: Any, clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient of ``parameters`` to [-clip_value, clip_value] in place.

    Example:
        >>> import autograd
        >>> from autograd.nn.utils import clip_grad_value_
        >>> w = autograd.tensor([1.0, 1.0], requires_grad=True)
        >>> w.grad = autograd.tensor([-3.0, 0.5])
        >>> clip_grad_value_([w], 1.0)
        >>> w.grad.tolist()
        [-1.0, 0.5]
    """
    from optim.clip import clip_grad_value_ as impl

    impl(parameters, clip_value, foreach=foreach)


def get_total_norm(tensors: Any, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: bool | None = None) -> Any:
    """The norm of the norms of ``tensors``, as if they were concatenated.

    Example:
        >>> import autograd
        >>> from autograd.nn.utils import get_total_norm
        >>> float(get_total_norm([autograd.tensor([3.0]), autograd.tensor([4.0])]))
        5.0
    """
    from optim.clip import get_total_norm as impl

    return impl(tensors, norm_type, error_if_nonfinite, foreach)


def clip_grads_with_norm_(parameters: Any, max_norm: float, total_norm: Any,
                          foreach: bool | None = None) -> None:
    """Scale gradients by ``max_norm / (total_norm + 1e-6)`` when that is below 1.

    Example:
        >>> import autograd
        >>> from autograd.nn.utils import clip_grads_with_norm_
        >>> w = autograd.tensor([1.0], requires_grad=True)
        >>> w.grad = autograd.tensor([4.0])
        >>> clip_grads_with_norm_([w], 1.0, 4.0)
        >>> round(w.grad.item(), 4)
        1.0
    """
    from optim.clip import clip_grads_with_norm_ as impl

    impl(parameters, max_norm, total_norm, foreach)
