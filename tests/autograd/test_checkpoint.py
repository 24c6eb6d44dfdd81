"""Activation checkpointing (``autograd.checkpoint``): recomputed blocks reproduce the
plain run bit for bit (dropout included), mismatching recomputations are errors, the
graph composes with ``autograd.grad``/``create_graph`` and gradient-ready hooks, and
``checkpoint_sequential`` lowers peak activation memory of a deep MLP."""

from __future__ import annotations

import tracemalloc
from typing import Any

import numpy as np
import pytest

import autograd
import autograd.nn as nn
import autograd.nn.functional as F
from autograd.checkpoint import CheckpointError, checkpoint, checkpoint_sequential
from autograd.graph import saved_tensors_hooks

F64 = autograd.float64


def _block(w1: Any, w2: Any) -> Any:
    def run(x: Any) -> Any:
        h = F.dropout((x @ w1).tanh(), p=0.3, training=True)
        return F.dropout(h @ w2, p=0.2, training=True).sin()

    return run


def _params(seed: int) -> tuple:
    autograd.manual_seed(seed)
    w1 = autograd.randn(5, 7, dtype=F64, requires_grad=True)
    w2 = autograd.randn(7, 3, dtype=F64, requires_grad=True)
    x = autograd.randn(4, 5, dtype=F64, requires_grad=True)
    return w1, w2, x


def _grads(*ts: Any) -> list:
    return [t.grad.numpy().copy() for t in ts]


def test_dropout_inside_checkpoint_is_bitwise_identical() -> None:
    w1, w2, x = _params(0)
    autograd.manual_seed(123)
    plain = _block(w1, w2)(x)
    (plain * plain).sum().backward()
    ref = _grads(w1, w2, x)

    w1b, w2b, xb = _params(0)
    autograd.manual_seed(123)
    ckpt = checkpoint(_block(w1b, w2b), xb, use_reentrant=False)
    after_forward = autograd.rand(3)  # the caller's stream moves on between forward and backward
    (ckpt * ckpt).sum().backward()
    assert np.array_equal(plain.detach().numpy(), ckpt.detach().numpy())
    for a, b in zip(ref, _grads(w1b, w2b, xb)):
        assert np.array_equal(a, b)
    # the recomputation replayed the forward's RNG state without disturbing the caller's
    autograd.manual_seed(123)
    _block(w1b, w2b)(xb.detach())
    assert np.array_equal(autograd.rand(3).numpy(), after_forward.numpy())


def test_without_preserve_rng_state_the_masks_differ() -> None:
    w1, w2, x = _params(0)
    autograd.manual_seed(5)
    out = checkpoint(_block(w1, w2), x, use_reentrant=False, preserve_rng_state=False)
    out.sum().backward()
    w1b, w2b, xb = _params(0)
    autograd.manual_seed(5)
    _block(w1b, w2b)(xb).sum().backward()
    assert not np.array_equal(w1.grad.numpy(), w1b.grad.numpy())


def test_recomputation_with_a_different_shape_raises_checkpoint_error() -> None:
    calls = {"n": 0}

    def shape_shifting(x: Any) -> Any:
        calls["n"] += 1
        return (x[: 3 if calls["n"] == 1 else 2] ** 2).sum()

    x = autograd.randn(4, dtype=F64, requires_grad=True)
    y = checkpoint(shape_shifting, x, use_reentrant=False)
    with pytest.raises(CheckpointError, match="Recomputed values for the following tensors have "
                       "different metadata"):
        y.backward()


def test_recomputation_saving_fewer_tensors_raises() -> None:
    state = {"first": True}

    def fewer(x: Any) -> Any:
        if state["first"]:
            state["first"] = False
            return (x.sin() * x.exp()).sum()
        return x.sum()

    x = autograd.randn(3, dtype=F64, requires_grad=True)
    y = checkpoint(fewer, x, use_reentrant=False)
    with pytest.raises(CheckpointError, match="saved"):
        y.backward()


def test_determinism_check_none_skips_the_check() -> None:
    x = autograd.randn(3, dtype=F64, requires_grad=True)
    y = checkpoint(lambda t: (t * t).sum(), x, use_reentrant=False, determinism_check="none")
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy())
    with pytest.raises(ValueError, match="determinism_check"):
        checkpoint(lambda t: t, x, determinism_check="sometimes")


def test_checkpoint_with_autograd_grad_and_create_graph() -> None:
    x = autograd.tensor([0.3, -1.2, 2.0], dtype=F64, requires_grad=True)
    f = lambda t: (t.sin() * t ** 2).sum()  # noqa: E731
    y = checkpoint(f, x, use_reentrant=False)
    (g,) = autograd.grad(y, x, create_graph=True)
    xs = x.detach().numpy()
    np.testing.assert_allclose(g.detach().numpy(), np.cos(xs) * xs ** 2 + 2 * xs * np.sin(xs))
    (h,) = autograd.grad(g.sum(), x)  # second order through the recomputed graph
    expected = -np.sin(xs) * xs ** 2 + 4 * xs * np.cos(xs) + 2 * np.sin(xs)
    np.testing.assert_allclose(h.numpy(), expected)


