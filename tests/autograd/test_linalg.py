"""autograd.linalg: gradient checks (float64, reverse + forward + second order) on
well-conditioned inputs, values against NumPy, batching, error messages, and the seed
document's MatrixSquareRoot custom Function."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import autograd
import autograd.forward_ad as fwAD
from autograd import linalg as LA
from tests.autograd.harness import OpSpec, params, run_spec

RNG = np.random.default_rng(11)


def _t(a: np.ndarray, rg: bool = False) -> autograd.Tensor:
    return autograd.tensor(np.asarray(a), dtype=autograd.float64, requires_grad=rg)


def well_conditioned(rng: np.random.Generator, shape: tuple, index: int) -> np.ndarray:
    """Square inputs dominated by ``3 I``; other inputs plain normal."""
    if len(shape) >= 2 and shape[-1] == shape[-2] and index == 0:
        return rng.uniform(-1, 1, shape) + 3 * np.eye(shape[-1])
    return rng.normal(size=shape)


def sym(m: autograd.Tensor) -> autograd.Tensor:
    """A symmetric matrix built from a free one (so finite differences stay symmetric)."""
    return m + m.mT


def spd(m: autograd.Tensor) -> autograd.Tensor:
    n = m.shape[-1]
    return m @ m.mT + n * autograd.eye(n, dtype=m.dtype)


def matrix_fn(r: LA.EighResult) -> autograd.Tensor:
    """A gauge-invariant function of eigenvectors: V diag(exp(w)) V^T."""
    v = r.eigenvectors
    return v @ autograd.diag_embed(r.eigenvalues.exp()) @ v.mT


def svd_fn(a: autograd.Tensor) -> autograd.Tensor:
    u, s, vh = LA.svd(a, full_matrices=False)
    return (u * (s * s + s).unsqueeze(-2)) @ vh


SOLVES = [
    OpSpec("solve", LA.solve, [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)),
                               ((2, 3, 3), (2, 3)), ((3, 3), (2, 3, 1))], make=well_conditioned),
    OpSpec("solve_right", lambda a, b: LA.solve(a, b, left=False), [((3, 3), (2, 3))],
           make=well_conditioned),
    OpSpec("inv", LA.inv, [((3, 3),), ((2, 3, 3),)], make=well_conditioned),
    OpSpec("det", LA.det, [((3, 3),), ((2, 2, 2),)]),
    OpSpec("slogdet", lambda a: LA.slogdet(a).logabsdet, [((3, 3),), ((2, 2, 2),)]),
    OpSpec("pinv", LA.pinv, [((3, 2),), ((2, 3),), ((2, 3, 3),)], make=well_conditioned),
    OpSpec("pinv_hermitian", lambda m: LA.pinv(spd(m), hermitian=True), [((3, 3),)]),
    OpSpec("matrix_power3", lambda a: LA.matrix_power(a, 3), [((3, 3),), ((2, 2, 2),)]),
    OpSpec("matrix_power_neg", lambda a: LA.matrix_power(a, -2), [((3, 3),)],
           make=well_conditioned),
    OpSpec("multi_dot", lambda a, b, c: LA.multi_dot([a, b, c]),
           [((2, 3), (3, 4), (4, 2)), ((3,), (3, 2), (2,))]),
    OpSpec("multi_dot2", lambda a, b: LA.multi_dot([a, b]), [((3,), (3, 2))]),
    OpSpec("linalg_cross", lambda x, y: LA.cross(x, y), [((2, 3), (1, 3))]),
    OpSpec("vecdot", lambda x, y: LA.vecdot(x, y), [((2, 3), (3,))]),
    OpSpec("vecdot_dim0", lambda x, y: LA.vecdot(x, y, dim=0), [((3, 2), (3, 2))]),
]

DECOMPOSITIONS = [
    OpSpec("eigh_values", lambda m: LA.eigh(sym(m)).eigenvalues, [((3, 3),), ((2, 3, 3),)]),
    OpSpec("eigh_upper", lambda m: LA.eigh(sym(m), UPLO="U").eigenvalues, [((3, 3),)]),
    OpSpec("eigh_matrix_fn", lambda m: matrix_fn(LA.eigh(sym(m))), [((3, 3),), ((2, 3, 3),)]),
    OpSpec("eigh_abs_vectors", lambda m: LA.eigh(sym(m)).eigenvectors.abs(), [((3, 3),)]),
    OpSpec("eigh_both", lambda m: (lambda r: (r.eigenvalues, r.eigenvectors.abs()))(LA.eigh(spd(m))),
           [((3, 3),)]),
    OpSpec("eigvalsh", lambda m: LA.eigvalsh(sym(m)), [((3, 3),)]),
    OpSpec("cholesky", lambda m: LA.cholesky(spd(m)), [((3, 3),), ((2, 3, 3),)]),
    OpSpec("cholesky_upper", lambda m: LA.cholesky(spd(m), upper=True), [((3, 3),)]),
    OpSpec("svd_fn", svd_fn, [((3, 3),), ((4, 2),), ((2, 4),), ((2, 3, 2),)]),
    OpSpec("svd_abs_u", lambda a: LA.svd(a, full_matrices=False).U.abs(), [((3, 2),), ((2, 3),)]),
    OpSpec("svd_abs_vh", lambda a: LA.svd(a, full_matrices=False).Vh.abs(), [((3, 2),), ((2, 3),)]),
    OpSpec("svd_full_reduced_part", lambda a: (lambda r: (r.U[..., :2].abs(), r.S))(LA.svd(a)),
           [((4, 2),)]),
    OpSpec("svdvals", LA.svdvals, [((3, 3),), ((4, 2),), ((2, 2, 3),)]),
    OpSpec("qr", LA.qr, [((3, 3),), ((4, 2),), ((2, 4),), ((2, 3, 2),)]),
    OpSpec("qr_r", lambda a: LA.qr(a, mode="r").R, [((3, 2),)]),
    OpSpec("qr_complete_square", lambda a: LA.qr(a, mode="complete"), [((3, 3),), ((2, 3),)]),
]


def away_from_zero(rng: np.random.Generator, shape: tuple, index: int) -> np.ndarray:
    return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


INF = math.inf
NORMS = [
    OpSpec(f"vector_norm_{o}", lambda x, o=o: LA.vector_norm(x, o), [((4,),), ((2, 3),)],
           domain=away_from_zero)
    for o in (2, 1, INF, -INF, 3, 0.5, -1, 0)
] + [
    OpSpec("vector_norm_dims", lambda x: LA.vector_norm(x, 2, dim=(0, 2), keepdim=True),
           [((2, 3, 2),)], domain=away_from_zero),
    OpSpec("vector_norm_dim_inf", lambda x: LA.vector_norm(x, INF, dim=-1), [((2, 3),)],
           domain=away_from_zero),
] + [
    OpSpec(f"matrix_norm_{o}", lambda a, o=o: LA.matrix_norm(a, o), [((3, 3),), ((2, 2, 3),)])
    for o in ("fro", "nuc", 2, -2, 1, -1, INF, -INF)
] + [
    OpSpec("matrix_norm_dims_keepdim", lambda a: LA.matrix_norm(a, "nuc", dim=(0, 2), keepdim=True),
           [((3, 2, 2),)]),
    OpSpec("matrix_norm_1_keepdim", lambda a: LA.matrix_norm(a, 1, dim=(2, 0), keepdim=True),
           [((3, 2, 2),)]),
    OpSpec("norm_default", LA.norm, [((2, 3, 2),)], domain=away_from_zero),
    OpSpec("norm_matrix_ord", lambda a: LA.norm(a, 2), [((3, 3),)]),
    OpSpec("norm_vector_dim", lambda a: LA.norm(a, 3, dim=1), [((2, 3),)], domain=away_from_zero),
]


@pytest.mark.parametrize("spec,shapes", params(SOLVES))
def test_solve_family_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


@pytest.mark.parametrize("spec,shapes", params(DECOMPOSITIONS))
def test_decomposition_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


@pytest.mark.parametrize("spec,shapes", params(NORMS))
def test_norm_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


def test_det_gradient_of_a_singular_matrix_is_the_adjugate() -> None:
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    x = _t(a, rg=True)
    LA.det(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)
    rank1 = np.outer([1.0, 2.0, 3.0], [1.0, 0.5, 2.0]) + np.outer([0.0, 1.0, -1.0], [2.0, 1.0, 0.0])
    run_spec(OpSpec("det_singular", LA.det, [((3, 3),)], make=lambda r, s, i: rank1), ((3, 3),))


# ----------------------------------------------------------------------------- values


def test_values_match_numpy_batched() -> None:
    a = RNG.uniform(-1, 1, (2, 3, 3)) + 3 * np.eye(3)
    b = RNG.normal(size=(2, 3, 2))
    np.testing.assert_allclose(LA.solve(_t(a), _t(b)).numpy(), np.linalg.solve(a, b), rtol=1e-12)
    np.testing.assert_allclose(LA.inv(_t(a)).numpy(), np.linalg.inv(a), rtol=1e-12)
    np.testing.assert_allclose(LA.det(_t(a)).numpy(), np.linalg.det(a), rtol=1e-12)
    sign, logabs = LA.slogdet(_t(a))
    np.testing.assert_allclose(sign.numpy() * np.exp(logabs.numpy()), np.linalg.det(a), rtol=1e-12)
    s = a @ np.swapaxes(a, -1, -2)
    w, v = LA.eigh(_t(s))
    np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(s), rtol=1e-12)
    np.testing.assert_allclose(v.numpy() @ np.apply_along_axis(np.diag, -1, w.numpy())
                               @ np.swapaxes(v.numpy(), -1, -2), s, rtol=1e-10)
    np.testing.assert_allclose(LA.cholesky(_t(s)).numpy(), np.linalg.cholesky(s), rtol=1e-12)
    np.testing.assert_allclose(LA.cholesky(_t(s), upper=True).numpy(),
                               np.swapaxes(np.linalg.cholesky(s), -1, -2), rtol=1e-12)
    m = RNG.normal(size=(2, 4, 3))
    u, sv, vh = LA.svd(_t(m))
    assert u.shape == (2, 4, 4) and sv.shape == (2, 3) and vh.shape == (2, 3, 3)
    np.testing.assert_allclose(sv.numpy(), np.linalg.svd(m, compute_uv=False), rtol=1e-12)
    assert LA.svd(_t(m), full_matrices=False).U.shape == (2, 4, 3)
    np.testing.assert_allclose(LA.svdvals(_t(m)).numpy(), np.linalg.svd(m, compute_uv=False))
    q, r = LA.qr(_t(m))
    np.testing.assert_allclose((q @ r).numpy(), m, atol=1e-12)
    assert LA.qr(_t(m), mode="complete").Q.shape == (2, 4, 4)
    assert LA.qr(_t(m), mode="r").Q.shape == (0,)
    np.testing.assert_allclose(LA.pinv(_t(m)).numpy(), np.linalg.pinv(m), rtol=1e-10)
    np.testing.assert_allclose(LA.matrix_power(_t(a), 5).numpy(), np.linalg.matrix_power(a, 5))
    np.testing.assert_allclose(LA.matrix_power(_t(a), -2).numpy(), np.linalg.matrix_power(a, -2))
    assert LA.matrix_power(_t(a), 0).numpy().tolist() == np.broadcast_to(np.eye(3), (2, 3, 3)).tolist()


@pytest.mark.parametrize("ord", [2, 1, INF, -INF, 0, 3, -1, 0.5])
def test_vector_norm_matches_numpy(ord: float) -> None:
    x = RNG.normal(size=(3, 4))
    np.testing.assert_allclose(LA.vector_norm(_t(x), ord, dim=1).numpy(),
                               np.linalg.norm(x, ord, axis=1), rtol=1e-12)


@pytest.mark.parametrize("ord", ["fro", "nuc", 2, -2, 1, -1, INF, -INF])
def test_matrix_norm_matches_numpy(ord: object) -> None:
    a = RNG.normal(size=(2, 3, 4))
    np.testing.assert_allclose(LA.matrix_norm(_t(a), ord).numpy(),
                               np.linalg.norm(a, ord, axis=(-2, -1)), rtol=1e-12)
    kd = LA.matrix_norm(_t(a), ord, dim=(0, 2), keepdim=True)
    assert kd.shape == (1, 3, 1)
    np.testing.assert_allclose(kd.numpy(), np.linalg.norm(a, ord, axis=(0, 2), keepdims=True),
                               rtol=1e-12)


def test_norm_dispatch_and_dtype() -> None:
    x = RNG.normal(size=(2, 3, 4))
    assert LA.norm(_t(x)).item() == pytest.approx(np.sqrt((x ** 2).sum()))
    assert LA.norm(_t(x), dim=(0, 2)).shape == (3,)
    assert LA.norm(_t(x[0]), "nuc").item() == pytest.approx(np.linalg.norm(x[0], "nuc"))
    assert LA.norm(_t(x[0, 0]), 1).item() == pytest.approx(np.abs(x[0, 0]).sum())
    assert LA.vector_norm(autograd.ones(2, 3), dtype=autograd.float64).dtype == autograd.float64
    assert LA.vector_norm(autograd.ones(2, 3), dim=(0, 1), keepdim=True).shape == (1, 1)


def test_matrix_rank_and_multi_dot_values() -> None:
    assert LA.matrix_rank(autograd.ones(3, 3)).item() == 1
    assert LA.matrix_rank(autograd.ones(2, 3, 3)).tolist() == [1, 1]
    assert LA.matrix_rank(autograd.eye(3), hermitian=True).item() == 3
    assert LA.matrix_rank(autograd.eye(3), atol=2.0).item() == 0
    assert LA.matrix_rank(autograd.eye(3)).dtype == autograd.int64
    mats = [RNG.normal(size=s) for s in [(2, 5), (5, 3), (3, 4), (4, 2)]]
    np.testing.assert_allclose(LA.multi_dot([_t(m) for m in mats]).numpy(),
                               np.linalg.multi_dot(mats), rtol=1e-12)


def test_results_are_namedtuples() -> None:
    a = _t(np.eye(2) * 2)
    assert LA.eigh(a)._fields == ("eigenvalues", "eigenvectors")
    assert LA.slogdet(a)._fields == ("sign", "logabsdet")
    assert LA.svd(a)._fields == ("U", "S", "Vh")
    assert LA.qr(a)._fields == ("Q", "R")
    w, v = LA.eigh(a)  # tuple unpacking, as the seed document does
    assert w.tolist() == [2.0, 2.0]


def test_tensor_methods_use_linalg() -> None:
    a = _t([[4.0, 2.0], [2.0, 5.0]])
    assert a.det().item() == pytest.approx(16.0)
    np.testing.assert_allclose(a.inverse().numpy(), np.linalg.inv(a.numpy()))
    assert a.slogdet().sign.item() == 1.0
    np.testing.assert_allclose(a.cholesky(upper=True).numpy(), np.linalg.cholesky(a.numpy()).T)


# ----------------------------------------------------------------------------- gradients at edges


def test_vector_norm_gradient_at_zero_and_ties() -> None:
    x = _t(np.zeros(3), rg=True)
    LA.vector_norm(x).backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    y = _t([1.0, -3.0, 3.0], rg=True)
    LA.vector_norm(y, INF).backward()
    assert y.grad.tolist() == [0.0, -0.5, 0.5]  # ties share the gradient, as in PyTorch
    z = _t([1.0, 0.0, 3.0], rg=True)
    LA.vector_norm(z, 0).backward()
    assert z.grad is None  # the count of non-zeros has no gradient
    w = _t([1.0, 0.0, 3.0], rg=True)
    out = LA.vector_norm(w, -1)
    assert out.item() == 0.0
    out.backward()
    assert w.grad.tolist() == [0.0, 0.0, 0.0]


def test_eigh_gradient_is_symmetric_for_any_input() -> None:
    m = _t(RNG.normal(size=(3, 3)), rg=True)
    w, v = LA.eigh(m)
    (v.abs().sum() + (w ** 2).sum()).backward()
    np.testing.assert_allclose(m.grad.numpy(), m.grad.numpy().T, atol=1e-12)


def test_eigenvalue_only_loss_ignores_degenerate_gaps() -> None:
    # repeated eigenvalues: the eigenvector term (1 / gap) must not be touched
    m = _t(np.eye(3) * 2.0, rg=True)
    LA.eigvalsh(m).sum().backward()
    np.testing.assert_allclose(m.grad.numpy(), np.eye(3), atol=1e-12)


def test_svd_full_matrices_gradient_rules() -> None:
    a = _t(RNG.normal(size=(4, 2)), rg=True)
    u, s, vh = LA.svd(a)
    with pytest.raises(RuntimeError, match="full_matrices=False"):
        u.sum().backward()
    u, s, vh = LA.svd(a)
    (u[:, :2].abs().sum() + s.sum()).backward()  # only the well-defined part: fine
    assert a.grad.shape == (4, 2)
    with fwAD.dual_level():
        d = fwAD.make_dual(a.detach(), _t(RNG.normal(size=(4, 2))))
        tu = fwAD.unpack_dual(LA.svd(d).U).tangent
    assert tu.shape == (4, 4) and np.all(tu.numpy()[:, 2:] == 0)


def test_qr_complete_tall_is_not_differentiable() -> None:
    a = _t(RNG.normal(size=(3, 2)), rg=True)
    q, r = LA.qr(a, mode="complete")
    with pytest.raises(RuntimeError, match=re.escape(
            "The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")):
        q.sum().backward()


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("fn,exc,msg", [
    (lambda: LA.solve(autograd.zeros(3, 3), autograd.ones(3)), LA.LinAlgError,
     "linalg.solve: The solver failed because the input matrix is singular."),
    (lambda: LA.solve(autograd.ones(3, 4), autograd.ones(3)), RuntimeError,
     "linalg.solve: A must be batches of square matrices, but they are 3 by 4 matrices"),
    (lambda: LA.solve(autograd.eye(3), autograd.ones(4)), RuntimeError,
     "linalg.solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 4x1)"),
    (lambda: LA.inv(autograd.tensor([[1.0, 2.0], [2.0, 4.0]])), LA.LinAlgError,
     "linalg.inv: The diagonal element 2 is zero, the inversion could not be completed because "
     "the input matrix is singular."),
    (lambda: LA.inv(autograd.tensor(np.stack([np.eye(3), np.zeros((3, 3))]))),
     LA.LinAlgError, "linalg.inv: (Batch element 1): The diagonal element 1 is zero"),
    (lambda: LA.inv(autograd.ones(2, 3)), RuntimeError,
     "linalg.inv: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda: LA.inv(autograd.ones(3)), RuntimeError,
     "linalg.inv: The input tensor A must have at least 2 dimensions."),
    (lambda: LA.cholesky(-autograd.eye(3)), LA.LinAlgError,
     "linalg.cholesky: The factorization could not be completed because the input is not "
     "positive-definite (the leading minor of order 1 is not positive-definite)."),
    (lambda: LA.cholesky(autograd.tensor([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]]])),
     LA.LinAlgError, "linalg.cholesky: (Batch element 1): The factorization could not be completed "
     "because the input is not positive-definite (the leading minor of order 2"),
    (lambda: LA.det(autograd.ones(2, 3)), RuntimeError,
     "linalg.det: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda: LA.det(autograd.ones(2, 2, dtype=autograd.int64)), RuntimeError,
     "linalg.det: Expected a floating point or complex tensor as input. Got int64"),
    (lambda: LA.eigh(autograd.ones(2, 3)), RuntimeError,
     "linalg.eigh: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda: LA.eigh(autograd.eye(2), UPLO="X"), RuntimeError, "UPLO argument to be 'L' or 'U'"),
    (lambda: LA.svd(autograd.ones(3)), RuntimeError,
     "linalg.svd: The input tensor A must have at least 2 dimensions."),
    (lambda: LA.qr(autograd.ones(3, 3), "bad"), RuntimeError,
     "qr received unrecognized mode 'bad' but expected one of 'reduced' (default), 'r', or 'complete'"),
    (lambda: LA.matrix_norm(autograd.ones(3)), RuntimeError,
     "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."),
    (lambda: LA.matrix_norm(autograd.ones(3, 3), 3), RuntimeError,
     "linalg.matrix_norm: Order 3 not supported."),
    (lambda: LA.vector_norm(autograd.ones(3), "fro"), TypeError, "linalg.matrix_norm for 'fro'"),
    (lambda: LA.vector_norm(autograd.ones(3, dtype=autograd.int64)), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got int64"),
    (lambda: LA.norm(autograd.ones(2, 3, 4), 2), RuntimeError,
     "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got 3D."),
    (lambda: LA.matrix_power(autograd.ones(2, 3), 2), RuntimeError,
     "linalg.matrix_power: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda: LA.multi_dot([autograd.ones(3)]), RuntimeError,
     "multi_dot(): expected at least 2 tensors but got 1"),
    (lambda: LA.multi_dot([autograd.ones(2, 3), autograd.ones(4, 5)]), RuntimeError,
     "multi_dot(): tensors 0 and 1 with shapes [2, 3] and [4, 5] cannot be multiplied"),
    (lambda: LA.multi_dot([autograd.ones(2, 3), autograd.ones(3), autograd.ones(3, 2)]), RuntimeError,
     "multi_dot(): tensor 1 must be 2D but got 1D"),
    (lambda: LA.vecdot(autograd.ones(3), autograd.ones(4)), RuntimeError,
     "inconsistent tensor size, expected tensor [3] and src [4]"),
])
def test_errors_name_the_op_and_shape(fn: object, exc: type, msg: str) -> None:
    with pytest.raises(exc, match=re.escape(msg)):
        fn()


def test_linalg_errors_are_runtime_errors_with_the_shape() -> None:
    with pytest.raises(RuntimeError, match=re.escape("A has shape [2, 2]")):
        LA.inv(autograd.zeros(2, 2))


# ----------------------------------------------------------------------------- seed example


class MatrixSquareRoot(autograd.Function):
    """The seed document's "Complex Custom Function Example", ported by changing imports."""

    @staticmethod
    def forward(ctx, matrix):  # type: ignore[no-untyped-def]
        eigenvals, eigenvecs = autograd.linalg.eigh(matrix)
        sqrt_eigenvals = autograd.sqrt(autograd.clamp(eigenvals, min=1e-8))
        sqrt_matrix = eigenvecs @ autograd.diag(sqrt_eigenvals) @ eigenvecs.T
        ctx.save_for_backward(sqrt_matrix, eigenvecs, sqrt_eigenvals)
        return sqrt_matrix

    @staticmethod
    def backward(ctx, grad_output):  # type: ignore[no-untyped-def]
        sqrt_matrix, eigenvecs, sqrt_eigenvals = ctx.saved_tensors
        n = sqrt_matrix.shape[0]
        grad_input = autograd.zeros_like(sqrt_matrix)
        for i in range(n):
            for j in range(n):
                if i == j:
                    jacobian_elem = 1.0 / (2.0 * sqrt_eigenvals[i])
                else:
                    jacobian_elem = 0.0
                grad_input += jacobian_elem * grad_output[i, j] * \
                    autograd.outer(eigenvecs[:, i], eigenvecs[:, j])
        return grad_input


