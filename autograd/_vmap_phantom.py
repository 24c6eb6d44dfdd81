"""The ``_data`` of a batched tensor under vmap: a phantom array.

A phantom has the logical (one example) shape and dtype of a batched tensor and knows
its vmap level and the physical value (batch dim first), but holds no values of its
own, so no code can read wrong numbers from it: it is not a NumPy array. NumPy
ufuncs and the functions in ``_vmap_numpy`` applied to it run on the physical array
and return phantoms again (raw-array code inside ops keeps working); anything else
that needs its values (``np.asarray``, ``float()``, ``if``) raises a vmap error.
"""

from __future__ import annotations

from typing import Any

from . import backend
from .tensor import Tensor, _wrap

__all__ = ["Phantom", "phantom", "make_phantom", "phantom_of_raw", "data_error", "is_basic_key",
           "VmapDataError"]

_np = backend.numpy


class VmapDataError(RuntimeError):
    """Code under vmap needed the values of a batched tensor."""


_PKG_DIR = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."


def _public_op() -> str | None:
    """The name of the autograd function user code called (the outermost autograd frame
    on the stack before user code), to name the op in vmap errors."""
    import sys

    frame = sys._getframe(2)
    name = None
    while frame is not None:
        path = frame.f_code.co_filename
        inside = path.startswith(_PKG_DIR) and "/_vmap" not in path and not path.endswith(
            ("/func.py", "/functional.py"))
        if inside:
            name = frame.f_code.co_name
        elif name is not None:
            break
        frame = frame.f_back
    return name


def data_error(what: str) -> VmapDataError:
    op = _public_op()
    head = f"vmap: no batching rule for {op}: " if op else "vmap: "
    return VmapDataError(
        f"{head}{what} reads the values of a batched tensor directly (data-dependent Python "
        "control flow or raw-array code), which vmap cannot batch. Use tensor ops (e.g. "
        "autograd.where instead of an if on a tensor), or move this code out of the vmapped "
        "function."
    )


def is_basic_key(key: Any) -> bool:
    items = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, (int, slice)) and not isinstance(k, bool)
               for k in items)


_META_FUNCS = frozenset(
    getattr(_np, n) for n in ("result_type", "shape", "ndim", "size", "iscomplexobj",
                              "isrealobj", "may_share_memory", "shares_memory", "can_cast",
                              "min_scalar_type")
)
_LIKE_FUNCS = frozenset(getattr(_np, n) for n in ("zeros_like", "ones_like", "empty_like",
                                                   "full_like"))


class _Flags:
    c_contiguous = f_contiguous = writeable = owndata = False
    contiguous = fortran = aligned = False

    def __getitem__(self, key: str) -> bool:
        return False


class Phantom:
    """Shape, dtype and batch bookkeeping of a batched tensor's data; no values."""

    __slots__ = ("shape", "dtype", "_level", "_value", "__weakref__")
    __array_priority__ = 1000
    flags = _Flags()
    base = None

    def __init__(self, value: Tensor, level: int) -> None:
        self.shape = tuple(value.shape[1:])
        self.dtype = value.dtype
        self._level = level
        self._value = value

    # -- metadata
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    @property
    def strides(self) -> tuple:
        return (0,) * len(self.shape)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def _stand_in(self) -> Any:
        """A value-less NumPy array with this metadata (for shape/dtype queries)."""
        return _np.broadcast_to(_np.empty((), self.dtype), self.shape)

    def _raw(self) -> Any:
        return self._value._data

    # -- NumPy protocols
    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        raise data_error("converting a batched array to a NumPy array (np.asarray)")

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if "out" in kwargs:
            raise data_error("an in-place write of batched values into a tensor that is not "
                             "batched (use the out-of-place op, e.g. y = y + x); numpy."
                             f"{ufunc.__name__}(..., out=)")
        if method != "__call__":
            raise data_error(f"numpy.{ufunc.__name__}.{method}")
        phs = [x if type(x) is Phantom else None for x in inputs]
        level = max(p._level for p in phs if p is not None)
        nd = max(_np.ndim(x) for x in inputs)
        args = []
        for x, p in zip(inputs, phs):
            if p is not None and p._level == level:
                raw = p._raw()
                if p.ndim < nd:
                    raw = raw.reshape((raw.shape[0],) + (1,) * (nd - p.ndim) + raw.shape[1:])
                x = raw
            args.append(x)
        return _rewrap(ufunc(*args, **kwargs), level)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if func in _META_FUNCS:
            return func(*(_plain(a) for a in args), **kwargs)
        if func in _LIKE_FUNCS:
            return func(_plain(args[0]), *args[1:], **kwargs)
        from . import _vmap_numpy

        found = [a for a in _walk(args) if type(a) is Phantom]
        level = max(p._level for p in found)
        size = next(p._raw().shape[0] for p in found if p._level == level)
        return _rewrap(_vmap_numpy.run(func, tuple(args), dict(kwargs), level, size), level)

    # -- methods that keep the batch
    def astype(self, dtype: Any, *args: Any, **kwargs: Any) -> Phantom:
        return phantom_of_raw(self._raw().astype(dtype, *args, **kwargs), self._level)

    def copy(self, order: str = "C") -> Phantom:
        return phantom_of_raw(self._raw().copy(), self._level)

    def reshape(self, *shape: Any, **kwargs: Any) -> Phantom:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        raw = self._raw()
        return phantom_of_raw(raw.reshape((raw.shape[0],) + tuple(shape)), self._level)

    def transpose(self, *axes: Any) -> Phantom:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        nd = self.ndim
        axes = tuple(range(nd - 1, -1, -1)) if not axes else axes
        perm = (0,) + tuple(a % nd + 1 for a in axes)
        return phantom_of_raw(self._raw().transpose(perm), self._level)

    @property
    def T(self) -> Phantom:
        return self.transpose()

    def __getitem__(self, key: Any) -> Phantom:
        if not is_basic_key(key):
            raise data_error("indexing a batched array with an array key")
        key = key if isinstance(key, tuple) else (key,)
        return phantom_of_raw(self._raw()[(slice(None),) + key], self._level)

    def __setitem__(self, key: Any, value: Any) -> None:
        raise data_error("writing into a batched tensor's raw data")

    def _no_values(self, *args: Any, **kwargs: Any) -> Any:
        raise data_error("reading a batched array's values")

    item = tolist = tobytes = __bool__ = __float__ = __int__ = __index__ = __complex__ = _no_values
    __iter__ = nonzero = sort = view = fill = _no_values

    def flatten(self, order: str = "C") -> Phantom:
        return self.reshape(-1).copy()

    def ravel(self, order: str = "C") -> Phantom:
        return self.reshape(-1)

    def __repr__(self) -> str:
        return f"<vmap batched array, level {self._level}, logical shape {self.shape}>"

    __str__ = __repr__
    __hash__ = object.__hash__


