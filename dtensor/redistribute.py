"""Redistribution: turning one placement into another on each mesh dimension, as
differentiable ops on the local tensors.

One mesh dimension, ``n`` ranks, its process group's communicator:

===============  =====================================  ==============================
forward          collective                             backward (the adjoint)
===============  =====================================  ==============================
S(i) -> R        all-gather along i (uneven: padded)    R -> S(i): keep the local chunk
R -> S(i)        local chunk                            S(i) -> R: all-gather
S(i) -> S(j)     all-to-all                             S(j) -> S(i): all-to-all
P -> R           all-reduce                             identity
P -> S(i)        reduce-scatter                         S(i) -> R: all-gather
R -> P           sum: divide by n (ints: rank 0 keeps)  identity
===============  =====================================  ==============================

Gradients follow the same placement convention as ``torch.distributed.tensor``: the
gradient of a Shard value is sharded the same way, the gradient of a Replicate or Partial
value is Replicate (every rank holds the whole gradient). Each backward is itself made
of these ops, so redistributions are differentiable to any order.

Where an op combines a Replicate operand into a sharded or partial result, each rank's
local gradient of that operand is only a partial sum; ``grad_sync`` marks such operands
(identity forward, all-reduce of the gradient in backward).

Multi-dimensional meshes are handled one mesh dimension at a time, in an order that never
shards one tensor dimension on two mesh dimensions mid-way; placements that do
(``[Shard(0), Shard(0)]``) go through Replicate, innermost mesh dimension first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autograd import backend
from autograd.function import Op
from autograd.tensor import Tensor
from parallel import ReduceOp

from ._spec import fmt_placements, is_nested, split_size
from .device_mesh import DeviceMesh
from .placement import Partial, Placement, Replicate, Shard, chunk_sizes

__all__ = ["redistribute_local", "grad_sync", "convert_grad", "plan"]

_OPS = {"sum": ReduceOp.SUM, "avg": ReduceOp.AVG}


def _index(ndim: int, dim: int, lo: int, hi: int) -> tuple:
    return (slice(None),) * dim + (slice(lo, hi),)


def _offsets(sizes: Sequence[int]) -> list[int]:
    out, acc = [], 0
    for s in sizes:
        out.append(acc)
        acc += s
    return out


def _check_local(x: Any, dim: int, expect: int, what: str, comm: Any) -> None:
    if x.shape[dim] != expect:
        raise RuntimeError(
            f"{what}: rank {comm.rank} of its mesh group holds {x.shape[dim]} elements along "
            f"dim {dim} but the placement implies {expect} (local shape {list(x.shape)}); the "
            "local tensors do not match the DTensor's placements"
        )


# ----------------------------------------------------------------------------- array collectives


def _all_gather(x: Any, comm: Any, dim: int, sizes: list[int]) -> Any:
    xp = backend.xp_of(x)
    _check_local(x, dim, sizes[comm.rank], "all-gather (Shard -> Replicate)", comm)
    n, pad = comm.size, max(sizes)
    xt = xp.moveaxis(x, dim, 0)
    even = all(s == pad for s in sizes)
    if even:
        send = xp.ascontiguousarray(xt)
    else:
        send = xp.zeros((pad,) + xt.shape[1:], dtype=x.dtype)
        send[:xt.shape[0]] = xt
    recv = xp.empty((n * pad,) + xt.shape[1:], dtype=x.dtype)
    comm.allgather(send, recv)
    if not even:
        recv = xp.concatenate([recv[r * pad:r * pad + sizes[r]] for r in range(n)], axis=0)
    return xp.ascontiguousarray(xp.moveaxis(recv, 0, dim))


def _chunk(x: Any, comm: Any, dim: int, sizes: list[int]) -> Any:
    _check_local(x, dim, sum(sizes), "local chunk (Replicate -> Shard)", comm)
    lo = _offsets(sizes)[comm.rank]
    return x[_index(x.ndim, dim, lo, lo + sizes[comm.rank])].copy()


def _all_to_all(x: Any, comm: Any, src: int, dst: int, src_sizes: list[int],
                dst_sizes: list[int]) -> Any:
    xp = backend.xp_of(x)
    _check_local(x, src, src_sizes[comm.rank], "all-to-all (Shard -> Shard)", comm)
    _check_local(x, dst, sum(dst_sizes), "all-to-all (Shard -> Shard)", comm)
    n, me = comm.size, comm.rank
    xt = xp.moveaxis(x, (src, dst), (0, 1))
    ps, pd = max(src_sizes), max(dst_sizes)
    send = xp.zeros((n, ps, pd) + xt.shape[2:], dtype=x.dtype)
    offs = _offsets(dst_sizes)
    for k in range(n):
        send[k, :xt.shape[0], :dst_sizes[k]] = xt[:, offs[k]:offs[k] + dst_sizes[k]]
    recv = xp.empty_like(send)
    comm.alltoall(send, recv)
    out = xp.concatenate([recv[k, :src_sizes[k], :dst_sizes[me]] for k in range(n)], axis=0)
    return xp.ascontiguousarray(xp.moveaxis(out, (0, 1), (src, dst)))


def _reduce_scatter(x: Any, comm: Any, dim: int, sizes: list[int], op: str) -> Any:
    xp = backend.xp_of(x)
    _check_local(x, dim, sum(sizes), "reduce-scatter (Partial -> Shard)", comm)
    n, pad = comm.size, max(sizes)
    xt = xp.moveaxis(x, dim, 0)
    send = xp.zeros((n, pad) + xt.shape[1:], dtype=x.dtype)
    offs = _offsets(sizes)
    for k in range(n):
        send[k, :sizes[k]] = xt[offs[k]:offs[k] + sizes[k]]
    recv = xp.empty((pad,) + xt.shape[1:], dtype=x.dtype)
    comm.reduce_scatter(send, recv, _OPS[op])
    return xp.ascontiguousarray(xp.moveaxis(recv[:sizes[comm.rank]], 0, dim))


# ----------------------------------------------------------------------------- differentiable ops


class ShardToReplicate(Op):
    """S(dim) -> R: all-gather the chunks (``sizes[r]`` elements from rank r)."""

    @staticmethod
    def forward(ctx: Any, x: Any, comm: Any, dim: int, sizes: list[int]) -> Any:
        ctx.args = (comm, dim, sizes)
        return _all_gather(x, comm, dim, sizes)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return ReplicateToShard.apply(grad_out, *ctx.args), None, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return ShardToReplicate.apply(tx, *ctx.args)


class ReplicateToShard(Op):
    """R -> S(dim): keep this rank's chunk."""

    @staticmethod
    def forward(ctx: Any, x: Any, comm: Any, dim: int, sizes: list[int]) -> Any:
        ctx.args = (comm, dim, sizes)
        return _chunk(x, comm, dim, sizes)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return ShardToReplicate.apply(grad_out, *ctx.args), None, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return ReplicateToShard.apply(tx, *ctx.args)