def test_seed_matrix_square_root_example() -> None:
    matrix_sqrt = MatrixSquareRoot.apply
    m = RNG.normal(size=(4, 4))
    a = _t(m @ m.T + 4 * np.eye(4), rg=True)
    root = matrix_sqrt(a)
    np.testing.assert_allclose((root @ root).detach().numpy(), a.detach().numpy(), rtol=1e-10)
    assert root.grad_fn is not None
    g = RNG.normal(size=(4, 4))
    root.backward(_t(g))
    w, v = np.linalg.eigh(a.detach().numpy())
    expected = sum(g[i, i] / (2 * np.sqrt(w[i])) * np.outer(v[:, i], v[:, i]) for i in range(4))
    np.testing.assert_allclose(a.grad.numpy(), expected, rtol=1e-10)


def test_saved_outputs_are_version_checked_and_freed() -> None:
    m = _t(RNG.normal(size=(3, 3)), rg=True)
    w, v = LA.eigh(sym(m))
    v.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        v.sum().backward()
    u, s, vh = LA.svd(m, full_matrices=False)
    loss = u.sum() + s.sum() + vh.sum()  # only the SVD node saves tensors
    loss.backward()
    with pytest.raises(RuntimeError, match="second time .* in SvdBackward"):
        loss.backward()


