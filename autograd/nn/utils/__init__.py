"""autograd.nn.utils (mirrors ``torch.nn.utils``): gradient clipping (canonical in
``optim``, re-exported here) and flattening parameters to/from one vector.

Example:
    >>> import autograd
    >>> from autograd import nn
    >>> model = nn.Linear(3, 2)
    >>> nn.utils.parameters_to_vector(model.parameters()).shape
    (8,)
"""

from __future__ import annotations

from .clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from .convert import parameters_to_vector, vector_to_parameters

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_", "parameters_to_vector", "vector_to_parameters"]
