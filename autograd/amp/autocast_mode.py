"""``autocast``: run matrix products, linear layers and convolutions in float16 or
bfloat16 inside a region, keep numerically sensitive ops in float32 (mirrors
``torch.autocast``).

Inside ``with autocast("cuda", dtype=float16):`` an op of the *lower-precision* list
(linear, conv*, bilinear, scaled_dot_product_attention and the matmul family) casts its
floating inputs that live on that device type to the low dtype; an op of the *float32*
list (softmax, log_softmax, the losses, layer/group norm, sum, prod, cumsum, cumprod,
logsumexp, norm) casts low-precision inputs up to float32. float64 tensors are never
cast, ops outside both lists run in their inputs' dtypes, and the casts are
differentiable: float32 parameters get float32 gradients. Casts of leaf parameters are
cached for the duration of the region (one cast per weight per forward).

Example:
    >>> import autograd
    >>> import autograd.nn.functional as F
    >>> x, w = autograd.ones(2, 3), autograd.ones(4, 3)
    >>> with autograd.amp.autocast("cpu", dtype=autograd.float16):
    ...     y = F.linear(x, w)
    ...     p = F.softmax(y, dim=1)
    >>> y.dtype, p.dtype
    (dtype('float16'), dtype('float32'))
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from .. import backend
from ..tensor import Tensor

__all__ = ["autocast", "is_autocast_enabled", "get_autocast_dtype", "autocast_lower",
           "autocast_fp32", "is_autocast_available"]

_DEVICE_TYPES = ("cuda", "cpu")
_DEFAULT_DTYPES = {"cuda": "float16", "cpu": "bfloat16"}


class _State(threading.local):
    """Per thread (as PyTorch): the low dtype per device type while enabled."""

    def __init__(self) -> None:
        self.dtype: dict[str, Any] = {}
        self.cache: dict[int, tuple] = {}
        self.cache_depth = 0


_state = _State()
# Regions open in any thread: the ops' fast path is one list read when it is 0.
active = [0]


def is_autocast_available(device_type: str) -> bool:
    return device_type in _DEVICE_TYPES


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """Whether an autocast region for ``device_type`` is active in this thread."""
    return _state.dtype.get(device_type) is not None


def get_autocast_dtype(device_type: str = "cuda") -> Any:
    """The low dtype autocast uses on ``device_type`` (its default when not enabled)."""
    got = _state.dtype.get(device_type)
    return got if got is not None else backend.dtype(_DEFAULT_DTYPES[device_type])


def _low_dtype(device_type: str, dtype: Any) -> Any:
    if dtype is None:
        name = _DEFAULT_DTYPES[device_type]
        if name == "bfloat16" and backend.bfloat16 is None:
            raise RuntimeError(
                "autocast('cpu') defaults to bfloat16, which needs the ml_dtypes package "
                "(pip install ml_dtypes); pass dtype=autograd.float16 instead"
            )
        return backend.dtype(name)
    if isinstance(dtype, str) and dtype == "bfloat16" and backend.bfloat16 is None:
        raise RuntimeError("autocast: bfloat16 needs the ml_dtypes package (pip install ml_dtypes)")
    dt = backend.dtype(dtype)
    if dt not in (backend.float16, backend.bfloat16):
        raise RuntimeError(
            f"In {device_type} autocast, but the target dtype is not supported: expected "
            f"float16 or bfloat16, got {dt}"
        )
    return dt


class autocast:
    """Context manager / decorator: ops of the autocast lists run in ``dtype``
    (float16 by default on "cuda", bfloat16 on "cpu") for tensors on ``device_type``.

    Example:
        >>> import autograd
        >>> @autograd.amp.autocast("cpu", dtype=autograd.float16)
        ... def f(x, w):
        ...     return autograd.nn.functional.linear(x, w)
        >>> f(autograd.ones(1, 2), autograd.ones(3, 2)).dtype
        dtype('float16')
    """

    def __init__(self, device_type: str, dtype: Any = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str) or device_type not in _DEVICE_TYPES:
            raise RuntimeError(
                f"User specified an unsupported autocast device_type {device_type!r}: "
                "expected 'cuda' or 'cpu'"
            )
        self.device_type = device_type
        self.enabled = bool(enabled)
        self.fast_dtype = _low_dtype(device_type, dtype) if self.enabled else None
        self.cache_enabled = True if cache_enabled is None else bool(cache_enabled)
        self._saved: list = []

    def __enter__(self) -> autocast:
        self._saved.append((_state.dtype.get(self.device_type), _state.cache_depth))
        _state.dtype[self.device_type] = self.fast_dtype
        if self.enabled and self.cache_enabled:
            _state.cache_depth += 1
        active[0] += 1
        return self

    def __exit__(self, *exc: object) -> None:
        prev, depth = self._saved.pop()
        _state.dtype[self.device_type] = prev
        _state.cache_depth = depth
        if depth == 0:
            _state.cache.clear()  # casts of weights live as long as the outermost region
        active[0] -= 1

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with autocast(self.device_type, self.fast_dtype, self.enabled, self.cache_enabled):
                return fn(*args, **kwargs)

        return wrapper


class suspended:
    """Autocast off inside (an op of the lists runs its own inner ops in the dtypes it
    chose, as PyTorch's autocast only acts at the outermost op)."""

    def __enter__(self) -> None:
        self.saved = _state.dtype
        _state.dtype = {}

    def __exit__(self, *exc: object) -> None:
        _state.dtype = self.saved


def _cast(t: Any, dt: Any) -> Any:
    if not isinstance(t, Tensor):
        return t
    kind = t._data.dtype
    if kind == dt or kind.kind != "f" or kind == backend.float64:
        return t
    dtype = _state.dtype.get(t.device.type)
    if dtype is None:
        return t
    # a leaf parameter is cast once per region (its cast is reused while its data is
    # unchanged), as PyTorch's autocast weight cache
    cacheable = _state.cache_depth > 0 and t.grad_fn is None and t.requires_grad
    if cacheable:
        hit = _state.cache.get(id(t))
        if hit is not None and hit[0] is t and hit[1] == t._version and hit[2].dtype == dt:
            return hit[2]
    out = t.to(dt)
    if cacheable:
        _state.cache[id(t)] = (t, t._version, out)
    return out


def autocast_lower(*tensors: Any) -> tuple:
    """The inputs of a lower-precision op as that op sees them inside autocast: floating
    tensors (float64 excepted) on an autocast device, cast to its low dtype."""
    if not active[0]:
        return tensors
    out = []
    for t in tensors:
        if isinstance(t, Tensor):
            dtype = _state.dtype.get(t.device.type)
            out.append(t if dtype is None else _cast(t, dtype))
        else:
            out.append(t)
    return tuple(out)


def autocast_fp32(*tensors: Any) -> tuple:
    """The inputs of a float32 op inside autocast: float16/bfloat16 tensors on an
    autocast device, cast up to float32."""
    if not active[0]:
        return tensors
    out = []
    for t in tensors:
        if (isinstance(t, Tensor) and t._data.dtype.itemsize == 2 and t._data.dtype.kind in "fV"
                and _state.dtype.get(t.device.type) is not None):
            out.append(t.to(backend.float32))
        else:
            out.append(t)
    return tuple(out)
