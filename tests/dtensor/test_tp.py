"""Tensor parallelism on the threads backend: Megatron MLP and attention train to the
single-process parameters (float64, rtol 1e-9) at 2/3/4 ranks, DP x TP on a 2 x 2 mesh
(manual DP averaging and DDP over the DP group), embeddings, sequence parallelism,
layout-preparation styles, and plan errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import autograd.nn.functional as F
import optim
import parallel
from autograd import nn
from dtensor import DTensor, Replicate, Shard, init_device_mesh
from dtensor import ops as dops
from dtensor.parallel import (
    ColwiseParallel,
    PrepareModuleInput,
    PrepareModuleOutput,
    RowwiseParallel,
    SequenceParallel,
    as_dtensor,
    parallelize_module,
)

from .helpers import on_ranks, raises_on_ranks, script

tp = script("dt_tp_train")

F64 = autograd.float64


@pytest.mark.parametrize("n", [2, 3, 4])
@pytest.mark.parametrize("kind,opt", [("mlp", "sgd"), ("attention", "adam")])
def test_tp_trains_like_one_process(n: int, kind: str, opt: str) -> None:
    worst = on_ranks(n, lambda rank: tp.train(kind, (n,), opt))
    assert max(worst) < 1e-9


@pytest.mark.parametrize("kind,opt", [("mlp", "adam"), ("attention", "sgd")])
def test_dp_x_tp_on_2x2_mesh(kind: str, opt: str) -> None:
    worst = on_ranks(4, lambda rank: tp.train(kind, (2, 2), opt))
    assert max(worst) < 1e-9


def test_dp_x_tp_with_ddp_over_the_dp_group() -> None:
    def work(rank: int) -> float:
        mesh = init_device_mesh("cpu", (2, 2), mesh_dim_names=("dp", "tp"))
        autograd.manual_seed(0)
        ref, model = tp.MLP(), tp.MLP()
        model.load_state_dict(ref.state_dict())
        parallelize_module(model, mesh["tp"], tp.MLP_PLAN)
        ddp = parallel.DistributedDataParallel(model, process_group=mesh.get_group("dp"))
        opt, ref_opt = optim.SGD(model.parameters(), lr=0.1), optim.SGD(ref.parameters(), lr=0.1)
        d = mesh.get_local_rank("dp")
        worst = 0.0
        for step in range(3):
            x, y = tp._batch(step, (8, 6))
            ((ddp(x[d * 4:(d + 1) * 4]) - y[d * 4:(d + 1) * 4]) ** 2).mean().backward()
            opt.step()
            opt.zero_grad()
            ((ref(x) - y) ** 2).mean().backward()
            ref_opt.step()
            ref_opt.zero_grad()
            for p, q in zip(model.parameters(), ref.parameters()):
                worst = max(worst, tp.assert_close(tp._full(p), q.detach().numpy(), f"step {step}"))
        return worst

    assert max(on_ranks(4, work)) < 1e-9


def test_parameters_are_local_shards_with_dtensor_views() -> None:
    def work(rank: int) -> tuple:
        autograd.manual_seed(0)
        model = parallelize_module(tp.MLP(), init_device_mesh("cpu", (2,)), tp.MLP_PLAN)
        views = {n: as_dtensor(p) for n, p in model.named_parameters()}
        model(autograd.ones(3, 6, dtype=F64)).sum().backward()
        g = views["fc1.weight"].grad
        return ({n: (tuple(p.shape), v.placements, v.shape) for n, (p, v) in
                 zip(views, zip(model.parameters(), views.values()))},
                g.placements, g.shape, type(model.fc1.weight).__name__)

    shapes, gp, gshape, kind = on_ranks(2, work)[0]
    assert shapes == {
        "fc1.weight": ((6, 6), (Shard(0),), (12, 6)), "fc1.bias": ((6,), (Shard(0),), (12,)),
        "fc2.weight": ((6, 6), (Shard(1),), (6, 12)), "fc2.bias": ((6,), (Replicate(),), (6,)),
    }
    assert gp == (Shard(0),) and gshape == (12, 6) and kind == "Parameter"


class _Embed(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.tok = nn.Embedding(11, 6, dtype=F64)
        self.col = nn.Embedding(11, 8, padding_idx=3, dtype=F64)

    def forward(self, ids: autograd.Tensor) -> autograd.Tensor:
        return (self.tok(ids) ** 2).sum(-1) + self.col(ids).tanh().sum(-1)


@pytest.mark.parametrize("n", [2, 3])
def test_embeddings_rowwise_and_colwise(n: int) -> None:
    def work(rank: int) -> float:
        autograd.manual_seed(0)
        ref, model = _Embed(), _Embed()
        model.load_state_dict(ref.state_dict())
        plan = {"tok": RowwiseParallel(), "col": ColwiseParallel(output_layouts=Replicate())}
        parallelize_module(model, init_device_mesh("cpu", (n,)), plan)
        ids = autograd.tensor(np.array([[0, 3, 10, 5], [7, 7, 1, 3]]))
        out, want = model(ids), ref(ids)
        out.sum().backward()
        want.sum().backward()
        worst = tp.assert_close(out.detach().numpy(), want.detach().numpy(), "embedding output")
        for (name, p), q in zip(model.named_parameters(), ref.parameters()):
            full = as_dtensor(p).grad.full_tensor()
            worst = max(worst, tp.assert_close(full.numpy(), q.grad.numpy(), f"{name} grad"))
        return worst

    assert max(on_ranks(n, work)) < 1e-9


class _Block(nn.Module):
    """LayerNorm (sequence parallel) -> Colwise -> GELU -> Rowwise (reduce-scatter back
    to sequence shards), with a residual connection."""

    def __init__(self) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(8, dtype=F64)
        self.fc1 = nn.Linear(8, 16, dtype=F64)
        self.fc2 = nn.Linear(16, 8, dtype=F64)

    def forward(self, x: autograd.Tensor) -> autograd.Tensor:
        return x + self.fc2(F.gelu(self.fc1(self.norm(x))))


def test_sequence_parallel_block() -> None:
    n = 2

    def work(rank: int) -> float:
        autograd.manual_seed(0)
        ref, model = _Block(), _Block()
        model.load_state_dict(ref.state_dict())
        with autograd.no_grad():
            for m in (ref, model):
                m.norm.weight.mul_(1.5)
                m.norm.bias.add_(0.25)
        plan = {"norm": SequenceParallel(),
                "fc1": ColwiseParallel(input_layouts=Shard(1)),
                "fc2": RowwiseParallel(output_layouts=Shard(1))}
        parallelize_module(model, init_device_mesh("cpu", (n,)), plan)
        opt, ref_opt = optim.SGD(model.parameters(), lr=0.2), optim.SGD(ref.parameters(), lr=0.2)
        worst = 0.0
        for step in range(3):
            x, y = tp._batch(step, (2, 6, 8))
            xs, ys = x[:, rank * 3:(rank + 1) * 3], y[:, rank * 3:(rank + 1) * 3]
            (((model(xs) - ys) ** 2).sum() / y.numel()).backward()
            ((ref(x) - y) ** 2).mean().backward()
            for o in (opt, ref_opt):
                o.step()
                o.zero_grad()
            for (name, p), q in zip(model.named_parameters(), ref.parameters()):
                worst = max(worst, tp.assert_close(tp._full(p), q.detach().numpy(), f"{step} {name}"))
        return worst

    assert max(on_ranks(n, work)) < 1e-9


def test_prepare_module_input_and_output() -> None:
    class Wrap(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = nn.Identity()

        def forward(self, x: object) -> object:
            return self.inner(x)

    def work(rank: int) -> tuple:
        mesh = init_device_mesh("cpu", (2,))
        m = Wrap()
        parallelize_module(m, mesh, {
            "inner": PrepareModuleInput(input_layouts=Shard(0), desired_input_layouts=Replicate()),
            "": PrepareModuleOutput(output_layouts=Replicate(), desired_output_layouts=Shard(0)),
        })
        x = autograd.full((2, 3), float(rank), dtype=F64)
        seen = []
        m.inner.register_forward_hook(lambda mod, args, out: seen.append(args[0]))
        out = m(x)
        return isinstance(seen[0], DTensor), seen[0].placements, seen[0].shape, out.tolist()

    out = on_ranks(2, work)
    assert out[0][:3] == (True, (Replicate(),), (4, 3))
    assert out[0][3] == [[0.0] * 3, [0.0] * 3] and out[1][3] == [[1.0] * 3, [1.0] * 3]


@pytest.mark.parametrize("make,exc,match", [
    (lambda m: parallelize_module(tp.MLP(), init_device_mesh("cpu", (1, 2)), tp.MLP_PLAN),
     ValueError, "only accepts a 1D DeviceMesh"),
    (lambda m: parallelize_module(tp.MLP(), m, {"nope": ColwiseParallel()}), ValueError,
     "matches no submodule"),
    (lambda m: parallelize_module(nn.ReLU(), m, ColwiseParallel()), NotImplementedError,
     "ColwiseParallel currently only supports nn.Linear and nn.Embedding, got ReLU"),
    (lambda m: parallelize_module(nn.Tanh(), m, RowwiseParallel()), NotImplementedError,
     "RowwiseParallel currently only supports"),
    (lambda m: parallelize_module(tp.MLP(), m, {"fc1": "colwise"}), TypeError,
     "must be a ParallelStyle"),
    (lambda m: as_dtensor(autograd.ones(2)), ValueError, "was not sharded by parallelize_module"),
])
def test_plan_errors(make: object, exc: type, match: str) -> None:
    err = raises_on_ranks(2, lambda rank: make(init_device_mesh("cpu", (2,))))
    assert isinstance(err, exc) and match in str(err)


class _DTensorMLP(nn.Module):
    """The MLP written for DTensor activations (``use_local_output=False``)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(6, 12, dtype=F64)
        self.fc2 = nn.Linear(12, 6, dtype=F64)

    def forward(self, x: autograd.Tensor) -> object:
        h = self.fc1(x)
        h = dops.gelu(h) if isinstance(h, DTensor) else F.gelu(h)
        return self.fc2(h)


def test_dtensor_activations_between_layers() -> None:
    def work(rank: int) -> float:
        autograd.manual_seed(0)
        ref, model = _DTensorMLP(), _DTensorMLP()
        model.load_state_dict(ref.state_dict())
        plan = {"fc1": ColwiseParallel(use_local_output=False),
                "fc2": RowwiseParallel(use_local_output=False)}
        parallelize_module(model, init_device_mesh("cpu", (3,)), plan)
        x, y = tp._batch(0, (4, 6))
        out = model(x)
        assert isinstance(out, DTensor) and out.placements == (Replicate(),)
        ((out.to_local() - y) ** 2).mean().backward()
        ((ref(x) - y) ** 2).mean().backward()
        worst = 0.0
        for (name, p), q in zip(model.named_parameters(), ref.parameters()):
            g = as_dtensor(p).grad.full_tensor().numpy()
            worst = max(worst, tp.assert_close(g, q.grad.numpy(), f"{name} grad"))
        return worst

    assert max(on_ranks(3, work)) < 1e-9