def _method(np_name: str) -> Any:
    fn = getattr(_np, np_name)

    def method(self: Phantom, *args: Any, **kwargs: Any) -> Any:
        return fn(self, *args, **kwargs)

    method.__name__ = np_name
    return method


for _name in ("sum", "mean", "prod", "max", "min", "any", "all", "std", "var", "argmax",
              "argmin", "cumsum", "cumprod", "argsort", "squeeze", "swapaxes", "diagonal",
              "round", "clip"):
    setattr(Phantom, _name, _method(_name))


def _binary(ufunc: Any, reflected: bool = False) -> Any:
    if reflected:
        return lambda self, other: ufunc(other, self)
    return lambda self, other: ufunc(self, other)


for _name, _uf in (("add", _np.add), ("sub", _np.subtract), ("mul", _np.multiply),
                   ("truediv", _np.true_divide), ("floordiv", _np.floor_divide),
                   ("mod", _np.remainder), ("pow", _np.power), ("matmul", _np.matmul),
                   ("and", _np.bitwise_and), ("or", _np.bitwise_or), ("xor", _np.bitwise_xor)):
    setattr(Phantom, f"__{_name}__", _binary(_uf))
    setattr(Phantom, f"__r{_name}__", _binary(_uf, True))
for _name, _uf in (("eq", _np.equal), ("ne", _np.not_equal), ("lt", _np.less),
                   ("le", _np.less_equal), ("gt", _np.greater), ("ge", _np.greater_equal)):
    setattr(Phantom, f"__{_name}__", _binary(_uf))
Phantom.__neg__ = lambda self: _np.negative(self)  # type: ignore[method-assign]
Phantom.__pos__ = lambda self: self  # type: ignore[method-assign]
Phantom.__abs__ = lambda self: _np.absolute(self)  # type: ignore[method-assign]
Phantom.__invert__ = lambda self: _np.invert(self)  # type: ignore[method-assign]
Phantom.__hash__ = object.__hash__  # type: ignore[method-assign]


def _plain(a: Any) -> Any:
    return a._stand_in() if type(a) is Phantom else a


def _walk(args: Any, depth: int = 0) -> list:
    out = []
    for a in args:
        if isinstance(a, (tuple, list)) and depth < 2:
            out += _walk(a, depth + 1)
        else:
            out.append(a)
    return out


def _rewrap(res: Any, level: int) -> Any:
    if isinstance(res, tuple):
        return tuple(phantom_of_raw(r, level) for r in res)
    return phantom_of_raw(res, level)


def make_phantom(value: Tensor, level: int) -> Phantom:
    return Phantom(value, level)


def phantom_of_raw(raw: Any, level: int) -> Phantom:
    """A phantom whose value is the raw physical array ``raw`` (batch dim first)."""
    if not hasattr(raw, "shape"):
        raw = _np.asarray(raw)
    return Phantom(_wrap(raw), level)


def phantom(a: Any) -> Phantom | None:
    """The phantom ``a`` is, or None for ordinary arrays."""
    return a if type(a) is Phantom else None
