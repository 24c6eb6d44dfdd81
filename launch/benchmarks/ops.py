"""``python -m launch bench ops``: this framework against the NumPy floor and PyTorch's
eager CPU path (when ``import torch`` works), on per-op overhead, MLP training steps,
a small transformer training step, and the MLP loop's peak memory.

Each workload runs in a fresh worker process with the BLAS thread count pinned
(``--threads``, 1 by default, for every framework). Inside it the frameworks take turns
— one repetition each, in rotating order, for ``--rounds`` rounds — so a change in the
machine's load hits them alike; the report gives each one's median time and the median
of the per-round ratios. Memory is measured in a separate process per framework: the
peak resident memory above the level before the first step, and the growth between an
early step and the last.

Example:
    python -m launch bench ops --json perf.json --markdown docs/performance.md
    python -m launch bench ops --only chain mlp-128 --rounds 9 --quick
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import _ops_workloads as W

__all__ = ["main"]

FRAMEWORKS = ("ours", "numpy", "torch")
LABELS = {"ours": "ours", "numpy": "NumPy floor", "torch": "PyTorch"}
MEMORY_WORKLOAD = "mlp-128"


# ----------------------------------------------------------------------------- worker side


def _have_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _time_workload(name: str, rounds: int, warmup: int, threads: int) -> dict[str, Any]:
    builders = dict(W.WORKLOADS[name])
    if "torch" in builders:
        if _have_torch():
            import torch

            torch.set_num_threads(threads)
        else:
            del builders["torch"]
    runs = {fw: build() for fw, build in builders.items()}
    values = {}
    for fw, run in runs.items():
        for _ in range(warmup):
            values[fw] = run()
    order = list(runs)
    times: dict[str, list[float]] = {fw: [] for fw in order}
    for r in range(rounds):
        for fw in order[r % len(order):] + order[:r % len(order)]:
            t0 = time.perf_counter()
            values[fw] = runs[fw]()
            times[fw].append(time.perf_counter() - t0)
    divisor, unit = W.UNITS[name]
    scale = (1e6 if unit.startswith("us") else 1e3) / divisor
    result: dict[str, Any] = {"workload": name, "unit": unit, "rounds": rounds,
                              "description": W.DESCRIPTIONS[name], "median": {}, "min": {},
                              "ratio_to": {}, "check": {}}
    for fw, ts in times.items():
        result["median"][fw] = float(np.median(ts)) * scale
        result["min"][fw] = float(np.min(ts)) * scale
    for other in ("torch", "numpy"):
        if other in times and "ours" in times:
            paired = np.asarray(times["ours"]) / np.asarray(times[other])
            result["ratio_to"][other] = float(np.median(paired))
            # the frameworks did the same arithmetic: their results must agree
            a, b = np.asarray(values["ours"], np.float64), np.asarray(values[other], np.float64)
            result["check"][other] = float(np.max(np.abs(a - b)))
    return result


def _status_kib(field: str) -> int:
    text = Path("/proc/self/status").read_text()
    m = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    if m is None:
        raise RuntimeError(f"/proc/self/status has no {field}")
    return int(m.group(1))


def _release_free_memory() -> None:
    """Hand the C heap's free pages back to the OS (glibc's ``malloc_trim``), so the
    resident size counts live memory only."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _measure_memory(framework: str, steps: int, early: int, threads: int) -> dict[str, Any]:
    """Peak RSS of the MLP training loop above its level before the first step, and
    the RSS growth from step ``early`` to the last step."""
    if framework == "torch":
        import torch

        torch.set_num_threads(threads)
    batch = int(MEMORY_WORKLOAD.split("-")[1])
    run = getattr(W, f"mlp_{framework}")(batch)
    _release_free_memory()  # setup's garbage must not serve the loop's first allocations
    try:  # reset the peak (VmHWM) to the current level, so setup does not count
        Path("/proc/self/clear_refs").write_text("5")
        reset = True
    except OSError:
        reset = False
    base = _status_kib("VmRSS")
    early_rss = base
    for i in range(steps):
        run()
        if i + 1 == early:
            early_rss = _status_kib("VmRSS")
    end_rss = _status_kib("VmRSS")
    peak = _status_kib("VmHWM")
    return {"framework": framework, "steps": steps, "peak_mib": (peak - base) / 1024,
            "growth_mib": (end_rss - early_rss) / 1024, "peak_reset": reset}


def _worker(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="launch.benchmarks.ops --worker")
    p.add_argument("--worker", required=True)
    p.add_argument("--json", required=True)
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--framework", default="ours")
    p.add_argument("--steps", type=int, default=1000)
    a = p.parse_args(argv)
    if a.worker == "memory":
        res = _measure_memory(a.framework, a.steps, min(50, a.steps), a.threads)
    else:
        res = _time_workload(a.worker, a.rounds, a.warmup, a.threads)
    Path(a.json).write_text(json.dumps(res))
    return 0


# ----------------------------------------------------------------------------- driver side


def _spawn(args: list[str], threads: int, timeout: float) -> dict[str, Any]:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "launch.benchmarks.ops", "--json", str(out),
               "--threads", str(threads), *args]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0 or not out.exists():
            raise RuntimeError(f"benchmark worker {' '.join(args)} failed (exit "
                               f"{proc.returncode}):\n{proc.stderr[-4000:]}")
        return json.loads(out.read_text())


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas() -> str:
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # only descriptive: any failure means unknown
        return "unknown"


def machine_info(threads: int) -> dict[str, Any]:
    info = {
        "cpu": _cpu_model(), "logical_cpus": os.cpu_count(), "os": platform.platform(),
        "python": platform.python_version(), "numpy": np.__version__, "blas": _blas(),
        "blas_threads": threads, "load_average_start": list(os.getloadavg()),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
    }
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:
        info["torch"] = None
    return info


