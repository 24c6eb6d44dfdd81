"""Graph-level tools (``torch.autograd.graph``): hooks on what ops save for backward.

``saved_tensors_hooks(pack, unpack)`` intercepts every tensor an op saves while the
context is active: ``pack(tensor)`` returns what is stored instead, ``unpack(stored)``
gives the tensor back when backward needs it. Activation checkpointing and CPU
offloading (``save_on_cpu``) are built on it.

Example:
    >>> import autograd
    >>> from autograd.graph import saved_tensors_hooks
    >>> packed = []
    >>> x = autograd.ones(3, requires_grad=True)
    >>> with saved_tensors_hooks(lambda t: packed.append(t) or len(packed) - 1,
    ...                          lambda i: packed[i]):
    ...     y = (x * x).sum()
    >>> y.backward()
    >>> x.grad.tolist(), len(packed)
    ([2.0, 2.0, 2.0], 2)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import backend
from .function import Node, saved_hooks
from .tensor import Tensor, _wrap

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks", "Node"]


class saved_tensors_hooks:
    """Context manager installing a (pack, unpack) pair for tensors saved for backward.

    Hooks nest: the innermost pair applies.
    """

    def __init__(self, pack_hook: Callable[[Tensor], Any], unpack_hook: Callable[[Any], Tensor]) -> None:
        self.pair = (pack_hook, unpack_hook)

    def __enter__(self) -> saved_tensors_hooks:
        if saved_hooks.disabled is not None:
            raise RuntimeError(saved_hooks.disabled)
        saved_hooks.stack.append(self.pair)
        return self

    def __exit__(self, *exc: object) -> None:
        saved_hooks.stack.pop()


class save_on_cpu(saved_tensors_hooks):
    """Keep tensors saved for backward in host memory; move them back to their device
    when backward needs them (trades transfer time for GPU memory)."""

    def __init__(self, pin_memory: bool = False) -> None:
        def pack(t: Tensor) -> Any:
            if t.device.type == "cpu":
                return t  # already in host memory: keep the tensor (and its graph)
            return (t.device, backend.to_device(t._data, backend.CPU), t._rg)

        def unpack(packed: Any) -> Tensor:
            if isinstance(packed, Tensor):
                return packed
            dev, host, requires_grad = packed
            return _wrap(backend.to_device(host, dev), requires_grad)

        super().__init__(pack, unpack)


class disable_saved_tensors_hooks:
    """Within this context, installing saved-tensor hooks raises ``error_message``."""

    def __init__(self, error_message: str) -> None:
        self.message = error_message

    def __enter__(self) -> None:
        self.prev = saved_hooks.disabled
        saved_hooks.disabled = self.message

    def __exit__(self, *exc: object) -> None:
        saved_hooks.disabled = self.prev
