"""Convolution, unfold/fold and pooling: gradients (first and second order, forward
and reverse mode) and values against direct-loop NumPy references."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
import autograd.nn.functional as F
from autograd import nn
from tests.autograd.harness import OpSpec, params, run_spec

# ----------------------------------------------------------------------------- references


def ref_conv2d(x, w, b=None, stride=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1), groups=1):
    """Direct loops over every output element."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), pads[0], pads[1]))
    oh = (xp.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (xp.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for b_ in range(n):
        for oc in range(o):
            g = oc // og
            for i in range(oh):
                for j in range(ow):
                    acc = 0.0
                    for ci in range(cg):
                        for p in range(kh):
                            for q in range(kw):
                                acc += w[oc, ci, p, q] * xp[b_, g * cg + ci, i * stride[0] + p * dilation[0],
                                                            j * stride[1] + q * dilation[1]]
                    out[b_, oc, i, j] = acc + (b[oc] if b is not None else 0.0)
    return out


def ref_conv_transpose2d(x, w, stride, padding, output_padding, groups, dilation):
    """Scatter every input element times the kernel into the output."""
    n, cin, h, wd = x.shape
    _, og, kh, kw = w.shape
    cg = cin // groups
    oh = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + output_padding[0] + 1
    ow = (wd - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + output_padding[1] + 1
    full = np.zeros((n, og * groups, oh + 2 * padding[0] + stride[0], ow + 2 * padding[1] + stride[1]))
    for b in range(n):
        for ci in range(cin):
            g = ci // cg
            for i in range(h):
                for j in range(wd):
                    for oc in range(og):
                        for p in range(kh):
                            for q in range(kw):
                                full[b, g * og + oc, i * stride[0] + p * dilation[0],
                                     j * stride[1] + q * dilation[1]] += x[b, ci, i, j] * w[ci, oc, p, q]
    return full[:, :, padding[0]:padding[0] + oh, padding[1]:padding[1] + ow]


def _pool_out(size, k, s, p, d, ceil):
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return out


def ref_max_pool2d(x, k, s, p, d, ceil):
    n, c, h, w = x.shape
    oh, ow = _pool_out(h, k[0], s[0], p[0], d[0], ceil), _pool_out(w, k[1], s[1], p[1], d[1], ceil)
    out = np.full((n, c, oh, ow), -np.inf)
    idx = np.zeros((n, c, oh, ow), dtype=np.int64)
    for b in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    for a in range(k[0]):
                        for e in range(k[1]):
                            r, q = i * s[0] - p[0] + a * d[0], j * s[1] - p[1] + e * d[1]
                            if 0 <= r < h and 0 <= q < w and x[b, ch, r, q] > out[b, ch, i, j]:
                                out[b, ch, i, j] = x[b, ch, r, q]
                                idx[b, ch, i, j] = r * w + q
    return out, idx


def ref_avg_pool2d(x, k, s, p, ceil, include_pad, divisor=None):
    n, c, h, w = x.shape
    oh, ow = _pool_out(h, k[0], s[0], p[0], 1, ceil), _pool_out(w, k[1], s[1], p[1], 1, ceil)
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * s[0] - p[0], j * s[1] - p[1]
            h1, w1 = min(h0 + k[0], h + p[0]), min(w0 + k[1], w + p[1])
            pool = (h1 - h0) * (w1 - w0)
            h0c, w0c, h1c, w1c = max(h0, 0), max(w0, 0), min(h1, h), min(w1, w)
            total = x[:, :, h0c:h1c, w0c:w1c].sum(axis=(2, 3))
            div = divisor or (pool if include_pad else (h1c - h0c) * (w1c - w0c))
            out[:, :, i, j] = total / div
    return out


def ref_adaptive(x, out_hw, fn):
    n, c, h, w = x.shape
    out = np.zeros((n, c) + tuple(out_hw))
    for i in range(out_hw[0]):
        for j in range(out_hw[1]):
            h0, h1 = (i * h) // out_hw[0], math.ceil((i + 1) * h / out_hw[0])
            w0, w1 = (j * w) // out_hw[1], math.ceil((j + 1) * w / out_hw[1])
            out[:, :, i, j] = fn(x[:, :, h0:h1, w0:w1], axis=(2, 3))
    return out


def T(a, grad=False):
    return autograd.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


RNG = np.random.default_rng(7)


# ----------------------------------------------------------------------------- gradients

CONV_SPECS = [
    OpSpec("conv2d_basic", lambda x, w, b: F.conv2d(x, w, b), [((1, 2, 4, 3), (3, 2, 2, 2), (3,))]),
    OpSpec("conv2d_stride_pad_dil", lambda x, w: F.conv2d(x, w, stride=(2, 1), padding=(1, 2),
                                                         dilation=(1, 2)),
           [((2, 2, 4, 4), (2, 2, 2, 2))]),
    OpSpec("conv2d_groups", lambda x, w, b: F.conv2d(x, w, b, groups=2, padding=1),
           [((1, 4, 3, 3), (4, 2, 2, 2), (4,))], noncontig=False),
    OpSpec("conv2d_same", lambda x, w: F.conv2d(x, w, padding="same"), [((1, 1, 3, 4), (2, 1, 2, 3))],
           gradgrad=False),
    OpSpec("conv1d", lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2),
           [((2, 2, 6), (3, 2, 2), (3,))]),
    OpSpec("conv1d_same_groups", lambda x, w: F.conv1d(x, w, padding="same", groups=2),
           [((1, 2, 5), (2, 1, 4))], gradgrad=False),
    OpSpec("conv_transpose2d", lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1,
                                                                  output_padding=1, groups=2),
           [((1, 2, 2, 3), (2, 2, 2, 2), (4,))]),
    OpSpec("conv_transpose1d", lambda x, w: F.conv_transpose1d(x, w, stride=3, dilation=2),
           [((1, 2, 3), (2, 1, 2))], gradgrad=False),
    OpSpec("unfold", lambda x: F.unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)),
           [((1, 2, 4, 4),)]),
    OpSpec("fold", lambda c: F.fold(c, (4, 5), (2, 2), padding=(1, 0), stride=2), [((1, 8, 6),)]),
]

