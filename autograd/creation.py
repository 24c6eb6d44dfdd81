"""Tensor creation (``tensor``, ``zeros``, ``arange`` …) and device/dtype moves.

Example:
    >>> import autograd
    >>> autograd.zeros(2, 3).shape
    (2, 3)
    >>> autograd.tensor([1, 2]).dtype
    dtype('int64')
    >>> autograd.tensor([1.0, 2.0]).dtype
    dtype('float32')
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

from . import backend
from .function import Op
from .tensor import Tensor, _wrap

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "zeros_like",
    "ones_like", "full_like", "empty_like", "arange", "linspace", "logspace", "eye", "to",
    "scalar_tensor",
]


def _sizes(size: tuple) -> tuple[int, ...]:
    """Accept ``f(2, 3)`` and ``f((2, 3))`` / ``f([2, 3])``, as PyTorch does."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, numbers.Integral) or isinstance(s, bool):
            raise TypeError(f"sizes must be integers, got {s!r} in {size}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _infer_dtype(data: Any) -> Any:
    """PyTorch's rules: bool -> bool, int -> int64, float -> default dtype, complex ->
    complex64 (complex128 when the default is float64)."""
    kinds = set()

    def walk(d: Any) -> None:
        if isinstance(d, Tensor):
            kinds.add(d._data.dtype)
        elif isinstance(d, (list, tuple)):
            for e in d:
                walk(e)
        elif isinstance(d, backend.numpy.generic):  # numpy scalars keep their dtype
            kinds.add(d.dtype)
        elif isinstance(d, bool):
            kinds.add("b")
        elif isinstance(d, numbers.Integral):
            kinds.add("i")
        elif isinstance(d, numbers.Real):
            kinds.add("f")
        elif isinstance(d, numbers.Complex):
            kinds.add("c")
        elif hasattr(d, "dtype"):
            kinds.add(d.dtype)
        else:
            raise TypeError(f"can't build a tensor from an element of type {type(d).__name__}")

    walk(data)
    default = backend.get_default_dtype()
    dtypes = [k for k in kinds if not isinstance(k, str)]
    if "c" in kinds:
        return backend.complex128 if default == backend.float64 else backend.complex64
    if "f" in kinds and not any(d.kind in "fc" for d in dtypes):
        return default
    if dtypes:
        result = backend.numpy.result_type(*dtypes)
        if "f" in kinds and result.kind not in "fc":
            return default
        if "i" in kinds and result.kind == "b":
            return backend.int64
        return result
    if "i" in kinds:
        return backend.int64
    if "b" in kinds:
        return backend.bool_
    return default


def _to_array(data: Any, dtype: Any, device: Any, copy: bool) -> Any:
    dev = backend.device(device) if device is not None else None
    if dev is None and not isinstance(data, Tensor) and not backend.is_device_array(data):
        default = backend.get_default_device()
        dev = None if default.type == "cpu" else default
    if isinstance(data, Tensor):
        arr = data._data
        if dev is None:
            dev = data.device
    elif hasattr(data, "__cuda_array_interface__") or isinstance(data, backend.numpy.ndarray):
        arr = data
    elif isinstance(data, backend.numpy.generic):
        arr = backend.numpy.asarray(data)
    else:
        dt = backend.dtype(dtype) if dtype is not None else _infer_dtype(data)
        if isinstance(data, (list, tuple)) and any(isinstance(e, Tensor) for e in _flat(data)):
            data = _untensor(data)
        try:
            arr = backend.numpy.array(data, dtype=dt)
        except ValueError as e:
            raise ValueError(
                f"can't build a tensor from this data (nested sequences must be rectangular): {e}"
            ) from None
        copy = False
    if dtype is not None:
        dt = backend.dtype(dtype)
        if arr.dtype != dt:
            arr = arr.astype(dt)
            copy = False
    dev = dev or backend.device_of(arr)
    if backend.device_of(arr) != dev:
        arr = backend.to_device(arr, dev)
        copy = False
    if copy:
        arr = arr.copy()
    return arr


def _flat(data: Any) -> list:
    out = []
    for e in data:
        if isinstance(e, (list, tuple)):
            out.extend(_flat(e))
        else:
            out.append(e)
    return out


def _untensor(data: Any) -> Any:
    if isinstance(data, Tensor):
        return data.tolist()
    if isinstance(data, (list, tuple)):
        return [_untensor(e) for e in data]
    return data


def tensor(data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays, tensors).

    Example:
        >>> import autograd
        >>> autograd.tensor([[1.0, 2.0]], requires_grad=True).shape
        (1, 2)
    """
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use "
            "sourceTensor.detach().clone() or sourceTensor.detach().clone().requires_grad_(True), "
            "rather than autograd.tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
    t = _wrap(_to_array(data, dtype, device, copy=True))
    if requires_grad:
        t.requires_grad_(True)
    return t


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with ``data`` when dtype and device allow.

    Example:
        >>> import numpy, autograd
        >>> a = numpy.zeros(2, dtype="float32")
        >>> autograd.as_tensor(a).numpy() is a
        True
    """
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    if isinstance(data, Tensor):
        return to(data, *(x for x in (device, dtype) if x is not None))
    return _wrap(_to_array(data, dtype, device, copy=False))


def from_numpy(array: Any) -> Tensor:
    """A tensor sharing memory with a numpy array.

    Example:
        >>> import numpy, autograd
        >>> autograd.from_numpy(numpy.arange(3)).tolist()
        [0, 1, 2]
    """
    if not isinstance(array, backend.numpy.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return _wrap(array)


def scalar_tensor(value: Any, *, dtype: Any = None, device: Any = None) -> Tensor:
    return tensor(value, dtype=dtype or backend.get_default_dtype(), device=device)


def _filled(fill: Any, size: tuple, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    dev = backend.device(device)
    xp = backend.xp_for(dev)
    dt = backend.dtype(dtype) if dtype is not None else (
        backend.get_default_dtype() if fill is None or isinstance(fill, float) else
        _infer_dtype(fill)
    )
    shape = _sizes(size)
    with backend.device_guard(dev):
        arr = xp.empty(shape, dt) if fill is None else xp.full(shape, fill, dt)
    t = _wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Example:
    >>> import autograd
    >>> autograd.zeros(2).tolist()
    [0.0, 0.0]
    """
    return _filled(0.0 if dtype is None else 0, size, dtype, device, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Example:
    >>> import autograd
    >>> autograd.ones(2, dtype=autograd.int64).tolist()
    [1, 1]
    """
    return _filled(1.0 if dtype is None else 1, size, dtype, device, requires_grad)


def full(size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Example:
    >>> import autograd
    >>> autograd.full((2,), 7).tolist()
    [7, 7]
    """
    size = (size,) if isinstance(size, numbers.Integral) else tuple(size)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _filled(fill_value, size, dtype, device, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _filled(None, size, dtype, device, requires_grad)


def _like(x: Tensor, dtype: Any, device: Any) -> tuple:
    return (dtype if dtype is not None else x.dtype, device if device is not None else x.device)


def zeros_like(x: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    dt, dev = _like(x, dtype, device)
    return _filled(0, x.shape, dt, dev, requires_grad)


def ones_like(x: Tensor, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    dt, dev = _like(x, dtype, device)
    return _filled(1, x.shape, dt, dev, requires_grad)


def full_like(x: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    dt, dev = _like(x, dtype, device)
    return _filled(fill_value, x.shape, dt, dev, requires_grad)


def empty_like(x: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    dt, dev = _like(x, dtype, device)
    return _filled(None, x.shape, dt, dev, requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Example:
    >>> import autograd
    >>> autograd.arange(3).tolist(), autograd.arange(0, 1, 0.5).tolist()
    ([0, 1, 2], [0.0, 0.5])
    """
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if dtype is None:
        dtype = backend.int64 if all(isinstance(v, numbers.Integral) for v in vals) \
            else backend.get_default_dtype()
    dev = backend.device(device)
    with backend.device_guard(dev):
        t = _wrap(backend.xp_for(dev).arange(*vals, dtype=backend.dtype(dtype)))
    if requires_grad:
        t.requires_grad_(True)
    return t


def linspace(start: Any, end: Any, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """Example:
    >>> import autograd
    >>> autograd.linspace(0, 1, 3).tolist()
    [0.0, 0.5, 1.0]
    """
    dev = backend.device(device)
    dt = backend.dtype(dtype) if dtype is not None else backend.get_default_dtype()
    with backend.device_guard(dev):
        t = _wrap(backend.xp_for(dev).linspace(float(start), float(end), int(steps)).astype(dt))
    if requires_grad:
        t.requires_grad_(True)
    return t


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    dev = backend.device(device)
    dt = backend.dtype(dtype) if dtype is not None else backend.get_default_dtype()
    with backend.device_guard(dev):
        t = _wrap(backend.xp_for(dev).logspace(float(start), float(end), int(steps),
                                                base=base).astype(dt))
    if requires_grad:
        t.requires_grad_(True)
    return t


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """Example:
    >>> import autograd
    >>> autograd.eye(2).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    dev = backend.device(device)
    dt = backend.dtype(dtype) if dtype is not None else backend.get_default_dtype()
    with backend.device_guard(dev):
        t = _wrap(backend.xp_for(dev).eye(n, m, dtype=dt))
    if requires_grad:
        t.requires_grad_(True)
    return t


# ----------------------------------------------------------------------------- moves


class ToCopy(Op):
    """Differentiable dtype/device conversion: the gradient converts back."""

    @staticmethod
    def forward(ctx: Any, x: Any, dtype: Any, dev: Any) -> Any:
        ctx.src = (x.dtype, backend.device_of(x))
        out = x
        if dev is not None and backend.device_of(x) != dev:
            out = backend.to_device(out, dev)
        if dtype is not None and out.dtype != dtype:
            if out.dtype.kind == "c" and dtype.kind != "c":
                out = out.real  # complex -> real keeps the real part (as PyTorch, no warning)
            out = out.astype(dtype)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        dtype, dev = ctx.src
        return ToCopy.apply(grad_out, dtype if dtype.kind in "fc" else None, dev), None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return tx


def to(x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``x.to(device)``, ``x.to(dtype)``, ``x.to(device, dtype)``, ``x.to(other)``;
    returns ``x`` itself when nothing changes (``copy=True`` forces a copy)."""
    dtype = kwargs.pop("dtype", None)
    dev = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)  # arrays here are always row-major
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            dtype, dev = a.dtype, a.device
        elif isinstance(a, backend.Device) or (isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda")):
            dev = a
        elif a is not None:
            dtype = a
    dt = backend.dtype(dtype) if dtype is not None else None
    dv = backend.device(dev) if dev is not None else None
    same_dtype = dt is None or dt == x._data.dtype
    same_dev = dv is None or dv == x.device
    if same_dtype and same_dev and not copy:
        return x
    if dt is not None and x._rg and dt.kind not in "fc":
        return _wrap(ToCopy.forward(_Ctx(), x._data, dt, dv))
    out = ToCopy.apply(x, None if same_dtype else dt, None if same_dev else dv)
    if copy and out._data is x._data:
        out = out.clone()
    return out


class _Ctx:
    pass
