"""autograd: tensors with reverse- and forward-mode automatic differentiation on NumPy
(CPU) and CuPy (NVIDIA GPU) — the core of dtensor. Mirrors ``torch``: port a script by
replacing ``import torch`` with ``import autograd`` (and ``torch.`` with ``autograd.``).

Example:
    >>> import autograd
    >>> x = autograd.tensor([1.0, 2.0], requires_grad=True)
    >>> loss = (x ** 2).sum() + (x ** 3).sum()
    >>> loss.backward()
    >>> x.grad
    tensor([ 5., 16.])
"""

from __future__ import annotations

import builtins
import importlib
from typing import Any

from . import backend
from .backend import (
    Device,
    bfloat16,
    bool_,
    complex64,
    complex128,
    device,
    float16,
    float32,
    float64,
    get_default_device,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    set_default_device,
    set_default_dtype,
    uint8,
)
from .tensor import Tensor
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad
from . import creation as _creation
from . import random as _random
from .ops import binary as _binary
from .ops import compare as _compare
from .ops import index as _index
from .ops import matmul as _matmul
from .ops import pointwise as _pointwise
from .ops import reduce as _reduce
from .ops import shape as _shape
from .gradcheck import gradcheck, gradgradcheck
from .printing import get_printoptions, set_printoptions

# PyTorch-style dtype aliases
float = float32
double = float64
half = float16
int = int32
long = int64
short = int16
bool = bool_
cfloat = complex64
cdouble = complex128

# Every public op function is also a top-level name (autograd.exp, autograd.matmul …),
# taken from each op module's __all__ so a new op needs no edit here.
_OP_MODULES = (_creation, _random, _pointwise, _binary, _compare, _reduce, _matmul, _shape, _index)
_exported: list[str] = []
for _m in _OP_MODULES:
    for _name in _m.__all__:
        if _name.endswith("_") and _m is not _creation:
            continue  # in-place variants are Tensor methods only, as in PyTorch
        globals()[_name] = getattr(_m, _name)
        _exported.append(_name)

Generator = _random.Generator
manual_seed = _random.manual_seed
seed = _random.seed
initial_seed = _random.initial_seed
get_rng_state = _random.get_rng_state
set_rng_state = _random.set_rng_state
default_generator = _random.default_generator

_SUBMODULES = {
    "functional", "forward_ad", "checkpoint", "nn", "linalg", "distributions", "graph", "utils",
    "autograd", "cuda", "func", "testing", "special", "amp",
}


def __getattr__(name: str) -> Any:
    """Load submodules on first use (``autograd.nn``, ``autograd.linalg`` …)."""
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'autograd' has no attribute '{name}'")


def is_tensor(obj: Any) -> builtins.bool:
    """True when ``obj`` is a Tensor."""
    return isinstance(obj, Tensor)


def numel(x: Tensor) -> Any:
    return x.numel()


def is_floating_point(x: Tensor) -> Any:
    return x.is_floating_point()


def is_nonzero(x: Tensor) -> Any:
    if x.numel() != 1:
        raise RuntimeError(f"Boolean value of Tensor with {x.numel()} elements is ambiguous")
    return x.item() != 0


__all__ = [
    "Tensor", "Function", "FunctionCtx", "once_differentiable", "backward", "grad",
    "gradcheck", "gradgradcheck", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled", "inference_mode", "is_inference_mode_enabled", "detect_anomaly",
    "set_detect_anomaly", "is_anomaly_enabled", "Generator", "manual_seed", "seed",
    "initial_seed", "get_rng_state", "set_rng_state", "default_generator", "Device", "device",
    "get_default_dtype", "set_default_dtype", "get_default_device", "set_default_device",
    "float16", "float32", "float64", "bfloat16",
    "int8", "int16", "int32", "int64", "uint8", "bool_", "complex64", "complex128", "float",
    "double", "half", "int", "long", "short", "bool", "cfloat", "cdouble", "is_tensor",
    "numel", "is_floating_point", "is_nonzero", "backend", "set_printoptions",
    "get_printoptions", *_exported,
]
