"""Flatten parameters into one vector and back (mirrors
``torch.nn.utils.parameters_to_vector`` / ``vector_to_parameters``).

Example:
    >>> import autograd
    >>> from autograd.nn.utils import parameters_to_vector
    >>> parameters_to_vector([autograd.ones(2, 2), autograd.zeros(1)]).tolist()
    [1.0, 1.0, 1.0, 1.0, 0.0]
"""

from __future__ import annotations

from collections.abc import Iterable

from ...grad_mode import no_grad
from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_same_device(param: Tensor, device: object) -> object:
    if device is None:
        return param.device
    if param.device != device:
        raise TypeError(
            f"Found two parameters on different devices, this is currently not supported "
            f"({device} and {param.device}); move them to one device first"
        )
    return device


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """One 1-D tensor holding every parameter, flattened in order (differentiable).

    Example:
        >>> import autograd
        >>> from autograd.nn.utils import parameters_to_vector
        >>> parameters_to_vector([autograd.tensor([[1.0, 2.0]]), autograd.tensor([3.0])]).tolist()
        [1.0, 2.0, 3.0]
    """
    from ...ops import shape

    if isinstance(parameters, Tensor):
        raise TypeError(f"expected an iterable of Tensors, but got {type(parameters).__name__}")
    device = None
    flat = []
    for p in parameters:
        device = _check_same_device(p, device)
        flat.append(p.reshape(-1))
    if not flat:
        raise RuntimeError("parameters_to_vector: expected at least one parameter, got none")
    return shape.cat(flat) if len(flat) > 1 else flat[0]


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into each parameter, in order
    (parameters keep their identity; their data is replaced in place).

    Example:
        >>> import autograd
        >>> from autograd.nn.utils import vector_to_parameters
        >>> a, b = autograd.zeros(2), autograd.zeros(1)
        >>> vector_to_parameters(autograd.tensor([1.0, 2.0, 3.0]), [a, b])
        >>> a.tolist(), b.tolist()
        ([1.0, 2.0], [3.0])
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    if vec.ndim != 1:
        raise RuntimeError(f"vector_to_parameters: vec must be 1-D, got shape {list(vec.shape)}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if total != vec.numel():
        raise RuntimeError(
            f"vector_to_parameters: vec has {vec.numel()} elements but the parameters hold "
            f"{total}"
        )
    device = None
    pointer = 0
    with no_grad():
        for p in params:
            device = _check_same_device(p, device)
            n = p.numel()
            p.copy_(vec[pointer:pointer + n].reshape(p.shape))
            pointer += n
