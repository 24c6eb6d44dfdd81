"""A test-only stand-in for CuPy, backed by NumPy: it checks DISPATCH, not CUDA numerics.

Installed by the ``fake_cuda`` fixture (``tests/gpu/conftest.py``) in place of
``autograd.backend.cupy``, it lets CI without a GPU exercise every path that branches
on CuPy: the ``xp`` switch, device strings and indices, ``Tensor.to`` / ``.cuda()`` /
``.cpu()`` moves, mixing devices, per-device random streams and their saved state,
checkpoints of device tensors, stream synchronisation before MPI calls and the NCCL
bootstrap. Arithmetic runs in NumPy, so a numerically wrong CUDA kernel or a CuPy
function that behaves differently from NumPy is NOT caught here: that is what
``tests/gpu/run_gpu_checks.sh`` on a real GPU is for.

What it imitates, because library code must respect it on a real GPU:
- ``ndarray`` is a NumPy subclass whose results stay device arrays (full reductions and
  scalar indexing give 0-d arrays, as CuPy does), on the device that was current when
  they were made (``cuda.Device(i)``); using arrays of two devices together is an error.
- No silent device-to-host conversion: ``numpy.asarray``-style conversion through
  ``__array__`` raises CuPy's error, NumPy ufuncs/functions refuse a plain host array
  mixed with device arrays, and there is no ``ctypes`` / ``__array_interface__`` /
  ``flags.writeable`` (use ``.get()`` / ``cupy.asnumpy`` / ``.data.ptr``).
- ``ufunc.at`` exists for add, subtract, maximum and minimum only (CuPy >= 12.1).
- ``lib.stride_tricks.as_strided(x, shape, strides)`` takes no ``writeable=``.

Known gaps: ``numpy.asarray(device_array)`` itself is not caught (NumPy does not ask a
subclass), and float16/bfloat16 support, kernel fusion and streams are not modelled.
"""

from __future__ import annotations

import math
import sys
import threading
import types
from typing import Any

import numpy

__all__ = ["ndarray", "asarray", "asnumpy", "array", "get_array_module", "cuda", "random",
           "linalg", "fft", "lib", "reset"]

_UFUNC_AT = {"add", "subtract", "maximum", "minimum"}
_base = numpy.ndarray


class _State(threading.local):
    current = 0  # the current device of this thread, as CUDA's runtime keeps it


_state = _State()
_config = {"devices": 1, "syncs": 0}


def reset(devices: int = 1) -> None:
    """Start fresh: ``devices`` visible GPUs, device 0 current, no syncs counted."""
    _config["devices"] = devices
    _config["syncs"] = 0
    _state.current = 0


# ----------------------------------------------------------------------------- arrays


class _Flags:
    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, arr: Any) -> None:
        f = _base.flags.__get__(arr)
        self.c_contiguous, self.f_contiguous, self.owndata = (
            f.c_contiguous, f.f_contiguous, f.owndata)

    def __getitem__(self, key: str) -> bool:
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous,
                "OWNDATA": self.owndata}[key]


class _MemoryPointer:
    __slots__ = ("ptr",)

    def __init__(self, ptr: int) -> None:
        self.ptr = ptr


