"""The main job: data-parallel training on scikit-learn's 8x8 digits with
DistributedDataParallel, a progress bar, checkpoints and a final summary.

    python -m launch -n 2 examples/ddp_digits.py            # 2 ranks (make demo)
    python -m launch -n 1 examples/ddp_digits.py            # the same job on one rank
    python -m launch -n 2 --max-restarts 2 examples/ddp_digits.py   # survives a killed rank

Each rank trains on its shard of every global batch (``DistributedSampler``); gradients
are averaged by the DDP reducer during backward. A checkpoint is written every epoch into
``--checkpoint-dir`` and a rerun resumes from it. The summary gives the test accuracy,
time, samples/s and — given ``--baseline`` (the JSON summary of the same job at one rank,
written with ``--summary``) — the scaling efficiency.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_digits import accuracy, load_data, make_model

import autograd
import optim
import parallel
from autograd.nn import functional as F
from autograd.utils.data import DataLoader
from launch import preemption
from launch.checkpoint import Checkpointer
from launch.progress import Progress


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=("mlp", "cnn"), default="mlp")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--global-batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint-dir", default="checkpoints/ddp_digits")
    p.add_argument("--fresh", action="store_true", help="ignore existing checkpoints")
    p.add_argument("--summary", default=None, help="write the final summary (JSON) here")
    p.add_argument("--baseline", default=None, help="summary of the same job at 1 rank")
    args = p.parse_args(argv)

    parallel.init_process_group()
    rank, world = parallel.get_rank(), parallel.get_world_size()
    if args.global_batch % world:
        raise SystemExit(f"--global-batch {args.global_batch} must divide by the {world} ranks")
    preemption.install()

    train, test = load_data(args.seed)
    autograd.manual_seed(args.seed)  # the same initial weights everywhere (DDP checks)
    model = make_model(args.model)
    ddp = parallel.DistributedDataParallel(model)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    sampler = parallel.DistributedSampler(train, shuffle=True, seed=args.seed)
    loader = DataLoader(train, batch_size=args.global_batch // world, sampler=sampler,
                        drop_last=True)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs * len(loader))

    ckpt = Checkpointer(args.checkpoint_dir, keep=2)
    state = None if args.fresh else ckpt.load(model=model, optimizer=opt, scheduler=sched,
                                               sampler=sampler, strict=False)
    step = state.step if state else 0
    if state and rank == 0:
        print(f"resumed from step {step} (epoch {sampler.epoch}), saved by "
              f"{state.world_size} rank(s)")

    bar = Progress(total=args.epochs * len(loader), initial=step, desc=f"digits x{world}")
    start = time.perf_counter()
    ckpt_seconds = 0.0
    seen = 0
    loss = None
    for epoch in range(sampler.epoch, args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        for xb, yb in loader:
            loss = F.cross_entropy(ddp(xb), yb, label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            seen += args.global_batch
            bar.update(loss=loss, samples=args.global_batch)
            if preemption.should_stop():
                ckpt.save(step, model=model, optimizer=opt, scheduler=sched, sampler=sampler)
                bar.close()
                preemption.exit()
        sampler.set_epoch(epoch + 1)
        t = time.perf_counter()
        ckpt.save(step, model=model, optimizer=opt, scheduler=sched, sampler=sampler,
                  metadata={"epoch": epoch + 1})
        ckpt_seconds += time.perf_counter() - t
    seconds = time.perf_counter() - start
    train_seconds = seconds - ckpt_seconds  # throughput is training's; saves are reported
    bar.close()

    acc = accuracy(model, test)
    summary = {"ranks": world, "test_accuracy": acc, "seconds": seconds,
               "checkpoint_seconds": ckpt_seconds, "steps": step,
               "samples_per_second": seen / train_seconds if train_seconds > 0 else 0.0}
    if rank == 0:
        print(f"ranks {world}  steps {step}  time {seconds:.1f} s (checkpoints "
              f"{ckpt_seconds:.1f} s)  training {summary['samples_per_second']:.0f} samples/s")
        if args.baseline and os.path.exists(args.baseline) and seen:
            one = json.loads(Path(args.baseline).read_text())
            per_rank = summary["samples_per_second"] / world
            eff = per_rank / one["samples_per_second"]
            summary["scaling_efficiency"] = eff
            print(f"scaling: {summary['samples_per_second']:.0f} samples/s on {world} ranks vs "
                  f"{one['samples_per_second']:.0f} on 1 (same global batch): "
                  f"speed-up {summary['samples_per_second'] / one['samples_per_second']:.2f}x, "
                  f"efficiency {eff:.0%}")
            if one.get("steps"):
                step_ms = 1e3 * (one["seconds"] - one.get("checkpoint_seconds", 0.0)) / one["steps"]
                print(f"(a {step_ms:.1f} ms step on 1 rank: splitting "
                      "so small a batch leaves the fixed per-step costs; `python -m launch "
                      "bench ddp` measures scaling on a compute-bound model)")
        print(f"test accuracy: {100 * acc:.1f}%")
        if args.summary:
            Path(args.summary).parent.mkdir(parents=True, exist_ok=True)
            Path(args.summary).write_text(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
