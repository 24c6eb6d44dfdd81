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
import threading
from collections.abc import Callable, Sequence
from typing import Any

from . import anomaly as _anomaly
from . import backend
from ._accumulate import _accumulate, _accumulate_array, _fresh, _unshared  # noqa: F401
from .function import AccumulateGrad, Node, as_array, edge_of, refresh_view
from .grad_mode import state as _grad_state
from .tensor import Tensor, _wrap

__all__ = ["backward", "grad", "queue_callback", "is_capturing", "grad_destination"]

_ndarray = backend.numpy.ndarray


class _Frame:
    """One running backward pass (they nest: a hook may call autograd.grad)."""

    __slots__ = ("callbacks", "capturing", "deps", "buffers")

    def __init__(self, capturing: bool, deps: dict, buffers: dict) -> None:
        self.callbacks: list[Callable[[], None]] = []
        self.capturing = capturing
        self.deps = deps  # node -> edges still to deliver (see grad_destination)
        self.buffers = buffers  # node -> gradient summed so far


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
#
# Without create_graph, gradients travel as raw arrays: an op with ``backward_array``
# computes on them directly, any other op gets them wrapped as Tensors (under no_grad)
# and hands back Tensors that are unwrapped again. With create_graph they travel as
# Tensors and every backward is recorded.


def _collect(roots: list, with_parents: bool) -> tuple[dict, dict]:
    """Count, for every reachable node, how many edges point at it; with
    ``with_parents`` also list each node's parents."""
    parents: dict = {}
    deps = dict.fromkeys((n for n, _ in roots), 0)
    stack = list(deps)  # each node enters the stack once: when deps first sees it
    while stack:
        node = stack.pop()
        for e in node._edges:
            if not e:
                continue
            child = e[0]
            if child in deps:
                deps[child] += 1
            else:
                deps[child] = 1
                stack.append(child)
            if with_parents:
                parents.setdefault(child, []).append(node)
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


def _deposit(buffers: dict, node: Node, nr: int, g: Any) -> None:
    """Add gradient ``g`` of output ``nr`` into ``node``'s input buffer (the bare
    gradient for a single-output node, a list for a multi-output one)."""
    if g.__class__ is not _ndarray and not isinstance(g, Tensor):
        g = as_array(g)  # array math on 0-d arrays gives NumPy scalars
    if node._n_out == 1:
        prev = buffers.get(node)
        buffers[node] = g if prev is None else prev + g
        return
    buf = buffers.get(node)
    if buf is None:
        buf = buffers[node] = [None] * node._n_out
    buf[nr] = g if buf[nr] is None else buf[nr] + g


def _execute(roots: list, root_grads: list, retain_graph: bool, create_graph: bool,
             targets: tuple | None, accumulate: bool) -> list:
    deps, parents = _collect(roots, targets is not None)
    arrays = not create_graph

    # Where to capture gradients: (node, output_nr) -> positions in `targets`.
    capture: dict = {}
    needed = runs = None
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
        if needed is None or node in needed:
            _deposit(buffers, node, nr, g._data if arrays else g)

    # ready nodes run most recently created first: a max-heap on the sequence number
    heap = [(-n._seq, n) for n in {n for n, _ in roots} if deps.get(n, -1) == 0]
    heapq.heapify(heap)
    check_nan = _anomaly.state.enabled and _anomaly.state.check_nan
    run_node = _run_node_arrays if arrays else _run_node
    fast = arrays and not check_nan  # ops may run their backward_array

    prev_mode = _grad_state.enabled
    _grad_state.enabled = create_graph
    frame = _Frame(not accumulate, deps, buffers)
    _engine_state.frames.append(frame)
    try:
        node = heapq.heappop(heap)[1] if heap else None
        while node is not None:
            g = buffers.pop(node, None)
            sink = type(node) is AccumulateGrad
            if g is not None and (sink or node._tensor_hooks or node._retain):
                g = _tensor_hooks(node, g, create_graph)
            if capture:
                g = _capture(node, g, capture, results, create_graph)
                if node not in runs:
                    g = None
            grads_in = ()
            if g is None or (node._n_out > 1 and all(x is None for x in g)):
                pass  # no gradient reached this node: nothing to run
            elif sink:
                if accumulate and (needed is None or node in needed):
                    if arrays:
                        _accumulate_array(node.variable, g, True)
                    else:
                        _accumulate(node.variable, g, create_graph)
            else:
                fn = node._fn
                if fast and fn.backward_array is not None and node._n_out == 1 and \
                        node._pre_hooks is None and node._post_hooks is None:
                    grads_in = fn.backward_array(node, g)
                    if type(grads_in) is not tuple:
                        grads_in = (grads_in,)
                else:
                    grads_in = run_node(node, g, check_nan)
                if not retain_graph and node._saved:
                    node._release()
            # hand the gradients to the children; keep one newly ready child in hand
            nxt = None
            n_in = len(grads_in)
            for i, e in enumerate(node._edges):
                if not e:
                    continue
                child = e[0]
                d = deps.get(child)
                if d is None:  # not needed for the requested inputs
                    continue
                gi = grads_in[i] if i < n_in else None
                if gi is not None:
                    if gi.__class__ is _ndarray and child._n_out == 1:  # _deposit's common case
                        prev = buffers.get(child)
                        buffers[child] = gi if prev is None else prev + gi
                    else:
                        _deposit(buffers, child, e[1], gi)
                deps[child] = d - 1
                if d == 1:
                    if nxt is not None:
                        heapq.heappush(heap, (-nxt._seq, nxt))
                    nxt = child
            # drop references now, so the next node (often an AccumulateGrad) can take
            # over a gradient array nobody else holds instead of copying it
            grads_in = g = gi = None
            if nxt is not None and not (heap and -heap[0][0] > nxt._seq):
                node = nxt
            else:
                if nxt is not None:
                    heapq.heappush(heap, (-nxt._seq, nxt))
                node = heapq.heappop(heap)[1] if heap else None
        while frame.callbacks:
            frame.callbacks.pop(0)()
    finally:
        _engine_state.frames.pop()
        _grad_state.enabled = prev_mode
    return results


