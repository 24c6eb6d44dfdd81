"""Reverse mode: walk the recorded graph from the outputs back to the leaves.

The walk is iterative (a 100 000-op chain needs no recursion), counts each node's
consumers first, then runs a node as soon as every consumer has delivered its
gradient — most recently created first, so gradients of the last layers reach their
leaves (and the data-parallel layer's post-accumulate hooks) early.

Example:
    >>> import autograd
    >>> x = autograd.tensor([1.0, 2.0], requires_grad=True)
    >>> (gx,) = autograd.grad((x ** 3).sum(), x)
    >>> gx
    tensor([ 3., 12.])
"""

from __future__ import annotations

import heapq
import itertools
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from . import anomaly as _anomaly
from . import backend
from .function import AccumulateGrad, Node, edge_of, refresh_view
from .grad_mode import state as _grad_state
from .tensor import Tensor, _wrap

__all__ = ["backward", "grad", "queue_callback", "is_capturing"]


class _Frame:
    """One running backward pass (they nest: a hook may call autograd.grad)."""

    __slots__ = ("callbacks", "capturing")

    def __init__(self, capturing: bool) -> None:
        self.callbacks: list[Callable[[], None]] = []
        self.capturing = capturing


class _EngineState(threading.local):
    def __init__(self) -> None:
        self.frames: list[_Frame] = []


_engine_state = _EngineState()


def queue_callback(callback: Callable[[], None]) -> None:
    """Run ``callback()`` once the current backward pass has finished (every gradient
    computed and accumulated), before ``backward()``/``grad()`` returns. Only valid
    during a backward pass, e.g. from a hook; the data-parallel layer uses it to wait
    for its last reductions."""
    if not _engine_state.frames:
        raise RuntimeError("queue_callback can only be called during a backward pass")
    _engine_state.frames[-1].callbacks.append(callback)


def is_capturing() -> bool:
    """True inside ``autograd.grad`` (or ``backward(inputs=...)``): gradients of the
    inputs are returned to the caller instead of being accumulated into ``.grad``."""
    frames = _engine_state.frames
    return bool(frames) and frames[-1].capturing


def _as_tuple(x: Any, what: str) -> tuple:
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    if isinstance(x, Sequence) and not isinstance(x, str):
        return tuple(x)
    raise TypeError(f"{what} must be a Tensor or a sequence of Tensors, got {type(x).__name__}")


def _make_grads(outputs: tuple, grad_outputs: tuple, create_graph: bool) -> list:
    if grad_outputs and len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"grad_outputs must be of the same length as outputs: len(outputs) = "
            f"{len(outputs)}, len(grad_outputs) = {len(grad_outputs)}"
        )
    grads = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if grad_outputs else None
        if g is None:
            if out._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs, but output {i} "
                    f"has shape {list(out.shape)}; pass gradient= (or grad_outputs=) of that "
                    "shape, or reduce the output first, e.g. y.sum().backward()"
                )
            if out._data.dtype.kind not in "fc":
                raise RuntimeError(
                    f"grad can be implicitly created only for real scalar outputs but got "
                    f"{out.dtype}"
                )
            xp = backend.xp_of(out._data)
            g = _wrap(xp.ones(out._data.shape, out._data.dtype))
        else:
            if not isinstance(g, Tensor):
                from .creation import as_tensor

                g = as_tensor(g, dtype=out.dtype, device=out.device)
            if g._data.shape != out._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {list(g.shape)} and "
                    f"output[{i}] has a shape of {list(out.shape)}."
                )
            if g._data.dtype != out._data.dtype:
                if g._data.dtype.kind not in "fc":
                    raise RuntimeError(
                        f"grad_output[{i}] has dtype {g.dtype} but output[{i}] is {out.dtype}: "
                        "gradients must be floating point"
                    )
                g = g.to(out.dtype)
            if not create_graph and g._rg:
                g = g.detach()
        grads.append(g)
    return grads


