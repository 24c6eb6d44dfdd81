"""Linear algebra, as ``torch.linalg``: solve, inv, det, slogdet, eigh, eigvalsh, cholesky,
svd, svdvals, qr, norms, pinv, matrix_power, matrix_rank, multi_dot, cross, vecdot.

Every function works on batches (leading dims) and is differentiable in reverse and
forward mode, to second order and beyond where the math allows (the primitives live in
``autograd.ops._linalg_base`` and ``autograd.ops._decomp``; their backward formulas are written with Tensor ops).
Gradients of eigenvectors / singular vectors are finite only for distinct eigenvalues /
singular values, as in PyTorch. Failures (singular, not positive-definite) raise
``LinAlgError`` naming the op, the batch element and the shape.

Example:
    >>> import autograd
    >>> A = autograd.tensor([[4.0, 1.0], [1.0, 3.0]], dtype=autograd.float64)
    >>> b = autograd.tensor([1.0, 2.0], dtype=autograd.float64)
    >>> [round(v, 4) for v in autograd.linalg.solve(A, b).tolist()]
    [0.0909, 0.6364]
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, NamedTuple

from . import backend
from .ops import matmul as _mm
from .ops._decomp import Cholesky, Det, Eigh, Pinv, Qr, Slogdet, Svd
from .ops._linalg_base import Inv, LinAlgError, Solve, VectorNorm
from .ops._util import norm_dim, norm_dims, promote, result_dtype
from .ops.shape import broadcast_to
from .tensor import Tensor, _wrap

__all__ = [
    "solve", "inv", "det", "slogdet", "eigh", "eigvalsh", "cholesky", "svd", "svdvals", "qr",
    "norm", "vector_norm", "matrix_norm", "pinv", "matrix_power", "matrix_rank", "multi_dot",
    "cross", "vecdot", "matmul", "diagonal", "LinAlgError", "EighResult", "SlogdetResult",
    "SVDResult", "QRResult",
]


class EighResult(NamedTuple):
    eigenvalues: Tensor
    eigenvectors: Tensor


class SlogdetResult(NamedTuple):
    sign: Tensor
    logabsdet: Tensor


class SVDResult(NamedTuple):
    U: Tensor
    S: Tensor
    Vh: Tensor


class QRResult(NamedTuple):
    Q: Tensor
    R: Tensor


def _check_float(a: Tensor, op: str) -> None:
    if a._data.dtype.kind not in "fc":
        raise RuntimeError(
            f"{op}: Expected a floating point or complex tensor as input. Got {a.dtype} "
            "(convert first, e.g. A.double())"
        )


def _check_matrix(a: Tensor, op: str) -> None:
    if not isinstance(a, Tensor):
        raise TypeError(f"{op}: expected a Tensor as input, got {type(a).__name__}")
    if a.ndim < 2:
        raise RuntimeError(
            f"{op}: The input tensor A must have at least 2 dimensions. (got shape {list(a.shape)})"
        )
    _check_float(a, op)


def _check_square(a: Tensor, op: str) -> None:
    _check_matrix(a, op)
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"{op}: A must be batches of square matrices, but they are {a.shape[-2]} by "
            f"{a.shape[-1]} matrices"
        )


# ----------------------------------------------------------------------------- solve & co


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """The solution ``X`` of ``A X = B`` (``X A = B`` when ``left=False``). ``B`` may be a
    vector (or a batch of vectors of shape ``A.shape[:-1]``); batch dims broadcast.

    Example:
        >>> import autograd
        >>> autograd.linalg.solve(2 * autograd.eye(2), autograd.ones(2, 3)).tolist()
        [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]
    """
    A, B = promote(A, B)
    _check_square(A, "linalg.solve")
    if B.ndim == 0:
        raise RuntimeError("linalg.solve: B must have at least 1 dimension, got a 0-d tensor")
    n = A.shape[-1]
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if not left:
        if vector:
            raise RuntimeError(
                "linalg.solve: Vector broadcasting of the left hand side is not supported for "
                "left=False. In this case linalg.solve is equivalent to B / A.squeeze(-1)"
            )
        return solve(A.mT, B.mT).mT
    bm = B.unsqueeze(-1) if vector else B
    if bm.shape[-2] != n:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{n} and {bm.shape[-2]}x{bm.shape[-1]})"
        )
    batch = _mm._batch_shape(A.shape[:-2], bm.shape[:-2])
    x = Solve.apply(broadcast_to(A, batch + (n, n)), broadcast_to(bm, batch + tuple(bm.shape[-2:])))
    return x.squeeze(-1) if vector else x


def inv(A: Tensor) -> Tensor:
    """Inverse of a square matrix (or batch).

    Example:
        >>> import autograd
        >>> autograd.linalg.inv(autograd.tensor([[2.0, 0.0], [0.0, 4.0]])).tolist()
        [[0.5, 0.0], [0.0, 0.25]]
    """
    _check_square(A, "linalg.inv")
    return Inv.apply(A)


def det(A: Tensor) -> Tensor:
    """Determinant; its gradient is the cofactor matrix, also for singular ``A``.

    Example:
        >>> import autograd
        >>> autograd.linalg.det(autograd.tensor([[1.0, 2.0], [3.0, 4.0]])).item()
        -2.0
    """
    _check_square(A, "linalg.det")
    return Det.apply(A)


def slogdet(A: Tensor) -> SlogdetResult:
    """``(sign, logabsdet)`` with ``det = sign * exp(logabsdet)``, stable for large matrices.

    Example:
        >>> import autograd
        >>> r = autograd.linalg.slogdet(autograd.tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> r.sign.item(), round(r.logabsdet.item(), 4)
        (-1.0, 0.6931)
    """
    _check_square(A, "linalg.slogdet")
    return SlogdetResult(*Slogdet.apply(A))


# ----------------------------------------------------------------------------- decompositions


def eigh(A: Tensor, UPLO: str = "L") -> EighResult:
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix, read
    from its lower (``UPLO='L'``) or upper triangle. The gradient is symmetric.

    Example:
        >>> import autograd
        >>> autograd.linalg.eigh(autograd.tensor([[2.0, 1.0], [1.0, 2.0]])).eigenvalues.tolist()
        [1.0, 3.0]
    """
    _check_square(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"linalg.eigh: Expected UPLO argument to be 'L' or 'U', but got {UPLO!r}")
    return EighResult(*Eigh.apply(A, UPLO))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """Eigenvalues (ascending) of a symmetric matrix.

    Example:
        >>> import autograd
        >>> autograd.linalg.eigvalsh(autograd.tensor([[2.0, 0.0], [0.0, 1.0]])).tolist()
        [1.0, 2.0]
    """
    return eigh(A, UPLO).eigenvalues


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """Cholesky factor of a positive-definite matrix: ``A = L L^T`` (``U^T U`` if upper).

    Example:
        >>> import autograd
        >>> autograd.linalg.cholesky(autograd.tensor([[4.0, 2.0], [2.0, 5.0]])).tolist()
        [[2.0, 0.0], [1.0, 2.0]]
    """
    _check_square(A, "linalg.cholesky")
    low = Cholesky.apply(A)
    return low.mT if upper else low


def svd(A: Tensor, full_matrices: bool = True, *, driver: str | None = None) -> SVDResult:
    """``A = U diag(S) Vh`` with descending ``S``. Gradients flow through ``S`` always and
    through ``U``/``Vh`` when the singular values are distinct; with ``full_matrices=True``
    the extra (arbitrary) singular vectors must not influence the loss.

    Example:
        >>> import autograd
        >>> autograd.linalg.svd(autograd.tensor([[3.0, 0.0], [0.0, -2.0]])).S.tolist()
        [3.0, 2.0]
    """
    _check_matrix(A, "linalg.svd")
    return SVDResult(*Svd.apply(A, bool(full_matrices)))


def svdvals(A: Tensor, *, driver: str | None = None) -> Tensor:
    """Singular values, descending.

    Example:
        >>> import autograd
        >>> autograd.linalg.svdvals(autograd.tensor([[0.0, 2.0], [1.0, 0.0]])).tolist()
        [2.0, 1.0]
    """
    _check_matrix(A, "linalg.svdvals")
    return Svd.apply(A, False)[1]


def qr(A: Tensor, mode: str = "reduced") -> QRResult:
    """``A = Q R`` with orthonormal ``Q`` and upper-triangular ``R``. ``mode``: 'reduced'
    (default), 'complete', or 'r' (``Q`` is empty; ``R`` stays differentiable).

    Example:
        >>> import autograd
        >>> q, r = autograd.linalg.qr(autograd.tensor([[3.0, 1.0], [4.0, 2.0]], dtype=autograd.float64))
        >>> (q @ r).round(decimals=6).tolist()
        [[3.0, 1.0], [4.0, 2.0]]
    """
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    _check_matrix(A, "linalg.qr")
    if mode == "r":
        _, r = Qr.apply(A, "reduced")
        return QRResult(_wrap(backend.xp_of(A._data).empty((0,), dtype=A._data.dtype)), r)
    return QRResult(*Qr.apply(A, mode))


def _tolerances(a: Tensor, atol: Any, rtol: Any) -> tuple[float, float]:
    eps = float(backend.numpy.finfo(a._data.dtype).eps)
    atol = 0.0 if atol is None else float(atol)
    if rtol is None:
        rtol = 0.0 if atol > 0 else eps * max(a.shape[-2:])
    return atol, float(rtol)


def pinv(A: Tensor, *, atol: float | None = None, rtol: float | None = None,
         hermitian: bool = False) -> Tensor:
    """Moore-Penrose pseudo-inverse; singular values ``<= max(atol, rtol * s_max)`` count
    as zero (default ``rtol = eps * max(m, n)``).

    Example:
        >>> import autograd
        >>> autograd.linalg.pinv(autograd.tensor([[2.0, 0.0], [0.0, 0.0]])).tolist()
        [[0.5, 0.0], [0.0, 0.0]]
    """
    _check_matrix(A, "linalg.pinv")
    if hermitian:
        _check_square(A, "linalg.pinv")
    return Pinv.apply(A, *_tolerances(A, atol, rtol), bool(hermitian))


def matrix_rank(A: Tensor, *, atol: float | None = None, rtol: float | None = None,
                hermitian: bool = False) -> Tensor:
    """Number of singular values above ``max(atol, rtol * s_max)`` (int64, not
    differentiable).

    Example:
        >>> import autograd
        >>> autograd.linalg.matrix_rank(autograd.ones(3, 3)).item()
        1
    """
    _check_matrix(A, "linalg.matrix_rank")
    xp = backend.xp_of(A._data)
    a = A._data
    s = xp.abs(xp.linalg.eigvalsh(a)) if hermitian else xp.linalg.svd(a, compute_uv=False)
    atol, rtol = _tolerances(A, atol, rtol)
    smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else s[..., :1]
    tol = xp.maximum(atol, rtol * smax)
    return _wrap(xp.asarray((s > tol).sum(axis=-1), dtype=backend.int64))


def matrix_power(A: Tensor, n: int) -> Tensor:
    """``A @ A @ ... @ A`` (``n`` times, by repeated squaring); ``n = 0`` gives the
    identity, ``n < 0`` powers of the inverse.

    Example:
        >>> import autograd
        >>> autograd.linalg.matrix_power(autograd.tensor([[1.0, 1.0], [0.0, 1.0]]), 3).tolist()
        [[1.0, 3.0], [0.0, 1.0]]
    """
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        _check_square(A, "linalg.matrix_power")
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"linalg.matrix_power: n must be an int, got {type(n).__name__}")
    n = int(n)
    if n == 0:
        xp = backend.xp_of(A._data)
        eye = xp.eye(A.shape[-1], dtype=A._data.dtype)
        return _wrap(xp.broadcast_to(eye, A.shape).copy())
    if n < 0:
        A, n = inv(A), -n
    if n == 1:
        return A.clone()
    result = None
    base = A
    while True:
        if n & 1:
            result = base if result is None else _mm.matmul(result, base)
        n >>= 1
        if not n:
            return result
        base = _mm.matmul(base, base)


