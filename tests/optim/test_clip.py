"""Gradient clipping: global norm (all norm types), value, the seed's percentile-history
clipper, and unit-wise AGC, against NumPy."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
import optim

RNG = np.random.default_rng(3)
SHAPES = [(3, 4), (5,), (2, 2, 3)]


def _params(dtype="float64", scale=1.0, with_none=False):
    params, grads = [], []
    for s in SHAPES:
        p = autograd.tensor(RNG.standard_normal(s).astype(dtype), requires_grad=True)
        g = (RNG.standard_normal(s) * scale).astype(dtype)
        p.grad = autograd.tensor(g)
        params.append(p)
        grads.append(g)
    if with_none:
        params.append(autograd.zeros(2, dtype=dtype, requires_grad=True))
    return params, grads


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, -math.inf, 0.0, 3.0, 0.5, 2])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_numpy(norm_type, max_norm):
    params, grads = _params(with_none=True)
    flat = np.concatenate([g.ravel() for g in grads])
    total = np.linalg.norm(flat, norm_type)
    if norm_type == 0.0:  # as PyTorch: the 0-"norm" of the per-tensor counts
        total = float(sum(np.count_nonzero(g) > 0 for g in grads))
    out = optim.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    assert isinstance(out, autograd.Tensor) and out.shape == () and out.dtype == autograd.float64
    np.testing.assert_allclose(out.item(), total, rtol=1e-12)
    coef = min(1.0, max_norm / (total + 1e-6))
    for p, g in zip(params, grads):
        if coef == 1.0:
            np.testing.assert_array_equal(p.grad.numpy(), g)  # untouched
        else:
            np.testing.assert_allclose(p.grad.numpy(), g * coef, rtol=1e-12)
    assert params[-1].grad is None


def test_clip_grad_norm_float32_and_single_tensor():
    w = autograd.zeros(2, requires_grad=True)
    w.grad = autograd.tensor([3.0, 4.0])
    version = w.grad._version
    total = optim.clip_grad_norm_(w, 1.0)
    assert total.dtype == autograd.float32 and total.item() == 5.0
    np.testing.assert_allclose(w.grad.numpy(), [0.6, 0.8], rtol=1e-6)
    assert w.grad._version > version


@pytest.mark.parametrize("bad", [math.inf, math.nan])
def test_clip_grad_norm_nonfinite(bad):
    params, _ = _params()
    params[1].grad._data[2] = bad
    with pytest.raises(RuntimeError) as info:
        optim.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert str(info.value) == (
        "The total norm of order 2.0 for gradients from `parameters` is non-finite, so it "
        "cannot be clipped. To disable this error and scale the gradients by the non-finite "
        "norm anyway, set `error_if_nonfinite=False`")
    total = optim.clip_grad_norm_(params, 1.0)  # scales anyway, as PyTorch
    assert not math.isfinite(total.item())
    with pytest.raises(RuntimeError, match="total norm of order inf"):
        optim.clip_grad_norm_(params, 1.0, norm_type="inf", error_if_nonfinite=True)


def test_clip_grad_norm_without_grads():
    assert optim.clip_grad_norm_([], 1.0).item() == 0.0
    assert optim.clip_grad_norm_([autograd.zeros(2, requires_grad=True)], 1.0).item() == 0.0
    with pytest.warns(UserWarning, match="empty generator"):
        optim.clip_grad_norm_((p for p in []), 1.0)


def test_get_total_norm_and_clip_with_norm():
    params, grads = _params()
    total = optim.get_total_norm([p.grad for p in params], norm_type=3.0)
    flat = np.concatenate([g.ravel() for g in grads])
    np.testing.assert_allclose(total.item(), np.linalg.norm(flat, 3.0), rtol=1e-12)
    optim.clip_grads_with_norm_(params, 1.0, total)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(p.grad.numpy(), g / (total.item() + 1e-6), rtol=1e-12)
    optim.clip_grads_with_norm_(params, 2.0, 1.0)  # a float norm below max: unchanged
    np.testing.assert_allclose(params[0].grad.numpy(), grads[0] / (total.item() + 1e-6))


def test_clip_grad_value():
    params, grads = _params(scale=3.0, with_none=True)
    optim.clip_grad_value_(params, 1.5)
    for p, g in zip(params, grads):
        np.testing.assert_array_equal(p.grad.numpy(), np.clip(g, -1.5, 1.5))


def test_read_only_gradient_is_replaced_not_written():
    w = autograd.zeros(2, 3, requires_grad=True)
    src = np.broadcast_to(np.array([3.0, 4.0, 0.0], dtype="float32"), (2, 3))
    w.grad = autograd.as_tensor(src)
    optim.clip_grad_norm_([w], 1.0)
    assert src.tolist() == [[3.0, 4.0, 0.0]] * 2  # the caller's array is untouched
    np.testing.assert_allclose(w.grad.numpy().sum(), 14 / math.sqrt(50), rtol=1e-5)


# ----------------------------------------------------------------------------- seed clipper
class _SeedClipper:
    """The seed document's AdaptiveGradientClipping, in NumPy (list history)."""

    def __init__(self, grads, clip_percentile=95):
        self.grads, self.q, self.history = grads, clip_percentile, []

    def clip_gradients(self):
        current = [float(np.linalg.norm(g)) for g in self.grads]
        self.history.extend(current)
        if len(self.history) > 1000:
            self.history = self.history[-1000:]
        if len(self.history) > 10:
            threshold = np.quantile(np.array(self.history), self.q / 100.0)
            total = np.linalg.norm(np.concatenate([g.ravel() for g in self.grads]))
            coef = min(1.0, threshold / (total + 1e-6))
            for g in self.grads:
                g *= coef


