"""``einsum`` and ``tensordot``, lowered to permute + reshape + matmul.

An equation is first normalised: ``...`` becomes fresh letters (right-aligned across
operands), size-1 dims that broadcast against a larger size are squeezed out, a letter
repeated inside one operand becomes a diagonal view, and a letter carried by one operand
only (and not by the output) is summed away. Then the operands are contracted pairwise,
smallest intermediate first; each contraction is a single (batched) matmul. Everything is
built from differentiable primitives, so gradients of any order (and forward mode) follow,
and the backward of a contraction is again a contraction (BLAS-fast).

Example:
    >>> import autograd
    >>> a, b = autograd.ones(2, 3), autograd.ones(3, 4)
    >>> autograd.einsum("ij,jk->ik", a, b).shape
    (2, 4)
"""

from __future__ import annotations

import math
import string
from collections import Counter
from typing import Any

from ..tensor import Tensor
from ._util import norm_dim, result_dtype, to_tensor

__all__ = ["einsum", "tensordot", "contract_dims"]

# Sublist subscripts 0..51 name A..Z then a..z, as in PyTorch (ASCII order, which is
# also the order of the implicit output).
_LETTERS = string.ascii_uppercase + string.ascii_lowercase
_ELL = "..."


def _permute(t: Tensor, order: list[int]) -> Tensor:
    if order == list(range(t.ndim)):
        return t
    from .shape import Permute

    return Permute.apply(t, tuple(order))


def _reshape(t: Tensor, shape: tuple) -> Tensor:
    if tuple(t.shape) == shape:
        return t
    from .shape import Reshape

    return Reshape.apply(t, shape)


def contract_dims(a: Tensor, b: Tensor, a_batch: list[int], a_free: list[int],
                  a_con: list[int], b_batch: list[int], b_con: list[int],
                  b_free: list[int]) -> Tensor:
    """Sum ``a * b`` over the paired dims ``a_con``/``b_con``, keeping the paired batch dims
    and each operand's free dims: result shape ``batch + a_free + b_free``."""
    from .matmul import MatMul

    bs = tuple(a.shape[i] for i in a_batch)
    ms = tuple(a.shape[i] for i in a_free)
    ks = tuple(a.shape[i] for i in a_con)
    ns = tuple(b.shape[i] for i in b_free)
    m, k, n = math.prod(ms), math.prod(ks), math.prod(ns)
    lead = (math.prod(bs),) if bs else ()
    pa = _reshape(_permute(a, a_batch + a_free + a_con), lead + (m, k))
    pb = _reshape(_permute(b, b_batch + b_con + b_free), lead + (k, n))
    return _reshape(MatMul.apply(pa, pb), bs + ms + ns)


# ----------------------------------------------------------------------------- parsing


def _scan(eq: str, start: int, end: int, operands: bool) -> list[list[str]]:
    terms: list[list[str]] = [[]]
    i = start
    while i < end:
        c = eq[i]
        if c == " ":
            i += 1
        elif c == "," and operands:
            terms.append([])
            i += 1
        elif c == ".":
            who = f"operand {len(terms) - 1}" if operands else "output"
            if i + 3 > end or eq[i:i + 3] != _ELL:
                raise RuntimeError(f"einsum(): found '.' for {who} that is not part of any ellipsis")
            if _ELL in terms[-1]:
                raise RuntimeError(
                    f"einsum(): found '.' for {who} for which an ellipsis was already found"
                )
            terms[-1].append(_ELL)
            i += 3
        elif c.isascii() and c.isalpha():
            terms[-1].append(c)
            i += 1
        else:
            raise RuntimeError(
                f"einsum(): invalid subscript given at index {i} in the equation string, "
                "subscripts must be in [a-zA-Z]"
            )
    return terms


def _from_sublists(args: tuple) -> tuple[str, tuple]:
    """``einsum(op0, sub0, op1, sub1, ..., [out])`` -> an equation string and operands."""

    def term(sub: Any) -> str:
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append(_ELL)
            elif isinstance(s, int) and 0 <= s < len(_LETTERS):
                out.append(_LETTERS[s])
            else:
                raise RuntimeError(
                    f"einsum(): expected subscript to be within the range [0, 52), but got {s!r}"
                )
        return "".join(out)

    ops = args[0::2]
    subs = args[1::2]
    out = None
    if len(args) % 2:  # an odd count: the last argument is the output sublist
        ops, out = ops[:-1], ops[-1]
    eq = ",".join(term(s) for s in subs)
    if out is not None:
        eq += "->" + term(out)
    return eq, tuple(ops)


