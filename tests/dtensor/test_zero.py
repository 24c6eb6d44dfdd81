"""ZeRO stage 1 on the threads backend: same trajectory as the unsharded optimizer,
~1/N of its state per rank (printed), consolidated state dicts, with DDP, errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import optim
import parallel
from dtensor import ZeroRedundancyOptimizer

from .helpers import on_ranks, raises_on_ranks, script

zc = script("dt_zero")


@pytest.mark.parametrize("n", [2, 3, 4])
def test_zero1_matches_unsharded_and_shards_state(n: int, capsys: pytest.CaptureFixture) -> None:
    out = on_ranks(n, lambda rank: zc.run_all(n))
    for result in out:
        for name in ("adam", "adamw_view", "sgd"):
            assert result[name]["worst"] < 1e-9
            assert abs(result[name]["ratio"] - 1 / n) < 0.05
    # every rank holds a disjoint part: the parts add up to the unsharded state
    assert abs(sum(r["adam"]["bytes"] for r in out) - out[0]["adam"]["full_bytes"]) <= 8 * n
    with capsys.disabled():
        print(f"\n[zero-1 at {n} ranks] Adam state per rank: "
              f"{[r['adam']['bytes'] for r in out]} bytes vs {out[0]['adam']['full_bytes']} unsharded")


def test_zero1_with_ddp_and_param_groups() -> None:
    """Each rank trains on its own data through DDP; ZeRO-1 with two parameter groups
    (different lr) follows one process trained on the global batch."""

    def work(rank: int) -> float:
        world = parallel.get_world_size()
        ref, model = zc._model(), zc._model()
        ddp = parallel.DistributedDataParallel(model)
        groups = lambda m: [{"params": list(m[0].parameters()), "lr": 0.05},  # noqa: E731
                            {"params": list(m[2].parameters()) + list(m[4].parameters())}]
        ref_opt = optim.Adam(groups(ref), lr=0.01)
        zero = ZeroRedundancyOptimizer(groups(model), optimizer_class=optim.Adam, lr=0.01)
        worst = 0.0
        for step in range(3):
            rng = np.random.default_rng(step)
            x = autograd.tensor(rng.standard_normal((4 * world, 10)))
            y = autograd.tensor(rng.standard_normal((4 * world, 3)))
            ((ddp(x[4 * rank:4 * rank + 4]) - y[4 * rank:4 * rank + 4]) ** 2).mean().backward()
            zero.step()
            zero.zero_grad()
            ((ref(x) - y) ** 2).mean().backward()
            ref_opt.step()
            ref_opt.zero_grad()
            for p, q in zip(model.parameters(), ref.parameters()):
                worst = max(worst, zc.assert_close(p.detach().numpy(), q.detach().numpy(), f"step {step}"))
        return worst

    assert max(on_ranks(3, work)) < 1e-9


def test_params_without_grad_are_skipped_and_lr_changes_apply() -> None:
    def work(rank: int) -> list:
        a = autograd.ones(5, dtype=autograd.float64, requires_grad=True)
        b = autograd.ones(3, dtype=autograd.float64, requires_grad=True)
        zero = ZeroRedundancyOptimizer([a, b], optimizer_class=optim.SGD, lr=0.5)
        (a * 2).sum().backward()  # b gets no gradient
        zero.step()
        zero.param_groups[0]["lr"] = 0.25
        zero.zero_grad()
        (a * 2).sum().backward()
        zero.step()
        return a.tolist() + b.tolist()

    assert on_ranks(2, work)[1] == [-0.5] * 5 + [1.0] * 3


def test_state_dict_needs_consolidation() -> None:
    def work(rank: int) -> None:
        w = autograd.ones(4, requires_grad=True)
        zero = ZeroRedundancyOptimizer([w], optimizer_class=optim.Adam)
        zero.state_dict()

    err = raises_on_ranks(2, work)
    assert "has not been consolidated" in str(err)


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"optimizer_class": dict}, TypeError, "must be an Optimizer subclass"),
    ({"optimizer_class": optim.SGD, "overlap_with_ddp": True, "lr": 0.1}, ValueError,
     "overlap_with_ddp=True"),
])
def test_zero_errors(kwargs: dict, exc: type, match: str) -> None:
    err = raises_on_ranks(2, lambda rank: ZeroRedundancyOptimizer(
        [autograd.ones(2, requires_grad=True)], **kwargs))
    assert isinstance(err, exc) and match in str(err)
