"""Attention and transformer layers: scaled_dot_product_attention gradients and masks,
MultiheadAttention and TransformerEncoderLayer against NumPy references."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import autograd
import autograd.nn.functional as F
from autograd import nn
from tests.autograd.harness import OpSpec, params, run_spec

RNG = np.random.default_rng(5)


def T(a, grad=False):
    return autograd.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def P(t):
    return t.detach().numpy()


def np_softmax(s):
    m = s.max(-1, keepdims=True)
    e = np.exp(s - m)
    return e / e.sum(-1, keepdims=True)


def ref_sdpa(q, k, v, add_mask=None, scale=None):
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    if add_mask is not None:
        s = s + add_mask
    return np_softmax(s) @ v


def ref_mha(q, k, v, m, key_padding_mask=None, attn_mask=None):
    """(L, N, E) inputs, bool masks with True = masked out."""
    e, h = m.embed_dim, m.num_heads
    w = P(m.in_proj_weight)
    b = P(m.in_proj_bias)
    qp, kp, vp = q @ w[:e].T + b[:e], k @ w[e:2 * e].T + b[e:2 * e], v @ w[2 * e:].T + b[2 * e:]
    L, N, _ = q.shape
    S = k.shape[0]
    hd = e // h
    split = lambda t, n: t.reshape(n, N, h, hd).transpose(1, 2, 0, 3)  # noqa: E731
    qh, kh, vh = split(qp, L), split(kp, S), split(vp, S)
    add = np.zeros((N, 1, L, S))
    if attn_mask is not None:
        add = add + np.where(attn_mask, -np.inf, 0.0)
    if key_padding_mask is not None:
        add = add + np.where(key_padding_mask, -np.inf, 0.0)[:, None, None, :]
    s = qh @ kh.transpose(0, 1, 3, 2) / math.sqrt(hd) + add
    a = np_softmax(s)
    out = (a @ vh).transpose(2, 0, 1, 3).reshape(L, N, e)
    out = out @ P(m.out_proj.weight).T + P(m.out_proj.bias)
    return out, a


def ln(x, w, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(x.var(-1, keepdims=True) + eps) * w + b


# ----------------------------------------------------------------------------- sdpa gradients

_BOOL = autograd.tensor(np.array([[True, False, True, True], [False, True, True, False],
                                  [True, True, False, True]]))

SPECS = [
    OpSpec("sdpa", lambda q, k, v: F.scaled_dot_product_attention(q, k, v),
           [((2, 3, 4), (2, 4, 4), (2, 4, 2)), ((3, 2), (1, 4, 2), (4, 3))]),
    OpSpec("sdpa_causal", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                                                          scale=0.7),
           [((1, 3, 4), (1, 3, 4), (1, 3, 2))]),
    OpSpec("sdpa_bool_mask", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=_BOOL),
           [((3, 2), (4, 2), (4, 2))], noncontig=False),
    OpSpec("sdpa_float_mask", lambda q, k, v, mask: F.scaled_dot_product_attention(q, k, v,
                                                                                   attn_mask=mask),
           [((3, 2), (4, 2), (4, 2), (3, 4))], gradgrad=False),
]


@pytest.mark.parametrize("spec,shapes", params(SPECS))
def test_sdpa_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


# ----------------------------------------------------------------------------- sdpa values


def test_sdpa_values_and_masks() -> None:
    q, k, v = (RNG.standard_normal(s) for s in ((2, 3, 4, 6), (2, 3, 5, 6), (2, 3, 5, 2)))
    got = F.scaled_dot_product_attention(T(q), T(k), T(v))
    np.testing.assert_allclose(P(got), ref_sdpa(q, k, v), atol=1e-12)
    causal = np.where(np.tril(np.ones((4, 5), bool)), 0.0, -np.inf)  # top-left aligned
    got = F.scaled_dot_product_attention(T(q), T(k), T(v), is_causal=True, scale=0.3)
    np.testing.assert_allclose(P(got), ref_sdpa(q, k, v, causal, 0.3), atol=1e-12)
    keep = RNG.uniform(size=(4, 5)) > 0.3
    keep[:, 0] = True
    got = F.scaled_dot_product_attention(T(q), T(k), T(v), attn_mask=autograd.tensor(keep))
    np.testing.assert_allclose(P(got), ref_sdpa(q, k, v, np.where(keep, 0.0, -np.inf)), atol=1e-12)
    bias = RNG.standard_normal((3, 1, 5))
    got = F.scaled_dot_product_attention(T(q), T(k), T(v), attn_mask=T(bias))
    np.testing.assert_allclose(P(got), ref_sdpa(q, k, v, bias), atol=1e-12)


def test_sdpa_fully_masked_rows_give_zeros_and_large_scores_are_stable() -> None:
    q = T(RNG.standard_normal((1, 2, 4)), grad=True)
    keep = np.zeros((2, 2), bool)
    keep[0] = True
    out = F.scaled_dot_product_attention(q, q, q, attn_mask=autograd.tensor(keep))
    assert np.all(P(out)[0, 1] == 0.0) and np.all(np.isfinite(P(out)))
    out.sum().backward()
    assert np.all(np.isfinite(q.grad.numpy()))
    big = T(np.array([[[1000.0, 0.0], [0.0, 1000.0]]]))
    np.testing.assert_allclose(P(F.scaled_dot_product_attention(big, big, big, scale=1.0)),
                               [[[1000.0, 0.0], [0.0, 1000.0]]])


def test_sdpa_causal_output_ignores_later_positions() -> None:
    q, k, v = (T(RNG.standard_normal((1, 5, 3)), grad=True) for _ in range(3))
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    out[0, 2].sum().backward()
    assert np.all(k.grad.numpy()[0, 3:] == 0) and np.all(v.grad.numpy()[0, 3:] == 0)
    assert np.any(k.grad.numpy()[0, :3] != 0)


def test_sdpa_gqa_and_dropout() -> None:
    q = RNG.standard_normal((2, 4, 3, 6))
    k, v = RNG.standard_normal((2, 2, 5, 6)), RNG.standard_normal((2, 2, 5, 2))
    got = F.scaled_dot_product_attention(T(q), T(k), T(v), enable_gqa=True)
    want = ref_sdpa(q, np.repeat(k, 2, axis=1), np.repeat(v, 2, axis=1))
    np.testing.assert_allclose(P(got), want, atol=1e-12)
    autograd.manual_seed(3)
    a = F.scaled_dot_product_attention(T(q), T(q), T(q), dropout_p=0.5)
    autograd.manual_seed(3)
    b = F.scaled_dot_product_attention(T(q), T(q), T(q), dropout_p=0.5)
    np.testing.assert_array_equal(P(a), P(b))
    assert not np.allclose(P(a), ref_sdpa(q, q, q))
    zero = F.scaled_dot_product_attention(T(q), T(q), T(q), dropout_p=1.0)
    assert np.all(P(zero) == 0)


@pytest.mark.parametrize("call,message", [
    (lambda: F.scaled_dot_product_attention(autograd.randn(2, 3, 4), autograd.randn(2, 5, 4),
                                            autograd.randn(2, 5, 4),
                                            attn_mask=autograd.ones(3, 5, dtype=autograd.bool),
                                            is_causal=True),
     "Explicit attn_mask should not be set when is_causal=True"),
    (lambda: F.scaled_dot_product_attention(autograd.randn(2, 3, 4),
                                            autograd.randn(2, 5, 4, dtype=autograd.float64),
                                            autograd.randn(2, 5, 4)),
     "Expected query, key, and value to have the same dtype"),
    (lambda: F.scaled_dot_product_attention(autograd.randn(4), autograd.randn(4), autograd.randn(4)),
     "Expected query, key, and value to all be  at least 2 dimensional"),
    (lambda: F.scaled_dot_product_attention(autograd.randn(3, 4), autograd.randn(5, 4),
                                            autograd.randn(5, 4),
                                            attn_mask=autograd.ones(3, 5, dtype=autograd.int64)),
     "Expected attn_mask dtype to be bool or float or to match query dtype"),
])
def test_sdpa_errors(call, message) -> None:
    with pytest.raises(RuntimeError) as e:
        call()
    assert message in str(e.value)


# ----------------------------------------------------------------------------- multi-head attention


def test_mha_matches_numpy_with_masks() -> None:
    autograd.manual_seed(0)
    m = nn.MultiheadAttention(8, 2).double()
    with autograd.no_grad():
        m.in_proj_bias.copy_(T(RNG.standard_normal(24) * 0.1))
        m.out_proj.bias.copy_(T(RNG.standard_normal(8) * 0.1))
    q, k = RNG.standard_normal((4, 2, 8)), RNG.standard_normal((5, 2, 8))
    kpm = np.zeros((2, 5), bool)
    kpm[0, 3:] = True
    am = np.triu(np.ones((4, 5), bool), 2)
    out, w = m(T(q), T(k), T(k), key_padding_mask=autograd.tensor(kpm), attn_mask=autograd.tensor(am))
    want, attn = ref_mha(q, k, k, m, kpm, am)
    np.testing.assert_allclose(P(out), want, atol=1e-12)
    np.testing.assert_allclose(P(w), attn.mean(1), atol=1e-12)
    out2, w2 = m(T(q), T(k), T(k), key_padding_mask=autograd.tensor(kpm),
                 attn_mask=autograd.tensor(am), average_attn_weights=False, need_weights=True)
    np.testing.assert_allclose(P(w2), attn, atol=1e-12)
    out3, w3 = m(T(q), T(k), T(k), attn_mask=T(np.where(am, -np.inf, 0.0)), need_weights=False)
    np.testing.assert_allclose(P(out3), ref_mha(q, k, k, m, None, am)[0], atol=1e-12)
    assert w3 is None


def test_mha_batch_first_unbatched_and_3d_mask() -> None:
    m = nn.MultiheadAttention(6, 3, batch_first=True).double()
    x = RNG.standard_normal((2, 4, 6))
    out, w = m(T(x), T(x), T(x))
    want, attn = ref_mha(x.transpose(1, 0, 2), x.transpose(1, 0, 2), x.transpose(1, 0, 2), m)
    np.testing.assert_allclose(P(out), want.transpose(1, 0, 2), atol=1e-12)
    assert w.shape == (2, 4, 4)
    single, ws = m(T(x[0]), T(x[0]), T(x[0]))
    np.testing.assert_allclose(P(single), want[:, 0], atol=1e-12)
    assert ws.shape == (4, 4)
    mask3 = np.zeros((2 * 3, 4, 4), bool)
    mask3[:, :, -1] = True
    out, _ = m(T(x), T(x), T(x), attn_mask=autograd.tensor(mask3))
    am = np.zeros((4, 4), bool)
    am[:, -1] = True
    np.testing.assert_allclose(P(out), ref_mha(x.transpose(1, 0, 2), x.transpose(1, 0, 2),
                                               x.transpose(1, 0, 2), m, None, am)[0].transpose(1, 0, 2),
                               atol=1e-12)


def test_mha_separate_kdim_vdim_bias_kv_and_zero_attn() -> None:
    m = nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_bias_kv=True, add_zero_attn=True).double()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "bias_k",
                     "bias_v", "out_proj.weight", "out_proj.bias"]
    assert m.in_proj_weight is None and m.k_proj_weight.shape == (4, 3)
    q, k, v = RNG.standard_normal((3, 2, 4)), RNG.standard_normal((5, 2, 3)), RNG.standard_normal((5, 2, 5))
    out, w = m(T(q), T(k), T(v))
    b = P(m.in_proj_bias)
    qp = q @ P(m.q_proj_weight).T + b[:4]
    kp = np.concatenate([k @ P(m.k_proj_weight).T + b[4:8], np.repeat(P(m.bias_k), 2, 1)])
    vp = np.concatenate([v @ P(m.v_proj_weight).T + b[8:], np.repeat(P(m.bias_v), 2, 1)])
    split = lambda t: t.reshape(len(t), 2, 2, 2).transpose(1, 2, 0, 3)  # noqa: E731
    kh = np.concatenate([split(kp), np.zeros((2, 2, 1, 2))], axis=2)
    vh = np.concatenate([split(vp), np.zeros((2, 2, 1, 2))], axis=2)
    a = np_softmax(split(qp) @ kh.transpose(0, 1, 3, 2) / math.sqrt(2))
    want = (a @ vh).transpose(2, 0, 1, 3).reshape(3, 2, 4) @ P(m.out_proj.weight).T + P(m.out_proj.bias)
    np.testing.assert_allclose(P(out), want, atol=1e-12)
    assert w.shape == (2, 3, 7)


def test_mha_init_state_dict_and_gradients() -> None:
    m = nn.MultiheadAttention(8, 2)
    assert list(m.state_dict()) == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert float(m.in_proj_bias.abs().max()) == 0.0 and float(m.out_proj.bias.abs().max()) == 0.0
    bound = math.sqrt(6 / (24 + 8))  # xavier_uniform on (3E, E)
    assert float(m.in_proj_weight.abs().max()) <= bound
    assert repr(m) == ("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear("
                       "in_features=8, out_features=8, bias=True)\n)")
    small = nn.MultiheadAttention(4, 2).double()
    x = T(RNG.standard_normal((3, 1, 4)), grad=True)
    assert autograd.gradcheck(lambda x: small(x, x, x)[0], (x,))
    out, _ = m(autograd.randn(3, 2, 8), autograd.randn(4, 2, 8), autograd.randn(4, 2, 8))
    out.sum().backward()
    assert all(p.grad is not None for p in m.parameters())


def test_mha_dropout_only_in_training() -> None:
    m = nn.MultiheadAttention(4, 1, dropout=0.5).double()
    x = T(RNG.standard_normal((5, 1, 4)))
    autograd.manual_seed(0)
    a = P(m(x, x, x)[0])
    assert not np.allclose(a, P(m(x, x, x)[0]))
    m.eval()
    np.testing.assert_allclose(P(m(x, x, x)[0]), ref_mha(P(x), P(x), P(x), m)[0], atol=1e-12)


@pytest.mark.parametrize("call,exc,message", [
    (lambda m: m(autograd.randn(3, 2, 8), autograd.randn(3, 2, 8), autograd.randn(3, 2, 8),
                 is_causal=True), RuntimeError, "Need attn_mask if specifying the is_causal hint"),
    (lambda m: m(autograd.randn(3, 2, 7), autograd.randn(3, 2, 7), autograd.randn(3, 2, 7)),
     AssertionError, "was expecting embedding dimension of 8, but got 7"),
    (lambda m: m(autograd.randn(3, 2, 8), autograd.randn(3, 2, 8), autograd.randn(3, 2, 8),
                 attn_mask=autograd.ones(4, 3, dtype=autograd.bool)),
     RuntimeError, "The shape of the 2D attn_mask is [4, 3], but should be (3, 3)."),
    (lambda m: m(autograd.randn(3, 2, 8), autograd.randn(3, 2, 8), autograd.randn(3, 2, 8),
                 key_padding_mask=autograd.ones(2, 4, dtype=autograd.bool)),
     AssertionError, "expecting key_padding_mask shape of (2, 3), but got (2, 4)"),
    (lambda m: nn.MultiheadAttention(8, 3), AssertionError, "embed_dim must be divisible by num_heads"),
])
def test_mha_errors(call, exc, message) -> None:
    with pytest.raises(exc) as e:
        call(nn.MultiheadAttention(8, 2))
    assert message in str(e.value)


# ----------------------------------------------------------------------------- transformer


def ref_encoder_layer(layer, x, mask=None, norm_first=False):
    """x: (L, N, E); relu feed-forward; no dropout."""
    def sa(t):
        return ref_mha(t, t, t, layer.self_attn, None, mask)[0]

    def ff(t):
        h = np.maximum(t @ P(layer.linear1.weight).T + P(layer.linear1.bias), 0)
        return h @ P(layer.linear2.weight).T + P(layer.linear2.bias)

    n1 = lambda t: ln(t, P(layer.norm1.weight), P(layer.norm1.bias))  # noqa: E731
    n2 = lambda t: ln(t, P(layer.norm2.weight), P(layer.norm2.bias))  # noqa: E731
    if norm_first:
        x = x + sa(n1(x))
        return x + ff(n2(x))
    x = n1(x + sa(x))
    return n2(x + ff(x))


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_matches_numpy(norm_first) -> None:
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=norm_first).double()
    with autograd.no_grad():
        for p in (layer.norm1.weight, layer.norm2.bias, layer.self_attn.in_proj_bias):
            p.copy_(T(RNG.standard_normal(p.shape)))
    x = RNG.standard_normal((5, 2, 8))
    causal = np.triu(np.ones((5, 5), bool), 1)
    mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=autograd.float64)
    got = layer(T(x), src_mask=mask, is_causal=True)
    np.testing.assert_allclose(P(got), ref_encoder_layer(layer, x, causal, norm_first), atol=1e-10)


def test_encoder_stack_batch_first_causality_and_state_dict() -> None:
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu", batch_first=True)
    enc = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8))
    keys = list(enc.state_dict())
    assert keys[:4] == ["layers.0.self_attn.in_proj_weight", "layers.0.self_attn.in_proj_bias",
                        "layers.0.self_attn.out_proj.weight", "layers.0.self_attn.out_proj.bias"]
    assert "layers.1.norm2.bias" in keys and keys[-2:] == ["norm.weight", "norm.bias"]
    # layers are independent deep copies
    assert enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight
    x = autograd.randn(2, 6, 8, requires_grad=True)
    mask = nn.Transformer.generate_square_subsequent_mask(6)
    out = enc(x, mask=mask)  # is_causal detected from the mask
    assert out.shape == (2, 6, 8)
    # a weighted sum: the plain sum through the final LayerNorm (weight 1) has a zero
    # gradient in exact arithmetic, so only rounding noise would be seen
    (out[:, 2] * autograd.arange(1.0, 9.0)).sum().backward()
    assert np.all(x.grad.numpy()[:, 3:] == 0) and np.all(np.abs(x.grad.numpy()[:, :3]).sum(-1) > 1e-6)


def test_transformer_layers_misc() -> None:
    assert nn.Transformer.generate_square_subsequent_mask(3).tolist() == [
        [0.0, -math.inf, -math.inf], [0.0, 0.0, -math.inf], [0.0, 0.0, 0.0]]
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not foo"):
        nn.TransformerEncoderLayer(8, 2, activation="foo")
    layer = nn.TransformerEncoderLayer(8, 2, 16, activation=nn.GELU())
    assert layer.activation_relu_or_gelu == 2 and "activation" in dict(layer.named_children())
    names = [n for n, _ in nn.TransformerEncoderLayer(8, 2, 16).named_parameters()]
    assert names == ["self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
                     "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
                     "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"]
    model = nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, batch_first=True)
    src, tgt = autograd.randn(2, 5, 8), autograd.randn(2, 3, 8)
    out = model(src, tgt, tgt_mask=nn.Transformer.generate_square_subsequent_mask(3))
    assert out.shape == (2, 3, 8)
    dec = nn.TransformerDecoderLayer(8, 2, 16, norm_first=True)
    assert dec(autograd.randn(3, 2, 8), autograd.randn(4, 2, 8)).shape == (3, 2, 8)
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        model(autograd.randn(2, 5, 4), tgt)
    clone = copy.deepcopy(layer)
    assert clone.linear1.weight is not layer.linear1.weight