def _fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    return f"{v:.2f} {unit}" if v < 100 else f"{v:.0f} {unit}"


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        "| workload | ours | NumPy floor | PyTorch | ours / PyTorch | ours / NumPy |",
        "|---|---|---|---|---|---|",
    ]
    for r in report["results"]:
        med, unit, ratio = r["median"], r["unit"], r["ratio_to"]
        cells = [_fmt(med.get(fw), unit) for fw in FRAMEWORKS]
        ratios = [f"{ratio[o]:.2f}×" if o in ratio else "—" for o in ("torch", "numpy")]
        lines.append(f"| {r['description']} | " + " | ".join(cells + ratios) + " |")
    mem = report.get("memory")
    if mem:
        cells = {x["framework"]: x for x in mem["runs"]}
        peak = [f"{cells[fw]['peak_mib']:.1f} MiB" if fw in cells else "—" for fw in FRAMEWORKS]
        grow = [f"{cells[fw]['growth_mib']:+.1f} MiB" if fw in cells else "—" for fw in FRAMEWORKS]
        rp = [f"{cells['ours']['peak_mib'] / cells[o]['peak_mib']:.2f}×"
              if o in cells and cells[o]["peak_mib"] > 0 else "—" for o in ("torch", "numpy")]
        lines.append("| MLP batch 128: peak memory of the training loop (RSS above start) | "
                     + " | ".join(peak + rp) + " |")
        lines.append(f"| MLP batch 128: memory growth, step 50 → {mem['steps']} | "
                     + " | ".join(grow + ["—", "—"]) + " |")
    head = [
        "# Performance",
        "",
        f"Produced by `{report['command']}`.",
        "",
        f"Measured {m['date']} on {m['cpu']} ({m['logical_cpus']} logical CPUs, {m['os']}); "
        f"Python {m['python']}, NumPy {m['numpy']} ({m['blas']}), PyTorch {m['torch'] or 'absent'}; "
        f"{m['blas_threads']} BLAS thread(s) for every framework; load average "
        f"{m['load_average_start'][0]:.2f} at the start, {m['load_average_end'][0]:.2f} at the end.",
        "",
        "Times are medians over interleaved rounds; a ratio is the median of the per-round "
        "ratios (below 1: this framework is faster).",
        "",
    ]
    return "\n".join(head + lines) + "\n"


def _without_outputs(argv: list[str]) -> list[str]:
    """The options that shape the measurement (not where its results are written)."""
    out, skip = [], False
    for tok in argv:
        if skip:
            skip = False
        elif tok in ("--json", "--markdown"):
            skip = True
        elif not tok.startswith(("--json=", "--markdown=")):
            out.append(tok)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the suite; print the table; optionally write JSON and markdown."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--worker" in argv:
        return _worker(argv)
    p = argparse.ArgumentParser(prog="python -m launch bench ops", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", nargs="+", choices=sorted(W.WORKLOADS) + ["memory"],
                   help="run only these workloads (default: all, and memory)")
    p.add_argument("--rounds", type=int, default=15, help="interleaved rounds per workload")
    p.add_argument("--warmup", type=int, default=3, help="untimed repetitions first")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads for every framework")
    p.add_argument("--memory-steps", type=int, default=1000, help="steps of the memory run")
    p.add_argument("--quick", action="store_true", help="fewer rounds and memory steps")
    p.add_argument("--json", help="write the full report here")
    p.add_argument("--markdown", help="write the markdown table here")
    p.add_argument("--timeout", type=float, default=1800, help="seconds per worker")
    a = p.parse_args(argv)
    rounds = min(a.rounds, 5) if a.quick else a.rounds
    mem_steps = min(a.memory_steps, 100) if a.quick else a.memory_steps
    chosen = a.only or (list(W.WORKLOADS) + ["memory"])
    measured = _without_outputs(argv)
    report: dict[str, Any] = {"machine": machine_info(a.threads), "results": [],
                              "command": " ".join(["python -m launch bench ops", *measured])}
    torch_ok = _have_torch()
    if not torch_ok:
        print("PyTorch is not installed: comparing with the NumPy floor only")
    for name in chosen:
        if name == "memory":
            continue
        res = _spawn(["--worker", name, "--rounds", str(rounds), "--warmup", str(a.warmup)],
                     a.threads, a.timeout)
        report["results"].append(res)
        med, ratio = res["median"], res["ratio_to"]
        parts = [f"{LABELS[fw]} {med[fw]:.2f} {res['unit']}" for fw in FRAMEWORKS if fw in med]
        parts += [f"ours/{LABELS[o]} {ratio[o]:.2f}x" for o in ("torch", "numpy") if o in ratio]
        print(f"{name:12s} " + ", ".join(parts), flush=True)
    if "memory" in chosen:
        runs = []
        for fw in FRAMEWORKS:
            if fw == "torch" and not torch_ok:
                continue
            runs.append(_spawn(["--worker", "memory", "--framework", fw, "--steps",
                                str(mem_steps)], a.threads, a.timeout))
            r = runs[-1]
            print(f"memory       {LABELS[fw]}: peak {r['peak_mib']:.1f} MiB above start, "
                  f"growth {r['growth_mib']:+.1f} MiB over {mem_steps} steps", flush=True)
        report["memory"] = {"workload": MEMORY_WORKLOAD, "steps": mem_steps, "runs": runs}
    report["machine"]["load_average_end"] = list(os.getloadavg())
    table = markdown(report)
    print()
    print(table)
    if a.json:
        Path(a.json).write_text(json.dumps(report, indent=2) + "\n")
    if a.markdown:
        Path(a.markdown).write_text(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
