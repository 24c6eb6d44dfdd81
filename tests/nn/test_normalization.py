"""Normalization: gradients of the fused normalize op (first and second order, forward
and reverse mode), values against NumPy, and the running statistics of BatchNorm."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import autograd.nn.functional as F
from autograd import nn
from tests.autograd.harness import OpSpec, params, run_spec

RNG = np.random.default_rng(3)


def T(a, grad=False):
    return autograd.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def ref_normalize(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def _const(values):
    return autograd.tensor(values, dtype=autograd.float64)


SPECS = [
    OpSpec("batch_norm_train", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
           [((3, 2, 2), (2,), (2,)), ((4, 3), (3,), (3,))]),
    OpSpec("batch_norm_eval", lambda x, w, b: F.batch_norm(
        x, _const([0.1, -0.2]), _const([1.5, 0.5]), w, b, training=False),
        [((3, 2, 2), (2,), (2,))], gradgrad=False),
    OpSpec("layer_norm", lambda x, w, b: F.layer_norm(x, (2, 3), w, b, eps=1e-3),
           [((2, 2, 3), (2, 3), (2, 3)), ((2, 3), (2, 3), (2, 3))]),
    OpSpec("layer_norm_plain", lambda x: F.layer_norm(x, (4,)), [((3, 4),)]),
    OpSpec("group_norm", lambda x, w, b: F.group_norm(x, 2, w, b), [((2, 4, 3), (4,), (4,))]),
    OpSpec("instance_norm", lambda x, w: F.instance_norm(x, weight=w), [((2, 2, 4), (2,))],
           gradgrad=False),
    OpSpec("rms_norm", lambda x, w: F.rms_norm(x, (3,), w, eps=1e-6), [((2, 3), (3,))]),
]


@pytest.mark.parametrize("spec,shapes", params(SPECS))
def test_norm_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


# ----------------------------------------------------------------------------- values


def test_batch_norm_training_values_and_running_stats() -> None:
    x = RNG.standard_normal((4, 3, 5))
    w, b = RNG.standard_normal(3), RNG.standard_normal(3)
    rm, rv = RNG.standard_normal(3), RNG.uniform(0.5, 2.0, 3)
    run_mean, run_var = T(rm), T(rv)
    out = F.batch_norm(T(x), run_mean, run_var, T(w), T(b), training=True, momentum=0.3, eps=1e-4)
    want = ref_normalize(x, (0, 2), 1e-4) * w[:, None] + b[:, None]
    np.testing.assert_allclose(out.numpy(), want, atol=1e-12)
    np.testing.assert_allclose(run_mean.numpy(), 0.7 * rm + 0.3 * x.mean(axis=(0, 2)))
    np.testing.assert_allclose(run_var.numpy(), 0.7 * rv + 0.3 * x.var(axis=(0, 2), ddof=1))
    assert run_mean._version >= 1  # updated in place


def test_batch_norm_eval_uses_running_stats() -> None:
    x = RNG.standard_normal((2, 3, 2, 2))
    rm, rv = RNG.standard_normal(3), RNG.uniform(0.5, 2.0, 3)
    w, b = RNG.standard_normal(3), RNG.standard_normal(3)
    out = F.batch_norm(T(x), T(rm), T(rv), T(w), T(b), training=False, eps=1e-3)
    s = (slice(None), None, None)
    want = (x - rm[s]) / np.sqrt(rv[s] + 1e-3) * w[s] + b[s]
    np.testing.assert_allclose(out.numpy(), want, atol=1e-12)


def test_layer_group_instance_rms_values() -> None:
    x = RNG.standard_normal((2, 6, 2, 3))
    w = RNG.standard_normal((2, 3))
    np.testing.assert_allclose(F.layer_norm(T(x), (2, 3), T(w), T(w + 1)).numpy(),
                               ref_normalize(x, (2, 3), 1e-5) * w + w + 1, atol=1e-12)
    gw = RNG.standard_normal(6)
    grouped = ref_normalize(x.reshape(2, 3, -1), (2,), 1e-5).reshape(x.shape)
    np.testing.assert_allclose(F.group_norm(T(x), 3, T(gw), T(-gw)).numpy(),
                               grouped * gw[:, None, None] - gw[:, None, None], atol=1e-12)
    np.testing.assert_allclose(F.instance_norm(T(x)).numpy(), ref_normalize(x, (2, 3), 1e-5), atol=1e-12)
    rw = RNG.standard_normal(3)
    want = x / np.sqrt((x ** 2).mean(-1, keepdims=True) + np.finfo(np.float64).eps) * rw
    np.testing.assert_allclose(F.rms_norm(T(x), 3, T(rw)).numpy(), want, atol=1e-12)


def test_instance_norm_updates_running_stats_with_the_batch_average() -> None:
    x = RNG.standard_normal((3, 2, 5))
    rm, rv = autograd.zeros(2, dtype=autograd.float64), autograd.ones(2, dtype=autograd.float64)
    F.instance_norm(T(x), rm, rv, momentum=0.5)
    np.testing.assert_allclose(rm.numpy(), 0.5 * x.mean(axis=2).mean(axis=0))
    np.testing.assert_allclose(rv.numpy(), 0.5 + 0.5 * x.var(axis=2, ddof=1).mean(axis=0))


def test_layer_norm_is_stable_for_large_offsets_in_float32() -> None:
    x = autograd.tensor([[1e4 + 1.0, 1e4 + 2.0, 1e4 + 3.0]])
    y = F.layer_norm(x, (3,))
    np.testing.assert_allclose(y.numpy(), [[-1.2247, 0.0, 1.2247]], atol=1e-3)


def test_second_derivative_of_layer_norm_with_create_graph() -> None:
    # d2/dx2 of sum(w * layer_norm(x)) checked against central differences of the gradient
    x0 = RNG.standard_normal((2, 4))
    w = T(RNG.standard_normal(4))
    v = RNG.standard_normal((2, 4))

    def grad_at(arr):
        x = T(arr, grad=True)
        (g,) = autograd.grad((F.layer_norm(x, (4,)) * w).sum(), x, create_graph=True)
        return x, g

    x, g = grad_at(x0)
    (hv,) = autograd.grad(g, x, grad_outputs=T(v))
    eps = 1e-6
    num = ((grad_at(x0 + eps * v)[1] - grad_at(x0 - eps * v)[1]) / (2 * eps)).detach().numpy()
    # the Hessian is symmetric, so H v from reverse-over-reverse equals the directional one
    np.testing.assert_allclose(hv.numpy(), num, rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("call,exc,message", [
    (lambda: F.batch_norm(autograd.ones(4, 3), autograd.zeros(2), autograd.ones(2), training=True),
     RuntimeError, "running_mean should contain 3 elements not 2"),
    (lambda: F.batch_norm(autograd.ones(1, 3), None, None, training=True),
     ValueError, "Expected more than 1 value per channel when training, got input size [1, 3]"),
    (lambda: F.layer_norm(autograd.ones(4, 3), (4,)), RuntimeError,
     "Given normalized_shape=[4], expected input with shape [*, 4], but got input of size[4, 3]"),
    (lambda: F.layer_norm(autograd.ones(4, 3), (3,), autograd.ones(4)), RuntimeError,
     "Expected weight to be of same shape as normalized_shape, but got weight of shape [4] and "
     "normalized_shape = [3]"),
    (lambda: F.group_norm(autograd.ones(4, 6), 4), RuntimeError,
     "Expected number of channels in input to be divisible by num_groups, but got input of shape "
     "[4, 6] and num_groups=4"),
    (lambda: F.rms_norm(autograd.ones(4, 3), (4,)), RuntimeError,
     "Given normalized_shape=[4], expected input with shape [*4], but got input of size[4, 3]"),
    (lambda: nn.BatchNorm2d(3)(autograd.ones(2, 3)), ValueError, "expected 4D input (got 2D input)"),
    (lambda: nn.BatchNorm1d(3)(autograd.ones(2, 3, 4, 5)), ValueError,
     "expected 2D or 3D input (got 4D input)"),
    (lambda: nn.GroupNorm(4, 6), ValueError, "num_channels must be divisible by num_groups"),
])
def test_norm_errors(call, exc, message) -> None:
    with pytest.raises(exc) as e:
        call()
    assert message in str(e.value)


# ----------------------------------------------------------------------------- layers


def test_batchnorm_module_running_stats_momentum_and_eval() -> None:
    bn = nn.BatchNorm2d(3, momentum=0.2).double()
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    assert bn.num_batches_tracked.dtype == autograd.int64
    xs = [RNG.standard_normal((4, 3, 2, 2)) for _ in range(3)]
    rm, rv = np.zeros(3), np.ones(3)
    for x in xs:
        out = bn(T(x))
        np.testing.assert_allclose(out.detach().numpy(), ref_normalize(x, (0, 2, 3), 1e-5), atol=1e-12)
        rm = 0.8 * rm + 0.2 * x.mean(axis=(0, 2, 3))
        rv = 0.8 * rv + 0.2 * x.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(bn.running_mean.numpy(), rm)
    np.testing.assert_allclose(bn.running_var.numpy(), rv)
    assert int(bn.num_batches_tracked) == 3
    bn.eval()
    x = RNG.standard_normal((2, 3, 2, 2))
    s = (slice(None), None, None)
    np.testing.assert_allclose(bn(T(x)).detach().numpy(), (x - rm[s]) / np.sqrt(rv[s] + 1e-5),
                               atol=1e-12)
    assert int(bn.num_batches_tracked) == 3  # eval leaves the statistics alone
    np.testing.assert_allclose(bn.running_mean.numpy(), rm)


def test_batchnorm_momentum_none_is_a_cumulative_average() -> None:
    bn = nn.BatchNorm1d(2, momentum=None, affine=False).double()
    assert bn.weight is None and bn.bias is None
    xs = [RNG.standard_normal((5, 2)) for _ in range(4)]
    for x in xs:
        bn(T(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([x.mean(0) for x in xs], axis=0))
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean([x.var(0, ddof=1) for x in xs], axis=0))


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval() -> None:
    bn = nn.BatchNorm1d(2, track_running_stats=False).double().eval()
    assert bn.running_mean is None and list(bn.state_dict()) == ["weight", "bias"]
    x = RNG.standard_normal((6, 2, 3))
    np.testing.assert_allclose(bn(T(x)).detach().numpy(), ref_normalize(x, (0, 2), 1e-5), atol=1e-12)


def test_batchnorm_gradients_reach_parameters_and_state_dict_round_trips() -> None:
    bn = nn.BatchNorm1d(3)
    x = autograd.randn(8, 3, requires_grad=True)
    (bn(x) * autograd.arange(3.0)).sum().backward()
    assert bn.weight.grad.shape == (3,) and x.grad.shape == (8, 3)
    np.testing.assert_allclose(bn.bias.grad.numpy(), [0.0, 8.0, 16.0])
    other = nn.BatchNorm1d(3)
    other.load_state_dict(bn.state_dict())
    np.testing.assert_allclose(other.running_mean.numpy(), bn.running_mean.numpy())
    assert int(other.num_batches_tracked) == 1
    bn.reset_running_stats()
    assert bn.running_var.tolist() == [1.0, 1.0, 1.0] and int(bn.num_batches_tracked) == 0


def test_norm_layer_reprs_and_shapes() -> None:
    assert repr(nn.BatchNorm1d(4)) == (
        "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    )
    assert repr(nn.LayerNorm(8)) == "LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)"
    assert repr(nn.GroupNorm(2, 6)) == "GroupNorm(2, 6, eps=1e-05, affine=True, bias=True)"
    assert repr(nn.RMSNorm([4])) == "RMSNorm((4,), eps=None, elementwise_affine=True)"
    ln = nn.LayerNorm((2, 3), bias=False)
    assert ln.bias is None and ln.weight.tolist() == [[1.0] * 3] * 2
    assert nn.LayerNorm(3, elementwise_affine=False).weight is None
    x = autograd.randn(2, 4, 3)
    assert ln(autograd.randn(5, 2, 3)).shape == (5, 2, 3)
    assert nn.GroupNorm(2, 4)(x).shape == (2, 4, 3)
    assert nn.RMSNorm(3)(x).shape == (2, 4, 3)
    assert nn.InstanceNorm1d(4)(x).shape == (2, 4, 3)
    assert nn.InstanceNorm2d(4, affine=True)(autograd.randn(4, 3, 3)).shape == (4, 3, 3)
    assert nn.BatchNorm3d(4)(autograd.randn(2, 4, 2, 2, 2)).shape == (2, 4, 2, 2, 2)


def test_norm_modules_match_functional() -> None:
    x = RNG.standard_normal((3, 4, 5))
    ln = nn.LayerNorm(5, eps=1e-3).double()
    with autograd.no_grad():
        ln.weight.copy_(T(RNG.standard_normal(5)))
        ln.bias.copy_(T(RNG.standard_normal(5)))
    want = ref_normalize(x, (2,), 1e-3) * ln.weight.detach().numpy() + ln.bias.detach().numpy()
    np.testing.assert_allclose(ln(T(x)).detach().numpy(), want, atol=1e-12)
    rms = nn.RMSNorm(5, eps=1e-4).double()
    want = x / np.sqrt((x ** 2).mean(-1, keepdims=True) + 1e-4)
    np.testing.assert_allclose(rms(T(x)).detach().numpy(), want, atol=1e-12)