def multi_dot(tensors: Sequence[Tensor]) -> Tensor:
    """Chain product ``A @ B @ ... @ Z`` in the cheapest order; the first tensor may be a
    row vector and the last a column vector (given as 1-D).

    Example:
        >>> import autograd
        >>> autograd.linalg.multi_dot([autograd.ones(3), autograd.ones(3, 4), autograd.ones(4)]).item()
        12.0
    """
    ts = list(tensors)
    if len(ts) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    for i, t in enumerate(ts):
        end = i in (0, len(ts) - 1)
        if (end and t.ndim not in (1, 2)) or (not end and t.ndim != 2):
            which = "the first" if i == 0 else "the last" if i == len(ts) - 1 else None
            if which:
                raise RuntimeError(f"multi_dot(): {which} tensor must be 1D or 2D but got {t.ndim}D")
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
    first_vec, last_vec = ts[0].ndim == 1, ts[-1].ndim == 1
    mats = list(ts)
    if first_vec:
        mats[0] = mats[0].unsqueeze(0)
    if last_vec:
        mats[-1] = mats[-1].unsqueeze(-1)
    for i in range(len(mats) - 1):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise RuntimeError(
                f"multi_dot(): tensors {i} and {i + 1} with shapes {list(ts[i].shape)} and "
                f"{list(ts[i + 1].shape)} cannot be multiplied"
            )
    dt = result_dtype(*mats)
    mats = [m if m._data.dtype == dt else m.to(dt) for m in mats]
    dims = [m.shape[0] for m in mats] + [mats[-1].shape[1]]
    k = len(mats)
    # classic matrix-chain dynamic programme: split[i][j] = best split of mats[i..j]
    cost = [[0] * k for _ in range(k)]
    split = [[0] * k for _ in range(k)]
    for length in range(1, k):
        for i in range(k - length):
            j = i + length
            cost[i][j] = math.inf
            for s in range(i, j):
                c = cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, s

    def product(i: int, j: int) -> Tensor:
        if i == j:
            return mats[i]
        s = split[i][j]
        return _mm.MatMul.apply(product(i, s), product(s + 1, j))

    out = product(0, k - 1)
    if first_vec:
        out = out.squeeze(0)
    if last_vec:
        out = out.squeeze(-1)
    return out


