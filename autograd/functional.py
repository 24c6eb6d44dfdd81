"""Higher-level derivative functions (``torch.autograd.functional``): vector-Jacobian
and Jacobian-vector products, full Jacobians and Hessians, Hessian-vector products.

Every function takes ``func`` and ``inputs`` (a Tensor or a tuple of Tensors) and
returns results with the same tuple structure as PyTorch: a Tensor where the user
gave a Tensor, a tuple where the user gave a tuple. ``jvp`` and the forward-mode
Jacobian use real forward-mode AD (dual tensors, one forward pass per tangent);
``vjp`` and the reverse-mode Jacobian use the reverse-mode engine.

Example:
    >>> import autograd
    >>> from autograd.functional import jacobian, hessian
    >>> f = lambda x: autograd.stack([x[0] ** 2 + x[1], x[0] * x[1] ** 2])
    >>> jacobian(f, autograd.tensor([2.0, 3.0]))
    tensor([[ 4.,  1.],
            [ 9., 12.]])
    >>> g = lambda x: x[0] ** 3 + x[0] * x[1] ** 2 + x[1] ** 4
    >>> hessian(g, autograd.tensor([1.0, 2.0]))
    tensor([[ 6.,  4.],
            [ 4., 50.]])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import forward_ad as fwAD
from .engine import grad as _engine_grad
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled
from .tensor import Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]

_STRATEGIES = ("forward-mode", "reverse-mode")


# ----------------------------------------------------------------------------- helpers


def _as_tuple(inp: Any, arg_name: str, fn_name: str) -> tuple[bool, tuple]:
    """``(was_tuple, tuple_of_tensors)``; a TypeError names the bad entry."""
    is_tuple = isinstance(inp, tuple)
    items = inp if is_tuple else (inp,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f"the value at index {i} has type {type(el)}" if is_tuple else \
                f"the given {arg_name} has type {type(el)}"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                f"Tensors but {where}."
            )
    return is_tuple, items


def _unpack(res: Any, was_tuple: Any) -> Any:
    """Undo the tuple-wrapping: ``was_tuple`` is one flag, or (outer, inner) flags for a
    nested result (Jacobian: outputs x inputs)."""
    if isinstance(was_tuple, tuple):
        outer, inner = was_tuple
        if not inner:
            res = tuple(r[0] for r in res)
        return res if outer else res[0]
    return res if was_tuple else res[0]


def _prep(inputs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    """Fresh inputs for differentiation: a differentiable alias when the caller wants a
    graph through them (``create_graph``), else detached leaves."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))
        else:
            out.append(t.detach().requires_grad_(need_graph))
    return tuple(out)


def _post(items: tuple, create_graph: bool) -> tuple:
    if items and isinstance(items[0], tuple):
        return tuple(_post(i, create_graph) for i in items)
    return items if create_graph else tuple(t.detach() for t in items)


def _check_v(v: tuple, other: tuple, other_is_tuple: bool) -> None:
    if len(v) != len(other):
        if other_is_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, other)):
        if tuple(a.shape) != tuple(b.shape):
            prefix = f"Entry {i} in " if other_is_tuple else ""
            raise RuntimeError(
                f"{prefix}v has invalid size: should be {tuple(b.shape)} but got {tuple(a.shape)}."
            )


_REQUIRES_GRAD_MSG = {
    "outputs": (
        "Output {i} of the user-provided function does not require gradients. The outputs "
        "must be computed in a differentiable manner from the input when running in strict "
        "mode."
    ),
    "grad_inputs": (
        "The gradient with respect to input {i} is independent of the inputs of the "
        "user-provided function. This is not allowed in strict mode."
    ),
    "jacobian": (
        "While computing the hessian, found that the jacobian of the user-provided function "
        "with respect to input {i} is independent of the input. This is not allowed in "
        "strict mode. You should ensure that your function is twice differentiable and that "
        "the jacobian depends on the inputs (this would be violated by a linear function "
        "for example)."
    ),
    "hessian": (
        "The hessian of the user-provided function with respect to input {i} is independent "
        "of the input. This is not allowed in strict mode. You should ensure that your "
        "function is thrice differentiable and that the hessian depends on the inputs."
    ),
}


