"""Sharding propagation on the threads backend: every rule's values and gradients match
plain autograd for every combination of input placements; the placements chosen are
torch's (S(1) @ S(0) -> Partial, …); ops without a rule raise naming op and placements."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import autograd
import autograd.nn.functional as F
from dtensor import DTensor, Partial, Replicate, Shard, distribute_tensor, init_device_mesh
from dtensor import ops as dops

from .helpers import on_ranks, raises_on_ranks

CASES = {
    "add_broadcast": (lambda a, b: (a + b).sin(), [(6, 5), (5,)]),
    "mul_broadcast": (lambda a, b: a * b.exp(), [(6, 5), (6, 1)]),
    "div": (lambda a, b: a / (b * b + 1.0), [(6, 5), (6, 5)]),
    "scalars": (lambda a, b: (2.0 - a) * 3 + b / 2 - 1, [(6, 5), (6, 5)]),
    "nonlinear": (lambda a, b: a.tanh() * b.sigmoid() + a.maximum(b).relu(), [(6, 5), (6, 5)]),
    "pow_sqrt": (lambda a, b: (a * a + 1.0).sqrt() ** 1.5 - b.abs() ** 2, [(6, 5), (6, 5)]),
    "matmul": (lambda a, b: a @ b, [(6, 5), (5, 7)]),
    "batched_weight": (lambda a, b: a @ b, [(3, 6, 5), (5, 7)]),
    "batched_both": (lambda a, b: a @ b, [(3, 6, 5), (3, 5, 7)]),
    "matvec": (lambda a, b: a @ b, [(6, 5), (5,)]),
    "vecmat": (lambda a, b: a @ b, [(6,), (6, 5)]),
    "linear": (lambda a, b: dops.linear(a, b) if isinstance(a, DTensor) else F.linear(a, b),
               [(6, 5), (4, 5)]),
    "sum_dim": (lambda a, b: (a * b).sum(0), [(6, 5), (6, 5)]),
    "sum_keepdim": (lambda a, b: (a * b).sum(1, keepdim=True), [(6, 5), (6, 5)]),
    "sum_all": (lambda a, b: (a * b).sum(), [(6, 5), (6, 5)]),
    "mean_all": (lambda a, b: (a - b).mean(), [(6, 5), (6, 5)]),
    "mean_dims": (lambda a, b: (a - b).mean((0, 2)), [(6, 5, 3), (6, 5, 3)]),
    "softmax": (lambda a, b: a.softmax(-1) * b, [(6, 5), (6, 5)]),
    "log_softmax": (lambda a, b: a.log_softmax(0) * b, [(6, 5), (6, 5)]),
    "reshape_split": (lambda a, b: (a * b).reshape(6, 5, 2, 2), [(6, 5, 4), (6, 5, 4)]),
    "reshape_merge": (lambda a, b: (a * b).reshape(6, 20), [(6, 5, 4), (6, 5, 4)]),
    "flatten": (lambda a, b: (a + b).flatten(1), [(6, 5, 4), (6, 5, 4)]),
    "transpose": (lambda a, b: a.transpose(0, 1) @ b, [(6, 5), (6, 4)]),
    "permute_T": (lambda a, b: a.permute(2, 0, 1) + b.T, [(6, 5, 4), (5, 6, 4)]),
    "unsqueeze_squeeze": (lambda a, b: (a.unsqueeze(1) * b.unsqueeze(0)).sum(-1).unsqueeze(0).squeeze(0),
                          [(6, 5), (4, 5)]),
}
PLACEMENTS = [Shard(0), Shard(1), Shard(2), Replicate(), Partial()]


def _check_case(mesh: object, name: str) -> list:
    f, shapes = CASES[name]
    rng = np.random.default_rng(1)
    arrs = [rng.standard_normal(s) for s in shapes]
    refs = [autograd.tensor(a, requires_grad=True) for a in arrs]
    ref = f(*refs)
    G = rng.standard_normal(ref.shape)
    (ref * autograd.tensor(G)).sum().backward()
    failures = []
    options = [[p for p in PLACEMENTS if not (isinstance(p, Shard) and p.dim >= len(s))] for s in shapes]
    for combo in itertools.product(*options):
        leaves = [distribute_tensor(autograd.tensor(a), mesh, [Replicate()]).requires_grad_() for a in arrs]
        out = f(*[leaf.redistribute(mesh, [p]) for leaf, p in zip(leaves, combo)])
        full = out.full_tensor()
        ok = np.allclose(full.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
        (full * autograd.tensor(G)).sum().backward()
        for leaf, r in zip(leaves, refs):
            ok = ok and np.allclose(leaf.grad.full_tensor().numpy(), r.grad.numpy(), rtol=1e-10, atol=1e-12)
        if not ok:
            failures.append((name, combo, out.placements))
    return failures


@pytest.mark.parametrize("n", [2, 3])
def test_rules_match_autograd_for_all_placements(n: int) -> None:
    out = on_ranks(n, lambda rank: [f for name in CASES for f in _check_case(
        init_device_mesh("cpu", (n,)), name)])
    assert out[0] == []


def test_rules_at_4_ranks_with_empty_shards() -> None:
    """At 4 ranks a dim of 5 splits [2, 2, 1, 0]: ranks with empty chunks take part."""
    names = ["matmul", "batched_weight", "sum_all", "mean_dims", "softmax", "reshape_merge"]
    out = on_ranks(4, lambda rank: [f for name in names for f in _check_case(
        init_device_mesh("cpu", (4,)), name)])
    assert out[0] == []


def _placements_of(fn: object, *specs: tuple) -> tuple:
    def work(rank: int) -> tuple:
        mesh = init_device_mesh("cpu", (2,))
        args = [distribute_tensor(autograd.ones(*shape), mesh, [p]) for shape, p in specs]
        return fn(*args).placements

    return on_ranks(2, work)[0]


@pytest.mark.parametrize("fn,specs,want", [
    (lambda a, b: a @ b, [((4, 6), Shard(1)), ((6, 2), Shard(0))], (Partial(),)),
    (lambda a, b: a @ b, [((4, 6), Shard(0)), ((6, 2), Replicate())], (Shard(0),)),
    (lambda a, b: a @ b, [((4, 6), Replicate()), ((6, 2), Shard(1))], (Shard(1),)),
    (lambda a, b: a @ b, [((4, 6), Replicate()), ((6, 2), Replicate())], (Replicate(),)),
    (lambda a, b: a @ b, [((4, 6), Partial()), ((6, 2), Replicate())], (Partial(),)),
    (lambda a, b: a @ b, [((3, 4, 6), Shard(0)), ((6, 2), Replicate())], (Shard(0),)),
    (lambda a, b: a + b, [((4, 6), Shard(0)), ((6,), Replicate())], (Shard(0),)),
    (lambda a, b: a + b, [((4, 6), Shard(1)), ((4, 6), Shard(0))], (Shard(1),)),
    (lambda a, b: a + b, [((4, 6), Partial()), ((4, 6), Partial())], (Partial(),)),
    (lambda a, b: a + b, [((4, 6), Partial()), ((4, 6), Replicate())], (Partial(),)),
    (lambda a, b: a * b, [((4, 6), Partial()), ((4, 6), Replicate())], (Partial(),)),
    (lambda a, b: a * b, [((4, 6), Partial()), ((4, 6), Partial())], (Partial(),)),
    (lambda a, b: a.exp() + b, [((4, 6), Partial()), ((4, 6), Replicate())], (Replicate(),)),
    (lambda a: a.sum(0), [((4, 6), Shard(0))], (Partial(),)),
    (lambda a: a.sum(1), [((4, 6), Shard(0))], (Shard(0),)),
    (lambda a: a.mean(), [((4, 6), Shard(1))], (Partial(),)),
    (lambda a: a.softmax(0), [((4, 6), Shard(0))], (Replicate(),)),
    (lambda a: a.softmax(1), [((4, 6), Shard(0))], (Shard(0),)),
    (lambda a: a.reshape(4, 2, 3), [((4, 6), Shard(1))], (Shard(1),)),
    (lambda a: a.reshape(4, 3, 2), [((4, 6), Shard(1))], (Replicate(),)),
    (lambda a: a.reshape(24), [((4, 6), Shard(0))], (Shard(0),)),
    (lambda a: a.reshape(24), [((4, 6), Shard(1))], (Replicate(),)),
    (lambda a: a.t(), [((4, 6), Shard(1))], (Shard(0),)),
    (lambda a: a.unsqueeze(0), [((4, 6), Shard(1))], (Shard(2),)),
    (lambda a: -a * 2.0, [((4, 6), Partial())], (Partial(),)),
    (lambda a: a.double(), [((4, 6), Partial())], (Partial(),)),
])
def test_output_placements(fn: object, specs: list, want: tuple) -> None:
    assert _placements_of(fn, *specs) == want


def test_partial_with_scalars_and_ints() -> None:
    def work(rank: int) -> tuple:
        mesh = init_device_mesh("cpu", (3,))
        p = DTensor.from_local(autograd.full((2,), 1.0, dtype=autograd.float64), mesh, [Partial()])
        q = DTensor.from_local(autograd.full((2,), rank, dtype=autograd.int64), mesh, [Partial()])
        return ((p + 1.5).full_tensor().tolist(), (2 - p).full_tensor().tolist(),
                (q + 4).full_tensor().tolist(), (p * 2).placements)

    assert on_ranks(3, work)[0] == ([4.5, 4.5], [-1.0, -1.0], [7, 7], (Partial(),))


def test_2d_mesh_ops() -> None:
    """Ops on a 2 x 2 mesh (a matmul sharded on both mesh dims, reductions, a bias add)."""

    def work(rank: int) -> list:
        mesh = init_device_mesh("cpu", (2, 2))
        rng = np.random.default_rng(3)
        A, B, b = rng.standard_normal((4, 6)), rng.standard_normal((6, 5)), rng.standard_normal(5)
        ra, rb, rbias = (autograd.tensor(v, requires_grad=True) for v in (A, B, b))
        ref = ((ra @ rb + rbias).tanh() ** 2).mean()
        ref.backward()
        bad = []
        for pa, pb in [([Shard(0), Shard(1)], [Shard(0), Replicate()]),
                       ([Replicate(), Shard(1)], [Shard(1), Shard(0)]),
                       ([Shard(1), Shard(1)], [Shard(0), Shard(0)])]:
            leaves = [distribute_tensor(autograd.tensor(v), mesh, [Replicate()] * 2).requires_grad_()
                      for v in (A, B, b)]
            x = leaves[0].redistribute(mesh, pa)
            w = leaves[1].redistribute(mesh, pb)
            loss = ((x @ w + leaves[2]).tanh() ** 2).mean()
            if not np.isclose(loss.item(), ref.item(), rtol=1e-12):
                bad.append(("value", pa, pb))
            loss.backward()
            for leaf, r in zip(leaves, (ra, rb, rbias)):
                if not np.allclose(leaf.grad.full_tensor().numpy(), r.grad.numpy(), rtol=1e-10):
                    bad.append(("grad", pa, pb))
        return bad

    assert on_ranks(4, work)[0] == []


@pytest.mark.parametrize("kwargs", [
    {}, {"reduction": "sum"}, {"reduction": "none"}, {"weight": True}, {"ignore_index": 2},
    {"label_smoothing": 0.1, "weight": True}, {"soft": True},
])
def test_cross_entropy(kwargs: dict) -> None:
    def work(rank: int) -> list:
        kw = dict(kwargs)
        mesh = init_device_mesh("cpu", (2,))
        rng = np.random.default_rng(1)
        X = rng.standard_normal((7, 5))
        soft = kw.pop("soft", False)
        T = rng.dirichlet(np.ones(5), 7) if soft else rng.integers(0, 5, 7)
        if not soft and "ignore_index" not in kw:
            T[2] = -100
        if kw.get("weight"):
            kw["weight"] = autograd.tensor(rng.random(5) + 0.5)
        xr = autograd.tensor(X, requires_grad=True)
        ref = F.cross_entropy(xr, autograd.tensor(T), **kw)
        G = autograd.tensor(rng.standard_normal(ref.shape))
        (ref * G).sum().backward()
        bad = []
        for p in (Shard(0), Shard(1), Replicate(), Partial()):
            leaf = distribute_tensor(autograd.tensor(X), mesh, [Replicate()]).requires_grad_()
            t = distribute_tensor(autograd.tensor(T), mesh, [Replicate()])
            loss = dops.cross_entropy(leaf.redistribute(mesh, [p]), t, **kw)
            full = loss.full_tensor()
            (full * G).sum().backward()
            if not (np.allclose(full.detach().numpy(), ref.detach().numpy(), rtol=1e-12)
                    and np.allclose(leaf.grad.full_tensor().numpy(), xr.grad.numpy(), rtol=1e-10)):
                bad.append((p, loss.placements))
        return bad

    assert on_ranks(2, work)[0] == []


def test_mse_loss_and_legacy_reduction() -> None:
    def work(rank: int) -> tuple:
        mesh = init_device_mesh("cpu", (2,))
        a = distribute_tensor(autograd.arange(6.0, dtype=autograd.float64).reshape(3, 2), mesh, [Shard(0)])
        b = distribute_tensor(autograd.ones(3, 2, dtype=autograd.float64), mesh, [Shard(0)])
        return (dops.mse_loss(a, b).item(), dops.mse_loss(a, b, reduction="sum").item(),
                dops.mse_loss(a, b, reduce=False).shape)

    ref = ((np.arange(6.0) - 1) ** 2)
    assert on_ranks(2, work)[0] == (ref.mean(), ref.sum(), (3, 2))


def test_view_refuses_what_reshape_gathers() -> None:
    def work(rank: int) -> tuple:
        mesh = init_device_mesh("cpu", (2,))
        x = distribute_tensor(autograd.arange(24.0).reshape(4, 6), mesh, [Shard(1)])
        flat = x.reshape(24)
        with pytest.raises(RuntimeError, match="would not stay one contiguous chunk"):
            x.view(24)
        y = distribute_tensor(autograd.arange(30.0).reshape(5, 6), mesh, [Shard(1)])
        # 6 = 2 heads x 3 splits evenly over 2 ranks: 5 x 6 -> 5 x 2 x 3 keeps the shard
        heads = y.view(5, 2, 3)
        with pytest.raises(RuntimeError, match="invalid for input of size 30"):
            y.reshape(7, -1)
        return flat.placements, flat.full_tensor().tolist(), heads.placements

    out = on_ranks(2, work)[0]
    assert out[0] == (Replicate(),) and out[1] == list(range(24)) and out[2] == (Shard(1),)


@pytest.mark.parametrize("thunk,exc,match", [
    (lambda x, m: x.cumsum(0), RuntimeError,
     "operator 'cumsum' has no sharding rule (input placements (Shard(dim=0),))"),
    (lambda x, m: x[0], RuntimeError, "operator '__getitem__' has no sharding rule"),
    (lambda x, m: x + autograd.ones(4, 3), RuntimeError, "got mixed Tensor and DTensor arguments"),
    (lambda x, m: F.linear(x, x), AttributeError, "a DTensor is not a Tensor"),
    (lambda x, m: autograd.backend.numpy.exp(x), TypeError, "numpy ufunc 'exp' received a DTensor"),
    (lambda x, m: x @ x, RuntimeError, "mat1 and mat2 shapes cannot be multiplied (4x3 and 4x3)"),
    (lambda x, m: x + distribute_tensor(autograd.ones(4, 3), m[1], [Replicate()]), RuntimeError,
     "live on different meshes"),
    (lambda x, m: x + distribute_tensor(autograd.ones(2, 3), m[0], [Replicate()]), RuntimeError,
     "cannot be broadcast together"),
    (lambda x, m: x.sum(3), IndexError, "Dimension out of range"),
    (lambda x, m: x.backward(), RuntimeError, "grad can be implicitly created only for scalar outputs"),
])
def test_errors_name_op_and_placements(thunk: object, exc: type, match: str) -> None:
    def work(rank: int) -> None:
        from dtensor import DeviceMesh

        meshes = (init_device_mesh("cpu", (2,)), DeviceMesh("cpu", [1, 0]))
        x = distribute_tensor(autograd.ones(4, 3), meshes[0], [Shard(0)]).requires_grad_()
        thunk(x, meshes)

    err = raises_on_ranks(2, work)
    assert isinstance(err, exc), err
    assert match in str(err)
