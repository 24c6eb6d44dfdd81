"""Composable function transforms (``torch.func``): ``grad``, ``grad_and_value``,
``vjp``, ``jvp``, ``jacrev``, ``jacfwd``, ``hessian``, ``vmap`` and
``functional_call``.

Each transform takes a function and returns a function; they nest freely:
``jacfwd(jacrev(f))`` (forward-over-reverse Hessian), ``grad(grad(f))``,
``vmap(grad(f))`` (per-example gradients). Reverse-mode transforms run the engine on
private aliases of their inputs (so a nested transform differentiating the same
tensor never mixes up whose derivative is whose); ``jvp``/``jacfwd`` use real forward
mode (dual tensors, a fresh level per call). Inside ``vmap`` every transform works on
the physical tensors that carry all active batch dims, so per-example results stay
separate.

Example:
    >>> import autograd
    >>> from autograd.func import grad, jacrev, jacfwd, vmap
    >>> f = lambda x: (x ** 3).sum()
    >>> x = autograd.tensor([1.0, 2.0])
    >>> grad(f)(x)
    tensor([ 3., 12.])
    >>> jacfwd(jacrev(f))(x)
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    >>> vmap(grad(lambda v: (v ** 2).sum()))(autograd.ones(3, 2))
    tensor([[2., 2.],
            [2., 2.],
            [2., 2.]])
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any

from . import forward_ad as fwAD
from ._functional_call import functional_call
from ._vmap import active_levels, lift, lower, wrap_level
from ._vmap_api import _flatten, _unflatten, vmap
from ._vmap_phantom import VmapDataError, phantom
from .engine import grad as _engine_grad
from .function import AccumulateGrad, fw_state
from .grad_mode import enable_grad
from .tensor import Tensor, _wrap

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap",
           "functional_call"]


# ----------------------------------------------------------------------------- helpers


def _fname(f: Any) -> str:
    return getattr(f, "__name__", type(f).__name__)


def _check_argnums(argnums: Any, nargs: int, api: str) -> tuple[int, ...]:
    single = isinstance(argnums, int)
    nums = (argnums,) if single else argnums
    if not isinstance(nums, tuple) or not nums or not all(isinstance(a, int) for a in nums):
        raise RuntimeError(
            f"{api}: argnums must be int or Tuple[int, ...], got: {argnums!r}"
        )
    out = []
    for a in nums:
        if not -nargs <= a < nargs:
            raise RuntimeError(
                f"{api}: Got argnums={a}, but only {nargs} positional inputs"
            )
        out.append(a % nargs)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{api}: argnums must be unique, got {argnums!r}")
    return tuple(out)


def _private(p: Tensor) -> Tensor:
    """A fresh input to differentiate with respect to: an alias in the graph when ``p``
    already requires grad (outer transforms can still see through it), otherwise a new
    leaf sharing ``p``'s data and forward-AD tangents."""
    if p.requires_grad:
        return p.view_as(p)
    leaf = _wrap(p._data, False, None, 0, p._vc)
    leaf.requires_grad_(True)
    if p._fw:
        leaf._fw = dict(p._fw)
    return leaf


