"""Sharding propagation: each op on DTensors picks the placements its operands need,
redistributes them (differentiably), runs the plain autograd op on the local tensors
and labels the result.

Rules, per mesh dimension:

- elementwise (with broadcasting): a Shard of a non-broadcast dimension is followed
  (operands broadcasting along it stay Replicate); linear ops keep Partial: ``P + P``,
  ``P + R`` (R is partitioned), ``P * R``, ``P / R``, ``-P``; otherwise Partial is
  reduced to Replicate first.
- matmul: ``S(k) @ S(k) -> P``, ``S(n) @ R -> S``, ``R @ S(m) -> S``, shared batch
  shards, ``P @ R -> P``, ``R @ R -> R``; the cheapest of these is chosen (moving a
  Replicate operand to Shard is free).
- sum/mean over a sharded dim -> Partial (mean divides by the global count); over other
  dims the placements follow.
- softmax/log_softmax/cross_entropy: the softmax dimension (classes) is made Replicate;
  batch shards are kept (cross_entropy's mean divides by the global count).
- reshape/view/flatten/transpose/permute/squeeze/unsqueeze: see ``dtensor._view_ops``.

An op without a rule raises an error naming it and the placements.

Example:
    >>> import autograd, parallel
    >>> from dtensor import init_device_mesh, distribute_tensor, Shard, Replicate
    >>> def work(rank):
    ...     parallel.init_process_group("threads")
    ...     mesh = init_device_mesh("cpu", (2,))
    ...     a = distribute_tensor(autograd.ones(2, 4), mesh, [Shard(1)])
    ...     b = distribute_tensor(autograd.ones(4, 3), mesh, [Shard(0)])
    ...     c = a @ b
    ...     return c.placements, c.full_tensor().tolist()[0]
    >>> parallel.spawn(work, nprocs=2)[0]
    ((Partial(sum),), [4.0, 4.0, 4.0])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import autograd
import autograd.nn.functional as F
from autograd import backend
from autograd.tensor import Tensor

from ._ops_common import (
    P,
    R,
    S,
    as_dtensor,
    broadcast_shape,
    check_args,
    make,
    no_rule_error,
    norm_dim,
    operand,
)
from ._view_ops import flatten, permute, reshape, squeeze, t, transpose, unsqueeze, view
from .dtensor import DTensor
from .placement import Partial, Placement, Shard
from .redistribute import redistribute_local

__all__ = [
    "add", "sub", "mul", "div", "neg", "pow", "maximum", "minimum", "where", "clamp",
    "eq", "ne", "lt", "le", "gt", "ge",
    "exp", "log", "tanh", "sigmoid", "relu", "gelu", "silu", "sqrt", "rsqrt", "abs", "sin",
    "cos", "square", "reciprocal", "erf", "to",
    "matmul", "mm", "linear", "sum", "mean", "softmax", "log_softmax", "cross_entropy",
    "mse_loss", "reshape", "view", "flatten", "transpose", "t", "permute", "squeeze",
    "unsqueeze", "no_rule_error",
]


# ----------------------------------------------------------------------------- elementwise


def _scalar_part(c: Any, mesh: Any, keep: list, dts: list) -> Any:
    """A Python scalar added to a Partial result: split it like R -> P would."""
    ints = isinstance(c, (bool, int)) and all(d.dtype.kind in "iub" for d in dts)
    coord = mesh.get_coordinate()
    for m, p in enumerate(keep):
        if isinstance(p, Partial) and p.reduce_op == "sum":
            if ints:
                c = c if coord[m] == 0 else 0
            else:
                c = c / mesh.size(m)
    return c


def _pointwise(op: str, fn: Callable, args: list, linear: str | None = None) -> DTensor:
    """``fn(*local args)`` under the elementwise rule. ``linear``: "add" (all tensor
    operands enter linearly), "mul" (linear in each operand separately), "div" (linear
    in the first), "unary" (linear), None (nonlinear)."""
    mesh = check_args(op, args)
    args = [as_dtensor(a, mesh) for a in args]
    dts = [a for a in args if isinstance(a, DTensor)]
    out_shape = broadcast_shape(op, [d.shape for d in dts])
    nd = len(out_shape)
    req = [list(d.placements) for d in dts]
    keep: list[Placement] = []
    for m in range(mesh.ndim):
        target = None
        for d in dts:
            p = d.placements[m]
            if isinstance(p, Shard) and d.shape[p.dim] == out_shape[p.dim + nd - d.ndim]:
                target = p.dim + nd - d.ndim
                break
        if target is not None:
            for i, d in enumerate(dts):
                k = target - (nd - d.ndim)
                req[i][m] = S(k) if k >= 0 and d.shape[k] == out_shape[target] else R
            keep.append(S(target))
            continue
        partial = [i for i, d in enumerate(dts) if isinstance(d.placements[m], Partial)]
        out: Placement = R
        for i in range(len(dts)):
            req[i][m] = R
        if partial:
            first = dts[partial[0]].placements[m]
            same = all(dts[i].placements[m] == first for i in partial)
            if linear == "add" and same:
                out = first
                for i in range(len(dts)):
                    req[i][m] = first
            elif linear in ("mul", "unary"):
                out = first
                req[partial[0]][m] = first
            elif linear == "div" and isinstance(args[0], DTensor) and partial[0] == 0:
                out = first
                req[0][m] = first
        keep.append(out)
    locals_ = iter([operand(d, req[i], keep) for i, d in enumerate(dts)])
    call = []
    for a in args:
        if isinstance(a, DTensor):
            call.append(next(locals_))
        elif linear == "add" and isinstance(a, (int, float, complex)):
            call.append(_scalar_part(a, mesh, keep, dts))
        else:
            call.append(a)
    return make(op, fn(*call), mesh, keep, out_shape)


def add(input: Any, other: Any, *, alpha: Any = 1) -> DTensor:
    """``input + alpha * other`` (Partial + Partial and Partial + Replicate stay Partial).

    Example:
        >>> import autograd, parallel
        >>> from dtensor import init_device_mesh, distribute_tensor, DTensor, Shard, Replicate, Partial
        >>> from dtensor import ops
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> p = DTensor.from_local(autograd.ones(2), mesh, [Partial()])
        >>> r = distribute_tensor(autograd.ones(2), mesh, [Replicate()])
        >>> ops.add(p, r, alpha=2).placements
        (Partial(sum),)
        >>> parallel.destroy_process_group()
    """
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, DTensor) else other * alpha
    return _pointwise("add", lambda a, b: a + b, [input, other], "add")


def sub(input: Any, other: Any, *, alpha: Any = 1) -> DTensor:
    """``input - alpha * other``.

    Example:
        >>> import autograd, parallel
        >>> from dtensor import init_device_mesh, distribute_tensor, DTensor, Shard, Replicate, Partial
        >>> from dtensor import ops
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> x = distribute_tensor(autograd.ones(2, 3), mesh, [Shard(0)])
        >>> ops.sub(x, x).full_tensor().sum().item()
        0.0
        >>> parallel.destroy_process_group()
    """
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, DTensor) else other * alpha
    return _pointwise("sub", lambda a, b: a - b, [input, other], "add")


def mul(input: Any, other: Any) -> DTensor:
    """``input * other`` (one Partial operand times Replicate ones stays Partial).

    Example:
        >>> import autograd, parallel
        >>> from dtensor import init_device_mesh, distribute_tensor, DTensor, Shard, Replicate, Partial
        >>> from dtensor import ops
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> p = DTensor.from_local(autograd.ones(2), mesh, [Partial()])
        >>> (p * 3).placements, (p * 3).full_tensor().tolist()
        ((Partial(sum),), [3.0, 3.0])
        >>> parallel.destroy_process_group()
    """
    return _pointwise("mul", lambda a, b: a * b, [input, other], "mul")


def div(input: Any, other: Any) -> DTensor:
    """``input / other`` (a Partial numerator over a Replicate denominator stays Partial).

    Example:
        >>> import autograd, parallel
        >>> from dtensor import init_device_mesh, distribute_tensor, DTensor, Shard, Replicate, Partial
        >>> from dtensor import ops
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> x = distribute_tensor(autograd.full((4,), 6.0), mesh, [Shard(0)])
        >>> ops.div(x, 3).full_tensor().tolist()
        [2.0, 2.0, 2.0, 2.0]
        >>> parallel.destroy_process_group()
    """
    return _pointwise("div", lambda a, b: a / b, [input, other], "div")


def neg(input: DTensor) -> DTensor:
    return _pointwise("neg", lambda a: -a, [input], "unary")


def pow(input: Any, exponent: Any) -> DTensor:
    return _pointwise("pow", lambda a, b: a ** b, [input, exponent])


def maximum(input: DTensor, other: DTensor) -> DTensor:
    return _pointwise("maximum", lambda a, b: autograd.maximum(a, b), [input, other])


def minimum(input: DTensor, other: DTensor) -> DTensor:
    return _pointwise("minimum", lambda a, b: autograd.minimum(a, b), [input, other])


def where(condition: DTensor, input: Any, other: Any) -> DTensor:
    return _pointwise("where", lambda c, a, b: autograd.where(c, a, b), [condition, input, other])


def clamp(input: DTensor, min: Any = None, max: Any = None) -> DTensor:
    return _pointwise("clamp", lambda a: a.clamp(min, max), [input])


def _compare(name: str) -> Callable:
    def fn(input: Any, other: Any) -> DTensor:
        return _pointwise(name, lambda a, b: getattr(a, name)(b) if isinstance(a, Tensor)
                          else getattr(autograd, name)(autograd.tensor(a), b), [input, other])
    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{name}`` (a bool DTensor)."
    return fn


eq, ne, lt, le, gt, ge = (_compare(n) for n in ("eq", "ne", "lt", "le", "gt", "ge"))


def _unary(name: str, local: Callable | None = None) -> Callable:
    run = local or (lambda a: getattr(a, name)())

    def fn(input: DTensor) -> DTensor:
        return _pointwise(name, run, [input])
    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{name}`` (Partial inputs are reduced first)."
    return fn


exp = _unary("exp")
log = _unary("log")
tanh = _unary("tanh")
sigmoid = _unary("sigmoid")
relu = _unary("relu")
sqrt = _unary("sqrt")
rsqrt = _unary("rsqrt")
abs = _unary("abs")
sin = _unary("sin")
cos = _unary("cos")
square = _unary("square")
reciprocal = _unary("reciprocal")
erf = _unary("erf")
silu = _unary("silu", F.silu)


def gelu(input: DTensor, approximate: str = "none") -> DTensor:
    return _pointwise("gelu", lambda a: F.gelu(a, approximate=approximate), [input])


def to(input: DTensor, *args: Any, **kwargs: Any) -> DTensor:
    """``Tensor.to`` on the local tensor (casts between floating types keep Partial).

    Example:
        >>> import autograd, parallel
        >>> from dtensor import init_device_mesh, distribute_tensor, DTensor, Shard, Replicate, Partial
        >>> from dtensor import ops
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> p = DTensor.from_local(autograd.ones(2), mesh, [Partial()])
        >>> q = ops.to(p, autograd.float64)
        >>> q.dtype, q.placements
        (dtype('float64'), (Partial(sum),))
        >>> parallel.destroy_process_group()
    """
    probe = autograd.empty(0, dtype=input.dtype).to(*args, **kwargs).dtype
    linear = "unary" if input.dtype.kind in "fc" and probe.kind in "fc" else None
    return _pointwise("to", lambda a: a.to(*args, **kwargs), [input], linear)


# ----------------------------------------------------------------------------- matmul


def _cost(x: DTensor, cur: Placement, want: Placement) -> float:
    if cur == want:
        return 0.0
    if cur.is_replicate():
        return 1e-3  # local chunk / partition
    n = float(x.numel())
    return 2 * n if isinstance(cur, Partial) and want.is_replicate() else n


def matmul(input: DTensor, other: DTensor) -> DTensor:
    """Matrix product with broadcasting batch dims (as ``autograd.matmul``).

    Example:
        >>> import autograd, parallel
        >>> from dtensor import init_device_mesh, distribute_tensor, DTensor, Shard, Replicate, Partial
        >>> from dtensor import ops
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> a = distribute_tensor(autograd.ones(2, 4), mesh, [Shard(1)])
        >>> b = distribute_tensor(autograd.ones(4, 3), mesh, [Shard(0)])
        >>> c = ops.matmul(a, b)
        >>> c.placements, c.full_tensor()[0].tolist()
        ((Partial(sum),), [4.0, 4.0, 4.0])
        >>> parallel.destroy_process_group()
    """
    check_args("matmul", [input, other])
    a, b = input, other
    if not isinstance(a, DTensor) or not isinstance(b, DTensor):
        raise RuntimeError("matmul: both operands must be DTensors")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D"
        )
    if a.ndim == 1:
        return squeeze(matmul(unsqueeze(a, 0), b), -2)
    if b.ndim == 1:
        return squeeze(matmul(a, unsqueeze(b, -1)), -1)
    if a.shape[-1] != b.shape[-2]:
        raise RuntimeError(
            f"matmul: mat1 and mat2 shapes cannot be multiplied "
            f"({'x'.join(map(str, a.shape))} and {'x'.join(map(str, b.shape))})"
        )
    mesh = a.device_mesh
    batch = broadcast_shape("matmul", [a.shape[:-2], b.shape[:-2]])
    out_shape = batch + (a.shape[-2], b.shape[-1])
    nd = len(out_shape)
    cands: list[tuple[Placement, Placement, Placement]] = [
        (R, R, R), (S(a.ndim - 1), S(b.ndim - 2), P()), (S(a.ndim - 2), R, S(nd - 2)),
        (R, S(b.ndim - 1), S(nd - 1)),
    ]
    for j in range(len(batch)):
        if out_shape[j] == 1:
            continue
        ka, kb = j - (nd - a.ndim), j - (nd - b.ndim)
        real_a = ka >= 0 and a.shape[ka] == out_shape[j]
        real_b = kb >= 0 and b.shape[kb] == out_shape[j]
        cands.append((S(ka) if real_a else R, S(kb) if real_b else R, S(j)))
    for op in ("sum", "avg"):
        if any(p == P(op) for p in a.placements + b.placements):
            cands += [(P(op), R, P(op)), (R, P(op), P(op))]
    req_a, req_b, out = [], [], []
    for m in range(mesh.ndim):
        best = min(cands, key=lambda c: _cost(a, a.placements[m], c[0]) + _cost(b, b.placements[m], c[1]))
        req_a.append(best[0])
        req_b.append(best[1])
        out.append(best[2])
    la = operand(a, req_a, out)
    lb = operand(b, req_b, out)
    if la.shape[-1] == 0:
        # this rank's chunk of the contracted dim is empty (uneven shards): the product
        # is zeros; broadcast-multiply-sum keeps it differentiable
        res = (la.unsqueeze(-1) * lb.unsqueeze(-3)).sum(-2)
    else:
        res = autograd.matmul(la, lb)
    return make("matmul", res, mesh, out, out_shape)


def mm(input: DTensor, mat2: DTensor) -> DTensor:
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D DTensors, got {input.ndim}-D and {mat2.ndim}-D")
    return matmul(input, mat2)


def linear(input: DTensor, weight: DTensor, bias: DTensor | None = None) -> DTensor:
    """``input @ weight.T + bias`` on DTensors.

    Example:
        >>> import autograd, parallel
        >>> from dtensor import init_device_mesh, distribute_tensor, DTensor, Shard, Replicate, Partial
        >>> from dtensor import ops
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> x = distribute_tensor(autograd.ones(5, 3), mesh, [Replicate()])
        >>> w = distribute_tensor(autograd.ones(4, 3), mesh, [Shard(0)])
        >>> b = distribute_tensor(autograd.zeros(4), mesh, [Shard(0)])
        >>> ops.linear(x, w, b).placements
        (Shard(dim=1),)
        >>> parallel.destroy_process_group()
    """
    out = matmul(input, t(weight) if weight.ndim == 2 else weight)
    return out if bias is None else add(out, bias)


# ----------------------------------------------------------------------------- reductions


def _dims(op: str, dim: Any, ndim: int) -> tuple[int, ...]:
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int):
        dim = (dim,)
    out = tuple(sorted({norm_dim(op, int(d), ndim) for d in dim}))
    return out


def _reduce(op: str, x: DTensor, dim: Any, keepdim: bool, dtype: Any) -> DTensor:
    check_args(op, [x])
    dims = _dims(op, dim, x.ndim)
    keep_all = dim is None and not keepdim
    new_index, out_shape = {}, []
    for d, s in enumerate(x.shape):
        if d in dims:
            if keepdim:
                new_index[d] = len(out_shape)
                out_shape.append(1)
        else:
            new_index[d] = len(out_shape)
            out_shape.append(s)
    if keep_all:
        out_shape = []
    out: list[Placement] = []
    sharded_reduced = False
    for p in x.placements:
        if isinstance(p, Shard) and p.dim in dims:
            out.append(P())
            sharded_reduced = True
        elif isinstance(p, Shard):
            out.append(S(new_index[p.dim]))
        else:
            out.append(p)
    local = x._local_tensor
    if dtype is not None:
        local = local.to(dtype)
    red = None if keep_all else dims
    if op == "mean" and sharded_reduced:
        count = 1
        for d in dims:
            count *= x.shape[d]
        res = local.sum(red, keepdim) / count if red is not None else local.sum() / count
    elif red is None:
        res = getattr(local, op)()
    else:
        res = getattr(local, op)(red, keepdim)
    return make(op, res, x.device_mesh, out, out_shape)


def sum(input: DTensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> DTensor:
    """Sum over ``dim``: a sharded dim becomes Partial.

    Example:
        >>> import autograd, parallel
        >>> from dtensor import init_device_mesh, distribute_tensor, DTensor, Shard, Replicate, Partial
        >>> from dtensor import ops
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> x = distribute_tensor(autograd.ones(4, 2), mesh, [Shard(0)])
        >>> ops.sum(x, 0).placements, ops.sum(x, 1).placements
        ((Partial(sum),), (Shard(dim=0),))
        >>> parallel.destroy_process_group()
    """
    return _reduce("sum", input, dim, keepdim, dtype)


def mean(input: DTensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> DTensor:
    """Mean over ``dim``: over a sharded dim, local sums / global count -> Partial.

    Example:
        >>> import autograd, parallel
        >>> from dtensor import init_device_mesh, distribute_tensor, DTensor, Shard, Replicate, Partial
        >>> from dtensor import ops
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> x = distribute_tensor(autograd.arange(4.0), mesh, [Shard(0)])
        >>> m = ops.mean(x)
        >>> m.placements, m.item()
        ((Partial(sum),), 1.5)
        >>> parallel.destroy_process_group()
    """
    return _reduce("mean", input, dim, keepdim, dtype)


def _softmax(op: str, x: DTensor, dim: int, dtype: Any) -> DTensor:
    check_args(op, [x])
    d = norm_dim(op, dim, x.ndim)
    req = [R if (isinstance(p, Shard) and p.dim == d) or isinstance(p, Partial) else p
           for p in x.placements]
    local = operand(x, req, req)
    res = getattr(local, op)(d) if dtype is None else getattr(local, op)(d, dtype=dtype)
    return make(op, res, x.device_mesh, req, x.shape)


def softmax(input: DTensor, dim: int, dtype: Any = None) -> DTensor:
    """Softmax along ``dim`` (a shard of ``dim`` is gathered first).

    Example:
        >>> import autograd, parallel
        >>> from dtensor import init_device_mesh, distribute_tensor, DTensor, Shard, Replicate, Partial
        >>> from dtensor import ops
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> x = distribute_tensor(autograd.zeros(4, 2), mesh, [Shard(0)])
        >>> y = ops.softmax(x, -1)
        >>> y.placements, y.full_tensor()[0].tolist()
        ((Shard(dim=0),), [0.5, 0.5])
        >>> parallel.destroy_process_group()
    """
    return _softmax("softmax", input, dim, dtype)


def log_softmax(input: DTensor, dim: int, dtype: Any = None) -> DTensor:
    """Log-softmax along ``dim`` (a shard of ``dim`` is gathered first).

    Example:
        >>> import autograd, parallel
        >>> from dtensor import init_device_mesh, distribute_tensor, DTensor, Shard, Replicate, Partial
        >>> from dtensor import ops
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> x = distribute_tensor(autograd.zeros(4, 2), mesh, [Shard(1)])
        >>> ops.log_softmax(x, 1).placements
        (Replicate(),)
        >>> parallel.destroy_process_group()
    """
    return _softmax("log_softmax", input, dim, dtype)


def _legacy_reduction(size_average: Any, reduce: Any) -> str:
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


def _allreduce_scalar(value: float, mesh: Any, dims: list[int]) -> float:
    arr = backend.numpy.array([value], dtype=backend.numpy.float64)
    for m in dims:
        if mesh.size(m) > 1:
            mesh._comm(m).allreduce(arr)
    return float(arr[0])


def cross_entropy(input: DTensor, target: DTensor, weight: Any = None,
                  size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> DTensor:
    """``nn.functional.cross_entropy`` on DTensors: classes (dim 1, or 0 for 1-D input)
    are made Replicate; batch shards are kept, so "sum"/"mean" give a Partial scalar
    ("mean" divides by the global count of non-ignored, weighted targets).

    Example:
        >>> import autograd, parallel
        >>> from dtensor import init_device_mesh, distribute_tensor, DTensor, Shard, Replicate, Partial
        >>> from dtensor import ops
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> x = distribute_tensor(autograd.zeros(4, 3), mesh, [Shard(0)])
        >>> t = distribute_tensor(autograd.tensor([0, 1, 2, 0]), mesh, [Shard(0)])
        >>> loss = ops.cross_entropy(x, t)
        >>> loss.placements, round(loss.item(), 4)
        ((Partial(sum),), 1.0986)
        >>> parallel.destroy_process_group()
    """
    check_args("cross_entropy", [input, target])
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    mesh = input.device_mesh
    cdim = 1 if input.ndim >= 2 else 0
    soft = target.dtype.kind in "fc"
    if soft and target.shape != input.shape:
        raise RuntimeError(
            f"cross_entropy: class-probability targets must have the input's shape "
            f"{list(input.shape)}, got {list(target.shape)}"
        )
    batch_shape = tuple(s for d, s in enumerate(input.shape) if d != cdim)
    in_req, t_req, out = [], [], []
    for p in input.placements:
        if isinstance(p, Shard) and p.dim != cdim:
            k = p.dim if p.dim < cdim else p.dim - 1
            in_req.append(p)
            t_req.append(p if soft else S(k))
            out.append(S(k))
        else:
            in_req += [R]
            t_req += [R]
            out += [R]
    li = operand(input, in_req, out)
    lt = operand(target, t_req, out) if soft else \
        redistribute_local(target._local_tensor, mesh, target.placements, tuple(t_req), target.shape)
    lw = weight.full_tensor() if isinstance(weight, DTensor) else weight
    none = F.cross_entropy(li, lt, weight=lw, ignore_index=ignore_index, reduction="none",
                           label_smoothing=label_smoothing)
    if reduction == "none":
        return make("cross_entropy", none, mesh, out, batch_shape)
    total = none.sum()
    red_dims = [m for m, p in enumerate(out) if isinstance(p, Shard)]
    scalar_pl = [P() if isinstance(p, Shard) else R for p in out]
    if reduction == "sum":
        return make("cross_entropy", total, mesh, scalar_pl, ())
    if soft:
        denom = 1.0
        for s in batch_shape:
            denom *= s
    else:
        valid = lt._data != ignore_index
        if lw is not None:
            xp = backend.xp_of(lt._data)
            w = backend.to_device(lw.detach()._data, backend.device_of(lt._data))
            picked = w[xp.where(valid, lt._data, 0)]
            local_denom = float((picked * valid).sum())
        else:
            local_denom = float(valid.sum())
        denom = _allreduce_scalar(local_denom, mesh, red_dims)
    return make("cross_entropy", total / denom, mesh, scalar_pl, ())


def mse_loss(input: DTensor, target: DTensor, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean") -> DTensor:
    """Mean (or sum, or none) of squared differences, composed from DTensor ops.

    Example:
        >>> import autograd, parallel
        >>> from dtensor import init_device_mesh, distribute_tensor, DTensor, Shard, Replicate, Partial
        >>> from dtensor import ops
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> a = distribute_tensor(autograd.ones(4), mesh, [Shard(0)])
        >>> ops.mse_loss(a, a * 3).item()
        4.0
        >>> parallel.destroy_process_group()
    """
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    diff = square(sub(input, target))
    if reduction == "none":
        return diff
    if reduction == "sum":
        return sum(diff)
    if reduction == "mean":
        return mean(diff)
    raise ValueError(f"{reduction} is not a valid value for reduction")


# ----------------------------------------------------------------------------- DTensor methods


def _swap(fn: Callable) -> Callable:
    return lambda self, other: fn(other, self)


def _no_rule_dunder(name: str) -> Callable:
    def method(self: DTensor, *args: Any, **kwargs: Any) -> Any:
        raise no_rule_error(name, [self.placements])
    return method


_METHODS: dict[str, Callable] = {
    "__add__": add, "__radd__": _swap(add), "__sub__": sub, "__rsub__": _swap(sub),
    "__mul__": mul, "__rmul__": _swap(mul), "__truediv__": div, "__rtruediv__": _swap(div),
    "__pow__": pow, "__rpow__": _swap(pow), "__neg__": neg, "__matmul__": matmul,
    "__rmatmul__": _swap(matmul), "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le,
    "__gt__": gt, "__ge__": ge, "__abs__": abs,
    "add": add, "sub": sub, "mul": mul, "div": div, "neg": neg, "pow": pow,
    "maximum": maximum, "minimum": minimum, "clamp": clamp, "eq": eq, "ne": ne, "lt": lt,
    "le": le, "gt": gt, "ge": ge, "exp": exp, "log": log, "tanh": tanh, "sigmoid": sigmoid,
    "relu": relu, "sqrt": sqrt, "rsqrt": rsqrt, "abs": abs, "sin": sin, "cos": cos,
    "square": square, "reciprocal": reciprocal, "erf": erf, "to": to,
    "double": lambda self: to(self, autograd.float64),
    "float": lambda self: to(self, autograd.float32),
    "matmul": matmul, "mm": mm, "sum": sum, "mean": mean, "softmax": softmax,
    "log_softmax": log_softmax, "reshape": reshape, "view": view, "flatten": flatten,
    "transpose": transpose, "t": t, "permute": permute, "squeeze": squeeze,
    "unsqueeze": unsqueeze,
    "__getitem__": _no_rule_dunder("__getitem__"), "__setitem__": _no_rule_dunder("__setitem__"),
    "__iter__": _no_rule_dunder("__iter__"),
}

for _name, _fn in _METHODS.items():
    setattr(DTensor, _name, _fn)
DTensor.T = property(lambda self: permute(self, *reversed(range(self.ndim))))  # type: ignore[attr-defined]
