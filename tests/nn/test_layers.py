"""Layers and their functional forms: values against NumPy references, float64 gradient
checks (first and second order, forward mode) through the shared harness, default
initialisations and layer options."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
import autograd.nn.functional as F
from autograd import nn
from tests.autograd.harness import OpSpec, away_from, params, run_spec

SHAPES = [((4,),), ((2, 3),)]


def away(points: list[float]):
    return away_from(points, -3.0, 3.0, 0.05)


def np_erf(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf)(x)


def np_softplus(x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    return np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)


SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

# name, function, NumPy reference, kinks to avoid
ACTIVATIONS = [
    ("relu", F.relu, lambda x: np.maximum(x, 0), [0.0]),
    ("relu6", F.relu6, lambda x: np.clip(x, 0, 6), [0.0, 6.0]),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x), [0.0]),
    ("elu", lambda x: F.elu(x, 1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(x)), [0.0]),
    ("selu", F.selu, lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(x)), [0.0]),
    ("celu", lambda x: F.celu(x, 2.0), lambda x: np.maximum(x, 0) + np.minimum(0, 2 * np.expm1(x / 2)), [0.0]),
    ("gelu", F.gelu, lambda x: 0.5 * x * (1 + np_erf(x / np.sqrt(2))), []),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"),
     lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))), []),
    ("silu", F.silu, lambda x: x / (1 + np.exp(-x)), []),
    ("mish", F.mish, lambda x: x * np.tanh(np.log1p(np.exp(x))), []),
    ("softplus", lambda x: F.softplus(x, beta=2.0, threshold=3.0),
     lambda x: np_softplus(x, 2.0, 3.0), [1.5]),
    ("softsign", F.softsign, lambda x: x / (1 + np.abs(x)), [0.0]),
    ("tanh", F.tanh, np.tanh, []),
    ("sigmoid", F.sigmoid, lambda x: 1 / (1 + np.exp(-x)), []),
    ("hardtanh", lambda x: F.hardtanh(x, -0.5, 1.5), lambda x: np.clip(x, -0.5, 1.5), [-0.5, 1.5]),
    ("hardsigmoid", F.hardsigmoid, lambda x: np.clip(x + 3, 0, 6) / 6, [-3.0, 3.0]),
    ("hardswish", F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6, [-3.0, 3.0]),
    ("logsigmoid", F.logsigmoid, lambda x: -np.log1p(np.exp(-x)), []),
    ("threshold", lambda x: F.threshold(x, 0.5, -2.0), lambda x: np.where(x > 0.5, x, -2.0), [0.5]),
    ("tanhshrink", F.tanhshrink, lambda x: x - np.tanh(x), []),
    ("softshrink", F.softshrink, lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)),
     [-0.5, 0.5]),
    ("hardshrink", F.hardshrink, lambda x: np.where(np.abs(x) > 0.5, x, 0), [-0.5, 0.5]),
]


@pytest.mark.parametrize("name,fn,ref,kinks", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_values(name, fn, ref, kinks) -> None:
    x = np.linspace(-5, 5, 41)
    out = fn(autograd.tensor(x, dtype=autograd.float64)).numpy()
    assert np.allclose(out, ref(x), atol=1e-12, rtol=1e-10), name


GRAD_SPECS = [
    OpSpec(name, fn, SHAPES, domain=away(kinks)) for name, fn, _, kinks in ACTIVATIONS
] + [
    OpSpec("softmax", lambda x: F.softmax(x, dim=-1), SHAPES),
    OpSpec("log_softmax", lambda x: F.log_softmax(x, dim=0), SHAPES),
    OpSpec("softmin", lambda x: F.softmin(x, dim=-1), SHAPES),
    OpSpec("glu", lambda x: F.glu(x, -1), [((4,),), ((3, 2),)]),
    OpSpec("prelu_shared", F.prelu, [((3, 4), (1,))], domain=away([0.0])),
    OpSpec("prelu_channels", F.prelu, [((2, 3, 2), (3,)), ((2, 3), (3,))], domain=away([0.0])),
    OpSpec("linear", F.linear, [((4, 3), (2, 3), (2,)), ((3,), (2, 3), (2,)), ((2, 2, 3), (5, 3), (5,))]),
    OpSpec("linear_nobias", lambda x, w: F.linear(x, w), [((4, 3), (2, 3))]),
    OpSpec("bilinear", F.bilinear, [((3, 2), (3, 4), (5, 2, 4), (5,))]),
    OpSpec("normalize", lambda x: F.normalize(x, dim=-1), SHAPES, domain=(0.2, 2.0)),
    OpSpec("cosine_similarity", lambda a, b: F.cosine_similarity(a, b, dim=-1),
           [((2, 3), (2, 3)), ((2, 3), (3,))]),
    OpSpec("pairwise_distance", F.pairwise_distance, [((2, 3), (2, 3))]),
]


@pytest.mark.parametrize("spec,shapes", params(GRAD_SPECS))
def test_functional_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


def test_embedding_gradients() -> None:
    idx = autograd.tensor([[0, 2, 2], [1, 0, 3]])

    def fn(w):
        return F.embedding(idx, w)

    w = autograd.randn(4, 3, dtype=autograd.float64, requires_grad=True)
    assert autograd.gradcheck(fn, (w,), check_forward_ad=True)
    assert autograd.gradgradcheck(fn, (w,))

    def freq(w):
        return F.embedding(idx, w, scale_grad_by_freq=True)

    # scale_grad_by_freq changes the gradient only (not a true derivative): check it directly
    freq(w).sum().backward()
    counts = np.bincount(idx.numpy().reshape(-1), minlength=4)
    assert np.allclose(w.grad.numpy(), np.ones((4, 3)) * (counts > 0)[:, None])


def test_softmax_and_log_softmax_values() -> None:
    x = np.random.default_rng(0).normal(size=(3, 5))
    t = autograd.tensor(x)
    e = np.exp(x - x.max(1, keepdims=True))
    sm = e / e.sum(1, keepdims=True)
    assert np.allclose(F.softmax(t, dim=1).numpy(), sm)
    assert np.allclose(F.log_softmax(t, dim=1).numpy(), np.log(sm))
    assert np.allclose(nn.Softmin(dim=1)(t).numpy(), F.softmax(-t, dim=1).numpy())
    assert np.allclose(nn.LogSoftmax(dim=1)(t).numpy(), np.log(sm))
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        assert np.allclose(F.softmax(t).numpy(), sm)


def test_inplace_activations_write_into_input_and_keep_gradients() -> None:
    x = autograd.tensor([-1.0, 0.5, 2.0], dtype=autograd.float64, requires_grad=True)
    y = x * 1.0
    out = nn.LeakyReLU(0.1, inplace=True)(y)
    assert out is y and y.tolist() == [-0.1, 0.5, 2.0]
    out.sum().backward()
    assert np.allclose(x.grad.numpy(), [0.1, 1.0, 1.0])
    z = autograd.tensor([-1.0, 3.0])
    assert F.relu_(z) is z and z.tolist() == [0.0, 3.0]
    h = autograd.tensor([-4.0, 4.0])
    F.hardtanh_(h)
    assert h.tolist() == [-1.0, 1.0]
    for mod in (nn.ReLU(True), nn.ELU(inplace=True), nn.SiLU(True), nn.Hardtanh(inplace=True)):
        v = autograd.tensor([-1.0, 1.0], dtype=autograd.float64, requires_grad=True)
        w = v * 2
        assert mod(w) is w


def test_activation_modules_and_reprs() -> None:
    x = autograd.tensor([-2.0, 0.5, 3.0], dtype=autograd.float64)
    pairs = [
        (nn.ReLU(), F.relu(x)), (nn.ReLU6(), F.relu6(x)), (nn.LeakyReLU(0.3), F.leaky_relu(x, 0.3)),
        (nn.ELU(0.5), F.elu(x, 0.5)), (nn.SELU(), F.selu(x)), (nn.CELU(0.7), F.celu(x, 0.7)),
        (nn.GELU(), F.gelu(x)), (nn.GELU("tanh"), F.gelu(x, approximate="tanh")),
        (nn.SiLU(), F.silu(x)), (nn.Mish(), F.mish(x)), (nn.Softplus(2.0, 5.0), F.softplus(x, 2.0, 5.0)),
        (nn.Tanh(), F.tanh(x)), (nn.Sigmoid(), F.sigmoid(x)), (nn.Hardtanh(-1.5, 1.5), F.hardtanh(x, -1.5, 1.5)),
        (nn.Hardsigmoid(), F.hardsigmoid(x)), (nn.Hardswish(), F.hardswish(x)),
        (nn.LogSigmoid(), F.logsigmoid(x)), (nn.Softsign(), F.softsign(x)),
        (nn.Threshold(0.1, 9.0), F.threshold(x, 0.1, 9.0)), (nn.Tanhshrink(), F.tanhshrink(x)),
        (nn.Softshrink(1.0), F.softshrink(x, 1.0)), (nn.Hardshrink(1.0), F.hardshrink(x, 1.0)),
    ]
    for mod, ref in pairs:
        assert np.allclose(mod(x).numpy(), ref.numpy()), repr(mod)
    assert [repr(m) for m in (nn.ReLU(), nn.ReLU(inplace=True), nn.LeakyReLU(), nn.ELU(),
                              nn.GELU(), nn.Hardtanh(), nn.ReLU6(), nn.Softmax(dim=1),
                              nn.Softplus(), nn.PReLU(), nn.Threshold(0.1, 20.0))] == [
        "ReLU()", "ReLU(inplace=True)", "LeakyReLU(negative_slope=0.01)", "ELU(alpha=1.0)",
        "GELU(approximate='none')", "Hardtanh(min_val=-1.0, max_val=1.0)", "ReLU6()",
        "Softmax(dim=1)", "Softplus(beta=1.0, threshold=20.0)", "PReLU(num_parameters=1)",
        "Threshold(threshold=0.1, value=20.0)",
    ]
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
    with pytest.raises(RuntimeError, match="approximate must be 'none' or 'tanh'"):
        F.gelu(x, approximate="fast")


def test_prelu_module_learns_per_channel_slopes() -> None:
    m = nn.PReLU(3)
    assert m.weight.tolist() == [0.25] * 3
    x = autograd.tensor(np.array([[[-1.0], [2.0], [-3.0]]]))
    out = m(x.float())
    assert np.allclose(out.detach().numpy().reshape(-1), [-0.25, 2.0, -0.75])
    out.sum().backward()
    assert np.allclose(m.weight.grad.numpy(), [-1.0, 0.0, -3.0])
    with pytest.raises(RuntimeError, match="mismatch of parameter numbers and input channel size"):
        m(autograd.ones(2, 4))


def test_activations_are_stable_for_large_inputs() -> None:
    x = autograd.tensor([-1000.0, 0.0, 1000.0], dtype=autograd.float64, requires_grad=True)
    y = F.logsigmoid(x)
    assert np.allclose(y.detach().numpy(), [-1000.0, -math.log(2), 0.0])
    y.sum().backward()
    assert np.allclose(x.grad.numpy(), [1.0, 0.5, 0.0])
    assert np.isfinite(F.softplus(x).detach().numpy()).all()
    assert np.isfinite(F.mish(x).detach().numpy()).all()
    assert np.isfinite(F.elu(x).detach().numpy()).all()


# ----------------------------------------------------------------------------- linear layers


def test_linear_values_init_and_options() -> None:
    autograd.manual_seed(0)
    lin = nn.Linear(20, 7)
    w, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    assert w.shape == (7, 20) and b.shape == (7,)
    bound = 1 / math.sqrt(20)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.8 * bound  # spread over the whole range
    x = np.random.default_rng(1).normal(size=(5, 20)).astype(np.float32)
    assert np.allclose(lin(autograd.tensor(x)).detach().numpy(), x @ w.T + b, atol=1e-5)
    assert lin(autograd.tensor(x[0])).shape == (7,)
    nb = nn.Linear(3, 2, bias=False)
    assert nb.bias is None and [n for n, _ in nb.named_parameters()] == ["weight"]
    d = nn.Linear(3, 2, dtype=autograd.float64, device="cpu")
    assert d.weight.dtype == autograd.float64 and d.bias.dtype == autograd.float64
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        lin(autograd.ones(2, 3))


def test_linear_init_is_reproducible_with_seed() -> None:
    autograd.manual_seed(123)
    a = nn.Linear(4, 4).weight.detach().numpy()
    autograd.manual_seed(123)
    b = nn.Linear(4, 4).weight.detach().numpy()
    assert np.array_equal(a, b)


def test_bilinear_and_identity() -> None:
    autograd.manual_seed(0)
    m = nn.Bilinear(2, 3, 4, dtype=autograd.float64)
    assert np.abs(m.weight.detach().numpy()).max() <= 1 / math.sqrt(2)
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=(5, 2)), rng.normal(size=(5, 3))
    ref = np.einsum("ni,oij,nj->no", x1, m.weight.detach().numpy(), x2) + m.bias.detach().numpy()
    assert np.allclose(m(autograd.tensor(x1), autograd.tensor(x2)).detach().numpy(), ref)
    assert repr(m) == "Bilinear(in1_features=2, in2_features=3, out_features=4, bias=True)"
    x = autograd.ones(2)
    assert nn.Identity(3, foo=1)(x) is x


def test_flatten_unflatten() -> None:
    x = autograd.arange(24.0).reshape(2, 3, 4)
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    assert nn.Unflatten(1, (3, 1))(autograd.ones(2, 3)).shape == (2, 3, 1)
    assert np.array_equal(nn.Unflatten(1, (2, 6))(nn.Flatten()(x)).numpy().reshape(-1),
                          np.arange(24.0))
    assert repr(nn.Unflatten(1, (2, 6))) == "Unflatten(dim=1, unflattened_size=(2, 6))"


# ----------------------------------------------------------------------------- dropout


def test_dropout_statistics_and_gradient() -> None:
    autograd.manual_seed(0)
    x = autograd.ones(200, 100, dtype=autograd.float64, requires_grad=True)
    y = F.dropout(x, p=0.3)
    vals = y.detach().numpy()
    assert set(np.unique(vals)) <= {0.0, 1 / 0.7}
    assert abs((vals == 0).mean() - 0.3) < 0.02
    y.sum().backward()
    assert np.array_equal(x.grad.numpy(), vals)  # gradient goes through the same mask
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 1.0).detach().numpy().max() == 0.0
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.dropout(x, 1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(-0.1)


def test_channel_dropout_zeroes_whole_channels() -> None:
    autograd.manual_seed(1)
    y = nn.Dropout2d(0.5)(autograd.ones(4, 8, 3, 3)).numpy()
    per_channel = y.reshape(4, 8, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))
    y1 = F.dropout1d(autograd.ones(6, 5), 0.5).numpy()  # unbatched (C, L)
    assert np.all((y1 == 0).all(-1) | (y1 == 2.0).all(-1))
    with pytest.raises(RuntimeError, match="Expected 2D or 3D input"):
        F.dropout1d(autograd.ones(2, 2, 2, 2))


def test_alpha_dropout_keeps_selu_statistics() -> None:
    autograd.manual_seed(0)
    x = autograd.randn(200000, dtype=autograd.float64)
    y = nn.AlphaDropout(0.2)(x).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1.0) < 0.02
    assert nn.AlphaDropout(0.2).eval()(x) is x


def test_dropout_inplace() -> None:
    autograd.manual_seed(0)
    x = autograd.ones(10, 10)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and set(np.unique(x.numpy())) <= {0.0, 2.0}


# ----------------------------------------------------------------------------- embedding


def test_embedding_lookup_padding_and_gradients() -> None:
    autograd.manual_seed(0)
    emb = nn.Embedding(5, 3, padding_idx=1)
    w = emb.weight.detach().numpy().copy()
    assert np.array_equal(w[1], np.zeros(3))
    assert 0.3 < np.abs(w[[0, 2, 3, 4]]).mean() < 1.5  # N(0, 1) init
    idx = autograd.tensor([[0, 1, 4], [4, 4, 1]])
    out = emb(idx)
    assert out.shape == (2, 3, 3) and np.array_equal(out.detach().numpy(), w[idx.numpy()])
    out.sum().backward()
    g = emb.weight.grad.numpy()
    assert np.array_equal(g[:, 0], [1.0, 0.0, 0.0, 0.0, 3.0])  # padding row gets no gradient
    assert repr(emb) == "Embedding(5, 3, padding_idx=1)"
    with pytest.raises(IndexError, match="index out of range"):
        emb(autograd.tensor([5]))
    with pytest.raises(IndexError, match="index out of range"):
        emb(autograd.tensor([-1]))
    with pytest.raises(RuntimeError, match="'indices'"):
        emb(autograd.tensor([0.0]))
    with pytest.raises(ValueError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=3)


def test_embedding_max_norm_and_from_pretrained() -> None:
    table = autograd.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    emb = nn.Embedding.from_pretrained(table.clone(), max_norm=1.0)
    assert not emb.weight.requires_grad
    out = emb(autograd.tensor([0, 1]))
    assert np.allclose(out.numpy(), [[0.6, 0.8], [0.3, 0.4]], atol=1e-6)
    # looked-up rows were renormalised in place, the others were left alone
    assert np.allclose(emb.weight.numpy()[0], [0.6, 0.8], atol=1e-6)
    assert np.allclose(emb.weight.numpy()[2], [6.0, 8.0])
    trainable = nn.Embedding.from_pretrained(table, freeze=False)
    assert trainable.weight.requires_grad


def test_one_hot() -> None:
    out = F.one_hot(autograd.tensor([[0, 2], [1, 1]]))
    assert out.dtype == autograd.int64 and out.shape == (2, 2, 3)
    assert np.array_equal(out.numpy(), np.eye(3, dtype=np.int64)[[[0, 2], [1, 1]]])
    assert F.one_hot(autograd.tensor([1]), 4).tolist() == [[0, 1, 0, 0]]
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
        F.one_hot(autograd.tensor([3]), 3)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(autograd.tensor([-1]))


def test_misc_functional_values() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    ta, tb = autograd.tensor(a), autograd.tensor(b)
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    assert np.allclose(F.cosine_similarity(ta, tb).numpy(), cos)
    assert np.allclose(F.pairwise_distance(ta, tb).numpy(), np.linalg.norm(a - b + 1e-6, axis=1))
    assert np.allclose(F.pairwise_distance(ta, tb, p=1).numpy(), np.abs(a - b + 1e-6).sum(1))
    assert np.allclose(F.normalize(ta, dim=1).numpy(), a / np.linalg.norm(a, axis=1, keepdims=True))
    assert np.allclose(F.normalize(autograd.zeros(2, 2)).numpy(), 0.0)
    assert F.pad(autograd.ones(2, 2), (1, 0, 0, 1), value=5.0).tolist() == [
        [5.0, 1.0, 1.0], [5.0, 1.0, 1.0], [5.0, 5.0, 5.0]]
