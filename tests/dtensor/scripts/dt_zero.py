"""ZeRO-1 must follow the unsharded optimizer's trajectory while each rank keeps ~1/N
of the optimizer state.

Every rank trains two copies of the same model on the same data: one with the plain
optimizer, one with ``ZeroRedundancyOptimizer`` wrapping the same optimizer class;
parameters must agree after every step (float64, rtol 1e-9). The per-rank optimizer
state (bytes of the local optimizer's tensors) is measured against the unsharded one
and printed. Run under mpiexec or call ``run_all`` from a virtual rank.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from dt_common import assert_close, mpi_main

import autograd
import optim
import parallel
from autograd import nn
from dtensor import ZeroRedundancyOptimizer

F64 = autograd.float64
STEPS = 4


def _model() -> nn.Module:
    autograd.manual_seed(0)
    return nn.Sequential(nn.Linear(10, 32, dtype=F64), nn.Tanh(), nn.Linear(32, 17, dtype=F64),
                         nn.Tanh(), nn.Linear(17, 3, dtype=F64))


def state_bytes(opt: optim.Optimizer) -> int:
    """Bytes of the tensors an optimizer keeps as state."""
    return sum(v.nbytes for st in opt.state.values() for v in st.values()
               if isinstance(v, autograd.Tensor) and v.ndim > 0)


def check(opt_class: type, as_view: bool = False, **kwargs: object) -> dict:
    world = parallel.get_world_size()
    ref, model = _model(), _model()
    ref_opt = opt_class(ref.parameters(), **kwargs)
    zero = ZeroRedundancyOptimizer(model.parameters(), optimizer_class=opt_class,
                                   parameters_as_bucket_view=as_view, **kwargs)
    worst = 0.0
    for step in range(STEPS):
        rng = np.random.default_rng(step)
        x, y = autograd.tensor(rng.standard_normal((8, 10))), autograd.tensor(rng.standard_normal((8, 3)))
        for m, o in ((ref, ref_opt), (model, zero)):
            o.zero_grad()
            ((m(x) - y) ** 2).mean().backward()
            o.step()
        for (name, p), q in zip(model.named_parameters(), ref.parameters()):
            worst = max(worst, assert_close(p.detach().numpy(), q.detach().numpy(),
                                            f"{opt_class.__name__} step {step} {name}"))
    full, mine = state_bytes(ref_opt), state_bytes(zero.optim)
    ratio = mine / full
    rank = parallel.get_rank()
    print(f"rank {rank}: ZeRO-1 {opt_class.__name__} optimizer state {mine} bytes vs "
          f"{full} unsharded ({ratio:.3f}, 1/N = {1 / world:.3f})", flush=True)
    if abs(ratio - 1 / world) > 0.05:
        raise AssertionError(f"rank {rank}: optimizer state ratio {ratio:.3f} is not ~1/{world}")
    return {"worst": worst, "bytes": mine, "full_bytes": full, "ratio": ratio}


def check_state_dict() -> None:
    """consolidate_state_dict gathers the unsharded optimizer's state dict."""
    ref, model = _model(), _model()
    ref_opt = optim.Adam(ref.parameters(), lr=0.01)
    zero = ZeroRedundancyOptimizer(model.parameters(), optimizer_class=optim.Adam, lr=0.01)
    x = autograd.tensor(np.random.default_rng(5).standard_normal((4, 10)))
    for m, o in ((ref, ref_opt), (model, zero)):
        m(x).sum().backward()
        o.step()
    zero.consolidate_state_dict(to=0)
    if parallel.get_rank() == 0:
        got, want = zero.state_dict(), ref_opt.state_dict()
        for i, st in want["state"].items():
            for k, v in st.items():
                assert_close(np.asarray(got["state"][i][k].detach().numpy()),
                             np.asarray(v.detach().numpy()), f"consolidated state {i}.{k}")
    fresh = ZeroRedundancyOptimizer(model.parameters(), optimizer_class=optim.Adam, lr=0.5)
    fresh.load_state_dict(ref_opt.state_dict())
    if fresh.param_groups[0]["lr"] != 0.01:
        raise AssertionError("load_state_dict did not restore the learning rate")


def run_all(world: int) -> dict:
    out = {"adam": check(optim.Adam, lr=0.01),
           "adamw_view": check(optim.AdamW, as_view=True, lr=0.01, weight_decay=0.1),
           "sgd": check(optim.SGD, lr=0.1, momentum=0.9, nesterov=True)}
    check_state_dict()
    return out


if __name__ == "__main__":
    mpi_main(run_all)