POOL_SPECS = [
    OpSpec("max_pool2d", lambda x: F.max_pool2d(x, 2), [((1, 2, 4, 4),)]),
    OpSpec("max_pool2d_overlap", lambda x: F.max_pool2d(x, (3, 2), stride=1, padding=1, dilation=(1, 2)),
           [((1, 1, 4, 5),)]),
    OpSpec("max_pool2d_ceil", lambda x: F.max_pool2d(x, 2, ceil_mode=True), [((2, 1, 3, 5),)],
           gradgrad=False),
    OpSpec("avg_pool2d", lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True,
                                                count_include_pad=False),
           [((1, 2, 5, 4),)]),
    OpSpec("avg_pool2d_divisor", lambda x: F.avg_pool2d(x, 2, stride=1, divisor_override=3),
           [((1, 1, 3, 3),)], gradgrad=False),
    OpSpec("max_pool1d", lambda x: F.max_pool1d(x, 3, stride=2, padding=1), [((2, 2, 7),)]),
    OpSpec("avg_pool1d", lambda x: F.avg_pool1d(x, 2, padding=1), [((1, 2, 5),)], gradgrad=False),
    OpSpec("adaptive_avg_pool2d_even", lambda x: F.adaptive_avg_pool2d(x, (2, 1)),
           [((1, 2, 4, 3),)], gradgrad=False),
    OpSpec("adaptive_avg_pool2d_uneven", lambda x: F.adaptive_avg_pool2d(x, (3, 2)),
           [((1, 2, 5, 3),)]),
    OpSpec("adaptive_max_pool2d", lambda x: F.adaptive_max_pool2d(x, (2, 3)), [((1, 2, 5, 4),)]),
    OpSpec("adaptive_avg_pool1d", lambda x: F.adaptive_avg_pool1d(x, 3), [((2, 5),)],
           gradgrad=False),
]