def grad_destination(edge: tuple | None, shape: tuple, dtype: Any) -> Any:
    """The array an op's ``backward_array`` may write the gradient flowing along
    ``edge`` into directly, or None.

    That is a leaf's preallocated ``_grad_dest`` (a data-parallel bucket view), when
    the edge leads to the leaf's AccumulateGrad in a ``backward()`` that accumulates,
    the leaf has no ``.grad`` yet, this edge is the only one still to deliver to it and
    nothing was delivered before, and every hook on the leaf declares it keeps no
    reference to the gradient. The accumulation then finds the gradient already in
    place: no copy of a parameter-sized array, no fresh allocation.
    """
    if not edge or type(edge[0]) is not AccumulateGrad:
        return None
    leaf = edge[0].variable
    dest = leaf.__dict__.get("_grad_dest")
    if dest is None or leaf._grad is not None or dest.shape != shape or dest.dtype != dtype:
        return None
    frames = _engine_state.frames
    if not frames or frames[-1].capturing:
        return None
    frame = frames[-1]
    if frame.deps.get(edge[0]) != 1 or edge[0] in frame.buffers:
        return None
    if leaf._hooks and not all(getattr(h, "keeps_no_reference", False)
                               for h in leaf._hooks.values()):
        return None
    return dest


def _capture(node: Node, g: Any, capture: dict, results: list, create_graph: bool) -> Any:
    """Store the gradients of ``node``'s outputs that ``autograd.grad`` asked for."""
    grads = [g] if node._n_out == 1 else g
    for nr in range(node._n_out):
        gi = grads[nr] if grads is not None else None
        for pos in capture.get((node, nr), ()):
            if gi is None:
                results[pos] = None
            elif create_graph:
                results[pos] = gi
            else:
                results[pos] = gi.detach() if isinstance(gi, Tensor) else _wrap(gi)
    return g


def _run_node_arrays(node: Node, g: Any, check_nan: bool) -> tuple:
    """Run ``node``'s Tensor-level backward on gradient arrays (create_graph=False): the
    arrays go in and come out wrapped as Tensors."""
    grads = [g] if node._n_out == 1 else g
    grads = [None if a is None else _wrap(a) for a in grads]
    out = _run_node(node, grads, check_nan)
    return tuple([None if t is None else t._data for t in out])


def _run_node(node: Node, grads: Any, check_nan: bool) -> tuple:
    """Run ``node``'s Tensor-level backward (with its pre and post hooks)."""
    if not isinstance(grads, list):
        grads = [grads]
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


def _tensor_hooks(node: Node, g: Any, create_graph: bool) -> Any:
    """Tensor hooks and retain_grad of ``node``'s outputs (a leaf's hooks for an
    AccumulateGrad); they see and return Tensors, whatever form ``g`` travels in."""
    single = node._n_out == 1
    grads = [g] if single else list(g)
    if type(node) is AccumulateGrad:
        hooks = node.variable._hooks
        if not hooks or grads[0] is None:
            return g
        tensors = {0: hooks}
    else:
        tensors = node._tensor_hooks or {}
    arrays = not create_graph
    for nr, hooks in tensors.items():
        gi = grads[nr]
        if gi is None:
            continue
        t = _wrap(gi) if arrays else gi
        for hook in list(hooks.values()):
            r = hook(t)
            if r is not None:
                t = r
        grads[nr] = t._data if arrays else t
    if node._retain:
        for nr, ref in list(node._retain.items()):
            t = ref()
            gi = grads[nr]
            if t is None or gi is None:
                continue
            gt = _wrap(gi) if arrays else gi
            if t._grad is None:
                t._grad = _fresh(gt, create_graph)
            else:
                t._grad = t._grad + (gt if create_graph else gt.detach())
    return grads[0] if single else grads