class ndarray(numpy.ndarray):
    """A "device" array (NumPy memory): see the module docstring for what it enforces."""

    _dev = 0

    def __array_finalize__(self, obj: Any) -> None:
        self._dev = getattr(obj, "_dev", _state.current)

    # -- what CuPy has instead of NumPy's host-only attributes
    @property
    def device(self) -> Any:
        return cuda.Device(self._dev)

    @property
    def flags(self) -> _Flags:  # type: ignore[override]
        return _Flags(self)

    @property
    def data(self) -> _MemoryPointer:  # type: ignore[override]
        return _MemoryPointer(int(_base.__array_interface__.__get__(self)["data"][0]))

    @property
    def __cuda_array_interface__(self) -> dict:
        info = dict(_base.__array_interface__.__get__(self))
        info["version"] = 3
        info["stream"] = 1
        return info

    def __getattribute__(self, name: str) -> Any:
        if name in ("ctypes", "__array_interface__", "__array_struct__"):
            raise AttributeError(
                f"fakecupy: a device array has no {name!r} (host memory only); use .data.ptr"
            )
        return super().__getattribute__(name)

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. Please use `.get()` to "
            "construct a NumPy array explicitly."
        )

    def get(self, stream: Any = None, order: str = "C", out: Any = None) -> numpy.ndarray:
        host = numpy.array(self.view(_base), copy=True, order=order)
        if out is not None:
            out[...] = host
            return out
        return host

    def set(self, arr: Any, stream: Any = None) -> None:
        self.view(_base)[...] = arr

    def copy(self, order: str = "C") -> ndarray:  # type: ignore[override]
        # CuPy copies to the *current* device (the way to move between GPUs)
        out = _base.copy(self.view(_base), order=order).view(ndarray)
        out._dev = _state.current
        return out

    def __getitem__(self, key: Any) -> Any:
        return _wrap(_base.__getitem__(self, _index(key)))

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(value, ndarray):
            _same_device([self, value], "setitem")
            value = value.view(_base)
        _base.__setitem__(_writable(self), _index(key), value)

    def __iter__(self) -> Any:
        for i in range(len(self)):
            yield self[i]

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method == "at" and ufunc.__name__ not in _UFUNC_AT:
            raise TypeError(f"fakecupy: cupy.{ufunc.__name__}.at is not supported by CuPy")
        args = [_device_operand(a, ufunc.__name__) for a in inputs]
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(_device_operand(o, ufunc.__name__) for o in out)
        _same_device([a for a in inputs + tuple(out or ()) if isinstance(a, ndarray)],
                     ufunc.__name__)
        with numpy.errstate(all="ignore"):  # GPUs raise no floating-point warnings
            result = getattr(ufunc, method)(*args, **kwargs)
        if method == "at":
            return None
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func: Any, types_: Any, args: Any, kwargs: Any) -> Any:
        impl = _lookup(func)
        if impl is None:
            return NotImplemented
        return impl(*args, **kwargs)


def _index(key: Any) -> Any:
    """Index arrays may live on the device (or be host arrays, which CuPy uploads)."""
    if isinstance(key, ndarray):
        return key.view(_base)
    if isinstance(key, tuple):
        return tuple(k.view(_base) if isinstance(k, ndarray) else k for k in key)
    return key


def _same_device(arrays: list, what: str) -> None:
    for a in arrays:
        if a._dev != _state.current:
            raise ValueError(
                f"fakecupy: {what}: the array is on device {a._dev} but the current device is "
                f"{_state.current} (CuPy needs `with cupy.cuda.Device({a._dev}):`)"
            )


def _device_operand(a: Any, what: str) -> Any:
    if isinstance(a, ndarray):
        return a.view(_base)
    if isinstance(a, _base):
        raise TypeError(
            f"fakecupy: {what} got a host numpy.ndarray operand (shape {a.shape}) mixed with "
            "device arrays; CuPy raises 'Unsupported type <class 'numpy.ndarray'>'. Move it "
            "to the device first"
        )
    return a


def _writable(arr: Any) -> Any:
    """CuPy has no read-only arrays: NumPy's read-only views (diagonal, broadcast_to)
    become writable where NumPy allows it."""
    flags = _base.flags.__get__(arr)
    if not flags.writeable:
        try:
            flags.writeable = True
        except ValueError:
            pass
    return arr


