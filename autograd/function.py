"""How an op call records itself: custom ``Function``s and built-in array-level
``Op``s, which build graph nodes (``grad_fn`` / ``ctx``, in ``autograd._node``) and
save what backward needs. (Views and in-place writes live in ``autograd._inplace``;
the entry points of both are re-exported here.)

A built-in op is an ``Op`` subclass whose ``forward`` works on raw arrays (numpy or
cupy) and whose ``backward``/``jvp`` are written with Tensor ops, so they are
differentiable again (higher-order gradients) and run on either backend. A hot op may
add ``backward_array`` (the same derivative on raw arrays), which the engine uses
when no graph of the backward pass is wanted (``create_graph=False``).

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
import threading
from collections.abc import Callable
from typing import Any

from . import anomaly as _anomaly
from . import backend
from ._node import (  # noqa: F401 - the graph's building blocks, re-exported
    AccumulateGrad,
    Node,
    _pack,
    _Scratch,
    _seq,
    _unpack,
    _unpack_array,
    _version_error,
    accumulator,
    as_array,
    edge_of,
    saved_hooks,
)
from .grad_mode import no_grad
from .grad_mode import state as _grad_state
from .tensor import Tensor, _wrap

__all__ = ["Function", "Op", "Node", "once_differentiable", "FunctionCtx"]

_DIFF_KINDS = frozenset("fc")
_ndarray = backend.numpy.ndarray
_new = object.__new__

# A transform that reroutes op calls (vmap) sets this to ``hook(cls, args, is_op)``
# while it runs: ``Op.apply``/``Function.apply`` call it first and use its result
# unless it returns ``NotImplemented`` (no argument is batched). None otherwise, so
# the hot path pays one global read.
_batched_hook: Callable | None = None


class _FwState(threading.local):
    """Forward-AD state of this thread: ``level`` is the index of the innermost active
    level (-1 when none), ``ids`` the unique id of each active level, outermost first.

    Reading a thread-local costs every op; ``_fw_threads`` (a process-wide count of the
    threads whose level is set) lets ops skip it while no thread uses forward AD."""

    _level = -1

    def __init__(self) -> None:
        self.ids: list[int] = []

    @property
    def level(self) -> int:
        return self._level

    @level.setter
    def level(self, value: int) -> None:
        global _fw_threads
        was, now = self._level >= 0, value >= 0
        self._level = value
        if was != now:
            with _fw_lock:
                _fw_threads += 1 if now else -1


fw_state = _FwState()
_fw_lock = threading.Lock()
_fw_threads = 0  # threads with an active forward-AD level


def _save_op(node: Any, cls: type, args: tuple, out: Any) -> None:
    saved = []
    for i in cls.saved_inputs:
        saved.append(_pack(node, args[i], False, 0))
    if cls.save_output:
        # Under forward AD the jvp needs the output tensor itself (with its tangents
        # of outer levels); otherwise keep only its data, so no node -> output cycle.
        saved.append(_pack(node, out, not (_fw_threads and fw_state._level >= 0), 0))
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

    # Ops that take their inputs from several devices on purpose (``x.copy_(src)``
    # moves ``src`` to ``x``'s device) skip the same-device check.
    cross_device = False

    # The grad_fn name when it is not ``<class name>Backward`` (e.g. a fast variant of
    # an op that should still print as PyTorch names it: ``backward_name = "MulBackward"``).
    backward_name: str | None = None

    # ``backward_array(ctx, grad_out) -> array | tuple`` (optional, single-output ops):
    # ``backward`` on raw arrays, used by the engine when create_graph is False.
    backward_array: Callable | None = None

    @staticmethod
    def setup_context(ctx: Node, inputs: tuple, output: Any) -> None:
        raise RuntimeError("setup_context is only used when forward takes no ctx")

    @classmethod
    def _uses_setup_context(cls) -> bool:
        return any("setup_context" in k.__dict__ for k in cls.__mro__[:-1] if k not in (Function, Op))

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run ``forward`` under no_grad and record a node whose backward is ``backward``."""
        if _batched_hook is not None:
            out = _batched_hook(cls, args, False)
            if out is not NotImplemented:
                return out
        tensors = [a for a in args if isinstance(a, Tensor)]
        _check_devices(cls, tensors)
        record = _grad_state.enabled and any(t._rg for t in tensors)
        if record:
            for t in tensors:
                if t._base is not None:
                    refresh_view(t)
        # one edge per argument: None for a tensor that needs no gradient, False for a
        # non-tensor argument (next_functions lists tensors only, as PyTorch)
        ctx = Node(cls, tuple((edge_of(a) if record else None) if isinstance(a, Tensor) else False
                              for a in args))
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
    """All tensor arguments of an op on one device (only checked where CuPy is loaded)."""
    if backend.cupy is None or len(tensors) < 2 or cls.cross_device:
        return
    device_of = backend.device_of
    first = device_of(tensors[0]._data)
    for t in tensors:
        dev = device_of(t._data)
        if dev is not first and dev != first:
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found at least two "
                f"devices, {first} and {dev}! ({cls.__name__} got both; move the tensors to "
                "one device first with .to(device))"
            )


# ----------------------------------------------------------------------------- Op


