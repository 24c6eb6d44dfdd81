"""A small GPT, character level, trained on the text of CPython's own standard-library
source files found on this machine (no download).

Embeddings, causal self-attention, LayerNorm, GELU, AdamW, a cosine learning-rate
schedule with linear warmup, and gradient clipping — ported from a PyTorch script by
changing its imports. Prints the loss against the unigram entropy of the text (a model
that learned nothing about context cannot beat it) and a few generated samples.

Run: python examples/char_transformer.py [--steps 600] [--seed 0]
"""

from __future__ import annotations

import argparse
import math
import os
import sysconfig
import time
from pathlib import Path

import numpy as np

import autograd
import autograd.nn.functional as F
import optim
from autograd import nn


def stdlib_text(limit_bytes: int) -> str:
    """Python source text from the standard library of the running interpreter."""
    root = Path(sysconfig.get_paths()["stdlib"])
    chunks, total = [], 0
    for path in sorted(root.glob("*.py")):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        chunks.append(text)
        total += len(text)
        if total >= limit_bytes:
            break
    if not chunks:
        raise SystemExit(f"no standard-library sources found under {root}")
    return "".join(chunks)[:limit_bytes]


class Block(nn.Module):
    def __init__(self, d: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.drop = nn.Dropout(dropout)
        self.heads = heads

    def forward(self, x: autograd.Tensor) -> autograd.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        q, k, v = (z.reshape(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.drop(self.proj(att.transpose(1, 2).reshape(b, t, d)))
        return x + self.drop(self.mlp(self.ln2(x)))


class GPT(nn.Module):
    def __init__(self, vocab: int, context: int, d: int = 64, heads: int = 4, layers: int = 2,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(context, d)
        self.blocks = nn.Sequential(*[Block(d, heads, dropout) for _ in range(layers)])
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)

    def forward(self, idx: autograd.Tensor) -> autograd.Tensor:
        t = idx.shape[1]
        x = self.tok(idx) + self.pos(autograd.arange(t))
        return self.head(self.ln(self.blocks(x)))

    @autograd.no_grad()
    def generate(self, idx: autograd.Tensor, n: int, context: int, temperature: float = 0.8) -> list[int]:
        out = idx[0].tolist()
        for _ in range(n):
            logits = self(autograd.tensor([out[-context:]]))[0, -1] / temperature
            probs = F.softmax(logits, dim=-1)
            out.append(int(autograd.multinomial(probs, 1).item()))
        return out


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--context", type=int, default=64)
    p.add_argument("--d-model", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--text-bytes", type=int, default=400_000)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--samples", type=int, default=2)
    args = p.parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    autograd.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    text = stdlib_text(args.text_bytes)
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = np.fromiter((stoi[c] for c in text), dtype=np.int64, count=len(text))
    counts = np.bincount(data, minlength=len(chars)).astype(np.float64)
    freq = counts[counts > 0] / counts.sum()
    unigram = float(-(freq * np.log(freq)).sum())
    split = int(0.9 * len(data))
    train, val = data[:split], data[split:]
    print(f"text: {len(text):,} characters of the standard library, {len(chars)} symbols; "
          f"unigram entropy {unigram:.3f} nats/char")

    model = GPT(len(chars), args.context, d=args.d_model, layers=args.layers)
    decay = [p_ for n, p_ in model.named_parameters() if p_.dim() >= 2]
    no_decay = [p_ for n, p_ in model.named_parameters() if p_.dim() < 2]
    opt = optim.AdamW([{"params": decay, "weight_decay": 0.1},
                       {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95))
    warmup = max(1, args.steps // 10)

    def lr_factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, args.steps - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))

    sched = optim.lr_scheduler.LambdaLR(opt, lr_factor)

    def batch(source: np.ndarray) -> tuple[autograd.Tensor, autograd.Tensor]:
        starts = rng.integers(0, len(source) - args.context - 1, args.batch)
        x = np.stack([source[s:s + args.context] for s in starts])
        y = np.stack([source[s + 1:s + 1 + args.context] for s in starts])
        return autograd.tensor(x), autograd.tensor(y)

    def evaluate(source: np.ndarray, n: int = 8) -> float:
        model.eval()
        with autograd.no_grad():
            losses = []
            for _ in range(n):
                x, y = batch(source)
                logits = model(x)
                losses.append(F.cross_entropy(logits.reshape(-1, len(chars)), y.reshape(-1)).item())
        model.train()
        return float(np.mean(losses))

    start = time.perf_counter()
    for step in range(args.steps):
        x, y = batch(train)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, len(chars)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % max(1, args.steps // 6) == 0 or step == args.steps - 1:
            print(f"step {step:5d}  loss {loss.item():.3f}  lr {sched.get_last_lr()[0]:.2e}  "
                  f"{time.perf_counter() - start:6.1f}s", flush=True)
    val_loss = evaluate(val)
    print(f"validation loss {val_loss:.3f} nats/char vs unigram entropy {unigram:.3f} "
          f"({val_loss / unigram:.0%} of it)")
    for i in range(args.samples):
        prompt = autograd.tensor([[stoi["d"], stoi["e"], stoi["f"], stoi[" "]]])
        out = model.generate(prompt, 120, args.context)
        print(f"--- sample {i + 1}\n{''.join(chars[j] for j in out)}")
    return {"val_loss": val_loss, "unigram": unigram}


if __name__ == "__main__":
    main()
