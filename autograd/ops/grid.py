"""Helpers over several tensors at once: broadcasting them together, coordinate grids
(meshgrid) and the ``atleast_nd`` views. All results are views of their inputs.

Example:
    >>> import autograd
    >>> a, b = autograd.broadcast_tensors(autograd.zeros(2, 1), autograd.ones(3))
    >>> a.shape, autograd.atleast_2d(autograd.tensor(1.0)).shape
    ((2, 3), (1, 1))
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .shape import Reshape, broadcast_shapes, broadcast_to

__all__ = ["broadcast_tensors", "meshgrid", "atleast_1d", "atleast_2d", "atleast_3d"]


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """Expand tensors to their common broadcast shape (views).

    Example:
        >>> import autograd
        >>> a, b = autograd.broadcast_tensors(autograd.zeros(2, 1), autograd.zeros(3))
        >>> a.shape, b.shape
        ((2, 3), (2, 3))
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*(t._data.shape for t in tensors))
    return tuple(broadcast_to(t, shape) for t in tensors)


# ----------------------------------------------------------------------------- atleast_nd


def _atleast(tensors: tuple, nd: int) -> Any:
    many = len(tensors) != 1 or isinstance(tensors[0], (list, tuple))
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    outs = []
    for t in tensors:
        shape = t._data.shape
        if len(shape) >= nd:
            outs.append(t)
            continue
        if len(shape) == 0:
            new = (1,) * nd
        elif len(shape) == 1:
            new = (1, shape[0], 1)[:nd] if nd == 3 else (1, shape[0])
        else:  # 2-D to 3-D
            new = shape + (1,)
        outs.append(Reshape.apply(t, new))
    return tuple(outs) if many else outs[0]


def atleast_1d(*tensors: Any) -> Any:
    """View 0-d tensors as 1-d (others unchanged); a tuple for several inputs.

    Example:
        >>> import autograd
        >>> autograd.atleast_1d(autograd.tensor(1.0)).shape
        (1,)
    """
    return _atleast(tensors, 1)


def atleast_2d(*tensors: Any) -> Any:
    """View tensors with fewer than 2 dims as 2-d (a 1-d ``(n,)`` becomes ``(1, n)``).

    Example:
        >>> import autograd
        >>> autograd.atleast_2d(autograd.zeros(3)).shape
        (1, 3)
    """
    return _atleast(tensors, 2)


def atleast_3d(*tensors: Any) -> Any:
    """View tensors with fewer than 3 dims as 3-d (``(n,)`` -> ``(1, n, 1)``, ``(m, n)``
    -> ``(m, n, 1)``).

    Example:
        >>> import autograd
        >>> autograd.atleast_3d(autograd.zeros(2, 3)).shape
        (2, 3, 1)
    """
    return _atleast(tensors, 3)


# ----------------------------------------------------------------------------- meshgrid


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors (expanded views); ``indexing='ij'`` (matrix,
    the default) or ``'xy'`` (Cartesian: the first two output dims are swapped).

    Example:
        >>> import autograd
        >>> gx, gy = autograd.meshgrid(autograd.arange(3), autograd.arange(2), indexing="ij")
        >>> gx.shape, gy.tolist()
        ((3, 2), [[0, 1], [0, 1], [0, 1]])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if t._data.ndim > 1:
            raise RuntimeError(
                f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got a tensor "
                f"of shape {list(t.shape)} at position {i}"
            )
        if t._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError(
                f"meshgrid expects all tensors to have the same dtype, got {tensors[0].dtype} "
                f"at position 0 and {t.dtype} at position {i}"
            )
    sizes = [t._data.size for t in tensors]
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(tensors)
    for t_i, ax in enumerate(axes):
        shape[ax] = sizes[t_i]
    outs = []
    for t_i, t in enumerate(tensors):
        lined = [1] * len(shape)
        lined[axes[t_i]] = sizes[t_i]
        outs.append(broadcast_to(Reshape.apply(t, tuple(lined)), tuple(shape)))
    return tuple(outs)