def _root_edges(outputs: tuple) -> list:
    edges = []
    for i, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"element {i} of tensors is a {type(out).__name__}, not a Tensor")
        if out._base is not None:
            refresh_view(out)
        e = edge_of(out)
        if e is None:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn; "
                "did you create it under no_grad(), detach() it, or forget "
                "requires_grad=True on the inputs?"
            )
        edges.append(e)
    return edges


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    grad_variables: Any = None,
    inputs: Any = None,
) -> None:
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the graph's leaves
    (or only of ``inputs``), as ``torch.autograd.backward``.

    Example:
        >>> import autograd
        >>> x = autograd.ones(3, requires_grad=True)
        >>> autograd.backward([(2 * x).sum()])
        >>> x.grad
        tensor([2., 2., 2.])
    """
    outputs = _as_tuple(tensors, "tensors")
    grad_outputs = _as_tuple(grad_tensors if grad_tensors is not None else grad_variables,
                             "grad_tensors")
    if retain_graph is None:
        retain_graph = create_graph
    targets = None
    if inputs is not None:
        targets = _as_tuple(inputs, "inputs")
        if not targets:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        for t in targets:
            if not t._rg:
                raise RuntimeError(
                    "One of the differentiated Tensors does not require grad; every entry of "
                    "inputs= must require grad"
                )
    roots = _root_edges(outputs)
    grads = _make_grads(outputs, grad_outputs, create_graph)
    results = _execute(roots, grads, retain_graph, create_graph, targets, accumulate=targets is None)
    if targets is not None:  # accumulate only into the requested inputs
        for t, g in zip(targets, results):
            if g is None:
                continue
            if t.grad_fn is None:
                _accumulate(t, g, create_graph)
            elif not t._retains_grad:
                t._grad = g if t._grad is None else t._grad + g


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple:
    """Return d(outputs)/d(inputs) without touching any ``.grad``
    (``torch.autograd.grad``).

    Example:
        >>> import autograd
        >>> x = autograd.tensor([1.0, 2.0], requires_grad=True)
        >>> autograd.grad((x * x).sum(), [x])
        (tensor([2., 4.]),)
    """
    outs = _as_tuple(outputs, "outputs")
    ins = _as_tuple(inputs, "inputs")
    if not ins:
        raise RuntimeError("grad requires non-empty inputs.")
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True")
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor):
            raise TypeError(f"inputs[{i}] is a {type(t).__name__}, not a Tensor")
        if not t._rg:
            raise RuntimeError(
                f"One of the differentiated Tensors (inputs[{i}]) does not require grad"
            )
    if retain_graph is None:
        retain_graph = create_graph
    g_outs = _as_tuple(grad_outputs, "grad_outputs")
    if is_grads_batched:
        return _batched_grad(outs, ins, g_outs, retain_graph, create_graph, allow_unused,
                             materialize_grads)
    roots = _root_edges(outs)
    grads = _make_grads(outs, g_outs, create_graph)
    result = _execute(roots, grads, retain_graph, create_graph, ins, accumulate=False)
    final = []
    for i, (t, g) in enumerate(zip(ins, result)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (inputs[{i}], shape {list(t.shape)}) "
                    "appears to not have been used in the graph. Set allow_unused=True if this "
                    "is the desired behavior."
                )
            if materialize_grads:
                g = _wrap(backend.xp_of(t._data).zeros_like(t._data))
        final.append(g)
    return tuple(final)


def _batched_grad(outs: tuple, ins: tuple, g_outs: tuple, retain_graph: bool,
                  create_graph: bool, allow_unused: bool, materialize: bool) -> tuple:
    """``is_grads_batched``: the first dim of each grad_output indexes independent
    vector-Jacobian products (computed one after the other)."""
    from .ops.shape import stack

    if not g_outs:
        raise RuntimeError("is_grads_batched=True needs grad_outputs")
    n = g_outs[0].shape[0]
    rows = []
    for b in range(n):
        rows.append(grad(outs, ins, [g[b] for g in g_outs], True if b < n - 1 else retain_graph,
                         create_graph, allow_unused=allow_unused, materialize_grads=materialize))
    return tuple(
        None if rows[0][j] is None else stack([r[j] for r in rows]) for j in range(len(ins))
    )


# ----------------------------------------------------------------------------- the walk


def _collect(roots: list) -> tuple[dict, dict]:
    """Count, for every reachable node, how many edges point at it; also list parents."""
    deps: dict = {}
    parents: dict = {}
    seen = set()
    stack = [n for n, _ in roots]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for e in node._edges:
            if not e:
                continue
            child = e[0]
            deps[child] = deps.get(child, 0) + 1
            parents.setdefault(child, []).append(node)
            if child not in seen:
                stack.append(child)
    for n in seen:
        deps.setdefault(n, 0)
    return deps, parents


def _needed(target_nodes: set, parents: dict) -> set:
    """Nodes from which some target is reachable (the rest need not run)."""
    needed = set()
    stack = list(target_nodes)
    while stack:
        n = stack.pop()
        if n in needed:
            continue
        needed.add(n)
        stack.extend(parents.get(n, ()))
    return needed


def _execute(roots: list, root_grads: list, retain_graph: bool, create_graph: bool,
             targets: tuple | None, accumulate: bool) -> list:
    deps, parents = _collect(roots)

    # Where to capture gradients: (node, output_nr) -> positions in `targets`.
    capture: dict = {}
    needed = None
    if targets is not None:
        for pos, t in enumerate(targets):
            e = edge_of(t)
            capture.setdefault(e, []).append(pos)
        needed = _needed({e[0] for e in capture}, parents)
        for n in list(deps):
            if n not in needed:
                del deps[n]
        for n in deps:
            deps[n] = sum(1 for p in parents.get(n, ()) if p in needed)
        # run a node only when a target lies below it; pure targets are just captured
        runs = {p for n in needed for p in parents.get(n, ()) if p in needed}
    results: list = [None] * (len(targets) if targets else 0)

    buffers: dict = {}
    for (node, nr), g in zip(roots, root_grads):
        if needed is not None and node not in needed:
            continue
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node._n_out
        buf[nr] = g if buf[nr] is None else buf[nr] + g

    counter = itertools.count()
    heap = [(-n._seq, next(counter), n) for n in {n for n, _ in roots} if deps.get(n, -1) == 0]
    heapq.heapify(heap)
    check_nan = _anomaly.state.enabled and _anomaly.state.check_nan

    prev_mode = _grad_state.enabled
    _grad_state.enabled = create_graph
    frame = _Frame(not accumulate)
    _engine_state.frames.append(frame)
    try:
        while heap:
            node = heapq.heappop(heap)[2]
            grads = buffers.pop(node, None)
            if grads is not None:
                grads = _tensor_hooks(node, grads, create_graph)
                if capture:
                    for nr, g in enumerate(grads):
                        for pos in capture.get((node, nr), ()):
                            results[pos] = g if create_graph or g is None else g.detach()
                    if node not in runs:
                        grads = None
            if grads is not None and all(g is None for g in grads):
                grads = None
            if grads is not None:
                if type(node) is AccumulateGrad:
                    if accumulate and (needed is None or node in needed):
                        _accumulate(node.variable, grads[0], create_graph)
                    grads_in = ()
                else:
                    grads_in = _run_node(node, grads, retain_graph, check_nan)
                    if not retain_graph and node._saved:
                        node._release()
            else:
                grads_in = ()
            edges = node._edges
            for i, e in enumerate(edges):
                if not e:
                    continue
                child = e[0]
                d = deps.get(child)
                if d is None:  # not needed for the requested inputs
                    continue
                g = grads_in[i] if i < len(grads_in) else None
                if g is not None:
                    buf = buffers.get(child)
                    if buf is None:
                        buf = buffers[child] = [None] * child._n_out
                    nr = e[1]
                    prev = buf[nr]
                    buf[nr] = g if prev is None else prev + g
                d -= 1
                deps[child] = d
                if d == 0:
                    heapq.heappush(heap, (-child._seq, next(counter), child))
            # drop references now, so the next node (often an AccumulateGrad) can take
            # over a gradient array nobody else holds instead of copying it
            grads_in = grads = g = None
        while frame.callbacks:
            frame.callbacks.pop(0)()
    finally:
        _engine_state.frames.pop()
        _grad_state.enabled = prev_mode
    return results


def _run_node(node: Node, grads: list, retain_graph: bool, check_nan: bool) -> tuple:
    if node._pre_hooks:
        for hook in list(node._pre_hooks.values()):
            r = hook(tuple(grads))
            if r is not None:
                grads = list(r)
    grads_in = node._fn._run_backward(node, tuple(grads))
    if check_nan:
        _anomaly.check_grads(node, grads_in, backend.xp_of)
    if node._post_hooks:
        for hook in list(node._post_hooks.values()):
            r = hook(grads_in, tuple(grads))
            if r is not None:
                grads_in = tuple(r)
    return grads_in


def _tensor_hooks(node: Node, grads: list, create_graph: bool) -> list:
    if type(node) is AccumulateGrad:
        hooks = node.variable._hooks
        if hooks and grads[0] is not None:
            g = grads[0]
            for hook in list(hooks.values()):
                r = hook(g)
                if r is not None:
                    g = r
            grads[0] = g
        return grads
    if node._tensor_hooks:
        for nr, hooks in node._tensor_hooks.items():
            g = grads[nr]
            if g is None:
                continue
            for hook in list(hooks.values()):
                r = hook(g)
                if r is not None:
                    g = r
            grads[nr] = g
    if node._retain:
        for nr, ref in list(node._retain.items()):
            t = ref()
            g = grads[nr]
            if t is None or g is None:
                continue
            if t._grad is None:
                t._grad = _fresh(g, create_graph)
            else:
                t._grad = t._grad + (g if create_graph else g.detach())
    return grads


def _unshared(g: Tensor) -> bool:
    """True when ``g`` and its array are referenced only by the engine, so the array
    can become ``.grad`` without a copy (PyTorch steals such buffers too)."""
    arr = g._data
    return (
        _STEAL_REFS is not None
        and g._rg is False
        and sys.getrefcount(g) <= _STEAL_REFS[0]
        and getattr(arr, "base", None) is None
        and sys.getrefcount(arr) <= _STEAL_REFS[1]
        and arr.flags.c_contiguous
        and backend.is_writeable(arr)
    )


def _calibrate() -> tuple[int, int] | None:
    """Reference counts of a gradient held only by the engine, measured through the
    same call path ``_execute -> _accumulate -> _unshared`` uses; None (never steal)
    when this interpreter's counts do not rise with an extra holder."""

    def inner(g: Tensor) -> tuple[int, int]:
        return sys.getrefcount(g), sys.getrefcount(g._data)

    def outer(g: Tensor) -> tuple[int, int]:
        return inner(g)

    arr = backend.numpy.zeros(4)
    slot = [_wrap(arr)]
    del arr
    alone = outer(slot[0])
    extra_tensor = slot[0]
    extra_array = slot[0]._data
    shared = outer(slot[0])
    del extra_tensor, extra_array
    if shared[0] != alone[0] + 1 or shared[1] != alone[1] + 1:
        return None
    return alone


