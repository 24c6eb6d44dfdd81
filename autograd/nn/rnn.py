"""Recurrent layers (mirrors ``torch.nn`` RNN, LSTM, GRU and their cells), with
PyTorch's gate orders (LSTM: i, f, g, o; GRU: r, z, n), parameter names
(``weight_ih_l0``, ``weight_hh_l0_reverse``, …), shapes and initialisation
``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``.

The input projections of a whole sequence are one matrix product per layer and
direction; only the hidden-state recurrence runs step by step.

Example:
    >>> import autograd
    >>> from autograd import nn
    >>> lstm = nn.LSTM(10, 20, num_layers=2, batch_first=True, bidirectional=True)
    >>> out, (h, c) = lstm(autograd.randn(3, 7, 10))
    >>> out.shape, h.shape, c.shape
    ((3, 7, 40), (4, 3, 20), (4, 3, 20))
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from ..creation import empty, zeros
from ..ops.join import cat, stack, unbind
from ..tensor import Tensor
from . import functional as F
from . import init
from .functional._rnn_ops import GRUCellOp, LSTMCellOp
from .module import Module
from .parameter import Parameter

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# ----------------------------------------------------------------------------- one time step


def _rnn_step(act: Any, gi: Tensor, h: Tensor, w_hh_t: Tensor) -> Tensor:
    return act(gi + h @ w_hh_t)  # b_ih + b_hh are already folded into gi


def _lstm_step(gi: Tensor, h: Tensor, c: Tensor, w_hh_t: Tensor,
               w_hr_t: Tensor | None) -> tuple[Tensor, Tensor]:
    h, c = LSTMCellOp.apply(gi + h @ w_hh_t, c)  # the gate nonlinearities are one fused op
    if w_hr_t is not None:
        h = h @ w_hr_t
    return h, c


def _gru_step(gi: Tensor, h: Tensor, w_hh_t: Tensor, b_hh: Tensor | None) -> Tensor:
    gh = h @ w_hh_t
    if b_hh is not None:
        gh = gh + b_hh
    return GRUCellOp.apply(gi, gh, h)


def _act(mode: str) -> Any:
    return (lambda t: t.relu()) if mode == "RNN_RELU" else (lambda t: t.tanh())


# ----------------------------------------------------------------------------- sequence layers


def _uniform_reset(m: Module) -> None:
    """PyTorch's recurrent init: every parameter U(-1/sqrt(hidden), 1/sqrt(hidden))."""
    stdv = 1.0 / math.sqrt(m.hidden_size) if m.hidden_size > 0 else 0
    for w in m.parameters():
        init.uniform_(w, -stdv, stdv)