def _normalise(eq: str, ops: list[Tensor]) -> tuple[list[list[str]], list[str], dict]:
    """Per-operand letter lists (ellipsis expanded), the output letters and letter sizes."""
    arrow = eq.find("->")
    terms = _scan(eq, 0, arrow if arrow >= 0 else len(eq), True)
    out_term = _scan(eq, arrow + 2, len(eq), False)[0] if arrow >= 0 else None
    if len(terms) < len(ops):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    if len(terms) > len(ops):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    used = {c for t in terms + [out_term or []] for c in t if c != _ELL}
    ell_dims = []
    for i, (t, x) in enumerate(zip(terms, ops)):
        n_lab = sum(c != _ELL for c in t)
        if _ELL in t:
            if n_lab > x.ndim:
                raise RuntimeError(
                    f"einsum(): the number of subscripts in the equation ({n_lab}) is more than "
                    f"the number of dimensions ({x.ndim}) for operand {i}"
                )
        elif n_lab != x.ndim:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({n_lab}) does not match "
                f"the number of dimensions ({x.ndim}) for operand {i} and no ellipsis was given"
            )
        ell_dims.append(x.ndim - n_lab)
    n_ell = max(ell_dims, default=0)
    spare = [c for c in _LETTERS if c not in used]
    if n_ell > len(spare):
        raise RuntimeError(
            f"einsum(): the ellipsis covers {n_ell} dimensions but only {len(spare)} unused "
            "subscript letters are left to name them"
        )
    ell = spare[:n_ell]
    subs = []
    for t, e in zip(terms, ell_dims):
        s: list[str] = []
        for c in t:
            s.extend(ell[n_ell - e:] if c == _ELL else [c])
        subs.append(s)
    if out_term is None:
        counts = Counter(c for s in subs for c in s)
        out = ell + sorted(c for c, n in counts.items() if n == 1 and c not in ell)
    else:
        out = []
        for c in out_term:
            if c == _ELL:
                out.extend(ell)
                continue
            if not any(c in t for t in terms):
                raise RuntimeError(
                    f"einsum(): output subscript {c} does not appear in the equation for any "
                    "input operand"
                )
            if c in out:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
            out.append(c)
    sizes: dict[str, int] = {}
    for i, (s, x) in enumerate(zip(subs, ops)):
        seen: dict[str, int] = {}
        for c, n in zip(s, x.shape):
            name = c if c not in ell else "'...'"
            if c in seen and seen[c] != n:
                raise RuntimeError(
                    f"einsum(): subscript {name} is repeated for operand {i} but the sizes "
                    f"don't match, {n} != {seen[c]}"
                )
            seen[c] = n
            prev = sizes.get(c)
            if prev is None or prev == 1:
                sizes[c] = n
            elif n != 1 and n != prev:
                raise RuntimeError(
                    f"einsum(): subscript {name} has size {n} for operand {i} which does not "
                    f"broadcast with previously seen size {prev}"
                )
    return subs, out, sizes


# ----------------------------------------------------------------------------- einsum


def _prepare(x: Tensor, s: list[str], sizes: dict, private: set) -> tuple[Tensor, list[str]]:
    """Squeeze broadcast size-1 dims, take diagonals of repeated letters, and sum the
    letters in ``private`` (carried by this operand only, absent from the output)."""
    from ._structure import Diagonal

    keep = [p for p, c in enumerate(s) if not (x.shape[p] == 1 and sizes[c] > 1)]
    if len(keep) != len(s):
        x = _reshape(x, tuple(x.shape[p] for p in keep))
        s = [s[p] for p in keep]
    while len(set(s)) < len(s):
        c = next(c for c in s if s.count(c) > 1)
        p = s.index(c)
        q = s.index(c, p + 1)
        x = Diagonal.apply(x, 0, p, q)
        s = [v for i, v in enumerate(s) if i not in (p, q)] + [c]
    dims = [p for p, c in enumerate(s) if c in private]
    if dims:
        x = x.sum(tuple(dims))
        s = [c for c in s if c not in private]
    return x, s


