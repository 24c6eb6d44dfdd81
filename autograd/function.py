"""How an op call records itself: graph nodes (``grad_fn`` / ``ctx``), custom
``Function``s, built-in array-level ``Op``s, saved tensors, views and in-place ops.

A built-in op is an ``Op`` subclass whose ``forward`` works on raw arrays (numpy or
cupy) and whose ``backward``/``jvp`` are written with Tensor ops, so they are
differentiable again (higher-order gradients) and run on either backend.

Example (a custom Function, as in PyTorch):
    >>> import autograd
    >>> class Square(autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, grad_out):
    ...         (x,) = ctx.saved_tensors
    ...         return 2 * x * grad_out
    >>> x = autograd.tensor([3.0], requires_grad=True)
    >>> Square.apply(x).backward(autograd.ones(1))
    >>> x.grad
    tensor([6.])
"""

from __future__ import annotations

import functools
import itertools
import threading
import weakref
from collections.abc import Callable
from typing import Any

from . import anomaly as _anomaly
from . import backend
from .grad_mode import no_grad
from .grad_mode import state as _grad_state
from .hooks import RemovableHandle
from .tensor import Tensor, _wrap

__all__ = ["Function", "Op", "Node", "once_differentiable", "FunctionCtx"]

_seq = itertools.count()
_DIFF_KINDS = frozenset("fc")
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


class _FwState(threading.local):
    level = -1  # index of the innermost active forward-AD level, -1 when none

    def __init__(self) -> None:
        self.ids: list[int] = []  # unique id of each active level, outermost first


fw_state = _FwState()


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

    __slots__ = (
        "__dict__", "__weakref__", "_fn", "_edges", "needs_input_grad", "_saved", "_seq",
        "_n_out",
    )

    # Rarely used state lives in the instance dict, with these class-level defaults.
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

    def __init__(self, fn: type) -> None:
        self._fn = fn
        self._seq = next(_seq)
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
        if self._saved is None:
            if self._freed:
                raise RuntimeError(
                    f"Trying to backward through the graph a second time (or directly access "
                    f"saved tensors after they have already been freed) in {self.name()}. Saved "
                    "intermediate values of the graph are freed when you call .backward() or "
                    "autograd.grad(). Specify retain_graph=True if you need to backward through "
                    "the graph a second time or if you need to access saved tensors after "
                    "calling backward."
                )
            if self._fw_saved is not None:
                return self._fw_saved
            return ()
        return tuple(_unpack(self, s) for s in self._saved)

    saved_variables = saved_tensors

    def _release(self) -> None:
        if self._saved is not None and len(self._saved):
            self._saved = None
            self._freed = True


