"""autograd.nn: modules, layers and losses (mirrors ``torch.nn``).

Example:
    >>> import autograd
    >>> from autograd import nn
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> model(autograd.randn(3, 4)).shape
    (3, 2)
"""

from __future__ import annotations

import importlib

from . import functional, init, utils
from .parameter import Buffer, Parameter

# Each layer module lists its public classes in __all__; they are all re-exported here.
_LAYER_MODULES = (
    "module", "container", "linear", "activation", "dropout", "sparse", "loss", "flatten",
    "conv", "pooling", "normalization", "rnn", "attention", "transformer",
)
__all__ = ["Parameter", "Buffer", "functional", "init", "utils"]
for _name in _LAYER_MODULES:
    _mod = importlib.import_module(f".{_name}", __name__)
    for _cls in _mod.__all__:
        globals()[_cls] = getattr(_mod, _cls)
        __all__.append(_cls)
