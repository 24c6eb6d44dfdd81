"""nn.init: fan computations, gains, distribution statistics and bounds, generators,
no_grad behaviour; nn.utils: parameters_to_vector / vector_to_parameters and the
clipping re-exports."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
from autograd import nn
from autograd.nn import init


def test_calculate_gain() -> None:
    assert init.calculate_gain("linear") == 1.0
    assert init.calculate_gain("conv2d") == 1.0
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_fan_computation() -> None:
    assert init._calculate_fan_in_and_fan_out(autograd.empty(5, 3)) == (3, 5)
    assert init._calculate_fan_in_and_fan_out(autograd.empty(8, 4, 3, 3)) == (36, 72)
    assert init._calculate_fan_in_and_fan_out(autograd.empty(6, 2, 5)) == (10, 30)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(autograd.empty(4))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(autograd.empty(2, 2), mode="fan_avg")


def _stats(t: autograd.Tensor) -> tuple[float, float, float]:
    a = t.numpy().astype(np.float64)
    return float(a.mean()), float(a.std()), float(np.abs(a).max())


def test_uniform_and_normal_statistics() -> None:
    g = autograd.Generator().manual_seed(0)
    mean, std, mx = _stats(init.uniform_(autograd.empty(200, 200), -2.0, 4.0, generator=g))
    assert abs(mean - 1.0) < 0.05 and abs(std - 6 / math.sqrt(12)) < 0.02 and mx <= 4.0
    mean, std, _ = _stats(init.normal_(autograd.empty(200, 200), 3.0, 0.5, generator=g))
    assert abs(mean - 3.0) < 0.01 and abs(std - 0.5) < 0.01


def test_trunc_normal_bounds_and_statistics() -> None:
    g = autograd.Generator().manual_seed(1)
    w = init.trunc_normal_(autograd.empty(300, 300), mean=0.0, std=1.0, a=-1.0, b=2.0, generator=g)
    a = w.numpy()
    assert a.min() >= -1.0 and a.max() <= 2.0
    # mean of N(0,1) truncated to [-1, 2]: (phi(-1) - phi(2)) / (Phi(2) - Phi(-1))
    phi = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    Phi = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    expected = (phi(-1) - phi(2)) / (Phi(2) - Phi(-1))
    assert abs(a.mean() - expected) < 0.01
    with pytest.raises(ValueError, match="expected a < b"):
        init.trunc_normal_(autograd.empty(2), a=1.0, b=0.0)


def test_xavier_statistics() -> None:
    g = autograd.Generator().manual_seed(2)
    w = init.xavier_uniform_(autograd.empty(300, 500), gain=2.0, generator=g)
    bound = 2.0 * math.sqrt(6 / 800)
    _, std, mx = _stats(w)
    assert mx <= bound and mx > 0.99 * bound and abs(std - bound / math.sqrt(3)) < 0.01 * bound
    w = init.xavier_normal_(autograd.empty(300, 500), generator=g)
    assert abs(_stats(w)[1] - math.sqrt(2 / 800)) < 0.002


def test_kaiming_statistics_modes_and_nonlinearity() -> None:
    g = autograd.Generator().manual_seed(3)
    w = init.kaiming_uniform_(autograd.empty(400, 100), a=0, mode="fan_in", nonlinearity="relu",
                              generator=g)
    bound = math.sqrt(2) * math.sqrt(3 / 100)
    assert _stats(w)[2] <= bound and _stats(w)[2] > 0.99 * bound
    w = init.kaiming_normal_(autograd.empty(400, 100), mode="fan_out", nonlinearity="relu",
                             generator=g)
    assert abs(_stats(w)[1] - math.sqrt(2 / 400)) < 0.002
    w = init.kaiming_normal_(autograd.empty(100, 10, 3, 3), a=0.2, generator=g)
    assert abs(_stats(w)[1] - math.sqrt(2 / 1.04) / math.sqrt(90)) < 0.005
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        init.kaiming_uniform_(autograd.empty(0, 3))


def test_orthogonal() -> None:
    g = autograd.Generator().manual_seed(4)
    for shape in [(6, 6), (3, 8), (8, 3), (4, 2, 3)]:
        w = init.orthogonal_(autograd.empty(*shape, dtype=autograd.float64), gain=2.0, generator=g)
        m = w.numpy().reshape(shape[0], -1)
        if m.shape[0] <= m.shape[1]:
            assert np.allclose(m @ m.T, 4 * np.eye(m.shape[0]), atol=1e-10)
        else:
            assert np.allclose(m.T @ m, 4 * np.eye(m.shape[1]), atol=1e-10)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(autograd.empty(3))


def test_constants_eye_dirac_sparse() -> None:
    assert init.constant_(autograd.empty(2, 2), 0.5).tolist() == [[0.5, 0.5], [0.5, 0.5]]
    assert init.zeros_(autograd.ones(3)).tolist() == [0.0] * 3
    assert init.ones_(autograd.zeros(2)).tolist() == [1.0, 1.0]
    assert np.array_equal(init.eye_(autograd.empty(3, 4)).numpy(), np.eye(3, 4))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.eye_(autograd.empty(2, 2, 2))
    w = init.dirac_(autograd.empty(4, 2, 3, 3), groups=2).numpy()
    assert w.sum() == 4 and w[0, 0, 1, 1] == 1 and w[1, 1, 1, 1] == 1 and w[2, 0, 1, 1] == 1
    s = init.sparse_(autograd.empty(10, 4), sparsity=0.3, generator=autograd.Generator().manual_seed(0))
    assert ((s.numpy() == 0).sum(0) == 3).all()


def test_init_runs_under_no_grad_on_parameters_and_generators_reproduce() -> None:
    p = nn.Parameter(autograd.empty(3, 3))
    out = init.xavier_uniform_(p)
    assert out is p and p.is_leaf and p.grad_fn is None and p.requires_grad
    a = init.normal_(autograd.empty(5), generator=autograd.Generator().manual_seed(7)).numpy()
    b = init.normal_(autograd.empty(5), generator=autograd.Generator().manual_seed(7)).numpy()
    assert np.array_equal(a, b)
    version = p._version
    init.zeros_(p)
    assert p._version > version


def test_default_layer_initialisations_match_pytorch_recipes() -> None:
    autograd.manual_seed(0)
    lin = nn.Linear(50, 400)
    w = lin.weight.detach().numpy()
    # kaiming_uniform_(a=sqrt(5)) == U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    bound = 1 / math.sqrt(50)
    assert np.abs(w).max() <= bound and abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    emb = nn.Embedding(400, 50)
    e = emb.weight.detach().numpy()
    assert abs(e.mean()) < 0.02 and abs(e.std() - 1.0) < 0.02


# ----------------------------------------------------------------------------- nn.utils


def test_parameters_to_vector_round_trip() -> None:
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = nn.utils.parameters_to_vector(model.parameters())
    assert vec.shape == (11,)
    expected = np.concatenate([p.detach().numpy().reshape(-1) for p in model.parameters()])
    assert np.array_equal(vec.detach().numpy(), expected)
    params = list(model.parameters())
    new = autograd.arange(11.0)
    nn.utils.vector_to_parameters(new, model.parameters())
    assert [p is q for p, q in zip(params, model.parameters())] == [True] * 4
    assert np.array_equal(nn.utils.parameters_to_vector(model.parameters()).detach().numpy(),
                          np.arange(11.0))
    # differentiable: the gradient of a function of the vector reaches the parameters
    (nn.utils.parameters_to_vector(model.parameters()) ** 2).sum().backward()
    assert np.allclose(model[0].weight.grad.numpy(), 2 * np.arange(6.0).reshape(2, 3))
    with pytest.raises(RuntimeError, match="vec has 3 elements but the parameters hold 11"):
        nn.utils.vector_to_parameters(autograd.ones(3), model.parameters())
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        nn.utils.vector_to_parameters([1.0], model.parameters())


def test_clip_grad_reexports() -> None:
    w = autograd.tensor([3.0, 4.0], requires_grad=True)
    w.grad = autograd.tensor([3.0, 4.0])
    total = nn.utils.clip_grad_norm_([w], max_norm=1.0)
    assert float(total) == pytest.approx(5.0)
    assert np.allclose(w.grad.numpy(), [0.6, 0.8], atol=1e-5)
    w.grad = autograd.tensor([-3.0, 0.5])
    nn.utils.clip_grad_value_([w], 1.0)
    assert w.grad.tolist() == [-1.0, 0.5]
    from autograd.nn.utils.clip_grad import clip_grad_norm

    w.grad = autograd.tensor([0.0, 2.0])
    assert float(clip_grad_norm([w], 1.0)) == pytest.approx(2.0)


def test_seed_tensor_hook_with_clip_grad_norm() -> None:
    """The seed's tensor hook calls nn.utils.clip_grad_norm_ on the tensor itself."""
    seen = []

    def gradient_monitor_hook(tensor):
        def hook_fn(grad):
            seen.append((float(grad.norm()), float(grad.mean())))
            nn.utils.clip_grad_norm_([tensor], max_norm=1.0)
            return grad
        return hook_fn

    x = autograd.randn(100, requires_grad=True)
    handle = x.register_hook(gradient_monitor_hook(x))
    (x ** 2).sum().backward()
    handle.remove()
    assert len(seen) == 1
    assert np.allclose(x.grad.numpy(), 2 * x.detach().numpy())