class AccumulateGrad(Node):
    """The sink node of a leaf tensor: adds the incoming gradient to ``.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor) -> None:
        self._fn = AccumulateGrad
        self._seq = 1 << 62  # sinks run as soon as they are ready
        self._saved = None
        self._n_out = 1
        self._edges = ()
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


def _save_op(node: Any, cls: type, args: tuple, out: Any) -> None:
    saved = [_pack(node, args[i], False, 0) for i in cls.saved_inputs]
    if cls.save_output:
        # Under forward AD the jvp needs the output tensor itself (with its tangents
        # of outer levels); otherwise keep only its data, so no node -> output cycle.
        saved.append(_pack(node, out, fw_state.level < 0, 0))
    node._saved = saved


# ----------------------------------------------------------------------------- Function


class FunctionCtx(Node):
    """Alias kept for type hints: ``ctx`` in ``forward(ctx, ...)`` is a Node."""


class _FunctionMeta(type):
    def __init__(cls, name: str, bases: tuple, ns: dict) -> None:
        super().__init__(name, bases, ns)
        if "vjp" in ns and "backward" not in ns:
            cls.backward = ns["vjp"]
        elif "backward" in ns and "vjp" in ns and ns["vjp"] is not ns["backward"]:
            raise TypeError(
                f"{name}: implementing both 'backward' and 'vjp' is not allowed; implement one"
            )


class Function(metaclass=_FunctionMeta):
    """Base class of custom differentiable operations (``torch.autograd.Function``).

    Subclass it with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``
    (and optionally ``jvp(ctx, *tangents)`` for forward mode); call ``.apply``.
    """

    @staticmethod
    def forward(ctx: Node, *args: Any) -> Any:
        raise RuntimeError("a Function subclass must define a static forward(ctx, *args)")

    @staticmethod
    def backward(ctx: Node, *grad_outputs: Any) -> Any:
        raise RuntimeError(
            "this Function does not define backward(ctx, *grad_outputs), so it cannot be "
            "differentiated in reverse mode"
        )

    @staticmethod
    def jvp(ctx: Node, *grad_inputs: Any) -> Any:
        raise RuntimeError(
            "this Function does not define jvp(ctx, *tangents), so it cannot be used with "
            "forward-mode AD"
        )

    vjp = backward

    # The grad_fn name when it is not ``<class name>Backward`` (e.g. a fast variant of
    # an op that should still print as PyTorch names it: ``backward_name = "MulBackward"``).
    backward_name: str | None = None

    @staticmethod
    def setup_context(ctx: Node, inputs: tuple, output: Any) -> None:
        raise RuntimeError("setup_context is only used when forward takes no ctx")

    @classmethod
    def _uses_setup_context(cls) -> bool:
        return any("setup_context" in k.__dict__ for k in cls.__mro__[:-1] if k not in (Function, Op))

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run ``forward`` under no_grad and record a node whose backward is ``backward``."""
        tensors = [a for a in args if isinstance(a, Tensor)]
        _check_devices(cls, tensors)
        record = _grad_state.enabled and any(t._rg for t in tensors)
        if record:
            for t in tensors:
                if t._base is not None:
                    refresh_view(t)
        ctx = Node(cls)
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg and record for a in args)
        # one edge per argument: None for a tensor that needs no gradient, False for a
        # non-tensor argument (next_functions lists tensors only, as PyTorch)
        ctx._edges = tuple((edge_of(a) if record else None) if isinstance(a, Tensor) else False
                           for a in args)
        if record:
            ctx._in_meta = tuple(
                (a._data.shape, a._data.dtype) if isinstance(a, Tensor) else None for a in args
            )
        if record and _anomaly.state.enabled:
            ctx._trace = _anomaly.capture_stack()
        with no_grad():
            if cls._uses_setup_context():
                raw = cls.forward(*args)
                cls.setup_context(ctx, args, raw)
            else:
                raw = cls.forward(ctx, *args)
        single = not isinstance(raw, tuple)
        outs = (raw,) if single else raw
        input_ids = {id(t) for t in tensors}
        dirty_ids = {id(t) for t in ctx._dirty}
        non_diff_ids = {id(t) for t in ctx._non_diff}
        results = []
        for nr, o in enumerate(outs):
            if not isinstance(o, Tensor):
                results.append(o)
                continue
            if id(o) in input_ids and id(o) not in dirty_ids:
                o = _wrap(o._data, False, None, 0, o._vc)  # an input returned as-is: alias it
            differentiable = (
                record and id(o) not in non_diff_ids and o._data.dtype.kind in _DIFF_KINDS
            )
            if id(o) in dirty_ids:
                o._vc[0] += 1  # as PyTorch: marking dirty is itself a modification
                if o._base is None and o.grad_fn is None and o._rg and record:
                    raise RuntimeError(
                        "a leaf Variable that requires grad is being used in an in-place "
                        "operation (mark_dirty in a custom Function)."
                    )
                if differentiable:
                    if o._base is not None:
                        rebase_view(o, _wrap(o._data, True, ctx, nr, o._vc))
                    else:
                        o.grad_fn, o._output_nr, o._rg = ctx, nr, True
            elif differentiable:
                o.grad_fn, o._output_nr, o._rg = ctx, nr, True
            results.append(o)
        ctx._n_out = len(outs)
        if record:
            ctx._out_meta = tuple(
                (o._data.shape, o._data.dtype, o._data) if isinstance(o, Tensor) else None
                for o in results
            )
            if ctx._to_save is not None:
                out_ids = {id(o): i for i, o in enumerate(results) if isinstance(o, Tensor)}
                ctx._saved = [
                    _pack(ctx, t, id(t) in out_ids and id(t) not in input_ids, out_ids.get(id(t), 0))
                    for t in ctx._to_save
                ]
                ctx._to_save = None
            else:
                ctx._saved = ()
        if fw_state.level >= 0:
            _forward_ad_custom(cls, ctx, args, results)
        return results[0] if single else tuple(results)

    # -- how the engine runs this node
    @classmethod
    def _run_backward(cls, ctx: Node, grads: tuple) -> tuple:
        if ctx._materialize:
            grads = _materialize(ctx, grads)
        out = cls.backward(ctx, *grads)
        if not isinstance(out, tuple):
            out = (out,)
        n_in = len(ctx._edges)
        if len(out) != n_in:
            if len(out) > n_in and all(g is None for g in out[n_in:]):
                out = out[:n_in]
            else:
                raise RuntimeError(
                    f"function {ctx.name()} returned an incorrect number of gradients "
                    f"(expected {n_in}, got {len(out)}): backward must return one value per "
                    "argument of forward (None for arguments that need no gradient)"
                )
        return _validate(ctx, out)


