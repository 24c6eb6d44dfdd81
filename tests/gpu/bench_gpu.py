"""GPU step-time benchmark: ours (autograd on CuPy) against PyTorch CUDA eager in the
same process, on the same card, with the same initial weights and data.

Workloads (float32, random data; a few warm-up steps, then the median over repeats of
the time per step, each repeat timed between two device synchronisations):
- ``mlp``: 784-1024-1024-10 MLP, ReLU, cross-entropy, SGD(momentum=0.9) at batch 128
  (the issue's criterion: ours within 1.5x of PyTorch).
- ``mlp_amp``: the same step under autocast(float16) with a GradScaler.
- ``transformer``: embedding + 2 TransformerEncoderLayers (d=256, 4 heads, ff 1024,
  no dropout) + linear head, seq 128, batch 16, cross-entropy, AdamW.
- ``randn``: one 1M-element randn call (the GPU generator's per-call Philox keying).

Each workload first checks that one step gives the same loss in both frameworks
(relative difference printed). Usage: ``python tests/gpu/bench_gpu.py [--json FILE]
[--quick] [--smoke]``; needs CuPy and a GPU (PyTorch optional).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np

import autograd
import optim
from autograd import amp, nn
from autograd.nn import functional as F

try:
    import torch
    HAVE_TORCH = torch.cuda.is_available()
except Exception:  # absent or without CUDA: ours alone
    torch = None
    HAVE_TORCH = False


# sizes: the real run, and --smoke (tiny: CI checks that the script runs end to end)
SIZES = {"hidden": 1024, "batch": 128, "vocab": 1000, "d": 256, "heads": 4, "ff": 1024,
         "seq": 128, "tbatch": 16, "layers": 2, "randn": 1 << 20}
SMOKE = {"hidden": 32, "batch": 8, "vocab": 50, "d": 16, "heads": 2, "ff": 32, "seq": 8,
         "tbatch": 2, "layers": 1, "randn": 1 << 10}


def _sync() -> None:
    autograd.cuda.synchronize()
    if HAVE_TORCH:
        torch.cuda.synchronize()


def _time(step: Callable[[], Any], warmup: int, steps: int, repeats: int) -> float:
    """Median milliseconds per step."""
    for _ in range(warmup):
        step()
    _sync()
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        _sync()
        runs.append((time.perf_counter() - t0) / steps * 1e3)
    return statistics.median(runs)


def _copy_weights(ours: nn.Module, theirs: Any) -> None:
    """Give our module the torch module's parameters (same names, same layouts)."""
    mine = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        if name not in mine:
            raise KeyError(f"no parameter {name!r} in our module (ours: {sorted(mine)})")
        with autograd.no_grad():
            mine[name].copy_(autograd.tensor(p.detach().cpu().numpy(), device="cuda"))


# ----------------------------------------------------------------------------- MLP