# private leaves of transforms that have returned: no caller can differentiate w.r.t. them
_finished: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _foreign_leaves(roots: list, own: set) -> bool:
    """True when the graph of ``roots`` reaches a leaf other than ``own`` ones (or the
    private leaves of finished transforms): the result then must stay differentiable
    for whoever owns that leaf."""
    seen: set = set()
    stack = [r.grad_fn for r in roots if isinstance(r, Tensor) and r.grad_fn is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if type(node) is AccumulateGrad:
            v = node.variable
            if id(v) not in own and _finished.get(id(v)) is not v:
                return True
            continue
        for nxt, _ in node.next_functions:
            if nxt is not None:
                stack.append(nxt)
    return False


def _release(t: Any, keep_graph: bool) -> Any:
    """Cut a result from the private graph (keeping forward-AD tangents) unless an
    outer transform or caller still differentiates through it."""
    if keep_graph or not isinstance(t, Tensor) or not t.requires_grad:
        return t
    out = t.detach()
    fw = t._fw
    if fw:
        out._fw = fw
    return out


def _split_aux(res: Any, has_aux: bool, api: str) -> tuple[Any, Any]:
    """``(output, aux)`` of ``f``'s result: the pair it must be with ``has_aux``, else
    ``(res, None)``."""
    if not has_aux:
        return res, None
    if not (isinstance(res, tuple) and len(res) == 2):
        raise RuntimeError(
            f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True"
        )
    return res


def _zeros_like(t: Tensor) -> Tensor:
    return t.new_zeros(t.shape)


class _Prepared:
    """The differentiable inputs of one reverse-mode transform call."""

    def __init__(self, args: tuple, argnums: tuple, levels: list) -> None:
        self.levels = levels
        self.args = list(args)
        self.specs = {}
        self.privates: list[Tensor] = []
        self.outer = False
        for a in argnums:
            leaves, spec = _flatten(args[a])
            for leaf in leaves:
                if not isinstance(leaf, Tensor):
                    raise RuntimeError(
                        f"Expected the inputs to differentiate (argnums) to be Tensors or "
                        f"nested containers of Tensors, got {type(leaf).__name__}"
                    )
                if not leaf.is_floating_point() and not leaf.is_complex():
                    raise RuntimeError(
                        f"only Tensors of floating point dtype can require gradients, got "
                        f"{leaf.dtype}"
                    )
            phys = [lift(leaf, levels) for leaf in leaves]
            self.outer = self.outer or any(p.requires_grad for p in phys)
            priv = [_private(p) for p in phys]
            self.specs[a] = (spec, len(self.privates), len(priv))
            self.privates += priv
            self.args[a] = _unflatten([lower(p, levels) for p in priv], spec)
        self.own = {id(p) for p in self.privates if p.grad_fn is None}

    def finish(self) -> None:
        for p in self.privates:
            if p.grad_fn is None:
                _finished[id(p)] = p

    def keep_graph(self, roots: list) -> bool:
        return self.outer or _foreign_leaves(roots, self.own)

    def grads(self, outs: list, cots: list, create_graph: bool) -> list:
        res = _engine_grad(outs, self.privates, cots, retain_graph=True, create_graph=create_graph,
                           allow_unused=True)
        return [_zeros_like(p) if g is None else g for g, p in zip(res, self.privates)]

    def structure(self, flat: list, argnums: tuple, single: bool) -> Any:
        per_arg = []
        for a in argnums:
            spec, start, n = self.specs[a]
            per_arg.append(_unflatten([lower(g, self.levels) for g in flat[start:start + n]], spec))
        return per_arg[0] if single else tuple(per_arg)


# ----------------------------------------------------------------------------- grad


def grad_and_value(func: Callable[..., Any], argnums: Any = 0,
                   has_aux: bool = False) -> Callable[..., Any]:
    """Like ``grad`` but also returns the value: ``(grad, value)`` (``(grad, (value,
    aux))`` with ``has_aux``).

    Example:
        >>> import autograd
        >>> from autograd.func import grad_and_value
        >>> g, v = grad_and_value(lambda x: (x * x).sum())(autograd.tensor([1.0, 2.0]))
        >>> g, v
        (tensor([2., 4.]), tensor(5.))
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        api = f"grad_and_value({_fname(func)})(*args)"
        nums = _check_argnums(argnums, len(args), api)
        levels = active_levels()
        with enable_grad():
            prep = _Prepared(args, nums, levels)
            res = func(*prep.args, **kwargs)
            res, aux = _split_aux(res, has_aux, api)
            if not isinstance(res, Tensor):
                raise RuntimeError(
                    f"{api}: Expected f(*args) to return a Tensor, got {type(res).__name__}"
                )
            if res.numel() != 1:
                raise RuntimeError(
                    f"{api}: Expected f(*args) to return a scalar Tensor, got tensor with "
                    f"{res.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?"
                )
            out = lift(res, levels)
            keep = prep.keep_graph([out])
            create = keep or fw_state.level >= 0
            if out.requires_grad:
                flat = prep.grads([out], [out.new_ones(out.shape)], create)
            else:
                flat = [_zeros_like(p) for p in prep.privates]
            flat = [_release(g, keep) for g in flat]
        prep.finish()
        value = _release(res, keep)
        g = prep.structure(flat, nums, isinstance(argnums, int))
        return (g, (value, aux)) if has_aux else (g, value)

    return wrapper


def grad(func: Callable[..., Any], argnums: Any = 0, has_aux: bool = False) -> Callable[..., Any]:
    """The gradient of a scalar function with respect to argument(s) ``argnums``
    (``torch.func.grad``); with ``has_aux`` f returns ``(output, aux)`` and grad returns
    ``(gradient, aux)``.

    Example:
        >>> import autograd
        >>> from autograd.func import grad
        >>> grad(lambda x: x.sin().sum())(autograd.tensor([0.0]))
        tensor([1.])
        >>> grad(grad(lambda x: (x ** 3).sum()))(autograd.tensor(2.0))
        tensor(12.)
    """
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


# ----------------------------------------------------------------------------- vjp


def vjp(func: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple:
    """``(func(*primals), vjp_fn)``: ``vjp_fn(cotangents)`` returns one gradient per
    primal (reverse mode; ``vjp_fn`` may be called many times, or under ``vmap``).

    Example:
        >>> import autograd
        >>> from autograd.func import vjp
        >>> out, vjp_fn = vjp(lambda x: x ** 2, autograd.tensor([1.0, 3.0]))
        >>> vjp_fn(autograd.ones(2))
        (tensor([2., 6.]),)
    """
    levels = active_levels()
    nums = tuple(range(len(primals)))
    with enable_grad():
        prep = _Prepared(primals, nums, levels)
        res = func(*prep.args)
        res, aux = _split_aux(res, has_aux, "vjp(f, *primals)")
        out_leaves, out_spec = _flatten(res)
        for o in out_leaves:
            if not isinstance(o, Tensor):
                raise RuntimeError(
                    f"vjp(f, *primals): Expected f to be a function that has only Tensors "
                    f"(or nested containers of them) as outputs, got {type(o).__name__}"
                )
        outs = [lift(o, levels) for o in out_leaves]
        keep = prep.keep_graph(outs)

    def vjp_fn(cotangents: Any) -> tuple:
        cot_leaves, cot_spec = _flatten(cotangents)
        if len(cot_leaves) != len(outs):
            raise RuntimeError(
                f"Expected pytree structure of cotangents to be the same as pytree structure "
                f"of outputs to the function: {len(cot_leaves)} cotangents for "
                f"{len(outs)} outputs"
            )
        pairs = []
        for i, (c, o, lo) in enumerate(zip(cot_leaves, outs, out_leaves)):
            if not isinstance(c, Tensor) or tuple(c.shape) != tuple(lo.shape):
                got = tuple(c.shape) if isinstance(c, Tensor) else type(c).__name__
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {got} and output[{i}] "
                    f"has a shape of {tuple(lo.shape)}."
                )
            if o.requires_grad:
                pairs.append((o, _lift_cotangent(c, levels)))
        extra = [lvl for _, c in pairs for lvl in _levels_of(c)]
        if extra:
            try:
                return _vjp_pairs(prep, pairs, keep, nums)
            except VmapDataError:
                # a backward formula needs raw values: one backward pass per element of
                # the newest batch level instead of one batched pass
                return _vjp_loop(vjp_fn, cotangents, max(extra))
        return _vjp_pairs(prep, pairs, keep, nums)

    vjp_fn.finish = prep.finish  # type: ignore[attr-defined]
    out = _unflatten([_release(o, keep) for o in out_leaves], out_spec)
    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def _vjp_pairs(prep: _Prepared, pairs: list, keep: bool, nums: tuple) -> tuple:
    with enable_grad():
        create = keep or fw_state.level >= 0 or any(c.requires_grad for _, c in pairs)
        if pairs:
            flat = prep.grads([o for o, _ in pairs], [c for _, c in pairs], create)
        else:
            flat = [_zeros_like(p) for p in prep.privates]
        keep_now = keep or any(c.requires_grad for _, c in pairs)
        flat = [_release(g, keep_now) for g in flat]
    return prep.structure(flat, nums, False)


def _levels_of(t: Tensor) -> list:
    """The vmap levels ``t`` is batched at."""
    out = []
    p = phantom(t._data)
    while p is not None:
        out.append(p._level)
        p = phantom(p._value._data)
    return out


def _vjp_loop(vjp_fn: Callable, cotangents: Any, level: int) -> tuple:
    from ._vmap_rules import _slice
    from .ops.join import stack

    leaves, spec = _flatten(cotangents)
    size = next(s for lvl, s in active_levels() if lvl == level)
    rows, res_spec = [], None
    for b in range(size):
        flat, res_spec = _flatten(vjp_fn(_unflatten([_slice(c, level, b, size) for c in leaves],
                                                    spec)))
        rows.append(flat)
    stacked = [wrap_level(stack([r[j] for r in rows], 0), level) for j in range(len(rows[0]))]
    return _unflatten(stacked, res_spec)


def _lift_cotangent(c: Tensor, levels: list) -> Tensor:
    """A cotangent in the physical layout of the forward pass: its batch dims for the
    forward's levels lead; levels opened since (``vmap(vjp_fn)``) stay batched, and the
    backward pass then runs batched over them."""
    return lift(c, levels)


# ----------------------------------------------------------------------------- jvp


def jvp(func: Callable[..., Any], primals: Any, tangents: Any, *, strict: bool = False,
        has_aux: bool = False) -> tuple:
    """``(func(*primals), J·tangents)`` by forward-mode AD (``torch.func.jvp``). With
    ``strict=True`` an output that does not depend on the primals is an error.

    Example:
        >>> import autograd
        >>> from autograd.func import jvp
        >>> jvp(lambda x: x ** 2, (autograd.tensor([3.0]),), (autograd.tensor([1.0]),))
        (tensor([9.]), tensor([6.]))
    """
    if not isinstance(primals, tuple):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid "
            "to call f(*primals)."
        )
    if not isinstance(tangents, tuple) or len(tangents) != len(primals):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals and tangents to have the same python "
            f"structure. For example, if primals is a tuple of 3 tensors, tangents also must be. "
            f"Got primals with structure {len(primals)} and tangents with structure "
            f"{len(tangents) if isinstance(tangents, tuple) else type(tangents).__name__}"
        )
    levels = active_levels()
    p_leaves, p_spec = _flatten(primals)
    t_leaves, t_spec = _flatten(tangents)
    if len(p_leaves) != len(t_leaves):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have "
                           "the same python structure")
    for p, t in zip(p_leaves, t_leaves):
        if not isinstance(p, Tensor) or not isinstance(t, Tensor):
            raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to "
                               "only contain Tensors")
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError(
                f"jvp(f, primals, tangents): Expected primals and tangents to have the same "
                f"shape, got {tuple(p.shape)} and {tuple(t.shape)}"
            )
    with fwAD.dual_level():
        duals = [fwAD.make_dual(lift(p, levels), lift(t, levels).to(p.dtype))
                 for p, t in zip(p_leaves, t_leaves)]
        res = func(*_unflatten([lower(d, levels) for d in duals], p_spec))
        res, aux = _split_aux(res, has_aux, "jvp(f, primals, tangents)")
        o_leaves, o_spec = _flatten(res)
        prim_out, tan_out = [], []
        for o in o_leaves:
            if not isinstance(o, Tensor):
                raise RuntimeError(
                    "jvp(f, primals, tangents): Expected f(*primals) to return only tensors, "
                    f"got unsupported type {type(o).__name__}"
                )
            po = lift(o, levels)
            primal, tangent = fwAD.unpack_dual(po)
            if tangent is None and strict:
                raise RuntimeError(
                    "jvp(f, primals, tangents): strict=True and an output of f does not depend "
                    "on the primals (its tangent is zero by construction)"
                )
            prim_out.append(primal)
            tan_out.append(tangent if tangent is not None else _zeros_like(po))
    # results that depend only on inner transforms' private leaves leave the graph
    keep = _foreign_leaves([t for t in prim_out + tan_out if t.requires_grad], set())
    prim_out = [lower(_release(t, keep), levels) for t in prim_out]
    tan_out = [lower(_release(t, keep), levels) for t in tan_out]
    out = (_unflatten(prim_out, o_spec), _unflatten(tan_out, o_spec))
    return (*out, aux) if has_aux else out


# ----------------------------------------------------------------------------- jacobians


def _basis_rows(n: int, like: Tensor) -> Tensor:
    from .creation import eye

    return eye(n, dtype=like.dtype, device=like.device)


def jacrev(func: Callable[..., Any], argnums: Any = 0, *, has_aux: bool = False,
           chunk_size: int | None = None) -> Callable[..., Any]:
    """The Jacobian by reverse mode: ``vmap`` of ``vjp_fn`` over the rows of the
    identity (one batched backward pass). Shapes: ``out.shape + in.shape``.

    Example:
        >>> import autograd
        >>> from autograd.func import jacrev
        >>> f = lambda x: autograd.stack([x[0] ** 2 + x[1], x[0] * x[1] ** 2])
        >>> jacrev(f)(autograd.tensor([2.0, 3.0]))
        tensor([[ 4.,  1.],
                [ 9., 12.]])
    """

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        api = f"jacrev({_fname(func)}, ...)(*args)"
        nums = _check_argnums(argnums, len(args), api)

        def inner(*diff: Any) -> Any:
            full = list(args)
            for a, d in zip(nums, diff):
                full[a] = d
            return func(*full)

        res = vjp(inner, *[args[a] for a in nums], has_aux=has_aux)
        out, vjp_fn = res[0], res[1]
        o_leaves, o_spec = _flatten(out)
        numels = [o.numel() for o in o_leaves]
        total = sum(numels)
        ref = o_leaves[0]
        basis = _basis_rows(total, ref)
        cols, start = [], 0
        for o, n in zip(o_leaves, numels):
            cols.append(basis[:, start:start + n].reshape((total,) + tuple(o.shape)))
            start += n
        cot = _unflatten(cols, o_spec)
        rows = vmap(vjp_fn, chunk_size=chunk_size)(cot)  # per primal: (total, *in.shape)
        vjp_fn.finish()
        jac_leaves = []
        for j, (o, n) in enumerate(zip(o_leaves, numels)):
            per_arg = []
            for k in range(len(nums)):
                blocks = _flatten(rows[k])[0]
                ins = _flatten(args[nums[k]])[0]
                parts = [b.narrow(0, sum(numels[:j]), n).reshape(tuple(o.shape) + tuple(x.shape))
                         for b, x in zip(blocks, ins)]
                per_arg.append(_unflatten(parts, _flatten(args[nums[k]])[1]))
            jac_leaves.append(per_arg[0] if isinstance(argnums, int) else tuple(per_arg))
        jac = _unflatten(jac_leaves, o_spec)
        return (jac, res[2]) if has_aux else jac

    return wrapper


def jacfwd(func: Callable[..., Any], argnums: Any = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable[..., Any]:
    """The Jacobian by forward mode: ``vmap`` of ``jvp`` over the standard basis of the
    inputs (one batched dual pass). Shapes: ``out.shape + in.shape``.

    Example:
        >>> import autograd
        >>> from autograd.func import jacfwd
        >>> jacfwd(lambda x: x.sin())(autograd.tensor([0.0, 0.0]))
        tensor([[1., 0.],
                [0., 1.]])
    """

    @functools.wraps(func)
    def wrapper(*args: Any) -> Any:
        api = f"jacfwd({_fname(func)}, ...)(*args)"
        nums = _check_argnums(argnums, len(args), api)
        primals = tuple(args[a] for a in nums)
        p_leaves, p_spec = _flatten(primals)
        numels = [p.numel() for p in p_leaves]
        total = sum(numels)
        basis = _basis_rows(total, p_leaves[0])
        tangents, start = [], 0
        for p, n in zip(p_leaves, numels):
            tangents.append(basis[:, start:start + n].reshape((total,) + tuple(p.shape)))
            start += n
        aux_box: list = []

        def inner(*diff: Any) -> Any:
            full = list(args)
            for a, d in zip(nums, diff):
                full[a] = d
            return func(*full)

        def push(*ts: Any) -> Any:
            t_tree = _unflatten(list(ts), p_spec)
            res = jvp(inner, primals, t_tree, has_aux=has_aux)
            if has_aux:
                aux_box[:] = [res[2]]
            return res[1]

        outs = vmap(push, randomness=randomness)(*tangents)  # each: (total, *out.shape)
        o_leaves, o_spec = _flatten(outs)
        jac_leaves = []
        for o in o_leaves:
            out_shape = tuple(o.shape[1:])
            per_arg, start = [], 0
            flat_per_leaf = []
            for p, n in zip(p_leaves, numels):
                part = o.narrow(0, start, n)
                nd = part.ndim
                moved = part.permute(*range(1, nd), 0) if nd > 1 else part
                flat_per_leaf.append(moved.reshape(out_shape + tuple(p.shape)))
                start += n
            grouped = _unflatten(flat_per_leaf, p_spec)
            per_arg = list(grouped)
            jac_leaves.append(per_arg[0] if isinstance(argnums, int) else tuple(per_arg))
        jac = _unflatten(jac_leaves, o_spec)
        if has_aux:
            return jac, _first_of_batch(aux_box[0])
        return jac

    return wrapper


def _first_of_batch(aux: Any) -> Any:
    leaves, spec = _flatten(aux)
    return _unflatten([a[0] if isinstance(a, Tensor) and a.ndim else a for a in leaves], spec)


def hessian(func: Callable[..., Any], argnums: Any = 0) -> Callable[..., Any]:
    """The Hessian, forward-over-reverse: ``jacfwd(jacrev(func))``.

    Example:
        >>> import autograd
        >>> from autograd.func import hessian
        >>> f = lambda x: x[0] ** 3 + x[0] * x[1] ** 2 + x[1] ** 4
        >>> hessian(f)(autograd.tensor([1.0, 2.0]))
        tensor([[ 6.,  4.],
                [ 4., 50.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)
