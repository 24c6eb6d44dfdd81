"""autograd.nn.functional: the stateless layer functions (mirrors
``torch.nn.functional``).

Example:
    >>> import autograd
    >>> import autograd.nn.functional as F
    >>> F.relu(autograd.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
"""

from __future__ import annotations

import importlib

# Each submodule lists its public functions in __all__; they are all re-exported here.
_SUBMODULES = ("activation", "linear", "dropout", "sparse", "loss", "conv", "pooling",
               "normalization", "attention", "misc")
__all__: list[str] = []
for _name in _SUBMODULES:
    _mod = importlib.import_module(f".{_name}", __name__)
    for _fn in _mod.__all__:
        globals()[_fn] = getattr(_mod, _fn)
        __all__.append(_fn)