def _check_requires_grad(items: tuple, kind: str, strict: bool) -> None:
    if not strict:
        return
    for i, t in enumerate(items):
        if t is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. "
                "This is not allowed in strict mode."
            )
        if not t.requires_grad:
            raise RuntimeError(_REQUIRES_GRAD_MSG[kind].format(i=i))


def _grad(outputs: tuple, inputs: tuple, grad_outputs: tuple | None = None,
          create_graph: bool = False, retain_graph: bool | None = None,
          is_grads_batched: bool = False) -> tuple:
    """``autograd.grad`` over the outputs that require grad; None for unused inputs."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return _engine_grad(
        [o for o, _ in pairs], inputs, [g for _, g in pairs], retain_graph=retain_graph,
        create_graph=create_graph, allow_unused=True, is_grads_batched=is_grads_batched,
    )


_FILL_MSG = {
    "back": "The output of the user-provided function is independent of input {i}. This is "
            "not allowed in strict mode.",
    "forward": "The tangent of output {i} of the user-provided function is independent of "
               "the inputs (forward mode). This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
                   "This is not allowed in strict mode.",
}


def _fill_zeros(grads: tuple, refs: tuple, strict: bool, create_graph: bool, stage: str) -> tuple:
    out = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(_FILL_MSG[stage].format(i=i))
            g = ref.new_zeros(ref.shape)
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if stage == "double_back" else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}. This "
                "is not allowed in strict mode when create_graph=True."
            )
        out.append(g)
    return tuple(out)


def _default_v(v: Any, refs: tuple, refs_is_tuple: bool, create_graph: bool, fn: str,
               what: str) -> tuple:
    if v is not None:
        _, v = _as_tuple(v, "v", fn)
        v = _prep(v, create_graph, need_graph=False)
        _check_v(v, refs, refs_is_tuple)
        return v
    if len(refs) != 1 or refs[0].numel() != 1:
        raise RuntimeError(f"The vector v can only be None if {what} a single Tensor with a "
                           "single element.")
    return (refs[0].new_ones(refs[0].shape),)


# ----------------------------------------------------------------------------- vjp / jvp


def vjp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), vᵀ·J)``: the vector-Jacobian product at ``inputs`` (reverse mode).

    Example:
        >>> import autograd
        >>> from autograd.functional import vjp
        >>> out, g = vjp(lambda x: x ** 2, autograd.tensor([1.0, 3.0]), autograd.ones(2))
        >>> g
        tensor([2., 6.])
    """
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prep(inputs, create_graph, need_graph=True)
        outputs_is_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function",
                                              "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        v = _default_v(v, outputs, outputs_is_tuple, create_graph, "vjp",
                       "the user-provided function returns")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _grad(outputs, inputs, v, create_graph=create_graph)
        res = _fill_zeros(res, inputs, strict, create_graph, "back")
    return (_unpack(_post(outputs, create_graph), outputs_is_tuple),
            _unpack(_post(res, create_graph), inputs_is_tuple))


def jvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), J·v)``: the Jacobian-vector product, by forward-mode AD (dual
    tensors carry ``v`` through one evaluation of ``func``).

    Example:
        >>> import autograd
        >>> from autograd.functional import jvp
        >>> out, t = jvp(lambda x: x.sin(), autograd.tensor([0.0, 1.0]), autograd.ones(2))
        >>> [round(a, 4) for a in t.tolist()]
        [1.0, 0.5403]
    """
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        # no reverse graph is needed unless asked for (or to tell, in strict mode, which
        # outputs depend on the inputs): the tangents ride along the forward pass
        inputs = _prep(inputs, create_graph, need_graph=create_graph or strict)
        v = _default_v(v, inputs, inputs_is_tuple, create_graph, "jvp",
                       "the input to the user-provided function is")
        with fwAD.dual_level():
            duals = tuple(fwAD.make_dual(x, t) for x, t in zip(inputs, v))
            outputs_is_tuple, outs = _as_tuple(func(*duals), "outputs of the user-provided function",
                                               "jvp")
            _check_requires_grad(outs, "outputs", strict)
            pairs = [fwAD.unpack_dual(o) for o in outs]
        outputs = tuple(p.primal for p in pairs)
        tangents = _fill_zeros(tuple(p.tangent for p in pairs), outputs, strict, create_graph,
                               "forward")
    return (_unpack(_post(outputs, create_graph), outputs_is_tuple),
            _unpack(_post(tangents, create_graph), outputs_is_tuple))


# ----------------------------------------------------------------------------- jacobian


def _basis(refs: tuple) -> tuple:
    """One standard-basis block per tensor: rows of the identity of size sum(numel),
    split by tensor (``blocks[k][r]`` is the r-th unit vector restricted to tensor k)."""
    from .creation import eye

    total = sum(r.numel() for r in refs)
    ident = eye(total, dtype=refs[0].dtype, device=refs[0].device)
    blocks, start = [], 0
    for r in refs:
        blocks.append(ident[:, start:start + r.numel()])
        start += r.numel()
    return tuple(blocks)


def _jacobian_reverse(func: Callable, inputs: Any, create_graph: bool, strict: bool,
                      vectorize: bool) -> Any:
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prep(inputs, create_graph, need_graph=True)
        outputs_is_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function",
                                              "jacobian")
        _check_requires_grad(outputs, "outputs", strict)
        if vectorize:
            if strict:
                raise RuntimeError(
                    "autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
                    "supported together. Please either set `strict=False` or `vectorize=False`."
                )
            jac = _reverse_vectorized(outputs, inputs, create_graph)
        else:
            jac = tuple(_reverse_rows(i, out, inputs, create_graph, strict)
                        for i, out in enumerate(outputs))
    return _unpack(_post(jac, create_graph), (outputs_is_tuple, inputs_is_tuple))


def _reverse_rows(i: int, out: Tensor, inputs: tuple, create_graph: bool, strict: bool) -> tuple:
    """d out / d inputs, one backward pass per element of ``out`` (one-hot cotangents)."""
    from .ops.shape import stack

    n = out.numel()
    rows: list[list] = [[] for _ in inputs]
    flat_eye = None
    for j in range(n):
        if flat_eye is None:
            flat_eye = _basis((out,))[0]
        cot = flat_eye[j].reshape(out.shape)
        vj = _grad((out,), inputs, (cot,), create_graph=create_graph, retain_graph=True)
        for k, (g, x) in enumerate(zip(vj, inputs)):
            if g is None:
                if strict:
                    raise RuntimeError(
                        f"Output {i} of the user-provided function is independent of input {k}. "
                        "This is not allowed in strict mode."
                    )
                g = x.new_zeros(x.shape)
            elif strict and create_graph and not g.requires_grad:
                raise RuntimeError(
                    f"The jacobian of the user-provided function is independent of input {i}. "
                    "This is not allowed in strict mode when create_graph=True."
                )
            rows[k].append(g)
    res = []
    for k, x in enumerate(inputs):
        shape = tuple(out.shape) + tuple(x.shape)
        res.append(stack(rows[k], 0).reshape(shape) if n else x.new_zeros(shape))
    return tuple(res)


def _reverse_vectorized(outputs: tuple, inputs: tuple, create_graph: bool) -> tuple:
    """All rows at once: ``autograd.grad(is_grads_batched=True)`` over the basis."""
    numels = [o.numel() for o in outputs]
    total = sum(numels)
    cots = tuple(b.reshape((total,) + tuple(o.shape)) for b, o in zip(_basis(outputs), outputs))
    grads = _grad(outputs, inputs, cots, create_graph=create_graph, is_grads_batched=True)
    per_input = []
    for g, x in zip(grads, inputs):
        if g is None:
            g = x.new_zeros((total,) + tuple(x.shape))
        per_input.append(g.split(numels, 0) if len(numels) > 1 else (g,))
    return tuple(
        tuple(per_input[k][j].reshape(tuple(o.shape) + tuple(x.shape)) for k, x in enumerate(inputs))
        for j, o in enumerate(outputs)
    )


def _jacobian_forward(func: Callable, inputs: Any, create_graph: bool, strict: bool,
                      vectorize: bool) -> Any:
    if not vectorize:
        raise RuntimeError(
            "Computing Jacobian using forward-AD or forward-over-reverse Hessian is only "
            "implemented for `vectorize=True`."
        )
    from .func import vmap

    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prep(inputs, create_graph, need_graph=create_graph or strict)
        numels = tuple(x.numel() for x in inputs)
        info: list = []

        def push(tangents: tuple) -> tuple:
            with fwAD.dual_level():
                duals = tuple(fwAD.make_dual(x, t.reshape(x.shape)) for x, t in zip(inputs, tangents))
                was_tuple, outs = _as_tuple(func(*duals), "outputs", "jacobian")
                if strict:
                    _check_requires_grad(outs, "outputs", strict)
                pairs = [fwAD.unpack_dual(o) for o in outs]
            info[:] = [was_tuple, tuple(p.primal for p in pairs)]
            res = []
            for k, p in enumerate(pairs):
                if p.tangent is None:
                    if strict:
                        raise RuntimeError(_FILL_MSG["forward"].format(i=k))
                    res.append(p.primal.new_zeros(p.primal.shape))
                else:
                    res.append(p.tangent)
            return tuple(res)

        cols = vmap(push)(_basis(inputs))  # each: (sum numel, *out.shape)
        outputs_is_tuple, outputs = info
        jac = []
        for col, out in zip(cols, outputs):
            parts = col.split(numels, 0) if len(numels) > 1 else (col,)
            row = []
            for part, x in zip(parts, inputs):
                nd = part.ndim
                moved = part.permute(*range(1, nd), 0) if nd > 1 else part
                row.append(moved.reshape(tuple(out.shape) + tuple(x.shape)))
            jac.append(tuple(row))
    return _unpack(_post(tuple(jac), create_graph), (outputs_is_tuple, inputs_is_tuple))


def jacobian(func: Callable[..., Any], inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``func`` at ``inputs``: for output i and input j a tensor of shape
    ``out_i.shape + in_j.shape``.

    ``strategy="reverse-mode"`` runs one backward pass per output element (cheap for
    wide functions, few outputs); ``"forward-mode"`` one dual forward pass per input
    element, all at once under ``vmap`` (cheap for tall functions, few inputs), and as in
    PyTorch it needs ``vectorize=True``.

    Example:
        >>> import autograd
        >>> from autograd.functional import jacobian
        >>> jacobian(lambda x: x ** 2, autograd.tensor([1.0, 2.0]), vectorize=True,
        ...          strategy="forward-mode")
        tensor([[2., 0.],
                [0., 4.]])
    """
    if strategy not in _STRATEGIES:
        raise ValueError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode":
        return _jacobian_forward(func, inputs, create_graph, strict, vectorize)
    return _jacobian_reverse(func, inputs, create_graph, strict, vectorize)


