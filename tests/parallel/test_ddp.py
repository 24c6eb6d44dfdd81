"""DistributedDataParallel on virtual ranks: equivalence with one process on the
global batch, bucket layout, zero-copy gradients, no_sync, hooks, errors."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import autograd
import parallel
from autograd import nn
from parallel.comm_hooks import (
    allreduce_hook,
    bf16_bits_to_float32,
    bf16_compress_hook,
    float32_to_bf16_bits,
    fp16_compress_hook,
)

sys.path.insert(0, str(Path(__file__).parent / "scripts"))
import ddp_equivalence


def spawn(fn, n, timeout=30):
    return parallel.spawn(fn, nprocs=n, timeout=timeout)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.parametrize("variant", ddp_equivalence.VARIANTS)
def test_ddp_matches_single_process_on_the_global_batch(n: int, variant: str) -> None:
    def work(rank: int) -> dict:
        parallel.init_process_group()
        return ddp_equivalence.train(rank, parallel.get_world_size(), variant)

    for res in spawn(work, n):
        assert res["status"] == "ok" and res["identical"]
        assert res["worst_rel_err"] < 1e-9


class MLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.small = nn.Linear(4, 8)
        self.big = nn.Linear(8, 600)  # 600*8*4 bytes: under 1 MiB, packed
        self.huge = nn.Linear(600, 512)  # ~1.2 MB: a bucket of its own
        self.out = nn.Linear(512, 2)

    def forward(self, x):
        return self.out(self.huge(self.big(self.small(x).relu()).relu()).relu())


def test_bucket_layout_is_reverse_order_with_own_buckets_for_large_parameters() -> None:
    def work(rank: int) -> list:
        parallel.init_process_group()
        return parallel.DistributedDataParallel(MLP()).bucket_layout()

    layout = spawn(work, 2)[0]
    # reverse registration order; the first bucket is capped at 1 MiB; huge.weight
    # (1.2 MB) is reduced in place in its own gradient array
    assert layout == [["out.bias", "out.weight", "huge.bias"], ["huge.weight"],
                      ["big.bias", "big.weight", "small.bias", "small.weight"]]


def test_gradients_live_in_the_buckets_without_copies() -> None:
    def work(rank: int) -> tuple:
        parallel.init_process_group()
        model = MLP()
        ddp = parallel.DistributedDataParallel(model)
        x = autograd.randn(3, 4)
        ddp(x).sum().backward()
        red = ddp.reducer
        packed = red.buckets[0]
        view_ok = np.shares_memory(model.out.weight.grad.numpy(), packed.store)
        first = model.out.weight.grad._data
        model.zero_grad()
        ddp(x).sum().backward()
        # after set_to_none the engine writes straight into the same bucket memory
        again = model.out.weight.grad._data
        return view_ok, np.shares_memory(first, again)

    for view_ok, same in spawn(work, 2):
        assert view_ok and same


def test_no_sync_sends_nothing_until_the_boundary() -> None:
    def work(rank: int) -> tuple:
        parallel.init_process_group()
        comm = parallel.default_group().comm
        model = nn.Linear(3, 2, dtype=autograd.float64)
        ddp = parallel.DistributedDataParallel(model)
        x = autograd.ones(2, 3, dtype=autograd.float64) * (rank + 1)
        before = comm.seq
        with ddp.no_sync():
            ddp(x).sum().backward()
            ddp(x).sum().backward()
        during = comm.seq - before
        local = model.weight.grad.tolist()
        ddp(x).sum().backward()
        return during, local, model.weight.grad.tolist(), comm.seq - before

    res = spawn(work, 2)
    for rank, (during, local, synced, total) in enumerate(res):
        assert during == 0
        # each backward adds the column sums of x: 2 rows of (rank + 1)
        assert local == [[4.0 * (rank + 1)] * 3] * 2
        # three local passes, then averaged over ranks: mean of 6 * (rank + 1)
        assert synced == [[9.0] * 3] * 2
        assert total == 1


def test_replicas_start_identical_whatever_each_rank_initialised() -> None:
    def work(rank: int) -> list:
        parallel.init_process_group()
        autograd.manual_seed(rank)  # every rank initialises differently
        model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
        model[1].running_mean.fill_(float(rank))
        parallel.DistributedDataParallel(model)
        return [t.tolist() for t in model.state_dict().values()]

    res = spawn(work, 3)
    assert res[0] == res[1] == res[2]


def test_model_mismatch_raises_on_every_rank_naming_parameter_and_ranks() -> None:
    def work(rank: int) -> None:
        parallel.init_process_group()
        parallel.DistributedDataParallel(nn.Linear(10 if rank == 0 else 100, 1))

    with pytest.raises(parallel.SpawnError, match=r"'weight' is \[1, 10\] float32 on rank 0 but "
                                                  r"\[1, 100\] float32 on rank 1"):
        spawn(work, 2)


def test_marked_ready_twice_is_a_clear_error() -> None:
    def work(rank: int) -> None:
        parallel.init_process_group()
        model = nn.Linear(2, 1)
        ddp = parallel.DistributedDataParallel(model)
        loss = ddp(autograd.ones(1, 2)).sum()
        w = model.weight
        # report the same parameter ready twice within one backward
        ddp.reducer._queue_finalize = lambda: None
        ddp.reducer.mark_ready(0, w._data * 0)
        ddp.reducer.mark_ready(0, w._data * 0)
        loss.backward()

    with pytest.raises(parallel.SpawnError, match="marked ready twice"):
        spawn(work, 1)


@pytest.mark.parametrize("hook,tol", [(allreduce_hook, 1e-7), (fp16_compress_hook, 2e-3),
                                      (bf16_compress_hook, 2e-2)])
def test_comm_hooks_average_within_their_precision(hook, tol: float) -> None:
    def work(rank: int) -> tuple:
        parallel.init_process_group()
        autograd.manual_seed(0)
        model = nn.Linear(16, 8)
        ref = nn.Linear(16, 8)
        ref.load_state_dict(model.state_dict())
        ddp = parallel.DistributedDataParallel(model)
        ddp.register_comm_hook(None, hook)
        autograd.manual_seed(1)
        x = autograd.randn(6, 16)
        lo, hi = rank * 2, rank * 2 + 2
        ddp(x[lo:hi]).pow(2).mean().backward()
        ref(x).pow(2).mean().backward()
        return model.weight.grad.numpy().copy(), ref.weight.grad.numpy().copy()

    for got, want in spawn(work, 3):
        assert np.allclose(got, want, rtol=tol, atol=tol * np.abs(want).max())


def test_bf16_bits_round_to_nearest_even() -> None:
    x = np.array([1.0, 1.00390625, 1.01171875, -2.5, np.inf, 3.0e38], dtype=np.float32)
    back = bf16_bits_to_float32(float32_to_bf16_bits(x))
    assert back[0] == 1.0 and back[1] == 1.0 and back[2] == 1.015625
    assert back[3] == -2.5 and np.isinf(back[4])
    assert np.isnan(bf16_bits_to_float32(float32_to_bf16_bits(np.array([np.nan], np.float32))))[0]


def test_nonfinite_gradient_on_one_rank_is_seen_by_all() -> None:
    def work(rank: int) -> bool:
        parallel.init_process_group()
        model = nn.Linear(2, 1)
        ddp = parallel.DistributedDataParallel(model)
        x = autograd.ones(1, 2) * (float("nan") if rank == 1 else 1.0)
        ddp(x).sum().backward()
        return bool(autograd.isfinite(model.weight.grad).all())

    assert spawn(work, 3) == [False, False, False]


def test_distributed_sampler_shards_are_disjoint_covering_and_resumable() -> None:
    from parallel import DistributedSampler

    data = list(range(10))
    shards = [list(DistributedSampler(data, num_replicas=3, rank=r, shuffle=True, seed=5))
              for r in range(3)]
    flat = sorted(i for s in shards for i in s)
    assert len(flat) == 12 and set(flat) == set(data)  # padded by wrapping around
    assert all(len(s) == 4 for s in shards)
    s = DistributedSampler(data, num_replicas=3, rank=1, shuffle=True, seed=5)
    s.set_epoch(1)
    epoch1 = list(s)
    assert epoch1 != shards[1]
    it = iter(s)
    next(it), next(it)
    state = s.state_dict()
    resumed = DistributedSampler(data, num_replicas=3, rank=1, shuffle=True, seed=5)
    resumed.load_state_dict(state)
    assert list(resumed) == epoch1[2:]
    dropped = DistributedSampler(data, num_replicas=3, rank=0, shuffle=False, drop_last=True)
    assert list(dropped) == [0, 3, 6]
    with pytest.raises(ValueError, match="Invalid rank 3"):
        DistributedSampler(data, num_replicas=3, rank=3)


def test_rank_dependent_unused_parameters_with_find_unused() -> None:
    """A layer used only on rank 1: ranks issue collectives in the same order anyway,
    and the gradient is rank 1's contribution averaged over all ranks."""

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(3, 2, dtype=autograd.float64)
            self.b = nn.Linear(3, 2, dtype=autograd.float64)

        def forward(self, x, use_b):
            return self.a(x) + self.b(x) if use_b else self.a(x)

    def work(rank: int) -> tuple:
        parallel.init_process_group()
        autograd.manual_seed(0)
        model = Net()
        ddp = parallel.DistributedDataParallel(model, find_unused_parameters=True)
        x = autograd.ones(2, 3, dtype=autograd.float64) * (rank + 1)
        ddp(x, use_b=rank == 1).sum().backward()
        return model.a.weight.grad.tolist(), model.b.weight.grad.tolist()

    res = spawn(work, 3)
    for a_grad, b_grad in res:
        assert a_grad == [[4.0] * 3] * 2  # mean over ranks of 2 * (rank + 1)
        assert b_grad == [[4.0 / 3] * 3] * 2  # only rank 1 contributes 2 * 2


