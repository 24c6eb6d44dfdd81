"""Matrix-product and matrix-structure ops: gradient checks (float64, reverse, forward and
second order, contiguous and strided inputs), values against NumPy, views, and
PyTorch-style error messages."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd
import autograd.forward_ad as fwAD
from tests.autograd.harness import OpSpec, params, run_spec


def _t(a: np.ndarray, rg: bool = False) -> autograd.Tensor:
    return autograd.tensor(np.asarray(a), dtype=autograd.float64, requires_grad=rg)


PRODUCTS = [
    OpSpec("matmul", autograd.matmul, [
        ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)), ((2, 2, 3), (3, 2)),
        ((2, 1, 2, 3), (3, 3, 2)), ((2, 3), (2, 3, 2)), ((3,), (2, 3, 2)),
    ]),
    OpSpec("matmul_operator", lambda x, y: x @ y, [((2, 3), (3, 2))]),
    OpSpec("mm", autograd.mm, [((2, 3), (3, 2))]),
    OpSpec("bmm", autograd.bmm, [((2, 2, 3), (2, 3, 2))]),
    OpSpec("mv", autograd.mv, [((2, 3), (3,))]),
    OpSpec("dot", autograd.dot, [((3,), (3,))]),
    OpSpec("vdot", autograd.vdot, [((3,), (3,))]),
    OpSpec("inner", autograd.inner, [((3,), (3,)), ((2, 3), (4, 3)), ((), (3,)), ((2, 2, 3), (3,))]),
    OpSpec("outer", autograd.outer, [((3,), (2,))]),
    OpSpec("ger", autograd.ger, [((2,), (2,))]),
    OpSpec("kron", autograd.kron, [((2, 2), (2, 3)), ((2,), (3,)), ((2, 1, 2), (2, 2))]),
    OpSpec("tensordot2", autograd.tensordot, [((2, 3, 2), (3, 2, 2))]),
    OpSpec("tensordot_lists", lambda a, b: autograd.tensordot(a, b, ([1, 0], [0, 1])),
           [((3, 2, 2), (2, 3))]),
    OpSpec("tensordot0", lambda a, b: autograd.tensordot(a, b, 0), [((2,), (3,))]),
    OpSpec("cross", lambda x, y: autograd.cross(x, y, dim=-1),
           [((3,), (3,)), ((2, 3), (1, 3)), ((2, 3), (2, 3))]),
    OpSpec("cross_default_dim", autograd.cross, [((3, 2), (3, 2))]),
    OpSpec("linear", autograd.linear,
           [((4, 3), (2, 3), (2,)), ((3,), (2, 3), (2,)), ((2, 2, 3), (2, 3), (2,))]),
    OpSpec("linear_nobias", autograd.linear, [((4, 3), (2, 3)), ((2, 1, 3), (2, 3))]),
    OpSpec("linear_vector_weight", autograd.linear, [((4, 3), (3,), ())]),
    OpSpec("addmm", lambda i, a, b: autograd.addmm(i, a, b, beta=0.5, alpha=2.0),
           [((2,), (2, 3), (3, 2)), ((2, 2), (2, 3), (3, 2))]),
    OpSpec("addmm_beta0", lambda i, a, b: autograd.addmm(i, a, b, beta=0),
           [((2, 2), (2, 3), (3, 2))]),
    OpSpec("addmv", lambda i, a, v: autograd.addmv(i, a, v, alpha=-1.5), [((2,), (2, 3), (3,))]),
    OpSpec("baddbmm", lambda i, a, b: autograd.baddbmm(i, a, b, beta=2.0),
           [((2, 2), (2, 2, 3), (2, 3, 2))]),
    OpSpec("addbmm", lambda i, a, b: autograd.addbmm(i, a, b, alpha=0.5),
           [((2, 2), (3, 2, 3), (3, 3, 2))]),
]

EINSUM = [
    OpSpec(f"einsum[{eq}]", lambda *xs, eq=eq: autograd.einsum(eq, *xs), [shapes])
    for eq, shapes in [
        ("ij,jk->ik", ((2, 3), (3, 2))),
        ("ij,jk", ((2, 3), (3, 2))),
        ("ii->i", ((3, 3),)),
        ("ii", ((3, 3),)),
        ("iij->ji", ((2, 2, 3),)),
        ("ijk->kj", ((2, 3, 2),)),
        ("ij->", ((2, 3),)),
        ("bij,bjk->bik", ((2, 2, 3), (2, 3, 2))),
        ("i,j->ij", ((2,), (3,))),
        ("...ij,...jk->...ik", ((2, 2, 3), (3, 2))),
        ("ij,j->i", ((2, 1), (3,))),
        ("ij,jk,kl->il", ((2, 3), (3, 2), (2, 2))),
        ("bn,anm,bm->ba", ((2, 3), (2, 3, 2), (2, 2))),
        ("i,i,i->", ((3,), (3,), (3,))),
        ("ii,i->i", ((3, 3), (3,))),
        ("...,...", ((2, 3), (3,))),
    ]
] + [
    OpSpec("einsum_sublist", lambda a, b: autograd.einsum(a, [0, 1], b, [1, 2], [0, 2]),
           [((2, 3), (3, 2))]),
    OpSpec("einsum_list", lambda a, b: autograd.einsum("ij,jk->ki", [a, b]), [((2, 3), (3, 2))]),
]

STRUCTURE = [
    OpSpec("diag_vec", autograd.diag, [((3,),)]),
    OpSpec("diag_vec_offset", lambda x: autograd.diag(x, 1), [((3,),)]),
    OpSpec("diag_vec_neg_offset", lambda x: autograd.diag(x, -2), [((2,),)]),
    OpSpec("diag_mat", autograd.diag, [((3, 3),), ((2, 3),)]),
    OpSpec("diag_mat_offset", lambda x: autograd.diag(x, 1), [((3, 4),)]),
    OpSpec("diagonal", autograd.diagonal, [((3, 4),)]),
    OpSpec("diagonal_offset_dims", lambda x: autograd.diagonal(x, 1, 0, 2), [((3, 2, 4),)]),
    OpSpec("diagonal_method", lambda x: x.diagonal(-1, -1, -2), [((2, 3, 3),)]),
    OpSpec("diag_embed", autograd.diag_embed, [((3,),), ((2, 3),)]),
    OpSpec("diag_embed_offset_dims", lambda x: autograd.diag_embed(x, -1, 0, 2), [((2, 3),)]),
    OpSpec("trace", autograd.trace, [((3, 3),), ((2, 3),)]),
    OpSpec("tril", autograd.tril, [((3, 4),), ((2, 3, 3),)]),
    OpSpec("tril_k", lambda x: autograd.tril(x, -1), [((3, 3),)]),
    OpSpec("triu", autograd.triu, [((3, 4),), ((2, 3, 3),)]),
    OpSpec("triu_k", lambda x: x.triu(1), [((3, 3),)]),
]


@pytest.mark.parametrize("spec,shapes", params(PRODUCTS))
def test_product_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


@pytest.mark.parametrize("spec,shapes", params(EINSUM))
def test_einsum_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


@pytest.mark.parametrize("spec,shapes", params(STRUCTURE))
def test_structure_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


# ----------------------------------------------------------------------------- values


RNG = np.random.default_rng(7)


@pytest.mark.parametrize("xs,ys", [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((5, 2, 3), (3, 4)), ((2, 1, 2, 3), (4, 3, 2)),
    ((2, 3), (5, 3, 2)),
])
def test_matmul_matches_numpy(xs: tuple, ys: tuple) -> None:
    a, b = RNG.normal(size=xs), RNG.normal(size=ys)
    out = autograd.matmul(_t(a), _t(b))
    assert out.shape == np.matmul(a, b).shape
    np.testing.assert_allclose(out.numpy(), np.matmul(a, b), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("eq,shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ii", [(3, 3)]), ("ii->i", [(4, 4)]), ("ij->ji", [(2, 3)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]), ("...ij,...jk->...ik", [(2, 2, 3), (3, 4)]),
    ("i,j", [(2,), (3,)]), ("ba", [(2, 3)]), ("ijk,kji->", [(2, 3, 4), (4, 3, 2)]),
    ("ab,bc,cd,de->ae", [(2, 3), (3, 4), (4, 2), (2, 3)]), ("iij->j", [(3, 3, 2)]),
    ("a,B", [(2,), (3,)]), ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
])
def test_einsum_matches_numpy(eq: str, shapes: list) -> None:
    arrays = [RNG.normal(size=s) for s in shapes]
    out = autograd.einsum(eq, *[_t(a) for a in arrays])
    np.testing.assert_allclose(out.numpy(), np.einsum(eq, *arrays), rtol=1e-10, atol=1e-12)


def test_einsum_broadcasts_size_one_dims_and_sums_missing_ellipsis() -> None:
    a, b = RNG.normal(size=(2, 1)), RNG.normal(size=(3,))
    out = autograd.einsum("ij,j->i", _t(a), _t(b))
    np.testing.assert_allclose(out.numpy(), a[:, 0] * b.sum())
    c = RNG.normal(size=(4, 2, 3))
    np.testing.assert_allclose(autograd.einsum("...ij->ij", _t(c)).numpy(), c.sum(0))
    assert autograd.einsum("bi,...i->b...", autograd.ones(4, 2), autograd.ones(5, 2)).shape == (4, 5)
    assert autograd.einsum("i...,i...", autograd.ones(2, 3), autograd.ones(2, 1)).shape == (3,)


def test_einsum_sublist_and_list_forms() -> None:
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(3, 4))
    ref = a @ b
    np.testing.assert_allclose(autograd.einsum(_t(a), [0, 1], _t(b), [1, 2], [0, 2]).numpy(), ref)
    np.testing.assert_allclose(autograd.einsum("ij,jk", [_t(a), _t(b)]).numpy(), ref)
    # sublist ints 0..25 are A..Z and 26..51 a..z, so the implicit output keeps 0 before 27
    assert autograd.einsum(autograd.ones(2), [0], autograd.ones(3), [27]).shape == (2, 3)


def test_einsum_second_derivative_is_exact() -> None:
    # f(x) = x^T A x -> Hessian A + A^T
    a = RNG.normal(size=(3, 3))
    x = _t(RNG.normal(size=3), rg=True)
    y = autograd.einsum("i,ij,j->", x, _t(a), x)
    (g,) = autograd.grad(y, x, create_graph=True)
    rows = [autograd.grad(g[i], x, retain_graph=True)[0].numpy() for i in range(3)]
    np.testing.assert_allclose(np.stack(rows), a + a.T, rtol=1e-12)


@pytest.mark.parametrize("a,b,dims", [
    ((2, 3, 4), (3, 4, 5), 2), ((3, 2, 2), (2, 3, 5), ([1, 0], [0, 1])), ((2,), (3,), 0),
    ((2, 3), (3, 4), ([1], [0])),
])
def test_tensordot_matches_numpy(a: tuple, b: tuple, dims: object) -> None:
    x, y = RNG.normal(size=a), RNG.normal(size=b)
    out = autograd.tensordot(_t(x), _t(y), dims)
    np.testing.assert_allclose(out.numpy(), np.tensordot(x, y, dims), rtol=1e-12)


@pytest.mark.parametrize("a,b", [((2, 2), (3, 2)), ((2,), (3,)), ((2, 1, 3), (2, 2)), ((3,), (2, 2))])
def test_kron_inner_outer_match_numpy(a: tuple, b: tuple) -> None:
    x, y = RNG.normal(size=a), RNG.normal(size=b)
    np.testing.assert_allclose(autograd.kron(_t(x), _t(y)).numpy(), np.kron(x, y), rtol=1e-12)
    u, v = RNG.normal(size=(2, 3)), RNG.normal(size=(4, 3))
    np.testing.assert_allclose(autograd.inner(_t(u), _t(v)).numpy(), np.inner(u, v), rtol=1e-12)
    np.testing.assert_allclose(autograd.outer(_t(u[0]), _t(v[0])).numpy(), np.outer(u[0], v[0]))


def test_diag_family_matches_numpy() -> None:
    m = RNG.normal(size=(3, 4))
    v = RNG.normal(size=3)
    for k in (-2, -1, 0, 1, 3):
        np.testing.assert_array_equal(autograd.diag(_t(m), k).numpy(), np.diag(m, k))
        np.testing.assert_array_equal(autograd.diag(_t(v), k).numpy(), np.diag(v, k))
        np.testing.assert_array_equal(autograd.tril(_t(m), k).numpy(), np.tril(m, k))
        np.testing.assert_array_equal(autograd.triu(_t(m), k).numpy(), np.triu(m, k))
    c = RNG.normal(size=(2, 3, 4))
    np.testing.assert_array_equal(autograd.diagonal(_t(c), 1, -1, 0).numpy(),
                                  np.diagonal(c, 1, -1, 0))
    e = autograd.diag_embed(_t(RNG.normal(size=(2, 3))), offset=1)
    assert e.shape == (2, 4, 4)
    assert autograd.diag_embed(autograd.ones(2, 3), dim1=0, dim2=2).shape == (3, 2, 3)
    np.testing.assert_array_equal(autograd.diagonal(e, 1, -2, -1).numpy(),
                                  np.diagonal(e.numpy(), 1, -2, -1))
    assert autograd.trace(_t(m[:, :3])).item() == pytest.approx(np.trace(m[:, :3]))
    assert autograd.diag(autograd.ones(3, 3), 5).shape == (0,)


def test_diagonal_is_a_writable_view_and_gradients_follow_writes() -> None:
    x = autograd.zeros(3, 3)
    x.diagonal().fill_(2.0)
    assert x.tolist() == [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]]
    leaf = _t(np.ones((3, 3)), rg=True)
    y = leaf * 1.0
    d = y.diagonal()
    d.mul_(3.0)
    y.sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), np.ones((3, 3)) + 2 * np.eye(3))
    assert autograd.diag(x).data_ptr() != x.data_ptr()  # diag of a matrix copies


def test_addmm_family_values() -> None:
    i, a, b = RNG.normal(size=(2, 4)), RNG.normal(size=(2, 3)), RNG.normal(size=(3, 4))
    out = autograd.addmm(_t(i), _t(a), _t(b), beta=0.5, alpha=2.0)
    np.testing.assert_allclose(out.numpy(), 0.5 * i + 2.0 * a @ b, rtol=1e-12)
    nan = autograd.addmm(autograd.tensor(float("nan")), autograd.ones(2, 3), autograd.ones(3, 4), beta=0)
    assert nan.tolist() == [[3.0] * 4] * 2  # beta=0 ignores the input, NaNs included
    b1, b2 = RNG.normal(size=(5, 2, 3)), RNG.normal(size=(5, 3, 4))
    np.testing.assert_allclose(autograd.addbmm(autograd.zeros(2, 4, dtype=autograd.float64),
                                               _t(b1), _t(b2)).numpy(),
                               np.einsum("bij,bjk->ik", b1, b2), rtol=1e-12)
    np.testing.assert_allclose(autograd.baddbmm(_t(i), _t(b1), _t(b2)).numpy(), i + b1 @ b2)
    assert autograd.addmv(autograd.zeros(2), autograd.ones(2, 3), autograd.ones(3), beta=0,
                          alpha=2).tolist() == [6.0, 6.0]


def test_cross_matches_numpy_and_default_dim() -> None:
    x, y = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
    np.testing.assert_allclose(autograd.cross(_t(x), _t(y)).numpy(), np.cross(x, y, axis=0))
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(1, 3))
    np.testing.assert_allclose(autograd.cross(_t(a), _t(b), dim=1).numpy(), np.cross(a, b))


def test_linear_is_fused_and_leaves_bias_alone() -> None:
    x, w, b = RNG.normal(size=(2, 5, 3)), RNG.normal(size=(4, 3)), RNG.normal(size=4)
    bias = _t(b)
    out = autograd.linear(_t(x), _t(w), bias)
    np.testing.assert_allclose(out.numpy(), x @ w.T + b, rtol=1e-12)
    np.testing.assert_array_equal(bias.numpy(), b)  # the in-place bias add wrote into the output
    assert out.grad_fn is None
    xs, ws = _t(x, rg=True), _t(w, rg=True)
    y = autograd.linear(xs, ws, _t(b, rg=True))
    assert y.grad_fn.name() == "LinearBackward"
    f32 = autograd.linear(autograd.ones(2, 3), autograd.ones(4, 3), autograd.ones(4))
    assert f32.dtype == autograd.float32 and f32.tolist() == [[4.0] * 4] * 2


def test_linear_forward_mode_matches_reverse() -> None:
    x, w, b = _t(RNG.normal(size=(3, 2))), _t(RNG.normal(size=(4, 2))), _t(RNG.normal(size=4))
    tw = _t(RNG.normal(size=(4, 2)))
    with fwAD.dual_level():
        out = autograd.linear(x, fwAD.make_dual(w, tw), b)
        tangent = fwAD.unpack_dual(out).tangent
    np.testing.assert_allclose(tangent.numpy(), x.numpy() @ tw.numpy().T, rtol=1e-12)


def test_integer_matmul_and_promotion() -> None:
    a = autograd.tensor([[1, 2], [3, 4]])
    assert (a @ a).tolist() == [[7, 10], [15, 22]]
    mixed = autograd.matmul(autograd.ones(2, 2, dtype=autograd.float32),
                            autograd.ones(2, 2, dtype=autograd.float64))
    assert mixed.dtype == autograd.float64


def test_tensor_methods_route_here() -> None:
    m = autograd.arange(9.0).reshape(3, 3)
    v = autograd.ones(3)
    assert m.mm(m).shape == (3, 3) and m.mv(v).shape == (3,) and v.dot(v).item() == 3.0
    assert v.outer(v).shape == (3, 3) and v.ger(v).shape == (3, 3)
    assert m.diag().tolist() == [0.0, 4.0, 8.0] and m.trace().item() == 12.0
    assert m.tril().sum().item() == 0 + 3 + 4 + 6 + 7 + 8
    assert autograd.ones(2, 2, 3).bmm(autograd.ones(2, 3, 1)).shape == (2, 2, 1)


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("fn,msg", [
    (lambda: autograd.mm(autograd.ones(2, 3), autograd.ones(4, 5)),
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    (lambda: autograd.mm(autograd.ones(3), autograd.ones(3, 3)), "self must be a matrix"),
    (lambda: autograd.mm(autograd.ones(3, 3), autograd.ones(3)), "mat2 must be a matrix"),
    (lambda: autograd.bmm(autograd.ones(2, 3, 4), autograd.ones(2, 5, 6)),
     "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [2, 5]."),
    (lambda: autograd.bmm(autograd.ones(3, 4), autograd.ones(3, 4, 6)), "batch1 must be a 3D tensor"),
    (lambda: autograd.mv(autograd.ones(2, 3), autograd.ones(4)),
     "size mismatch, got input (2), mat (2x3), vec (4)"),
    (lambda: autograd.mv(autograd.ones(3), autograd.ones(4)),
     "vector + matrix @ vector expected, got 1, 1, 1"),
    (lambda: autograd.dot(autograd.ones(3), autograd.ones(4)),
     "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of "
     "elements, but got 3 and 4 elements respectively"),
    (lambda: autograd.dot(autograd.ones(3, 1), autograd.ones(3)),
     "1D tensors expected, but got 2D and 1D tensors"),
    (lambda: autograd.matmul(autograd.ones(3), autograd.ones(4)), "inconsistent tensor size"),
    (lambda: autograd.matmul(autograd.ones(2, 3), autograd.ones(4)),
     "size mismatch, got input (2), mat (2x3), vec (4)"),
    (lambda: autograd.matmul(autograd.ones(3), autograd.ones(4, 2)),
     "mat1 and mat2 shapes cannot be multiplied (1x3 and 4x2)"),
    (lambda: autograd.matmul(autograd.ones(2, 2, 3), autograd.ones(2, 4, 2)),
     "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4]."),
    (lambda: autograd.matmul(autograd.ones(2, 2, 3), autograd.ones(3, 3, 2)),
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"),
    (lambda: autograd.matmul(autograd.ones(()), autograd.ones(3)),
     "both arguments to matmul need to be at least 1D, but they are 0D and 1D"),
    (lambda: autograd.outer(autograd.ones(3, 1), autograd.ones(3)),
     "outer: Expected 1-D argument self, but got 2-D"),
    (lambda: autograd.inner(autograd.ones(2, 3), autograd.ones(4)),
     "inner() the last dimension must match on both input tensors but got shapes [2, 3] and [4]"),
    (lambda: autograd.trace(autograd.ones(2, 3, 3)), "trace: expected a matrix, but got tensor with dim 3"),
    (lambda: autograd.tril(autograd.ones(3)), "tril: input tensor must have at least 2 dimensions"),
    (lambda: autograd.diag(autograd.ones(2, 3, 3)), "diag(): Supports 1D or 2D tensors. Got 3D"),
    (lambda: autograd.diagonal(autograd.ones(3, 3), 0, 0, 0), "diagonal dimensions cannot be identical 0, 0"),
    (lambda: autograd.cross(autograd.ones(4, 2), autograd.ones(4, 2)), "no dimension of size 3 in input"),
    (lambda: autograd.cross(autograd.ones(3, 2), autograd.ones(3, 2), dim=-1),
     "linalg.cross: inputs dimension -1 must have length 3. Got 2 and 2"),
    (lambda: autograd.cross(autograd.ones(2, 3), autograd.ones(3)),
     "linalg.cross: inputs must have the same number of dimensions"),
    (lambda: autograd.linear(autograd.ones(2, 3), autograd.ones(5, 4)),
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    (lambda: autograd.linear(autograd.ones(2, 3), autograd.ones(5, 3), autograd.ones(4)),
     "The expanded size of the tensor (5) must match the existing size (4) at non-singleton "
     "dimension 1.  Target sizes: [2, 5].  Tensor sizes: [4]"),
    (lambda: autograd.addmm(autograd.ones(3, 3), autograd.ones(2, 3), autograd.ones(3, 4)),
     "The expanded size of the tensor (4) must match the existing size (3) at non-singleton "
     "dimension 1.  Target sizes: [2, 4].  Tensor sizes: [3, 3]"),
    (lambda: autograd.addbmm(autograd.ones(2, 2), autograd.ones(5, 2, 3), autograd.ones(4, 3, 2)),
     "batch1 and batch2 must have same number of batches, got 5 and 4"),
    (lambda: autograd.tensordot(autograd.ones(2, 3), autograd.ones(4, 5), 1),
     "contracted dimensions need to match, but first has size 3 in dim -1 and second has size 4 "
     "in dim 0"),
    (lambda: autograd.tensordot(autograd.ones(2, 3), autograd.ones(3, 5), ([1, 0], [0])),
     "both dimension lists should have same length"),
])
def test_errors_use_pytorch_wording(fn: object, msg: str) -> None:
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        fn()


@pytest.mark.parametrize("args,msg", [
    (("ij,jk->ik", (2, 3), (4, 5)),
     "einsum(): subscript j has size 4 for operand 1 which does not broadcast with previously seen size 3"),
    (("ij,jk", (2, 3, 1), (3, 5)),
     "einsum(): the number of subscripts in the equation (2) does not match the number of "
     "dimensions (3) for operand 0 and no ellipsis was given"),
    (("ij...", (3,)),
     "einsum(): the number of subscripts in the equation (2) is more than the number of "
     "dimensions (1) for operand 0"),
    (("ij->k", (2, 3)), "einsum(): output subscript k does not appear in the equation for any input operand"),
    (("ij,jk->ii", (2, 3), (3, 2)), "einsum(): output subscript i appears more than once in the output"),
    (("ij", (2, 3), (3,)), "einsum(): more operands were provided than specified in the equation"),
    (("ij,jk", (2, 3)), "einsum(): fewer operands were provided than specified in the equation"),
    (("i$", (2, 3)),
     "einsum(): invalid subscript given at index 1 in the equation string, subscripts must be in [a-zA-Z]"),
    (("i->i->i", (3,)), "einsum(): invalid subscript given at index 4 in the equation string"),
    (("i..j", (3, 2)), "einsum(): found '.' for operand 0 that is not part of any ellipsis"),
    (("ii", (3, 1)), "einsum(): subscript i is repeated for operand 0 but the sizes don't match, 1 != 3"),
])
def test_einsum_errors_use_pytorch_wording(args: tuple, msg: str) -> None:
    eq, *shapes = args
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        autograd.einsum(eq, *[autograd.ones(*s) for s in shapes])


@pytest.mark.parametrize("name,fn,shape", [
    ("einsum", lambda a: autograd.einsum("ij,jk,ki->", a, a, a), (3, 3)),
    ("linear", lambda a: autograd.linear(a, a, a[0]), (3, 3)),
    ("cross", lambda a: autograd.cross(a, a * a, dim=0), (3, 2)),
    ("diag", lambda a: autograd.diag_embed(a).diagonal(0, -2, -1) * a, (2, 3)),
    ("matmul_batched", lambda a: a @ a[0], (2, 3, 3)),
])
def test_forward_over_reverse(name: str, fn: object, shape: tuple) -> None:
    x = _t(np.random.default_rng(5).normal(size=shape), rg=True)
    assert autograd.gradgradcheck(fn, (x,), check_fwd_over_rev=True)


# ----------------------------------------------------------------------------- empty dims


@pytest.mark.parametrize("fn,shapes,out,fill", [
    (autograd.matmul, ((3, 6, 0), (0, 7)), (3, 6, 7), 0.0),  # contraction of size 0: zeros
    (autograd.matmul, ((0, 6, 4), (4, 7)), (0, 6, 7), 0.0),
    (autograd.matmul, ((2, 0), (0, 3)), (2, 3), 0.0),
    (lambda x, w: autograd.linear(x, w), ((3, 6, 0), (7, 0)), (3, 6, 7), 0.0),
    (lambda x, w: autograd.linear(x, w, autograd.ones(7, dtype=autograd.float64)),
     ((2, 3, 0), (7, 0)), (2, 3, 7), 1.0),
])
def test_products_with_empty_dims_and_their_gradients(fn: object, shapes: tuple, out: tuple,
                                                     fill: float) -> None:
    x, w = (_t(np.ones(s), rg=True) for s in shapes)
    y = fn(x, w)
    assert y.shape == out
    np.testing.assert_array_equal(y.detach().numpy(), np.full(out, fill))
    (y * 2.0).sum().backward()
    assert x.grad.shape == shapes[0] and w.grad.shape == shapes[1]
    assert not x.grad.numpy().any() and not w.grad.numpy().any()


# ----------------------------------------------------------------------------- autocast


def test_matmul_family_runs_in_the_low_dtype_under_autocast() -> None:
    from autograd import amp

    f16 = autograd.float16
    a, b = autograd.ones(2, 3), autograd.ones(3, 4, requires_grad=True)
    batch1, batch2 = autograd.ones(5, 2, 3), autograd.ones(5, 3, 4)
    with amp.autocast("cpu", dtype=f16):
        results = {
            "@": a @ b, "matmul": autograd.matmul(a, b), "mm": autograd.mm(a, b),
            "bmm": autograd.bmm(batch1, batch2), "mv": autograd.mv(a, autograd.ones(3)),
            "addmm": autograd.addmm(autograd.ones(4), a, b),
            "addmv": autograd.addmv(autograd.ones(2), a, autograd.ones(3)),
            "baddbmm": autograd.baddbmm(autograd.ones(2, 4), batch1, batch2),
            "addbmm": autograd.addbmm(autograd.ones(2, 4), batch1, batch2),
            "linear": autograd.linear(a, b.T, autograd.ones(4)),
            "float64 stays": autograd.matmul(a.double(), b.double()),
        }
    for name, r in results.items():
        assert r.dtype == (autograd.float64 if name == "float64 stays" else f16), name
    np.testing.assert_array_equal(results["mm"].detach().float().numpy(), np.full((2, 4), 3.0))
    results["@"].float().sum().backward()
    assert b.grad.dtype == autograd.float32  # the cast is differentiable
    np.testing.assert_array_equal(b.grad.numpy(), np.full((3, 4), 2.0))
    assert (a @ b).dtype == autograd.float32  # outside the region: as before