@pytest.mark.parametrize("spec,shapes", params(CONV_SPECS))
def test_conv_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


@pytest.mark.parametrize("spec,shapes", params(POOL_SPECS))
def test_pool_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


# ----------------------------------------------------------------------------- conv values


@pytest.mark.parametrize("stride,padding,dilation,groups", [
    (1, 0, 1, 1), ((2, 1), (1, 2), (2, 1), 1), (1, 1, 1, 2), (3, 2, 1, 4), (1, "valid", (1, 2), 2),
])
def test_conv2d_matches_loops(stride, padding, dilation, groups) -> None:
    x = RNG.standard_normal((2, 4, 7, 6))
    w = RNG.standard_normal((4, 4 // groups, 3, 2))
    b = RNG.standard_normal(4)
    got = F.conv2d(T(x), T(w), T(b), stride=stride, padding=padding, dilation=dilation, groups=groups)
    st = (stride, stride) if isinstance(stride, int) else stride
    pd = (0, 0) if padding == "valid" else (padding, padding) if isinstance(padding, int) else padding
    dl = (dilation, dilation) if isinstance(dilation, int) else dilation
    want = ref_conv2d(x, w, b, st, ((pd[0], pd[0]), (pd[1], pd[1])), dl, groups)
    np.testing.assert_allclose(got.numpy(), want, atol=1e-12)


def test_conv2d_same_pads_the_extra_element_at_the_end() -> None:
    x = RNG.standard_normal((1, 2, 5, 6))
    w = RNG.standard_normal((3, 2, 4, 3))
    got = F.conv2d(T(x), T(w), padding="same", dilation=(1, 2))
    # total padding d*(k-1): rows 3 -> (1, 2), cols 4 -> (2, 2)
    want = ref_conv2d(x, w, None, (1, 1), ((1, 2), (2, 2)), (1, 2))
    assert got.shape == (1, 3, 5, 6)
    np.testing.assert_allclose(got.numpy(), want, atol=1e-12)


def test_conv1d_matches_conv2d_on_unit_height_and_unbatched_input() -> None:
    x = RNG.standard_normal((2, 3, 9))
    w = RNG.standard_normal((4, 3, 3))
    got = F.conv1d(T(x), T(w), stride=2, padding=1, dilation=2)
    want = ref_conv2d(x[:, :, None], w[:, :, None], None, (1, 2), ((0, 0), (1, 1)), (1, 2))[:, :, 0]
    np.testing.assert_allclose(got.numpy(), want, atol=1e-12)
    single = F.conv1d(T(x[0]), T(w), stride=2, padding=1, dilation=2)
    np.testing.assert_allclose(single.numpy(), want[0], atol=1e-12)


@pytest.mark.parametrize("stride,padding,opad,groups,dilation", [
    ((2, 2), (1, 1), (1, 1), 1, (1, 2)), ((1, 2), (0, 1), (0, 0), 2, (1, 1)), ((3, 1), (0, 0), (2, 0), 1, (2, 1)),
])
def test_conv_transpose2d_matches_scatter_loops(stride, padding, opad, groups, dilation) -> None:
    x = RNG.standard_normal((2, 4, 3, 4))
    w = RNG.standard_normal((4, 3, 3, 2))
    got = F.conv_transpose2d(T(x), T(w), None, stride, padding, opad, groups, dilation)
    want = ref_conv_transpose2d(x, w, stride, padding, opad, groups, dilation)
    np.testing.assert_allclose(got.numpy(), want, atol=1e-12)


def test_conv_transpose_is_the_adjoint_of_conv() -> None:
    x = RNG.standard_normal((2, 4, 7, 6))
    w = RNG.standard_normal((6, 2, 3, 2))
    y = RNG.standard_normal(F.conv2d(T(x), T(w), stride=2, padding=1, groups=2).shape)
    lhs = (F.conv2d(T(x), T(w), stride=2, padding=1, groups=2).numpy() * y).sum()
    back = F.conv_transpose2d(T(y), T(w), stride=2, padding=1, groups=2)
    assert back.shape == x.shape
    np.testing.assert_allclose(lhs, (back.numpy() * x).sum(), rtol=1e-10)


def test_unfold_matches_loops_and_fold_is_its_adjoint() -> None:
    x = RNG.standard_normal((2, 3, 5, 4))
    cols = F.unfold(T(x), (2, 3), dilation=(1, 1), padding=1, stride=(2, 1))
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    oh, ow = (7 - 2) // 2 + 1, (6 - 3) + 1
    want = np.zeros((2, 3 * 6, oh * ow))
    for c in range(3):
        for a in range(2):
            for e in range(3):
                for i in range(oh):
                    for j in range(ow):
                        want[:, c * 6 + a * 3 + e, i * ow + j] = xp[:, c, i * 2 + a, j + e]
    np.testing.assert_allclose(cols.numpy(), want)
    y = RNG.standard_normal(cols.shape)
    folded = F.fold(T(y), (5, 4), (2, 3), padding=1, stride=(2, 1))
    np.testing.assert_allclose((want * y).sum(), (folded.numpy() * x).sum(), rtol=1e-10)
    ones = F.fold(F.unfold(autograd.ones(1, 1, 3, 3), 2), (3, 3), 2)
    assert ones[0, 0].tolist() == [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]


def test_conv_float32_and_second_derivative_through_weights() -> None:
    x = autograd.randn(2, 3, 5, 5)
    w = autograd.randn(4, 3, 3, 3, requires_grad=True)
    out = F.conv2d(x, w, padding=1)
    assert out.dtype == autograd.float32
    (g,) = autograd.grad((out ** 2).sum(), w, create_graph=True)
    (gg,) = autograd.grad(g.sum(), w)
    # d/dw sum(d/dw sum(conv^2)) = 2 * conv_weight_grad(x, conv(x, 1))
    ones_out = F.conv2d(x, autograd.ones(4, 3, 3, 3), padding=1)
    want = 2 * F.conv2d(x.transpose(0, 1), ones_out.transpose(0, 1), padding=1).transpose(0, 1)
    np.testing.assert_allclose(gg.numpy(), want.numpy(), rtol=1e-4, atol=1e-3)


# ----------------------------------------------------------------------------- conv errors


@pytest.mark.parametrize("call,message", [
    (lambda: F.conv2d(autograd.ones(2, 4, 5, 5), autograd.ones(8, 3, 3, 3)),
     "Given groups=1, weight of size [8, 3, 3, 3], expected input[2, 4, 5, 5] to have 3 channels, "
     "but got 4 channels instead"),
    (lambda: F.conv2d(autograd.ones(2, 3), autograd.ones(8, 3, 3, 3)),
     "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3]"),
    (lambda: F.conv2d(autograd.ones(1, 6, 5, 5), autograd.ones(3, 3, 3, 3), groups=2),
     "expected weight to be divisible by 2 at dimension 0"),
    (lambda: F.conv2d(autograd.ones(1, 3, 5, 5), autograd.ones(8, 3, 3, 3), autograd.ones(7)),
     "expected bias to be 1-dimensional with 8 elements, but got bias of size [7] instead"),
    (lambda: F.conv2d(autograd.ones(1, 3, 2, 2), autograd.ones(8, 3, 3, 3)),
     "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel size can't be "
     "greater than actual input size"),
    (lambda: F.conv2d(autograd.ones(1, 3, 5, 5), autograd.ones(8, 3, 3, 3), padding="foo"),
     "Invalid padding string: 'foo'"),
    (lambda: F.conv2d(autograd.ones(1, 3, 5, 5), autograd.ones(8, 3, 3, 3), padding="same", stride=2),
     "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(autograd.ones(1, 3, 5, 5), autograd.ones(8, 3, 3, 3), padding=-1),
     "negative padding is not supported"),
    (lambda: F.conv2d(autograd.ones(1, 3, 5, 5), autograd.ones(8, 3, 3, 3), stride=0),
     "non-positive stride is not supported"),
    (lambda: F.conv2d(autograd.ones(1, 3, 5, 5), autograd.ones(8, 3, 3, 3), dilation=(1, 1, 1)),
     "expected dilation to be a single integer value or a list of 2 values"),
    (lambda: F.conv2d(autograd.ones(1, 3, 5, 5, dtype=autograd.float64), autograd.ones(8, 3, 3, 3)),
     "expected scalar type float64 but found float32"),
    (lambda: F.conv_transpose2d(autograd.ones(1, 2, 3, 3), autograd.ones(2, 1, 2, 2), stride=2,
                                output_padding=2),
     "output padding must be smaller than stride"),
])
def test_conv_errors(call, message) -> None:
    with pytest.raises(RuntimeError) as e:
        call()
    assert message in str(e.value)


def test_fold_unfold_errors() -> None:
    with pytest.raises(RuntimeError, match="divisible by the product of kernel_size"):
        F.fold(autograd.ones(1, 5, 4), (3, 3), 2)
    with pytest.raises(RuntimeError, match="match the calculated number of sliding blocks 2 \\* 2 = 4"):
        F.fold(autograd.ones(1, 4, 5), (3, 3), 2)
    with pytest.raises(RuntimeError, match="Only 3D or 4D input Tensors are supported"):
        F.unfold(autograd.ones(3, 3), 2)


# ----------------------------------------------------------------------------- conv layers


def test_conv2d_layer_default_init_and_repr() -> None:
    autograd.manual_seed(0)
    conv = nn.Conv2d(4, 8, 3, groups=2)
    bound = 1 / math.sqrt(2 * 9)  # fan_in = in/groups * kh * kw
    assert conv.weight.shape == (8, 2, 3, 3) and conv.bias.shape == (8,)
    assert float(conv.weight.abs().max()) <= bound and float(conv.bias.abs().max()) <= bound
    assert float(conv.weight.abs().max()) > 0.8 * bound  # uniform over the whole range
    assert repr(conv) == "Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), groups=2)"
    assert repr(nn.Conv1d(2, 3, 5, padding="same", bias=False, padding_mode="reflect")) == (
        "Conv1d(2, 3, kernel_size=(5,), stride=(1,), padding=same, bias=False, padding_mode=reflect)"
    )
    assert [n for n, _ in conv.named_parameters()] == ["weight", "bias"]


@pytest.mark.parametrize("mode,np_mode", [("reflect", "reflect"), ("replicate", "edge"),
                                          ("circular", "wrap"), ("zeros", "constant")])
def test_conv_padding_modes(mode, np_mode) -> None:
    conv = nn.Conv2d(2, 3, (3, 2), padding=(1, 2), padding_mode=mode).double()
    x = RNG.standard_normal((1, 2, 4, 5))
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (2, 2)), mode=np_mode)
    want = ref_conv2d(xp, conv.weight.detach().numpy(), conv.bias.detach().numpy())
    np.testing.assert_allclose(conv(T(x)).detach().numpy(), want, atol=1e-12)