def _materialize(ctx: Node, grads: tuple) -> tuple:
    if ctx._out_meta is None or all(g is not None for g in grads):
        return grads
    filled = []
    for g, meta in zip(grads, ctx._out_meta):
        if g is None and meta is not None:
            shape, dtype, like = meta
            g = _wrap(backend.xp_of(like).zeros(shape, dtype))
        filled.append(g)
    return tuple(filled)


def _validate(ctx: Node, grads: tuple) -> tuple:
    """Check a custom backward's gradients against the inputs (shape, type)."""
    out = []
    for i, (g, e) in enumerate(zip(grads, ctx._edges)):
        if g is None or not e:
            if e is False and g is not None:
                raise RuntimeError(
                    f"function {ctx.name()} returned a gradient different than None at position "
                    f"{i + 1}, but the corresponding forward input was not a Variable (return "
                    "None for non-tensor arguments)"
                )
            out.append(g if e else None)
            continue
        if not isinstance(g, Tensor):
            raise RuntimeError(
                f"function {ctx.name()} returned a {type(g).__name__} as gradient {i}; "
                "expected a Tensor or None"
            )
        meta = ctx.__dict__.get("_in_meta")
        if meta is not None and meta[i] is not None:
            shape, dtype = meta[i]
            if g._data.shape != shape:
                if not _expandable(shape, g._data.shape):
                    raise RuntimeError(
                        f"Function {ctx.name()} returned an invalid gradient at index {i} - got "
                        f"{list(g.shape)} but expected shape compatible with {list(shape)}"
                    )
                from .ops.shape import sum_to

                g = sum_to(g, shape)
            if g._data.dtype != dtype:
                g = g.to(dtype)
        out.append(g)
    return tuple(out)


def _expandable(shape: tuple, target: tuple) -> bool:
    """True when ``shape`` broadcasts to ``target`` (so a gradient can be summed back)."""
    if len(shape) > len(target):
        return False
    for a, b in zip(reversed(shape), reversed(target)):
        if a != b and a != 1:
            return False
    return True


def _check_devices(cls: type, tensors: list) -> None:
    if backend.cupy is None or len(tensors) < 2:
        return
    devs = {str(t.device) for t in tensors}
    if len(devs) > 1:
        raise RuntimeError(
            f"Expected all tensors to be on the same device, but {cls.__name__} got tensors on "
            f"{sorted(devs)}; move them first with .to(device)"
        )


# ----------------------------------------------------------------------------- Op


