"""The Tensor: an array (numpy or cupy) plus its place in the autograd graph.

Tensor is thin on purpose: every method is a one-line call into ``autograd.ops``,
where the math (forward, backward, jvp) lives.

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
        return int(self._data.__array_interface__["data"][0]) if self.device.type == "cpu" \
            else int(self._data.data.ptr)

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

    def clone(self, *, memory_format: Any = None) -> Tensor:
        return _sh.clone(self)

    def contiguous(self, memory_format: Any = None) -> Tensor:
        return self if self._data.flags.c_contiguous else _sh.clone(self)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(other)``; differentiable."""
        return _cr.to(self, *args, **kwargs)

    def cpu(self) -> Tensor:
        return _cr.to(self, "cpu")

    def cuda(self, device: Any = None) -> Tensor:
        return _cr.to(self, "cuda" if device is None else backend.device(device))

    def type(self, dtype: Any = None) -> Any:
        """``type()`` names the tensor type (``'autograd.FloatTensor'``); ``type(dtype)``
        converts."""
        if dtype is None:
            from .ops._util import type_name

            return f"autograd.{type_name(self._data.dtype)}Tensor"
        return _cr.to(self, backend.dtype(dtype))

    def type_as(self, other: Tensor) -> Tensor:
        return _cr.to(self, other.dtype)

    def float(self) -> Tensor:
        return _cr.to(self, backend.float32)

    def double(self) -> Tensor:
        return _cr.to(self, backend.float64)

    def half(self) -> Tensor:
        return _cr.to(self, backend.float16)

    def int(self) -> Tensor:
        return _cr.to(self, backend.int32)

    def long(self) -> Tensor:
        return _cr.to(self, backend.int64)

    def bool(self) -> Tensor:
        return _cr.to(self, backend.bool_)

    def new_tensor(self, data: Any, dtype: Any = None, device: Any = None,
                   requires_grad: bool = False) -> Tensor:
        return _cr.tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                          requires_grad=requires_grad)

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
        return _cr.zeros(*size, dtype=dtype or self.dtype, device=device or self.device,
                         requires_grad=requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        return _cr.ones(*size, dtype=dtype or self.dtype, device=device or self.device,
                        requires_grad=requires_grad)

    def new_full(self, size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        return _cr.full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                        requires_grad=requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
        return _cr.empty(*size, dtype=dtype or self.dtype, device=device or self.device,
                         requires_grad=requires_grad)

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
    def __add__(self, other: Any) -> Tensor:
        return _bin.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _bin.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _bin.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _bin.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _bin.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _bin.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _bin.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _bin.div(other, self)

    def __floordiv__(self, other: Any) -> Tensor:
        return _bin.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return _bin.floor_divide(other, self)

    def __mod__(self, other: Any) -> Tensor:
        return _bin.remainder(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return _bin.remainder(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _bin.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _bin.pow(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _mm.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _mm.matmul(other, self)

    def __neg__(self) -> Tensor:
        return _pw.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _pw.abs(self)

    def __invert__(self) -> Tensor:
        return _cmp.bitwise_not(self)

    def __and__(self, other: Any) -> Tensor:
        return _cmp.bitwise_and(self, other)

    def __rand__(self, other: Any) -> Tensor:
        return _cmp.bitwise_and(other, self)

    def __or__(self, other: Any) -> Tensor:
        return _cmp.bitwise_or(self, other)

    def __ror__(self, other: Any) -> Tensor:
        return _cmp.bitwise_or(other, self)

    def __xor__(self, other: Any) -> Tensor:
        return _cmp.bitwise_xor(self, other)

    def __rxor__(self, other: Any) -> Tensor:
        return _cmp.bitwise_xor(other, self)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _cmp.eq(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _cmp.ne(self, other)

    def __lt__(self, other: Any) -> Tensor:
        return _cmp.lt(self, other)

    def __le__(self, other: Any) -> Tensor:
        return _cmp.le(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _cmp.gt(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _cmp.ge(self, other)

    # in-place arithmetic
    def __iadd__(self, other: Any) -> Tensor:
        return _bin.add_(self, other)

    def __isub__(self, other: Any) -> Tensor:
        return _bin.sub_(self, other)

    def __imul__(self, other: Any) -> Tensor:
        return _bin.mul_(self, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return _bin.div_(self, other)

    def __ipow__(self, other: Any) -> Tensor:
        return _bin.pow_(self, other)

    def __getitem__(self, index: Any) -> Tensor:
        return _ix.getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        _ix.setitem(self, index, value)

    # ------------------------------------------------------------------ pointwise
    def neg(self) -> Tensor:
        return _pw.neg(self)

    negative = neg

    def exp(self) -> Tensor:
        return _pw.exp(self)

    def exp2(self) -> Tensor:
        return _pw.exp2(self)

    def log(self) -> Tensor:
        return _pw.log(self)

    def log2(self) -> Tensor:
        return _pw.log2(self)

    def log10(self) -> Tensor:
        return _pw.log10(self)

    def log1p(self) -> Tensor:
        return _pw.log1p(self)

    def expm1(self) -> Tensor:
        return _pw.expm1(self)

    def sqrt(self) -> Tensor:
        return _pw.sqrt(self)

    def rsqrt(self) -> Tensor:
        return _pw.rsqrt(self)

    def square(self) -> Tensor:
        return _pw.square(self)

    def abs(self) -> Tensor:
        return _pw.abs(self)

    absolute = abs

    def sin(self) -> Tensor:
        return _pw.sin(self)

    def cos(self) -> Tensor:
        return _pw.cos(self)

    def tan(self) -> Tensor:
        return _pw.tan(self)

    def asin(self) -> Tensor:
        return _pw.asin(self)

    def acos(self) -> Tensor:
        return _pw.acos(self)

    def atan(self) -> Tensor:
        return _pw.atan(self)

    def sinh(self) -> Tensor:
        return _pw.sinh(self)

    def cosh(self) -> Tensor:
        return _pw.cosh(self)

    def tanh(self) -> Tensor:
        return _pw.tanh(self)

    def sigmoid(self) -> Tensor:
        return _pw.sigmoid(self)

    def relu(self) -> Tensor:
        return _pw.relu(self)

    def erf(self) -> Tensor:
        return _pw.erf(self)

    def erfc(self) -> Tensor:
        return _pw.erfc(self)

    def reciprocal(self) -> Tensor:
        return _pw.reciprocal(self)

    def frac(self) -> Tensor:
        return _pw.frac(self)

    def neg_(self) -> Tensor:
        return _pw.neg_(self)

    def exp_(self) -> Tensor:
        return _pw.exp_(self)

    def log_(self) -> Tensor:
        return _pw.log_(self)

    def sqrt_(self) -> Tensor:
        return _pw.sqrt_(self)

    def abs_(self) -> Tensor:
        return _pw.abs_(self)

    def sin_(self) -> Tensor:
        return _pw.sin_(self)

    def cos_(self) -> Tensor:
        return _pw.cos_(self)

    def tanh_(self) -> Tensor:
        return _pw.tanh_(self)

    def sigmoid_(self) -> Tensor:
        return _pw.sigmoid_(self)

    def relu_(self) -> Tensor:
        return _pw.relu_(self)

    def reciprocal_(self) -> Tensor:
        return _pw.reciprocal_(self)

    # ------------------------------------------------------------------ binary
    def add(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return _bin.add(self, other, alpha=alpha)

    def sub(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return _bin.sub(self, other, alpha=alpha)

    subtract = sub

    def mul(self, other: Any) -> Tensor:
        return _bin.mul(self, other)

    multiply = mul

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        return _bin.div(self, other, rounding_mode=rounding_mode)

    divide = div
    true_divide = div

    def pow(self, exponent: Any) -> Tensor:
        return _bin.pow(self, exponent)

    def maximum(self, other: Tensor) -> Tensor:
        return _bin.maximum(self, other)

    def minimum(self, other: Tensor) -> Tensor:
        return _bin.minimum(self, other)

    def atan2(self, other: Tensor) -> Tensor:
        return _bin.atan2(self, other)

    arctan2 = atan2

    def fmod(self, other: Any) -> Tensor:
        return _bin.fmod(self, other)

    def remainder(self, other: Any) -> Tensor:
        return _bin.remainder(self, other)

    def floor_divide(self, other: Any) -> Tensor:
        return _bin.floor_divide(self, other)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        return _bin.clamp(self, min, max)

    clip = clamp

    def clamp_min(self, min: Any) -> Tensor:
        return _bin.clamp(self, min, None)

    def clamp_max(self, max: Any) -> Tensor:
        return _bin.clamp(self, None, max)

    def where(self, condition: Tensor, other: Any) -> Tensor:
        return _bin.where(condition, self, other)

    def lerp(self, end: Tensor, weight: Any) -> Tensor:
        return _bin.lerp(self, end, weight)

    def addcmul(self, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
        return _bin.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
        return _bin.addcdiv(self, tensor1, tensor2, value=value)

    def add_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return _bin.add_(self, other, alpha=alpha)

    def sub_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return _bin.sub_(self, other, alpha=alpha)

    def mul_(self, other: Any) -> Tensor:
        return _bin.mul_(self, other)

    def div_(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        return _bin.div_(self, other, rounding_mode=rounding_mode)

    def pow_(self, exponent: Any) -> Tensor:
        return _bin.pow_(self, exponent)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        return _bin.clamp_(self, min, max)

    clip_ = clamp_

    def lerp_(self, end: Tensor, weight: Any) -> Tensor:
        return _bin.lerp_(self, end, weight)

    def addcmul_(self, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
        return _bin.addcmul_(self, tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
        return _bin.addcdiv_(self, tensor1, tensor2, value=value)

    def maximum_(self, other: Tensor) -> Tensor:
        return _bin.maximum_(self, other)

    def zero_(self) -> Tensor:
        return _bin.fill_(self, 0)

    def fill_(self, value: Any) -> Tensor:
        return _bin.fill_(self, value)

    def copy_(self, src: Tensor, non_blocking: bool = False) -> Tensor:
        return _bin.copy_(self, src)

    # ------------------------------------------------------------------ comparisons & co
    def eq(self, other: Any) -> Tensor:
        return _cmp.eq(self, other)

    def ne(self, other: Any) -> Tensor:
        return _cmp.ne(self, other)

    def lt(self, other: Any) -> Tensor:
        return _cmp.lt(self, other)

    def le(self, other: Any) -> Tensor:
        return _cmp.le(self, other)

    def gt(self, other: Any) -> Tensor:
        return _cmp.gt(self, other)

    def ge(self, other: Any) -> Tensor:
        return _cmp.ge(self, other)

    def equal(self, other: Tensor) -> bool:
        return _cmp.equal(self, other)

    def isclose(self, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
                equal_nan: bool = False) -> Tensor:
        return _cmp.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
                 equal_nan: bool = False) -> bool:
        return _cmp.allclose(self, other, rtol, atol, equal_nan)

    def round(self, decimals: int = 0) -> Tensor:
        return _cmp.round(self, decimals=decimals)

    def floor(self) -> Tensor:
        return _cmp.floor(self)

    def ceil(self) -> Tensor:
        return _cmp.ceil(self)

    def trunc(self) -> Tensor:
        return _cmp.trunc(self)

    def sign(self) -> Tensor:
        return _cmp.sign(self)

    def isfinite(self) -> Tensor:
        return _cmp.isfinite(self)

    def isnan(self) -> Tensor:
        return _cmp.isnan(self)

    def isinf(self) -> Tensor:
        return _cmp.isinf(self)

    def logical_not(self) -> Tensor:
        return _cmp.logical_not(self)

    def logical_and(self, other: Tensor) -> Tensor:
        return _cmp.logical_and(self, other)

    def logical_or(self, other: Tensor) -> Tensor:
        return _cmp.logical_or(self, other)

    def logical_xor(self, other: Tensor) -> Tensor:
        return _cmp.logical_xor(self, other)

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        return _cmp.nonzero(self, as_tuple=as_tuple)

    # ------------------------------------------------------------------ reductions
    def sum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        return _red.sum(self, dim, keepdim, dtype=dtype)

    def mean(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        return _red.mean(self, dim, keepdim, dtype=dtype)

    def prod(self, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        return _red.prod(self, dim, keepdim, dtype=dtype)

    def var(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: Any = None) -> Tensor:
        return _red.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: Any = None) -> Tensor:
        return _red.std(self, dim, unbiased, keepdim, correction=correction)

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        return _red.max(self, dim, keepdim)

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        return _red.min(self, dim, keepdim)

    def amax(self, dim: Any = (), keepdim: bool = False) -> Tensor:
        return _red.amax(self, dim, keepdim)

    def amin(self, dim: Any = (), keepdim: bool = False) -> Tensor:
        return _red.amin(self, dim, keepdim)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return _red.argmax(self, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return _red.argmin(self, dim, keepdim)

    def logsumexp(self, dim: Any, keepdim: bool = False) -> Tensor:
        return _red.logsumexp(self, dim, keepdim)

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
        return _red.norm(self, p, dim, keepdim, dtype=dtype)

    def cumsum(self, dim: int, *, dtype: Any = None) -> Tensor:
        return _red.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim: int, *, dtype: Any = None) -> Tensor:
        return _red.cumprod(self, dim, dtype=dtype)

    def quantile(self, q: Any, dim: int | None = None, keepdim: bool = False, *,
                 interpolation: str = "linear") -> Tensor:
        return _red.quantile(self, q, dim, keepdim, interpolation=interpolation)

    def median(self, dim: int | None = None, keepdim: bool = False) -> Any:
        return _red.median(self, dim, keepdim)

    def any(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return _red.any(self, dim, keepdim)

    def all(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return _red.all(self, dim, keepdim)

    def count_nonzero(self, dim: Any = None) -> Tensor:
        return _red.count_nonzero(self, dim)

    def softmax(self, dim: int, dtype: Any = None) -> Tensor:
        return _red.softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim: int, dtype: Any = None) -> Tensor:
        return _red.log_softmax(self, dim, dtype=dtype)

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        return _red.sort(self, dim, descending, stable=stable)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        return _red.argsort(self, dim, descending, stable=stable)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        return _red.topk(self, k, dim, largest, sorted)

    # ------------------------------------------------------------------ matmul family
    def matmul(self, other: Tensor) -> Tensor:
        return _mm.matmul(self, other)

    def mm(self, other: Tensor) -> Tensor:
        return _mm.mm(self, other)

    def bmm(self, other: Tensor) -> Tensor:
        return _mm.bmm(self, other)

    def mv(self, vec: Tensor) -> Tensor:
        return _mm.mv(self, vec)

    def dot(self, other: Tensor) -> Tensor:
        return _mm.dot(self, other)

    def outer(self, other: Tensor) -> Tensor:
        return _mm.outer(self, other)

    ger = outer

    def diag(self, diagonal: int = 0) -> Tensor:
        return _mm.diag(self, diagonal)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        return _mm.diagonal(self, offset, dim1, dim2)

    def trace(self) -> Tensor:
        return _mm.trace(self)

    def tril(self, diagonal: int = 0) -> Tensor:
        return _mm.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        return _mm.triu(self, diagonal)

    def inverse(self) -> Tensor:
        from . import linalg

        return linalg.inv(self)

    def det(self) -> Tensor:
        from . import linalg

        return linalg.det(self)

    def slogdet(self) -> Any:
        from . import linalg

        return linalg.slogdet(self)

    def cholesky(self, upper: bool = False) -> Tensor:
        from . import linalg

        out = linalg.cholesky(self)
        return out.mT if upper else out

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape: Any) -> Tensor:
        return _sh.reshape(self, *shape)

    def view(self, *shape: Any) -> Tensor:
        return _sh.view(self, *shape)

    def view_as(self, other: Tensor) -> Tensor:
        return _sh.view(self, other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return _sh.reshape(self, other.shape)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        return _sh.transpose(self, dim0, dim1)

    swapaxes = transpose
    swapdims = transpose

    def t(self) -> Tensor:
        return _sh.t(self)

    def permute(self, *dims: Any) -> Tensor:
        return _sh.permute(self, *dims)

    def squeeze(self, dim: Any = None) -> Tensor:
        return _sh.squeeze(self, dim)

    def unsqueeze(self, dim: int) -> Tensor:
        return _sh.unsqueeze(self, dim)

    def expand(self, *sizes: Any) -> Tensor:
        return _sh.expand(self, *sizes)

    def expand_as(self, other: Tensor) -> Tensor:
        return _sh.expand(self, other.shape)

    def broadcast_to(self, shape: Any) -> Tensor:
        return _sh.broadcast_to(self, shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return _sh.flatten(self, start_dim, end_dim)

    def unflatten(self, dim: int, sizes: Any) -> Tensor:
        return _sh.unflatten(self, dim, sizes)

    def ravel(self) -> Tensor:
        return _sh.flatten(self)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        return _sh.split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        return _sh.chunk(self, chunks, dim)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        return _sh.unbind(self, dim)

    def flip(self, *dims: Any) -> Tensor:
        return _sh.flip(self, *dims)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        return _sh.roll(self, shifts, dims)

    def repeat(self, *sizes: Any) -> Tensor:
        return _sh.repeat(self, *sizes)

    def tile(self, *dims: Any) -> Tensor:
        return _sh.tile(self, *dims)

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        return _sh.narrow(self, dim, start, length)

    def movedim(self, source: Any, destination: Any) -> Tensor:
        return _sh.movedim(self, source, destination)

    moveaxis = movedim

    # ------------------------------------------------------------------ indexing
    def gather(self, dim: int, index: Tensor) -> Tensor:
        return _ix.gather(self, dim, index)

    def scatter(self, dim: int, index: Tensor, src: Any, *, reduce: str | None = None) -> Tensor:
        return _ix.scatter(self, dim, index, src, reduce=reduce)

    def scatter_(self, dim: int, index: Tensor, src: Any, *, reduce: str | None = None) -> Tensor:
        return _ix.scatter_(self, dim, index, src, reduce=reduce)

    def scatter_add(self, dim: int, index: Tensor, src: Tensor) -> Tensor:
        return _ix.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim: int, index: Tensor, src: Tensor) -> Tensor:
        return _ix.scatter_add_(self, dim, index, src)

    def index_select(self, dim: int, index: Tensor) -> Tensor:
        return _ix.index_select(self, dim, index)

    def index_add(self, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
        return _ix.index_add(self, dim, index, source, alpha=alpha)

    def masked_fill(self, mask: Tensor, value: Any) -> Tensor:
        return _ix.masked_fill(self, mask, value)

    def masked_fill_(self, mask: Tensor, value: Any) -> Tensor:
        return _ix.masked_fill_(self, mask, value)

    def masked_select(self, mask: Tensor) -> Tensor:
        return _ix.masked_select(self, mask)

    def take(self, index: Tensor) -> Tensor:
        return _ix.take(self, index)

    # ------------------------------------------------------------------ random fills
    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
        return _rnd.uniform_(self, a, b, generator=generator)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
        return _rnd.normal_(self, mean, std, generator=generator)

    def bernoulli_(self, p: float = 0.5, *, generator: Any = None) -> Tensor:
        return _rnd.bernoulli_(self, p, generator=generator)

    def random_(self, low: int = 0, high: int | None = None, *, generator: Any = None) -> Tensor:
        return _rnd.random_(self, low, high, generator=generator)

    def exponential_(self, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
        return _rnd.exponential_(self, lambd, generator=generator)


def _rebuild(array: Any, device: str, requires_grad: bool) -> Tensor:
    t = _wrap(backend.to_device(array, backend.device(device)))
    t._rg = requires_grad
    return t


# The op modules import Tensor from here, so they are bound after the class exists.
from . import creation as _cr
from . import random as _rnd
from .ops import binary as _bin
from .ops import compare as _cmp
from .ops import index as _ix
from .ops import matmul as _mm
from .ops import pointwise as _pw
from .ops import reduce as _red
from .ops import shape as _sh


def _as_method(fn: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        return fn(self, *args, **kwargs)

    method.__name__ = fn.__name__
    method.__qualname__ = f"Tensor.{fn.__name__}"
    method.__doc__ = f"``autograd.{fn.__name__}(self, ...)`` as a method."
    return method


# PyTorch Tensor methods that are exactly ``op(self, ...)``: bound from the op modules
# (the ones an op module does not define are left out rather than failing later).
_PLAIN_METHODS = {
    _bin: ("hypot", "xlogy"),
    _cmp: ("greater", "greater_equal", "less", "less_equal", "not_equal", "fix", "sgn",
           "signbit", "isposinf", "isneginf", "isreal", "bitwise_not", "bitwise_and",
           "bitwise_or", "bitwise_xor", "argwhere", "nan_to_num"),
    _ix: ("index_copy", "index_fill", "index_put", "index_put_", "scatter_reduce",
          "scatter_reduce_", "take_along_dim"),
    _mm: ("vdot", "inner", "kron", "diag_embed", "addmm", "addmv", "baddbmm", "addbmm", "cross"),
    _pw: ("arcsin", "arccos", "arctan"),
    _red: ("nansum", "nanmean", "logcumsumexp", "cummax", "cummin", "aminmax", "kthvalue",
           "nanmedian", "nanquantile"),
    _sh: ("tensor_split", "fliplr", "flipud", "repeat_interleave"),
}
for _mod, _names in _PLAIN_METHODS.items():
    for _name in _names:
        if _name not in Tensor.__dict__ and hasattr(_mod, _name):
            setattr(Tensor, _name, _as_method(getattr(_mod, _name)))
