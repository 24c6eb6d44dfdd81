"""Modules, losses, optimizers, clipping and DDP on ``"cuda"``, compared with the same
computation on the CPU (the fake CuPy on CI: dispatch; a real GPU where present)."""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import pytest

import autograd
import optim
import parallel
from autograd import backend, nn
from autograd.nn import functional as F


def _host(t: autograd.Tensor) -> np.ndarray:
    return backend.to_host(t.detach()._data)


def _close(a: autograd.Tensor, b: autograd.Tensor, what: str, tol: float = 1e-10) -> None:
    np.testing.assert_allclose(_host(a), _host(b), rtol=tol, atol=tol, err_msg=what)


MODULES: list[tuple[str, Callable[[], nn.Module], tuple]] = [
    ("linear", lambda: nn.Linear(5, 3), (4, 5)),
    ("mlp", lambda: nn.Sequential(nn.Linear(5, 8), nn.GELU(), nn.Dropout(0.0), nn.Linear(8, 2)),
     (4, 5)),
    ("conv_bn_pool", lambda: nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3),
                                           nn.ReLU(), nn.MaxPool2d(2), nn.Flatten()),
     (2, 2, 4, 4)),
    ("conv1d_avgpool", lambda: nn.Sequential(nn.Conv1d(2, 2, 3, stride=2), nn.AvgPool1d(2)),
     (2, 2, 9)),
    ("norms", lambda: nn.Sequential(nn.LayerNorm(6), nn.GroupNorm(2, 4), nn.RMSNorm(6)),
     (2, 4, 6)),
    ("lstm", lambda: nn.LSTM(3, 4, num_layers=2, batch_first=True), (2, 5, 3)),
    ("gru_bidir", lambda: nn.GRU(3, 2, bidirectional=True), (4, 2, 3)),
    ("attention", lambda: nn.MultiheadAttention(4, 2, batch_first=True), (2, 3, 4)),
    ("transformer", lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0,
                                                       batch_first=True), (2, 5, 8)),
]


def _forward(m: nn.Module, x: autograd.Tensor) -> autograd.Tensor:
    if isinstance(m, nn.MultiheadAttention):
        return m(x, x, x, need_weights=False)[0]
    out = m(x)
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("name,make,shape", MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_cpu(name: str, make: Callable, shape: tuple, cuda_device: str) -> None:
    autograd.manual_seed(0)
    cpu = make().double()
    dev = copy.deepcopy(cpu).to(cuda_device)
    x = autograd.randn(*shape, dtype=autograd.float64)
    xd = x.to(cuda_device)
    out, outd = _forward(cpu, x), _forward(dev, xd)
    assert outd.is_cuda
    _close(outd, out, f"{name} forward")
    w = autograd.randn(*out.shape, dtype=autograd.float64)
    (out * w).sum().backward()
    (outd * w.to(cuda_device)).sum().backward()
    for (pn, p), pd in zip(cpu.named_parameters(), dev.parameters()):
        assert pd.grad.is_cuda, f"{name}.{pn}: gradient left the device"
        _close(pd.grad, p.grad, f"{name}.{pn} gradient")
    for (bn, b), bd in zip(cpu.named_buffers(), dev.buffers()):
        assert bd.is_cuda
        _close(bd, b, f"{name}.{bn} buffer")


LOSSES = [
    ("cross_entropy", lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1)),
    ("nll", lambda x, t: F.nll_loss(F.log_softmax(x, 1), t)),
    ("mse", lambda x, t: F.mse_loss(x.softmax(1), F.one_hot(t, 3).double())),
    ("bce_logits", lambda x, t: F.binary_cross_entropy_with_logits(x, F.one_hot(t, 3).double())),
    ("huber", lambda x, t: F.huber_loss(x, F.one_hot(t, 3).double())),
    ("kl", lambda x, t: F.kl_div(F.log_softmax(x, 1), F.one_hot(t, 3).double() * 0.8 + 0.1 / 3,
                                 reduction="batchmean")),
]