def _wrap(result: Any) -> Any:
    if isinstance(result, ndarray):
        return _writable(result)
    if isinstance(result, _base):
        out = _writable(result.view(ndarray))
        out._dev = _state.current
        return out
    if isinstance(result, numpy.generic) and not isinstance(result, (numpy.str_, numpy.bytes_)):
        return _wrap(numpy.asarray(result))
    if isinstance(result, tuple):
        return tuple(_wrap(r) for r in result)
    if isinstance(result, list):
        return [_wrap(r) for r in result]
    return result


def _unwrap_args(obj: Any, what: str) -> Any:
    if isinstance(obj, ndarray):
        _same_device([obj], what)
        return obj.view(_base)
    if isinstance(obj, _base):
        return _device_operand(obj, what)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_unwrap_args(o, what) for o in obj)
    return obj


def _device_fn(fn: Any, name: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        args = tuple(_unwrap_args(a, name) for a in args)
        kwargs = {k: _unwrap_args(v, name) for k, v in kwargs.items()}
        return _wrap(fn(*args, **kwargs))

    call.__name__ = name
    call.__doc__ = f"fakecupy stand-in for cupy.{name} (NumPy underneath)"
    return call


_FUNCS: dict[str, Any] = {}


def _lookup(func: Any) -> Any:
    """The stand-in for a NumPy function reached through ``__array_function__``."""
    mod = getattr(func, "__module__", "") or ""
    name = func.__name__
    if mod.startswith("numpy.linalg"):
        return getattr(linalg, name, None)
    if mod.startswith("numpy.fft"):
        return getattr(fft, name, None)
    if name in ("as_strided", "sliding_window_view"):
        return getattr(lib.stride_tricks, name)
    try:
        return __getattr__(name)
    except AttributeError:
        return None


# ----------------------------------------------------------------------------- creation


def asarray(a: Any, dtype: Any = None, order: Any = None, *, blocking: bool = False) -> ndarray:
    """Host data (or a device array) as a device array; host data is copied over."""
    if isinstance(a, ndarray):
        return a if dtype is None or a.dtype == dtype else a.astype(dtype)
    return _wrap(numpy.array(_host(a), dtype=dtype, order=order or "K", copy=True))


def array(a: Any, dtype: Any = None, copy: bool = True, order: str = "K", ndmin: int = 0,
          *, blocking: bool = False) -> ndarray:
    if isinstance(a, ndarray):
        out = a.astype(dtype or a.dtype, order=order, copy=True) if copy else a
        return out.copy() if copy and out._dev != _state.current else out
    return _wrap(numpy.array(_host(a), dtype=dtype, order=order, ndmin=ndmin, copy=True))


def ascontiguousarray(a: Any, dtype: Any = None) -> ndarray:
    if not isinstance(a, ndarray):
        raise TypeError("fakecupy: ascontiguousarray needs a device array (CuPy does too)")
    return _wrap(numpy.ascontiguousarray(a.view(_base), dtype=dtype))


asanyarray = asarray


def copy(a: Any, order: str = "K") -> ndarray:
    return a.copy() if isinstance(a, ndarray) else asarray(a)


def _host(a: Any) -> Any:
    if isinstance(a, (list, tuple)):
        return type(a)(_host(e) for e in a)
    if isinstance(a, ndarray):
        return a.get()
    return a


def asnumpy(a: Any, stream: Any = None, order: str = "C", out: Any = None, *,
            blocking: bool = True) -> numpy.ndarray:
    """Device to host (host input passes through)."""
    if isinstance(a, ndarray):
        return a.get(order=order, out=out)
    return numpy.asarray(a, order=order)


def get_array_module(*args: Any) -> Any:
    return _module if any(isinstance(a, ndarray) for a in args) else numpy


def __getattr__(name: str) -> Any:
    """Every other NumPy name: types and constants as they are, functions made to take
    and return device arrays."""
    found = _FUNCS.get(name)
    if found is not None:
        return found
    obj = getattr(numpy, name)  # AttributeError for names NumPy lacks too
    if isinstance(obj, (type, numpy.ufunc)) or not callable(obj):
        return obj
    found = _FUNCS[name] = _device_fn(obj, name)
    return found


# ----------------------------------------------------------------------------- submodules


def _submodule(name: str, source: Any, names: list[str]) -> types.ModuleType:
    mod = types.ModuleType(f"fakecupy.{name}")
    for n in names:
        obj = getattr(source, n)
        setattr(mod, n, _device_fn(obj, f"{name}.{n}") if callable(obj) and not isinstance(obj, type)
                else obj)
    return mod


linalg = _submodule("linalg", numpy.linalg, [
    "solve", "inv", "det", "slogdet", "eigh", "eigvalsh", "cholesky", "svd", "qr", "norm",
    "pinv", "lstsq", "matrix_power", "matrix_rank", "tensorsolve", "tensorinv", "LinAlgError",
])
fft = _submodule("fft", numpy.fft, ["fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "fftn",
                                    "ifftn", "rfftn", "irfftn", "fftfreq", "rfftfreq"])


def _as_strided(x: Any, shape: Any = None, strides: Any = None) -> ndarray:
    if not isinstance(x, ndarray):
        raise TypeError("fakecupy: as_strided needs a device array")
    out = numpy.lib.stride_tricks.as_strided(x.view(_base), shape=shape, strides=strides)
    return _wrap(out)


def _sliding_window_view(x: Any, window_shape: Any, axis: Any = None, *,
                         subok: bool = False, writeable: bool = False) -> ndarray:
    out = numpy.lib.stride_tricks.sliding_window_view(x.view(_base), window_shape, axis)
    return _wrap(out)


lib = types.ModuleType("fakecupy.lib")
lib.stride_tricks = types.SimpleNamespace(as_strided=_as_strided,  # type: ignore[attr-defined]
                                          sliding_window_view=_sliding_window_view)


# ----------------------------------------------------------------------------- cuda


class _Stream:
    """A stream: ``synchronize`` is counted (tests check MPI calls sync first); work
    runs at once, so events are always done."""

    ptr = 0

    def __init__(self, null: bool = False, non_blocking: bool = False, ptds: bool = False) -> None:
        self.waited: list = []

    def synchronize(self) -> None:
        _config["syncs"] += 1

    def wait_event(self, event: Any) -> None:
        self.waited.append(event)


class _Event:
    done = True

    def __init__(self, block: bool = False, disable_timing: bool = False,
                 interprocess: bool = False) -> None:
        self.recorded = False

    def record(self, stream: Any = None) -> None:
        self.recorded = True

    def synchronize(self) -> None:
        _config["syncs"] += 1


class _Device:
    def __init__(self, device: Any = None) -> None:
        self.id = _state.current if device is None else int(device)
        self._prev: list[int] = []

    def use(self) -> None:
        _check_id(self.id)
        _state.current = self.id

    def synchronize(self) -> None:
        _config["syncs"] += 1

    @property
    def compute_capability(self) -> str:
        return "90"

    def __enter__(self) -> _Device:
        _check_id(self.id)
        self._prev.append(_state.current)
        _state.current = self.id
        return self

    def __exit__(self, *exc: Any) -> None:
        _state.current = self._prev.pop()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Device) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<CUDA Device {self.id}>"


