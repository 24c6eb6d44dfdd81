"""DTensor: a logical tensor laid out over a DeviceMesh (mirrors
``torch.distributed.tensor.DTensor``).

A DTensor is this rank's local autograd Tensor plus a spec (mesh, one placement per mesh
dimension, global shape/stride/dtype). Autograd runs on the local tensors: every op on
DTensors (see ``dtensor.ops``) computes on local tensors with differentiable
redistributions where needed, so ``backward`` gives each rank the local part of the
logical gradient. ``.grad`` is a DTensor with the same placements, except that a
Partial value's gradient is Replicate.

There is no operator dispatch in ``autograd``: a DTensor is not a ``Tensor``, and
``autograd``/``nn.functional`` functions do not accept one. Use DTensor methods
(``x @ w``, ``x.sum()``, ``x.softmax(-1)`` …) and ``dtensor.ops``; call ``to_local()`` or
``full_tensor()`` to leave the DTensor world.

Example:
    >>> import autograd, parallel
    >>> from dtensor import init_device_mesh, distribute_tensor, Shard
    >>> def work(rank):
    ...     parallel.init_process_group("threads")
    ...     mesh = init_device_mesh("cpu", (2,))
    ...     x = distribute_tensor(autograd.arange(6.0).reshape(3, 2), mesh, [Shard(0)])
    ...     return x.to_local().tolist(), x.full_tensor().sum().item()
    >>> parallel.spawn(work, nprocs=2)
    [([[0.0, 1.0], [2.0, 3.0]], 15.0), ([[4.0, 5.0]], 15.0)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import autograd
from autograd import backend
from autograd.function import Op
from autograd.tensor import Tensor

from ._spec import (
    DTensorSpec,
    TensorMeta,
    contiguous_stride,
    fmt_placements,
    grad_placements,
    local_shape_and_offset,
    normalize_placements,
)
from .device_mesh import DeviceMesh
from .placement import Placement, Replicate, Shard
from .redistribute import convert_grad, redistribute_local

__all__ = ["DTensor", "distribute_tensor"]


def _check_local_shape(local: Tensor, spec: DTensorSpec, what: str) -> None:
    expect, _ = spec.local_shape_and_offset()
    if tuple(local.shape) != expect:
        raise ValueError(
            f"{what}: the local tensor has shape {list(local.shape)} but global shape "
            f"{list(spec.shape)} with placements {fmt_placements(spec.placements)} on "
            f"{spec.mesh} gives this rank {list(expect)}"
        )


def _global_shape(local: Tensor, mesh: DeviceMesh,
                  placements: Sequence[Placement]) -> tuple[int, ...]:
    """The global shape, assuming every rank's shard has this rank's size (even shards),
    as torch's ``from_local`` does without ``shape``."""
    shape = list(local.shape)
    for m, p in enumerate(placements):
        if isinstance(p, Shard):
            shape[p.dim] *= mesh.size(m)
    return tuple(shape)