def test_conv_layer_errors_and_transposed_output_size() -> None:
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 4, 3, padding_mode="bad")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv1d(3, 4, 3, stride=2, padding="same")
    up = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    x = autograd.randn(1, 4, 5, 5)
    assert up(x).shape == (1, 2, 9, 9)
    assert up(x, output_size=(10, 10)).shape == (1, 2, 10, 10)
    with pytest.raises(ValueError, match="valid sizes range from 9 to 10"):
        up(x, output_size=(12, 12))
    assert up.weight.shape == (4, 2, 3, 3)


def test_conv_layer_trains_on_unbatched_and_batched_input() -> None:
    conv = nn.Conv2d(1, 2, 3, padding=1)
    out = conv(autograd.randn(1, 6, 6))
    assert out.shape == (2, 6, 6)
    out.sum().backward()
    assert conv.weight.grad.shape == conv.weight.shape and conv.bias.grad.shape == (2,)
    np.testing.assert_allclose(conv.bias.grad.numpy(), [36.0, 36.0])


# ----------------------------------------------------------------------------- pool values


@pytest.mark.parametrize("k,s,p,d,ceil", [
    ((2, 2), (2, 2), (0, 0), (1, 1), False), ((3, 2), (2, 3), (1, 1), (1, 2), False),
    ((3, 2), (2, 3), (1, 1), (1, 2), True), ((3, 3), (2, 2), (1, 0), (1, 1), True),
])
def test_max_pool2d_matches_loops_with_indices(k, s, p, d, ceil) -> None:
    x = RNG.standard_normal((2, 3, 7, 8))
    out, idx = F.max_pool2d(T(x), k, s, p, d, ceil_mode=ceil, return_indices=True)
    want, want_idx = ref_max_pool2d(x, k, s, p, d, ceil)
    np.testing.assert_allclose(out.numpy(), want)
    np.testing.assert_array_equal(idx.numpy(), want_idx)
    assert idx.dtype == autograd.int64