class Op(Function):
    """A built-in op: ``forward(ctx, *arrays_and_params) -> array | tuple``.

    Class attributes say what ``apply`` saves for backward: ``saved_inputs`` (indices
    of arguments; ``ctx.saved_tensors`` yields them as Tensors, then the output when
    ``save_output``), and whether the first output is a view of the first input
    (``is_view``). ``backward``/``jvp`` get and return Tensors.
    """

    saved_inputs: tuple[int, ...] = ()
    save_output = False
    is_view = False

    @classmethod
    def apply(cls, *args: Any) -> Any:
        datas = []
        req = False
        for a in args:
            if isinstance(a, Tensor):
                datas.append(a._data)
                if a._rg:
                    req = True
            else:
                datas.append(a)
        if backend.cupy is not None:
            _check_devices(cls, [a for a in args if isinstance(a, Tensor)])
        if req and _grad_state.enabled:
            for a in args:
                if isinstance(a, Tensor) and a._base is not None and a._rg:
                    if a._view_version != a._vc[0]:
                        refresh_view(a)
            ctx = Node(cls)
            out = cls.forward(ctx, *datas)
            if type(out) is tuple:
                out = tuple(as_array(o) for o in out)
            elif out.__class__ is not _ndarray:
                out = as_array(out)
            ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
            ctx._edges = tuple(edge_of(a) if isinstance(a, Tensor) else False for a in args)
            if _anomaly.state.enabled:
                ctx._trace = _anomaly.capture_stack()
            if type(out) is tuple:
                ctx._n_out = len(out)
                ctx._out_meta = tuple((o.shape, o.dtype, o) for o in out)
                res = tuple(
                    _wrap(o, True, ctx, i) if o.dtype.kind in _DIFF_KINDS else _wrap(o)
                    for i, o in enumerate(out)
                )
                first = res[0]
            else:
                if out.dtype.kind in _DIFF_KINDS:
                    res = first = _wrap(out, True, ctx, 0)
                else:
                    res = first = _wrap(out)
            if cls.saved_inputs or cls.save_output:
                _save_op(ctx, cls, args, first)
            else:
                ctx._saved = ()
        else:
            ctx = _Scratch()
            out = cls.forward(ctx, *datas)
            if type(out) is tuple:
                res = tuple(_wrap(as_array(o)) for o in out)
                first = res[0]
            else:
                res = first = _wrap(out if out.__class__ is _ndarray else as_array(out))
            if fw_state.level >= 0 and (cls.saved_inputs or cls.save_output):
                _save_op(ctx, cls, args, first)
        if cls.is_view:
            _mark_views(cls, args, res)
        if fw_state.level >= 0:
            _forward_ad_op(cls, ctx, args, res)
        return res

    @classmethod
    def _run_backward(cls, ctx: Node, grads: tuple) -> tuple:
        if ctx._n_out > 1:
            grads = _materialize(ctx, grads)
        out = cls.backward(ctx, *grads)
        return out if type(out) is tuple else (out,)


def _mark_views(cls: type, args: tuple, res: Any) -> None:
    src = args[0]
    outs = res if type(res) is tuple else (res,)
    base = src._base if src._base is not None else src
    chain = src._view_chain or ()
    params = args[1:]
    for i, o in enumerate(outs):
        if o._data.base is None:  # the backend had to copy (e.g. reshape of a strided view)
            continue
        o._base = base
        o._vc = src._vc
        o._view_chain = chain + ((cls, params, i if type(res) is tuple else None),)
        o._view_version = src._vc[0]


# ----------------------------------------------------------------------------- views & in-place


def replay_view_array(chain: tuple, array: Any) -> Any:
    """Apply a view chain to a raw array (same memory as the view it describes)."""
    for cls, params, idx in chain:
        array = cls.forward(_Scratch(), array, *params)
        if idx is not None:
            array = array[idx]
    return array


def replay_view(chain: tuple, t: Tensor) -> Tensor:
    """Apply a view chain to a Tensor with autograd recording."""
    for cls, params, idx in chain:
        t = cls.apply(t, *params)
        if idx is not None:
            t = t[idx]
    return t


def refresh_view(v: Tensor) -> None:
    """A view whose memory changed under it (through its base or a sibling view) gets
    its grad_fn regenerated from the base, so gradients follow the current values."""
    if v._view_version == v._vc[0]:
        return
    v._view_version = v._vc[0]
    base = v._base
    if not (base._rg and _grad_state.enabled):
        return
    r = replay_view(v._view_chain, base)
    v.grad_fn, v._output_nr, v._rg = r.grad_fn, r._output_nr, r._rg


class CopySlices(Op):
    """The base of a view that was written in place: gradient splits between the old
    base (outside the written region) and the written value (inside it)."""

    @staticmethod
    def forward(ctx: Any, base: Any, value: Any, chain: tuple) -> Any:
        ctx.chain = chain
        return base

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        xp = backend.xp_of(grad_out._data)
        mask = xp.ones(grad_out.shape, dtype=grad_out.dtype)
        replay_view_array(ctx.chain, mask)[...] = 0
        g_value = None
        if ctx.needs_input_grad[1]:
            g_value = replay_view(ctx.chain, grad_out)
        return grad_out * _wrap(mask), g_value, None


def rebase_view(v: Tensor, value: Tensor) -> None:
    """After ``value`` (a graph node) was written into view ``v``'s memory, make the
    base's grad_fn a CopySlices and regenerate ``v``'s grad_fn from it."""
    base = v._base
    if base.grad_fn is None and base._rg:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place "
            "operation; clone() the leaf first or do the update under autograd.no_grad()"
        )
    old = _wrap(base._data, base._rg, base.grad_fn, base._output_nr)
    if base._rg and base.grad_fn is None:
        old._acc = base._acc
    new = CopySlices.apply(old, value, v._view_chain)
    _move_retain(base, new.grad_fn)
    base.grad_fn, base._output_nr, base._rg = new.grad_fn, 0, True
    v._view_version = -1
    refresh_view(v)