class DTensor:
    """A distributed tensor. Create one with :func:`distribute_tensor` or
    :meth:`DTensor.from_local`, not with this constructor."""

    __slots__ = ("_local_tensor", "_spec", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, local_tensor: Tensor, spec: DTensorSpec, *,
                 requires_grad: bool = False) -> None:
        if not isinstance(local_tensor, Tensor):
            raise TypeError(f"DTensor: local_tensor must be a Tensor, got {type(local_tensor).__name__}")
        self._local_tensor = local_tensor
        self._spec = spec
        if requires_grad and not local_tensor.requires_grad:
            local_tensor.requires_grad_(True)

    # ------------------------------------------------------------------ creation
    @staticmethod
    def from_local(local_tensor: Tensor, device_mesh: DeviceMesh | None = None,
                   placements: Sequence[Placement] | None = None, *, run_check: bool = False,
                   shape: Sequence[int] | None = None, stride: Sequence[int] | None = None,
                   grad_placements: Sequence[Placement] | None = None) -> DTensor:
        """A DTensor whose local tensor on this rank is ``local_tensor`` (no copy).

        Without ``shape`` the global shape assumes even shards (each rank's shard the size
        of this one); pass ``shape`` for uneven shards. ``run_check`` checks the local
        shapes against the placements on every rank and broadcasts Replicate dimensions
        from their first rank. Differentiable: gradients reach ``local_tensor`` with the
        DTensor's placements (Partial -> Replicate), or with ``grad_placements``.

        Example:
            >>> import autograd, parallel
            >>> from dtensor import DTensor, init_device_mesh, Partial
            >>> mesh = init_device_mesh("cpu", (1,))
            >>> DTensor.from_local(autograd.ones(2), mesh, [Partial()]).full_tensor().tolist()
            [1.0, 1.0]
            >>> parallel.destroy_process_group()
        """
        if isinstance(local_tensor, DTensor):
            raise RuntimeError(
                "DTensor.from_local: the local_tensor argument only accepts Tensor but got a "
                "DTensor; use redistribute() to change a DTensor's placements"
            )
        if not isinstance(local_tensor, Tensor):
            raise TypeError(f"DTensor.from_local: expected a Tensor, got {type(local_tensor).__name__}")
        mesh = device_mesh if device_mesh is not None else _default_mesh()
        local = local_tensor
        if local.device.type != mesh.device_type.split(":")[0]:
            local = local.to(mesh.device_type)
        pls = normalize_placements(placements, mesh, local.ndim, "DTensor.from_local")
        if stride is not None and shape is None:
            raise RuntimeError(
                f"DTensor.from_local: found stride={tuple(stride)} without shape; pass shape "
                "too (stride alone cannot define the global tensor)"
            )
        gshape = tuple(int(s) for s in shape) if shape is not None else \
            _global_shape(local, mesh, pls)
        gstride = tuple(int(s) for s in stride) if stride is not None else contiguous_stride(gshape)
        spec = DTensorSpec(mesh, pls, TensorMeta(gshape, gstride, local.dtype))
        if run_check:
            _run_check(local, spec)
            for m, p in enumerate(pls):
                if p.is_replicate() and mesh.size(m) > 1:
                    local = _BroadcastFirst.apply(local, mesh._comm(m))
        elif shape is not None:
            _check_local_shape(local, spec, "DTensor.from_local")
        if grad_placements is not None:
            gp = normalize_placements(grad_placements, mesh, local.ndim, "DTensor.from_local")
            _check_grad_placements(spec, gp, "DTensor.from_local")
            local = convert_grad(local, mesh, grad_placements_of(pls), gp, gshape)
        return DTensor(local, spec)

    # ------------------------------------------------------------------ leaving
    def to_local(self, *, grad_placements: Sequence[Placement] | None = None) -> Tensor:
        """This rank's local tensor (the same Tensor object unless ``grad_placements``
        says the gradient of the result will have other placements, e.g. ``[Partial()]``
        when the local tensor of a Replicate DTensor feeds a sharded computation)."""
        if grad_placements is None:
            return self._local_tensor
        gp = normalize_placements(grad_placements, self.device_mesh, self.ndim, "DTensor.to_local")
        _check_grad_placements(self._spec, gp, "DTensor.to_local")
        return convert_grad(self._local_tensor, self.device_mesh, gp,
                            grad_placements_of(self.placements), self.shape)

    def full_tensor(self, *, grad_placements: Sequence[Placement] | None = None) -> Tensor:
        """The whole logical tensor on every rank (differentiable).

        Example:
            >>> import autograd, parallel
            >>> from dtensor import distribute_tensor, init_device_mesh, Shard
            >>> mesh = init_device_mesh("cpu", (1,))
            >>> distribute_tensor(autograd.ones(3), mesh, [Shard(0)]).full_tensor().tolist()
            [1.0, 1.0, 1.0]
            >>> parallel.destroy_process_group()
        """
        out = self.redistribute(self.device_mesh, [Replicate()] * self.device_mesh.ndim)
        return out.to_local(grad_placements=grad_placements)

    def redistribute(self, device_mesh: DeviceMesh | None = None,
                     placements: Sequence[Placement] | None = None, *,
                     async_op: bool = False) -> DTensor:
        """The same logical tensor with new placements (collectives as needed;
        differentiable, the backward being the adjoint redistribution)."""
        mesh = device_mesh if device_mesh is not None else self.device_mesh
        if mesh != self.device_mesh:
            raise RuntimeError(
                f"redistribute: moving a DTensor from {self.device_mesh} to another mesh "
                f"({mesh}) is not supported; redistribute on the same mesh, then use "
                "full_tensor() and distribute_tensor() on the new mesh"
            )
        if placements is None:
            raise RuntimeError("placements is needed for redistribute!")
        pls = normalize_placements(placements, mesh, self.ndim, "DTensor.redistribute")
        local = redistribute_local(self._local_tensor, mesh, self.placements, pls, self.shape)
        return DTensor(local, self._spec.with_placements(pls))

    # ------------------------------------------------------------------ metadata
    @property
    def device_mesh(self) -> DeviceMesh:
        return self._spec.mesh

    @property
    def placements(self) -> tuple[Placement, ...]:
        return self._spec.placements

    @property
    def shape(self) -> tuple[int, ...]:
        return self._spec.shape

    @property
    def ndim(self) -> int:
        return self._spec.ndim

    def dim(self) -> int:
        return self._spec.ndim

    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return self.shape
        return self.shape[dim]

    def stride(self, dim: int | None = None) -> Any:
        if dim is None:
            return self._spec.stride
        return self._spec.stride[dim]

    def numel(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d DTensor")
        return self.shape[0]

    @property
    def dtype(self) -> Any:
        return self._local_tensor.dtype

    @property
    def device(self) -> Any:
        return self._local_tensor.device

    def is_floating_point(self) -> bool:
        return self._local_tensor.is_floating_point()

    # ------------------------------------------------------------------ autograd
    @property
    def requires_grad(self) -> bool:
        return self._local_tensor.requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self._local_tensor.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> DTensor:
        self._local_tensor.requires_grad_(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self._local_tensor.is_leaf

    @property
    def grad_fn(self) -> Any:
        return self._local_tensor.grad_fn

    @property
    def grad(self) -> DTensor | None:
        """The gradient as a DTensor (placements as this DTensor's, Partial -> Replicate)."""
        g = self._local_tensor.grad
        if g is None:
            return None
        return DTensor(g, DTensorSpec(self.device_mesh, grad_placements(self.placements),
                                      TensorMeta(self.shape, self._spec.stride, g.dtype)))

    @grad.setter
    def grad(self, value: DTensor | None) -> None:
        if value is None:
            self._local_tensor.grad = None
            return
        if not isinstance(value, DTensor):
            raise TypeError(f"DTensor.grad must be a DTensor or None, got {type(value).__name__}")
        want = grad_placements(self.placements)
        self._local_tensor.grad = value.redistribute(self.device_mesh, want).to_local()

    def retain_grad(self) -> None:
        self._local_tensor.retain_grad()

    def backward(self, gradient: DTensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Backpropagate from this DTensor (a scalar unless ``gradient`` is given); every
        rank of the mesh must call it."""
        if gradient is None:
            if self.numel() != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; this DTensor "
                    f"has shape {list(self.shape)}: pass gradient="
                )
            seed = autograd.ones_like(self._local_tensor)
        else:
            if not isinstance(gradient, DTensor):
                raise TypeError(
                    f"DTensor.backward: gradient must be a DTensor, got {type(gradient).__name__}"
                )
            seed = gradient.redistribute(self.device_mesh, grad_placements(self.placements)).to_local()
        self._local_tensor.backward(seed, retain_graph=retain_graph, create_graph=create_graph)

    def detach(self) -> DTensor:
        return DTensor(self._local_tensor.detach(), self._spec)

    def clone(self) -> DTensor:
        return DTensor(self._local_tensor.clone(), self._spec)

    def contiguous(self) -> DTensor:
        return DTensor(self._local_tensor.contiguous(), self._spec)

    def item(self) -> Any:
        """The value of a one-element DTensor (reduced first if Partial)."""
        if self.numel() != 1:
            raise RuntimeError(
                f"a DTensor with {self.numel()} elements cannot be converted to a Scalar"
            )
        return self.full_tensor().item()

    def tolist(self) -> Any:
        return self.full_tensor().tolist()

    def numpy(self) -> Any:
        """The full tensor as a NumPy array (every rank takes part)."""
        return self.full_tensor().detach().numpy()

    # ------------------------------------------------------------------ guards
    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        raise TypeError(
            f"a DTensor (placements {fmt_placements(self.placements)}) cannot be used as a "
            "plain array: a function without DTensor support (an autograd or nn.functional "
            "op) received it. Use DTensor methods or dtensor.ops, or convert with "
            ".to_local() (this rank's part) or .full_tensor() (the whole tensor)"
        )

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        raise TypeError(
            f"numpy ufunc '{ufunc.__name__}' received a DTensor (placements "
            f"{fmt_placements(self.placements)}): autograd and nn.functional ops work on "
            "local Tensors and have no sharding rules. Use DTensor methods or dtensor.ops, or "
            "convert with .to_local() / .full_tensor()"
        )

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        raise TypeError(
            f"numpy function '{func.__name__}' received a DTensor (placements "
            f"{fmt_placements(self.placements)}); use DTensor methods or dtensor.ops, or "
            "convert with .to_local() / .full_tensor()"
        )

    def __bool__(self) -> bool:
        return bool(self.item())

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_") and callable(getattr(Tensor, name, None)):
            placements = self.placements

            def no_rule(*args: Any, **kwargs: Any) -> Any:
                from ._ops_common import no_rule_error

                raise no_rule_error(name, [placements])

            return no_rule
        if not name.startswith("_") and hasattr(Tensor, name):
            raise AttributeError(
                f"'DTensor' object has no attribute '{name}': Tensor.{name} has no sharding "
                "rule; use it on .to_local() or .full_tensor()"
            )
        if name.startswith("_") and not name.startswith("__") and hasattr(Tensor, name):
            raise AttributeError(
                f"'DTensor' object has no attribute '{name}': a DTensor is not a Tensor, so "
                "autograd and nn.functional ops cannot take one; use DTensor methods or "
                "dtensor.ops, or pass .to_local() / .full_tensor()"
            )
        raise AttributeError(f"'DTensor' object has no attribute '{name}'")

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return (f"DTensor(local_tensor={self._local_tensor!r}, device_mesh={self.device_mesh!r}, "
                f"placements={fmt_placements(self.placements)})")


def _check_grad_placements(spec: DTensorSpec, gp: tuple, what: str) -> None:
    """Gradient placements must give the local tensor the same shape as its placements."""
    have, _ = spec.local_shape_and_offset()
    want, _ = local_shape_and_offset(spec.shape, spec.mesh, gp)
    if have != want:
        raise ValueError(
            f"{what}: grad_placements {fmt_placements(gp)} give this rank a gradient of shape "
            f"{list(want)}, but the local tensor (placements {fmt_placements(spec.placements)}) "
            f"has shape {list(have)}; gradient placements may only change Replicate <-> Partial"
        )


def grad_placements_of(placements: Sequence[Placement]) -> tuple[Placement, ...]:
    return grad_placements(placements)


def _default_mesh() -> DeviceMesh:
    raise RuntimeError(
        "no device_mesh given: pass device_mesh= (create one with init_device_mesh)"
    )


def _run_check(local: Tensor, spec: DTensorSpec) -> None:
    """Every rank's local shape and dtype must fit the placements."""
    mesh = spec.mesh
    import parallel

    mine = (mesh.get_coordinate(), tuple(local.shape), str(local.dtype))
    world = parallel.default_group()
    every = world.comm.allgather_object(mine)
    problems = []
    members = [e for e in every if e[0] is not None]
    for coord, shape, dtype in members:
        expect, _ = local_shape_and_offset(spec.shape, mesh, spec.placements, coord)
        if shape != expect:
            problems.append(f"mesh coordinate {coord} has shape {list(shape)}, expected {list(expect)}")
        if dtype != members[0][2]:
            problems.append(f"mesh coordinate {coord} has dtype {dtype}, others {members[0][2]}")
    if problems:
        raise ValueError(
            f"DTensor.from_local(run_check=True): local tensors do not match global shape "
            f"{list(spec.shape)} with placements {fmt_placements(spec.placements)}: "
            + "; ".join(problems) + " (pass shape= for uneven shards)"
        )


class _BroadcastFirst(Op):
    """Every rank of the group gets the first rank's values (``run_check`` on Replicate
    dimensions); the gradient reaches each rank's own input unchanged (Replicate)."""

    @staticmethod
    def forward(ctx: Any, x: Any, comm: Any) -> Any:
        out = backend.xp_of(x).ascontiguousarray(x).copy()
        comm.broadcast(out, 0)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return grad_out, None


def distribute_tensor(tensor: Tensor, device_mesh: DeviceMesh | None = None,
                      placements: Sequence[Placement] | None = None, *,
                      src_data_rank: int | None = 0) -> DTensor:
    """Lay ``tensor`` out over ``device_mesh``. With ``src_data_rank=0`` (default) the
    values of the mesh's first rank are used on every rank (they are broadcast along
    each mesh dimension); with None every rank chunks its own ``tensor``. The result is
    a leaf that requires grad when ``tensor`` does.

    Example:
        >>> import autograd, parallel
        >>> from dtensor import distribute_tensor, init_device_mesh, Shard
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> d = distribute_tensor(autograd.ones(4, 2), mesh, [Shard(1)])
        >>> d.shape, d.placements, d.to_local().shape
        ((4, 2), (Shard(dim=1),), (4, 2))
        >>> parallel.destroy_process_group()
    """
    if isinstance(tensor, DTensor):
        raise ValueError(
            "distribute_tensor: the input is already a DTensor; use redistribute() to change "
            "its placements"
        )
    if not isinstance(tensor, Tensor):
        raise TypeError(f"distribute_tensor: expected a Tensor, got {type(tensor).__name__}")
    mesh = device_mesh if device_mesh is not None else _default_mesh()
    pls = normalize_placements(placements, mesh, tensor.ndim, "distribute_tensor")
    rg = tensor.requires_grad
    with autograd.no_grad():
        full = tensor.detach()
        if full.device.type != mesh.device_type.split(":")[0]:
            full = full.to(mesh.device_type)
        if mesh.get_coordinate() is None:
            raise RuntimeError(f"distribute_tensor: rank {mesh.get_rank()} is not part of {mesh}")
        if src_data_rank is not None:
            arr = backend.xp_of(full._data).ascontiguousarray(full._data).copy()
            for m in range(mesh.ndim):
                if mesh.size(m) > 1:
                    mesh._comm(m).broadcast(arr, src_data_rank)
            full = autograd.as_tensor(arr)
        shape = tuple(full.shape)
        replicated = (Replicate(),) * mesh.ndim
        local = redistribute_local(full, mesh, replicated, pls, shape)
        if local is full:
            local = local.clone()
    local = local.detach()
    if rg:
        local.requires_grad_(True)
    spec = DTensorSpec(mesh, pls, TensorMeta(shape, contiguous_stride(shape), local.dtype))
    return DTensor(local, spec)


# Math methods (``x + y``, ``x.sum()`` …) are attached by dtensor.ops.
from . import ops as _ops  # noqa: E402,F401
