"""Linear maps (mirrors ``torch.nn.functional.linear`` / ``bilinear``).

Example:
    >>> import autograd
    >>> import autograd.nn.functional as F
    >>> F.linear(autograd.ones(2, 3), autograd.ones(4, 3), autograd.zeros(4)).shape
    (2, 4)
"""

from __future__ import annotations

from ...amp import autocast_mode as _amp
from ...ops import matmul as _mm
from ...tensor import Tensor

__all__ = ["linear", "bilinear"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` for ``input`` of shape (*, in_features), ``weight``
    (out_features, in_features) and ``bias`` (out_features).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.linear(autograd.tensor([[1.0, 2.0]]), autograd.tensor([[1.0, 1.0]])).tolist()
        [[3.0]]
    """
    if _amp.active[0]:  # autocast: a lower-precision op
        input, weight, bias = _amp.autocast_lower(input, weight, bias)
    fused = getattr(_mm, "linear", None)
    if fused is not None:
        return fused(input, weight, bias)
    if weight.ndim not in (1, 2):
        raise RuntimeError(f"linear: weight must be 1-D or 2-D, got shape {list(weight.shape)}")
    out = _mm.matmul(input, weight.t() if weight.ndim == 2 else weight)
    return out if bias is None else out + bias


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j] + b[o]``.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.bilinear(autograd.ones(5, 2), autograd.ones(5, 3), autograd.ones(4, 2, 3)).shape
        (5, 4)
    """
    if _amp.active[0]:
        input1, input2, weight, bias = _amp.autocast_lower(input1, input2, weight, bias)
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear: weight must be 3-D (out, in1, in2), got shape {list(weight.shape)}")
    if input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(
            f"bilinear: input1 {list(input1.shape)} and input2 {list(input2.shape)} do not match "
            f"weight {list(weight.shape)}: expected input1.shape[-1] == {weight.shape[1]} and "
            f"input2.shape[-1] == {weight.shape[2]}"
        )
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(
            f"bilinear: input1 and input2 must have the same leading dims, got "
            f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}"
        )
    # (..., 1, 1, in1) @ (out, in1, in2) -> (..., out, 1, in2)
    left = _mm.matmul(input1.unsqueeze(-2).unsqueeze(-2), weight).squeeze(-2)
    out = (left * input2.unsqueeze(-2)).sum(-1)
    return out if bias is None else out + bias
