"""The Tensor: an array (numpy or cupy) plus its place in the autograd graph.

Tensor is thin on purpose: it holds the array, the graph links and the Python
protocol; the math (forward, backward, jvp) lives in ``autograd.ops``, and the
methods that only call an op are bound from the tables in ``autograd._tensor_methods``.

Example:
    >>> import autograd
    >>> x = autograd.tensor([1.0, 2.0], requires_grad=True)
    >>> y = (x ** 2).sum()
    >>> y.backward()
    >>> x.grad
    tensor([2., 4.])
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from typing import Any

from . import backend

__all__ = ["Tensor"]

_new = object.__new__


def _wrap(data: Any, rg: bool = False, grad_fn: Any = None, nr: int = 0, vc: list | None = None) -> Tensor:
    """Fast internal constructor: wrap an array without copying or checking."""
    t = _new(Tensor)
    t._data = data
    t._rg = rg
    t.grad_fn = grad_fn
    t._output_nr = nr
    t._vc = [0] if vc is None else vc
    t._base = None
    return t


class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    Create tensors with :func:`autograd.tensor` and friends rather than this class.
    """

    __slots__ = ("_data", "_rg", "grad_fn", "_output_nr", "_vc", "_base", "__dict__", "__weakref__")

    # Rarely set per-tensor state: class-level defaults, instance dict when set.
    _grad: Tensor | None = None
    _acc: Any = None  # weakref to the AccumulateGrad node of a leaf
    _hooks: dict | None = None  # leaf gradient hooks {id: fn}
    _post_acc_hooks: dict | None = None
    _retains_grad = False
    _view_chain: tuple | None = None
    _view_version = 0
    _fw: dict | None = None  # forward-AD tangents by level
    _is_param = False

    __array_ufunc__ = None  # numpy defers `ndarray (op) Tensor` to our reflected ops
    __hash__ = object.__hash__

    def __init__(self, data: Any = None, *, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> None:
        from .creation import _to_array

        arr = _to_array([] if data is None else data, dtype, device, copy=True)
        self._data = arr
        self._rg = False
        self.grad_fn = None
        self._output_nr = 0
        self._vc = [0]
        self._base = None
        if requires_grad:
            self.requires_grad_(True)

    # ------------------------------------------------------------------ properties
    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's memory, outside the graph (not version-tracked)."""
        return _wrap(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data must be set to a Tensor, got {type(value).__name__}")
        self._data = value._data

    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self.grad_fn is not None:
            if requires_grad:
                return self
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                f"only Tensors of floating point and complex dtype can require gradients, "
                f"got {self._data.dtype}; convert first, e.g. x.float().requires_grad_()"
            )
        self._rg = bool(requires_grad)
        return self

    @property
    def grad(self) -> Tensor | None:
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad must be a Tensor or None, got {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: expected "
                    f"{list(self.shape)}, got {list(value.shape)}"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"assigned grad has data of a different type: expected {self.dtype}, "
                    f"got {value.dtype}"
                )
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def dtype(self) -> Any:
        return self._data.dtype

    @property
    def device(self) -> backend.Device:
        return backend.device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def _version(self) -> int:
        return self._vc[0]

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def T(self) -> Tensor:
        return _sh.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        return _sh.transpose(self, -2, -1)

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def size(self, dim: int | None = None) -> Any:
        return self._data.shape if dim is None else self._data.shape[dim]

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def stride(self, dim: int | None = None) -> Any:
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[dim]

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    def data_ptr(self) -> int:
        """The address of the first element (host or device memory)."""
        return backend.data_ptr(self._data)

    # ------------------------------------------------------------------ conversion
    def item(self) -> Any:
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar; "
                "item() needs exactly one element"
            )
        return self._data.reshape(()).item()

    def tolist(self) -> Any:
        return backend.to_device(self._data, backend.CPU).tolist()

    def numpy(self, *, force: bool = False) -> Any:
        if self._rg and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        if self.device.type != "cpu":
            if not force:
                raise TypeError(
                    f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() "
                    "to copy the tensor to host memory first."
                )
            return backend.to_device(self._data, backend.CPU)
        return self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        arr = backend.to_device(self._data, backend.CPU)
        return arr if dtype is None else arr.astype(dtype)

    def detach(self) -> Tensor:
        """A tensor sharing memory and version counter, cut from the graph."""
        return _wrap(self._data, False, None, 0, self._vc)

    def detach_(self) -> Tensor:
        if self._base is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._rg = False
        self._output_nr = 0
        return self

    def type(self, dtype: Any = None) -> Any:
        """``type()`` names the tensor type (``'autograd.FloatTensor'``); ``type(dtype)``
        converts."""
        if dtype is None:
            from .ops._util import type_name

            return f"autograd.{type_name(self._data.dtype)}Tensor"
        return _cr.to(self, backend.dtype(dtype))


    # ------------------------------------------------------------------ autograd
    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Accumulate d(self)/d(leaf) into the ``.grad`` of the graph's leaves."""
        from .engine import backward

        backward((self,), None if gradient is None else (gradient,), retain_graph,
                 create_graph, inputs=inputs)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Any:
        """``hook(grad)`` runs when this tensor's gradient is computed; a returned
        tensor replaces the gradient."""
        from .hooks import RemovableHandle

        if not self._rg:
            raise RuntimeError(
                "cannot register a hook on a tensor that doesn't require gradient"
            )
        if self.grad_fn is not None:
            return self.grad_fn._add_tensor_hook(self._output_nr, hook)
        if self._hooks is None:
            self._hooks = {}
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> Any:
        """``hook(tensor)`` runs after the gradient was accumulated into ``.grad``
        (leaf tensors only); the data-parallel layer uses it to learn a parameter is ready."""
        from .hooks import RemovableHandle

        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if not self._rg:
            raise RuntimeError(
                "cannot register a hook on a tensor that doesn't require gradient"
            )
        if self._post_acc_hooks is None:
            self._post_acc_hooks = {}
        handle = RemovableHandle(self._post_acc_hooks)
        self._post_acc_hooks[handle.id] = hook
        return handle

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self.grad_fn is None:
            if not self._rg:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self._retains_grad:
            return
        node = self.grad_fn
        if node._retain is None:
            node._retain = {}
        node._retain[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    # ------------------------------------------------------------------ python protocol
    def __repr__(self) -> str:
        from .printing import tensor_repr

        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 or (spec and self._data.size == 1):
            return format(self.item(), spec)
        return repr(self) if not spec else format(repr(self), spec)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(_sh.unbind(self, 0))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} elements is ambiguous; use "
                ".any() or .all()"
            )
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def _scalar(self) -> Any:
        if self._data.size != 1:
            raise ValueError(
                f"only one element tensors can be converted to Python scalars (this one has "
                f"{self._data.size} elements, shape {list(self.shape)})"
            )
        return self._data.reshape(()).item()

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError(
                "only integer tensors of a single element can be converted to an index (got "
                f"a {self.dtype} tensor with {self._data.size} elements)"
            )
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __contains__(self, element: Any) -> bool:
        if not isinstance(element, (Tensor, int, float, complex, bool)) and \
                not isinstance(element, backend.numpy.generic):
            raise RuntimeError(
                f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                f"{type(element).__name__}."
            )
        return bool((self == element)._data.any())

    def __reduce_ex__(self, protocol: int) -> Any:
        return (_rebuild, (backend.to_device(self._data, backend.CPU), str(self.device), self._rg))

    def __deepcopy__(self, memo: dict) -> Tensor:
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment"
            )
        t = type(self).__new__(type(self))
        Tensor.__init__(t, self._data.copy())
        t._rg = self._rg
        if self._grad is not None:
            t._grad = _wrap(self._grad._data.copy())
        t.__dict__.update({k: v for k, v in self.__dict__.items()
                           if k not in ("_acc", "_grad", "_hooks", "_post_acc_hooks")})
        memo[id(self)] = t
        return t

    # arithmetic
    def __pos__(self) -> Tensor:
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        _ix.setitem(self, index, value)


def _rebuild(array: Any, device: str, requires_grad: bool) -> Tensor:
    t = _wrap(backend.to_device(array, backend.device(device)))
    t._rg = requires_grad
    return t


# The op modules import Tensor from here, so they are bound after the class exists; the
# methods that only call an op come from the tables in ``_tensor_methods``.
from . import _tensor_methods
from . import creation as _cr
from .ops import index as _ix
from .ops import shape as _sh

_tensor_methods.install(Tensor)
