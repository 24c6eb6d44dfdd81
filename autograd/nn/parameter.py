"""``Parameter`` (a leaf tensor a Module registers and optimizes) and ``Buffer`` (a marker
that makes an attribute assignment register a buffer), as in ``torch.nn``.

Example:
    >>> import autograd
    >>> from autograd import nn
    >>> p = nn.Parameter(autograd.zeros(2))
    >>> p.requires_grad, p.is_leaf
    (True, True)
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..tensor import Tensor

__all__ = ["Parameter", "Buffer"]


def _adopt(t: Tensor, data: Any, what: str) -> None:
    """Make ``t`` a fresh leaf sharing ``data``'s memory and version counter."""
    if data is None:
        from ..creation import empty

        data = empty(0)
    if not isinstance(data, Tensor):
        from ..creation import tensor as _tensor

        data = _tensor(data)
    t._data = data._data
    t._rg = False
    t.grad_fn = None
    t._output_nr = 0
    t._vc = data._vc
    t._base = None


class Parameter(Tensor):
    """A Tensor that is a Module parameter: assigning it to a Module attribute registers
    it, and it shows up in ``parameters()``. It is a leaf that requires grad by default
    and shares memory with the tensor it wraps.

    Example:
        >>> import autograd
        >>> from autograd import nn
        >>> nn.Parameter(autograd.tensor([1.0, 2.0]))
        Parameter containing:
        tensor([1., 2.], requires_grad=True)
    """

    _is_param = True

    def __new__(cls, data: Any = None, requires_grad: bool = True) -> Parameter:
        return object.__new__(cls)

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        _adopt(self, data, "Parameter")
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol: int) -> Any:
        return (_rebuild_parameter,
                (backend.to_device(self._data, backend.CPU), str(self.device), self._rg))


def _rebuild_parameter(array: Any, device: str, requires_grad: bool) -> Parameter:
    from ..tensor import _wrap

    return Parameter(_wrap(backend.to_device(array, backend.device(device))), requires_grad)


class Buffer(Tensor):
    """A marker: ``module.name = Buffer(t, persistent=True)`` registers ``t`` as a
    buffer (like ``register_buffer``); the module stores a plain tensor.

    Example:
        >>> import autograd
        >>> from autograd import nn
        >>> m = nn.Module()
        >>> m.running = nn.Buffer(autograd.zeros(2))
        >>> [name for name, _ in m.named_buffers()]
        ['running']
    """

    def __new__(cls, data: Any = None, *, persistent: bool = True) -> Buffer:
        return object.__new__(cls)

    def __init__(self, data: Any = None, *, persistent: bool = True) -> None:
        _adopt(self, data, "Buffer")
        self.persistent = bool(persistent)