@pytest.mark.parametrize("percentile", [95, 50])
def test_adaptive_clipping_matches_seed(percentile):
    params, _ = _params()
    ref_grads = [p.grad.numpy().copy() for p in params]
    ours = optim.AdaptiveGradientClipping(iter(params), clip_percentile=percentile)
    ref = _SeedClipper(ref_grads, percentile)
    for step in range(400):  # 1200 norms: the ring wraps around
        scale = 1.0 + 4.0 * (step % 17 == 0)
        for p, g in zip(params, ref_grads):
            fresh = RNG.standard_normal(p.shape) * scale
            p.grad = autograd.tensor(fresh)
            g[...] = fresh
        threshold = ours.clip_gradients()
        ref.clip_gradients()
        assert (threshold is None) == (step < 3)  # more than 10 norms needed: 12 at step 3
        for p, g in zip(params, ref_grads):
            np.testing.assert_allclose(p.grad.numpy(), g, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ours.gradient_history, ref.history, rtol=1e-12)
    assert len(ours.gradient_history) == 1000 and ours.threshold_ema is not None


def test_adaptive_clipping_seed_usage():
    """The seed's usage block, with the import changed (model.parameters(), then
    clip_gradients() between backward and step)."""

    class Model:
        def __init__(self):
            self.w = autograd.randn(4, 2, dtype=autograd.float64, requires_grad=True)

        def parameters(self):
            yield self.w

    model = Model()
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    dataloader = [autograd.randn(8, 4, dtype=autograd.float64) * (1 + 9 * (i == 20))
                  for i in range(30)]

    def compute_loss(model, batch):
        return ((batch @ model.w) ** 2).mean()

    from optim import AdaptiveGradientClipping

    gradient_clipper = AdaptiveGradientClipping(model.parameters())
    for batch in dataloader:
        optimizer.zero_grad()
        loss = compute_loss(model, batch)
        loss.backward()
        gradient_clipper.clip_gradients()  # Adaptive clipping
        optimizer.step()
    history = gradient_clipper.gradient_history
    assert len(history) == 30
    # the outlier batch's gradient was clipped to the 95th percentile of the history
    assert history[20] > 10 * np.median(history)


def test_adaptive_clipping_without_grads():
    clipper = optim.AdaptiveGradientClipping([autograd.zeros(1, requires_grad=True)])
    assert clipper.clip_gradients() is None and clipper.gradient_history == []
    with pytest.raises(ValueError, match="clip_percentile"):
        optim.AdaptiveGradientClipping([], clip_percentile=101)


# ----------------------------------------------------------------------------- AGC
def _agc_reference(w, g, clipping, eps):
    if w.ndim <= 1:
        wn, gn = np.sqrt((np.abs(w) ** 2).sum()), np.sqrt((np.abs(g) ** 2).sum())
    else:
        axes = tuple(range(1, w.ndim))
        wn = np.sqrt((np.abs(w) ** 2).sum(axes, keepdims=True))
        gn = np.sqrt((np.abs(g) ** 2).sum(axes, keepdims=True))
    wn = np.maximum(wn, eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(gn / wn > clipping, g * (clipping * wn / gn), g)


@pytest.mark.parametrize("shape", [(), (6,), (5, 3), (4, 2, 3, 3)])
@pytest.mark.parametrize("dtype", ["float64", "complex128"])
def test_agc_matches_reference(shape, dtype):
    w = RNG.standard_normal(shape)
    g = RNG.standard_normal(shape) * RNG.choice([0.001, 0.1], size=shape)
    if dtype == "complex128":
        w = w + 1j * RNG.standard_normal(shape)
        g = g - 1j * RNG.standard_normal(shape) * 0.01
    if len(shape) >= 2:
        w[0] = 1e-6  # a tiny unit: eps floors its norm
        g[1] = 0.0  # a zero gradient is never clipped
    p = autograd.tensor(w, requires_grad=True)
    p.grad = autograd.tensor(g)
    optim.agc_([p], clipping=0.05)
    want = _agc_reference(w, g, 0.05, 1e-3)
    np.testing.assert_allclose(p.grad.numpy(), want, rtol=1e-12, atol=1e-300)
    if len(shape) >= 2:
        assert (p.grad.numpy()[1] == 0).all()


def test_agc_leaves_small_units_untouched_and_class():
    w = autograd.tensor(np.ones((3, 4)), requires_grad=True)
    g = np.full((3, 4), 0.01)
    g[2] = 5.0  # only this row exceeds clipping * ||w_row|| = 0.1 * 2
    w.grad = autograd.tensor(g)
    clipper = optim.AdaptiveGradClip([w], clipping=0.1)
    clipper()
    out = w.grad.numpy()
    np.testing.assert_array_equal(out[:2], g[:2])
    np.testing.assert_allclose(np.linalg.norm(out[2]), 0.1 * 2.0, rtol=1e-12)
    # non-contiguous parameters work too
    wt = autograd.tensor(np.ones((4, 3)), requires_grad=True).detach().T.requires_grad_()
    wt.grad = autograd.tensor(g)
    optim.agc_(wt, clipping=0.1)
    np.testing.assert_allclose(wt.grad.numpy(), out, rtol=1e-12)
    with pytest.raises(ValueError, match="clipping must be positive"):
        optim.AdaptiveGradClip([w], clipping=0.0)
