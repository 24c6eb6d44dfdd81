"""Loss functions (mirrors the losses of ``torch.nn.functional``). Cross-entropy, NLL
and BCE are fused ops (``autograd/ops/nn_loss.py``); the others are compositions.

``reduction`` is ``'mean'`` (default), ``'sum'`` or ``'none'``; the legacy
``size_average`` / ``reduce`` arguments are honoured with a deprecation warning.

Example:
    >>> import autograd
    >>> import autograd.nn.functional as F
    >>> F.mse_loss(autograd.tensor([1.0, 2.0]), autograd.tensor([0.0, 0.0])).item()
    2.5
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from typing import Any

from ... import backend
from ...amp import autocast_mode as _amp
from ...ops import nn_loss as _ops
from ...ops import pointwise as _pw
from ...ops.binary import where, xlogy
from ...tensor import Tensor, _wrap
from .activation import Softplus

__all__ = [
    "l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss",
    "gaussian_nll_loss", "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
    "multilabel_soft_margin_loss", "cosine_embedding_loss", "triplet_margin_loss",
]

_REDUCTIONS = ("none", "mean", "sum")


def _fp32(fn: Callable) -> Callable:
    """Autocast: a loss runs in float32 (its float16/bfloat16 inputs are cast up)."""

    @functools.wraps(fn)
    def loss(*args: Any, **kwargs: Any) -> Any:
        if _amp.active[0]:
            args = _amp.autocast_fp32(*args)
            kwargs = dict(zip(kwargs, _amp.autocast_fp32(*kwargs.values())))
        return fn(*args, **kwargs)

    return loss


def _legacy(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """Map the deprecated size_average/reduce pair to a reduction string."""
    if size_average is None and reduce is None:
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{reduction} is not a valid value for reduction")
        return reduction
    warnings.warn(
        "size_average and reduce args will be deprecated, please use reduction='"
        + ("mean" if (size_average is not False and reduce is not False) else
           "sum" if reduce is not False else "none") + "' instead.", stacklevel=3,
    )
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _same_size(input: Tensor, target: Tensor, name: str) -> None:
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"{name}: Using a target size ({list(target.shape)}) that is different to the input "
            f"size ({list(input.shape)}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.", stacklevel=3,
        )


def _const(arr: Any) -> Tensor:
    return _wrap(arr)


def _by_sign(target: Tensor, if_pos: Tensor, if_neg: Tensor, reduction: str) -> Tensor:
    """The embedding losses' case split: ``if_pos`` where target is 1, ``if_neg`` where it
    is -1, 0 elsewhere; reduced."""
    t = target._data
    pos = where(_const(t == 1), if_pos, 0.0)
    neg = where(_const(t == -1), if_neg, 0.0)
    return _reduce(pos + neg, reduction)


# ----------------------------------------------------------------------------- regression


@_fp32
def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """|input - target|, reduced.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.l1_loss(autograd.tensor([1.0, -2.0]), autograd.zeros(2), reduction="sum").item()
        3.0
    """
    reduction = _legacy(size_average, reduce, reduction)
    _same_size(input, target, "l1_loss")
    return _reduce(_pw.abs(input - target), reduction)


@_fp32
def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """(input - target)², reduced (optionally weighted elementwise).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.mse_loss(autograd.tensor([3.0]), autograd.tensor([1.0])).item()
        4.0
    """
    reduction = _legacy(size_average, reduce, reduction)
    _same_size(input, target, "mse_loss")
    d = input - target
    loss = d * d
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


@_fp32
def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d² / beta where |d| < beta, else |d| - 0.5 beta (d = input - target).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.smooth_l1_loss(autograd.tensor([0.5, 3.0]), autograd.zeros(2), reduction="none").tolist()
        [0.125, 2.5]
    """
    reduction = _legacy(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    _same_size(input, target, "smooth_l1_loss")
    z = _pw.abs(input - target)
    if beta == 0:
        return _reduce(z, reduction)
    loss = where(_const(z._data < beta), 0.5 * z * z / beta, z - 0.5 * beta)
    return _reduce(loss, reduction)


@_fp32
def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d² where |d| < delta, else delta (|d| - 0.5 delta).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.huber_loss(autograd.tensor([0.5, 3.0]), autograd.zeros(2), reduction="none", delta=2.0).tolist()
        [0.125, 4.0]
    """
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta, got {delta}")
    _same_size(input, target, "huber_loss")
    z = _pw.abs(input - target)
    loss = where(_const(z._data < delta), 0.5 * z * z, delta * (z - 0.5 * delta))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


# ----------------------------------------------------------------------------- classification


def _check_weight(weight: Tensor | None, c: int, input: Tensor, name: str) -> Any:
    if weight is None:
        return None
    if weight.ndim != 1 or weight.shape[0] != c:
        raise RuntimeError(
            f"weight tensor should be defined either for all {c} classes or no classes but got "
            f"weight tensor of shape: {list(weight.shape)}"
        )
    if weight.device != input.device:
        raise RuntimeError(
            f"Expected all tensors to be on the same device, but {name} got its input on "
            f"{input.device} and weight on {weight.device}; move the weight with "
            f".to({str(input.device)!r})"
        )
    return weight._data


def _batch_first(input: Tensor, target: Tensor, soft: bool, name: str) -> tuple:
    """Bring (C,) / (N, C, d…) inputs and their targets to the batched layout."""
    if input.ndim == 0:
        raise ValueError(f"{name}: expected an input of shape (C,), (N, C) or (N, C, d1, ...), got a 0-D tensor")
    if input.dtype.kind not in "fc":
        raise RuntimeError(f"{name}: expected a floating point input, got dtype {input.dtype}")
    unbatched = input.ndim == 1
    if soft:
        if tuple(target.shape) != tuple(input.shape):
            raise RuntimeError(
                f"{name}: class-probability targets must have the input's shape "
                f"{list(input.shape)}, got {list(target.shape)}"
            )
    elif unbatched:
        if target.ndim != 0:
            raise RuntimeError(
                f"{name}: for an unbatched input of shape {list(input.shape)} the target must be "
                f"a 0-D class index, got shape {list(target.shape)}"
            )
    else:
        if target.ndim == 0 or target.shape[0] != input.shape[0]:
            got = target.shape[0] if target.ndim else 0
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({got}).")
        expected = (input.shape[0],) + tuple(input.shape[2:])
        if tuple(target.shape) != expected:
            raise RuntimeError(
                f"{name}: Expected target size {list(expected)}, got {list(target.shape)}"
            )
    if unbatched:
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    return input, target, unbatched


def _check_targets(target: Tensor, c: int, ignore_index: int) -> None:
    t = target._data
    if t.dtype.kind not in "iu":
        raise RuntimeError(
            f"expected a target of class indices with an integer dtype (or class probabilities "
            f"of the input's shape and floating dtype), got dtype {t.dtype}"
        )
    if t.size == 0:
        return
    bad = ((t < 0) | (t >= c)) & (t != ignore_index)
    if bool(bad.any()):
        v = int(t[bad].reshape(-1)[0])
        raise IndexError(f"Target {v} is out of bounds.")


@_fp32
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between ``softmax(input)`` over dim 1 and ``target`` (class indices
    of shape (N, d1, …) or class probabilities of the input's shape), computed in one
    fused, numerically stable op.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> x = autograd.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
        >>> round(F.cross_entropy(x, autograd.tensor([0, -100])).item(), 4)
        0.2395
    """
    reduction = _legacy(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    soft = target.dtype.kind in "fc"
    if soft and ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    x, t, unbatched = _batch_first(input, target, soft, "cross_entropy")
    c = x.shape[1]
    w = _check_weight(weight, c, x, "cross_entropy")
    if soft:
        if t.dtype != x.dtype:
            t = t.to(x.dtype)
    else:
        _check_targets(t, c, ignore_index)
    out = _ops.CrossEntropy.apply(x, t, w, int(ignore_index), float(label_smoothing), reduction, soft)
    return out.squeeze(0) if unbatched and reduction == "none" else out


@_fp32
def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` (N, C, d1, …) at the class
    indices ``target`` (N, d1, …): -weight[t] · input[n, t].

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.nll_loss(autograd.tensor([[-1.0, -2.0], [-3.0, -4.0]]), autograd.tensor([1, 0])).item()
        2.5
    """
    reduction = _legacy(size_average, reduce, reduction)
    x, t, unbatched = _batch_first(input, target, False, "nll_loss")
    c = x.shape[1]
    w = _check_weight(weight, c, x, "nll_loss")
    _check_targets(t, c, ignore_index)
    out = _ops.NllLoss.apply(x, t, w, int(ignore_index), reduction)
    return out.squeeze(0) if unbatched and reduction == "none" else out


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """-w (t log x + (1 - t) log(1 - x)) for probabilities ``input`` in [0, 1] (logs
    clamped at -100, as in PyTorch).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> round(F.binary_cross_entropy(autograd.tensor([0.5]), autograd.tensor([1.0])).item(), 4)
        0.6931
    """
    if _amp.active[0] and _amp.is_autocast_enabled(input.device.type):
        raise RuntimeError(
            "autograd.nn.functional.binary_cross_entropy and autograd.nn.BCELoss are unsafe to "
            "autocast. Many models use a sigmoid layer right before the binary cross entropy "
            "layer. In this case, combine the two layers using "
            "autograd.nn.functional.binary_cross_entropy_with_logits or "
            "autograd.nn.BCEWithLogitsLoss, which are safe to autocast."
        )
    reduction = _legacy(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({list(target.shape)}) that is different to the input size "
            f"({list(input.shape)}) is deprecated. Please ensure they have the same size."
        )
    d = input._data
    if d.size and bool(((d < 0) | (d > 1)).any()):
        raise RuntimeError(
            "all elements of input should be between 0 and 1 (binary_cross_entropy takes "
            "probabilities; use binary_cross_entropy_with_logits for raw scores)"
        )
    if target.dtype != input.dtype:
        target = target.to(input.dtype)
    w = None
    if weight is not None:
        w = weight._data
        try:
            w = backend.xp_of(w).broadcast_to(w, input.shape)
        except ValueError:
            raise RuntimeError(
                f"binary_cross_entropy: weight of shape {list(weight.shape)} cannot be broadcast "
                f"to the input's shape {list(input.shape)}"
            ) from None
    return _reduce(_ops.BinaryCrossEntropy.apply(input, target, w), reduction)


@_fp32
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: bool | None = None, reduce: bool | None = None,
                                     reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """BCE on logits, stable for any |input|: (1 - t) x + (1 + (pos_weight - 1) t) ·
    softplus(-x); ``pos_weight`` weighs positives per class (last dim).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.binary_cross_entropy_with_logits(autograd.tensor([100.0]), autograd.tensor([0.0])).item()
        100.0
    """
    reduction = _legacy(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Target size ({list(target.shape)}) must be the same as input size "
            f"({list(input.shape)})"
        )
    if target.dtype != input.dtype:
        target = target.to(input.dtype)
    sp = Softplus.apply(-input, 1.0, math.inf)  # log(1 + exp(-x)), stable
    if pos_weight is not None:
        log_weight = (pos_weight - 1.0) * target + 1.0
        loss = (1.0 - target) * input + log_weight * sp
    else:
        loss = (1.0 - target) * input + sp
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


@_fp32
def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL(target ‖ ·) with ``input`` given as log-probabilities: target · (log target -
    input) (``log_target``: target given as log-probabilities too). ``'batchmean'``
    divides the sum by the batch size (the mathematically correct KL).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> p = autograd.tensor([[0.5, 0.5]])
        >>> F.kl_div(p.log(), p, reduction="batchmean").item()
        0.0
    """
    if reduction == "batchmean" and size_average is None and reduce is None:
        red = "batchmean"
    else:
        red = _legacy(size_average, reduce, reduction)
        if red == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the support "
                "size.'batchmean' divides only by the batch size, and aligns with the KL div "
                "math definition.'mean' will be changed to behave the same as 'batchmean' in "
                "the next major release.", stacklevel=2,
            )
    if log_target:
        loss = _pw.exp(target) * (target - input)
    else:
        loss = xlogy(target, target) - target * input
    if red == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(loss, red)


@_fp32
def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average: bool | None = None, eps: float = 1e-8,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood: exp(x) - t x (``log_input``) or x - t log(x + eps);
    ``full`` adds Stirling's term for t > 1.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.poisson_nll_loss(autograd.tensor([0.0]), autograd.tensor([1.0])).item()
        1.0
    """
    reduction = _legacy(size_average, reduce, reduction)
    if log_input:
        loss = _pw.exp(input) - target * input
    else:
        loss = input - target * _pw.log(input + eps)
    if full:
        t = target.detach()
        stirling = t * _pw.log(t) - t + 0.5 * _pw.log(2 * math.pi * t)
        loss = loss + where(_const(t._data > 1), stirling, 0.0)
    return _reduce(loss, reduction)


@_fp32
def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Gaussian negative log-likelihood 0.5 (log var + (input - target)² / var) (+ 0.5
    log 2π with ``full``); ``var`` is clamped at ``eps`` (without affecting its grad).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.gaussian_nll_loss(autograd.tensor([1.0]), autograd.tensor([3.0]), autograd.tensor([1.0])).item()
        2.0
    """
    if not isinstance(var, Tensor):
        from ...creation import full as _full

        var = _full(input.shape, float(var), dtype=input.dtype, device=input.device)
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError(
                f"var is of incorrect size: got {list(var.shape)} for an input of shape "
                f"{list(input.shape)}"
            )
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    # clamp the value only: the gradient flows as if var were not clamped (as PyTorch)
    lift = _const((var._data.clip(eps, None) - var._data).astype(var.dtype))
    var = var + lift
    d = input - target
    loss = 0.5 * (_pw.log(var) + d * d / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ----------------------------------------------------------------------------- margins


@_fp32
def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, -target · (input1 - input2) + margin).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.margin_ranking_loss(autograd.tensor([1.0]), autograd.tensor([2.0]), autograd.tensor([1.0])).item()
        1.0
    """
    reduction = _legacy(size_average, reduce, reduction)
    return _reduce(_pw.relu(-target * (input1 - input2) + margin), reduction)


@_fp32
def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """x where target is 1, max(0, margin - x) where target is -1.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> x, y = autograd.tensor([0.25, 0.25]), autograd.tensor([1.0, -1.0])
        >>> F.hinge_embedding_loss(x, y, reduction="none").tolist()
        [0.25, 0.75]
    """
    reduction = _legacy(size_average, reduce, reduction)
    return _by_sign(target, input, _pw.relu(margin - input), reduction)


@_fp32
def soft_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target · input)).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> round(F.soft_margin_loss(autograd.tensor([0.0]), autograd.tensor([1.0])).item(), 4)
        0.6931
    """
    reduction = _legacy(size_average, reduce, reduction)
    return _reduce(Softplus.apply(-target * input, 1.0, math.inf), reduction)


@_fp32
def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average: bool | None = None, reduce: bool | None = None,
                                reduction: str = "mean") -> Tensor:
    """Per-class logistic loss averaged over the C classes (last dim), then reduced.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> round(F.multilabel_soft_margin_loss(autograd.zeros(1, 2), autograd.tensor([[1.0, 0.0]])).item(), 4)
        0.6931
    """
    reduction = _legacy(size_average, reduce, reduction)
    loss = target * Softplus.apply(-input, 1.0, math.inf) + (1.0 - target) * Softplus.apply(input, 1.0, math.inf)
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(-1) / input.shape[-1]
    return _reduce(loss, reduction)


@_fp32
def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> x = autograd.tensor([[1.0, 0.0]])
        >>> F.cosine_embedding_loss(x, x, autograd.tensor([1.0])).item()
        0.0
    """
    reduction = _legacy(size_average, reduce, reduction)
    dim = 1 if input1.ndim == 2 else 0
    eps = 1e-12
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + eps
    mag2 = (input2 * input2).sum(dim) + eps
    cos = prod / _pw.sqrt(mag1 * mag2)
    return _by_sign(target, 1.0 - cos, _pw.relu(cos - margin), reduction)


@_fp32
def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) with d the p-norm pairwise distance; ``swap``
    uses min(d(a, n), d(p, n)).

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> a = autograd.tensor([[0.0, 0.0]])
        >>> round(F.triplet_margin_loss(a, a, a + 3.0).item(), 4)
        0.0
    """
    from .misc import pairwise_distance

    reduction = _legacy(size_average, reduce, reduction)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_swap = pairwise_distance(positive, negative, p, eps)
        d_neg = where(_const(d_swap._data < d_neg._data), d_swap, d_neg)
    return _reduce(_pw.relu(d_pos - d_neg + margin), reduction)
