"""DDP on N ranks must train exactly like one process on the global batch.

Each rank trains the DDP model on its shard and, locally, a reference model on the
whole global batch; after every step the parameters must agree (float64, rtol 1e-9)
and be bitwise identical across ranks. Variants: bucket size, no_sync accumulation,
unused parameters, activation checkpointing, autograd.grad instead of backward.

Run under mpiexec (``python ddp_equivalence.py --variant NAME``) or call ``train``
from a virtual-rank thread.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _common import write_result

import autograd
import parallel
from autograd import nn
from autograd.checkpoint import checkpoint

VARIANTS = ("default", "tiny_buckets", "no_sync", "unused", "checkpoint", "grad")
STEPS = 10
PER_RANK = 4


class Net(nn.Module):
    def __init__(self, use_checkpoint: bool = False, with_extra: bool = False) -> None:
        super().__init__()
        self.fc1 = nn.Linear(5, 16, dtype=autograd.float64)
        self.fc2 = nn.Linear(16, 16, dtype=autograd.float64)
        self.head = nn.Linear(16, 3, dtype=autograd.float64)
        if with_extra:
            self.extra = nn.Linear(16, 3, dtype=autograd.float64)  # used on some steps only
        self.use_checkpoint = use_checkpoint

    def block(self, h: autograd.Tensor) -> autograd.Tensor:
        return self.fc2(h).tanh()

    def forward(self, x: autograd.Tensor, use_extra: bool = False) -> autograd.Tensor:
        h = self.fc1(x).tanh()
        h = checkpoint(self.block, h, use_reentrant=False) if self.use_checkpoint else self.block(h)
        out = self.head(h)
        if use_extra:
            out = out + self.extra(h)
        return out


def data(step: int, world: int) -> tuple[autograd.Tensor, autograd.Tensor]:
    rng = np.random.default_rng(1000 + step)
    x = rng.standard_normal((PER_RANK * world, 5))
    y = rng.standard_normal((PER_RANK * world, 3))
    return autograd.tensor(x), autograd.tensor(y)


def sgd(params: list, lr: float = 0.1) -> None:
    with autograd.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad
                p.grad = None


def train(rank: int, world: int, variant: str) -> dict:
    autograd.manual_seed(0)  # every rank (and the reference) builds the same model
    flags = {"use_checkpoint": variant == "checkpoint", "with_extra": variant == "unused"}
    ref = Net(**flags)
    model = Net(**flags)
    model.load_state_dict(ref.state_dict())
    kwargs = {}
    if variant == "tiny_buckets":
        kwargs["bucket_cap_mb"] = 0.0005
    if variant == "unused":
        kwargs["find_unused_parameters"] = True
    ddp = parallel.DistributedDataParallel(model, **kwargs)
    accumulate = 3 if variant == "no_sync" else 1
    worst = 0.0
    for step in range(STEPS):
        use_extra = variant == "unused" and step % 2 == 1
        use_extra_ref = use_extra
        for micro in range(accumulate):
            x, y = data(step * accumulate + micro, world)
            lo, hi = rank * PER_RANK, (rank + 1) * PER_RANK
            loss = ((ddp(x[lo:hi], use_extra=use_extra) - y[lo:hi]) ** 2).mean()
            ref_loss = ((ref(x, use_extra=use_extra_ref) - y) ** 2).mean()
            (ref_loss / accumulate).backward()
            if variant == "grad":
                params = [p for p in model.parameters()]
                grads = autograd.grad(loss, params, allow_unused=True)
                for p, g in zip(params, grads):
                    p.grad = None if g is None else g.clone()
            elif micro < accumulate - 1:
                with ddp.no_sync():
                    (loss / accumulate).backward()
            else:
                (loss / accumulate).backward()
        sgd(list(model.parameters()))
        sgd(list(ref.parameters()))
        for (name, p), q in zip(model.named_parameters(), ref.parameters()):
            a, b = p.detach().numpy(), q.detach().numpy()
            err = float(np.max(np.abs(a - b) / (np.abs(b) + 1e-12)))
            worst = max(worst, err)
            if not np.allclose(a, b, rtol=1e-9, atol=1e-12):
                raise AssertionError(
                    f"rank {rank} step {step}: parameter {name} differs from the single-process "
                    f"reference by up to {err:.3e}"
                )
    flat = np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])
    every = [None] * world
    parallel.all_gather_object(every, flat.tobytes())
    identical = all(e == every[0] for e in every)
    if not identical:
        raise AssertionError(f"rank {rank}: parameters are not bitwise identical across ranks")
    return {"status": "ok", "worst_rel_err": worst, "identical": identical,
            "buckets": len(ddp.bucket_layout())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant", choices=VARIANTS, default="default")
    args = parser.parse_args()
    parallel.init_process_group(timeout=60)
    rank, world = parallel.get_rank(), parallel.get_world_size()
    try:
        result = train(rank, world, args.variant)
    except BaseException as e:
        write_result(rank, status="error", error=f"{type(e).__name__}: {e}")
        raise
    write_result(rank, **result)
    parallel.barrier()


if __name__ == "__main__":
    main()
