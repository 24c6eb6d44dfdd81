"""parallel: process groups, collectives, differentiable collectives, virtual ranks
(mirrors ``torch.distributed``).

Example:
    >>> import parallel
    >>> parallel.init_process_group()   # a world of one without mpiexec
    >>> parallel.get_world_size()
    1
    >>> parallel.destroy_process_group()
"""

from __future__ import annotations

from . import _amp_sync  # noqa: F401  (GradScaler's skip decision agreed across ranks)
from . import distributed as _distributed
from .comm.base import CollectiveMismatch, CollectiveTimeout, PeerFailure, ReduceOp, Work
from .ddp import DistributedDataParallel
from .sampler import DistributedSampler
from .spawn import SpawnError, spawn

for _name in _distributed.__all__:
    globals()[_name] = getattr(_distributed, _name)

__all__ = [
    *_distributed.__all__, "spawn", "SpawnError", "CollectiveTimeout", "PeerFailure",
    "CollectiveMismatch", "ReduceOp", "Work", "DistributedSampler", "DistributedDataParallel",
]
