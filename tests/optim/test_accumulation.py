"""GradientAccumulator: micro-batches of any sizes give exactly the big-batch gradient
(float64, to 1e-12), and misuse is caught."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import optim

RNG = np.random.default_rng(7)
X = RNG.standard_normal((10, 4))
Y = RNG.standard_normal((10, 2))
SPLITS = [3, 4, 2, 1]


class TinyMLP:
    def __init__(self):
        f64 = autograd.float64
        self.w1 = autograd.tensor(RNG.standard_normal((4, 5)), dtype=f64, requires_grad=True)
        self.b1 = autograd.tensor(RNG.standard_normal(5), dtype=f64, requires_grad=True)
        self.w2 = autograd.tensor(RNG.standard_normal((5, 2)), dtype=f64, requires_grad=True)

    def parameters(self):
        yield from (self.w1, self.b1, self.w2)

    def per_sample_loss(self, x, y):
        out = (autograd.tensor(x) @ self.w1 + self.b1).tanh() @ self.w2
        return ((out - autograd.tensor(y)) ** 2).sum(1)


def _big_batch_grads(model):
    loss = model.per_sample_loss(X, Y).mean()
    return [g.numpy() for g in autograd.grad(loss, list(model.parameters()))]


def _micro_batches():
    start = 0
    for size in SPLITS:
        yield X[start:start + size], Y[start:start + size]
        start += size


def _check(model, want):
    for p, g in zip(model.parameters(), want):
        np.testing.assert_allclose(p.grad.numpy(), g, rtol=1e-12, atol=1e-14)


def test_mean_losses_with_context():
    model = TinyMLP()
    want = _big_batch_grads(model)
    acc = optim.GradientAccumulator(model)
    with acc:
        for x, y in _micro_batches():
            acc.backward(model.per_sample_loss(x, y).mean(), batch_size=len(x))
    assert acc.samples_seen == 10 and acc.micro_batches == 4
    _check(model, want)


def test_sum_losses_with_known_total():
    model = TinyMLP()
    want = _big_batch_grads(model)
    acc = optim.GradientAccumulator(model.parameters(), total_samples=10, reduction="sum")
    for x, y in _micro_batches():
        acc.backward(model.per_sample_loss(x, y).sum(), batch_size=len(x))
    _check(model, want)  # already final: no pass over the gradients at finish
    assert acc.finish() == 10
    _check(model, want)


def test_per_call_reduction_and_naive_recipe_is_wrong():
    model = TinyMLP()
    want = _big_batch_grads(model)
    acc = optim.GradientAccumulator(list(model.parameters()))
    with acc:
        for i, (x, y) in enumerate(_micro_batches()):
            losses = model.per_sample_loss(x, y)
            if i % 2:
                acc.backward(losses.sum(), len(x), reduction="sum")
            else:
                acc.backward(losses.mean(), len(x))
    _check(model, want)
    # dividing each micro-batch mean by the number of micro-batches is not the same
    for p in model.parameters():
        p.grad = None
    for x, y in _micro_batches():
        (model.per_sample_loss(x, y).mean() / len(SPLITS)).backward()
    assert not np.allclose(model.w1.grad.numpy(), want[0])


def test_cycles_with_optimizer():
    model = TinyMLP()
    opt = optim.SGD(model.parameters(), lr=0.1)
    acc = optim.GradientAccumulator(model)
    for _ in range(3):
        want = _big_batch_grads(model)
        with acc:
            for x, y in _micro_batches():
                acc.backward(model.per_sample_loss(x, y).mean(), len(x))
        _check(model, want)
        opt.step()
        opt.zero_grad(set_to_none=False)  # zeroed (not None) gradients are fine too


def test_misuse_is_caught():
    model = TinyMLP()
    acc = optim.GradientAccumulator(model, total_samples=10)
    loss = model.per_sample_loss(X[:3], Y[:3])
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        acc.backward(loss, 3)
    with pytest.raises(ValueError, match="batch_size must be positive"):
        acc.backward(loss.mean(), 0)
    with pytest.raises(TypeError, match="batch_size must be an integer"):
        acc.backward(loss.mean(), 2.5)
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'sum'"):
        acc.backward(loss.mean(), 3, reduction="avg")
    with pytest.raises(RuntimeError, match="no micro-batch was accumulated"):
        acc.finish()
    acc.backward(loss.mean(), 3)
    with pytest.raises(ValueError, match="more than total_samples=10"):
        acc.backward(model.per_sample_loss(X, Y).mean(), 10)
    with pytest.raises(ValueError, match="saw 3 samples but total_samples=10"):
        acc.finish()
    # the gradients of that cycle are still there: a new cycle refuses to add to them
    with pytest.raises(RuntimeError, match="call optimizer.zero_grad"):
        with acc:
            pass
    acc.zero_grad()
    with acc:
        with pytest.raises(RuntimeError, match="a cycle is already open"):
            acc.__enter__()
        acc.backward(model.per_sample_loss(X, Y).mean(), 10)
    with pytest.raises(TypeError, match="expected a Tensor"):
        optim.GradientAccumulator([1.0])
    with pytest.raises(ValueError, match="got no parameters"):
        optim.GradientAccumulator([])
    with pytest.raises(ValueError, match="total_samples must be positive"):
        optim.GradientAccumulator(model, total_samples=0)


def test_exception_inside_cycle_leaves_gradients_unnormalised():
    model = TinyMLP()
    acc = optim.GradientAccumulator(model)
    with pytest.raises(KeyError):
        with acc:
            acc.backward(model.per_sample_loss(X[:2], Y[:2]).mean(), 2)
            raise KeyError("boom")
    partial = model.b1.grad.numpy().copy()
    want = autograd.grad(model.per_sample_loss(X[:2], Y[:2]).sum(), model.b1)[0].numpy()
    np.testing.assert_allclose(partial, want, rtol=1e-12)  # per-sample sum, not divided
    assert "samples_seen=2" in repr(acc)