def _mlp_ours() -> nn.Module:
    h = SIZES["hidden"]
    return nn.Sequential(nn.Linear(784, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(),
                         nn.Linear(h, 10)).to("cuda")


def bench_mlp(args: argparse.Namespace, use_amp: bool = False) -> dict:
    batch, h = SIZES["batch"], SIZES["hidden"]
    rng = np.random.default_rng(0)
    xb = rng.standard_normal((batch, 784)).astype(np.float32)
    yb = rng.integers(0, 10, batch)
    model = _mlp_ours()
    x, y = autograd.tensor(xb, device="cuda"), autograd.tensor(yb, device="cuda")
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    scaler = amp.GradScaler("cuda", enabled=use_amp)
    row: dict = {"workload": "mlp_amp" if use_amp else "mlp", "batch": batch}

    def ours() -> Any:
        opt.zero_grad()
        with amp.autocast("cuda", dtype=autograd.float16, enabled=use_amp):
            loss = F.cross_entropy(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        return loss

    if HAVE_TORCH:
        tm = torch.nn.Sequential(torch.nn.Linear(784, h), torch.nn.ReLU(),
                                 torch.nn.Linear(h, h), torch.nn.ReLU(),
                                 torch.nn.Linear(h, 10)).cuda()
        _copy_weights(model, tm)
        topt = torch.optim.SGD(tm.parameters(), lr=0.01, momentum=0.9)
        tscaler = torch.amp.GradScaler("cuda", enabled=use_amp)
        tx, ty = torch.tensor(xb, device="cuda"), torch.tensor(yb, device="cuda")

        def theirs() -> Any:
            topt.zero_grad()
            with torch.autocast("cuda", dtype=torch.float16, enabled=use_amp):
                loss = torch.nn.functional.cross_entropy(tm(tx), ty)
            tscaler.scale(loss).backward()
            tscaler.step(topt)
            tscaler.update()
            return loss

        a, b = float(ours().item()), float(theirs().item())
        row["loss_rel_diff"] = abs(a - b) / max(abs(b), 1e-12)
        row["torch_ms"] = _time(theirs, args.warmup, args.steps, args.repeats)
    row["ours_ms"] = _time(ours, args.warmup, args.steps, args.repeats)
    return row


# ----------------------------------------------------------------------------- transformer


def bench_transformer(args: argparse.Namespace) -> dict:
    vocab, d, heads, ff = SIZES["vocab"], SIZES["d"], SIZES["heads"], SIZES["ff"]
    seq, batch, layers = SIZES["seq"], SIZES["tbatch"], SIZES["layers"]
    rng = np.random.default_rng(1)
    tok = rng.integers(0, vocab, (batch, seq))
    tgt = rng.integers(0, vocab, (batch, seq))

    class Ours(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(vocab, d)
            self.enc = nn.TransformerEncoder(
                nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, batch_first=True), layers)
            self.head = nn.Linear(d, vocab)

        def forward(self, t: Any) -> Any:
            return self.head(self.enc(self.emb(t)))

    model = Ours().to("cuda")
    opt = optim.AdamW(model.parameters(), lr=1e-3)
    x, y = autograd.tensor(tok, device="cuda"), autograd.tensor(tgt, device="cuda")
    row: dict = {"workload": "transformer", "batch": batch}

    def ours() -> Any:
        opt.zero_grad()
        loss = F.cross_entropy(model(x).reshape(-1, vocab), y.reshape(-1))
        loss.backward()
        opt.step()
        return loss

    if HAVE_TORCH:
        class Theirs(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.emb = torch.nn.Embedding(vocab, d)
                self.enc = torch.nn.TransformerEncoder(
                    torch.nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, batch_first=True),
                    layers, enable_nested_tensor=False)
                self.head = torch.nn.Linear(d, vocab)

            def forward(self, t: Any) -> Any:
                return self.head(self.enc(self.emb(t)))

        tm = Theirs().cuda()
        try:
            _copy_weights(model, tm)
            same = True
        except KeyError as e:  # parameter names differ: time both, skip the loss check
            row["note"] = str(e)[:120]
            same = False
        topt = torch.optim.AdamW(tm.parameters(), lr=1e-3)
        tx, ty = torch.tensor(tok, device="cuda"), torch.tensor(tgt, device="cuda")

        def theirs() -> Any:
            topt.zero_grad()
            loss = torch.nn.functional.cross_entropy(tm(tx).reshape(-1, vocab), ty.reshape(-1))
            loss.backward()
            topt.step()
            return loss

        a, b = float(ours().item()), float(theirs().item())
        if same:
            row["loss_rel_diff"] = abs(a - b) / max(abs(b), 1e-12)
        row["torch_ms"] = _time(theirs, args.warmup, args.steps // 2 or 1, args.repeats)
    row["ours_ms"] = _time(ours, args.warmup, args.steps // 2 or 1, args.repeats)
    return row


def bench_randn(args: argparse.Namespace) -> dict:
    n = SIZES["randn"]
    row: dict = {"workload": "randn_1M", "batch": 1}
    row["ours_ms"] = _time(lambda: autograd.randn(n, device="cuda"), 3, 50, args.repeats)
    if HAVE_TORCH:
        row["torch_ms"] = _time(lambda: torch.randn(n, device="cuda"), 3, 50, args.repeats)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="write the rows here")
    ap.add_argument("--quick", action="store_true", help="fewer steps")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes and steps (CI)")
    args = ap.parse_args()
    args.warmup, args.steps, args.repeats = (2, 5, 3) if args.quick or args.smoke else (10, 40, 5)
    if args.smoke:
        SIZES.update(SMOKE)
    if not autograd.cuda.is_available():
        print("bench_gpu: no CUDA GPU (CuPy missing or no device); nothing to time")
        return 2
    card = autograd.cuda.get_device_name()
    rows = []
    for fn in (bench_mlp, lambda a: bench_mlp(a, use_amp=True), bench_transformer, bench_randn):
        try:
            rows.append(fn(args))
        except Exception as e:  # one failing workload must not hide the others
            rows.append({"workload": getattr(fn, "__name__", "mlp_amp"), "error": f"{type(e).__name__}: {e}"})
        print(json.dumps(rows[-1]), flush=True)
    print(f"\n== step time on {card} (torch {torch.__version__ if HAVE_TORCH else 'absent'})")
    print(f"{'workload':<14}{'ours ms':>10}{'torch ms':>10}{'ratio':>8}{'loss rel diff':>15}")
    for r in rows:
        if "error" in r:
            print(f"{r['workload']:<14}  ERROR {r['error'][:90]}")
            continue
        t = r.get("torch_ms")
        ratio = r["ours_ms"] / t if t else float("nan")
        r["ratio"] = ratio
        diff = r.get("loss_rel_diff")
        print(f"{r['workload']:<14}{r['ours_ms']:>10.3f}{(t or float('nan')):>10.3f}{ratio:>8.2f}"
              f"{format(diff, '.2e') if diff is not None else '-':>15}")
    mlp = next((r for r in rows if r.get("workload") == "mlp" and "ratio" in r), None)
    if mlp is not None and mlp.get("torch_ms"):
        verdict = "PASS" if mlp["ratio"] <= 1.5 else "FAIL"
        print(f"criterion: MLP step within 1.5x of PyTorch CUDA eager: {verdict} ({mlp['ratio']:.2f}x)")
    if args.json:
        Path(args.json).write_text(json.dumps({"card": card, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