# ----------------------------------------------------------------------------- hessian


def _single_output(func: Callable, strict: bool, fn: str) -> Callable:
    def wrapped(*inp: Tensor) -> Tensor:
        out = func(*inp)
        was_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", fn)
        _check_requires_grad(t_out, "outputs", strict)
        if was_tuple or not isinstance(out, Tensor):
            raise RuntimeError(f"The function given to {fn} should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError(
                f"The Tensor returned by the function given to {fn} should contain a single element"
            )
        return out.reshape(())

    return wrapped


def hessian(func: Callable[..., Any], inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar function: the Jacobian of its gradient. The inner
    gradient is always reverse mode; ``outer_jacobian_strategy="forward-mode"`` (with
    ``vectorize=True``) differentiates it by forward mode (forward-over-reverse).

    Example:
        >>> import autograd
        >>> from autograd.functional import hessian
        >>> hessian(lambda x: (x ** 3).sum(), autograd.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in _STRATEGIES:
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    scalar = _single_output(func, strict, "hessian")

    def jac_func(*inp: Tensor) -> tuple:
        if outer_jacobian_strategy == "forward-mode":
            # the duals must be differentiable for the inner reverse pass
            inp = tuple(t if t.requires_grad else _alias_requiring_grad(t) for t in inp)
        jac = jacobian(scalar, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _unpack(res, (inputs_is_tuple, inputs_is_tuple))


def _alias_requiring_grad(t: Tensor) -> Tensor:
    """A leaf sharing ``t``'s data and forward-AD tangents that requires grad (so a
    reverse pass can run over a dual tensor)."""
    from .tensor import _wrap

    leaf = _wrap(t._data, False, None, 0, t._vc)
    leaf.requires_grad_(True)
    if t._fw is not None:
        leaf._fw = dict(t._fw)
    return leaf


def vhp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), vᵀ·H)``: vector-Hessian product by double backward.

    Example:
        >>> import autograd
        >>> from autograd.functional import vhp
        >>> _, r = vhp(lambda x: (x ** 3).sum(), autograd.tensor([1.0, 2.0]), autograd.ones(2))
        >>> r
        tensor([ 6., 12.])
    """
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
        inputs = _prep(inputs, create_graph, need_graph=True)
        v = _default_v(v, inputs, inputs_is_tuple, create_graph, "vhp",
                       "the input to the user-provided function is")
        outputs = (_single_output(func, strict, "vhp")(*inputs),)
        jac = _grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _grad(jac, inputs, v, create_graph=create_graph)
        res = _fill_zeros(res, inputs, strict, create_graph, "double_back")
    return (_post(outputs, create_graph)[0], _unpack(_post(res, create_graph), inputs_is_tuple))


def hvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """``(func(inputs), H·v)``: Hessian-vector product, computed forward-over-reverse
    (one forward-mode pass through the gradient computation), never forming H.

    Example:
        >>> import autograd
        >>> from autograd.functional import hvp
        >>> _, r = hvp(lambda x: (x ** 3).sum(), autograd.tensor([1.0, 2.0]), autograd.ones(2))
        >>> r
        tensor([ 6., 12.])
    """
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "hvp")
        inputs = _prep(inputs, create_graph, need_graph=True)
        v = _default_v(v, inputs, inputs_is_tuple, create_graph, "hvp",
                       "the input to the user-provided function is")
        scalar = _single_output(func, strict, "hvp")
        with fwAD.dual_level():
            # the inputs require grad, so each dual is a differentiable view of its input:
            # the reverse pass runs over it while the tangent v rides along
            duals = tuple(fwAD.make_dual(x, t) for x, t in zip(inputs, v))
            out = scalar(*duals)
            grads = _grad((out,), duals, create_graph=True)
            _check_requires_grad(grads, "jacobian", strict)
            pairs = [fwAD.unpack_dual(g) if g is not None else None for g in grads]
            primal_out = fwAD.unpack_dual(out).primal
        tangents = tuple(p.tangent if p is not None else None for p in pairs)
        res = _fill_zeros(tangents, inputs, strict, create_graph, "double_back")
    return (_post((primal_out,), create_graph)[0], _unpack(_post(res, create_graph), inputs_is_tuple))