@pytest.mark.parametrize("name,fn", LOSSES, ids=[n for n, _ in LOSSES])
def test_loss_matches_cpu(name: str, fn: Callable, cuda_device: str) -> None:
    autograd.manual_seed(1)
    x = autograd.randn(4, 3, dtype=autograd.float64, requires_grad=True)
    t = autograd.tensor([0, 2, 1, 2])
    xd = x.detach().to(cuda_device).requires_grad_(True)
    loss, lossd = fn(x, t), fn(xd, t.to(cuda_device))
    assert lossd.is_cuda and lossd.ndim == 0
    _close(lossd, loss, name)
    loss.backward()
    lossd.backward()
    _close(xd.grad, x.grad, f"{name} gradient")


OPTIMIZERS = [
    ("sgd_momentum", lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("adam", lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True)),
    ("adamw", lambda ps: optim.AdamW(ps, lr=0.01, weight_decay=0.1)),
    ("rmsprop", lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True)),
    ("adagrad", lambda ps: optim.Adagrad(ps, lr=0.1)),
]


@pytest.mark.parametrize("name,make", OPTIMIZERS, ids=[n for n, _ in OPTIMIZERS])
def test_optimizer_matches_cpu(name: str, make: Callable, cuda_device: str) -> None:
    autograd.manual_seed(2)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3)).double()
    dmodel = copy.deepcopy(model).to(cuda_device)
    opt, dopt = make(model.parameters()), make(dmodel.parameters())
    x = autograd.randn(5, 4, dtype=autograd.float64)
    t = autograd.tensor([0, 1, 2, 1, 0])
    for _ in range(3):
        for m, o, xx, tt in ((model, opt, x, t), (dmodel, dopt, x.to(cuda_device), t.to(cuda_device))):
            o.zero_grad()
            F.cross_entropy(m(xx), tt).backward()
            norm = optim.clip_grad_norm_(m.parameters(), 0.5)
            assert norm.device == xx.device
            optim.clip_grad_value_(m.parameters(), 0.2)
            o.step()
    for p, pd in zip(model.parameters(), dmodel.parameters()):
        assert pd.is_cuda
        _close(pd, p, f"{name} parameters after 3 steps")
    for key, value in dopt.state[next(iter(dmodel.parameters()))].items():
        if key != "step" and isinstance(value, autograd.Tensor):
            assert value.is_cuda, f"{name} state {key} is on {value.device}"
    # a state saved on the GPU loads into a CPU optimizer (and the other way round)
    fresh = make(model.parameters())
    fresh.load_state_dict(dopt.state_dict())
    for key, value in fresh.state[next(iter(model.parameters()))].items():
        if isinstance(value, autograd.Tensor):
            assert value.device.type == "cpu", f"{name} state {key} did not move to the CPU"


def test_training_loop_learns(cuda_device: str) -> None:
    autograd.manual_seed(3)
    x = autograd.randn(64, 2, device=cuda_device)
    y = (x[:, 0] * x[:, 1] > 0).long()
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2)).to(cuda_device)
    opt = optim.Adam(model.parameters(), lr=0.05)
    sched = optim.lr_scheduler.StepLR(opt, 20, 0.5)
    first = None
    for _ in range(60):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        sched.step()
        first = first if first is not None else loss.item()
    assert loss.item() < 0.6 * first


def test_ddp_buckets_live_on_the_device(cuda_device: str) -> None:
    autograd.manual_seed(4)
    base = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    xs = [autograd.randn(2, 3) for _ in range(2)]

    def work(rank: int) -> list:
        parallel.init_process_group("threads")
        model = copy.deepcopy(base).to(cuda_device)
        ddp = parallel.DistributedDataParallel(model, bucket_cap_mb=1e-4)
        assert all(b.xp is backend.cupy for b in ddp.reducer.buckets)
        ddp(xs[rank].to(cuda_device)).sum().backward()
        return [_host(p.grad) for p in model.parameters()]

    got = parallel.spawn(work, nprocs=2)
    ref = copy.deepcopy(base)
    for x in xs:
        ref(x).sum().backward()
    for g0, g1, p in zip(got[0], got[1], ref.parameters()):
        np.testing.assert_allclose(g0, p.grad.numpy() / 2, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(g0, g1)
