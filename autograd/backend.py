"""The one place that chooses between NumPy (CPU) and CuPy (NVIDIA GPU).

Everything else in the package asks this module for ``xp`` (the array module of an
array or device), so an op is written once and runs on both.

Example:
    >>> from autograd import backend
    >>> backend.device("cpu")
    device(type='cpu')
    >>> backend.xp_of(backend.numpy.zeros(2)).__name__
    'numpy'
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy

try:  # CuPy is an optional extra (cuda12 / cuda13); its absence is not an error.
    if os.environ.get("DTENSOR_DISABLE_CUPY"):
        raise ImportError("disabled by DTENSOR_DISABLE_CUPY")
    import cupy  # type: ignore[import-not-found]
except Exception:  # ImportError, or a CUDA runtime that fails to load
    cupy = None

__all__ = [
    "numpy",
    "cupy",
    "Device",
    "device",
    "set_default_device",
    "get_default_device",
    "xp_of",
    "xp_for",
    "cuda_available",
    "device_count",
    "to_device",
    "device_of",
    "is_device_array",
    "current_device",
    "cuda_index",
    "to_host",
    "device_guard",
    "data_ptr",
    "scatter_add",
    "ufunc_at",
    "synchronize",
    "dtype",
    "get_default_dtype",
    "set_default_dtype",
]

ndarray = numpy.ndarray

# Tensor math follows IEEE semantics silently, as PyTorch does: log(0) is -inf and 0/0 is
# nan without a warning per op. (This sets NumPy's process-wide error state once, at
# import; anomaly detection is the tool for finding where a nan came from.)
numpy.seterr(divide="ignore", invalid="ignore", over="ignore", under="ignore")


class Device:
    """A device: ``"cpu"``, ``"cuda"`` or ``"cuda:N"``, as ``torch.device``. As a
    context manager (``with autograd.device("cuda"):``) it is the default device of
    the creation functions inside the block.

    Example:
        >>> Device("cuda:1")
        device(type='cuda', index=1)
    """

    __slots__ = ("type", "index")

    def __init__(self, type: str | Device, index: int | None = None) -> None:
        if isinstance(type, Device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError(f"device must be a string like 'cpu' or 'cuda:0', got {type!r}")
        name = type
        if ":" in name:
            name, _, idx = name.partition(":")
            if index is not None:
                raise ValueError(f"device {type!r} already names an index; do not pass index={index}")
            if not idx.isdigit():
                raise ValueError(f"invalid device string {type!r}: the index after ':' must be an integer")
            index = int(idx)
        if name not in ("cpu", "cuda"):
            raise ValueError(f"unknown device type {name!r}: expected 'cpu', 'cuda' or 'cuda:N'")
        if name == "cpu" and index not in (None, 0):
            raise ValueError(f"the cpu device has no index {index}")
        self.type = name
        self.index = None if name == "cpu" else index

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = Device(other)
        if not isinstance(other, Device):
            return NotImplemented
        if self.type != other.type:
            return False
        return self.type == "cpu" or (self.index or 0) == (other.index or 0)

    def __hash__(self) -> int:
        return hash((self.type, self.index or 0))

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __enter__(self) -> Device:
        return _enter_device(self)

    def __exit__(self, *exc: object) -> None:
        _exit_device()


CPU = Device("cpu")
_device_cache: dict[Any, Device] = {"cpu": CPU}


class _DefaultDevice(threading.local):
    dev: Device = CPU
    stack: list | None = None


_default = _DefaultDevice()


def device(spec: str | Device | int | None = None) -> Device:
    """Parse a device spec (``None`` means the default device, the CPU unless changed
    by ``set_default_device`` or a ``with autograd.device(...)`` block; an int means
    ``cuda:N``)."""
    if spec is None:
        return _default.dev
    try:
        return _device_cache[spec]
    except (KeyError, TypeError):
        pass
    if isinstance(spec, Device):
        return spec
    if isinstance(spec, int) and not isinstance(spec, bool):
        return Device("cuda", spec)
    dev = Device(spec)
    if isinstance(spec, str):
        _device_cache[spec] = dev
    return dev


def set_default_device(dev: str | Device | int | None) -> None:
    """Where creation functions put tensors when no ``device=`` is given (calling
    thread; ``None`` restores the CPU), as ``torch.set_default_device``.

    Example:
        >>> from autograd import backend
        >>> backend.set_default_device("cpu")
        >>> backend.get_default_device()
        device(type='cpu')
    """
    _default.dev = CPU if dev is None else device(dev)


def get_default_device() -> Device:
    """The calling thread's default device (``torch.get_default_device``).

    Example:
        >>> import autograd
        >>> with autograd.device("cpu"):
        ...     autograd.get_default_device()
        device(type='cpu')
    """
    return _default.dev


def _enter_device(dev: Device) -> Device:
    if _default.stack is None:
        _default.stack = []
    _default.stack.append(_default.dev)
    _default.dev = dev
    return dev


def _exit_device() -> None:
    _default.dev = _default.stack.pop() if _default.stack else CPU


def cuda_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    return device_count() > 0


def device_count() -> int:
    if cupy is None:
        return 0
    try:
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:
        return 0


def _require_cuda(dev: Device) -> None:
    if cupy is None:
        raise RuntimeError(
            f"device {dev} needs CuPy, which is not installed: "
            "install the 'cuda12' or 'cuda13' extra (pip install 'dtensor[cuda12]')"
        )
    if device_count() <= (dev.index or 0):
        raise RuntimeError(
            f"device {dev} is not available: this machine has {device_count()} CUDA device(s)"
        )


def xp_of(array: Any) -> Any:
    """The array module (numpy or cupy) that owns ``array``."""
    if cupy is not None and isinstance(array, cupy.ndarray):
        return cupy
    return numpy


def xp_for(dev: Device) -> Any:
    """The array module for a device."""
    if dev.type == "cpu":
        return numpy
    _require_cuda(dev)
    return cupy


def is_device_array(array: Any) -> bool:
    """True for a CuPy (GPU) array."""
    return cupy is not None and isinstance(array, cupy.ndarray)


_cuda_devices: dict[int, Device] = {}


def _cuda(index: int) -> Device:
    dev = _cuda_devices.get(index)
    if dev is None:
        dev = _cuda_devices[index] = Device("cuda", index)
    return dev


def device_of(array: Any) -> Device:
    """The device an array lives on (a GPU array's device always carries its index)."""
    if cupy is not None and isinstance(array, cupy.ndarray):
        return _cuda(array.device.id)
    return CPU


def current_device() -> int:
    """The index of the calling thread's current GPU (``torch.cuda.current_device``)."""
    if cupy is None:
        raise RuntimeError("current_device() needs CuPy and a GPU; none is available here")
    return int(cupy.cuda.runtime.getDevice())


def cuda_index(dev: Device) -> int:
    """The GPU a cuda device means: its index, or the current GPU for plain ``"cuda"``."""
    return dev.index if dev.index is not None else current_device()


def to_device(array: Any, dev: Device) -> Any:
    """Move an array to ``dev`` (no copy when it is already there). Host to GPU and GPU
    to host go through CuPy's copies; GPU to another GPU copies under that GPU."""
    if dev.type == "cpu":
        if cupy is not None and isinstance(array, cupy.ndarray):
            return cupy.asnumpy(array)
        return array
    _require_cuda(dev)
    idx = cuda_index(dev)
    on_gpu = isinstance(array, cupy.ndarray)
    if on_gpu and array.device.id == idx:
        return array
    with cupy.cuda.Device(idx):
        return array.copy() if on_gpu else cupy.asarray(array)


class _NoGuard:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_NO_GUARD = _NoGuard()


def device_guard(dev: Device) -> Any:
    """A context that makes ``dev``'s GPU current (allocations land there); nothing for
    the CPU."""
    if dev.type == "cpu":
        return _NO_GUARD
    _require_cuda(dev)
    return cupy.cuda.Device(cuda_index(dev))


def to_host(array: Any) -> Any:
    """``array`` as a NumPy array (a copy for GPU arrays, itself for host arrays)."""
    if cupy is not None and isinstance(array, cupy.ndarray):
        return cupy.asnumpy(array)
    return array


def data_ptr(array: Any) -> int:
    """The address of an array's first element (host or device memory)."""
    if cupy is not None and isinstance(array, cupy.ndarray):
        return int(array.data.ptr)
    return int(array.ctypes.data)


def ufunc_at(name: str, out: Any, key: Any, values: Any) -> None:
    """``out[key] (op)= values`` with repeated indices combined (``numpy.<name>.at``).
    On a GPU, CuPy's atomic ``<name>.at`` (add, subtract, maximum, minimum), staged
    through the host for ufuncs and dtypes the GPU's atomics do not cover (multiply;
    int64, bool, complex)."""
    if cupy is None or not isinstance(out, cupy.ndarray):
        getattr(numpy, name).at(out, key, values)
        return
    if name in ("add", "subtract", "maximum", "minimum"):
        try:
            getattr(cupy, name).at(out, key, values)
            return
        except (TypeError, NotImplementedError):
            pass
    host = cupy.asnumpy(out)
    hkey = tuple(to_host(k) for k in key) if isinstance(key, tuple) else to_host(key)
    getattr(numpy, name).at(host, hkey, to_host(values))
    out[...] = cupy.asarray(host)


def scatter_add(out: Any, key: Any, values: Any) -> None:
    """``out[key] += values`` with repeated indices accumulating (``numpy.add.at``),
    on either device (see ``ufunc_at``)."""
    ufunc_at("add", out, key, values)


def is_writeable(array: Any) -> bool:
    """True when writing into ``array`` is allowed and reaches each element once:
    NumPy's read-only flag, and (for CuPy, which has no such flag) no zero stride on a
    dimension longer than one (an expanded / broadcast view)."""
    flags = array.flags
    if not getattr(flags, "writeable", True):
        return False
    return all(st != 0 or n <= 1 for st, n in zip(array.strides, array.shape))


def synchronize(dev: Device | None = None) -> None:
    """Wait for the GPU's current stream (no-op on the CPU). Called before MPI touches
    device memory: kernels that produce a buffer run asynchronously on the stream."""
    if cupy is not None and (dev is None or dev.type == "cuda"):
        cupy.cuda.get_current_stream().synchronize()


# ----------------------------------------------------------------------------- dtypes

float16 = numpy.dtype("float16")
float32 = numpy.dtype("float32")
float64 = numpy.dtype("float64")
int8 = numpy.dtype("int8")
int16 = numpy.dtype("int16")
int32 = numpy.dtype("int32")
int64 = numpy.dtype("int64")
uint8 = numpy.dtype("uint8")
bool_ = numpy.dtype("bool")
complex64 = numpy.dtype("complex64")
complex128 = numpy.dtype("complex128")
try:  # bfloat16 exists where the ml_dtypes extension type is installed
    import ml_dtypes  # type: ignore[import-not-found]

    bfloat16 = numpy.dtype(ml_dtypes.bfloat16)
except Exception:
    bfloat16 = None

_DTYPE_NAMES = {
    "float16": float16, "half": float16, "float32": float32, "float": float32,
    "float64": float64, "double": float64, "int8": int8, "int16": int16, "short": int16,
    "int32": int32, "int": int32, "int64": int64, "long": int64, "uint8": uint8,
    "bool": bool_, "complex64": complex64, "complex128": complex128,
}

_default_dtype = float32


def dtype(spec: Any) -> numpy.dtype:
    """Normalise a dtype spec (numpy dtype, type, or name such as ``"float32"``)."""
    if isinstance(spec, numpy.dtype):
        return spec
    if spec is None:
        return _default_dtype
    if isinstance(spec, str):
        try:
            return _DTYPE_NAMES[spec]
        except KeyError:
            if spec == "bfloat16":
                raise TypeError("bfloat16 needs the ml_dtypes package (pip install ml_dtypes)") from None
            raise TypeError(f"unknown dtype {spec!r}; expected one of {sorted(_DTYPE_NAMES)}") from None
    if spec is float:
        return float64
    if spec is int:
        return int64
    if spec is bool:
        return bool_
    try:
        return numpy.dtype(spec)
    except TypeError:
        raise TypeError(f"{spec!r} is not a dtype") from None


def get_default_dtype() -> numpy.dtype:
    """The floating dtype new tensors get from Python floats (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(d: Any) -> None:
    """Set the default floating dtype (float16, float32 or float64), as in PyTorch."""
    global _default_dtype
    d = dtype(d)
    if d.kind != "f":
        raise TypeError(f"only floating dtypes can be the default, got {d}")
    _default_dtype = d


def is_floating(d: numpy.dtype) -> bool:
    return d.kind == "f" or d == bfloat16


def is_complex(d: numpy.dtype) -> bool:
    return d.kind == "c"
