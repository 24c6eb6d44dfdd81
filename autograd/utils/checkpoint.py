"""``autograd.utils.checkpoint``: the same module as ``autograd.checkpoint``, under the
path a script ported from ``torch.utils.checkpoint`` by a plain import change uses."""

from ..checkpoint import (
    CheckpointError,
    checkpoint,
    checkpoint_sequential,
    noop_context_fn,
)

__all__ = ["checkpoint", "checkpoint_sequential", "noop_context_fn", "CheckpointError"]
