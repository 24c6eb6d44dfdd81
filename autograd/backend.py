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
    "xp_of",
    "xp_for",
    "cuda_available",
    "device_count",
    "to_device",
    "device_of",
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
    """A device: ``"cpu"``, ``"cuda"`` or ``"cuda:N"``, as ``torch.device``.

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


CPU = Device("cpu")
_device_cache: dict[Any, Device] = {"cpu": CPU, None: CPU}


def device(spec: str | Device | int | None = None) -> Device:
    """Parse a device spec (``None`` means the CPU; an int means ``cuda:N``)."""
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


def device_of(array: Any) -> Device:
    """The device an array lives on."""
    if cupy is not None and isinstance(array, cupy.ndarray):
        return Device("cuda", array.device.id)
    return CPU


def to_device(array: Any, dev: Device) -> Any:
    """Move an array to ``dev`` (no copy when it is already there)."""
    if dev.type == "cpu":
        if cupy is not None and isinstance(array, cupy.ndarray):
            return cupy.asnumpy(array)
        return array
    _require_cuda(dev)
    with cupy.cuda.Device(dev.index or 0):
        return cupy.asarray(array)


def is_writeable(array: Any) -> bool:
    """True when writing into ``array`` is allowed and reaches each element once:
    NumPy's read-only flag, and (for CuPy, which has no such flag) no zero stride on a
    dimension longer than one (an expanded / broadcast view)."""
    flags = array.flags
    if not getattr(flags, "writeable", True):
        return False
    return all(st != 0 or n <= 1 for st, n in zip(array.strides, array.shape))


def synchronize(dev: Device | None = None) -> None:
    """Wait for the GPU's current stream (no-op on the CPU)."""
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
