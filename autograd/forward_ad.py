"""Forward-mode AD with dual tensors (``torch.autograd.forward_ad``).

Inside a ``dual_level``, a dual tensor carries a tangent; every op propagates it with
its jvp rule as the op runs, so one forward pass gives a Jacobian-vector product.

Example:
    >>> import autograd
    >>> import autograd.forward_ad as fwAD
    >>> x = autograd.tensor([1.0, 2.0])
    >>> with fwAD.dual_level():
    ...     d = fwAD.make_dual(x, autograd.tensor([1.0, 0.0]))
    ...     y = d * d
    ...     fwAD.unpack_dual(y).tangent
    tensor([2., 0.])
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

from .function import fw_state
from .tensor import Tensor

__all__ = ["dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual",
           "UnpackedDualTensor"]

_ids = itertools.count()


class UnpackedDualTensor(NamedTuple):
    primal: Tensor
    tangent: Tensor | None


def enter_dual_level() -> int:
    """Open a new (innermost) forward-AD level and return its index."""
    fw_state.ids.append(next(_ids))
    fw_state.level = len(fw_state.ids) - 1
    return fw_state.level


def exit_dual_level(*, level: int | None = None) -> None:
    """Close the innermost level; its tangents are no longer visible anywhere."""
    if not fw_state.ids:
        raise RuntimeError("exit_dual_level: no forward-AD level is active")
    if level is not None and level != fw_state.level:
        raise RuntimeError(
            f"Trying to exit a forward AD level ({level}) that is not the innermost one "
            f"({fw_state.level}); exit levels in reverse order of entering them"
        )
    fw_state.ids.pop()
    fw_state.level = len(fw_state.ids) - 1


class dual_level:
    """Context manager for a forward-AD level (nestable)."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: object) -> None:
        exit_dual_level()


def _key(level: int | None) -> int:
    if not fw_state.ids:
        raise RuntimeError(
            "Trying to create a dual Tensor for forward AD but no level exists, make sure to "
            "enter_dual_level() first (or use `with forward_ad.dual_level():`)."
        )
    level = fw_state.level if level is None else level
    if not 0 <= level < len(fw_state.ids):
        raise RuntimeError(f"forward AD level {level} is not active")
    return fw_state.ids[level]


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A view of ``tensor`` carrying ``tangent`` at ``level`` (the innermost by default).

    Reverse-mode gradients still flow to ``tensor`` through the returned view.
    """
    key = _key(level)
    if not isinstance(tangent, Tensor):
        raise TypeError(f"make_dual: tangent must be a Tensor, got {type(tangent).__name__}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(
            f"Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size {list(tensor.shape)} "
            f"while the given forward gradient is of size {list(tangent.shape)}."
        )
    if tensor._data.dtype.kind not in "fc":
        raise ValueError(
            f"Expected primal to be floating point or complex, but got: {tensor.dtype}"
        )
    if tangent.dtype != tensor.dtype:
        tangent = tangent.to(tensor.dtype)
    from .ops.shape import Reshape

    saved = fw_state.level
    fw_state.level = -1  # the alias itself must not pick up tangents of `tensor`
    try:
        out = Reshape.apply(tensor, tensor.shape)
    finally:
        fw_state.level = saved
    fw = dict(tensor._fw) if tensor._fw else {}
    fw[key] = tangent
    out._fw = fw
    return out


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of a dual tensor; tangent is None outside its level."""
    if not fw_state.ids:
        return UnpackedDualTensor(tensor, None)
    key = _key(level)
    tangent = tensor._fw.get(key) if tensor._fw else None
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    from .ops.shape import Reshape

    saved = fw_state.level
    fw_state.level = -1
    try:
        primal = Reshape.apply(tensor, tensor.shape)
    finally:
        fw_state.level = saved
    rest = {k: v for k, v in tensor._fw.items() if k != key}
    primal._fw = rest or None
    return UnpackedDualTensor(primal, tangent)