class ShardToShard(Op):
    """S(src) -> S(dst): all-to-all."""

    @staticmethod
    def forward(ctx: Any, x: Any, comm: Any, src: int, dst: int, src_sizes: list[int],
                dst_sizes: list[int]) -> Any:
        ctx.args = (comm, src, dst, src_sizes, dst_sizes)
        return _all_to_all(x, comm, src, dst, src_sizes, dst_sizes)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        comm, src, dst, src_sizes, dst_sizes = ctx.args
        g = ShardToShard.apply(grad_out, comm, dst, src, dst_sizes, src_sizes)
        return g, None, None, None, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return ShardToShard.apply(tx, *ctx.args)


class PartialToReplicate(Op):
    """P -> R: all-reduce. The gradient of a Partial value is Replicate, so backward is
    the identity."""

    @staticmethod
    def forward(ctx: Any, x: Any, comm: Any, op: str) -> Any:
        ctx.args = (comm, op)
        out = x.copy()
        comm.allreduce(out, _OPS[op])
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return grad_out, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return PartialToReplicate.apply(tx, *ctx.args)


class PartialToShard(Op):
    """P -> S(dim): reduce-scatter; backward all-gathers the sharded gradient."""

    @staticmethod
    def forward(ctx: Any, x: Any, comm: Any, dim: int, sizes: list[int], op: str) -> Any:
        ctx.args = (comm, dim, sizes, op)
        return _reduce_scatter(x, comm, dim, sizes, op)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        comm, dim, sizes, _ = ctx.args
        return ShardToReplicate.apply(grad_out, comm, dim, sizes), None, None, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return PartialToShard.apply(tx, *ctx.args)