def test_join_trains_on_uneven_inputs_like_the_reference() -> None:
    from autograd import no_grad

    def batch(rank: int, step: int):
        rng = np.random.default_rng(100 * rank + step)
        return autograd.tensor(rng.standard_normal((2, 3))), autograd.tensor(rng.standard_normal((2, 1)))

    def work(rank: int) -> tuple:
        parallel.init_process_group()
        n = parallel.get_world_size()
        autograd.manual_seed(0)
        model = nn.Linear(3, 1, dtype=autograd.float64)
        ref = nn.Linear(3, 1, dtype=autograd.float64)
        ref.load_state_dict(model.state_dict())
        ddp = parallel.DistributedDataParallel(model)
        mine = 2 + 2 * rank  # rank r has 2 + 2r batches
        with ddp.join():
            for step in range(mine):
                x, y = batch(rank, step)
                ((ddp(x) - y) ** 2).mean().backward()
                with no_grad():
                    for p in model.parameters():
                        p -= 0.1 * p.grad
                        p.grad = None
        for step in range(2 + 2 * (n - 1)):
            total = 0
            for r in range(n):
                if step < 2 + 2 * r:
                    x, y = batch(r, step)
                    total = total + ((ref(x) - y) ** 2).mean() / n
            total.backward()
            with no_grad():
                for p in ref.parameters():
                    p -= 0.1 * p.grad
                    p.grad = None
        return model.weight.tolist(), ref.weight.tolist()

    res = spawn(work, 3)
    for got, want in res:
        assert np.allclose(got, want, rtol=1e-12)
    assert res[0][0] == res[1][0] == res[2][0]


def test_join_can_throw_on_early_termination() -> None:
    def work(rank: int) -> None:
        parallel.init_process_group()
        ddp = parallel.DistributedDataParallel(nn.Linear(2, 1))
        with ddp.join(throw_on_early_termination=True):
            for _ in range(1 + rank):
                ddp(autograd.ones(1, 2)).sum().backward()

    with pytest.raises(parallel.SpawnError, match="exhausted"):
        spawn(work, 2)


def test_sampler_state_round_trips_right_after_load_and_across_epochs() -> None:
    from parallel import DistributedSampler

    data = list(range(10))
    s = DistributedSampler(data, num_replicas=2, rank=0, shuffle=False)
    s.load_state_dict({"epoch": 0, "consumed": 2, "num_replicas": 2})
    assert s.state_dict()["consumed"] == 2  # saving again before drawing keeps the place
    assert list(s) == [4, 6, 8]
    s.set_epoch(1)
    assert s.state_dict()["consumed"] == 0 and s.state_dict()["epoch"] == 1
