"""A tiny deterministic training job for the launcher's fault-tolerance tests.

Data parallel by hand (gradients averaged with ``parallel.all_reduce``): a 4-8-2 MLP in
float64, SGD with momentum, a StepLR schedule, a shuffled ``DistributedSampler`` over 64
samples and a fixed global batch of 8 (so any world size sees the same samples per
step), optional per-rank input noise from autograd's default generator (so restoring
the random streams matters). Checkpoints through ``launch.checkpoint``; resumes from
the latest one when it exists.

Fault switches (first attempt only, i.e. ``DTENSOR_RESTART_COUNT == 0``):
``--stall-at S``: rank 1 writes ``MARKS/stalled.rank1`` (its pid) and sleeps before its
all-reduce of step S (rank 0 is then inside that all-reduce); the test kills it from
outside. With ``--marks``, every rank writes ``MARKS/pid.rankR`` when it starts.
``--kill-in-save S``: rank 1 SIGKILLs itself while writing its shard of checkpoint S.
``--preempt``: poll ``launch.preemption.should_stop()`` every step; ``MARKS/step.rankR``
tells the test how far each rank got.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
from pathlib import Path

import numpy as np

import autograd
import optim
import parallel
from autograd import nn
from launch import preemption
from launch.checkpoint import Checkpointer

GLOBAL_BATCH = 8
N_SAMPLES = 64


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--ckpt", required=True)
    p.add_argument("--save-every", type=int, default=2)
    p.add_argument("--out", default="")
    p.add_argument("--noise", action="store_true")
    p.add_argument("--marks", default="")
    p.add_argument("--stall-at", type=int, default=-1)
    p.add_argument("--kill-in-save", type=int, default=-1)
    p.add_argument("--preempt", action="store_true")
    p.add_argument("--step-sleep", type=float, default=0.0)
    return p.parse_args()


def snapshot(model: nn.Module, opt: optim.Optimizer) -> dict:
    """Parameters and momentum buffers as exact float lists (JSON keeps float64 exactly)."""
    out = {name: p.detach().numpy().ravel().tolist() for name, p in model.named_parameters()}
    for i, p in enumerate(model.parameters()):
        buf = opt.state.get(p, {}).get("momentum_buffer")
        if buf is not None:
            out[f"momentum.{i}"] = buf.numpy().ravel().tolist()
    return out


def main() -> None:
    args = parse()
    parallel.init_process_group()
    rank, world = parallel.get_rank(), parallel.get_world_size()
    first_attempt = os.environ.get("DTENSOR_RESTART_COUNT", "0") == "0"
    marks = Path(args.marks) if args.marks else None
    if args.preempt:
        preemption.install()
    if marks is not None:
        (marks / f"pid.rank{rank}").write_text(str(os.getpid()))

    autograd.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8, dtype=autograd.float64), nn.Tanh(),
                          nn.Linear(8, 2, dtype=autograd.float64))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    data = np.random.default_rng(0)
    xs = autograd.tensor(data.standard_normal((N_SAMPLES, 4)))
    ys = autograd.tensor(data.standard_normal((N_SAMPLES, 2)))
    sampler = parallel.DistributedSampler(range(N_SAMPLES), shuffle=True, seed=1)
    autograd.manual_seed(100 + rank)  # per-rank noise stream

    if args.kill_in_save >= 0 and rank == 1 and first_attempt:
        import launch.checkpoint as ckpt_module

        real_write = ckpt_module.write_file

        def write_then_die(path: Path, blob: bytes) -> dict:
            if path.parent.name.startswith(f"step_{args.kill_in_save:08d}") and path.name == "rank1.json":
                os.kill(os.getpid(), signal.SIGKILL)
            return real_write(path, blob)

        ckpt_module.write_file = write_then_die

    ck = Checkpointer(args.ckpt, keep=2)
    state = ck.load(model=model, optimizer=opt, scheduler=sched, sampler=sampler)
    start = state.step if state is not None else 0
    if state is not None:
        print(f"resumed from step {start} (saved by {state.world_size} ranks)", flush=True)
        if marks is not None and rank == 0:
            (marks / f"loaded.step{start}.json").write_text(json.dumps(snapshot(model, opt)))
    it = iter(sampler)
    per_rank = GLOBAL_BATCH // world
    loss_value = float("nan")
    for step in range(start, args.steps):
        idx = []
        while len(idx) < per_rank:
            try:
                idx.append(next(it))
            except StopIteration:
                sampler.set_epoch(sampler.epoch + 1)
                it = iter(sampler)
        x, y = xs[idx], ys[idx]
        if args.noise:
            x = x + 0.01 * autograd.randn(*x.shape, dtype=autograd.float64)
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        if step == args.stall_at and rank == 1 and first_attempt and marks is not None:
            (marks / "stalled.rank1").write_text(str(os.getpid()))
            time.sleep(60)
        for p in model.parameters():
            parallel.all_reduce(p.grad)
            p.grad.div_(world)
        opt.step()
        sched.step()
        loss_value = loss.item()
        done = step + 1
        if marks is not None:
            (marks / f"step.rank{rank}").write_text(str(done))
        if args.step_sleep:
            time.sleep(args.step_sleep)
        if args.save_every and done % args.save_every == 0:
            ck.save(done, model=model, optimizer=opt, scheduler=sched, sampler=sampler,
                    per_rank={"rank": rank}, metadata={"loss": loss_value})
        if args.preempt and preemption.should_stop():
            ck.save(done, model=model, optimizer=opt, scheduler=sched, sampler=sampler,
                    per_rank={"rank": rank}, metadata={"loss": loss_value})
            print(f"stopping at step {done}", flush=True)
            preemption.exit()
    if args.out and rank == 0:
        Path(args.out).write_text(json.dumps({"steps": args.steps, "world": world,
                                              "params": snapshot(model, opt)}))
    print(f"done: {args.steps} steps, loss {loss_value:.6f}", flush=True)


if __name__ == "__main__":
    main()
