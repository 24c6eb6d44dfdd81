"""Attention (mirrors ``torch.nn.functional.scaled_dot_product_attention`` and
``multi_head_attention_forward``).

The scores' scaling, constant masks and the softmax are one fused op
(``MaskedSoftmax``): one pass forward, the closed-form backward
``scale * y * (g - sum(g * y))`` written with Tensor ops (second order follows).

Example:
    >>> import autograd
    >>> import autograd.nn.functional as F
    >>> q = k = v = autograd.randn(2, 4, 5, 8)  # (batch, heads, seq, head_dim)
    >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
    (2, 4, 5, 8)
"""

from __future__ import annotations

import math
from typing import Any

from ... import backend
from ...amp import autocast_mode as _amp
from ...function import Op
from ...ops._util import scalar_operand
from ...tensor import Tensor, _wrap
from .dropout import dropout as _dropout
from .linear import linear as _linear

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


class MaskedSoftmax(Op):
    """``softmax(x * scale + mask)`` over the last dim, with ``mask`` a constant
    additive array (or None). With ``safe``, rows that are entirely masked give zeros
    instead of NaN (PyTorch's scaled_dot_product_attention does the same)."""

    save_output = True

    @staticmethod
    def forward(ctx: Any, x: Any, scale: float, mask: Any, safe: bool) -> Any:
        xp = backend.xp_of(x)
        ctx.scale = scale
        z = x * scalar_operand(scale, x) if scale != 1.0 else x.copy()
        if mask is not None:
            if backend.numpy.broadcast_shapes(z.shape, mask.shape) == z.shape:
                z += mask  # in place: a fresh large array costs page faults
            else:
                z = z + mask  # a mask with more dims broadcasts the scores
        m = z.max(axis=-1, keepdims=True)
        if safe:
            m = xp.where(xp.isneginf(m), 0.0, m).astype(z.dtype, copy=False)
        z -= m
        xp.exp(z, out=z)
        total = z.sum(axis=-1, keepdims=True)
        if safe:
            total = xp.where(total == 0, 1.0, total).astype(z.dtype, copy=False)
        z /= total
        return z

    @staticmethod
    def _apply_jacobian(ctx: Any, t: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        out = y * (t - (t * y).sum(-1, keepdim=True))
        return out * ctx.scale if ctx.scale != 1.0 else out

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        return MaskedSoftmax._apply_jacobian(ctx, grad_out), None, None, None

    @staticmethod
    def backward_array(ctx: Any, g: Any) -> tuple:
        (y,) = ctx.saved_arrays
        gx = g * y
        total = gx.sum(axis=-1, keepdims=True)
        backend.xp_of(gx).subtract(g, total, out=gx)
        gx *= y
        if ctx.scale != 1.0:
            gx *= scalar_operand(ctx.scale, gx)
        return gx, None, None, None

    @staticmethod
    def jvp(ctx: Any, tx: Tensor, *_: Any) -> Tensor:
        return MaskedSoftmax._apply_jacobian(ctx, tx)


def _additive(mask: Any, like: Tensor) -> Any:
    """A bool mask (True = attend) as a constant additive array of 0 / -inf."""
    xp = backend.xp_of(like._data)
    data = mask._data if isinstance(mask, Tensor) else xp.asarray(mask)
    zero = xp.zeros((), dtype=like.dtype)
    return xp.where(data, zero, xp.asarray(-math.inf, dtype=like.dtype))


def _causal(n_q: int, n_k: int, like: Tensor) -> Any:
    xp = backend.xp_of(like._data)
    keep = xp.tril(xp.ones((n_q, n_k), dtype=bool))
    return _additive(keep, like)


def _check_attn_mask(mask: Tensor, q: Tensor) -> None:
    if mask.dtype.kind != "b" and mask.dtype != q.dtype:
        raise RuntimeError(
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
            f"attn_mask.dtype: {mask.dtype} and  query.dtype: {q.dtype} instead."
        )


def _attend(q: Tensor, k: Tensor, v: Tensor, scale: float, const_mask: Any,
            tensor_mask: Tensor | None, dropout_p: float, safe: bool) -> Tensor:
    """softmax(q kᵀ * scale + masks) (dropout) @ v; returns (output, weights)."""
    scores = q @ k.mT
    if tensor_mask is not None:  # a float mask that may itself need gradients
        scores = scores * scale + tensor_mask
        scale = 1.0
    attn = MaskedSoftmax.apply(scores, float(scale), const_mask, safe)
    if dropout_p > 0.0:
        attn = _dropout(attn, dropout_p, training=True)
    return attn @ v, attn


def _is_const(t: Tensor) -> bool:
    """Neither tracked by reverse mode nor carrying forward-mode tangents."""
    return not t.requires_grad and not t._fw


def _merge(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else a + b


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """``softmax(q kᵀ * scale + mask) @ v`` over the last two dims of ``(..., L, E)``
    queries, ``(..., S, E)`` keys and ``(..., S, Ev)`` values.

    ``attn_mask``: bool (True = may attend) or float (added to the scores), broadcast
    to ``(..., L, S)``; ``is_causal`` masks keys after each query (top-left aligned);
    ``scale`` defaults to ``1/sqrt(E)``; ``dropout_p`` drops attention weights (always,
    as in PyTorch: pass 0.0 in evaluation); ``enable_gqa`` lets keys/values have fewer
    heads (dim -3) than the queries. Fully masked rows give zeros.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> q, k, v = autograd.randn(3, 4), autograd.randn(5, 4), autograd.randn(5, 2)
        >>> F.scaled_dot_product_attention(q, k, v).shape
        (3, 2)
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument '{name}' must be Tensor, "
                            f"not {type(t).__name__}")
    if _amp.active[0] and _amp.is_autocast_enabled(query.device.type):
        # a lower-precision op: its inner softmax and products stay in the low dtype
        query, key, value, attn_mask = _amp.autocast_lower(query, key, value, attn_mask)
        with _amp.suspended():
            return scaled_dot_product_attention(query, key, value, attn_mask, dropout_p,
                                                is_causal, scale, enable_gqa)
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise RuntimeError(
            "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
            f"{query.ndim} key.dim: {key.ndim} and value.dim: {value.ndim} instead."
        )
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{query.dtype} key.dtype: {key.dtype} and value.dtype: {value.dtype} instead."
        )
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(
            f"scaled_dot_product_attention: query and key must have the same last dim (embedding "
            f"size), got query of size {list(query.shape)} and key of size {list(key.shape)}"
        )
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"scaled_dot_product_attention: key and value must have the same sequence length "
            f"(dim -2), got key of size {list(key.shape)} and value of size {list(value.shape)}"
        )
    if enable_gqa and key.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        hq, hk = query.shape[-3], key.shape[-3]
        if hk == 0 or hq % hk:
            raise RuntimeError(
                f"scaled_dot_product_attention: with enable_gqa the number of query heads ({hq}) "
                f"must be a multiple of the number of key/value heads ({hk})"
            )
        key = _repeat_heads(key, hq // hk)
        value = _repeat_heads(value, hq // hk)
    n_q, n_k = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    const_mask = None
    tensor_mask = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError(
                "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                "is_causal=True"
            )
        const_mask = _causal(n_q, n_k, query)
    elif attn_mask is not None:
        _check_attn_mask(attn_mask, query)
        if attn_mask.dtype.kind == "b":
            const_mask = _additive(attn_mask, query)
        elif not _is_const(attn_mask):
            tensor_mask = attn_mask
        else:
            const_mask = attn_mask._data
    out, _ = _attend(query, key, value, scale, const_mask, tensor_mask, float(dropout_p), True)
    return out


def _repeat_heads(t: Tensor, n: int) -> Tensor:
    """``(..., Hk, S, E) -> (..., Hk * n, S, E)``, each head repeated ``n`` times."""
    lead = t.shape[:-3]
    hk, s, e = t.shape[-3:]
    return t.unsqueeze(-3).expand(lead + (hk, n, s, e)).reshape(lead + (hk * n, s, e))


# ----------------------------------------------------------------------------- multi-head


def _mask_array(mask: Tensor, like: Tensor, name: str) -> tuple[Any, Tensor | None]:
    """A MultiheadAttention mask (bool True = masked out, or float added) as a constant
    additive array, or as a Tensor when it needs gradients."""
    if mask.dtype.kind == "b":
        return _additive(_wrap(~mask._data), like), None
    if mask.dtype.kind != "f":
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if not _is_const(mask):
        return None, mask.to(like.dtype)
    return mask._data.astype(like.dtype, copy=False), None


def _cat(tensors: list, dim: int) -> Tensor:
    from ...ops.join import cat

    return cat(tensors, dim)


def _pad_last(mask: Any, like: Tensor) -> Any:
    """Append one zero column (an always-visible extra key) to an additive mask."""
    if mask is None:
        return None
    xp = backend.xp_of(like._data)
    if isinstance(mask, Tensor):
        return _cat([mask, mask.new_zeros(mask.shape[:-1] + (1,))], -1)
    return xp.concatenate([mask, xp.zeros(mask.shape[:-1] + (1,), dtype=mask.dtype)], axis=-1)


def multi_head_attention_forward(
    query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
    in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
    bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
    out_proj_bias: Tensor | None, training: bool = True, key_padding_mask: Tensor | None = None,
    need_weights: bool = True, attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False, q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None, v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None, static_v: Tensor | None = None,
    average_attn_weights: bool = True, is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """The computation of ``nn.MultiheadAttention`` on ``(L, N, E)`` inputs (or
    unbatched ``(L, E)``): project, split into heads, attend, merge, project out.

    Masks follow PyTorch: ``attn_mask`` ``(L, S)`` or ``(N*heads, L, S)`` and
    ``key_padding_mask`` ``(N, S)``, bool (True = may NOT attend) or float (added).
    Returns ``(output, weights)``; weights are ``(N, L, S)`` averaged over heads, or
    ``(N, heads, L, S)``, or None when ``need_weights=False``.

    Example:
        >>> import autograd
        >>> import autograd.nn.functional as F
        >>> x = autograd.randn(5, 2, 8)
        >>> w, b = autograd.randn(24, 8), autograd.zeros(24)
        >>> out, attn = F.multi_head_attention_forward(
        ...     x, x, x, 8, 2, w, b, None, None, False, 0.0, autograd.randn(8, 8), None)
        >>> out.shape, attn.shape
        ((5, 2, 8), (2, 5, 5))
    """
    unbatched = query.ndim == 2
    if unbatched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    if query.ndim != 3 or key.ndim != 3 or value.ndim != 3:
        raise AssertionError(
            "query, key and value should be 2-D (unbatched) or 3-D (L, N, E) tensors, got "
            f"query of size {list(query.shape)}, key {list(key.shape)}, value {list(value.shape)}"
        )
    tgt_len, bsz, embed_dim = query.shape
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if key.shape[:2] != value.shape[:2]:
        raise AssertionError(
            f"key shape {list(key.shape)} does not match value shape {list(value.shape)}"
        )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
            "method `generate_square_subsequent_mask` to create this mask."
        )
    # -- input projections
    e = embed_dim
    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        w_q, w_k, w_v = in_proj_weight[:e], in_proj_weight[e:2 * e], in_proj_weight[2 * e:]
    else:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is True but q_proj_weight, "
                                 "k_proj_weight or v_proj_weight is None")
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias[:e], in_proj_bias[e:2 * e], in_proj_bias[2 * e:]
    q = _linear(query, w_q, b_q)
    k = _linear(key, w_k, b_k) if static_k is None else None
    v = _linear(value, w_v, b_v) if static_v is None else None
    # -- masks, as additive constants (or Tensors when they need gradients)
    const_mask, tensor_mask = None, None
    src_len = static_k.shape[1] if static_k is not None else key.shape[0]
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {list(attn_mask.shape)}, but should be "
                    f"({tgt_len}, {src_len})."
                )
        elif attn_mask.ndim == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 3D attn_mask is {list(attn_mask.shape)}, but should be "
                    f"({bsz * num_heads}, {tgt_len}, {src_len})."
                )
            attn_mask = attn_mask.reshape(bsz, num_heads, tgt_len, src_len)
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")
        const_mask, tensor_mask = _mask_array(attn_mask, q, "attn_mask")
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(
                f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                f"{tuple(key_padding_mask.shape)}"
            )
        kc, kt = _mask_array(key_padding_mask.reshape(bsz, 1, 1, src_len), q, "key_padding_mask")
        const_mask = _merge(const_mask, kc)
        tensor_mask = _merge(tensor_mask, kt)
    # -- extra keys: a learned bias key/value, then (optionally) an all-zero one
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key or value.")
        k = _cat([k, bias_k.expand(1, bsz, e)], 0)
        v = _cat([v, bias_v.expand(1, bsz, e)], 0)
        const_mask, tensor_mask = _pad_last(const_mask, q), _pad_last(tensor_mask, q)
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k and bias_v must both be given or both be None")
    # -- split heads: (L, N, E) -> (N, H, L, hd)
    q = q.reshape(tgt_len, bsz, num_heads, head_dim).permute(1, 2, 0, 3)
    if static_k is None:
        k = k.reshape(k.shape[0], bsz, num_heads, head_dim).permute(1, 2, 0, 3)
    else:
        k = static_k.reshape(bsz, num_heads, static_k.shape[1], head_dim)
    if static_v is None:
        v = v.reshape(v.shape[0], bsz, num_heads, head_dim).permute(1, 2, 0, 3)
    else:
        v = static_v.reshape(bsz, num_heads, static_v.shape[1], head_dim)
    if add_zero_attn:
        k = _cat([k, k.new_zeros(k.shape[:2] + (1, head_dim))], 2)
        v = _cat([v, v.new_zeros(v.shape[:2] + (1, head_dim))], 2)
        const_mask, tensor_mask = _pad_last(const_mask, q), _pad_last(tensor_mask, q)
    p = float(dropout_p) if training else 0.0
    # PyTorch's explicit-weights path uses a plain softmax (NaN on fully masked rows),
    # its fused path a safe one (zeros); mirror both.
    out, attn = _attend(q, k, v, 1.0 / math.sqrt(head_dim), const_mask, tensor_mask, p,
                        safe=not need_weights)
    out = out.permute(2, 0, 1, 3).reshape(tgt_len, bsz, embed_dim)
    out = _linear(out, out_proj_weight, out_proj_bias)
    weights = None
    if need_weights:
        weights = attn.mean(1) if average_attn_weights else attn
        if unbatched:
            weights = weights.squeeze(0)
    if unbatched:
        out = out.squeeze(1)
    return out, weights
