"""A leaf's preallocated gradient destination (``_grad_dest``, set by the data-parallel
layer to its bucket views): ``linear``'s backward writes the weight and bias gradients
straight into it when that is safe, and never when it is not."""

from __future__ import annotations

import numpy as np

import autograd
import autograd.nn.functional as F


def _layer(seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    x = autograd.tensor(rng.standard_normal((5, 3)))
    w = autograd.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    b = autograd.tensor(rng.standard_normal(4), requires_grad=True)
    return x, w, b


def _reference(x, w, b, fn) -> tuple:
    w2 = w.detach().requires_grad_()
    b2 = b.detach().requires_grad_()
    fn(x, w2, b2).backward()
    return w2.grad.numpy(), b2.grad.numpy()


def _with_dest(*leaves) -> list:
    dests = []
    for t in leaves:
        d = np.full(t.shape, np.nan)
        t._grad_dest = d
        dests.append(d)
    return dests


def _single(x, w, b):
    return (F.linear(x, w, b) ** 2).sum()


def test_gradients_are_written_into_the_destination() -> None:
    x, w, b = _layer()
    dw, db = _with_dest(w, b)
    _single(x, w, b).backward()
    ref_w, ref_b = _reference(x, w, b, _single)
    assert np.shares_memory(w.grad.numpy(), dw) and np.shares_memory(b.grad.numpy(), db)
    np.testing.assert_allclose(dw, ref_w, rtol=1e-12)
    np.testing.assert_allclose(db, ref_b, rtol=1e-12)


def test_a_weight_used_twice_still_gets_the_sum() -> None:
    def twice(x, w, b):
        return (F.linear(x, w, b) ** 2).sum() + F.linear(x * 2.0, w, b).sum()

    x, w, b = _layer(1)
    dw, db = _with_dest(w, b)
    twice(x, w, b).backward()
    ref_w, ref_b = _reference(x, w, b, twice)
    np.testing.assert_allclose(w.grad.numpy(), ref_w, rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), ref_b, rtol=1e-12)
    np.testing.assert_allclose(dw, ref_w, rtol=1e-12)  # the sum lands there in the end


def test_an_existing_grad_is_accumulated_not_overwritten() -> None:
    x, w, b = _layer(2)
    _with_dest(w, b)
    _single(x, w, b).backward()
    _single(x, w, b).backward()
    ref_w, _ = _reference(x, w, b, _single)
    np.testing.assert_allclose(w.grad.numpy(), 2 * ref_w, rtol=1e-12)


def test_a_hook_that_may_keep_the_gradient_gets_its_own_array() -> None:
    x, w, b = _layer(3)
    (dw,) = _with_dest(w)
    seen = []
    w.register_hook(lambda g: seen.append(g))
    _single(x, w, b).backward()
    ref_w, _ = _reference(x, w, b, _single)
    assert not np.shares_memory(seen[0].numpy(), dw)
    np.testing.assert_allclose(seen[0].numpy(), ref_w, rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), ref_w, rtol=1e-12)


def test_autograd_grad_leaves_the_destination_alone() -> None:
    x, w, b = _layer(4)
    dw, db = _with_dest(w, b)
    gw, gb = autograd.grad(_single(x, w, b), (w, b))
    assert np.isnan(dw).all() and np.isnan(db).all()
    assert w.grad is None
    ref_w, ref_b = _reference(x, w, b, _single)
    np.testing.assert_allclose(gw.numpy(), ref_w, rtol=1e-12)
    np.testing.assert_allclose(gb.numpy(), ref_b, rtol=1e-12)
