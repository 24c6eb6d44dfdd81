"""Graph nodes and saved values: ``Node`` (an op's ``grad_fn`` and its ``ctx``), the
``AccumulateGrad`` sink of a leaf, the edges between them, and how saved tensors are
packed (version-checked, or through saved-tensor hooks) and unpacked as Tensors or,
for array-level backward, as raw arrays. ``autograd.function`` builds on these and
re-exports them.

Example:
    >>> import autograd
    >>> x = autograd.ones(2, requires_grad=True)
    >>> y = (x * 3).exp()
    >>> y.grad_fn.name(), y.grad_fn.next_functions[0][0].name()
    ('ExpBackward', 'MulBackward')
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Callable
from typing import Any

from . import backend
from .hooks import RemovableHandle
from .tensor import Tensor, _wrap

__all__ = ["Node", "AccumulateGrad", "accumulator", "edge_of", "as_array", "saved_hooks"]

_seq = itertools.count()
_ndarray = backend.numpy.ndarray


def as_array(o: Any) -> Any:
    """Ufuncs on 0-d numpy arrays return numpy scalars; ops always produce arrays."""
    if o.__class__ is _ndarray:
        return o
    if backend.cupy is not None and isinstance(o, backend.cupy.ndarray):
        return o
    return backend.numpy.asarray(o)


class _SavedHooks(threading.local):
    stack: list = []  # saved_tensors_hooks (pack, unpack) pairs, innermost last
    disabled: str | None = None  # error message while hooks are disabled

    def __init__(self) -> None:
        self.stack = []


saved_hooks = _SavedHooks()


class _Scratch:
    """A throwaway ctx for ops that run without recording the graph."""

    needs_input_grad = ()
    _saved: list | None = None

    @property
    def saved_tensors(self) -> tuple:
        return tuple(_unpack(self, s) for s in self._saved or ())

    def name(self) -> str:
        return "op"


# ----------------------------------------------------------------------------- nodes


class Node:
    """A recorded op: the ``grad_fn`` of its outputs and the ``ctx`` of its Function.

    ``next_functions`` names the nodes the gradient flows to (``AccumulateGrad`` for
    leaves); hooks registered here see gradients as they pass.
    """

    # The per-op state lives in slots; what an op's forward stores on ctx (ctx.alpha …)
    # and rarely used state go to the instance dict, with these class-level defaults.
    __slots__ = ("__dict__", "__weakref__", "_fn", "_edges", "_saved", "_seq", "_n_out")

    _out_meta: tuple | None = None
    _pre_hooks: dict | None = None
    _post_hooks: dict | None = None
    _tensor_hooks: dict | None = None  # output_nr -> {id: hook}
    _retain: dict | None = None  # output_nr -> weakref of the tensor that retains grad
    _freed = False
    _trace: list | None = None
    _materialize = True
    _to_save: tuple | None = None
    _non_diff: tuple = ()
    _dirty: tuple = ()
    _fw_saved: tuple | None = None

    def __init__(self, fn: type, edges: Any) -> None:
        self._fn = fn
        # one edge per forward argument: (node, output_nr) for a tensor that needs a
        # gradient, None for a tensor that needs none, False for a non-tensor argument
        self._edges = edges
        self._seq = next(_seq)  # creation order: backward runs the newest ready node first
        self._saved = None
        self._n_out = 1

    # -- introspection, as in PyTorch
    def name(self) -> str:
        return self._fn.backward_name or self._fn.__name__ + "Backward"

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self) -> tuple:
        return tuple(e if e is not None else (None, 0) for e in self._edges if e is not False)

    @property
    def needs_input_grad(self) -> tuple:
        """One bool per forward argument: does it need a gradient?"""
        return tuple(map(bool, self._edges))

    @property
    def metadata(self) -> dict:
        if "_metadata" not in self.__dict__:
            self._metadata = {}
        return self._metadata

    def register_hook(self, fn: Callable) -> RemovableHandle:
        """``fn(grad_inputs, grad_outputs)`` runs after this node's backward; it may
        return replacement ``grad_inputs``."""
        if self._post_hooks is None:
            self._post_hooks = {}
        handle = RemovableHandle(self._post_hooks)
        self._post_hooks[handle.id] = fn
        return handle

    def register_prehook(self, fn: Callable) -> RemovableHandle:
        """``fn(grad_outputs)`` runs before this node's backward; it may return
        replacement ``grad_outputs``."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        handle = RemovableHandle(self._pre_hooks)
        self._pre_hooks[handle.id] = fn
        return handle

    def _add_tensor_hook(self, nr: int, fn: Callable) -> RemovableHandle:
        if self._tensor_hooks is None:
            self._tensor_hooks = {}
        store = self._tensor_hooks.setdefault(nr, {})
        handle = RemovableHandle(store)
        store[handle.id] = fn
        return handle

    # -- ctx API (custom Functions)
    def save_for_backward(self, *tensors: Any) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save tensors (or None), got {type(t).__name__}; "
                    "store other values as attributes of ctx instead"
                )
        self._to_save = tensors

    def save_for_forward(self, *tensors: Any) -> None:
        self._fw_saved = tensors

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        self._non_diff = tensors

    def mark_dirty(self, *tensors: Tensor) -> None:
        self._dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize = bool(value)

    @property
    def saved_tensors(self) -> tuple:
        if not self._saved:
            return self._nothing_saved()
        return tuple([_unpack(self, s) for s in self._saved])

    saved_variables = saved_tensors

    @property
    def saved_arrays(self) -> tuple:
        """The saved values as raw arrays (version-checked like ``saved_tensors``), for
        ``backward_array``."""
        saved = self._saved
        if not saved:
            return tuple(t._data if isinstance(t, Tensor) else t for t in self._nothing_saved())
        if len(saved) == 1:
            return (_unpack_array(self, saved[0]),)
        return tuple([_unpack_array(self, s) for s in saved])

    def _nothing_saved(self) -> tuple:
        if self._freed:
            raise RuntimeError(
                f"Trying to backward through the graph a second time (or directly access "
                f"saved tensors after they have already been freed) in {self.name()}. Saved "
                "intermediate values of the graph are freed when you call .backward() or "
                "autograd.grad(). Specify retain_graph=True if you need to backward through "
                "the graph a second time or if you need to access saved tensors after "
                "calling backward."
            )
        if self._saved is None and self._fw_saved is not None:
            return self._fw_saved
        return ()

    def _release(self) -> None:
        if self._saved:
            self._saved = None
            self._freed = True