class Op(Function):
    """A built-in op: ``forward(ctx, *arrays_and_params) -> array | tuple``.

    Class attributes say what ``apply`` saves for backward: ``saved_inputs`` (indices
    of arguments; ``ctx.saved_tensors`` yields them as Tensors, then the output when
    ``save_output``), and whether the first output is a view of the first input
    (``is_view``). ``backward``/``jvp`` get and return Tensors; the optional
    ``backward_array`` gets and returns arrays (``ctx.saved_arrays``).
    """

    saved_inputs: tuple[int, ...] = ()
    save_output = False
    is_view = False

    @classmethod
    def apply(cls, *args: Any) -> Any:
        # One pass over the arguments: the arrays for forward and, in grad mode, one
        # graph edge per argument (False: not a tensor; None: needs no gradient).
        if _batched_hook is not None:
            out = _batched_hook(cls, args, True)
            if out is not NotImplemented:
                return out
        datas = []
        if not _grad_state.enabled:
            for a in args:
                datas.append(a._data if a.__class__ is Tensor or isinstance(a, Tensor) else a)
            if backend.cupy is not None:
                _check_devices(cls, [a for a in args if isinstance(a, Tensor)])
            return _apply_untracked(cls, args, datas)
        edges = []
        tracked = False
        for a in args:
            if a.__class__ is not Tensor and not isinstance(a, Tensor):
                datas.append(a)
                edges.append(False)
            elif not a._rg:
                datas.append(a._data)
                edges.append(None)
            else:
                tracked = True
                datas.append(a._data)
                if a._base is not None and a._view_version != a._vc[0]:
                    refresh_view(a)  # written through another alias: regenerate its grad_fn
                    edges.append(edge_of(a))
                    continue
                fn = a.grad_fn
                edges.append((fn, a._output_nr) if fn is not None else (accumulator(a), 0))
        if backend.cupy is not None:
            _check_devices(cls, [a for a in args if isinstance(a, Tensor)])
        if tracked:
            return _apply_tracked(cls, args, datas, edges)
        return _apply_untracked(cls, args, datas)

    @classmethod
    def _run_backward(cls, ctx: Node, grads: tuple) -> tuple:
        if ctx._n_out > 1:
            grads = _materialize(ctx, grads)
        out = cls.backward(ctx, *grads)
        return out if type(out) is tuple else (out,)


def _apply_tracked(cls: type, args: tuple, datas: list, edges: list) -> Any:
    """``Op.apply`` recording a node: the forward, the outputs wrapped as the node's
    results, what backward needs saved."""
    ctx = _new(Node)  # Node.__init__, inlined: this runs for every recorded op
    ctx._fn, ctx._edges, ctx._seq, ctx._saved, ctx._n_out = cls, edges, next(_seq), (), 1
    if _anomaly.state.enabled:
        ctx._trace = _anomaly.capture_stack()
    out = cls.forward(ctx, *datas)
    if out.__class__ is _ndarray:
        if out.dtype.kind in _DIFF_KINDS:
            res = first = _wrap(out, True, ctx)
        else:
            res = first = _wrap(out)
    elif type(out) is tuple:
        out = tuple([as_array(o) for o in out])
        ctx._n_out = len(out)
        ctx._out_meta = tuple([(o.shape, o.dtype, o) for o in out])
        res = tuple([
            _wrap(o, True, ctx, i) if o.dtype.kind in _DIFF_KINDS else _wrap(o)
            for i, o in enumerate(out)
        ])
        first = res[0]
    else:
        out = as_array(out)
        res = first = _wrap(out, True, ctx) if out.dtype.kind in _DIFF_KINDS else _wrap(out)
    if cls.saved_inputs or cls.save_output:
        _save_op(ctx, cls, args, first)
    if cls.is_view:
        _mark_views(cls, args, res)
    if _fw_threads and fw_state._level >= 0:
        _forward_ad_op(cls, ctx, args, res)
    return res


def _apply_untracked(cls: type, args: tuple, datas: list) -> Any:
    """``Op.apply`` when no graph is recorded (grad mode off or no input needs grad)."""
    ctx = _Scratch()
    out = cls.forward(ctx, *datas)
    if out.__class__ is _ndarray:
        res = first = _wrap(out)
    elif type(out) is tuple:
        res = tuple([_wrap(as_array(o)) for o in out])
        first = res[0]
    else:
        res = first = _wrap(as_array(out))
    forward_ad = _fw_threads and fw_state._level >= 0
    if forward_ad and (cls.saved_inputs or cls.save_output):
        _save_op(ctx, cls, args, first)  # the jvp reads them
    if cls.is_view:
        _mark_views(cls, args, res)
    if forward_ad:
        _forward_ad_op(cls, ctx, args, res)
    return res


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
    _refresh_stale_views(args)
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


def _refresh_stale_views(args: tuple) -> None:
    """A view written through another alias takes its tangents from its base again."""
    for a in args:
        if isinstance(a, Tensor) and a._base is not None and a._view_version != a._vc[0]:
            refresh_view(a)


def _forward_ad_custom(cls: type, ctx: Node, args: tuple, results: list) -> None:
    _refresh_stale_views(args)
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


# Views and in-place writes build on Op and Node; bound here so ``Op.apply`` and the
# modules that import them from ``autograd.function`` find them.
from ._inplace import (  # noqa: E402, F401
    CopySlices,
    _mark_views,
    apply_inplace,
    rebase_view,
    refresh_view,
    replay_view,
    replay_view_array,
)
from ._once_differentiable import once_differentiable  # noqa: E402