def test_max_pool_gradient_goes_to_the_argmax_and_adds_up_on_overlaps() -> None:
    x = T([[[[1.0, 9.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]]], grad=True)
    F.max_pool2d(x, 2, stride=1).sum().backward()
    assert x.grad[0, 0].tolist() == [[0.0, 2.0, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0, 1.0]]


def test_max_pool_ignores_padding_even_for_minus_infinity_and_propagates_nan() -> None:
    x = T(np.full((1, 1, 2, 2), -np.inf), grad=True)
    out, idx = F.max_pool2d(x, 2, stride=1, padding=1, return_indices=True)
    assert np.all(np.isneginf(out.detach().numpy()))
    assert ((idx >= 0) & (idx < 4)).all()
    y = T([[[[1.0, float("nan")], [0.0, 2.0]]]])
    assert math.isnan(F.max_pool2d(y, 2).item())


@pytest.mark.parametrize("ceil,include_pad", [(False, True), (False, False), (True, True), (True, False)])
def test_avg_pool2d_matches_loops(ceil, include_pad) -> None:
    x = RNG.standard_normal((2, 2, 7, 6))
    got = F.avg_pool2d(T(x), (3, 2), stride=(2, 2), padding=(1, 1), ceil_mode=ceil,
                       count_include_pad=include_pad)
    np.testing.assert_allclose(got.numpy(), ref_avg_pool2d(x, (3, 2), (2, 2), (1, 1), ceil, include_pad))
    got = F.avg_pool2d(T(x), 2, divisor_override=3)
    np.testing.assert_allclose(got.numpy(), ref_avg_pool2d(x, (2, 2), (2, 2), (0, 0), False, True, 3))


def test_pool1d_matches_2d_on_unit_height() -> None:
    x = RNG.standard_normal((2, 3, 10))
    out, idx = F.max_pool1d(T(x), 3, 2, 1, return_indices=True)
    want, want_idx = ref_max_pool2d(x[:, :, None], (1, 3), (1, 2), (0, 1), (1, 1), False)
    np.testing.assert_allclose(out.numpy(), want[:, :, 0])
    np.testing.assert_array_equal(idx.numpy(), want_idx[:, :, 0])
    got = F.avg_pool1d(T(x), 3, 2, 1, ceil_mode=True, count_include_pad=False)
    np.testing.assert_allclose(got.numpy(), ref_avg_pool2d(x[:, :, None], (1, 3), (1, 2), (0, 1),
                                                           True, False)[:, :, 0])
    assert F.max_pool1d(T(x[0]), 2).shape == (3, 5)


@pytest.mark.parametrize("out_hw", [(3, 5), (1, 1), (2, 3), (7, 4), (None, 2)])
def test_adaptive_pools_match_loops(out_hw) -> None:
    x = RNG.standard_normal((2, 3, 7, 8))
    full = tuple(x.shape[2 + i] if v is None else v for i, v in enumerate(out_hw))
    np.testing.assert_allclose(F.adaptive_avg_pool2d(T(x), out_hw).numpy(),
                               ref_adaptive(x, full, np.mean), atol=1e-12)
    out, idx = F.adaptive_max_pool2d(T(x), out_hw, return_indices=True)
    np.testing.assert_allclose(out.numpy(), ref_adaptive(x, full, np.max))
    flat = x.reshape(2, 3, -1)
    np.testing.assert_allclose(np.take_along_axis(flat, idx.numpy().reshape(2, 3, -1), 2),
                               out.numpy().reshape(2, 3, -1))


def test_adaptive_1d_and_unbatched() -> None:
    x = RNG.standard_normal((3, 7))
    got = F.adaptive_avg_pool1d(T(x), 3)
    np.testing.assert_allclose(got.numpy(), ref_adaptive(x[None, :, None], (1, 3), np.mean)[0, :, 0])
    got = F.adaptive_max_pool1d(T(x), 2)
    np.testing.assert_allclose(got.numpy(), ref_adaptive(x[None, :, None], (1, 2), np.max)[0, :, 0])
    assert F.adaptive_avg_pool2d(autograd.randn(3, 5, 5), 2).shape == (3, 2, 2)


@pytest.mark.parametrize("call,message", [
    (lambda: F.max_pool2d(autograd.ones(1, 1, 5, 5), 2, padding=2),
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1"),
    (lambda: F.max_pool2d(autograd.ones(1, 1, 1, 1), 3),
     "Given input size: (1x1x1). Calculated output size: (1x0x0). Output size is too small"),
    (lambda: F.max_pool2d(autograd.ones(5), 2), "non-empty 3D or 4D (batch mode) tensor expected for input"),
    (lambda: F.adaptive_avg_pool2d(autograd.ones(5), 2), "Expected 3D or 4D tensor, but got [5]"),
    (lambda: F.avg_pool2d(autograd.ones(1, 1, 4, 4), 2, divisor_override=0), "divisor must be not zero"),
])
def test_pool_errors(call, message) -> None:
    with pytest.raises(RuntimeError) as e:
        call()
    assert message in str(e.value)


def test_pool_layers() -> None:
    x = autograd.randn(2, 3, 8, 8)
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool1d(2)) == "AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,))"
    assert repr(nn.AdaptiveAvgPool2d((1, None))) == "AdaptiveAvgPool2d(output_size=(1, None))"
    out, idx = nn.MaxPool2d(3, stride=2, padding=1, return_indices=True)(x)
    assert out.shape == idx.shape == (2, 3, 4, 4)
    assert nn.AvgPool2d(3, stride=2, ceil_mode=True)(x).shape == (2, 3, 4, 4)
    assert nn.AdaptiveAvgPool2d(1)(x).shape == (2, 3, 1, 1)
    assert nn.AdaptiveMaxPool2d((2, 3))(x).shape == (2, 3, 2, 3)
    assert nn.MaxPool1d(2)(x[:, :, 0]).shape == (2, 3, 4)
    assert nn.AvgPool1d(4)(x[:, :, 0]).shape == (2, 3, 2)
    assert nn.AdaptiveAvgPool1d(3)(x[:, :, 0]).shape == (2, 3, 3)
    assert nn.AdaptiveMaxPool1d(3, return_indices=True)(x[:, :, 0])[1].shape == (2, 3, 3)
