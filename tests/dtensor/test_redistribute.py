"""Redistribution on the threads backend: every transition round-trips with the
single-process gradient (1-D at 2/3/4 ranks, 2-D including nested shards), planning,
from_local/to_local/full_tensor/distribute_tensor semantics, higher-order gradients."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import autograd
from dtensor import DTensor, Partial, Replicate, Shard, distribute_tensor, init_device_mesh
from dtensor.redistribute import plan

from .helpers import on_ranks, raises_on_ranks, script

checks = script("dt_redistribute")


@pytest.mark.parametrize("n", [2, 3, 4])
def test_every_1d_transition(n: int) -> None:
    pairs = [((s,), (d,)) for s in checks.BASE for d in checks.BASE]
    out = on_ranks(n, lambda rank: checks.check_pairs(init_device_mesh("cpu", (n,)), pairs))
    assert out == [36] * n


@pytest.mark.parametrize("shape", [(2, 2), (2, 3)])
def test_2d_transitions(shape: tuple) -> None:
    base = [Shard(0), Shard(1), Replicate(), Partial()]
    both = list(itertools.product(base, base))
    # all pairs on 2x2 (includes nested [S(0), S(0)] and swaps [S(0), S(1)] -> [S(1), S(0)]);
    # a diagonal sample on 2x3
    pairs = [(s, d) for s in both for d in both] if shape == (2, 2) else \
        [(s, d) for i, s in enumerate(both) for j, d in enumerate(both) if (i + j) % 5 == 0]
    out = on_ranks(shape[0] * shape[1],
                   lambda rank: checks.check_pairs(init_device_mesh("cpu", shape), pairs))
    assert out[0] == len(pairs)


def test_plan_never_nests_midway() -> None:
    assert plan([Shard(0), Shard(1)], [Shard(1), Shard(0)]) == \
        [(1, Replicate()), (0, Shard(1)), (1, Shard(0))]
    assert plan([Shard(0), Replicate()], [Replicate(), Shard(0)]) == \
        [(0, Replicate()), (1, Shard(0))]
    assert plan([Partial(), Shard(1)], [Shard(1), Partial()]) == \
        [(0, Replicate()), (1, Partial()), (0, Shard(1))]
    # nested shards go through Replicate, innermost mesh dim first
    assert plan([Shard(0), Shard(0)], [Shard(1), Replicate()]) == \
        [(1, Replicate()), (0, Replicate()), (0, Shard(1))]


@pytest.mark.parametrize("n", [2, 3, 4])
def test_uneven_local_shapes_and_offsets(n: int) -> None:
    def work(rank: int) -> tuple:
        mesh = init_device_mesh("cpu", (n,))
        x = distribute_tensor(autograd.arange(10.0).reshape(5, 2), mesh, [Shard(0)])
        return tuple(x.to_local().shape), x.to_local().tolist(), x.shape

    out = on_ranks(n, work)
    sizes = {2: [3, 2], 3: [2, 2, 1], 4: [2, 2, 1, 0]}[n]
    assert [o[0] for o in out] == [(s, 2) for s in sizes]
    flat = [row for o in out for row in o[1]]
    assert flat == np.arange(10.0).reshape(5, 2).tolist()
    assert all(o[2] == (5, 2) for o in out)


def test_distribute_tensor_uses_rank0_data() -> None:
    def work(rank: int) -> tuple:
        mesh = init_device_mesh("cpu", (2,))
        mine = autograd.full((4,), float(rank), requires_grad=True)
        a = distribute_tensor(mine, mesh, [Shard(0)])
        b = distribute_tensor(mine, mesh, [Replicate()], src_data_rank=None)
        return a.to_local().tolist(), b.to_local().tolist(), a.is_leaf, a.requires_grad

    assert on_ranks(2, work) == [([0.0, 0.0], [0.0] * 4, True, True),
                                 ([0.0, 0.0], [1.0] * 4, True, True)]


def test_from_local_shapes_and_checks() -> None:
    def work(rank: int) -> tuple:
        mesh = init_device_mesh("cpu", (2,))
        even = DTensor.from_local(autograd.ones(3, 2), mesh, [Shard(1)])
        uneven = DTensor.from_local(autograd.ones(3 - rank, 2), mesh, [Shard(0)], shape=(5, 2))
        neg = DTensor.from_local(autograd.ones(3, 2), mesh, [Shard(-1)])
        checked = DTensor.from_local(autograd.full((2,), float(rank)), mesh, [Replicate()],
                                     run_check=True)
        return even.shape, uneven.full_tensor().shape, neg.placements, checked.to_local().tolist()

    assert on_ranks(2, work)[1] == ((3, 4), (5, 2), (Shard(1),), [0.0, 0.0])


@pytest.mark.parametrize("fn,exc,match", [
    (lambda mesh, rank: DTensor.from_local(autograd.ones(3 - rank), mesh, [Shard(0)], run_check=True),
     ValueError, "local tensors do not match global shape"),
    (lambda mesh, rank: DTensor.from_local(autograd.ones(2), mesh, [Shard(0)], shape=(5,)),
     ValueError, "gives this rank"),
    (lambda mesh, rank: DTensor.from_local(autograd.ones(2), mesh, [Shard(1)]),
     IndexError, "out of range for a tensor with 1 dimensions"),
    (lambda mesh, rank: DTensor.from_local(autograd.ones(2), mesh, [Shard(0), Replicate()]),
     ValueError, "got 2 placements"),
    (lambda mesh, rank: DTensor.from_local(autograd.ones(2), mesh, Shard(0)),
     TypeError, "one Placement per mesh dimension"),
    (lambda mesh, rank: distribute_tensor(autograd.ones(2), mesh, [Shard(0)]).redistribute(
        mesh), RuntimeError, "placements is needed"),
    (lambda mesh, rank: distribute_tensor(distribute_tensor(autograd.ones(2), mesh), mesh),
     ValueError, "already a DTensor"),
])
def test_creation_errors(fn: object, exc: type, match: str) -> None:
    err = raises_on_ranks(2, lambda rank: fn(init_device_mesh("cpu", (2,)), rank))
    assert isinstance(err, exc) and match in str(err)


def test_grad_placements_of_to_local_and_from_local() -> None:
    """to_local(grad_placements=[Partial()]) all-reduces the gradient (Megatron's f);
    from_local(grad_placements=[Partial()]) splits a Replicate gradient; placements that
    would change the local shape are refused."""

    def work(rank: int) -> tuple:
        mesh = init_device_mesh("cpu", (2,))
        x = distribute_tensor(autograd.ones(4), mesh, [Replicate()]).requires_grad_()
        (x.to_local(grad_placements=[Partial()]) * (rank + 1.0)).sum().backward()
        local = autograd.ones(4, requires_grad=True)
        y = DTensor.from_local(local, mesh, [Replicate()], grad_placements=[Partial()])
        (y * autograd.tensor(2.0)).sum().backward()
        with pytest.raises(ValueError, match="may only change Replicate <-> Partial"):
            DTensor.from_local(autograd.ones(2), mesh, [Shard(0)], grad_placements=[Replicate()])
        return x.grad.to_local().tolist(), x.grad.placements, local.grad.tolist()

    out = on_ranks(2, work)
    assert out[0] == ([3.0] * 4, (Replicate(),), [1.0] * 4)
    assert out[1] == out[0]


def test_grad_of_partial_is_replicate_and_backward_seed() -> None:
    def work(rank: int) -> tuple:
        mesh = init_device_mesh("cpu", (2,))
        p = DTensor.from_local(autograd.full((3,), rank + 1.0, requires_grad=True), mesh, [Partial()])
        loss = (p * p).sum()  # Partial * Partial: reduced first; value (sum 3)^2 * 3
        loss.backward()
        g = p.grad
        return loss.item(), g.placements, g.to_local().tolist()

    out = on_ranks(2, work)
    assert out[0] == (27.0, (Replicate(),), [6.0, 6.0, 6.0])
    assert out[1][2] == [6.0, 6.0, 6.0]


def test_second_order_through_redistribution() -> None:
    """The gradient of sum(x^3) and its derivative (create_graph) through S -> R -> P -> S
    (all-gather, partition, reduce-scatter) match plain autograd."""

    def work(rank: int) -> list:
        mesh = init_device_mesh("cpu", (2,))
        X = np.array([0.5, -1.0, 2.0, 1.5, -0.25])
        x = distribute_tensor(autograd.tensor(X), mesh, [Shard(0)]).requires_grad_()
        y = x.redistribute(mesh, [Replicate()])
        p = y.redistribute(mesh, [Partial()]).redistribute(mesh, [Shard(0)])
        loss = (p ** 3).sum().full_tensor()
        (g,) = autograd.grad(loss, [x._local_tensor], create_graph=True)
        (h,) = autograd.grad(g.sum(), [x._local_tensor])
        return [g.tolist(), h.tolist()]

    out = on_ranks(2, work)
    X = np.array([0.5, -1.0, 2.0, 1.5, -0.25])
    grad, hess = 3 * X ** 2, 6 * X
    assert np.allclose(out[0][0] + out[1][0], grad) and np.allclose(out[0][1] + out[1][1], hess)


def test_redistribute_to_other_mesh_is_refused() -> None:
    def work(rank: int) -> None:
        a = init_device_mesh("cpu", (2,))
        from dtensor import DeviceMesh

        b = DeviceMesh("cpu", [1, 0])
        distribute_tensor(autograd.ones(2), a, [Shard(0)]).redistribute(b, [Replicate()])

    err = raises_on_ranks(2, work)
    assert "is not supported" in str(err) and "[1, 0]" in str(err)