class AccumulateGrad(Node):
    """The sink node of a leaf tensor: adds the incoming gradient to ``.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor) -> None:
        # sinks run as soon as they are ready; distinct numbers keep heap entries unique
        super().__init__(AccumulateGrad, ())
        self._seq += 1 << 62
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"


def accumulator(t: Tensor) -> AccumulateGrad:
    """The (cached, weakly held) AccumulateGrad node of leaf tensor ``t``."""
    ref = t._acc
    acc = ref() if ref is not None else None
    if acc is None:
        acc = AccumulateGrad(t)
        t._acc = weakref.ref(acc)
    return acc


def edge_of(t: Tensor) -> tuple | None:
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if t._rg:
        return (accumulator(t), 0)
    return None


# ----------------------------------------------------------------------------- saving


def _pack(node: Node, t: Any, is_output: bool, nr: int) -> tuple:
    """One saved value: ("i", tensor, version) for an input, ("o", array, version
    counter, version, output_nr) for an output (its data only: no node -> output
    cycle), ("h", packed, unpack) under saved-tensor hooks, ("v", value) otherwise."""
    if t is None or not isinstance(t, Tensor):
        return ("v", t)
    if saved_hooks.stack:
        pack, unpack = saved_hooks.stack[-1]
        return ("h", pack(t), unpack)
    if is_output:
        return ("o", t._data, t._vc, t._vc[0], nr)
    return ("i", t, t._vc[0])


def _version_error(node: Node, shape: tuple, dtype: Any, what: str, now: int, then: int) -> RuntimeError:
    from .ops._util import type_name

    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{type_name(dtype)}Tensor {list(shape)}], which is {what} of {node.name()}, "
        f"is at version {now}; expected version {then} instead. Hint: clone() the tensor "
        "before modifying it in place, or enable anomaly detection (autograd.detect_anomaly()) "
        "to find the operation that failed to compute its gradient."
    )


def _unpack(node: Node, s: tuple) -> Any:
    kind = s[0]
    if kind == "i":
        t = s[1]
        if t._vc[0] != s[2]:
            raise _version_error(node, t.shape, t.dtype, "an input", t._vc[0], s[2])
        return t
    if kind == "o":
        _, data, vc, version, nr = s
        if vc[0] != version:
            raise _version_error(node, data.shape, data.dtype, f"output {nr}", vc[0], version)
        return _wrap(data, True, node, nr, vc)
    if kind == "h":
        return s[2](s[1])
    return s[1]


def _unpack_array(node: Node, s: tuple) -> Any:
    kind = s[0]
    if kind == "o":
        _, data, vc, version, nr = s
        if vc[0] != version:
            raise _version_error(node, data.shape, data.dtype, f"output {nr}", vc[0], version)
        return data
    if kind == "i":
        t = s[1]
        if t._vc[0] != s[2]:
            raise _version_error(node, t.shape, t.dtype, "an input", t._vc[0], s[2])
        return t._data
    if kind == "h":
        t = s[2](s[1])
        return t._data if isinstance(t, Tensor) else t
    return s[1]
