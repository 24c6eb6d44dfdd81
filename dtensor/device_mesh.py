"""DeviceMesh: ranks arranged in an n-dimensional array, with one process group per
mesh dimension (mirrors ``torch.distributed.device_mesh``).

Rank r's group along mesh dimension m holds the ranks that share r's coordinates on
every other dimension, in mesh order (so a rank's position in the group is its
coordinate on m). Building a mesh is collective: every rank of the default group
calls it with the same arguments.

Example:
    >>> import parallel
    >>> from dtensor import init_device_mesh
    >>> def work(rank):
    ...     parallel.init_process_group("threads")
    ...     mesh = init_device_mesh("cpu", (2, 2), mesh_dim_names=("dp", "tp"))
    ...     return mesh.get_coordinate(), mesh["tp"].mesh.tolist()
    >>> parallel.spawn(work, nprocs=4)[3]
    ([1, 1], [2, 3])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import autograd
import parallel
from autograd import backend
from parallel import ProcessGroup

__all__ = ["DeviceMesh", "init_device_mesh"]

_np = backend.numpy


def _as_rank_array(mesh: Any) -> Any:
    if isinstance(mesh, autograd.Tensor):
        mesh = backend.to_device(mesh.detach()._data, backend.CPU)
    arr = _np.asarray(mesh)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"DeviceMesh: mesh must hold integer ranks, got dtype {arr.dtype}")
    arr = arr.astype(_np.int64)
    if arr.ndim == 0:
        raise ValueError("DeviceMesh: mesh must have at least one dimension, got a scalar")
    flat = arr.reshape(-1).tolist()
    if len(set(flat)) != len(flat):
        raise ValueError(f"DeviceMesh: mesh {arr.tolist()} lists a rank more than once")
    return arr


class DeviceMesh:
    """A mesh of ranks for DTensor placements.

    Args:
        device_type: ``"cpu"`` or ``"cuda"``: where local tensors live.
        mesh: nested lists (or an integer array/Tensor) of global ranks; its shape is the
            mesh shape.
        mesh_dim_names: optional names of the dimensions, for ``mesh["name"]`` slicing.

    Example:
        >>> import parallel
        >>> from dtensor import DeviceMesh
        >>> parallel.init_process_group()
        >>> DeviceMesh("cpu", [0])
        DeviceMesh('cpu', [0])
        >>> parallel.destroy_process_group()
    """

    def __init__(self, device_type: str, mesh: Any, *,
                 mesh_dim_names: tuple[str, ...] | None = None,
                 _init_backend: bool = True) -> None:
        self.device_type = str(device_type)
        if self.device_type.split(":")[0] not in ("cpu", "cuda"):
            raise ValueError(f"DeviceMesh: device_type must be 'cpu' or 'cuda', got {device_type!r}")
        self._ranks = _as_rank_array(mesh)
        if mesh_dim_names is not None:
            mesh_dim_names = tuple(mesh_dim_names)
            if len(mesh_dim_names) != self._ranks.ndim:
                raise ValueError(
                    f"DeviceMesh: mesh_dim_names {mesh_dim_names} must name all "
                    f"{self._ranks.ndim} mesh dimensions (mesh shape {tuple(self._ranks.shape)})"
                )
            if len(set(mesh_dim_names)) != len(mesh_dim_names):
                raise ValueError(f"DeviceMesh: mesh_dim_names must be unique, got {mesh_dim_names}")
        self.mesh_dim_names = mesh_dim_names
        self._groups: list[ProcessGroup | None] = []
        self._coordinate: list[int] | None = None
        if _init_backend:
            self._init_groups()

    # ------------------------------------------------------------------ setup
    def _init_groups(self) -> None:
        if not parallel.is_initialized():
            parallel.init_process_group()
        world = parallel.default_group()
        me = world.rank()
        flat = self._ranks.reshape(-1).tolist()
        bad = [r for r in flat if not 0 <= r < world.size()]
        if bad:
            raise ValueError(
                f"DeviceMesh: ranks {bad} are outside the world of size {world.size()} "
                f"(mesh {self._ranks.tolist()})"
            )
        where = _np.argwhere(self._ranks == me)
        self._coordinate = [int(c) for c in where[0]] if len(where) else None
        self._groups = []
        for m in range(self._ranks.ndim):
            rows = _np.moveaxis(self._ranks, m, -1).reshape(-1, self._ranks.shape[m]).tolist()
            mine: ProcessGroup | None = None
            for row in rows:
                if row == list(range(world.size())):
                    group: ProcessGroup | None = world  # the whole world in order: no split
                else:
                    comm = world.comm.split(row)  # collective over the world
                    group = None if comm is None else ProcessGroup(
                        comm, row, world.backend, world.local_rank)
                if me in row:
                    mine = group
            self._groups.append(mine)

    @classmethod
    def _submesh(cls, parent: DeviceMesh, dims: list[int]) -> DeviceMesh:
        coord = parent._coordinate
        if coord is None:
            raise RuntimeError(
                f"cannot slice {parent}: this rank ({parent.get_rank()}) is not part of the mesh"
            )
        index = tuple(slice(None) if d in dims else coord[d] for d in range(parent.ndim))
        ranks = parent._ranks[index]
        # the kept dims appear in parent order in `ranks`; reorder as requested
        kept = sorted(dims)
        ranks = _np.transpose(ranks, [kept.index(d) for d in dims]) if len(dims) > 1 else ranks
        names = None
        if parent.mesh_dim_names is not None:
            names = tuple(parent.mesh_dim_names[d] for d in dims)
        sub = cls(parent.device_type, ranks, mesh_dim_names=names, _init_backend=False)
        sub._groups = [parent._groups[d] for d in dims]
        sub._coordinate = [coord[d] for d in dims]
        return sub

    # ------------------------------------------------------------------ queries
    @property
    def mesh(self) -> autograd.Tensor:
        """The global ranks as an int64 tensor of the mesh's shape."""
        return autograd.tensor(self._ranks.copy())

    @property
    def ndim(self) -> int:
        return int(self._ranks.ndim)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(s) for s in self._ranks.shape)

    def _dim(self, mesh_dim: int | str | None, what: str) -> int:
        if mesh_dim is None:
            if self.ndim != 1:
                raise RuntimeError(
                    f"DeviceMesh.{what}: this mesh has {self.ndim} dimensions "
                    f"(shape {self.shape}); pass mesh_dim (an index or a name)"
                )
            return 0
        if isinstance(mesh_dim, str):
            if self.mesh_dim_names is None or mesh_dim not in self.mesh_dim_names:
                raise KeyError(
                    f"DeviceMesh.{what}: mesh dimension {mesh_dim!r} not found; the mesh's "
                    f"dimension names are {self.mesh_dim_names}"
                )
            return self.mesh_dim_names.index(mesh_dim)
        m = int(mesh_dim)
        if not -self.ndim <= m < self.ndim:
            raise IndexError(
                f"DeviceMesh.{what}: mesh_dim {mesh_dim} is out of range for a mesh with "
                f"{self.ndim} dimensions"
            )
        return m % self.ndim

    def size(self, mesh_dim: int | str | None = None) -> int:
        """Number of ranks along ``mesh_dim`` (all ranks when None)."""
        if mesh_dim is None:
            return int(self._ranks.size)
        return self.shape[self._dim(mesh_dim, "size")]

    def get_group(self, mesh_dim: int | str | None = None) -> ProcessGroup:
        """This rank's process group along ``mesh_dim``."""
        m = self._dim(mesh_dim, "get_group")
        group = self._groups[m] if self._groups else None
        if group is None:
            raise RuntimeError(
                f"DeviceMesh.get_group: rank {self.get_rank()} is not part of {self}"
            )
        return group

    def get_all_groups(self) -> list[ProcessGroup]:
        return [self.get_group(m) for m in range(self.ndim)]

    def get_rank(self) -> int:
        """This process's global rank."""
        return parallel.get_rank()

    def get_local_rank(self, mesh_dim: int | str | None = None) -> int:
        """This rank's coordinate along ``mesh_dim``."""
        m = self._dim(mesh_dim, "get_local_rank")
        coord = self.get_coordinate()
        if coord is None:
            raise RuntimeError(f"DeviceMesh.get_local_rank: rank {self.get_rank()} is not part of {self}")
        return coord[m]

    def get_coordinate(self) -> list[int] | None:
        """This rank's coordinates in the mesh (None when it is not part of it)."""
        return None if self._coordinate is None else list(self._coordinate)

    def _comm(self, mesh_dim: int) -> Any:
        return self.get_group(mesh_dim).comm

    def __getitem__(self, names: str | Sequence[str]) -> DeviceMesh:
        """The sub-mesh of the named dimension(s) that contains this rank; it reuses the
        parent's process groups (no communication)."""
        if isinstance(names, str):
            names = (names,)
        names = tuple(names)
        if self.mesh_dim_names is None:
            raise RuntimeError(
                "Cannot slice a DeviceMesh without mesh_dim_names; create it with "
                "init_device_mesh(..., mesh_dim_names=(...))"
            )
        dims = []
        for name in names:
            if name not in self.mesh_dim_names:
                raise KeyError(
                    f"Invalid mesh_dim_name {name!r} specified; the mesh's dimension names are "
                    f"{self.mesh_dim_names}"
                )
            dims.append(self.mesh_dim_names.index(name))
        if len(set(dims)) != len(dims):
            raise KeyError(f"DeviceMesh: dimension names {names} repeat a dimension")
        if dims == list(range(self.ndim)):
            return self
        return DeviceMesh._submesh(self, dims)

    # ------------------------------------------------------------------ identity
    def _key(self) -> tuple:
        return (self.device_type.split(":")[0], tuple(self._ranks.reshape(-1).tolist()),
                self.shape, self.mesh_dim_names)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return isinstance(other, DeviceMesh) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        names = "" if self.mesh_dim_names is None else f", mesh_dim_names={self.mesh_dim_names}"
        return f"DeviceMesh('{self.device_type}', {self._ranks.tolist()}{names})"