class RNNBase(Module):
    """The shared machinery of RNN, LSTM and GRU: parameters per layer and direction,
    argument checks, and the loop over layers, directions and time."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an "
                "element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}", stacklevel=3,
            )
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_in = input_size if layer == 0 else real_hidden * directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih", (gate_size, layer_in)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for base, shape in shapes:
                    name = f"{base}_l{layer}{suffix}"
                    setattr(self, name, Parameter(empty(shape, device=device, dtype=dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def reset_parameters(self) -> None:
        _uniform_reset(self)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -- forward
    def _name(self) -> str:
        return "RNN" if self.mode.startswith("RNN") else self.mode

    def _prepare(self, input: Tensor) -> tuple[Tensor, bool]:
        if not isinstance(input, Tensor):
            raise TypeError(f"{self._name()}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (2, 3):
            raise ValueError(
                f"{self._name()}: Expected input to be 2D or 3D, got {input.ndim}D tensor instead"
            )
        batched = input.ndim == 3
        if not batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                f"{input.shape[-1]}"
            )
        return input, batched

    def _check_hidden(self, h: Tensor, expected: tuple, what: str) -> None:
        if tuple(h.shape) != expected:
            raise RuntimeError(f"Expected {what} size {expected}, got {list(h.shape)}")

    def _run(self, x: Tensor, h0: Tensor, c0: Tensor | None) -> tuple:
        """x: (L, N, F); h0/c0: (layers * D, N, H). Returns output, h_n, c_n."""
        directions = 2 if self.bidirectional else 1
        seq_len = x.shape[0]
        h_last, c_last = [], []
        layer_in = x
        weights = self.all_weights
        h0s = unbind(h0, 0)
        c0s = unbind(c0, 0) if c0 is not None else None
        for layer in range(self.num_layers):
            outs = []
            for d in range(directions):
                idx = layer * directions + d
                ws = weights[idx]
                w_ih, w_hh = ws[0], ws[1]
                b_ih, b_hh = (ws[2], ws[3]) if self.bias else (None, None)
                w_hr_t = ws[-1].t() if self.proj_size > 0 else None
                if self.mode == "GRU":
                    gi_all = F.linear(layer_in, w_ih, b_ih)
                else:
                    gi_all = F.linear(layer_in, w_ih, b_ih + b_hh if self.bias else None)
                w_hh_t = w_hh.t()
                h = h0s[idx]
                c = c0s[idx] if c0s is not None else None
                ys: list[Any] = [None] * seq_len
                steps = range(seq_len) if d == 0 else range(seq_len - 1, -1, -1)
                act = _act(self.mode)
                gis = unbind(gi_all, 0)  # one op whose backward is one stack
                for t in steps:
                    gi = gis[t]
                    if self.mode == "LSTM":
                        h, c = _lstm_step(gi, h, c, w_hh_t, w_hr_t)
                    elif self.mode == "GRU":
                        h = _gru_step(gi, h, w_hh_t, b_hh)
                    else:
                        h = _rnn_step(act, gi, h, w_hh_t)
                    ys[t] = h
                outs.append(stack(ys, 0))
                h_last.append(h)
                c_last.append(c)
            layer_in = outs[0] if directions == 1 else cat(outs, -1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, training=True)
        c_n = stack(c_last, 0) if c0 is not None else None
        return layer_in, stack(h_last, 0), c_n

    def _finish(self, out: Tensor, batched: bool) -> Tensor:
        if not batched:
            return out.squeeze(1)
        return out.transpose(0, 1) if self.batch_first else out

    def _zeros(self, x: Tensor, size: int) -> Tensor:
        directions = 2 if self.bidirectional else 1
        return zeros(self.num_layers * directions, x.shape[1], size, dtype=x.dtype, device=x.device)

    def _hidden_in(self, hx: Tensor, batched: bool, x: Tensor, size: int, what: str) -> Tensor:
        directions = 2 if self.bidirectional else 1
        if not batched:
            hx = hx.unsqueeze(1)
        expected = (self.num_layers * directions, x.shape[1], size)
        self._check_hidden(hx, expected, what)
        if hx.dtype != x.dtype:
            raise RuntimeError(
                f"{self._name()}: input and hidden state must have the same dtype, got input "
                f"{x.dtype} and hidden {hx.dtype}"
            )
        return hx

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        x, batched = self._prepare(input)
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        if hx is None:
            h0 = self._zeros(x, real_hidden)
        else:
            want = 3 if batched else 2
            if hx.ndim != want:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(
                    f"For {kind} input, hx should also be {want}-D but got {hx.ndim}-D tensor"
                )
            h0 = self._hidden_in(hx, batched, x, real_hidden, "hidden")
        out, h_n, _ = self._run(x, h0, None)
        return self._finish(out, batched), h_n if batched else h_n.squeeze(1)


class RNN(RNNBase):
    """Elman RNN: ``h_t = act(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)`` with ``act``
    tanh or relu; ``forward(input, h0=None) -> (output, h_n)``.

    Example:
        >>> import autograd
        >>> from autograd import nn
        >>> rnn = nn.RNN(4, 6, num_layers=2)
        >>> out, h = rnn(autograd.randn(5, 3, 4))
        >>> out.shape, h.shape
        ((5, 3, 6), (2, 3, 6))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0,
                         device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n as PyTorch):
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``.

    Example:
        >>> import autograd
        >>> from autograd import nn
        >>> out, h = nn.GRU(4, 6, batch_first=True)(autograd.randn(3, 5, 4))
        >>> out.shape, h.shape
        ((3, 5, 6), (1, 3, 6))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)


