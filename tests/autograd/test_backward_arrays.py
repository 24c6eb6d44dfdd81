"""Array-level backward (``backward_array``, used when no graph of the backward pass is
wanted) against the Tensor-level backward of the same ops (used under create_graph),
and the fused GELU and LayerNorm ops the transformer step relies on.

Each case computes the gradients twice, with ``create_graph=False`` (arrays) and
``create_graph=True`` (Tensor ops), on contiguous, strided and broadcast inputs, and
checks that the array path recorded no new op.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import autograd
import autograd.nn.functional as F
from autograd import nn
from tests.autograd.harness import count_op_calls

F64 = autograd.float64


def _input(shape: tuple, seed: int, layout: str) -> autograd.Tensor:
    rng = np.random.default_rng(seed)
    if layout == "transposed" and len(shape) >= 2:  # same shape, strides reversed
        data = np.ascontiguousarray(rng.uniform(-2, 2, shape[::-1])).transpose()
    elif layout == "strided":
        data = rng.uniform(-2, 2, tuple(2 * s for s in shape))[tuple(slice(None, None, 2) for _ in shape)]
    else:
        data = rng.uniform(-2, 2, shape)
    return autograd.from_numpy(data).requires_grad_(True)


CASES = [
    ("matmul", lambda a, b: a @ b, [(2, 3, 4), (4, 5)]),
    ("matmul_batched", lambda a, b: a @ b, [(2, 3, 4), (2, 4, 5)]),
    ("matmul_broadcast", lambda a, b: a @ b, [(2, 1, 3, 4), (3, 4, 2)]),
    ("matmul_2d", lambda a, b: a @ b, [(3, 4), (4, 5)]),
    ("matmul_vec", lambda a, b: a @ b, [(2, 3, 4), (4,)]),
    ("reshape", lambda a: a.reshape(3, -1) * 2.0, [(2, 3, 2)]),
    ("permute", lambda a: a.permute(2, 0, 1) * 2.0, [(2, 3, 4)]),
    ("getitem", lambda a: a[1:, ::2] * 2.0, [(3, 5)]),
    ("getitem_repeated", lambda a: a[autograd.tensor([0, 2, 0])] * 2.0, [(3, 4)]),
    ("sum", lambda a: a.sum(1) * 2.0, [(2, 3, 4)]),
    ("sum_keepdim", lambda a: a.sum((0, 2), keepdim=True) * 2.0, [(2, 3, 4)]),
    ("sum_all", lambda a: a.sum() * 2.0, [(2, 3)]),
    ("gelu", F.gelu, [(3, 4)]),
    ("gelu_tanh", lambda a: F.gelu(a, approximate="tanh"), [(3, 4)]),
    ("layer_norm", lambda a: F.layer_norm(a, (4,)), [(2, 3, 4)]),
    ("layer_norm_affine", lambda a, w, b: F.layer_norm(a, (3, 4), w, b),
     [(2, 3, 4), (3, 4), (3, 4)]),
    ("layer_norm_weight", lambda a, w: F.layer_norm(a, (4,), w), [(2, 3, 4), (4,)]),
    ("layer_norm_bias", lambda a, b: F.layer_norm(a, (4,), None, b), [(2, 3, 4), (4,)]),
    ("group_norm", lambda a: F.group_norm(a, 2), [(2, 4, 3)]),
    ("sdpa_causal", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
     [(2, 3, 4), (2, 3, 4), (2, 3, 2)]),
    ("sdpa_bool_mask_scale", lambda q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=autograd.tensor([[True, False, True]]), scale=0.3),
     [(2, 3, 4), (2, 3, 4), (2, 3, 2)]),
    ("sdpa_no_mask", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, scale=1.0),
     [(3, 4), (5, 4), (5, 2)]),
]


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "strided"])
@pytest.mark.parametrize("name,fn,shapes", CASES, ids=[c[0] for c in CASES])
def test_array_backward_matches_tensor_backward(name: str, fn: Any, shapes: list, layout: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = [_input(s, i, layout if i == 0 else "contiguous") for i, s in enumerate(shapes)]
    out = fn(*inputs)
    gout = autograd.tensor(np.random.default_rng(9).uniform(-1, 1, out.shape))
    tensor_level = autograd.grad(out, inputs, gout, retain_graph=True, create_graph=True)
    calls = count_op_calls(monkeypatch)
    arrays = autograd.grad(out, inputs, gout)
    assert calls == [], f"{name}: the array-level backward recorded {calls}"
    for i, (a, t) in enumerate(zip(arrays, tensor_level)):
        assert a.shape == inputs[i].shape and a.dtype == inputs[i].dtype
        np.testing.assert_allclose(a.numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"{name}: input {i}")


def test_a_transformer_layer_backward_records_no_ops(monkeypatch: pytest.MonkeyPatch) -> None:
    autograd.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, activation="gelu",
                                       batch_first=True, norm_first=True)
    x = autograd.randn(3, 5, 16, requires_grad=True)
    mask = autograd.triu(autograd.ones(5, 5, dtype=autograd.bool), diagonal=1)
    loss = layer(x, src_mask=mask, is_causal=True).sum()
    calls = count_op_calls(monkeypatch)
    loss.backward()
    assert calls == []
    assert x.grad is not None and all(p.grad is not None for p in layer.parameters())


# ----------------------------------------------------------------------------- GELU


def _gelu_exact(x: np.ndarray) -> np.ndarray:
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def _gelu_deriv_exact(x: np.ndarray) -> np.ndarray:
    erf = np.vectorize(math.erf)
    return 0.5 * (1.0 + erf(x / math.sqrt(2.0))) + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "strided"])
def test_float32_gelu_is_within_pytorchs_error(layout: str) -> None:
    """float32 uses PyTorch's CPU erf formula: Φ within 1.5e-7 (absolute) of the exact
    value, so the output and gradient are within ~3.5e-7 relative where |x| >= 1e-3."""
    xs = np.linspace(-9.0, 9.0, 6000).reshape(6, 1000).astype(np.float32)
    if layout == "transposed":
        x = autograd.tensor(np.ascontiguousarray(xs.T)).T
    elif layout == "strided":
        x = autograd.tensor(np.repeat(xs, 2, axis=1))[:, ::2]
    else:
        x = autograd.tensor(xs)
    assert x.shape == (6, 1000) and x.is_contiguous() == (layout == "contiguous")
    x.requires_grad_(True)
    y = F.gelu(x)
    y.backward(autograd.ones(6, 1000))
    x64 = x.detach().numpy().astype(np.float64)
    scale = np.maximum(np.abs(x64), 1.0)
    assert np.max(np.abs(y.detach().numpy() - _gelu_exact(x64)) / scale) < 3.5e-7
    assert np.max(np.abs(x.grad.numpy() - _gelu_deriv_exact(x64)) / scale) < 5e-7
    edge = F.gelu(autograd.tensor([0.0, 30.0, -30.0, float("inf"), float("nan")]))
    assert edge[:4].tolist() == [0.0, 30.0, 0.0, float("inf")] and math.isnan(edge[4].item())


def test_gelu_backward_can_run_twice_and_under_no_grad_keeps_nothing() -> None:
    x = autograd.randn(4, 5, requires_grad=True)
    y = F.gelu(x)
    g1, = autograd.grad(y, x, autograd.ones(4, 5), retain_graph=True)
    g2, = autograd.grad(y, x, autograd.full((4, 5), 2.0), retain_graph=True)
    g3, = autograd.grad(y.sum(), x)
    np.testing.assert_allclose(g2.numpy(), 2 * g1.numpy(), rtol=1e-6)
    np.testing.assert_allclose(g3.numpy(), g1.numpy(), rtol=1e-6)
    assert y.grad_fn.name() == "GeluBackward"
    with autograd.no_grad():
        z = F.gelu(x)
    np.testing.assert_array_equal(z.numpy(), y.detach().numpy())


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_second_order_and_forward_mode(approximate: str) -> None:
    x = autograd.tensor(np.linspace(-3, 3, 7), dtype=F64, requires_grad=True)

    def f(t: autograd.Tensor) -> autograd.Tensor:
        return F.gelu(t, approximate=approximate)

    assert autograd.gradcheck(f, (x,), check_forward_ad=True)
    assert autograd.gradgradcheck(f, (x,))
    if approximate == "none":
        (g,) = autograd.grad(f(x).sum(), x, create_graph=True)
        (gg,) = autograd.grad(g.sum(), x)
        xv = x.detach().numpy()
        np.testing.assert_allclose(gg.numpy(), (2 - xv * xv) * np.exp(-xv * xv / 2) / math.sqrt(2 * math.pi),
                                   rtol=1e-12, atol=1e-15)


def test_gelu_errors_and_dtypes() -> None:
    with pytest.raises(RuntimeError, match="approximate must be 'none' or 'tanh'"):
        F.gelu(autograd.ones(2), approximate="fast")
    with pytest.raises(RuntimeError, match='"GeluKernelImpl" not implemented for \'Long\''):
        F.gelu(autograd.tensor([1, 2]))
    for dt in (autograd.float16, autograd.float32, F64):
        for approximate in ("none", "tanh"):
            x = autograd.tensor([-1.0, 0.5, 2.0], dtype=dt, requires_grad=True)
            y = F.gelu(x, approximate=approximate)
            y.sum().backward()
            assert y.dtype == dt and x.grad.dtype == dt
            np.testing.assert_allclose(y.detach().numpy().astype(float), _gelu_exact(np.array([-1.0, 0.5, 2.0])),
                                       rtol=2e-3 if dt == autograd.float16 else 1e-3)
    assert F.gelu(autograd.tensor(1.5)).shape == () and F.gelu(autograd.zeros(0, 3)).shape == (0, 3)


# ----------------------------------------------------------------------------- LayerNorm


def test_layer_norm_is_one_op_with_the_affine_and_matches_pytorch_values() -> None:
    x = autograd.tensor([[1.0, 2.0, 4.0], [0.0, -1.0, 5.0]], requires_grad=True)
    w = autograd.tensor([1.0, 2.0, 0.5], requires_grad=True)
    b = autograd.tensor([0.0, 0.1, -0.2], requires_grad=True)
    y = F.layer_norm(x, (3,), w, b)
    assert y.grad_fn.name() == "NativeLayerNormBackward"
    (y * autograd.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])).sum().backward()
    # PyTorch 2.13
    np.testing.assert_allclose(y.detach().numpy(), [[-1.0690414, -0.4345206, 0.4681509],
                                                    [-0.5080001, -1.6780006, 0.4985002]], rtol=1e-5)
    np.testing.assert_allclose(x.grad.numpy(), [[-0.9735910, 1.4603870, -0.4867963],
                                                [-0.4424518, 0.3687096, 0.0737422]], rtol=1e-5)
    np.testing.assert_allclose(w.grad.numpy(), [-0.5610412, -0.9790207, 6.8029060], rtol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), [0.0, 2.5, 5.0])


def test_layer_norm_with_a_weight_of_another_dtype_promotes_as_before() -> None:
    x = autograd.randn(2, 3, dtype=F64, requires_grad=True)
    w = autograd.ones(3, requires_grad=True)  # float32
    y = F.layer_norm(x, (3,), w)
    assert y.dtype == F64
    y.sum().backward()
    assert w.grad.dtype == autograd.float32 and x.grad.dtype == F64