def _contract(a: Tensor, sa: list[str], b: Tensor, sb: list[str],
              keep: set) -> tuple[Tensor, list[str]]:
    batch = [c for c in sa if c in sb and c in keep]
    con = [c for c in sa if c in sb and c not in keep]
    fa = [c for c in sa if c not in sb]
    fb = [c for c in sb if c not in sa]
    out = contract_dims(
        a, b, [sa.index(c) for c in batch], [sa.index(c) for c in fa], [sa.index(c) for c in con],
        [sb.index(c) for c in batch], [sb.index(c) for c in con], [sb.index(c) for c in fb],
    )
    return out, batch + fa + fb


def einsum(equation: Any, *operands: Any) -> Tensor:
    """Einstein summation: ``einsum("ij,jk->ik", a, b)`` is ``a @ b``.

    Supports implicit output (letters seen once, in ASCII order), ``...`` broadcasting,
    repeated letters in one operand (diagonals: ``"ii->i"``), sums over letters absent
    from the output, size-1 broadcasting, operands given as a list, and the sublist form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])``.

    Example:
        >>> import autograd
        >>> autograd.einsum("ii", autograd.arange(9.0).reshape(3, 3)).item()
        12.0
    """
    if not isinstance(equation, str):
        equation, operands = _from_sublists((equation,) + operands)
    elif len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    ops = [to_tensor(o) for o in operands]
    dt = result_dtype(*ops)
    ops = [o if o._data.dtype == dt else o.to(dt) for o in ops]
    subs, out, sizes = _normalise(equation, ops)
    squeezed = [
        [c for p, c in enumerate(s) if not (x.shape[p] == 1 and sizes[c] > 1)]
        for s, x in zip(subs, ops)
    ]
    owners = Counter(c for s in squeezed for c in set(s))
    pairs = []
    for x, s in zip(ops, subs):
        private = {c for c in s if owners[c] == 1 and c not in out}
        pairs.append(_prepare(x, s, sizes, private))
    while len(pairs) > 1:
        best = None
        for i in range(len(pairs)):
            for j in range(i + 1, len(pairs)):
                keep = set(out).union(*(p[1] for k, p in enumerate(pairs) if k not in (i, j)))
                letters = set(pairs[i][1]) | set(pairs[j][1])
                cost = math.prod(sizes[c] for c in letters if c in keep)
                if best is None or cost < best[0]:
                    best = (cost, i, j, keep)
        _, i, j, keep = best
        merged = _contract(*pairs[i], *pairs[j], keep)
        pairs = [p for k, p in enumerate(pairs) if k not in (i, j)] + [merged]
    x, s = pairs[0]
    return _permute(x, [s.index(c) for c in out])


# ----------------------------------------------------------------------------- tensordot


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Contract dims of ``a`` with dims of ``b``: ``dims=n`` pairs the last ``n`` dims of
    ``a`` with the first ``n`` of ``b``; ``dims=([1, 0], [0, 1])`` names them.

    Example:
        >>> import autograd
        >>> autograd.tensordot(autograd.ones(2, 3, 4), autograd.ones(3, 4, 5)).shape
        (2, 5)
    """
    a, b = to_tensor(a), to_tensor(b)
    if a._data.dtype != b._data.dtype:
        dt = result_dtype(a, b)
        a, b = a.to(dt), b.to(dt)
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(
                f"tensordot: dims={dims} is more than the dimensions of the operands "
                f"(shapes {list(a.shape)} and {list(b.shape)})"
            )
        da, db = list(range(-dims, 0)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
    if len(da) != len(db):
        raise RuntimeError(
            f"both dimension lists should have same length (got {len(da)} and {len(db)})"
        )
    na = [norm_dim(d, a.ndim, "tensordot") for d in da]
    nb = [norm_dim(d, b.ndim, "tensordot") for d in db]
    if len(set(na)) != len(na) or len(set(nb)) != len(nb):
        raise RuntimeError(f"tensordot: a dim is contracted twice in dims ({da}, {db})")
    for ga, gb, i, j in zip(da, db, na, nb):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a.shape[i]} in dim "
                f"{ga} and second has size {b.shape[j]} in dim {gb}"
            )
    fa = [d for d in range(a.ndim) if d not in na]
    fb = [d for d in range(b.ndim) if d not in nb]
    return contract_dims(a, b, [], fa, na, [], nb, fb)
