"""dtensor: tensors sharded or replicated over a mesh of ranks (mirrors
``torch.distributed.tensor``), tensor parallelism (``dtensor.parallel``, mirroring
``torch.distributed.tensor.parallel``), sharded optimizer state
(``dtensor.ZeroRedundancyOptimizer``) and resharding checkpoints (``dtensor.checkpoint``).

Example:
    >>> import autograd, parallel
    >>> from dtensor import init_device_mesh, distribute_tensor, Shard, Replicate
    >>> def work(rank):
    ...     parallel.init_process_group("threads")
    ...     mesh = init_device_mesh("cpu", (2,))
    ...     x = distribute_tensor(autograd.arange(4.0), mesh, [Shard(0)])
    ...     return x.to_local().tolist(), x.redistribute(mesh, [Replicate()]).to_local().tolist()
    >>> parallel.spawn(work, nprocs=2)
    [([0.0, 1.0], [0.0, 1.0, 2.0, 3.0]), ([2.0, 3.0], [0.0, 1.0, 2.0, 3.0])]
"""

from __future__ import annotations

from . import checkpoint, ops, parallel
from .device_mesh import DeviceMesh, init_device_mesh
from .dtensor import DTensor, distribute_tensor
from .placement import Partial, Placement, Replicate, Shard
from .zero import ZeroRedundancyOptimizer

__all__ = [
    "DeviceMesh", "init_device_mesh", "Placement", "Shard", "Replicate", "Partial", "DTensor",
    "distribute_tensor", "ops", "parallel", "checkpoint", "ZeroRedundancyOptimizer",
]
