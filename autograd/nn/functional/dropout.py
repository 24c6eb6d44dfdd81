"""Dropout (mirrors the dropout functions of ``torch.nn.functional``): in training,
zero elements (or whole channels) with probability ``p`` and scale the rest by
``1 / (1 - p)``; identity in evaluation.

Example:
    >>> import autograd
    >>> import autograd.nn.functional as F
    >>> F.dropout(autograd.ones(4), p=0.5, training=False).tolist()
    [1.0, 1.0, 1.0, 1.0]
"""

from __future__ import annotations

from ... import backend
from ...random import rand
from ...tensor import Tensor, _wrap

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout"]

_SELU_NEG = 1.7580993408473766  # -(scale * alpha) of SELU


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(input: Tensor, p: float, shape: tuple) -> object:
    u = rand(*shape, dtype=backend.float64 if input.dtype == backend.float64 else backend.float32,
             device=input.device)._data
    return (u >= p).astype(input.dtype)


def _apply(input: Tensor, p: float, training: bool, inplace: bool, shape: tuple,
           alpha: bool) -> Tensor:
    _check_p(p)
    if not training or p == 0.0:
        return input
    if input.dtype.kind not in "fc":
        raise RuntimeError(f"dropout expects a floating point input, got dtype {input.dtype}")
    keep = _keep_mask(input, p, shape)
    x = input.clone() if inplace and input.requires_grad else input
    if alpha:
        if p == 1.0:
            out = x * 0.0
        else:
            a = ((_SELU_NEG ** 2 * p + 1) * (1 - p)) ** -0.5
            b = (keep - 1.0) * (_SELU_NEG * a) + _SELU_NEG * a * p
            out = x * _wrap((keep * a).astype(input.dtype)) + _wrap(b.astype(input.dtype))
    else:
        scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
        out = x * _wrap((keep * scale).astype(input.dtype))
    return input.copy_(out) if inplace else out


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p``; scale the rest by 1/(1-p).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> y = F.dropout(autograd.ones(1000), p=0.5)
        >>> sorted(set(y.tolist()))
        [0.0, 2.0]
    """
    return _apply(input, p, training, inplace, input.shape, alpha=False)


def _feature_shape(input: Tensor, batched_ndim: int, name: str) -> tuple:
    if input.ndim not in (batched_ndim - 1, batched_ndim):
        raise RuntimeError(
            f"{name}: Expected {batched_ndim - 1}D or {batched_ndim}D input, but received a "
            f"{input.ndim}D input of shape {list(input.shape)}"
        )
    lead = 2 if input.ndim == batched_ndim else 1
    return tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) inputs.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.dropout1d(autograd.ones(2, 3, 4), p=0.5).shape
        (2, 3, 4)
    """
    return _apply(input, p, training, inplace, _feature_shape(input, 3, "dropout1d"), False)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) or (C, H, W) inputs.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.dropout2d(autograd.ones(2, 3, 4, 4), p=0.5).shape
        (2, 3, 4, 4)
    """
    return _apply(input, p, training, inplace, _feature_shape(input, 4, "dropout2d"), False)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.dropout3d(autograd.ones(1, 2, 2, 2, 2), p=0.5).shape
        (1, 2, 2, 2, 2)
    """
    return _apply(input, p, training, inplace, _feature_shape(input, 5, "dropout3d"), False)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout that keeps the self-normalising property of SELU (mean 0, variance 1):
    dropped elements take SELU's negative saturation value, then an affine correction.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.alpha_dropout(autograd.ones(3), 0.2, training=False).tolist()
        [1.0, 1.0, 1.0]
    """
    return _apply(input, p, training, inplace, input.shape, alpha=True)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels (dim 1).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.feature_alpha_dropout(autograd.ones(2, 3, 4), 0.2, training=True).shape
        (2, 3, 4)
    """
    if input.ndim < 2:
        raise RuntimeError(f"feature_alpha_dropout: expected at least 2-D input, got {input.ndim}-D")
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _apply(input, p, training, inplace, shape, alpha=True)
