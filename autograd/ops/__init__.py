"""The differentiable ops, one module per family. Each op is an ``Op`` subclass with
its ``forward`` (arrays), ``backward`` and ``jvp`` (Tensors) side by side, plus a
lowercase function that is the public entry point.

- ``pointwise``: unary math (exp, log, tanh, sigmoid, relu, erf …)
- ``binary``: add, sub, mul, div, pow, maximum, minimum, atan2, where, clamp, fills
- ``compare``: comparisons, rounding, predicates, logical/bitwise ops (not differentiable)
- ``reduce``: sum, mean, prod, var, std, max/min, logsumexp, norm, cumsum, quantile,
  softmax, log_softmax, sort, topk
- ``matmul``: matmul, mm, bmm, mv, dot, outer, einsum, diag, diagonal, trace, tril, triu
- ``shape``: reshape/view, transpose, permute, squeeze, expand, cat, stack, split, flip,
  repeat, pad, sum_to, clone
- ``index``: __getitem__/__setitem__, gather, scatter, index_select, masked_fill
"""

from . import binary, compare, index, matmul, pointwise, reduce, shape

__all__ = ["binary", "compare", "index", "matmul", "pointwise", "reduce", "shape"]
