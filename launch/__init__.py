"""launch: start and supervise training jobs, checkpoint and resume them.

- ``python -m launch -n N script.py args…`` (console script ``dtensor-launch``) runs N
  ranks through ``mpiexec``: rank-prefixed output, per-rank thread counts, a report
  naming the first failing rank, ``--max-restarts`` after a rank dies, signal
  forwarding for preemption. ``--debug`` runs one process with anomaly detection;
  ``--threads N`` runs N virtual ranks as threads of one process.
- :mod:`launch.checkpoint`: atomic, validated, pickle-free training checkpoints.
- :mod:`launch.preemption`: agree on a step to stop at after SIGTERM/SIGUSR1.
- :mod:`launch.progress`: a rank-0 progress bar and a metrics JSONL writer;
  ``python -m launch plot METRICS.jsonl`` draws them.

The per-rank wrapper (``launch._worker``) imports this package, so nothing heavy is
imported here: the public names load on first use.

Example:
    >>> import launch
    >>> launch.Checkpointer.__name__, launch.should_stop.__module__
    ('Checkpointer', 'launch.preemption')
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Checkpointer", "CheckpointError", "LoadedCheckpoint", "should_stop", "Progress",
           "MetricsWriter"]

_LAZY = {
    "Checkpointer": "launch.checkpoint",
    "CheckpointError": "launch.checkpoint",
    "LoadedCheckpoint": "launch.checkpoint",
    "should_stop": "launch.preemption",
    "Progress": "launch.progress",
    "MetricsWriter": "launch.progress",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'launch' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