def _check_id(i: int) -> None:
    if not 0 <= i < _config["devices"]:
        raise _runtime.CUDARuntimeError(f"cudaErrorInvalidDevice: invalid device ordinal {i}")


class _CUDARuntimeError(RuntimeError):
    pass


_runtime = types.SimpleNamespace(
    CUDARuntimeError=_CUDARuntimeError,
    getDeviceCount=lambda: _config["devices"],
    getDevice=lambda: _state.current,
    setDevice=lambda i: _Device(i).use(),
    deviceSynchronize=lambda: _Stream().synchronize(),
    getDeviceProperties=lambda i: {"name": b"fakecupy (NumPy)", "multiProcessorCount": 1},
)

cuda = types.ModuleType("fakecupy.cuda")
cuda.Device = _Device  # type: ignore[attr-defined]
cuda.Stream = _Stream  # type: ignore[attr-defined]
cuda.Event = _Event  # type: ignore[attr-defined]
cuda.runtime = _runtime  # type: ignore[attr-defined]
cuda.get_current_stream = lambda device=None: _Stream()  # type: ignore[attr-defined]
cuda.get_device_id = lambda: _state.current  # type: ignore[attr-defined]
cuda.is_available = lambda: _config["devices"] > 0  # type: ignore[attr-defined]
cuda.curand = types.SimpleNamespace(  # type: ignore[attr-defined]
    CURAND_RNG_PSEUDO_DEFAULT=100, CURAND_RNG_PSEUDO_XORWOW=101,
    CURAND_RNG_PSEUDO_PHILOX4_32_10=161)
