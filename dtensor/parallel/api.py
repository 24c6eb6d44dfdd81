"""``parallelize_module``: apply parallel styles to a module tree (mirrors
``torch.distributed.tensor.parallel.parallelize_module``)."""

from __future__ import annotations

import fnmatch

from autograd import nn

from ..device_mesh import DeviceMesh
from .style import ParallelStyle

__all__ = ["parallelize_module"]


def _apply_path(module: nn.Module, atoms: list[str], style: ParallelStyle, mesh: DeviceMesh,
                key: str) -> int:
    if not atoms:
        style._apply(module, mesh)
        return 1
    head, rest = atoms[0], atoms[1:]
    hits = 0
    for name, child in module.named_children():
        if fnmatch.fnmatchcase(name, head):
            hits += _apply_path(child, rest, style, mesh, key)
    return hits


def parallelize_module(module: nn.Module, device_mesh: DeviceMesh | None = None,
                       parallelize_plan: ParallelStyle | dict[str, ParallelStyle] | None = None,
                       *, src_data_rank: int | None = 0) -> nn.Module:
    """Parallelize ``module`` (in place; also returned) over a 1-D ``device_mesh``.

    ``parallelize_plan`` is a ParallelStyle for ``module`` itself, or a dict from
    submodule paths (dots; ``*`` wildcards match one name, e.g. ``"layers.*.mlp.fc1"``)
    to styles. Parameters are taken from mesh rank ``src_data_rank`` of each dimension
    (default 0), or from each rank's own copy when None.

    Example:
        >>> import autograd, parallel
        >>> from autograd import nn
        >>> from dtensor import init_device_mesh
        >>> from dtensor.parallel import parallelize_module, ColwiseParallel, RowwiseParallel
        >>> def work(rank):
        ...     parallel.init_process_group("threads")
        ...     autograd.manual_seed(0)
        ...     mlp = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4))
        ...     plan = {"0": ColwiseParallel(), "2": RowwiseParallel()}
        ...     mlp = parallelize_module(mlp, init_device_mesh("cpu", (2,)), plan)
        ...     return tuple(mlp[0].weight.shape), tuple(mlp(autograd.ones(3, 4)).shape)
        >>> parallel.spawn(work, nprocs=2)[0]
        ((4, 4), (3, 4))
    """
    if device_mesh is None:
        raise RuntimeError("parallelize_module: pass device_mesh (see init_device_mesh)")
    if device_mesh.ndim != 1:
        raise ValueError(
            f"parallelize_module only accepts a 1D DeviceMesh, but found {device_mesh.ndim}D "
            "DeviceMesh. For a 2D DeviceMesh, pass a sub DeviceMesh (e.g. mesh['tp'])"
        )
    if parallelize_plan is None:
        return module
    if isinstance(parallelize_plan, ParallelStyle):
        parallelize_plan.src_data_rank = src_data_rank
        parallelize_plan._apply(module, device_mesh)
        return module
    if not isinstance(parallelize_plan, dict):
        raise TypeError(
            "parallelize_plan must be a ParallelStyle or a dict of {module path: ParallelStyle}, "
            f"got {type(parallelize_plan).__name__}"
        )
    for key, style in parallelize_plan.items():
        if not isinstance(style, ParallelStyle):
            raise TypeError(f"parallelize_plan[{key!r}] must be a ParallelStyle, got {style!r}")
        style.src_data_rank = src_data_rank
        atoms = key.split(".") if key else []
        if _apply_path(module, atoms, style, device_mesh, key) == 0:
            raise ValueError(
                f"parallelize_module: the plan's path {key!r} matches no submodule of "
                f"{type(module).__name__}"
            )
    return module