def init_device_mesh(device_type: str, mesh_shape: Sequence[int], *,
                     mesh_dim_names: Sequence[str] | None = None) -> DeviceMesh:
    """A mesh of all ranks (in order) with shape ``mesh_shape``; initialises the default
    process group when needed.

    Example:
        >>> import parallel
        >>> from dtensor import init_device_mesh
        >>> mesh = init_device_mesh("cpu", (1,), mesh_dim_names=("tp",))
        >>> mesh.size(), mesh.get_local_rank("tp")
        (1, 0)
        >>> parallel.destroy_process_group()
    """
    shape = tuple(int(s) for s in mesh_shape)
    if not shape or any(s < 1 for s in shape):
        raise ValueError(f"init_device_mesh: mesh_shape must be positive sizes, got {tuple(mesh_shape)}")
    if not parallel.is_initialized():
        parallel.init_process_group()
    world = parallel.get_world_size()
    if math.prod(shape) != world:
        raise RuntimeError(
            f"init_device_mesh: mesh_shape {shape} holds {math.prod(shape)} ranks but the world "
            f"has {world}; choose a shape whose product is the world size"
        )
    ranks = _np.arange(world, dtype=_np.int64).reshape(shape)
    return DeviceMesh(device_type, ranks,
                      mesh_dim_names=None if mesh_dim_names is None else tuple(mesh_dim_names))
