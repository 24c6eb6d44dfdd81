"""Differentiable collectives (``torch.distributed.nn.functional``): each backward is
the adjoint collective — all_reduce ↔ all_reduce, broadcast ↔ reduce to the source,
all_gather ↔ reduce_scatter, all_to_all ↔ all_to_all.

Example:
    >>> import autograd, parallel
    >>> import parallel.functional as pf
    >>> parallel.init_process_group()
    >>> x = autograd.tensor([1.0, 2.0], requires_grad=True)
    >>> pf.all_reduce(x).sum().backward()
    >>> x.grad.tolist()
    [1.0, 1.0]
    >>> parallel.destroy_process_group()
"""

from __future__ import annotations

from typing import Any

from autograd import Function, backend
from autograd.tensor import Tensor, _wrap

from .comm.base import ReduceOp
from .distributed import ProcessGroup, _group

__all__ = ["all_reduce", "broadcast", "all_gather", "all_gather_into_tensor",
           "reduce_scatter_tensor", "all_to_all_single"]


def _contig(t: Tensor) -> Any:
    return backend.xp_of(t._data).ascontiguousarray(t._data)


class _AllReduce(Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor, op: ReduceOp, pg: ProcessGroup) -> Tensor:
        if op not in (ReduceOp.SUM, ReduceOp.AVG):
            raise ValueError(
                f"parallel.functional.all_reduce is differentiable for SUM and AVG only, got {op}"
            )
        ctx.op, ctx.pg = op, pg
        out = _contig(x).copy()
        pg.comm.allreduce(out, op)
        return _wrap(out)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return _AllReduce.apply(grad_out, ctx.op, ctx.pg), None, None


class _Broadcast(Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor, root: int, pg: ProcessGroup) -> Tensor:
        ctx.root, ctx.pg = root, pg
        out = _contig(x).copy()
        pg.comm.broadcast(out, root)
        return _wrap(out)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        g = _contig(grad_out).copy()
        ctx.pg.comm.reduce(g, ctx.root, ReduceOp.SUM)
        if ctx.pg.rank() != ctx.root:
            g[...] = 0
        return _wrap(g), None, None


def _check_dim0_divides(inp: Any, pg: ProcessGroup, api: str) -> None:
    """Ops that split dim 0 into one chunk per rank need it to divide evenly."""
    if inp.shape[0] % pg.size():
        raise ValueError(
            f"{api}: dim 0 ({inp.shape[0]}) must divide by the world size ({pg.size()})"
        )


class _AllGather(Function):
    """Concatenate along dim 0; the gradient is this rank's slice of the summed grads."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, pg: ProcessGroup) -> Tensor:
        ctx.pg = pg
        inp = _contig(x)
        out = backend.xp_of(inp).empty((pg.size() * inp.shape[0],) + inp.shape[1:], dtype=inp.dtype)
        pg.comm.allgather(inp, out)
        return _wrap(out)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return _ReduceScatter.apply(grad_out, ctx.pg), None


class _ReduceScatter(Function):
    """Sum across ranks, keep this rank's dim-0 chunk; the gradient gathers back."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, pg: ProcessGroup) -> Tensor:
        ctx.pg = pg
        inp = _contig(x)
        _check_dim0_divides(inp, pg, "reduce_scatter_tensor")
        out = backend.xp_of(inp).empty((inp.shape[0] // pg.size(),) + inp.shape[1:], dtype=inp.dtype)
        pg.comm.reduce_scatter(inp, out, ReduceOp.SUM)
        return _wrap(out)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return _AllGather.apply(grad_out, ctx.pg), None


class _AllToAll(Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor, pg: ProcessGroup) -> Tensor:
        ctx.pg = pg
        inp = _contig(x)
        _check_dim0_divides(inp, pg, "all_to_all_single")
        out = backend.xp_of(inp).empty_like(inp)
        pg.comm.alltoall(inp, out)
        return _wrap(out)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return _AllToAll.apply(grad_out, ctx.pg), None


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group: ProcessGroup | None = None) -> Tensor:
    """A new tensor: the reduction of ``tensor`` over ranks; gradients are all-reduced."""
    return _AllReduce.apply(tensor, op, _group(group))


def broadcast(tensor: Tensor, src: int = 0, group: ProcessGroup | None = None) -> Tensor:
    """A new tensor equal to global rank ``src``'s ``tensor``; gradients are summed onto
    ``src`` (other ranks' inputs get zero gradient)."""
    pg = _group(group)
    return _Broadcast.apply(tensor, pg.group_rank(src, "broadcast"), pg)


def all_gather_into_tensor(tensor: Tensor, group: ProcessGroup | None = None) -> Tensor:
    """Every rank's ``tensor`` concatenated along dim 0 (rank order)."""
    return _AllGather.apply(tensor, _group(group))


def all_gather(tensor: Tensor, group: ProcessGroup | None = None) -> tuple[Tensor, ...]:
    """A tuple with every rank's ``tensor`` (differentiable, as
    ``torch.distributed.nn.all_gather``)."""
    pg = _group(group)
    joined = _AllGather.apply(tensor.unsqueeze(0), pg)
    return tuple(joined.unbind(0))


def reduce_scatter_tensor(tensor: Tensor, group: ProcessGroup | None = None) -> Tensor:
    """Sum ``tensor`` over ranks and return this rank's dim-0 chunk."""
    return _ReduceScatter.apply(tensor, _group(group))


def all_to_all_single(tensor: Tensor, group: ProcessGroup | None = None) -> Tensor:
    """Exchange equal dim-0 chunks: chunk r goes to rank r."""
    return _AllToAll.apply(tensor, _group(group))
