"""Recurrent layers against step-by-step NumPy references with the same weights;
shapes for batch_first / bidirectional / num_layers / proj_size; cells; gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
from autograd import nn
from autograd.nn.functional._rnn_ops import GRUCellOp, LSTMCellOp
from tests.autograd.harness import OpSpec, params, run_spec

RNG = np.random.default_rng(11)


def T(a, grad=False):
    return autograd.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def np_params(m, name):
    p = getattr(m, name)
    return None if p is None else p.detach().numpy()


# ----------------------------------------------------------------------------- references


def ref_step(mode, x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    """One time step in PyTorch's documented equations (gate orders i,f,g,o / r,z,n)."""
    b_ih = 0.0 if b_ih is None else b_ih
    b_hh = 0.0 if b_hh is None else b_hh
    gi = x @ w_ih.T + b_ih
    gh = h @ w_hh.T + b_hh
    if mode in ("tanh", "relu"):
        pre = gi + gh
        return (np.tanh(pre) if mode == "tanh" else np.maximum(pre, 0.0)), None
    if mode == "lstm":
        i, f, g, o = np.split(gi + gh, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        return (h @ w_hr.T if w_hr is not None else h), c
    r_i, z_i, n_i = np.split(gi, 3, axis=-1)
    r_h, z_h, n_h = np.split(gh, 3, axis=-1)
    r, z = sigmoid(r_i + r_h), sigmoid(z_i + z_h)
    n = np.tanh(n_i + r * n_h)
    return (1 - z) * n + z * h, None


def ref_sequence(m, mode, x, h0, c0=None):
    """x: (L, N, F) time-major; loops over layers, directions and time."""
    dirs = 2 if m.bidirectional else 1
    layer_in = x
    hs, cs = [], []
    for layer in range(m.num_layers):
        outs = []
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            w = [np_params(m, n + sfx) if hasattr(m, n + sfx) else None
                 for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")]
            h = h0[layer * dirs + d]
            c = c0[layer * dirs + d] if c0 is not None else None
            ys = [None] * len(x)
            order = range(len(x)) if d == 0 else reversed(range(len(x)))
            for t in order:
                h, c = ref_step(mode, layer_in[t], h, c, *w)
                ys[t] = h
            outs.append(np.stack(ys))
            hs.append(h)
            cs.append(c)
        layer_in = np.concatenate(outs, axis=-1)
    return layer_in, np.stack(hs), (np.stack(cs) if c0 is not None else None)


# ----------------------------------------------------------------------------- fused cell ops

CELL_SPECS = [
    OpSpec("lstm_cell_h", lambda g, c: LSTMCellOp.apply(g, c)[0], [((2, 8), (2, 2))]),
    OpSpec("lstm_cell_both", lambda g, c: LSTMCellOp.apply(g, c), [((1, 4), (1, 1))],
           noncontig=False),
    OpSpec("gru_cell", lambda gi, gh, h: GRUCellOp.apply(gi, gh, h), [((2, 6), (2, 6), (2, 2))]),
]


@pytest.mark.parametrize("spec,shapes", params(CELL_SPECS))
def test_fused_cell_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


def test_fused_cells_are_stable_for_large_preactivations() -> None:
    g = T(np.array([[800.0, -800.0, 800.0, -800.0]]))
    h, c = LSTMCellOp.apply(g, T([[1.0]]))
    np.testing.assert_allclose(c.numpy(), [[1.0]])  # i = 1, f = 0, g = 1
    assert h.item() == 0.0
    out = GRUCellOp.apply(T([[900.0, -900.0, 3.0]]), T([[0.0, 0.0, 1.0]]), T([[2.0]]))
    np.testing.assert_allclose(out.numpy(), [[np.tanh(4.0)]])


# ----------------------------------------------------------------------------- sequence layers


@pytest.mark.parametrize("kind,kwargs", [
    ("tanh", dict(num_layers=2, bidirectional=True)),
    ("relu", dict(bias=False)),
    ("gru", dict(num_layers=2, bidirectional=True)),
    ("gru", dict(bias=False, batch_first=True)),
    ("lstm", dict(num_layers=2, bidirectional=True)),
    ("lstm", dict(proj_size=3, batch_first=True, num_layers=2)),
])
def test_sequence_layers_match_numpy_steps(kind, kwargs) -> None:
    autograd.manual_seed(1)
    if kind == "gru":
        m = nn.GRU(4, 5, **kwargs)
    elif kind == "lstm":
        m = nn.LSTM(4, 5, **kwargs)
    else:
        m = nn.RNN(4, 5, nonlinearity=kind, **kwargs)
    m = m.double()
    dirs = 2 if m.bidirectional else 1
    out_size = m.proj_size or 5
    x = RNG.standard_normal((6, 3, 4))
    h0 = RNG.standard_normal((m.num_layers * dirs, 3, out_size))
    c0 = RNG.standard_normal((m.num_layers * dirs, 3, 5)) if kind == "lstm" else None
    xin = x.transpose(1, 0, 2) if m.batch_first else x
    if kind == "lstm":
        out, (h_n, c_n) = m(T(xin), (T(h0), T(c0)))
    else:
        out, h_n = m(T(xin), T(h0))
    want, want_h, want_c = ref_sequence(m, kind, x, h0, c0)
    if m.batch_first:
        want = want.transpose(1, 0, 2)
    np.testing.assert_allclose(out.detach().numpy(), want, atol=1e-12)
    np.testing.assert_allclose(h_n.detach().numpy(), want_h, atol=1e-12)
    if kind == "lstm":
        np.testing.assert_allclose(c_n.detach().numpy(), want_c, atol=1e-12)


@pytest.mark.parametrize("cls", [nn.RNN, nn.GRU, nn.LSTM])
@pytest.mark.parametrize("batch_first,bidirectional,num_layers", [
    (False, False, 1), (True, True, 2), (False, True, 3),
])
def test_output_shapes(cls, batch_first, bidirectional, num_layers) -> None:
    m = cls(3, 4, num_layers=num_layers, batch_first=batch_first, bidirectional=bidirectional)
    x = autograd.randn(2, 7, 3) if batch_first else autograd.randn(7, 2, 3)
    out, hidden = m(x)
    d = 2 if bidirectional else 1
    assert out.shape == ((2, 7, 4 * d) if batch_first else (7, 2, 4 * d))
    h = hidden[0] if cls is nn.LSTM else hidden
    assert h.shape == (num_layers * d, 2, 4)
    if cls is nn.LSTM:
        assert hidden[1].shape == (num_layers * d, 2, 4)
    # unbatched (L, H_in) input
    out, hidden = m(autograd.randn(7, 3))
    h = hidden[0] if cls is nn.LSTM else hidden
    assert out.shape == (7, 4 * d) and h.shape == (num_layers * d, 4)


def test_parameter_names_shapes_and_init() -> None:
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    names = [n for n, _ in m.named_parameters()]
    assert names[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0"]
    assert names[5:10] == ["weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse",
                           "bias_hh_l0_reverse", "weight_hr_l0_reverse"]
    assert m.weight_ih_l0.shape == (16, 3) and m.weight_hh_l0.shape == (16, 2)
    assert m.weight_ih_l1.shape == (16, 4) and m.weight_hr_l1_reverse.shape == (2, 4)
    assert len(m.all_weights) == 4 and len(m.all_weights[0]) == 5
    gru = nn.GRU(3, 25, bias=False)
    assert [n for n, _ in gru.named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]
    bound = 1 / math.sqrt(25)
    for p in gru.parameters():
        assert float(p.abs().max()) <= bound and float(p.abs().max()) > 0.9 * bound
    assert repr(nn.LSTM(4, 5, batch_first=True, bidirectional=True, dropout=0.5, num_layers=2)) == (
        "LSTM(4, 5, num_layers=2, batch_first=True, dropout=0.5, bidirectional=True)"
    )
    assert repr(nn.GRU(4, 5, bias=False)) == "GRU(4, 5, bias=False)"
    assert repr(nn.LSTM(3, 4, proj_size=2)) == "LSTM(3, 4, proj_size=2)"


def test_dropout_between_layers_only_in_training() -> None:
    autograd.manual_seed(0)
    m = nn.GRU(3, 6, num_layers=2, dropout=0.5).double()
    x = T(RNG.standard_normal((4, 2, 3)))
    a, b = m(x)[0], m(x)[0]
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    m.eval()
    np.testing.assert_array_equal(m(x)[0].detach().numpy(), m(x)[0].detach().numpy())
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.RNN(3, 4, dropout=0.5)


def test_gradients_through_time_match_finite_differences() -> None:
    autograd.manual_seed(2)
    lstm = nn.LSTM(2, 3, bidirectional=True).double()
    gru = nn.GRU(2, 3, num_layers=2).double()
    x = T(RNG.standard_normal((3, 2, 2)), grad=True)
    h = T(RNG.standard_normal((2, 2, 3)), grad=True)
    c = T(RNG.standard_normal((2, 2, 3)), grad=True)
    assert autograd.gradcheck(lambda x, h, c: lstm(x, (h, c))[0], (x, h, c))
    assert autograd.gradcheck(lambda x, h: gru(x, h)[1], (x, h))

    def with_weight(w):  # differentiate w.r.t. a parameter by substituting it
        gru._parameters["weight_hh_l1"] = w
        return gru(x.detach())[0]

    w = T(gru.weight_hh_l1.detach().numpy(), grad=True)
    try:
        assert autograd.gradcheck(with_weight, (w,))
    finally:
        gru._parameters["weight_hh_l1"] = nn.Parameter(w.detach())


def test_backward_populates_every_parameter_grad() -> None:
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    out, (h, c) = m(autograd.randn(2, 5, 3))
    (out.sum() + h.sum() + c.sum()).backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name


@pytest.mark.parametrize("call,exc,message", [
    (lambda: nn.RNN(3, 4)(autograd.randn(5, 2, 4)), RuntimeError,
     "input.size(-1) must be equal to input_size. Expected 3, got 4"),
    (lambda: nn.RNN(3, 4)(autograd.randn(5, 2, 3), autograd.randn(2, 2, 4)), RuntimeError,
     "Expected hidden size (1, 2, 4), got [2, 2, 4]"),
    (lambda: nn.RNN(3, 4)(autograd.randn(5, 2, 2, 3)), ValueError,
     "RNN: Expected input to be 2D or 3D, got 4D tensor instead"),
    (lambda: nn.LSTM(3, 4)(autograd.randn(5, 3), (autograd.randn(1, 2, 4), autograd.randn(1, 2, 4))),
     RuntimeError, "For unbatched 2-D input, hx and cx should also be 2-D but got (3-D, 3-D) tensors"),
    (lambda: nn.LSTM(3, 4)(autograd.randn(5, 2, 3), (autograd.randn(1, 2, 4), autograd.randn(1, 2, 5))),
     RuntimeError, "Expected hidden[1] size (1, 2, 4), got [1, 2, 5]"),
    (lambda: nn.RNN(3, 4, nonlinearity="foo"), ValueError,
     "Unknown nonlinearity 'foo'. Select from 'tanh' or 'relu'."),
    (lambda: nn.GRU(3, 4, proj_size=2), TypeError, "proj_size"),
    (lambda: nn.LSTM(3, 4, proj_size=4), ValueError, "proj_size has to be smaller than hidden_size"),
    (lambda: nn.RNNCell(3, 4)(autograd.randn(2, 5)), RuntimeError,
     "input has inconsistent input_size: got 5 expected 3"),
    (lambda: nn.RNNCell(3, 4)(autograd.randn(2, 3), autograd.randn(3, 4)), RuntimeError,
     "Input batch size 2 doesn't match hidden0 batch size 3"),
    (lambda: nn.GRUCell(3, 4)(autograd.randn(2, 2, 3)), ValueError,
     "GRUCell: Expected input to be 1D or 2D, got 3D instead"),
])
def test_rnn_errors(call, exc, message) -> None:
    with pytest.raises(exc) as e:
        call()
    assert message in str(e.value)


# ----------------------------------------------------------------------------- cells


@pytest.mark.parametrize("kind", ["tanh", "relu", "lstm", "gru"])
def test_cells_match_numpy_steps(kind) -> None:
    if kind == "lstm":
        cell = nn.LSTMCell(3, 4)
    elif kind == "gru":
        cell = nn.GRUCell(3, 4, bias=False)
    else:
        cell = nn.RNNCell(3, 4, nonlinearity=kind)
    cell = cell.double()
    x, h = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 4))
    c = RNG.standard_normal((2, 4))
    w = [np_params(cell, n) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    want_h, want_c = ref_step(kind, x, h, c, *w)
    if kind == "lstm":
        got_h, got_c = cell(T(x), (T(h), T(c)))
        np.testing.assert_allclose(got_c.detach().numpy(), want_c, atol=1e-12)
        zero_h, _ = cell(T(x))  # missing state = zeros
        np.testing.assert_allclose(zero_h.detach().numpy(),
                                   ref_step(kind, x, 0 * h, 0 * c, *w)[0], atol=1e-12)
        single = cell(T(x[0]), (T(h[0]), T(c[0])))[0]
    else:
        got_h = cell(T(x), T(h))
        single = cell(T(x[0]), T(h[0]))
    np.testing.assert_allclose(got_h.detach().numpy(), want_h, atol=1e-12)
    np.testing.assert_allclose(single.detach().numpy(), want_h[0], atol=1e-12)


def test_cell_parameters_and_repr() -> None:
    cell = nn.GRUCell(3, 4, bias=False)
    assert [n for n, _ in cell.named_parameters()] == ["weight_ih", "weight_hh"]
    assert cell.weight_ih.shape == (12, 3)
    assert nn.LSTMCell(3, 4).weight_hh.shape == (16, 4)
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"
    assert repr(nn.GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"
    cell = nn.LSTMCell(2, 3).double()
    x = T(RNG.standard_normal((2, 2)), grad=True)
    assert autograd.gradcheck(lambda x: cell(x)[1], (x,))
