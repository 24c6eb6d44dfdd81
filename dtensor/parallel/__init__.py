"""Tensor parallelism (mirrors ``torch.distributed.tensor.parallel``): Megatron-style
column/row sharding of Linear and Embedding layers, sequence parallelism for norms, and
layout conversion of module inputs/outputs.

Example:
    >>> from dtensor.parallel import ColwiseParallel, RowwiseParallel
    >>> ColwiseParallel()
    ColwiseParallel(input_layouts=(Replicate(),), output_layouts=(Shard(dim=-1),), use_local_output=True)
"""

from __future__ import annotations

from .api import parallelize_module
from .style import (
    ColwiseParallel,
    ParallelStyle,
    PrepareModuleInput,
    PrepareModuleOutput,
    RowwiseParallel,
    SequenceParallel,
    as_dtensor,
)

__all__ = ["parallelize_module", "ParallelStyle", "ColwiseParallel", "RowwiseParallel",
           "SequenceParallel", "PrepareModuleInput", "PrepareModuleOutput", "as_dtensor"]