def test_nested_checkpoints_and_saved_tensor_hooks_compose() -> None:
    x = autograd.randn(3, dtype=F64, requires_grad=True)
    packed = []

    def inner(t: Any) -> Any:
        return t.exp() * t

    def outer(t: Any) -> Any:
        return checkpoint(inner, t.tanh(), use_reentrant=False).sum()

    with saved_tensors_hooks(lambda t: packed.append(1) or t, lambda t: t):
        y = checkpoint(outer, x, use_reentrant=False)
    y.backward()
    t = np.tanh(x.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), (np.exp(t) * (1 + t)) * (1 - t ** 2))


def test_post_accumulate_grad_hooks_fire_once_per_parameter() -> None:
    autograd.manual_seed(0)
    layers = [nn.Linear(6, 6).double() for _ in range(6)]
    params = [p for m in layers for p in m.parameters()]
    counts = {id(p): 0 for p in params}
    for p in params:
        p.register_post_accumulate_grad_hook(lambda t: counts.__setitem__(id(t), counts[id(t)] + 1))
    x = autograd.randn(3, 6, dtype=F64)
    seq = nn.Sequential(*[m for layer in layers for m in (layer, nn.Tanh())])
    checkpoint_sequential(seq, 3, x, use_reentrant=False).sum().backward()
    assert set(counts.values()) == {1}
    # a parameter used in two checkpointed blocks is still reported once
    w = autograd.randn(4, 4, dtype=F64, requires_grad=True)
    fired = []
    w.register_post_accumulate_grad_hook(lambda t: fired.append(1))
    z = autograd.randn(2, 4, dtype=F64)
    a = checkpoint(lambda t: (t @ w).tanh(), z, use_reentrant=False)
    b = checkpoint(lambda t: (t @ w).sin(), a, use_reentrant=False)
    b.sum().backward()
    assert len(fired) == 1


def test_checkpoint_sequential_validates_segments() -> None:
    with pytest.raises(ValueError, match="segments"):
        checkpoint_sequential([lambda t: t], 0, autograd.ones(2))


# ----------------------------------------------------------------------------- memory


def _mlp(depth: int, width: int, seed: int) -> nn.Sequential:
    autograd.manual_seed(seed)
    mods: list = []
    for _ in range(depth):
        mods += [nn.Linear(width, width), nn.Tanh()]
    return nn.Sequential(*mods)


def _train_step(model: nn.Sequential, x: Any, segments: int | None, lr: float) -> tuple:
    """One SGD step. Returns the gradients, the bytes of activations kept alive for
    backward at the end of the forward pass, and the peak traced bytes of the whole
    step; both measured above the step's start, with the gradient buffers allocated
    beforehand so that only activations (and recomputations) are counted."""
    for p in model.parameters():
        p.grad = autograd.zeros_like(p)
    tracemalloc.start()
    tracemalloc.reset_peak()
    start = tracemalloc.get_traced_memory()[0]
    out = model(x) if segments is None else checkpoint_sequential(model, segments, x,
                                                                  use_reentrant=False)
    loss = (out * out).mean()
    kept = tracemalloc.get_traced_memory()[0] - start
    loss.backward()
    peak = tracemalloc.get_traced_memory()[1] - start
    tracemalloc.stop()
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    with autograd.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return grads, kept, peak


def _compare_training(steps: int = 3) -> tuple:
    depth, width, batch = 32, 128, 64
    plain, ckpt = _mlp(depth, width, 1), _mlp(depth, width, 1)
    autograd.manual_seed(2)
    data = [autograd.randn(batch, width) for _ in range(steps)]
    stats: dict = {"plain": [], "ckpt": []}
    for x in data:  # a few training steps: the two models must stay identical
        g_plain, *m_plain = _train_step(plain, x, None, 0.05)
        g_ckpt, *m_ckpt = _train_step(ckpt, x, 6, 0.05)
        for a, b in zip(g_plain, g_ckpt):
            assert np.array_equal(a, b)
        stats["plain"].append(m_plain)
        stats["ckpt"].append(m_ckpt)
    for a, b in zip(plain.parameters(), ckpt.parameters()):
        assert np.array_equal(a.detach().numpy(), b.detach().numpy())
    kept_p, peak_p = (max(m[i] for m in stats["plain"]) for i in range(2))
    kept_c, peak_c = (max(m[i] for m in stats["ckpt"]) for i in range(2))
    print(f"\n32-layer MLP (width {width}, batch {batch}, float32; one activation "
          f"{batch * width * 4:,} B), per training step:\n"
          f"  activations kept for backward: plain {kept_p:,} B, checkpoint_sequential"
          f"(segments=6) {kept_c:,} B ({kept_c / kept_p:.2f}x)\n"
          f"  peak traced bytes (forward + backward): plain {peak_p:,} B, checkpointed "
          f"{peak_c:,} B ({peak_c / peak_p:.2f}x)")
    return kept_p, peak_p, kept_c, peak_c


def test_checkpoint_sequential_mlp_is_bitwise_equal_with_lower_peak_memory() -> None:
    kept_p, peak_p, kept_c, peak_c = _compare_training()
    assert kept_c < 0.6 * kept_p
    assert peak_c < peak_p


def test_checkpointed_backward_frees_each_recomputed_segment() -> None:
    """Regression: recomputed tensors used to sit in a node <-> tensor reference cycle,
    alive until the cyclic GC ran, so the backward peak barely dropped."""
    _, peak_p, _, peak_c = _compare_training(steps=1)
    assert peak_c < 0.7 * peak_p