@pytest.mark.parametrize("name,fn,shape", [
    ("eigh", lambda m: matrix_fn(LA.eigh(sym(m))), (3, 3)),
    ("cholesky", lambda m: LA.cholesky(spd(m)), (3, 3)),
    ("svd", svd_fn, (4, 2)),
    ("qr_tall", lambda a: LA.qr(a), (3, 2)),
    ("qr_wide", lambda a: LA.qr(a), (2, 3)),
    ("det", LA.det, (3, 3)),
    ("slogdet", lambda a: LA.slogdet(a).logabsdet, (3, 3)),
    ("inv", LA.inv, (3, 3)),
    ("pinv", LA.pinv, (3, 2)),
    ("vector_norm", lambda x: LA.vector_norm(x, 3), (4,)),
])
def test_forward_over_reverse(name: str, fn: object, shape: tuple) -> None:
    a = well_conditioned(np.random.default_rng(5), shape, 0)
    assert autograd.gradgradcheck(fn, (_t(a, rg=True),), check_fwd_over_rev=True)


def test_forward_over_forward_eigvalsh() -> None:
    a = RNG.normal(size=(3, 3))
    a = a + a.T
    t = RNG.normal(size=(3, 3))
    t = t + t.T
    with fwAD.dual_level():
        x = fwAD.make_dual(_t(a), _t(t))
        with fwAD.dual_level():
            inner = fwAD.unpack_dual(LA.eigvalsh(fwAD.make_dual(x, _t(t)))).tangent
        second = fwAD.unpack_dual(inner).tangent
    h = 1e-4
    plus, mid, minus = (np.linalg.eigvalsh(a + e * t) for e in (h, 0.0, -h))
    np.testing.assert_allclose(second.numpy(), (plus - 2 * mid + minus) / h ** 2, atol=1e-4)
