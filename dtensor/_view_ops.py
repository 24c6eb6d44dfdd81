"""Sharding rules of the shape ops: reshape/view/flatten, transpose/permute/t,
squeeze/unsqueeze.

A reshape groups input and output dims into blocks of equal size. A sharded input dim
stays sharded when it is the leading (non-1) dim of its block and the output block's
leading dim splits into the same chunks (each rank's elements of the block stay one
contiguous range): splitting a sharded (B, T, H*D) into (B, T, H, D) shards H, merging
a sharded H of (B, T, H, D) into H*D shards the merged dim, when H divides evenly.
Otherwise ``reshape`` gathers that mesh dimension to Replicate first, and ``view``
raises (a view never moves data).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ._ops_common import R, S, check_args, make, norm_dim, operand
from .dtensor import DTensor
from .placement import Placement, Shard, chunk_sizes

__all__ = ["reshape", "view", "flatten", "transpose", "t", "permute", "squeeze", "unsqueeze"]


def _shape_arg(shape: tuple) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _infer(op: str, in_shape: tuple, shape: tuple) -> tuple[int, ...]:
    numel = math.prod(in_shape)
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred")
    if -1 in shape:
        rest = math.prod(s for s in shape if s != -1)
        if rest == 0 or numel % rest:
            raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // rest if s == -1 else s for s in shape)
    if math.prod(shape) != numel:
        raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _blocks(src: tuple, dst: tuple) -> list[tuple[list[int], list[int]]]:
    """Group dims into (input dims, output dims) blocks of equal element count."""
    blocks = []
    i = j = 0
    while i < len(src) or j < len(dst):
        ins, outs, pi, pj = [], [], 1, 1
        if i < len(src):
            ins.append(i)
            pi *= src[i]
            i += 1
        if j < len(dst):
            outs.append(j)
            pj *= dst[j]
            j += 1
        while pi != pj and (i < len(src) or j < len(dst)):
            if (pi < pj and i < len(src)) or j >= len(dst):
                ins.append(i)
                pi *= src[i]
                i += 1
            else:
                outs.append(j)
                pj *= dst[j]
                j += 1
        # size-1 dims that follow belong to this block
        while i < len(src) and src[i] == 1 and (j >= len(dst) or dst[j] != 1):
            ins.append(i)
            i += 1
        while j < len(dst) and dst[j] == 1 and (i >= len(src) or src[i] != 1):
            outs.append(j)
            j += 1
        blocks.append((ins, outs))
    return blocks


def _follow(src: tuple, dst: tuple, dim: int, n: int) -> int | None:
    """The output dim a shard of input ``dim`` (``n`` chunks) maps to, or None."""
    if math.prod(src) == 0:
        return None
    for ins, outs in _blocks(src, dst):
        if dim not in ins:
            continue
        lead_in = [k for k in ins if src[k] != 1]
        lead_out = [k for k in outs if dst[k] != 1]
        if not lead_in or lead_in[0] != dim or not lead_out:
            return None
        o = lead_out[0]
        inner_in = math.prod(src[k] for k in ins if k > dim)
        inner_out = math.prod(dst[k] for k in outs if k > o)
        pairs = zip(chunk_sizes(src[dim], n), chunk_sizes(dst[o], n))
        if all(a * inner_in == b * inner_out for a, b in pairs):
            return o
        return None
    return None


def _reshape(op: str, x: DTensor, shape: tuple, strict: bool) -> DTensor:
    check_args(op, [x])
    shape = _infer(op, x.shape, _shape_arg(shape))
    nested = len({p.dim for p in x.placements if isinstance(p, Shard)}) != \
        sum(isinstance(p, Shard) for p in x.placements)
    req: list[Placement] = []
    out: list[Placement] = []
    for m, p in enumerate(x.placements):
        if isinstance(p, Shard):
            o = None if nested else _follow(x.shape, shape, p.dim, x.device_mesh.size(m))
            if o is None:
                if strict:
                    raise RuntimeError(
                        f"view: cannot view a DTensor of shape {list(x.shape)} sharded as {p!r} on "
                        f"mesh dim {m} as {list(shape)}: the sharded dim would not stay one "
                        "contiguous chunk per rank. Use reshape() (which gathers that mesh "
                        "dimension first) or redistribute to Replicate"
                    )
                req.append(R)
                out.append(R)
            else:
                req.append(p)
                out.append(S(o))
        else:
            req.append(p)
            out.append(p)
    local = operand(x, req, out)
    # local output shape: the global one with each sharded dim at its local chunk
    target = list(shape)
    for m, p in enumerate(out):
        if isinstance(p, Shard):
            target[p.dim] = chunk_sizes(shape[p.dim], x.device_mesh.size(m))[
                x.device_mesh.get_local_rank(m)]
    return make(op, local.reshape(tuple(target)), x.device_mesh, out, shape)


def reshape(input: DTensor, *shape: Any) -> DTensor:
    """Reshape keeping shards where the sharded dim is untouched (or leads a split or a
    merge that keeps per-rank chunks contiguous); otherwise that mesh dim is gathered.

    Example:
        >>> import autograd, parallel
        >>> from dtensor import init_device_mesh, distribute_tensor, Shard
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> x = distribute_tensor(autograd.ones(2, 3, 8), mesh, [Shard(2)])
        >>> x.reshape(2, 3, 4, 2).placements, x.reshape(6, 8).placements
        ((Shard(dim=2),), (Shard(dim=1),))
        >>> parallel.destroy_process_group()
    """
    return _reshape("reshape", input, shape, strict=False)


def view(input: DTensor, *shape: Any) -> DTensor:
    """Like :func:`reshape`, but raises where the shard would need communication.

    Example:
        >>> import autograd, parallel
        >>> from dtensor import init_device_mesh, distribute_tensor, Shard
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> distribute_tensor(autograd.ones(4, 6), mesh, [Shard(0)]).view(4, 2, 3).shape
        (4, 2, 3)
        >>> parallel.destroy_process_group()
    """
    return _reshape("view", input, shape, strict=True)


def flatten(input: DTensor, start_dim: int = 0, end_dim: int = -1) -> DTensor:
    """Flatten dims ``start_dim..end_dim`` (a :func:`reshape`).

    Example:
        >>> import autograd, parallel
        >>> from dtensor import init_device_mesh, distribute_tensor, Shard
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> distribute_tensor(autograd.ones(2, 3, 4), mesh, [Shard(1)]).flatten(1).placements
        (Shard(dim=1),)
        >>> parallel.destroy_process_group()
    """
    if input.ndim == 0:
        return reshape(input, (1,))
    s = norm_dim("flatten", start_dim, input.ndim)
    e = norm_dim("flatten", end_dim, input.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input.shape[:s] + (math.prod(input.shape[s:e + 1]),) + input.shape[e + 1:]
    return reshape(input, shape)


def permute(input: DTensor, *dims: Any) -> DTensor:
    """Permute dims; shards move with their dims.

    Example:
        >>> import autograd, parallel
        >>> from dtensor import init_device_mesh, distribute_tensor, Shard
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> distribute_tensor(autograd.ones(2, 3, 4), mesh, [Shard(2)]).permute(2, 0, 1).placements
        (Shard(dim=0),)
        >>> parallel.destroy_process_group()
    """
    check_args("permute", [input])
    dims = tuple(norm_dim("permute", int(d), input.ndim) for d in _shape_arg(dims))
    if sorted(dims) != list(range(input.ndim)):
        raise RuntimeError(
            f"permute(): dims {list(dims)} must be a permutation of the {input.ndim} dims"
        )
    out = [S(dims.index(p.dim)) if isinstance(p, Shard) else p for p in input.placements]
    shape = tuple(input.shape[d] for d in dims)
    return make("permute", input._local_tensor.permute(*dims), input.device_mesh, out, shape)


def transpose(input: DTensor, dim0: int, dim1: int) -> DTensor:
    """Swap two dims (their shards with them).

    Example:
        >>> import autograd, parallel
        >>> from dtensor import init_device_mesh, distribute_tensor, Shard
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> distribute_tensor(autograd.ones(2, 3), mesh, [Shard(1)]).transpose(0, 1).placements
        (Shard(dim=0),)
        >>> parallel.destroy_process_group()
    """
    if input.ndim == 0:
        return input
    a = norm_dim("transpose", dim0, input.ndim)
    b = norm_dim("transpose", dim1, input.ndim)
    dims = list(range(input.ndim))
    dims[a], dims[b] = dims[b], dims[a]
    return permute(input, *dims)


def t(input: DTensor) -> DTensor:
    """Transpose a matrix (0-D and 1-D inputs are returned as they are).

    Example:
        >>> import autograd, parallel
        >>> from dtensor import init_device_mesh, distribute_tensor, Shard
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> distribute_tensor(autograd.ones(2, 3), mesh, [Shard(0)]).t().shape
        (3, 2)
        >>> parallel.destroy_process_group()
    """
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, 1) if input.ndim == 2 else input


def unsqueeze(input: DTensor, dim: int) -> DTensor:
    """Insert a size-1 dim; shards after it shift.

    Example:
        >>> import autograd, parallel
        >>> from dtensor import init_device_mesh, distribute_tensor, Shard
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> distribute_tensor(autograd.ones(2, 3), mesh, [Shard(1)]).unsqueeze(0).placements
        (Shard(dim=2),)
        >>> parallel.destroy_process_group()
    """
    check_args("unsqueeze", [input])
    d = norm_dim("unsqueeze", dim, input.ndim + 1)
    out = [S(p.dim + 1) if isinstance(p, Shard) and p.dim >= d else p for p in input.placements]
    shape = input.shape[:d] + (1,) + input.shape[d:]
    return make("unsqueeze", input._local_tensor.unsqueeze(d), input.device_mesh, out, shape)


def squeeze(input: DTensor, dim: int | Sequence[int] | None = None) -> DTensor:
    """Drop size-1 dims (all, or those in ``dim``); shards after them shift.

    Example:
        >>> import autograd, parallel
        >>> from dtensor import init_device_mesh, distribute_tensor, Shard
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> distribute_tensor(autograd.ones(1, 3), mesh, [Shard(1)]).squeeze().placements
        (Shard(dim=0),)
        >>> parallel.destroy_process_group()
    """
    check_args("squeeze", [input])
    if dim is None:
        drop = [d for d, s in enumerate(input.shape) if s == 1]
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        drop = sorted({norm_dim("squeeze", d, input.ndim) for d in dims if input.shape[
            norm_dim("squeeze", d, input.ndim)] == 1})
    if not drop:
        return input
    req = [R if isinstance(p, Shard) and p.dim in drop else p for p in input.placements]
    out = [S(p.dim - sum(d < p.dim for d in drop)) if isinstance(p, Shard) else p for p in req]
    local = operand(input, req, out)
    shape = tuple(s for d, s in enumerate(input.shape) if d not in drop)
    return make("squeeze", local.squeeze(tuple(drop)), input.device_mesh, out, shape)
