"""The workloads of ``launch.benchmarks.ops``, each written three times: with this
framework (the real user path: ``autograd.nn``, ``autograd.nn.functional``, ``optim``),
by hand in NumPy (the floor: the same arithmetic with nothing around it, large buffers
allocated once and updated in place) and with PyTorch's eager CPU path.

A builder returns a zero-argument ``run`` that performs one repetition (a forward and
backward chain, or one training step) and returns a NumPy value to cross-check the
frameworks against each other (a gradient or a loss).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Runner = Callable[[], Any]

# ----------------------------------------------------------------------------- per-op chain

CHAIN_SIZE = 16  # elements: small enough that per-op overhead is all that is measured


def _chain_input() -> np.ndarray:
    return np.linspace(-1.0, 1.0, CHAIN_SIZE, dtype=np.float32)


def chain_ours(n: int) -> Runner:
    import autograd

    x0 = _chain_input()

    def run() -> np.ndarray:
        x = autograd.tensor(x0, requires_grad=True)
        h = x
        for _ in range(n):
            h = (h * 1.001 + 0.1).tanh()
        h.sum().backward()
        return x.grad.numpy()

    return run


def chain_numpy(n: int) -> Runner:
    x0 = _chain_input()

    def run() -> np.ndarray:
        h = x0
        outs = []
        for _ in range(n):
            h = np.tanh(h * 1.001 + 0.1)
            outs.append(h)
        g = np.ones_like(h)
        for t in reversed(outs):
            g = g * (1.0 - t * t) * 1.001
        return g

    return run


def chain_torch(n: int) -> Runner:
    import torch

    x0 = torch.from_numpy(_chain_input())

    def run() -> np.ndarray:
        x = x0.clone().requires_grad_(True)
        h = x
        for _ in range(n):
            h = (h * 1.001 + 0.1).tanh()
        h.sum().backward()
        return x.grad.numpy()

    return run


# ----------------------------------------------------------------------------- MLP training step

MLP_SIZES = (784, 1024, 1024, 10)
MLP_LR = 0.01


def mlp_data(batch: int) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Inputs, class targets, and the initial parameters (W1, b1, W2, b2, W3, b3) every
    framework starts from (PyTorch's default Linear initialisation)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, MLP_SIZES[0])).astype(np.float32)
    y = rng.integers(0, MLP_SIZES[-1], batch)
    params = []
    for fan_in, fan_out in zip(MLP_SIZES, MLP_SIZES[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    return x, y, params


def mlp_ours(batch: int) -> Runner:
    import autograd
    import autograd.nn.functional as F
    import optim
    from autograd import nn

    x_np, y_np, params = mlp_data(batch)
    model = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
                          nn.Linear(1024, 10))
    with autograd.no_grad():
        for p, v in zip(model.parameters(), params):
            p.copy_(autograd.tensor(v))
    opt = optim.SGD(model.parameters(), lr=MLP_LR)
    x, y = autograd.tensor(x_np), autograd.tensor(y_np)

    def run() -> np.ndarray:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.detach().numpy()

    return run


def mlp_numpy(batch: int) -> Runner:
    """The hand-written step: every large array is allocated once; GEMMs write into
    their outputs, ReLU and the update work in place."""
    x, y, params = mlp_data(batch)
    weights, biases = params[0::2], params[1::2]
    width = MLP_SIZES[1:]
    acts = [np.empty((batch, w), np.float32) for w in width]
    masks = [np.empty((batch, w), bool) for w in width[:-1]]
    g_acts = [np.empty((batch, w), np.float32) for w in width[:-1]]
    g_w = [np.empty_like(w) for w in weights]
    g_b = [np.empty_like(b) for b in biases]
    rows = np.arange(batch)
    lr = np.float32(MLP_LR)

    def run() -> np.ndarray:
        a = x
        for i, (w, b) in enumerate(zip(weights, biases)):
            np.matmul(a, w.T, out=acts[i])
            acts[i] += b
            if i < len(weights) - 1:
                np.greater(acts[i], 0, out=masks[i])
                acts[i] *= masks[i]
            a = acts[i]
        z = acts[-1]  # logits -> softmax probabilities, in place
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        loss = -np.log(z[rows, y]).mean()
        z[rows, y] -= 1.0
        z /= batch
        g = z
        for i in range(len(weights) - 1, -1, -1):
            inp = x if i == 0 else acts[i - 1]
            np.matmul(g.T, inp, out=g_w[i])
            np.sum(g, axis=0, out=g_b[i])
            if i:
                np.matmul(g, weights[i], out=g_acts[i - 1])
                g_acts[i - 1] *= masks[i - 1]
                g = g_acts[i - 1]
        for p, gp in zip(weights + biases, g_w + g_b):
            gp *= lr
            p -= gp
        return np.asarray(loss, np.float32)

    return run


def mlp_torch(batch: int) -> Runner:
    import torch

    x_np, y_np, params = mlp_data(batch)
    model = torch.nn.Sequential(torch.nn.Linear(784, 1024), torch.nn.ReLU(),
                                torch.nn.Linear(1024, 1024), torch.nn.ReLU(),
                                torch.nn.Linear(1024, 10))
    with torch.no_grad():
        for p, v in zip(model.parameters(), params):
            p.copy_(torch.from_numpy(v))
    opt = torch.optim.SGD(model.parameters(), lr=MLP_LR)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)

    def run() -> np.ndarray:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.detach().numpy()

    return run


# ----------------------------------------------------------------------------- transformer step

TFM = {"vocab": 64, "d_model": 128, "nhead": 4, "ff": 512, "layers": 2, "seq": 64, "batch": 16}


def _transformer(lib: Any, nn: Any, F: Any, optim_mod: Any) -> Runner:
    """A small causal language model: token and position embeddings, pre-norm
    TransformerEncoderLayers (GELU), a final LayerNorm and a linear head; AdamW."""
    c = TFM

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tok = nn.Embedding(c["vocab"], c["d_model"])
            self.pos = nn.Embedding(c["seq"], c["d_model"])
            self.layers = nn.ModuleList([
                nn.TransformerEncoderLayer(c["d_model"], c["nhead"], c["ff"], dropout=0.0,
                                           activation="gelu", batch_first=True, norm_first=True)
                for _ in range(c["layers"])
            ])
            self.norm = nn.LayerNorm(c["d_model"])
            self.head = nn.Linear(c["d_model"], c["vocab"])

        def forward(self, idx: Any, mask: Any) -> Any:
            h = self.tok(idx) + self.pos(lib.arange(idx.shape[1]))
            for layer in self.layers:
                h = layer(h, src_mask=mask, is_causal=True)
            return self.head(self.norm(h))

    rng = np.random.default_rng(0)
    tokens = rng.integers(0, c["vocab"], (c["batch"], c["seq"] + 1))
    model = Model()
    init = np.random.default_rng(1)
    with lib.no_grad():
        for p in model.parameters():
            p.copy_(lib.tensor(init.uniform(-0.1, 0.1, tuple(p.shape)).astype(np.float32)))
    opt = optim_mod.AdamW(model.parameters(), lr=1e-3)
    x, y = lib.tensor(tokens[:, :-1]), lib.tensor(tokens[:, 1:])
    mask = lib.triu(lib.ones(c["seq"], c["seq"], dtype=lib.bool), diagonal=1)

    def run() -> np.ndarray:
        opt.zero_grad()
        logits = model(x, mask)
        loss = F.cross_entropy(logits.reshape(-1, c["vocab"]), y.reshape(-1))
        loss.backward()
        opt.step()
        return loss.detach().numpy()

    return run


def transformer_ours() -> Runner:
    import autograd
    import autograd.nn.functional as F
    import optim
    from autograd import nn

    return _transformer(autograd, nn, F, optim)


def transformer_torch() -> Runner:
    import torch

    return _transformer(torch, torch.nn, torch.nn.functional, torch.optim)


# ----------------------------------------------------------------------------- registry

# workload -> framework -> builder (frameworks without a builder are not measured)
WORKLOADS: dict[str, dict[str, Callable[[], Runner]]] = {
    "chain": {"ours": lambda: chain_ours(1000), "numpy": lambda: chain_numpy(1000),
              "torch": lambda: chain_torch(1000)},
    "transformer": {"ours": transformer_ours, "torch": transformer_torch},
}
for _b in (32, 128, 512):
    WORKLOADS[f"mlp-{_b}"] = {
        "ours": (lambda b=_b: mlp_ours(b)), "numpy": (lambda b=_b: mlp_numpy(b)),
        "torch": (lambda b=_b: mlp_torch(b)),
    }

# how a repetition's time is reported: (divisor, unit)
UNITS = {"chain": (3000, "us/op"), "transformer": (1, "ms/step")}
for _b in (32, 128, 512):
    UNITS[f"mlp-{_b}"] = (1, "ms/step")

DESCRIPTIONS = {
    "chain": "per-op overhead: 1000 x `(h * 1.001 + 0.1).tanh()` (3000 ops) on 16 float32, "
             "forward + backward, per op",
    "mlp-32": "MLP 784-1024-1024-10 SGD step, batch 32",
    "mlp-128": "MLP 784-1024-1024-10 SGD step, batch 128",
    "mlp-512": "MLP 784-1024-1024-10 SGD step, batch 512",
    "transformer": "2-layer pre-norm TransformerEncoderLayer LM (d=128, 4 heads, seq 64, "
                   "batch 16), AdamW step",
}
