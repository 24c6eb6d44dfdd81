"""DeviceMesh (1-D, 2-D, slicing, groups) and placements (chunk rule, reprs, errors)."""

from __future__ import annotations

import pytest

import autograd
import parallel
from dtensor import DeviceMesh, Partial, Replicate, Shard, init_device_mesh
from dtensor.placement import chunk_offsets, chunk_sizes, parse_placement

from .helpers import on_ranks, raises_on_ranks


@pytest.mark.parametrize("size,n,sizes", [
    (8, 4, [2, 2, 2, 2]), (5, 4, [2, 2, 1, 0]), (7, 3, [3, 3, 1]), (1, 3, [1, 0, 0]),
    (0, 2, [0, 0]), (10, 4, [3, 3, 3, 1]), (6, 4, [2, 2, 2, 0]),
])
def test_chunk_rule_matches_torch_chunk(size: int, n: int, sizes: list[int]) -> None:
    assert chunk_sizes(size, n) == sizes
    offs = chunk_offsets(size, n)
    assert offs[0] == 0 and all(offs[i] + sizes[i] <= size for i in range(n))
    assert sum(sizes) == size
    assert [Shard.local_shard_size_and_offset(size, n, r) for r in range(n)] == list(zip(sizes, offs))


def test_placement_reprs_and_equality() -> None:
    assert repr(Shard(1)) == "Shard(dim=1)" and str(Shard(1)) == "S(1)"
    assert repr(Replicate()) == "Replicate()" and str(Replicate()) == "R"
    assert repr(Partial()) == "Partial(sum)" and str(Partial("avg")) == "P(avg)"
    assert Shard(0) == Shard(0) and Shard(0) != Shard(1) and Shard(0) != Replicate()
    assert Partial() == Partial("sum") != Partial("avg")
    assert len({Shard(0), Shard(0), Replicate(), Replicate()}) == 2
    assert Shard(2).is_shard() and Shard(2).is_shard(2) and not Shard(2).is_shard(1)
    assert Partial().is_partial("sum") and not Partial().is_partial("avg")
    for p in (Shard(3), Replicate(), Partial("avg")):
        assert parse_placement(str(p)) == p


def test_placement_errors() -> None:
    with pytest.raises(ValueError, match="Partial\\(reduce_op='max'\\) is not supported"):
        Partial("max")
    with pytest.raises(TypeError, match="int tensor dimension"):
        Shard(1.5)
    with pytest.raises(ValueError, match="unknown placement"):
        parse_placement("X(1)")


@pytest.mark.parametrize("n", [2, 3, 4])
def test_1d_mesh(n: int) -> None:
    def work(rank: int) -> tuple:
        mesh = init_device_mesh("cpu", (n,), mesh_dim_names=("tp",))
        t = autograd.tensor([float(rank)])
        parallel.all_reduce(t, group=mesh.get_group())
        return (mesh.size(), mesh.ndim, mesh.shape, mesh.get_local_rank(), mesh.get_rank(),
                mesh.get_coordinate(), t.item(), mesh["tp"] is mesh)

    out = on_ranks(n, work)
    total = float(sum(range(n)))
    assert out == [(n, 1, (n,), r, r, [r], total, True) for r in range(n)]


def test_2d_mesh_groups_and_slicing() -> None:
    def work(rank: int) -> tuple:
        mesh = init_device_mesh("cpu", (2, 2), mesh_dim_names=("dp", "tp"))
        sums = []
        for dim in ("dp", "tp"):
            t = autograd.tensor([float(rank)])
            parallel.all_reduce(t, group=mesh.get_group(dim))
            sums.append(t.item())
        tp, dp = mesh["tp"], mesh["dp"]
        swapped = mesh["tp", "dp"]
        return (mesh.get_coordinate(), sums, tp.mesh.tolist(), dp.mesh.tolist(),
                tp.get_local_rank(), dp.get_local_rank(), swapped.mesh.tolist(),
                mesh.get_group(1).ranks, mesh.size(0), mesh.size())

    out = on_ranks(4, work)
    # mesh [[0, 1], [2, 3]]: dp groups {0, 2}, {1, 3}; tp groups {0, 1}, {2, 3}
    assert out[0] == ([0, 0], [2.0, 1.0], [0, 1], [0, 2], 0, 0, [[0, 2], [1, 3]], [0, 1], 2, 4)
    assert out[3] == ([1, 1], [4.0, 5.0], [2, 3], [1, 3], 1, 1, [[0, 2], [1, 3]], [2, 3], 2, 4)
    assert out[1][0] == [0, 1] and out[2][0] == [1, 0]


def test_custom_rank_order() -> None:
    """A mesh that lists ranks out of order: coordinates follow the mesh, not rank order."""

    def work(rank: int) -> tuple:
        mesh = DeviceMesh("cpu", [2, 0, 1])
        t = autograd.zeros(3)
        t._data[mesh.get_local_rank()] = rank
        parallel.all_reduce(t, group=mesh.get_group())
        return mesh.get_local_rank(), t.tolist()

    out = on_ranks(3, work)
    assert [o[0] for o in out] == [1, 2, 0]
    assert out[0][1] == [2.0, 0.0, 1.0]


def test_mesh_identity_and_repr() -> None:
    def work(rank: int) -> tuple:
        a = init_device_mesh("cpu", (2,), mesh_dim_names=("x",))
        b = DeviceMesh("cpu", [0, 1], mesh_dim_names=("x",))
        c = DeviceMesh("cpu", [1, 0])
        return a == b, a != c, hash(a) == hash(b), repr(a), repr(c)

    assert on_ranks(2, work)[0] == (True, True, True,
                                    "DeviceMesh('cpu', [0, 1], mesh_dim_names=('x',))",
                                    "DeviceMesh('cpu', [1, 0])")


@pytest.mark.parametrize("make,exc,match", [
    (lambda: init_device_mesh("cpu", (3,)), RuntimeError, "holds 3 ranks but the world has 2"),
    (lambda: init_device_mesh("cpu", (2,), mesh_dim_names=("a", "b")), ValueError,
     "must name all 1 mesh dimensions"),
    (lambda: DeviceMesh("cpu", [0, 0]), ValueError, "lists a rank more than once"),
    (lambda: DeviceMesh("cpu", [0, 5]), ValueError, "outside the world of size 2"),
    (lambda: DeviceMesh("tpu", [0, 1]), ValueError, "device_type must be"),
    (lambda: init_device_mesh("cpu", (2,))["tp"], RuntimeError, "without mesh_dim_names"),
    (lambda: init_device_mesh("cpu", (1, 2), mesh_dim_names=("a", "b"))["c"], KeyError,
     "Invalid mesh_dim_name 'c'"),
    (lambda: init_device_mesh("cpu", (1, 2)).get_group(), RuntimeError, "pass mesh_dim"),
    (lambda: init_device_mesh("cpu", (1, 2)).size(2), IndexError, "out of range"),
])
def test_mesh_errors(make: object, exc: type, match: str) -> None:
    err = raises_on_ranks(2, lambda rank: make())
    assert isinstance(err, exc)
    assert match in str(err)


def test_rank_outside_mesh() -> None:
    def work(rank: int) -> object:
        mesh = DeviceMesh("cpu", [0])
        if rank == 1:
            assert mesh.get_coordinate() is None
            with pytest.raises(RuntimeError, match="not part of"):
                mesh.get_group()
        return mesh.get_coordinate()

    assert on_ranks(2, work) == [[0], None]
