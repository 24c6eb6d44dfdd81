"""Mixed precision: autocast op lists and GradScaler (float16 runs on NumPy, so all of
this is checked on the CPU; the cuda cases repeat it on a GPU where present)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import optim
import parallel
from autograd import amp, nn
from autograd.nn import functional as F

f16, f32, f64 = autograd.float16, autograd.float32, autograd.float64


def test_autocast_lower_and_fp32_lists(device: str) -> None:
    x = autograd.randn(4, 3, device=device)
    w = autograd.randn(5, 3, device=device, requires_grad=True)
    b = autograd.zeros(5, device=device, requires_grad=True)
    img = autograd.randn(1, 2, 5, 5, device=device)
    k = autograd.randn(3, 2, 3, 3, device=device, requires_grad=True)
    with amp.autocast(device, dtype=f16):
        assert amp.is_autocast_enabled(device) and amp.get_autocast_dtype(device) == f16
        y = F.linear(x, w, b)
        assert y.dtype == f16
        assert F.conv2d(img, k, padding=1).dtype == f16
        assert F.conv_transpose2d(img, k.transpose(0, 1)).dtype == f16
        q = autograd.randn(2, 3, 4, device=device)
        assert F.scaled_dot_product_attention(q, q, q, is_causal=True).dtype == f16
        assert F.softmax(y, dim=1).dtype == f32 and F.log_softmax(y, 1).dtype == f32
        assert y.sum().dtype == f32 and y.cumsum(0).dtype == f32
        assert autograd.logsumexp(y, 1).dtype == f32
        assert F.layer_norm(y, (5,)).dtype == f32
        loss = F.cross_entropy(y, autograd.tensor([0, 1, 2, 3], device=device))
        assert loss.dtype == f32
        assert F.mse_loss(y, y.detach() * 0).dtype == f32
        assert (y * 2).dtype == f16, "ops outside both lists keep their inputs' dtype"
        d = autograd.randn(2, 3, dtype=f64, device=device)
        assert F.linear(d, autograd.randn(4, 3, dtype=f64, device=device)).dtype == f64
        with amp.autocast(device, enabled=False):
            assert F.linear(x, w).dtype == f32
        assert F.linear(x, w).dtype == f16
    assert not amp.is_autocast_enabled(device) and F.linear(x, w).dtype == f32
    loss.backward()
    assert w.grad.dtype == f32 and b.grad.dtype == f32, "float32 parameters get float32 grads"
    assert k.grad is None


def test_autocast_caches_weight_casts_and_ignores_other_devices() -> None:
    w = autograd.randn(3, 3, requires_grad=True)
    with amp.autocast("cpu", dtype=f16):
        a = F.linear(autograd.ones(1, 3), w)
        b = F.linear(autograd.ones(1, 3), w)
        assert a.grad_fn.next_functions[1][0] is b.grad_fn.next_functions[1][0], \
            "a weight is cast once per region"
    with amp.autocast("cuda", dtype=f16):
        assert F.linear(autograd.ones(1, 3), w).dtype == f32, "CPU tensors under cuda autocast"


def test_autocast_module_forward_and_decorator() -> None:
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.LayerNorm(8), nn.Linear(8, 2))

    @amp.autocast("cpu", dtype=f16)
    def run(x: autograd.Tensor) -> autograd.Tensor:
        return model(x)

    out = run(autograd.randn(3, 4))
    assert out.dtype == f16
    F.cross_entropy(out, autograd.tensor([0, 1, 1])).backward()
    assert all(p.grad.dtype == f32 for p in model.parameters())


def test_autocast_errors() -> None:
    with pytest.raises(RuntimeError, match="unsupported autocast device_type 'tpu'"):
        amp.autocast("tpu")
    with pytest.raises(RuntimeError, match="expected float16 or bfloat16, got float32"):
        amp.autocast("cpu", dtype=f32)
    if autograd.bfloat16 is None:
        with pytest.raises(RuntimeError, match="ml_dtypes"):
            amp.autocast("cpu")
    with amp.autocast("cpu", dtype=f16):
        with pytest.raises(RuntimeError, match="unsafe to autocast"):
            F.binary_cross_entropy(autograd.full((2,), 0.5), autograd.ones(2))


# ----------------------------------------------------------------------------- GradScaler


def _setup(device: str = "cpu") -> tuple:
    autograd.manual_seed(0)
    model = nn.Linear(3, 2).to(device)
    return model, optim.SGD(model.parameters(), lr=0.1)


def test_scaler_unscales_and_steps(device: str) -> None:
    model, opt = _setup(device)
    ref = [p.detach().clone() for p in model.parameters()]
    x = autograd.randn(4, 3, device=device)
    scaler = amp.GradScaler(device, init_scale=256.0)
    with amp.autocast(device, dtype=f16):
        loss = model(x).float().pow(2).mean()
    scaler.scale(loss).backward()
    assert np.isclose(model.weight.grad.abs().sum().item() / 256, 0, atol=10)
    scaler.unscale_(opt)
    grads = [p.grad.detach().clone() for p in model.parameters()]
    optim.clip_grad_norm_(model.parameters(), 1e6)
    scaler.step(opt)
    scaler.update()
    for p, r, g in zip(model.parameters(), ref, grads):
        np.testing.assert_allclose(p.detach().cpu().numpy(), (r - 0.1 * g).cpu().numpy(), rtol=1e-6)
    assert scaler.get_scale() == 256.0


def test_scaler_skips_inf_steps_and_adapts_the_scale() -> None:
    model, opt = _setup()
    scaler = amp.GradScaler("cpu", init_scale=8.0, growth_factor=2.0, backoff_factor=0.25,
                            growth_interval=2)
    scales = []
    for step in range(5):
        opt.zero_grad()
        loss = model(autograd.ones(1, 3)).sum()
        if step == 2:
            loss = loss * float("inf")
        scaler.scale(loss).backward()
        before = model.weight.detach().clone()
        out = scaler.step(opt)
        skipped = bool((model.weight == before).all())
        assert skipped == (step == 2) and (out is None)
        scaler.update()
        scales.append(scaler.get_scale())
    assert scales == [8.0, 16.0, 4.0, 4.0, 8.0]
    state = scaler.state_dict()
    assert state == {"scale": 8.0, "growth_factor": 2.0, "backoff_factor": 0.25,
                     "growth_interval": 2, "_growth_tracker": 0}
    other = amp.GradScaler("cpu")
    other.load_state_dict(state)
    assert other.get_scale() == 8.0 and other.get_growth_interval() == 2
    scaler.update(new_scale=3.0)
    assert scaler.get_scale() == 3.0


def test_scaler_misuse_errors() -> None:
    model, opt = _setup()
    scaler = amp.GradScaler("cpu")
    scaler.scale(model(autograd.ones(1, 3)).sum()).backward()
    scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    scaler.update()
    with pytest.raises(RuntimeError, match="No inf checks"):
        scaler.update()
    half = nn.Linear(2, 1).half()
    o = optim.SGD(half.parameters(), lr=0.1)
    half(autograd.ones(1, 2, dtype=f16)).sum().backward()
    with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients"):
        scaler.unscale_(o)
    off = amp.GradScaler("cpu", enabled=False)
    t = autograd.ones(1)
    assert off.scale(t) is t and off.get_scale() == 1.0 and off.state_dict() == {}
    with pytest.raises(ValueError, match="growth factor"):
        amp.GradScaler(growth_factor=1.0)


def test_one_ranks_inf_makes_every_rank_skip() -> None:
    """No DDP here (gradients are not averaged): only the scaler's all-reduced flag can
    make rank 0, whose gradients are finite, skip with rank 1."""

    def work(rank: int) -> tuple:
        parallel.init_process_group("threads")
        model, opt = _setup()
        scaler = amp.GradScaler("cpu", init_scale=4.0)
        loss = model(autograd.ones(1, 3)).sum()
        if rank == 1:
            loss = loss * float("nan")
        scaler.scale(loss).backward()
        before = model.weight.detach().clone()
        scaler.step(opt)
        scaler.update()
        skipped = bool((model.weight == before).all())
        # the next step is clean on both: both step, and the scales stay equal
        opt.zero_grad()
        scaler.scale(model(autograd.ones(1, 3)).sum()).backward()
        stepped = scaler.step(opt) is None and not bool((model.weight == before).all())
        scaler.update()
        return skipped, scaler.get_scale(), stepped

    assert parallel.spawn(work, nprocs=2) == [(True, 2.0, True), (True, 2.0, True)]