class ReplicateToPartial(Op):
    """R -> P: split the value so the pending reduction restores it (sum: each rank
    holds x / n, integer tensors stay whole on rank 0; avg: every rank keeps x)."""

    @staticmethod
    def forward(ctx: Any, x: Any, comm: Any, op: str) -> Any:
        ctx.args = (comm, op)
        if op == "avg":
            return x.copy()
        if x.dtype.kind in "fc":
            return x / comm.size
        return x.copy() if comm.rank == 0 else backend.xp_of(x).zeros_like(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return grad_out, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return ReplicateToPartial.apply(tx, *ctx.args)


class GradSync(Op):
    """Identity (a view); backward all-reduces the gradient over the mesh group: the
    Replicate operand of an op whose result is sharded or partial."""

    is_view = True

    @staticmethod
    def forward(ctx: Any, x: Any, comm: Any) -> Any:
        ctx.comm = comm
        return x.view()

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return PartialToReplicate.apply(grad_out, ctx.comm, "sum"), None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return tx


class ConvertGrad(Op):
    """Identity (a view); backward redistributes the gradient from ``grad_in``
    placements to ``grad_out`` placements (``to_local``/``from_local`` with
    ``grad_placements``)."""

    is_view = True

    @staticmethod
    def forward(ctx: Any, x: Any, mesh: DeviceMesh, grad_in: tuple, grad_out: tuple,
                shape: tuple) -> Any:
        ctx.args = (mesh, grad_in, grad_out, shape)
        return x.view()

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        mesh, src, dst, shape = ctx.args
        return redistribute_local(grad_out, mesh, src, dst, shape), None, None, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return tx


def grad_sync(local: Tensor, mesh: DeviceMesh, mesh_dims: Sequence[int]) -> Tensor:
    """``local`` unchanged; its gradient is summed over the groups of ``mesh_dims``."""
    for m in mesh_dims:
        if mesh.size(m) > 1:
            local = GradSync.apply(local, mesh._comm(m))
    return local


def convert_grad(local: Tensor, mesh: DeviceMesh, grad_in: Sequence[Placement],
                 grad_out: Sequence[Placement], shape: tuple) -> Tensor:
    """``local`` unchanged; its gradient arrives with placements ``grad_in`` and leaves
    redistributed to ``grad_out``."""
    if tuple(grad_in) == tuple(grad_out):
        return local
    return ConvertGrad.apply(local, mesh, tuple(grad_in), tuple(grad_out), tuple(shape))


# ----------------------------------------------------------------------------- planning


def _would_nest(cur: list[Placement], m: int, to: Placement) -> bool:
    return isinstance(to, Shard) and any(cur[k] == to for k in range(len(cur)) if k != m)


def plan(src: Sequence[Placement], dst: Sequence[Placement]) -> list[tuple[int, Placement]]:
    """The (mesh dim, new placement) steps from ``src`` to ``dst``.

    Example:
        >>> from dtensor import Shard, Replicate
        >>> from dtensor.redistribute import plan
        >>> plan([Shard(0), Shard(1)], [Shard(1), Shard(0)])
        [(1, Replicate()), (0, Shard(dim=1)), (1, Shard(dim=0))]
    """
    src, dst = list(src), list(dst)
    if not is_nested(src) and not is_nested(dst):
        cur = list(src)
        steps: list[tuple[int, Placement]] = []

        def go(m: int, to: Placement) -> None:
            steps.append((m, to))
            cur[m] = to

        for m in reversed(range(len(cur))):  # free tensor dims another mesh dim will shard
            if cur[m] != dst[m] and _would_nest(cur, m, dst[m]) and not cur[m].is_replicate():
                go(m, Replicate())
        for m in range(len(cur)):  # targets that shard nothing: R, P
            if cur[m] != dst[m] and not isinstance(dst[m], Shard):
                go(m, dst[m])
        ok = True
        for m in range(len(cur)):
            if cur[m] != dst[m]:
                if _would_nest(cur, m, dst[m]):
                    ok = False
                    break
                go(m, dst[m])
        if ok:
            return steps
    # Nested shards: unshard innermost mesh dim first, then shard outermost first.
    steps = [(m, Replicate()) for m in reversed(range(len(src))) if not src[m].is_replicate()]
    steps += [(m, dst[m]) for m in range(len(dst)) if not dst[m].is_replicate()]
    return steps


def _step(local: Tensor, mesh: DeviceMesh, cur: list[Placement], m: int, to: Placement,
          shape: tuple) -> Tensor:
    frm = cur[m]
    if frm == to:
        return local
    comm = mesh._comm(m)
    n = comm.size
    after = list(cur)
    after[m] = to
    if isinstance(frm, Shard) and to.is_replicate():
        sizes = chunk_sizes(split_size(shape, mesh, cur, m, frm.dim), n)
        return ShardToReplicate.apply(local, comm, frm.dim, sizes)
    if frm.is_replicate() and isinstance(to, Shard):
        sizes = chunk_sizes(split_size(shape, mesh, after, m, to.dim), n)
        return ReplicateToShard.apply(local, comm, to.dim, sizes)
    if isinstance(frm, Shard) and isinstance(to, Shard):
        src_sizes = chunk_sizes(split_size(shape, mesh, cur, m, frm.dim), n)
        dst_sizes = chunk_sizes(split_size(shape, mesh, after, m, to.dim), n)
        return ShardToShard.apply(local, comm, frm.dim, to.dim, src_sizes, dst_sizes)
    if isinstance(frm, Partial) and to.is_replicate():
        return PartialToReplicate.apply(local, comm, frm.reduce_op)
    if isinstance(frm, Partial) and isinstance(to, Shard):
        sizes = chunk_sizes(split_size(shape, mesh, after, m, to.dim), n)
        return PartialToShard.apply(local, comm, to.dim, sizes, frm.reduce_op)
    if frm.is_replicate() and isinstance(to, Partial):
        return ReplicateToPartial.apply(local, comm, to.reduce_op)
    # S -> P and P(a) -> P(b) go through Replicate
    mid = list(cur)
    local = _step(local, mesh, cur, m, Replicate(), shape)
    mid[m] = Replicate()
    return _step(local, mesh, mid, m, to, shape)


def redistribute_local(local: Tensor, mesh: DeviceMesh, src: Sequence[Placement],
                       dst: Sequence[Placement], shape: tuple) -> Tensor:
    """The local tensor of a DTensor of global ``shape`` moved from placements ``src``
    to ``dst`` (differentiable)."""
    src, dst = tuple(src), tuple(dst)
    if src == dst:
        return local
    if mesh.get_coordinate() is None:
        raise RuntimeError(
            f"redistribute {fmt_placements(src)} -> {fmt_placements(dst)}: rank "
            f"{mesh.get_rank()} is not part of {mesh}"
        )
    cur = list(src)
    for m, to in plan(src, dst):
        local = _step(local, mesh, cur, m, to, shape)
        cur[m] = to
    return local