cuda.syncs = lambda: _config["syncs"]  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- random


class RandomState:
    """``cupy.random.RandomState(seed, method)``: a NumPy Philox stream per seed."""

    def __init__(self, seed: Any = None, method: int = 100) -> None:
        self.method = method
        self.seed(seed)

    def seed(self, seed: Any = None) -> None:
        s = int(numpy.asarray(seed if seed is not None else 0).astype(numpy.uint64))
        self._rk_seed = s
        self._gen = numpy.random.Generator(numpy.random.Philox(s))

    def random_sample(self, size: Any = None, dtype: Any = float) -> ndarray:
        return _wrap(self._gen.random(size, dtype=numpy.dtype(dtype)))

    def standard_normal(self, size: Any = None, dtype: Any = float) -> ndarray:
        return _wrap(self._gen.standard_normal(size, dtype=numpy.dtype(dtype)))

    def standard_exponential(self, size: Any = None, dtype: Any = float) -> ndarray:
        return _wrap(self._gen.standard_exponential(size, dtype=numpy.dtype(dtype)))

    def randint(self, low: int, high: Any = None, size: Any = None, dtype: Any = int) -> ndarray:
        return _wrap(self._gen.integers(low, high, size=size, dtype=numpy.dtype(dtype)))

    def permutation(self, num: Any) -> ndarray:
        return _wrap(self._gen.permutation(num))


random = types.ModuleType("fakecupy.random")
random.RandomState = RandomState  # type: ignore[attr-defined]

_module = sys.modules[__name__]


# ----------------------------------------------------------------------------- cupyx


def _elementwise(fn: Any, name: str) -> Any:
    vec = numpy.vectorize(fn, otypes=[numpy.float64])

    def call(x: Any) -> ndarray:
        if not isinstance(x, ndarray):
            raise TypeError(f"fakecupy: cupyx.scipy.special.{name} needs a device array")
        return _wrap(vec(x.view(_base)).astype(x.dtype))

    return call


def _scatter(name: str) -> Any:
    def call(a: Any, slices: Any, value: Any) -> None:
        getattr(numpy, name).at(a, slices, value)

    return call


cupyx = types.ModuleType("cupyx")
cupyx.scatter_add = _scatter("add")  # type: ignore[attr-defined]
cupyx.scatter_max = _scatter("maximum")  # type: ignore[attr-defined]
cupyx.scatter_min = _scatter("minimum")  # type: ignore[attr-defined]
cupyx.scipy = types.ModuleType("cupyx.scipy")  # type: ignore[attr-defined]
cupyx.scipy.special = types.ModuleType("cupyx.scipy.special")  # type: ignore[attr-defined]
cupyx.scipy.special.erf = _elementwise(math.erf, "erf")  # type: ignore[attr-defined]
cupyx.scipy.special.erfc = _elementwise(math.erfc, "erfc")  # type: ignore[attr-defined]
cupyx.scipy.special.gammaln = _elementwise(math.lgamma, "gammaln")  # type: ignore[attr-defined]
