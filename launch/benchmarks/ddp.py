"""Data-parallel scaling benchmark: the 784-1024-1024-10 MLP, SGD, float32.

Weak scaling keeps the per-rank batch (64) and compares a step at N ranks with one
rank; strong scaling splits a global batch (128). Each job times, interleaved in the
same processes: our DDP (``autograd.nn`` + ``parallel.DistributedDataParallel`` +
``optim.SGD``), the NumPy floor (hand-written step, gradients packed into one buffer,
one ``MPI.Allreduce``, unpacked — ChainerMN's CPU communicator), and PyTorch DDP (gloo)
when torch is importable. For our DDP it also records the step breakdown (forward,
backward, waiting on the reductions at the end of backward, optimizer) and how much of
the allreduce time was hidden behind backward.

Run: ``python -m launch bench ddp --ranks 1,2 --out bench-results``
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np

from ._mpi import interleaved, median, run_job, write_outputs

SIZES = (784, 1024, 1024, 10)


# ----------------------------------------------------------------------------- variants


class OurDDP:
    def __init__(self, batch: int, seed: int) -> None:
        import autograd
        import optim
        import parallel
        from autograd import nn

        autograd.manual_seed(seed)
        layers: list[Any] = []
        for a, b in zip(SIZES[:-1], SIZES[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        self.model = nn.Sequential(*layers[:-1])
        self.ddp = parallel.DistributedDataParallel(self.model)
        self.opt = optim.SGD(self.model.parameters(), lr=0.01)
        rng = np.random.default_rng(seed + parallel.get_rank())
        self.x = autograd.tensor(rng.standard_normal((batch, SIZES[0]), dtype=np.float32))
        self.y = autograd.tensor(rng.integers(0, SIZES[-1], batch))
        self.parts: dict[str, list[float]] = {"forward": [], "backward": [], "wait": [],
                                              "optimizer": []}

    def step(self) -> float:
        import autograd.nn.functional as F

        red = self.ddp.reducer
        t0 = time.perf_counter()
        self.opt.zero_grad()
        loss = F.cross_entropy(self.ddp(self.x), self.y)
        t1 = time.perf_counter()
        w0 = red.wait_seconds
        loss.backward()
        t2 = time.perf_counter()
        self.opt.step()
        t3 = time.perf_counter()
        wait = red.wait_seconds - w0
        self.parts["forward"].append(t1 - t0)
        self.parts["backward"].append(t2 - t1 - wait)
        self.parts["wait"].append(wait)
        self.parts["optimizer"].append(t3 - t2)
        return t3 - t0


class NumpyFloor:
    """A hand-written step: forward, backward, pack, one Allreduce, unpack, SGD."""

    def __init__(self, batch: int, seed: int, comm: Any) -> None:
        rng = np.random.default_rng(seed)
        self.W = [rng.standard_normal((a, b), dtype=np.float32) * np.float32(1 / np.sqrt(a))
                  for a, b in zip(SIZES[:-1], SIZES[1:])]
        self.b = [np.zeros(b, dtype=np.float32) for b in SIZES[1:]]
        r = comm.Get_rank()
        drng = np.random.default_rng(seed + r)
        self.x = drng.standard_normal((batch, SIZES[0]), dtype=np.float32)
        self.y = drng.integers(0, SIZES[-1], batch)
        self.comm = comm
        total = sum(w.size + b.size for w, b in zip(self.W, self.b))
        self.flat = np.empty(total, dtype=np.float32)

    def step(self) -> float:
        from mpi4py import MPI

        t0 = time.perf_counter()
        acts = [self.x]
        h = self.x
        for i, (w, b) in enumerate(zip(self.W, self.b)):
            h = h @ w
            h += b
            if i < len(self.W) - 1:
                np.maximum(h, 0, out=h)
            acts.append(h)
        logits = acts[-1]
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(self.y)), self.y] -= 1
        g = p / len(self.y)
        grads = []
        for i in range(len(self.W) - 1, -1, -1):
            grads.append((acts[i].T @ g, g.sum(axis=0)))
            if i:
                g = g @ self.W[i].T
                g *= acts[i] > 0
        grads.reverse()
        size = self.comm.Get_size()
        if size > 1:
            pos = 0
            for gw, gb in grads:
                for a in (gw, gb):
                    self.flat[pos:pos + a.size] = a.ravel()
                    pos += a.size
            self.comm.Allreduce(MPI.IN_PLACE, self.flat)
            self.flat *= np.float32(1 / size)
            pos = 0
            for gw, gb in grads:
                for a in (gw, gb):
                    a.ravel()[...] = self.flat[pos:pos + a.size]
                    pos += a.size
        for (gw, gb), w, b in zip(grads, self.W, self.b):
            w -= np.float32(0.01) * gw
            b -= np.float32(0.01) * gb
        return time.perf_counter() - t0


class TorchDDP:
    """PyTorch DDP over gloo, when torch is importable (ranks from MPI)."""

    def __init__(self, batch: int, seed: int, comm: Any) -> None:
        import os

        import torch
        import torch.distributed as dist

        torch.set_num_threads(1)
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", str(29500 + (os.getpid() % 1000) * 0))
        port = comm.bcast(int(np.random.default_rng().integers(20000, 40000)), root=0)
        os.environ["MASTER_PORT"] = str(port)
        if not dist.is_initialized():
            dist.init_process_group("gloo", rank=comm.Get_rank(), world_size=comm.Get_size())
        torch.manual_seed(seed)
        layers: list[Any] = []
        for a, b in zip(SIZES[:-1], SIZES[1:]):
            layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
        model = torch.nn.Sequential(*layers[:-1])
        self.ddp = torch.nn.parallel.DistributedDataParallel(model) if comm.Get_size() > 1 else model
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
    size = comm.Get_size()
    batch = args.batch if args.mode == "weak" else max(args.batch // size, 1)
    variants: dict[str, Any] = {"ours": OurDDP(batch, 0), "numpy": NumpyFloor(batch, 0, comm)}
    try:
        import torch  # noqa: F401

        variants["torch"] = TorchDDP(batch, 0, comm)
    except ImportError:
        pass
    for v in variants.values():  # warm up (allocations, first-touch page faults)
        for _ in range(args.warmup):
            v.step()
    for v in (variants["ours"],):
        for part in v.parts.values():
            part.clear()

    def timed(v: Any) -> Any:
        def run() -> float:
            comm.Barrier()
            return v.step()

        return run

    times = interleaved({k: timed(v) for k, v in variants.items()}, args.steps)
    # the slowest rank decides a step's time
    step = {k: max(comm.allgather(median(t))) for k, t in times.items()}
    ours = variants["ours"]
    parts = {k: median(v) for k, v in ours.parts.items()}
    comm_alone = _allreduce_alone(ours, comm) if size > 1 else 0.0
    exposed = parts["wait"]
    result = {
        "ranks": size, "mode": args.mode, "batch_per_rank": batch, "step_seconds": step,
        "ours_breakdown": parts, "allreduce_alone_seconds": comm_alone,
        "hidden_fraction": (max(0.0, min(1.0, 1.0 - exposed / comm_alone)) if comm_alone else None),
        "buckets": len(ours.ddp.bucket_layout()),
        "reduction": "shared-memory window" if ours.ddp.reducer.shm is not None else "MPI Iallreduce",
    }
    if comm.Get_rank() == 0:
        with open(args.json, "w") as f:
            json.dump(result, f)
    parallel.barrier()


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
    base = {r["mode"]: r for r in results if r["ranks"] == 1}
    variants = sorted({k for r in results for k in r["step_seconds"]},
                      key=lambda k: ["ours", "numpy", "torch"].index(k))
    head = "| mode | ranks | " + " | ".join(f"{v} ms/step | {v} eff." for v in variants) + \
        " | ours: fwd / bwd / wait / opt (ms) | comm hidden |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        b = base.get(r["mode"])
        cells = []
        for v in variants:
            t = r["step_seconds"].get(v)
            if t is None:
                cells += ["–", "–"]
                continue
            eff = None
            if b and v in b["step_seconds"]:
                t1 = b["step_seconds"][v]
                eff = t1 / t if r["mode"] == "weak" else t1 / (r["ranks"] * t)
            cells += [f"{t * 1e3:.2f}", "–" if eff is None else f"{eff:.2f}"]
        p = r["ours_breakdown"]
        parts = " / ".join(f"{p[k] * 1e3:.1f}" for k in ("forward", "backward", "wait", "optimizer"))
        hidden = "–" if r["hidden_fraction"] is None else f"{r['hidden_fraction']:.0%}"
        lines.append(f"| {r['mode']} | {r['ranks']} | " + " | ".join(cells) + f" | {parts} | {hidden} |")
    return "\n".join(lines)


def plot(results: list[dict[str, Any]]) -> Any:
    """Scaling efficiency against ranks, one line per variant and mode."""

    def draw(fig: Any) -> None:
        ax = fig.add_subplot(1, 1, 1)
        for mode in sorted({r["mode"] for r in results}):
            rows = sorted((r for r in results if r["mode"] == mode), key=lambda r: r["ranks"])
            base = next((r for r in rows if r["ranks"] == 1), None)
            if base is None:
                continue
            for v in base["step_seconds"]:
                xs, ys = [], []
                for r in rows:
                    if v in r["step_seconds"]:
                        t1, t = base["step_seconds"][v], r["step_seconds"][v]
                        xs.append(r["ranks"])
                        ys.append(t1 / t if mode == "weak" else t1 / (r["ranks"] * t))
                ax.plot(xs, ys, marker="o", label=f"{v} ({mode})")
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