_STEAL_REFS = _calibrate()


def _fresh(g: Tensor, create_graph: bool) -> Tensor:
    """A copy of gradient ``g`` to store as a ``.grad`` (differentiable under create_graph)."""
    if create_graph and g._rg:
        return g.clone()
    return _wrap(g._data.copy())


def _accumulate(t: Tensor, g: Tensor, create_graph: bool) -> None:
    """AccumulateGrad: add ``g`` into ``t.grad`` (in place when nothing watches the old
    value), then fire the post-accumulate-grad hooks."""
    data = t._data
    if g._data.dtype != data.dtype:
        g = g.to(data.dtype)
    if g._data.shape != data.shape:
        raise RuntimeError(
            f"the gradient computed for a leaf of shape {list(data.shape)} has shape "
            f"{list(g.shape)}; this is a bug in the op that produced it"
        )
    old = t._grad
    if old is None:
        dest = t.__dict__.get("_grad_dest") if not create_graph else None
        if dest is not None and dest.shape == data.shape and dest.dtype == data.dtype:
            # a preallocated destination (e.g. a data-parallel bucket): write into it
            if dest is not g._data:
                dest[...] = g._data
            t._grad = _wrap(dest)
        elif not create_graph and _unshared(g):
            # nobody else holds this freshly computed array: keep it, no copy
            t._grad = _wrap(g._data)
        else:
            # g may be the caller's grad_output or another leaf's gradient: copy
            t._grad = _fresh(g, create_graph)
    elif create_graph or old._rg or not backend.is_writeable(old._data):
        t._grad = old + g
    else:
        old._data += g._data
        old._vc[0] += 1
    if t._post_acc_hooks:
        for hook in list(t._post_acc_hooks.values()):
            hook(t)
