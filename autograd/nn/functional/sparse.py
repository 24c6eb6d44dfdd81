"""Lookup tables (mirrors ``torch.nn.functional.embedding`` and ``one_hot``).

Example:
    >>> import autograd
    >>> import autograd.nn.functional as F
    >>> w = autograd.tensor([[0.0, 0.0], [1.0, 2.0]])
    >>> F.embedding(autograd.tensor([1, 0]), w).tolist()
    [[1.0, 2.0], [0.0, 0.0]]
"""

from __future__ import annotations

from typing import Any

from ... import backend
from ...function import Op
from ...grad_mode import no_grad
from ...tensor import Tensor, _wrap

__all__ = ["embedding", "one_hot"]


def _row_scale(idx: Any, num: int, padding_idx: int | None, by_freq: bool, dtype: Any) -> Any:
    """Per-lookup gradient factor: 0 at padding_idx, 1/count with scale_grad_by_freq."""
    xp = backend.xp_of(idx)
    if padding_idx is None and not by_freq:
        return None
    scale = xp.ones(idx.shape, dtype=dtype)
    if by_freq:
        counts = xp.bincount(idx.reshape(-1), minlength=num)
        scale = scale / counts[idx]
    if padding_idx is not None:
        scale = xp.where(idx == padding_idx, 0, scale).astype(dtype)
    return scale


class Embedding(Op):
    """``weight[idx]``; the gradient scatter-adds rows back (masked / rescaled)."""

    @staticmethod
    def forward(ctx: Any, weight: Any, idx: Any, padding_idx: int | None, by_freq: bool) -> Any:
        ctx.idx, ctx.num, ctx.pad, ctx.freq = idx, weight.shape[0], padding_idx, by_freq
        return weight[idx]

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return EmbeddingBackward.apply(grad_out, ctx.idx, ctx.num, ctx.pad, ctx.freq), None, None, None

    @staticmethod
    def jvp(ctx: Any, tw: Tensor, *_: Any) -> Tensor:
        return Embedding.apply(tw, ctx.idx, None, False)


class EmbeddingBackward(Op):
    """The adjoint of Embedding: rows of ``grad`` added into a (num, dim) table."""

    @staticmethod
    def forward(ctx: Any, grad: Any, idx: Any, num: int, padding_idx: int | None, by_freq: bool) -> Any:
        ctx.idx, ctx.pad, ctx.freq, ctx.num = idx, padding_idx, by_freq, num
        xp = backend.xp_of(grad)
        scale = _row_scale(idx, num, padding_idx, by_freq, grad.dtype)
        rows = grad.reshape((-1,) + grad.shape[idx.ndim:])
        if scale is not None:
            rows = rows * scale.reshape((-1,) + (1,) * (rows.ndim - 1))
        out = xp.zeros((num,) + rows.shape[1:], dtype=grad.dtype)
        flat = idx.reshape(-1)
        backend.scatter_add(out, flat, rows)  # repeated indices accumulate
        return out

    @staticmethod
    def _gather(ctx: Any, g: Tensor) -> Tensor:
        out = Embedding.apply(g, ctx.idx, None, False)
        scale = _row_scale(ctx.idx, ctx.num, ctx.pad, ctx.freq, g.dtype)
        if scale is not None:
            out = out * _wrap(scale.reshape(scale.shape + (1,) * (out.ndim - scale.ndim)))
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return EmbeddingBackward._gather(ctx, grad_out), None, None, None, None

    @staticmethod
    def jvp(ctx: Any, tg: Tensor, *_: Any) -> Tensor:
        return EmbeddingBackward.apply(tg, ctx.idx, ctx.num, ctx.pad, ctx.freq)


def _renorm_(weight: Tensor, idx: Any, max_norm: float, norm_type: float) -> None:
    xp = backend.xp_of(weight._data)
    rows = xp.unique(idx.reshape(-1))
    w = weight._data[rows]
    norms = (xp.abs(w) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
    with no_grad():
        weight._data[rows] = w * scale[:, None]
        weight._vc[0] += 1


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by the integer tensor ``input``: output shape
    ``input.shape + (embedding_dim,)``. ``padding_idx`` rows get no gradient;
    ``max_norm`` renormalises the looked-up rows of ``weight`` in place.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.embedding(autograd.tensor([[0, 2]]), autograd.eye(3)).shape
        (1, 2, 3)
    """
    if input.dtype.kind not in "iu":
        raise RuntimeError(
            f"Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {input.dtype} instead (while checking arguments for "
            "embedding)"
        )
    if weight.ndim != 2:
        raise RuntimeError(f"'weight' must be 2-D, got shape {list(weight.shape)}")
    num = weight.shape[0]
    idx = input._data
    if idx.size and (int(idx.max()) >= num or int(idx.min()) < 0):
        raise IndexError(
            f"index out of range in self: embedding indices must be in [0, {num}), got values "
            f"in [{int(idx.min())}, {int(idx.max())}]"
        )
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"Padding_idx must be within num_embeddings (got {padding_idx} for {num})")
        padding_idx = padding_idx % num
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    return Embedding.apply(weight, idx, padding_idx, bool(scale_grad_by_freq))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: shape ``tensor.shape + (num_classes,)``; ``-1`` means
    ``max + 1``.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> F.one_hot(autograd.tensor([0, 2]), 3).tolist()
        [[1, 0, 0], [0, 0, 1]]
    """
    if tensor.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensor, got dtype {tensor.dtype}")
    arr = tensor._data
    xp = backend.xp_of(arr)
    if arr.size and int(arr.min()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if arr.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(arr.max()) + 1
    elif arr.size and int(arr.max()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = (arr[..., None] == xp.arange(num_classes)).astype(backend.int64)
    return _wrap(out)