class LSTM(RNNBase):
    """Long short-term memory (gates i, f, g, o as PyTorch); ``forward(input,
    (h0, c0)=None) -> (output, (h_n, c_n))``; ``proj_size > 0`` projects ``h`` by
    ``weight_hr``.

    Example:
        >>> import autograd
        >>> from autograd import nn
        >>> out, (h, c) = nn.LSTM(4, 6, proj_size=3)(autograd.randn(5, 2, 4))
        >>> out.shape, h.shape, c.shape
        ((5, 2, 3), (1, 2, 3), (1, 2, 6))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device: Any = None, dtype: Any = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple:  # type: ignore[override]
        x, batched = self._prepare(input)
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        if hx is None:
            h0, c0 = self._zeros(x, real_hidden), self._zeros(x, self.hidden_size)
        else:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise RuntimeError("LSTM: hx must be a tuple (h_0, c_0) of two tensors")
            h0, c0 = hx
            want = 3 if batched else 2
            if h0.ndim != want or c0.ndim != want:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(
                    f"For {kind} input, hx and cx should also be {want}-D but got "
                    f"({h0.ndim}-D, {c0.ndim}-D) tensors"
                )
            h0 = self._hidden_in(h0, batched, x, real_hidden, "hidden[0]")
            c0 = self._hidden_in(c0, batched, x, self.hidden_size, "hidden[1]")
        out, h_n, c_n = self._run(x, h0, c0)
        if not batched:
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return self._finish(out, batched), (h_n, c_n)


# ----------------------------------------------------------------------------- cells


class RNNCellBase(Module):
    """Parameters ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` and the checks
    shared by the single-step cells."""

    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        g = num_chunks * hidden_size
        self.weight_ih = Parameter(empty((g, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(empty((g, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(g, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(g, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _uniform_reset(self)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nl = getattr(self, "nonlinearity", "tanh")
        if nl != "tanh":
            s += f", nonlinearity={nl}"
        return s

    def _input(self, input: Tensor, *hidden: Tensor | None) -> tuple:
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        for h in hidden:
            if h is not None and h.ndim not in (1, 2):
                raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {h.ndim}D instead")
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
        if input.shape[1] != self.input_size:
            raise RuntimeError(
                f"input has inconsistent input_size: got {input.shape[1]} expected {self.input_size}"
            )
        out = []
        for i, h in enumerate(hidden):
            if h is None:
                h = zeros(input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device)
            elif not batched:
                h = h.unsqueeze(0)
            if h.shape[0] != input.shape[0]:
                raise RuntimeError(
                    f"Input batch size {input.shape[0]} doesn't match hidden{i} batch size "
                    f"{h.shape[0]}"
                )
            if h.shape[1] != self.hidden_size:
                raise RuntimeError(
                    f"hidden{i} has inconsistent hidden_size: got {h.shape[1]}, expected "
                    f"{self.hidden_size}"
                )
            out.append(h)
        return input, batched, out


class RNNCell(RNNCellBase):
    """One Elman RNN step: ``h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)``.

    Example:
        >>> import autograd
        >>> from autograd import nn
        >>> nn.RNNCell(3, 5)(autograd.randn(2, 3)).shape
        (2, 5)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, batched, (h,) = self._input(input, hx)
        b = self.bias_ih + self.bias_hh if self.bias else None
        act = _act("RNN_RELU" if self.nonlinearity == "relu" else "RNN_TANH")
        h = _rnn_step(act, F.linear(x, self.weight_ih, b), h, self.weight_hh.t())
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; ``forward(input, (h, c)=None) -> (h', c')``.

    Example:
        >>> import autograd
        >>> from autograd import nn
        >>> h, c = nn.LSTMCell(3, 5)(autograd.randn(2, 3))
        >>> h.shape, c.shape
        ((2, 5), (2, 5))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple[Tensor, Tensor]:
        h0, c0 = hx if hx is not None else (None, None)
        x, batched, (h, c) = self._input(input, h0, c0)
        b = self.bias_ih + self.bias_hh if self.bias else None
        h, c = _lstm_step(F.linear(x, self.weight_ih, b), h, c, self.weight_hh.t(), None)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: ``h' = (1 - z) * n + z * h``.

    Example:
        >>> import autograd
        >>> from autograd import nn
        >>> nn.GRUCell(3, 5)(autograd.randn(3)).shape
        (5,)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, batched, (h,) = self._input(input, hx)
        gi = F.linear(x, self.weight_ih, self.bias_ih)
        h = _gru_step(gi, h, self.weight_hh.t(), self.bias_hh)
        return h if batched else h.squeeze(0)