def _move_retain(t: Tensor, node: Node) -> None:
    if t._retains_grad and node is not None:
        old = t.grad_fn
        if old is not None and old._retain:
            old._retain.pop(t._output_nr, None)
        if node._retain is None:
            node._retain = {}
        node._retain[0] = weakref.ref(t)


def apply_inplace(cls: type, x: Tensor, *args: Any) -> Tensor:
    """``x.op_(*args)``: compute ``cls(x, *args)`` and write it into ``x``'s memory,
    bumping the version counter; with autograd on, ``x`` becomes the op's output."""
    others_rg = any(isinstance(a, Tensor) and a._rg for a in args)
    if not (_grad_state.enabled and (x._rg or others_rg)) and (
        fw_state.level < 0 or (x._fw is None and not any(isinstance(a, Tensor) and a._fw for a in args))
    ):
        datas = [a._data if isinstance(a, Tensor) else a for a in args]
        if backend.cupy is not None:
            _check_devices(cls, [x] + [a for a in args if isinstance(a, Tensor)])
        direct = getattr(cls, "inplace", None)
        if direct is not None and backend.is_writeable(x._data):
            try:
                direct(x._data, *datas)
            except ValueError as e:
                raise _inplace_shape_error(cls, x, args, e) from None
            x._vc[0] += 1
            return x
        _write(x, as_array(cls.forward(_Scratch(), x._data, *datas)), cls)
        return x
    if x.grad_fn is None and x._base is None and x._rg and _grad_state.enabled:
        raise RuntimeError(
            f"a leaf Variable that requires grad is being used in an in-place operation "
            f"({cls.__name__.lower()}_). Do the update under autograd.no_grad(), or clone() "
            "the tensor first."
        )
    if x._base is not None:
        if x._base.grad_fn is None and x._base._rg and _grad_state.enabled:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                f"operation ({cls.__name__.lower()}_); clone() the leaf first or do the update "
                "under autograd.no_grad()"
            )
        refresh_view(x)
    needs_old = 0 in cls.saved_inputs
    old = _wrap(x._data.copy() if needs_old else x._data, x._rg, x.grad_fn, x._output_nr)
    if x._rg and x.grad_fn is None:
        old._acc = x._acc
    if x._fw is not None:
        old._fw = x._fw
    out = cls.apply(old, *args)
    _write(x, out._data, cls)
    if out._fw is not None:
        x._fw = out._fw
    if not out._rg:
        return x
    if x._base is None:
        _move_retain(x, out.grad_fn)
        x.grad_fn, x._output_nr, x._rg = out.grad_fn, out._output_nr, True
    else:
        x._view_version = x._vc[0]
        rebase_view(x, out)
    return x


def _inplace_shape_error(cls: type, x: Tensor, args: tuple, e: Exception) -> RuntimeError:
    shapes = [a.shape for a in args if isinstance(a, Tensor)]
    try:
        full = backend.numpy.broadcast_shapes(x.shape, *shapes)
    except ValueError:
        return RuntimeError(
            f"in-place {cls.__name__.lower()}_ on a tensor of shape {list(x.shape)} failed: {e} "
            "(the operands must broadcast to the shape of the tensor written to)"
        )
    return RuntimeError(
        f"output with shape {list(x.shape)} doesn't match the broadcast shape {list(full)} in "
        f"the in-place op {cls.__name__.lower()}_"
    )


def _write(x: Tensor, value: Any, cls: type) -> None:
    data = x._data
    if value is not data:
        if value.shape != data.shape:
            raise RuntimeError(
                f"output with shape {list(data.shape)} doesn't match the broadcast shape "
                f"{list(value.shape)} in the in-place op {cls.__name__.lower()}_"
            )
        if not backend.is_writeable(data):
            raise RuntimeError(
                f"unsupported operation: {cls.__name__.lower()}_ writes into a tensor whose "
                "elements share memory (an expand()ed or broadcast view); clone() it first"
            )
        data[...] = value
    x._vc[0] += 1


# ----------------------------------------------------------------------------- forward AD hooks


