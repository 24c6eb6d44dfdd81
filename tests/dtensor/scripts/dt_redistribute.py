"""Every redistribution round-trips and its gradient matches the single-process one.

For each pair of placements (1-D mesh over all ranks; 2-D meshes when the world has 4
ranks) a DTensor built from a global tensor X is redistributed from ``src`` to ``dst``
and gathered; the result must equal X, and the gradient of ``sum(W * result)`` must be
W in ``src``'s layout (the single-process gradient). Uneven shapes (5 x 7 x 3) exercise
uneven shards. A few op chains (elementwise with broadcasting, matmul, reductions,
softmax, cross-entropy, reshape) are checked the same way against plain autograd.

Run under mpiexec or call ``run_all`` from a virtual rank.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from dt_common import assert_close, mpi_main

import autograd
from dtensor import (
    DTensor,
    Partial,
    Replicate,
    Shard,
    distribute_tensor,
    init_device_mesh,
)
from dtensor import ops as dops

SHAPE = (5, 7, 3)
BASE = [Shard(0), Shard(1), Shard(2), Replicate(), Partial(), Partial("avg")]


def _leaf(mesh: object, X: np.ndarray, placements: list) -> DTensor:
    """A leaf DTensor with the logical value X in ``placements`` (Partial values are
    built from local parts that reduce to X)."""
    parts = [Replicate() if isinstance(p, Partial) else p for p in placements]
    dt = distribute_tensor(autograd.tensor(X), mesh, parts)
    local = dt.to_local().detach().numpy()
    for m, p in enumerate(placements):
        if isinstance(p, Partial) and p.reduce_op == "sum":
            local = local / mesh.size(m)
    return DTensor.from_local(autograd.tensor(local, requires_grad=True), mesh, placements,
                              shape=X.shape)


def check_pairs(mesh: object, pairs: list) -> int:
    rng = np.random.default_rng(0)
    X, W = rng.standard_normal(SHAPE), rng.standard_normal(SHAPE)
    for src, dst in pairs:
        what = f"{list(src)} -> {list(dst)} on mesh {mesh.shape}"
        dt = _leaf(mesh, X, list(src))
        moved = dt.redistribute(mesh, list(dst))
        full = moved.full_tensor()
        assert_close(full.detach().numpy(), X, f"value {what}", rtol=1e-12)
        back = moved.redistribute(mesh, [Replicate() if isinstance(p, Partial) else p for p in src])
        want = _leaf(mesh, X, [Replicate() if isinstance(p, Partial) else p for p in src])
        assert_close(back.to_local().detach().numpy(), want.to_local().detach().numpy(),
                     f"round trip {what}", rtol=1e-12)
        (full * autograd.tensor(W)).sum().backward()
        assert_close(dt.grad.full_tensor().numpy(), W, f"gradient {what}", rtol=1e-12)
    return len(pairs)


def _gelu(x: object) -> object:
    return dops.gelu(x) if isinstance(x, DTensor) else autograd.nn.functional.gelu(x)


OPS = {
    "bias_gelu": (lambda a, b: _gelu(a + b), [(6, 5), (5,)]),
    "matmul": (lambda a, b: (a @ b).tanh(), [(6, 5), (5, 7)]),
    "batched": (lambda a, b: a @ b, [(3, 6, 5), (5, 7)]),
    "reduce": (lambda a, b: (a * b).sum(0) + (a - b).mean(), [(6, 5), (6, 5)]),
    "softmax": (lambda a, b: a.softmax(-1) * b.log_softmax(0), [(6, 5), (6, 5)]),
    "reshape": (lambda a, b: (a * b).reshape(6, 5, 2, 2).transpose(1, 2), [(6, 5, 4), (6, 5, 4)]),
}


def check_ops(mesh: object) -> int:
    count = 0
    placements = [Shard(0), Shard(1), Replicate(), Partial()]
    for name, (f, shapes) in OPS.items():
        rng = np.random.default_rng(1)
        arrs = [rng.standard_normal(s) for s in shapes]
        refs = [autograd.tensor(a, requires_grad=True) for a in arrs]
        ro = f(*refs)
        G = rng.standard_normal(ro.shape)
        (ro * autograd.tensor(G)).sum().backward()
        options = [[p for p in placements if not (isinstance(p, Shard) and p.dim >= len(s))]
                   for s in shapes]
        for combo in itertools.product(*options):
            leaves = [_leaf(mesh, a, [Replicate()]) for a in arrs]
            ins = [leaf.redistribute(mesh, [p]) for leaf, p in zip(leaves, combo)]
            out = f(*ins).full_tensor()
            assert_close(out.detach().numpy(), ro.detach().numpy(), f"{name} {combo}", rtol=1e-10)
            (out * autograd.tensor(G)).sum().backward()
            for i, (leaf, r) in enumerate(zip(leaves, refs)):
                assert_close(leaf.grad.full_tensor().numpy(), r.grad.numpy(),
                             f"{name} {combo} gradient of input {i}", rtol=1e-10)
            count += 1
    # cross-entropy with the batch sharded, ignored targets, class weights
    rng = np.random.default_rng(2)
    X, T = rng.standard_normal((7, 5)), rng.integers(0, 5, 7)
    T[3] = -100
    wc = autograd.tensor(rng.random(5) + 0.5)
    xr = autograd.tensor(X, requires_grad=True)
    ref = autograd.nn.functional.cross_entropy(xr, autograd.tensor(T), weight=wc, label_smoothing=0.1)
    ref.backward()
    for p in placements[:3]:
        leaf = _leaf(mesh, X, [Replicate()])
        t = distribute_tensor(autograd.tensor(T), mesh, [Replicate()])
        loss = dops.cross_entropy(leaf.redistribute(mesh, [p]), t, weight=wc, label_smoothing=0.1)
        assert_close(np.array(loss.full_tensor().item()), np.array(ref.item()), f"cross_entropy {p}")
        loss.backward()
        assert_close(leaf.grad.full_tensor().numpy(), xr.grad.numpy(), f"cross_entropy grad {p}")
        count += 1
    return count


def run_all(world: int) -> dict:
    mesh = init_device_mesh("cpu", (world,))
    pairs = [((s,), (d,)) for s in BASE for d in BASE]
    out = {"pairs_1d": check_pairs(mesh, pairs), "ops": check_ops(mesh)}
    if world == 4:
        mesh2 = init_device_mesh("cpu", (2, 2), mesh_dim_names=("a", "b"))
        base2 = [Shard(0), Shard(2), Replicate(), Partial()]
        both = list(itertools.product(base2, base2))
        out["pairs_2d"] = check_pairs(mesh2, [(s, d) for s in both for d in both])
    return out


if __name__ == "__main__":
    mpi_main(run_all)
