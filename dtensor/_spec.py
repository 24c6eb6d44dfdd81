"""DTensorSpec: mesh + placements + global shape/stride/dtype, and the layout arithmetic
(local shapes and offsets, uneven chunks, nested shards) everything else builds on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .device_mesh import DeviceMesh
from .placement import Partial, Placement, Replicate, Shard, chunk_offsets, chunk_sizes

__all__ = ["TensorMeta", "DTensorSpec", "normalize_placements", "contiguous_stride",
           "local_shape_and_offset", "split_size", "is_nested", "grad_placements",
           "fmt_placements"]


def contiguous_stride(shape: Sequence[int]) -> tuple[int, ...]:
    stride = []
    acc = 1
    for s in reversed(shape):
        stride.append(acc)
        acc *= max(int(s), 1)
    return tuple(reversed(stride))


@dataclass(frozen=True)
class TensorMeta:
    shape: tuple[int, ...]
    stride: tuple[int, ...]
    dtype: Any


@dataclass(frozen=True)
class DTensorSpec:
    mesh: DeviceMesh
    placements: tuple[Placement, ...]
    tensor_meta: TensorMeta

    @property
    def shape(self) -> tuple[int, ...]:
        return self.tensor_meta.shape

    @property
    def stride(self) -> tuple[int, ...]:
        return self.tensor_meta.stride

    @property
    def ndim(self) -> int:
        return len(self.tensor_meta.shape)

    def local_shape_and_offset(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        return local_shape_and_offset(self.shape, self.mesh, self.placements)

    def with_placements(self, placements: Sequence[Placement]) -> DTensorSpec:
        return DTensorSpec(self.mesh, tuple(placements), self.tensor_meta)


def fmt_placements(placements: Sequence[Placement]) -> str:
    return "(" + ", ".join(repr(p) for p in placements) + ("," if len(placements) == 1 else "") + ")"


def normalize_placements(placements: Sequence[Placement] | None, mesh: DeviceMesh, ndim: int,
                         what: str) -> tuple[Placement, ...]:
    """Placements checked against the mesh and the tensor rank; negative shard dims made
    positive; None means Replicate on every mesh dimension."""
    if placements is None:
        return tuple(Replicate() for _ in range(mesh.ndim))
    if isinstance(placements, Placement):
        raise TypeError(
            f"{what}: placements must be a sequence with one Placement per mesh dimension, "
            f"got a single {placements!r}; write [{placements!r}]"
        )
    out = []
    for p in placements:
        if not isinstance(p, Placement):
            raise TypeError(f"{what}: placements must be Shard/Replicate/Partial, got {p!r}")
        if isinstance(p, Shard):
            d = p.dim + ndim if p.dim < 0 else p.dim
            if not 0 <= d < ndim:
                raise IndexError(
                    f"{what}: {p!r} is out of range for a tensor with {ndim} dimensions"
                )
            p = Shard(d)
        out.append(p)
    if len(out) != mesh.ndim:
        raise ValueError(
            f"{what}: got {len(out)} placements {fmt_placements(out)} for a mesh with "
            f"{mesh.ndim} dimensions ({mesh}); give one placement per mesh dimension"
        )
    return tuple(out)


def local_shape_and_offset(shape: Sequence[int], mesh: DeviceMesh, placements: Sequence[Placement],
                           coordinate: Sequence[int] | None = None
                           ) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """This rank's local shape and its offset in the global tensor. Mesh dimensions
    shard in order: a later mesh dimension splits the chunk an earlier one left."""
    coord = mesh.get_coordinate() if coordinate is None else list(coordinate)
    size = [int(s) for s in shape]
    offset = [0] * len(size)
    if coord is None:
        return tuple(0 for _ in size), tuple(offset)
    for m, p in enumerate(placements):
        if isinstance(p, Shard):
            n = mesh.size(m)
            offset[p.dim] += chunk_offsets(size[p.dim], n)[coord[m]]
            size[p.dim] = chunk_sizes(size[p.dim], n)[coord[m]]
    return tuple(size), tuple(offset)


def split_size(shape: Sequence[int], mesh: DeviceMesh, placements: Sequence[Placement],
               mesh_dim: int, dim: int) -> int:
    """Length of tensor dimension ``dim`` just before mesh dimension ``mesh_dim`` splits
    it (the same on every rank of that mesh dimension's group)."""
    coord = mesh.get_coordinate()
    size = int(shape[dim])
    for m in range(mesh_dim):
        if placements[m] == Shard(dim):
            size = chunk_sizes(size, mesh.size(m))[coord[m]]
    return size


def is_nested(placements: Sequence[Placement]) -> bool:
    """Whether a tensor dimension is sharded by more than one mesh dimension."""
    dims = [p.dim for p in placements if isinstance(p, Shard)]
    return len(dims) != len(set(dims))


def grad_placements(placements: Sequence[Placement]) -> tuple[Placement, ...]:
    """The placements of a gradient: a Partial value's gradient is Replicate (the same
    guarantee as ``torch.distributed.tensor``)."""
    return tuple(Replicate() if isinstance(p, Partial) else p for p in placements)
