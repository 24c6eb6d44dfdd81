"""Allreduce bandwidth against raw mpi4py ``Allreduce(IN_PLACE)`` on the same bytes,
for messages from 4 KB to 64 MB, interleaved in the same job: the bucket layer's MPI
path (``comm.iallreduce`` + ``wait``, what DDP issues per bucket across machines), the
blocking ``comm.allreduce`` (what ``parallel.all_reduce`` without ``async_op`` runs) and
the shared-memory path (what DDP uses when all ranks are on one machine).

Run: ``python -m launch bench allreduce --ranks 2 --out bench-results``
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np

from ._mpi import interleaved, median, run_job, write_outputs

SIZES = [4 << 10, 64 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20]


def worker(args: argparse.Namespace) -> None:
    import parallel

    parallel.init_process_group()
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    ours = parallel.default_group().comm
    window = ours.shared_window(max(SIZES)) if hasattr(ours, "shared_window") else None
    rows = []
    for nbytes in SIZES:
        buf = np.ones(nbytes // 4, dtype=np.float32)
        part = [(np.dtype(np.float32), 0, nbytes // 4)]
        reps = max(3, min(args.reps, int(2e8 // max(nbytes, 1))))

        def run_ours(buf: Any = buf) -> float:
            comm.Barrier()
            t = time.perf_counter()
            ours.iallreduce(buf).wait()
            return time.perf_counter() - t

        def run_blocking(buf: Any = buf) -> float:
            comm.Barrier()
            t = time.perf_counter()
            ours.allreduce(buf)
            return time.perf_counter() - t

        def run_raw(buf: Any = buf) -> float:
            comm.Barrier()
            t = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, buf)
            return time.perf_counter() - t

        def run_shm(part: Any = part) -> float:
            comm.Barrier()
            t = time.perf_counter()
            window.reduce_scale(part, 1.0)
            return time.perf_counter() - t

        variants = {"ours": run_ours, "raw": run_raw, "blocking": run_blocking}
        if window is not None:
            variants["shm"] = run_shm
        for v in variants.values():
            v()
        times = interleaved(variants, reps)
        t = {k: max(comm.allgather(median(v))) for k, v in times.items()}
        row = {"bytes": nbytes, "ours_s": t["ours"], "raw_s": t["raw"],
               "ours_gbps": nbytes / t["ours"] / 1e9, "raw_gbps": nbytes / t["raw"] / 1e9,
               "ratio": t["raw"] / t["ours"], "blocking_s": t["blocking"],
               "blocking_ratio": t["raw"] / t["blocking"]}
        if "shm" in t:
            row.update({"shm_s": t["shm"], "shm_gbps": nbytes / t["shm"] / 1e9,
                        "shm_ratio": t["raw"] / t["shm"]})
        rows.append(row)
    if comm.Get_rank() == 0:
        with open(args.json, "w") as f:
            json.dump({"ranks": comm.Get_size(), "rows": rows}, f)
    parallel.barrier()


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| ranks | message | bucket layer GB/s | raw mpi4py GB/s | ours / raw | "
             "blocking all_reduce / raw | shared window GB/s | shared / raw |",
             "|---|---|---|---|---|---|---|---|"]
    for res in results:
        for r in res["rows"]:
            size = f"{r['bytes'] >> 20} MB" if r["bytes"] >= 1 << 20 else f"{r['bytes'] >> 10} KB"
            shm = (f"{r['shm_gbps']:.2f} | {r['shm_ratio']:.2f}" if "shm_gbps" in r else "– | –")
            lines.append(f"| {res['ranks']} | {size} | {r['ours_gbps']:.2f} | {r['raw_gbps']:.2f} | "
                         f"{r['ratio']:.2f} | {r.get('blocking_ratio', float('nan')):.2f} | {shm} |")
    return "\n".join(lines)


def plot(results: list[dict[str, Any]]) -> Any:
    """Bandwidth against message size, bucket layer and raw mpi4py."""

    def draw(fig: Any) -> None:
        ax = fig.add_subplot(1, 1, 1)
        for res in results:
            sizes = [r["bytes"] for r in res["rows"]]
            ax.plot(sizes, [r["ours_gbps"] for r in res["rows"]], marker="o",
                    label=f"bucket layer, {res['ranks']} ranks")
            ax.plot(sizes, [r["raw_gbps"] for r in res["rows"]], marker="x", ls="--",
                    label=f"raw mpi4py, {res['ranks']} ranks")
            if all("shm_gbps" in r for r in res["rows"]):
                ax.plot(sizes, [r["shm_gbps"] for r in res["rows"]], marker="s",
                        label=f"shared window, {res['ranks']} ranks")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("message (bytes)")
        ax.set_ylabel("GB/s")
        ax.set_title("Allreduce bandwidth")
        ax.legend()

    return draw


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m launch bench allreduce", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ranks", default="2")
    p.add_argument("--reps", type=int, default=30)
    p.add_argument("--out", default=None)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--json", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(args)
        return 0
    results = [run_job("launch.benchmarks.allreduce", int(n), ["--reps", str(args.reps)])
               for n in args.ranks.split(",") if int(n) > 1]
    write_outputs(args.out, "allreduce", {"results": results}, table(results), plot(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
