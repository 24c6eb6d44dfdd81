"""Distances, normalisation and padding (mirrors ``torch.nn.functional.normalize``,
``cosine_similarity``, ``pairwise_distance``, ``pad``).

Example:
    >>> import autograd
    >>> import autograd.nn.functional as F
    >>> F.normalize(autograd.tensor([[3.0, 4.0]])).tolist()  # doctest: +ELLIPSIS
    [[0.6000..., 0.8000...]]
"""

from __future__ import annotations

from typing import Any

from ...tensor import Tensor

__all__ = ["normalize", "cosine_similarity", "pairwise_distance", "pad"]


def _vector_norm(x: Tensor, p: float, dim: int, keepdim: bool) -> Tensor:
    return x.norm(p, dim, keepdim=keepdim)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """``input / max(‖input‖_p, eps)`` along ``dim``.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.normalize(autograd.tensor([0.0, 2.0]), dim=0).tolist()
        [0.0, 1.0]
    """
    denom = _vector_norm(input, p, dim, True).clamp(min=eps)
    res = input / denom
    if out is not None:
        out.copy_(res)
        return out
    return res


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (broadcasting), each
    norm clamped at ``eps``.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.cosine_similarity(autograd.tensor([[1.0, 0.0]]), autograd.tensor([[1.0, 1.0]])).tolist()
        [0.7071067690849304]
    """
    n1 = _vector_norm(x1, 2, dim, True).clamp(min=eps)
    n2 = _vector_norm(x2, 2, dim, True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """‖x1 - x2 + eps‖_p along the last dim.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> round(F.pairwise_distance(autograd.tensor([[0.0, 0.0]]), autograd.tensor([[3.0, 4.0]])).item(), 3)
        5.0
    """
    d = x1 - x2 + eps
    dim = -1 if d.ndim else 0
    if d.ndim == 0:
        d = d.reshape(1)
    return _vector_norm(d, p, dim, keepdim)


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last dims: ``pad = (left_last, right_last, left_prev, right_prev, …)``;
    modes 'constant', 'reflect', 'replicate', 'circular' (see ``autograd.pad``).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.pad(autograd.ones(1, 2), (1, 1)).tolist()
        [[0.0, 1.0, 1.0, 0.0]]
    """
    from ...ops import shape

    return shape.pad(input, pad, mode, value)
