"""Tensor-parallel training must match the single-process model.

Each rank builds the full model (same seed) as its reference and a copy it parallelizes;
both train on the same global batches (float64, SGD/Adam); after every step the full
parameters of the parallel model (gathered from the shards) must equal the reference's
(rtol 1e-9). Models: a Megatron MLP (Colwise -> GELU -> Rowwise), an attention block
(q/k/v Colwise with heads sharded, out projection Rowwise), and DP x TP on a 2-D mesh
(TP inside each row, gradients averaged over the DP dimension).

Run under mpiexec (``python dt_tp_train.py``) or call ``run_all`` from a virtual rank.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from dt_common import assert_close, mpi_main

import autograd
import autograd.nn.functional as F
import optim
import parallel
from autograd import nn
from dtensor import init_device_mesh
from dtensor.parallel import (
    ColwiseParallel,
    RowwiseParallel,
    as_dtensor,
    parallelize_module,
)

F64 = autograd.float64
STEPS = 4


class MLP(nn.Module):
    def __init__(self, dim: int = 6, hidden: int = 12) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden, dtype=F64)
        self.fc2 = nn.Linear(hidden, dim, dtype=F64)

    def forward(self, x: autograd.Tensor) -> autograd.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class Attention(nn.Module):
    """Multi-head self-attention built from Linears; ``-1`` heads in the reshape lets
    each rank run its local heads after q/k/v are column-sharded."""

    def __init__(self, dim: int = 24, heads: int = 12) -> None:
        super().__init__()
        self.head_dim = dim // heads
        self.q = nn.Linear(dim, dim, dtype=F64)
        self.k = nn.Linear(dim, dim, dtype=F64)
        self.v = nn.Linear(dim, dim, dtype=F64)
        self.out = nn.Linear(dim, dim, dtype=F64)

    def forward(self, x: autograd.Tensor) -> autograd.Tensor:
        b, t, _ = x.shape
        q = self.q(x).reshape(b, t, -1, self.head_dim).transpose(1, 2)
        k = self.k(x).reshape(b, t, -1, self.head_dim).transpose(1, 2)
        v = self.v(x).reshape(b, t, -1, self.head_dim).transpose(1, 2)
        att = (q @ k.transpose(-2, -1) / self.head_dim ** 0.5).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, -1)
        return self.out(y)


MLP_PLAN = {"fc1": ColwiseParallel(), "fc2": RowwiseParallel()}
ATTN_PLAN = {"q": ColwiseParallel(), "k": ColwiseParallel(), "v": ColwiseParallel(),
             "out": RowwiseParallel()}


def _batch(step: int, shape: tuple) -> tuple[autograd.Tensor, autograd.Tensor]:
    rng = np.random.default_rng(100 + step)
    return autograd.tensor(rng.standard_normal(shape)), autograd.tensor(rng.standard_normal(shape))


def _full(p: autograd.Tensor) -> np.ndarray:
    spec = getattr(p, "_dtensor_spec", None)
    t = as_dtensor(p).full_tensor() if spec is not None else p
    return t.detach().numpy()


def train(kind: str, mesh_shape: tuple, opt_name: str = "sgd") -> float:
    """Train the parallel and the reference model side by side; return the worst error."""
    world = parallel.get_world_size()
    if len(mesh_shape) == 2:
        mesh = init_device_mesh("cpu", mesh_shape, mesh_dim_names=("dp", "tp"))
        tp_mesh, dp = mesh["tp"], mesh_shape[0]
        dp_rank, dp_group = mesh.get_local_rank("dp"), mesh.get_group("dp")
    else:
        tp_mesh = init_device_mesh("cpu", mesh_shape)
        dp, dp_rank, dp_group = 1, 0, None
    if tp_mesh.size() * dp != world:
        raise AssertionError(f"mesh {mesh_shape} does not cover the world of {world}")
    autograd.manual_seed(0)
    ref = MLP() if kind == "mlp" else Attention()
    model = MLP() if kind == "mlp" else Attention()
    model.load_state_dict(ref.state_dict())
    parallelize_module(model, tp_mesh, MLP_PLAN if kind == "mlp" else ATTN_PLAN)
    make = (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9)) if opt_name == "sgd" else \
        (lambda ps: optim.Adam(ps, lr=0.01))
    opt, ref_opt = make(model.parameters()), make(ref.parameters())
    shape = (4 * dp, 6) if kind == "mlp" else (2 * dp, 3, 24)
    worst = 0.0
    for step in range(STEPS):
        x, y = _batch(step, shape)
        per = shape[0] // dp
        xs, ys = x[dp_rank * per:(dp_rank + 1) * per], y[dp_rank * per:(dp_rank + 1) * per]
        loss = ((model(xs) - ys) ** 2).mean()
        loss.backward()
        if dp_group is not None:
            for p in model.parameters():
                parallel.all_reduce(p.grad, group=dp_group)
                p.grad.div_(dp)
        opt.step()
        opt.zero_grad()
        ref_loss = ((ref(x) - y) ** 2).mean()
        ref_loss.backward()
        ref_opt.step()
        ref_opt.zero_grad()
        for (name, p), q in zip(model.named_parameters(), ref.parameters()):
            worst = max(worst, assert_close(_full(p), q.detach().numpy(),
                                            f"{kind} {mesh_shape} {opt_name} step {step} {name}"))
    return worst


def run_all(world: int) -> dict:
    out = {}
    out["mlp"] = train("mlp", (world,), "sgd")
    out["attention"] = train("attention", (world,), "adam")
    if world == 4:
        out["dp_tp_mlp"] = train("mlp", (2, 2), "adam")
        out["dp_tp_attention"] = train("attention", (2, 2), "sgd")
    return out


if __name__ == "__main__":
    mpi_main(run_all)
