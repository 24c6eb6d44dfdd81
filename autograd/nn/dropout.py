"""Dropout layers (mirrors ``torch.nn`` Dropout, Dropout1d/2d/3d, AlphaDropout):
active in training mode, the identity after ``eval()``.

Example:
    >>> import autograd
    >>> from autograd import nn
    >>> drop = nn.Dropout(0.5).eval()
    >>> drop(autograd.ones(3)).tolist()
    [1.0, 1.0, 1.0]
"""

from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
           "FeatureAlphaDropout"]


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero elements with probability ``p`` in training; scale the rest by 1/(1-p).

    Example:
        >>> from autograd import nn
        >>> nn.Dropout(0.1)
        Dropout(p=0.1, inplace=False)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) / (C, L) inputs.

    Example:
        >>> import autograd
        >>> from autograd import nn
        >>> nn.Dropout1d(0.5)(autograd.ones(2, 3, 4)).shape
        (2, 3, 4)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) / (C, H, W) inputs.

    Example:
        >>> import autograd
        >>> from autograd import nn
        >>> nn.Dropout2d(0.5)(autograd.ones(1, 3, 2, 2)).shape
        (1, 3, 2, 2)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) / (C, D, H, W) inputs.

    Example:
        >>> import autograd
        >>> from autograd import nn
        >>> nn.Dropout3d(0.5)(autograd.ones(1, 2, 2, 2, 2)).shape
        (1, 2, 2, 2, 2)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout for SELU networks (keeps zero mean and unit variance).

    Example:
        >>> import autograd
        >>> from autograd import nn
        >>> nn.AlphaDropout(0.2)(autograd.zeros(4)).shape
        (4,)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels.

    Example:
        >>> import autograd
        >>> from autograd import nn
        >>> nn.FeatureAlphaDropout(0.2)(autograd.zeros(2, 3, 4)).shape
        (2, 3, 4)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.feature_alpha_dropout(input, self.p, self.training)
