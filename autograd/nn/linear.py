"""Linear layers (mirrors ``torch.nn`` Identity, Linear, Bilinear).

Example:
    >>> import autograd
    >>> from autograd import nn
    >>> nn.Linear(4, 2)(autograd.ones(3, 4)).shape
    (3, 2)
"""

from __future__ import annotations

import math
from typing import Any

from ..creation import empty
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["Identity", "Linear", "Bilinear"]


class Identity(Module):
    """Returns its input unchanged (constructor arguments are ignored).

    Example:
        >>> import autograd
        >>> from autograd import nn
        >>> nn.Identity(54, unused="x")(autograd.ones(2)).tolist()
        [1.0, 1.0]
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


def _weight_and_bias(m: Module, shape: tuple, out_features: int, bias: bool, device: Any,
                     dtype: Any) -> None:
    """Register ``m.weight`` (uninitialised, of ``shape``) and ``m.bias`` (of
    ``out_features``, or ``None`` without ``bias``)."""
    m.weight = Parameter(empty(shape, device=device, dtype=dtype))
    if bias:
        m.bias = Parameter(empty(out_features, device=device, dtype=dtype))
    else:
        m.register_parameter("bias", None)


class Linear(Module):
    """``y = x Wᵀ + b`` with W of shape (out_features, in_features).

    Weights start as kaiming_uniform_(a=√5), i.e. U(-1/√in, 1/√in); so does the bias.

    Example:
        >>> from autograd import nn
        >>> nn.Linear(10, 5)
        Linear(in_features=10, out_features=5, bias=True)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        _weight_and_bias(self, (out_features, in_features), out_features, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """``y = x1ᵀ A x2 + b`` with A of shape (out, in1, in2); init U(-1/√in1, 1/√in1).

    Example:
        >>> import autograd
        >>> from autograd import nn
        >>> nn.Bilinear(2, 3, 4)(autograd.ones(5, 2), autograd.ones(5, 3)).shape
        (5, 4)
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        _weight_and_bias(self, (out_features, in1_features, in2_features), out_features, bias,
                         device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
