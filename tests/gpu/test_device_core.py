"""Device moves, mixing errors, the default device, GPU random streams and checkpoints
of device tensors — on the fake CuPy (dispatch) and, where present, a real GPU."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import parallel
from autograd import backend, nn
from autograd.nn import functional as F


def _host(t: autograd.Tensor) -> np.ndarray:
    return backend.to_host(t.detach()._data)


def test_tensor_moves_and_gradients_flow_back(cuda_device: str) -> None:
    x = autograd.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = x.to(cuda_device)
    assert y.device.type == "cuda" and y.is_cuda and y.device == autograd.device("cuda:0")
    assert y.cpu().device == autograd.device("cpu") and x.cuda().is_cuda
    assert y.to(cuda_device) is y and x.to("cpu") is x
    z = (y * y).sum()
    z.backward()
    assert x.grad.device.type == "cpu", "the gradient of a move goes back to the source device"
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -4.0, 6.0])
    both = x.to(cuda_device, autograd.float64)
    assert both.dtype == autograd.float64 and both.is_cuda
    assert autograd.zeros(2).to(y).device == y.device
    assert y.tolist() == [1.0, -2.0, 3.0] and float(y.sum()) == 2.0


def test_numpy_of_a_device_tensor_says_how(cuda_device: str) -> None:
    y = autograd.ones(2, device=cuda_device)
    with pytest.raises(TypeError, match=r"can't convert cuda:0 device type tensor to numpy\. Use Tensor\.cpu\(\)"):
        y.numpy()
    np.testing.assert_array_equal(np.asarray(y.cpu()), [1.0, 1.0])


def test_mixing_devices_is_a_clear_error(cuda_device: str) -> None:
    a = autograd.ones(3, device=cuda_device)
    b = autograd.ones(3)
    with pytest.raises(RuntimeError, match=r"Expected all tensors to be on the same device.*\.to\(device\)"):
        a + b
    with pytest.raises(RuntimeError, match="same device"):
        autograd.matmul(a.reshape(1, 3), b.reshape(3, 1))
    logits = autograd.zeros(2, 3, device=cuda_device)
    target = autograd.tensor([0, 1], device=cuda_device)
    with pytest.raises(RuntimeError, match=r"cross_entropy got its input on cuda:0 and weight on cpu"):
        F.cross_entropy(logits, target, weight=autograd.ones(3))


def test_second_gpu_moves_and_refuses_mixing(fake_cuda: str) -> None:
    a = autograd.arange(4.0, device="cuda:1")
    assert a.device == autograd.device("cuda:1")
    b = a.to("cuda:0")
    assert b.device == autograd.device("cuda:0") and b.tolist() == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(RuntimeError, match=r"same device.*cuda:[01].*cuda:[01]"):
        a + b
    with pytest.raises(RuntimeError, match="has 2 CUDA device"):
        autograd.zeros(1, device="cuda:2")


def test_cuda_without_cupy_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend, "cupy", None)
    with pytest.raises(RuntimeError, match=r"needs CuPy, which is not installed.*dtensor\[cuda12\]"):
        autograd.zeros(1, device="cuda")
    assert not autograd.cuda.is_available() and autograd.cuda.device_count() == 0


def test_default_device(cuda_device: str) -> None:
    with autograd.device(cuda_device):
        assert autograd.zeros(2).is_cuda and autograd.tensor([1, 2]).is_cuda
        assert autograd.randn(3).is_cuda and autograd.arange(3).is_cuda
        assert autograd.get_default_device().type == "cuda"
        assert autograd.zeros(1, device="cpu").device.type == "cpu"
    assert autograd.zeros(1).device.type == "cpu"
    autograd.set_default_device(cuda_device)
    try:
        assert autograd.eye(2).is_cuda
    finally:
        autograd.set_default_device(None)
    assert autograd.get_default_device() == autograd.device("cpu")


def test_module_to_cuda_and_back(cuda_device: str) -> None:
    autograd.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    ref = [p.detach().clone() for p in m.parameters()]
    assert m.to(cuda_device) is m
    assert all(p.is_cuda for p in m.parameters()) and all(b.is_cuda for b in m.buffers())
    out = m(autograd.randn(5, 3, device=cuda_device))
    out.sum().backward()
    assert all(p.grad is not None and p.grad.is_cuda for p in m.parameters())
    assert all(t.is_cuda for t in m.state_dict().values())
    m.cpu()
    assert all(p.device.type == "cpu" for p in m.parameters())
    assert all(p.grad.device.type == "cpu" for p in m.parameters())
    for p, r in zip(m.parameters(), ref):
        np.testing.assert_array_equal(p.detach().numpy(), r.numpy())
    m.cuda()
    m2 = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    m2.load_state_dict(m.state_dict())  # device tensors into a CPU module copy across
    assert all(p.device.type == "cpu" for p in m2.parameters())


# ----------------------------------------------------------------------------- random


def test_gpu_stream_state_round_trips_exactly(cuda_device: str) -> None:
    autograd.manual_seed(7)
    gen = autograd.default_generator("cuda")
    assert gen.device == autograd.device("cuda:0") and gen.initial_seed() == 7
    first = _host(autograd.randn(5, device=cuda_device))
    state = gen.get_state()
    after = [_host(autograd.rand(4, device=cuda_device)),
             _host(autograd.randint(0, 9, (6,), device=cuda_device)),
             _host(autograd.randperm(5, device=cuda_device))]
    gen.set_state(state)
    again = [_host(autograd.rand(4, device=cuda_device)),
             _host(autograd.randint(0, 9, (6,), device=cuda_device)),
             _host(autograd.randperm(5, device=cuda_device))]
    for a, b in zip(after, again):
        np.testing.assert_array_equal(a, b)
    autograd.manual_seed(7)
    np.testing.assert_array_equal(_host(autograd.randn(5, device=cuda_device)), first)
    assert not np.array_equal(first, _host(autograd.randn(5, device=cuda_device)))
    with pytest.raises(RuntimeError, match="belongs to the CPU generator"):
        gen.set_state(autograd.default_generator("cpu").get_state())
    with pytest.raises(RuntimeError, match="belongs to a GPU generator"):
        autograd.default_generator("cpu").set_state(state)


def test_gpu_generators_and_fork_rng(cuda_device: str) -> None:
    g = autograd.Generator(device=cuda_device).manual_seed(3)
    a = _host(autograd.rand(3, generator=g, device=cuda_device))
    g.manual_seed(3)
    np.testing.assert_array_equal(a, _host(autograd.rand(3, generator=g, device=cuda_device)))
    with pytest.raises(RuntimeError, match="Expected a 'cpu' generator"):
        autograd.rand(2, generator=g)
    autograd.manual_seed(1)
    with autograd.random.fork_rng():
        inside = _host(autograd.rand(3, device=cuda_device))
    np.testing.assert_array_equal(inside, _host(autograd.rand(3, device=cuda_device)))
    x = autograd.ones(100, device=cuda_device)
    assert F.dropout(x, 0.5).is_cuda and autograd.bernoulli(x * 0.5).is_cuda
    assert autograd.multinomial(autograd.tensor([0.0, 1.0], device=cuda_device), 2, True).tolist() == [1, 1]
    assert autograd.nn.init.normal_(autograd.empty(3, device=cuda_device)).is_cuda


def test_virtual_ranks_get_their_own_gpu_streams(cuda_device: str) -> None:
    def draw(rank: int) -> list:
        return autograd.randn(3, device=cuda_device).tolist()

    one = parallel.spawn(draw, nprocs=2, seed=11)
    again = parallel.spawn(draw, nprocs=2, seed=11)
    assert one == again and one[0] != one[1]
    autograd.manual_seed(12)
    assert one[1] == autograd.randn(3, device=cuda_device).tolist()


# ----------------------------------------------------------------------------- checkpoints


def test_checkpoint_of_device_state(cuda_device: str, tmp_path: object) -> None:
    import optim
    from launch.checkpoint import Checkpointer

    autograd.manual_seed(0)
    model = nn.Linear(3, 2).to(cuda_device)
    opt = optim.Adam(model.parameters(), lr=0.1)
    model(autograd.randn(4, 3, device=cuda_device)).sum().backward()
    opt.step()
    ck = Checkpointer(str(tmp_path), keep=1)
    ck.save(1, model=model, optimizer=opt)
    expected = _host(autograd.randn(4, device=cuda_device))

    fresh = nn.Linear(3, 2).to(cuda_device)
    fresh_opt = optim.Adam(fresh.parameters(), lr=0.1)
    autograd.manual_seed(99)
    autograd.randn(2, device=cuda_device)
    state = ck.load(model=fresh, optimizer=fresh_opt)
    assert state.step == 1
    for p, q in zip(model.parameters(), fresh.parameters()):
        assert q.is_cuda
        np.testing.assert_array_equal(_host(p), _host(q))
    moments = fresh_opt.state[fresh.weight]
    assert moments["exp_avg"].is_cuda and moments["step"].device.type == "cpu"
    np.testing.assert_array_equal(_host(autograd.randn(4, device=cuda_device)), expected)
