"""Data-parallel scaling benchmark: the 784-1024-1024-10 MLP, SGD, float32.

Weak scaling keeps the per-rank batch (64) and compares a step at N ranks with one
rank; strong scaling splits a global batch (128). Each job times, interleaved in the
same processes: our DDP (``autograd.nn`` + ``parallel.DistributedDataParallel`` +
``optim.SGD``), the NumPy floor (a hand-written step that allocates nothing once warm,
gradients packed into one buffer, one ``MPI.Allreduce``, unpacked — ChainerMN's CPU
communicator), and PyTorch DDP (gloo) when torch is importable.

The one-rank baseline of each is timed in the same job, interleaved with the N-rank
steps: rank 0 runs the same step without data parallelism (the per-rank batch for weak
scaling, the global batch for strong) while the other ranks sleep. So every efficiency
is a ratio of times taken minutes apart at most, not across jobs that a busy machine
may have slowed differently. For our DDP the job also records the step breakdown
(forward, backward, waiting on the reductions at the end of backward, optimizer) and
the fraction of the gradient bytes already reduced when backward ended (communication
hidden behind backward), and two ceilings from the same step under ``no_sync()`` (no
communication at all): "no-comm", each rank's own median step, and "lockstep", the
median of each step's slowest rank, which is the best a synchronous step can do.

Run: ``python -m launch bench ddp --ranks 1,2 --out bench-results``
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np

from ._mpi import median, run_job, write_outputs

SIZES = (784, 1024, 1024, 10)


# ----------------------------------------------------------------------------- variants


class OurDDP:
    def __init__(self, batch: int, seed: int, distributed: bool = True) -> None:
        import autograd
        import optim
        import parallel
        from autograd import nn

        autograd.manual_seed(seed)
        layers: list[Any] = []
        for a, b in zip(SIZES[:-1], SIZES[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        self.model = nn.Sequential(*layers[:-1])
        self.ddp = parallel.DistributedDataParallel(self.model) if distributed else self.model
        self.opt = optim.SGD(self.model.parameters(), lr=0.01)
        rng = np.random.default_rng(seed + parallel.get_rank())
        self.x = autograd.tensor(rng.standard_normal((batch, SIZES[0]), dtype=np.float32))
        self.y = autograd.tensor(rng.integers(0, SIZES[-1], batch))
        self.parts: dict[str, list[float]] = {"forward": [], "backward": [], "wait": [],
                                              "optimizer": []}
        self.hidden: list[float] = []

    def step_without_reduction(self) -> float:
        """The same step under ``no_sync()``: what N ranks reach with no communication at
        all (the machine's ceiling: shared caches, memory bandwidth, stragglers)."""
        with self.ddp.no_sync():
            return self.step(record=False)

    def step(self, record: bool = True) -> float:
        import autograd.nn.functional as F

        red = getattr(self.ddp, "reducer", None)
        t0 = time.perf_counter()
        self.opt.zero_grad()
        loss = F.cross_entropy(self.ddp(self.x), self.y)
        t1 = time.perf_counter()
        w0 = red.wait_seconds if red else 0.0
        loss.backward()
        t2 = time.perf_counter()
        self.opt.step()
        t3 = time.perf_counter()
        wait = red.wait_seconds - w0 if red else 0.0
        if not record:
            return t3 - t0
        if red is not None:
            self.hidden.append(red.overlapped_fraction)
        self.parts["forward"].append(t1 - t0)
        self.parts["backward"].append(t2 - t1 - wait)
        self.parts["wait"].append(wait)
        self.parts["optimizer"].append(t3 - t2)
        return t3 - t0


class NumpyFloor:
    """A hand-written step that allocates nothing large once warm: forward and backward
    into preallocated arrays, pack the gradients into one buffer, one Allreduce,
    unpack, SGD in place (ChainerMN's CPU communicator, written with care)."""

    def __init__(self, batch: int, seed: int, comm: Any) -> None:
        f32 = np.float32
        rng = np.random.default_rng(seed)
        self.W = [rng.standard_normal((a, b), dtype=f32) * f32(1 / np.sqrt(a))
                  for a, b in zip(SIZES[:-1], SIZES[1:])]
        self.b = [np.zeros(b, dtype=f32) for b in SIZES[1:]]
        drng = np.random.default_rng(seed + comm.Get_rank())
        x = drng.standard_normal((batch, SIZES[0]), dtype=f32)
        self.y = drng.integers(0, SIZES[-1], batch)
        self.rows = np.arange(batch)
        self.acts = [x] + [np.empty((batch, b), dtype=f32) for b in SIZES[1:]]
        self.deltas = [np.empty((batch, b), dtype=f32) for b in SIZES[1:-1]]
        self.gW = [np.empty_like(w) for w in self.W]
        self.gb = [np.empty_like(b) for b in self.b]
        self.comm = comm
        self.flat = np.empty(sum(w.size + b.size for w, b in zip(self.W, self.b)), dtype=f32)

    def step(self) -> float:
        from mpi4py import MPI

        t0 = time.perf_counter()
        acts, n = self.acts, len(self.W)
        for i, (w, b) in enumerate(zip(self.W, self.b)):
            h = np.matmul(acts[i], w, out=acts[i + 1])
            h += b
            if i < n - 1:
                np.maximum(h, 0, out=h)
        g = acts[-1]  # softmax cross-entropy gradient, in place over the logits
        g -= g.max(axis=1, keepdims=True)
        np.exp(g, out=g)
        g /= g.sum(axis=1, keepdims=True)
        g[self.rows, self.y] -= 1
        g *= np.float32(1 / len(self.y))
        for i in range(n - 1, -1, -1):
            np.matmul(acts[i].T, g, out=self.gW[i])
            np.sum(g, axis=0, out=self.gb[i])
            if i:
                d = np.matmul(g, self.W[i].T, out=self.deltas[i - 1])
                np.multiply(d, acts[i] > 0, out=d)
                g = d
        size = self.comm.Get_size()
        if size > 1:
            pos = 0
            for a in (*self.gW, *self.gb):
                self.flat[pos:pos + a.size] = a.ravel()
                pos += a.size
            self.comm.Allreduce(MPI.IN_PLACE, self.flat)
            self.flat *= np.float32(1 / size)
            pos = 0
            for a in (*self.gW, *self.gb):
                a.ravel()[...] = self.flat[pos:pos + a.size]
                pos += a.size
        lr = np.float32(0.01)
        for p, gp in zip((*self.W, *self.b), (*self.gW, *self.gb)):
            gp *= lr  # the gradient is not needed after the step
            p -= gp
        return time.perf_counter() - t0


class TorchDDP:
    """PyTorch DDP over gloo, when torch is importable (ranks from MPI)."""

    def __init__(self, batch: int, seed: int, comm: Any, distributed: bool = True) -> None:
        import os

        import torch
        import torch.distributed as dist

        torch.set_num_threads(1)
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", str(29500 + (os.getpid() % 1000) * 0))
        port = comm.bcast(int(np.random.default_rng().integers(20000, 40000)), root=0)
        os.environ["MASTER_PORT"] = str(port)
        if distributed and not dist.is_initialized():
            dist.init_process_group("gloo", rank=comm.Get_rank(), world_size=comm.Get_size())
        torch.manual_seed(seed)
        layers: list[Any] = []
        for a, b in zip(SIZES[:-1], SIZES[1:]):
            layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
        model = torch.nn.Sequential(*layers[:-1])
        wrap = distributed and comm.Get_size() > 1
        self.ddp = torch.nn.parallel.DistributedDataParallel(model) if wrap else model
        self.opt = torch.optim.SGD(model.parameters(), lr=0.01)
        g = torch.Generator().manual_seed(seed + comm.Get_rank())
        self.x = torch.randn(batch, SIZES[0], generator=g)
        self.y = torch.randint(0, SIZES[-1], (batch,), generator=g)
        self.torch = torch

    def step(self) -> float:
        t0 = time.perf_counter()
        self.opt.zero_grad()
        loss = self.torch.nn.functional.cross_entropy(self.ddp(self.x), self.y)
        loss.backward()
        self.opt.step()
        return time.perf_counter() - t0


# ----------------------------------------------------------------------------- worker


def worker(args: argparse.Namespace) -> None:
    import parallel

    parallel.init_process_group()
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    size, rank = comm.Get_size(), comm.Get_rank()
    batch = args.batch if args.mode == "weak" else max(args.batch // size, 1)
    solo_batch = batch if args.mode == "weak" else args.batch
    makers: dict[str, Any] = {
        "ours": lambda dist, n: OurDDP(n, 0, distributed=dist),
        "numpy": lambda dist, n: NumpyFloor(n, 0, comm if dist else MPI.COMM_SELF),
    }
    try:
        import torch  # noqa: F401

        makers["torch"] = lambda dist, n: TorchDDP(n, 0, comm if dist else MPI.COMM_SELF, dist)
    except ImportError:
        pass
    variants = {k: make(True, batch) for k, make in makers.items()}
    # the one-rank baseline, timed in this job: rank 0 alone, the others asleep
    solos = {k: make(False, solo_batch) for k, make in makers.items()} if size > 1 and rank == 0 else {}
    for v in (*variants.values(), *solos.values()):  # warm up (allocations, page faults)
        for _ in range(args.warmup):
            v.step()
    for part in variants["ours"].parts.values():
        part.clear()
    variants["ours"].hidden.clear()

    def timed(step: Any) -> Any:
        def run() -> float:
            comm.Barrier()
            return step()

        return run

    def timed_alone(name: str) -> Any:
        def run() -> float:
            comm.Barrier()
            t = solos[name].step() if rank == 0 else 0.0
            _sleeping_barrier(comm)
            return t

        return run

    plan = {k: timed(v.step) for k, v in variants.items()}
    if size > 1:
        plan.update({f"{k} alone": timed_alone(k) for k in makers})
        plan["no communication"] = timed(variants["ours"].step_without_reduction)
    # blocks of consecutive steps, the first of each dropped: a rank that slept through a
    # baseline step wakes up slow, and that is no cost of the step that follows
    block = 5
    times: dict[str, list[float]] = {k: [] for k in plan}
    for _ in range(-(-args.steps // (block - 1))):
        for k, run in plan.items():
            times[k] += [run() for _ in range(block)][1:]
    # the slowest rank decides a step's time
    med = {k: max(comm.allgather(median(t))) for k, t in times.items()}
    step = {k: med[k] for k in variants}
    alone = {k: med[f"{k} alone"] for k in makers} if size > 1 else dict(step)
    ours = variants["ours"]
    ceiling = med["ours alone"] / med["no communication"] if size > 1 else 1.0
    # a synchronous step waits for the slowest rank of that step: the same no-communication
    # steps, each taken at its slowest rank (they start together after a barrier)
    lockstep = 1.0
    if size > 1:
        per_rank = comm.allgather(times["no communication"])
        lockstep = med["ours alone"] / median([max(t) for t in zip(*per_rank)])
    if args.mode == "strong":
        ceiling /= size
        lockstep /= size
    parts = {k: median(v) for k, v in ours.parts.items()}
    comm_alone = _allreduce_alone(ours, comm) if size > 1 else 0.0
    result = {
        "ranks": size, "mode": args.mode, "batch_per_rank": batch, "step_seconds": step,
        "one_rank_seconds": alone, "no_communication_efficiency": ceiling,
        "lockstep_efficiency": lockstep, "ours_breakdown": parts, "allreduce_alone_seconds": comm_alone,
        "hidden_fraction": median(ours.hidden) if size > 1 else None,
        "buckets": len(ours.ddp.bucket_layout()),
        "reduction": "shared-memory window" if ours.ddp.reducer.shm is not None else "MPI Iallreduce",
    }
    if rank == 0:
        with open(args.json, "w") as f:
            json.dump(result, f)
    parallel.barrier()


def _sleeping_barrier(comm: Any) -> None:
    """A barrier that sleeps instead of spinning, so a waiting rank leaves its core (and
    the memory bus) to the rank being timed alone."""
    req = comm.Ibarrier()
    while not req.Test():
        time.sleep(0.0002)


def efficiency(r: dict[str, Any], variant: str) -> float | None:
    """Step time alone over step time at N ranks (weak), or over N times it (strong)."""
    t, t1 = r["step_seconds"].get(variant), r.get("one_rank_seconds", {}).get(variant)
    if t is None or t1 is None:
        return None
    return t1 / t if r["mode"] == "weak" else t1 / (r["ranks"] * t)


def _allreduce_alone(ours: OurDDP, comm: Any) -> float:
    """Time of the same bucket reductions (same path: shared window or MPI) with
    nothing else running."""
    red = ours.ddp.reducer
    bufs = [b.store if b.store is not None else np.zeros(b.numel, dtype=b.dtype) for b in red.buckets]
    samples = []
    for _ in range(10):
        comm.Barrier()
        t = time.perf_counter()
        if red.shm is not None:
            red.shm.reduce_scale(red._shm_parts(), 1.0)
        else:
            works = [red.comm.iallreduce(buf) for buf in bufs]
            for w in works:
                w.wait()
        samples.append(time.perf_counter() - t)
    return median(samples[2:])


# ----------------------------------------------------------------------------- driver


def table(results: list[dict[str, Any]]) -> str:
    variants = sorted({k for r in results for k in r["step_seconds"]},
                      key=lambda k: ["ours", "numpy", "torch"].index(k))
    head = "| mode | ranks | " + " | ".join(f"{v} ms/step | {v} alone | {v} eff." for v in variants) + \
        " | ours: fwd / bwd / wait / opt (ms) | comm hidden | no-comm ceiling | lockstep ceiling |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        cells = []
        for v in variants:
            t, t1, eff = r["step_seconds"].get(v), r["one_rank_seconds"].get(v), efficiency(r, v)
            cells += ["–" if t is None else f"{t * 1e3:.2f}", "–" if t1 is None else f"{t1 * 1e3:.2f}",
                      "–" if eff is None else f"{eff:.2f}"]
        p = r["ours_breakdown"]
        parts = " / ".join(f"{p[k] * 1e3:.1f}" for k in ("forward", "backward", "wait", "optimizer"))
        hidden = "–" if r["hidden_fraction"] is None else f"{r['hidden_fraction']:.0%}"
        ceiling = f"{r['no_communication_efficiency']:.2f}"
        lockstep = f"{r.get('lockstep_efficiency', 1.0):.2f}"
        lines.append(f"| {r['mode']} | {r['ranks']} | " + " | ".join(cells)
                     + f" | {parts} | {hidden} | {ceiling} | {lockstep} |")
    return "\n".join(lines)


def plot(results: list[dict[str, Any]]) -> Any:
    """Scaling efficiency against ranks, one line per variant and mode."""

    def draw(fig: Any) -> None:
        ax = fig.add_subplot(1, 1, 1)
        for mode in sorted({r["mode"] for r in results}):
            rows = sorted((r for r in results if r["mode"] == mode), key=lambda r: r["ranks"])
            for v in sorted({k for r in rows for k in r["step_seconds"]}):
                pts = [(r["ranks"], efficiency(r, v)) for r in rows]
                pts = [(n, e) for n, e in pts if e is not None]
                ax.plot([n for n, _ in pts], [e for _, e in pts], marker="o", label=f"{v} ({mode})")
        ax.axhline(1.0, color="grey", lw=0.5)
        ax.set_xlabel("ranks")
        ax.set_ylabel("scaling efficiency")
        ax.set_title("MLP 784-1024-1024-10, SGD, float32")
        ax.legend()

    return draw


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m launch bench ddp", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ranks", default="1,2", help="comma-separated rank counts (default 1,2)")
    p.add_argument("--modes", default="weak", help="weak, strong or weak,strong")
    p.add_argument("--batch", type=int, default=64, help="per-rank batch (weak) / global batch (strong)")
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--out", default=None, help="directory for ddp.json / ddp.md")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--json", default=None, help=argparse.SUPPRESS)
    p.add_argument("--mode", default="weak", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(args)
        return 0
    results = []
    for mode in args.modes.split(","):
        batch = args.batch if mode == "weak" else max(args.batch, 128)
        for n in (int(x) for x in args.ranks.split(",")):
            results.append(run_job("launch.benchmarks.ddp", n, [
                "--mode", mode, "--batch", str(batch), "--steps", str(args.steps),
                "--warmup", str(args.warmup)]))
    write_outputs(args.out, "ddp", {"results": results}, table(results), plot(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
