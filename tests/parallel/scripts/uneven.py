"""Uneven inputs under mpiexec: rank r has 2 + 2r batches; with DDP.join() every rank
ends with the parameters of the single-process reference (joined ranks count as zero)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _common import write_result

import autograd
import parallel
from autograd import nn


def batch(rank: int, step: int) -> tuple:
    rng = np.random.default_rng(100 * rank + step)
    return autograd.tensor(rng.standard_normal((2, 3))), autograd.tensor(rng.standard_normal((2, 1)))


def sgd(model: nn.Module) -> None:
    with autograd.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
            p.grad = None


def main() -> None:
    parallel.init_process_group(timeout=60)
    rank, n = parallel.get_rank(), parallel.get_world_size()
    autograd.manual_seed(0)
    model = nn.Linear(3, 1, dtype=autograd.float64)
    ref = nn.Linear(3, 1, dtype=autograd.float64)
    ref.load_state_dict(model.state_dict())
    ddp = parallel.DistributedDataParallel(model, find_unused_parameters=True)
    with ddp.join():
        for step in range(2 + 2 * rank):
            x, y = batch(rank, step)
            ((ddp(x) - y) ** 2).mean().backward()
            sgd(model)
    for step in range(2 + 2 * (n - 1)):
        total = 0
        for r in range(n):
            if step < 2 + 2 * r:
                x, y = batch(r, step)
                total = total + ((ref(x) - y) ** 2).mean() / n
        total.backward()
        sgd(ref)
    ok = np.allclose(model.weight.numpy(force=True), ref.weight.numpy(force=True), rtol=1e-12)
    write_result(rank, status="ok" if ok else "mismatch", weight=model.weight.tolist())


if __name__ == "__main__":
    main()