def _tangents(args: tuple, key: int) -> list | None:
    found = False
    tangents = []
    for a in args:
        t = None
        if isinstance(a, Tensor) and a._fw is not None:
            t = a._fw.get(key)
            if t is not None:
                found = True
        tangents.append(t)
    return tangents if found else None


def _forward_ad_op(cls: type, ctx: Any, args: tuple, res: Any) -> None:
    """Propagate tangents of every active forward-AD level through a built-in op.

    The jvp for level L runs with only the outer levels (< L) active, so it is itself
    differentiated by them (nested forward mode) and never re-enters level L.
    """
    outs = res if type(res) is tuple else (res,)
    top = fw_state.level
    for level in range(top + 1):
        key = fw_state.ids[level]
        tangents = _tangents(args, key)
        if tangents is None:
            continue
        if "jvp" not in _defined(cls):
            raise RuntimeError(
                f"forward-mode AD is not implemented for {cls.__name__}; it has no jvp rule"
            )
        ctx._fw_out = res
        fw_state.level = level - 1
        try:
            out_t = cls.jvp(ctx, *tangents)
        finally:
            fw_state.level = top
        out_ts = out_t if type(out_t) is tuple else (out_t,)
        for o, t in zip(outs, out_ts):
            if t is not None and o._data.dtype.kind in _DIFF_KINDS:
                o._fw = {**(o._fw or {}), key: t}


def _forward_ad_custom(cls: type, ctx: Node, args: tuple, results: list) -> None:
    top = fw_state.level
    input_ids = {id(a) for a in args if isinstance(a, Tensor)}
    outs = [r for r in results if isinstance(r, Tensor)]
    for level in range(top + 1):
        key = fw_state.ids[level]
        tangents = _tangents(args, key)
        if tangents is None:
            continue
        if "jvp" not in _defined(cls):
            raise RuntimeError(
                f"{cls.__name__} got dual tensors but defines no jvp(ctx, *tangents); add a "
                "jvp staticmethod to use it with forward-mode AD"
            )
        fw_state.level = level - 1
        # inside jvp, ctx.saved_tensors are those of save_for_forward, not of
        # save_for_backward: hide the latter while jvp runs
        saved_for_backward, ctx._saved = ctx._saved, None
        try:
            with no_grad():
                out_t = cls.jvp(ctx, *tangents)
        finally:
            fw_state.level = top
            ctx._saved = saved_for_backward
        out_ts = out_t if isinstance(out_t, tuple) else (out_t,)
        for o, t in zip(outs, out_ts):
            if t is not None and o._data.dtype.kind in _DIFF_KINDS and id(o) not in input_ids:
                o._fw = {**(o._fw or {}), key: t}


@functools.cache
def _defined(cls: type) -> frozenset:
    names = set()
    for k in cls.__mro__:
        if k in (Function, Op, object):
            break
        names.update(k.__dict__)
    return frozenset(names)


# ----------------------------------------------------------------------------- once_differentiable


class _OnceDifferentiableError(Function):
    @staticmethod
    def forward(ctx: Node, name: str, n: int, *tensors: Tensor) -> tuple:
        ctx.fn_name = name
        return tuple(g.detach() for g in tensors[:n])

    @staticmethod
    def backward(ctx: Node, *grads: Any) -> Any:
        raise RuntimeError(
            f"trying to differentiate twice a function that was marked with "
            f"@once_differentiable ({ctx.fn_name})"
        )


def once_differentiable(fn: Callable) -> Callable:
    """Decorate a custom ``backward`` whose own computation is not differentiable: it
    runs under no_grad, and differentiating its result again raises a clear error."""

    @functools.wraps(fn)
    def wrapper(ctx: Node, *args: Any) -> Any:
        with no_grad():
            out = fn(ctx, *args)
        if not _grad_state.enabled or not any(isinstance(a, Tensor) and a._rg for a in args):
            return out
        outs = out if isinstance(out, tuple) else (out,)
        name = getattr(fn, "__qualname__", "backward")
        tracked = [a for a in args if isinstance(a, Tensor) and a._rg]
        present = [o for o in outs if o is not None]
        wrapped = _OnceDifferentiableError.apply(name, len(present), *present, *tracked)
        it = iter(wrapped)
        res = tuple(next(it) if o is not None else None for o in outs)
        return res if isinstance(out, tuple) else res[0]

    return wrapper
