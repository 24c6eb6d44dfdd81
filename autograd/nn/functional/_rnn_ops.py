"""Fused LSTM and GRU cell nonlinearities: one op per time step instead of a dozen.

Each op takes the gate pre-activations (the matrix products are ordinary ops) and
applies the whole cell update. Its backward is a closed form on arrays when no graph
of the backward is needed (the common case); under ``create_graph=True`` or forward
mode the same formulas run on Tensors rebuilt from the saved inputs, so higher-order
derivatives stay exact.

Example:
    >>> import autograd
    >>> from autograd.nn.functional._rnn_ops import LSTMCellOp
    >>> gates, c = autograd.zeros(2, 8), autograd.ones(2, 2)
    >>> h, c_new = LSTMCellOp.apply(gates, c)
    >>> c_new.tolist()  # f = sigmoid(0) = 0.5, g = tanh(0) = 0
    [[0.5, 0.5], [0.5, 0.5]]
"""

from __future__ import annotations

from typing import Any

from ... import backend
from ...function import Op, fw_state
from ...grad_mode import state as _grad_state
from ...ops.join import cat, split
from ...tensor import Tensor, _wrap

__all__ = ["LSTMCellOp", "GRUCellOp"]


def _sigmoid(xp: Any, a: Any) -> Any:
    # 1 / (1 + exp(-a)) without overflow warnings for large |a|
    e = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(a.dtype, copy=False)


def _differentiable() -> bool:
    """Whether the backward/jvp must itself be recorded (create_graph or forward AD)."""
    return _grad_state.enabled or fw_state.level >= 0


# ----------------------------------------------------------------------------- LSTM


def _lstm_tensors(gates: Tensor, c: Tensor) -> tuple:
    i, f, g, o = split(gates, gates.shape[1] // 4, 1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    c_new = f * c + i * g
    return i, f, g, o, c_new.tanh()


class LSTMCellOp(Op):
    """``(gates, c) -> (h, c')`` with gates ``[i, f, g, o]`` pre-activations:
    ``c' = σ(f) c + σ(i) tanh(g)``, ``h = σ(o) tanh(c')``."""

    saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx: Any, gates: Any, c: Any) -> tuple:
        xp = backend.xp_of(gates)
        hid = gates.shape[1] // 4
        s = _sigmoid(xp, gates)
        i, f, o = s[:, :hid], s[:, hid:2 * hid], s[:, 3 * hid:]
        g = xp.tanh(gates[:, 2 * hid:3 * hid])
        c_new = f * c + i * g
        tc = xp.tanh(c_new)
        ctx.acts = (i, f, g, o, tc)
        return o * tc, c_new

    @staticmethod
    def backward(ctx: Any, gh: Tensor, gc: Tensor) -> tuple:
        gates, c = ctx.saved_tensors
        if _differentiable():
            i, f, g, o, tc = _lstm_tensors(gates, c)
            dc = gc + gh * o * (1 - tc * tc)
            d = cat([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g),
                     gh * tc * o * (1 - o)], 1)
            return d, dc * f
        i, f, g, o, tc = ctx.acts
        gh_, gc_, c_ = gh._data, gc._data, c._data
        xp = backend.xp_of(gh_)
        dc = gc_ + gh_ * o * (1 - tc * tc)
        d = xp.concatenate([dc * g * i * (1 - i), dc * c_ * f * (1 - f), dc * i * (1 - g * g),
                            gh_ * tc * o * (1 - o)], axis=1)
        return _wrap(d), _wrap(dc * f)

    @staticmethod
    def jvp(ctx: Any, t_gates: Tensor | None, t_c: Tensor | None) -> tuple:
        gates, c = ctx.saved_tensors
        i, f, g, o, tc = _lstm_tensors(gates, c)
        t_cn = None
        t_o = None
        if t_gates is not None:
            ti, tf, tg, to = split(t_gates, gates.shape[1] // 4, 1)
            t_cn = tf * f * (1 - f) * c + ti * i * (1 - i) * g + i * (1 - g * g) * tg
            t_o = to * o * (1 - o)
        if t_c is not None:
            t_cn = f * t_c if t_cn is None else t_cn + f * t_c
        t_h = o * (1 - tc * tc) * t_cn
        if t_o is not None:
            t_h = t_h + t_o * tc
        return t_h, t_cn


# ----------------------------------------------------------------------------- GRU


def _gru_tensors(gi: Tensor, gh: Tensor) -> tuple:
    hid = gi.shape[1] // 3
    i_rz, i_n = split(gi, (2 * hid, hid), 1)
    h_rz, h_n = split(gh, (2 * hid, hid), 1)
    r, z = split((i_rz + h_rz).sigmoid(), hid, 1)
    n = (i_n + r * h_n).tanh()
    return r, z, n, h_n


class GRUCellOp(Op):
    """``(gi, gh, h) -> h'`` with ``gi = x W_ihᵀ + b_ih`` and ``gh = h W_hhᵀ + b_hh``
    in gate order ``[r, z, n]``: ``n = tanh(gi_n + r * gh_n)``, ``h' = n + z (h - n)``."""

    saved_inputs = (0, 1, 2)

    @staticmethod
    def forward(ctx: Any, gi: Any, gh: Any, h: Any) -> Any:
        xp = backend.xp_of(gi)
        hid = gi.shape[1] // 3
        rz = _sigmoid(xp, gi[:, :2 * hid] + gh[:, :2 * hid])
        r, z = rz[:, :hid], rz[:, hid:]
        h_n = gh[:, 2 * hid:]
        n = xp.tanh(gi[:, 2 * hid:] + r * h_n)
        ctx.acts = (r, z, n)
        return n + z * (h - n)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        gi, gh, h = ctx.saved_tensors
        if _differentiable():
            r, z, n, h_n = _gru_tensors(gi, gh)
            dn = grad_out * (1 - z) * (1 - n * n)
            dr = dn * h_n * r * (1 - r)
            dz = grad_out * (h - n) * z * (1 - z)
            return cat([dr, dz, dn], 1), cat([dr, dz, dn * r], 1), grad_out * z
        r, z, n = ctx.acts
        g = grad_out._data
        xp = backend.xp_of(g)
        hid = r.shape[1]
        h_n = gh._data[:, 2 * hid:]
        dn = g * (1 - z) * (1 - n * n)
        dr = dn * h_n * r * (1 - r)
        dz = g * (h._data - n) * z * (1 - z)
        d_gi = xp.concatenate([dr, dz, dn], axis=1)
        d_gh = xp.concatenate([dr, dz, dn * r], axis=1)
        return _wrap(d_gi), _wrap(d_gh), _wrap(g * z)

    @staticmethod
    def jvp(ctx: Any, t_gi: Tensor | None, t_gh: Tensor | None, t_h: Tensor | None) -> Tensor:
        gi, gh, h = ctx.saved_tensors
        r, z, n, h_n = _gru_tensors(gi, gh)
        hid = r.shape[1]
        zeros = gi.new_zeros(gi.shape)
        ti_rz, ti_n = split(t_gi if t_gi is not None else zeros, (2 * hid, hid), 1)
        th_rz, th_n = split(t_gh if t_gh is not None else zeros, (2 * hid, hid), 1)
        t_r, t_z = split(ti_rz + th_rz, hid, 1)
        t_r, t_z = t_r * r * (1 - r), t_z * z * (1 - z)
        t_n = (ti_n + t_r * h_n + r * th_n) * (1 - n * n)
        out = t_n * (1 - z) + t_z * (h - n)
        if t_h is not None:
            out = out + z * t_h
        return out
