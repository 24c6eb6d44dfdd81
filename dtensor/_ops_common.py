"""Shared machinery of the sharding rules: argument checks, building output DTensors,
moving operands to the placements a rule needs, and the gradient sync of Replicate
operands feeding sharded or partial results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import autograd
from autograd.tensor import Tensor

from ._spec import (
    DTensorSpec,
    TensorMeta,
    contiguous_stride,
    fmt_placements,
    local_shape_and_offset,
)
from .device_mesh import DeviceMesh
from .dtensor import DTensor
from .placement import Partial, Placement, Replicate, Shard
from .redistribute import grad_sync, redistribute_local

__all__ = ["no_rule_error", "check_args", "make", "operand", "norm_dim", "broadcast_shape",
           "R", "P", "S"]

R = Replicate()


def P(op: str = "sum") -> Partial:
    return Partial(op)


def S(dim: int) -> Shard:
    return Shard(dim)


def no_rule_error(op: str, placements: Sequence[Sequence[Placement]]) -> RuntimeError:
    shown = ", ".join(fmt_placements(p) for p in placements)
    return RuntimeError(
        f"dtensor: operator '{op}' has no sharding rule (input placements {shown}). The ops "
        "with rules are listed in dtensor.ops.__all__; for others, compute on the whole "
        "tensor (x.full_tensor(), or redistribute to Replicate) or on this rank's shard "
        "(x.to_local()) and build a DTensor from the result with DTensor.from_local"
    )


def check_args(op: str, args: Sequence[Any]) -> DeviceMesh:
    """The common mesh of the DTensor arguments; plain Tensors (other than 0-d ones) are
    refused, as torch refuses mixing Tensor and DTensor."""
    mesh = None
    for a in args:
        if isinstance(a, DTensor):
            if mesh is None:
                mesh = a.device_mesh
            elif a.device_mesh != mesh:
                raise RuntimeError(
                    f"{op}: DTensor arguments live on different meshes ({mesh} and "
                    f"{a.device_mesh}); redistribute them onto one mesh first"
                )
        elif isinstance(a, Tensor) and a.ndim > 0:
            raise RuntimeError(
                f"{op}: got mixed Tensor and DTensor arguments (a Tensor of shape "
                f"{list(a.shape)}); convert every Tensor to a DTensor first with "
                "distribute_tensor or DTensor.from_local"
            )
    if mesh is None:
        raise TypeError(f"{op}: expected at least one DTensor argument")
    return mesh


def as_dtensor(a: Any, mesh: DeviceMesh) -> Any:
    """0-d plain Tensors become Replicate DTensors; other values pass through."""
    if isinstance(a, Tensor):
        return DTensor.from_local(a, mesh, [R] * mesh.ndim)
    return a


def operand(x: DTensor, req: Sequence[Placement], out: Sequence[Placement]) -> Tensor:
    """``x``'s local tensor redistributed to ``req``; where it stays Replicate but the
    result is sharded or partial, its gradient is summed over that mesh dimension."""
    mesh = x.device_mesh
    local = redistribute_local(x._local_tensor, mesh, x.placements, tuple(req), x.shape)
    sync = [m for m in range(mesh.ndim) if req[m].is_replicate() and not out[m].is_replicate()]
    return grad_sync(local, mesh, sync) if sync else local


def make(op: str, local: Tensor, mesh: DeviceMesh, placements: Sequence[Placement],
         shape: Sequence[int]) -> DTensor:
    shape = tuple(int(s) for s in shape)
    spec = DTensorSpec(mesh, tuple(placements), TensorMeta(shape, contiguous_stride(shape), local.dtype))
    expect, _ = local_shape_and_offset(shape, mesh, spec.placements)
    if tuple(local.shape) != expect:
        raise RuntimeError(
            f"dtensor internal error in {op}: local result {list(local.shape)} does not match "
            f"global {list(shape)} with placements {fmt_placements(spec.placements)} "
            f"(expected {list(expect)})"
        )
    return DTensor(local, spec)


def norm_dim(op: str, dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


def broadcast_shape(op: str, shapes: Sequence[Sequence[int]]) -> tuple[int, ...]:
    try:
        return tuple(autograd.backend.numpy.broadcast_shapes(*[tuple(s) for s in shapes]))
    except ValueError:
        raise RuntimeError(
            f"{op}: shapes {[list(s) for s in shapes]} cannot be broadcast together"
        ) from None