# ----------------------------------------------------------------------------- norms


def vector_norm(x: Tensor, ord: float = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """``(sum |x|^ord)^(1/ord)`` over ``dim`` (all dims when None); ``ord`` may be
    ``inf``/``-inf`` (max/min of ``|x|``) or 0 (count of non-zeros). The gradient at 0 is 0.

    Example:
        >>> import autograd
        >>> autograd.linalg.vector_norm(autograd.tensor([3.0, -4.0])).item()
        5.0
    """
    if isinstance(ord, Tensor):
        ord = ord.item()
    if isinstance(ord, (str, bool)) or not isinstance(ord, numbers.Real):
        raise TypeError(
            f"linalg.vector_norm(): argument 'ord' must be a number (int, float, inf or -inf), "
            f"not {type(ord).__name__}; use linalg.matrix_norm for 'fro' and 'nuc'"
        )
    if dtype is not None:
        x = x.to(dtype)
    _check_float(x, "linalg.vector_norm")
    dims = tuple(range(x.ndim)) if dim is None else norm_dims(dim, x.ndim, "linalg.vector_norm")
    return VectorNorm.apply(x, float(ord), dims, bool(keepdim))


def matrix_norm(A: Tensor, ord: Any = "fro", dim: tuple[int, int] = (-2, -1),
                keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Matrix norm over the two dims ``dim``: 'fro', 'nuc' (sum of singular values), 2 / -2
    (largest / smallest singular value), 1 / -1 (max / min column sum of ``|A|``), inf /
    -inf (max / min row sum).

    Example:
        >>> import autograd
        >>> autograd.linalg.matrix_norm(autograd.tensor([[1.0, -2.0], [3.0, 4.0]]), 1).item()
        6.0
    """
    if A.ndim < 2:
        raise RuntimeError(
            f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions. (got "
            f"shape {list(A.shape)})"
        )
    if dtype is not None:
        A = A.to(dtype)
    _check_float(A, "linalg.matrix_norm")
    if not (isinstance(dim, (tuple, list)) and len(dim) == 2):
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
    d0, d1 = (norm_dim(d, A.ndim, "linalg.matrix_norm") for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if isinstance(ord, str):
        if ord == "fro":
            return vector_norm(A, 2, (d0, d1), keepdim)
        if ord != "nuc":
            raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    elif ord not in (2, -2, 1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if ord in ("nuc", 2, -2):
        rest = [i for i in range(A.ndim) if i not in (d0, d1)]
        s = svdvals(A.permute(*rest, d0, d1))
        out = s.sum(-1) if ord == "nuc" else s[..., 0] if ord == 2 else s[..., -1]
        if keepdim:
            out = out.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
        return out
    sum_dim, pick_dim = (d0, d1) if ord in (1, -1) else (d1, d0)
    sums = vector_norm(A, 1, sum_dim, keepdim=True)
    out = vector_norm(sums, math.inf if ord > 0 else -math.inf, pick_dim, keepdim=True)
    return out if keepdim else out.squeeze((d0, d1))


def norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    """Vector or matrix norm: a 2-tuple ``dim`` (or a 2-D input with ``ord`` given) means
    a matrix norm; otherwise a vector norm (flattened 2-norm when ``dim`` and ``ord`` are
    both None).

    Example:
        >>> import autograd
        >>> autograd.linalg.norm(autograd.tensor([[3.0, 0.0], [0.0, 4.0]])).item()
        5.0
    """
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1:
            if isinstance(ord, str):
                raise RuntimeError(
                    f"linalg.norm: ord={ord!r} is a matrix norm, it needs a 2-tuple dim (got dim={dim})"
                )
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dims)}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError(
        f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.ndim}D."
    )


# ----------------------------------------------------------------------------- products


def cross(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (other dims broadcast).

    Example:
        >>> import autograd
        >>> autograd.linalg.cross(autograd.tensor([0.0, 1.0, 0.0]), autograd.tensor([0.0, 0.0, 1.0])).tolist()
        [1.0, 0.0, 0.0]
    """
    return _mm.cross(x, y, dim)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """``sum(conj(x) * y, dim)`` with broadcasting.

    Example:
        >>> import autograd
        >>> autograd.linalg.vecdot(autograd.ones(2, 3), autograd.ones(3)).tolist()
        [3.0, 3.0]
    """
    dx, dy = norm_dim(dim, x.ndim, "linalg.vecdot"), norm_dim(dim, y.ndim, "linalg.vecdot")
    if x.shape[dx] != y.shape[dy] and 1 not in (x.shape[dx], y.shape[dy]):
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{x.shape[dx]}] and src [{y.shape[dy]}] "
            f"to have the same number of elements, but got {x.shape[dx]} and {y.shape[dy]} "
            f"elements respectively (linalg.vecdot along dim {dim})"
        )
    return (_mm.conj_if_complex(x) * y).sum(dim)


def matmul(x: Tensor, y: Tensor) -> Tensor:
    """Alias of ``autograd.matmul``.

    Example:
        >>> import autograd
        >>> autograd.linalg.matmul(autograd.ones(2, 3), autograd.ones(3)).tolist()
        [3.0, 3.0]
    """
    return _mm.matmul(x, y)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """``autograd.diagonal`` with the last two dims as default (a view).

    Example:
        >>> import autograd
        >>> autograd.linalg.diagonal(autograd.eye(2).expand(3, 2, 2)).shape
        (3, 2)
    """
    return _mm.diagonal(A, offset, dim1, dim2)
