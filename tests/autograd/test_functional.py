"""``autograd.functional`` (vjp, jvp, jacobian, hessian, hvp, vhp): hand-derived values
on the seed's functions, agreement between strategies, tuple structure, create_graph,
strict mode and PyTorch's error messages."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import autograd
from autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp

F64 = autograd.float64


def vector_func(x: Any) -> Any:  # the seed's example: R^2 -> R^2
    return autograd.stack([x[0] ** 2 + x[1], x[0] * x[1] ** 2])


def scalar_func(x: Any) -> Any:  # the seed's example: R^2 -> R
    return x[0] ** 3 + x[0] * x[1] ** 2 + x[1] ** 4


J_AT_2_3 = np.array([[4.0, 1.0], [9.0, 12.0]])
H_AT_1_2 = np.array([[6.0, 4.0], [4.0, 50.0]])


def t(values: Any) -> Any:
    return autograd.tensor(values, dtype=F64)


# ----------------------------------------------------------------------------- seed values


@pytest.mark.parametrize("kw", [
    {}, {"vectorize": True}, {"vectorize": True, "strategy": "forward-mode"},
], ids=["reverse", "reverse-vectorized", "forward-mode"])
def test_seed_jacobian(kw: dict) -> None:
    J = jacobian(vector_func, t([2.0, 3.0]), **kw)
    np.testing.assert_array_equal(J.numpy(), J_AT_2_3)


@pytest.mark.parametrize("kw", [
    {}, {"vectorize": True}, {"vectorize": True, "outer_jacobian_strategy": "forward-mode"},
], ids=["reverse-over-reverse", "vectorized", "forward-over-reverse"])
def test_seed_hessian(kw: dict) -> None:
    H = hessian(scalar_func, t([1.0, 2.0]), **kw)
    np.testing.assert_array_equal(H.numpy(), H_AT_1_2)


def test_seed_hvp_and_vhp() -> None:
    x, v = t([1.0, 2.0]), t([0.5, -1.0])
    out, hv = hvp(scalar_func, x, v)
    _, vh = vhp(scalar_func, x, v)
    assert out.item() == 1 + 4 + 16
    np.testing.assert_allclose(hv.numpy(), H_AT_1_2 @ v.numpy())
    np.testing.assert_allclose(vh.numpy(), v.numpy() @ H_AT_1_2)


def test_seed_newton_step() -> None:
    """The seed's newton_optimization_step, with the full Hessian and matrix-free (CG on
    Hessian-vector products): both land on the hand-derived x - H⁻¹ g."""
    x = t([1.0, 2.0])
    g_hand = np.array([3 * 1 + 2 ** 2, 2 * 1 * 2 + 4 * 2 ** 3])  # [7, 36]
    expected = x.numpy() - np.linalg.solve(H_AT_1_2, g_hand)
    xr = x.clone().requires_grad_(True)
    (g,) = autograd.grad(scalar_func(xr), xr, create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), g_hand)
    step = autograd.linalg.solve(hessian(scalar_func, x), g.detach())
    np.testing.assert_allclose((x - step).numpy(), expected, rtol=1e-12)
    # conjugate gradients, touching H only through hvp
    b = g.detach()
    sol = autograd.zeros(2, dtype=F64)
    r = b.clone()
    p = r.clone()
    for _ in range(2):  # exact in n = 2 steps
        hp = hvp(scalar_func, x, p)[1]
        alpha = (r * r).sum() / (p * hp).sum()
        sol = sol + alpha * p
        r_new = r - alpha * hp
        p = r_new + ((r_new * r_new).sum() / (r * r).sum()) * p
        r = r_new
    np.testing.assert_allclose((x - sol).numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(expected, [0.274647887, 1.338028169], rtol=1e-8)


# ----------------------------------------------------------------------------- vjp / jvp


def test_vjp_and_jvp_values_and_structure() -> None:
    x, y = t([1.0, 2.0]), t([3.0, -1.0])

    def f(a: Any, b: Any) -> tuple:
        return a * b, (a ** 2).sum()

    outs, grads = vjp(f, (x, y), (t([1.0, 1.0]), t(2.0)))
    assert isinstance(outs, tuple) and isinstance(grads, tuple) and len(grads) == 2
    np.testing.assert_allclose(grads[0].numpy(), y.numpy() + 4 * x.numpy())
    np.testing.assert_allclose(grads[1].numpy(), x.numpy())
    outs, tangents = jvp(f, (x, y), (t([1.0, 0.0]), t([0.0, 1.0])))
    assert isinstance(tangents, tuple) and len(tangents) == 2
    np.testing.assert_allclose(tangents[0].numpy(), [y.numpy()[0], x.numpy()[1]])
    assert tangents[1].item() == 2 * x.numpy()[0]
    # single tensors in, single tensor out: no tuples
    out, g = vjp(lambda a: a.exp().sum(), t([0.0, 1.0]))
    assert isinstance(g, autograd.Tensor)
    np.testing.assert_allclose(g.numpy(), np.exp([0.0, 1.0]))
    out, tan = jvp(lambda a: a * 3.0, t(2.0))  # v defaults to 1 for one element
    assert tan.item() == 3.0


class ForwardOnly(autograd.Function):
    """No backward at all: functional.jvp must still work (true forward mode)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_forward(x)
        return x.sin()

    @staticmethod
    def jvp(ctx: Any, tx: Any) -> Any:
        (x,) = ctx.saved_tensors
        return x.cos() * tx


def test_jvp_is_real_forward_mode() -> None:
    x = t([0.1, 0.7])
    _, tangent = jvp(ForwardOnly.apply, x, t([1.0, 2.0]))
    np.testing.assert_allclose(tangent.numpy(), np.cos(x.numpy()) * [1.0, 2.0])
    J = jacobian(ForwardOnly.apply, x, vectorize=True, strategy="forward-mode")
    np.testing.assert_allclose(J.numpy(), np.diag(np.cos(x.numpy())))
    with pytest.raises(RuntimeError, match="does not define backward"):
        jacobian(ForwardOnly.apply, x)


def test_tuple_structure_of_jacobian_and_hessian() -> None:
    a, b = t([1.0, 2.0, 3.0]), t([0.5, -0.5])

    def f(x: Any, y: Any) -> tuple:
        return x * 2.0, (x.sum() * y) ** 2

    J = jacobian(f, (a, b))
    assert len(J) == 2 and all(len(row) == 2 for row in J)
    assert J[0][0].shape == (3, 3) and J[0][1].shape == (3, 2)
    assert J[1][0].shape == (2, 3) and J[1][1].shape == (2, 2)
    Jf = jacobian(f, (a, b), vectorize=True, strategy="forward-mode")
    Jv = jacobian(f, (a, b), vectorize=True)
    for i in range(2):
        for k in range(2):
            np.testing.assert_allclose(Jf[i][k].numpy(), J[i][k].numpy())
            np.testing.assert_allclose(Jv[i][k].numpy(), J[i][k].numpy())
    g = lambda x, y: (x.sin() * y.sum()).sum() + (y ** 3).sum()  # noqa: E731
    H = hessian(g, (a, b))
    Hf = hessian(g, (a, b), vectorize=True, outer_jacobian_strategy="forward-mode")
    assert H[0][1].shape == (3, 2) and H[1][0].shape == (2, 3)
    for i in range(2):
        for k in range(2):
            np.testing.assert_allclose(Hf[i][k].numpy(), H[i][k].numpy(), rtol=1e-12)
    np.testing.assert_allclose(H[0][1].numpy(), H[1][0].numpy().T)


@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_jacobian_of_tall_and_wide_functions_agree_with_finite_differences(strategy: str) -> None:
    rng = np.random.default_rng(0)
    w = t(rng.standard_normal((5, 3)))
    tall = lambda x: (w @ x).tanh()  # noqa: E731  R^3 -> R^5
    wide = lambda x: (w.mT @ x.sin()).exp()  # noqa: E731  R^5 -> R^3
    for f, n in ((tall, 3), (wide, 5)):
        x = t(rng.standard_normal(n))
        J = jacobian(f, x, vectorize=True, strategy=strategy).numpy()
        eps = 1e-6
        fd = np.stack([(f(x + eps * t(np.eye(n)[i])) - f(x - eps * t(np.eye(n)[i]))).numpy()
                       / (2 * eps) for i in range(n)], axis=1)
        np.testing.assert_allclose(J, fd, rtol=1e-6, atol=1e-8)


# ----------------------------------------------------------------------------- create_graph


def test_create_graph_results_are_differentiable() -> None:
    x = t([1.0, 2.0]).requires_grad_(True)
    J = jacobian(vector_func, x, create_graph=True)
    assert J.requires_grad
    (g,) = autograd.grad(J.sum(), x)  # d/dx of sum of [[2x0, 1], [x1², 2x0x1]]
    np.testing.assert_allclose(g.numpy(), [2 + 2 * 2.0, 2 * 2.0 + 2 * 1.0])
    _, hv = hvp(scalar_func, x, t([1.0, 0.0]), create_graph=True)
    assert hv.requires_grad
    (gg,) = autograd.grad(hv.sum(), x)  # d/dx (H e0).sum() = d/dx [6x0 + 2x1]
    np.testing.assert_allclose(gg.numpy(), [6.0, 2.0])
    _, tan = jvp(lambda a: a ** 3, x, t([1.0, 1.0]), create_graph=True)
    (g3,) = autograd.grad(tan.sum(), x)
    np.testing.assert_allclose(g3.numpy(), 6 * np.array([1.0, 2.0]))
    out, _ = vjp(scalar_func, t([1.0, 2.0]))
    assert not out.requires_grad


# ----------------------------------------------------------------------------- errors


def test_strict_mode_errors() -> None:
    x = t([1.0, 2.0])
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does not "
                       "require gradients"):
        vjp(lambda a: t([1.0, 1.0]), x, t([1.0, 1.0]), strict=True)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        vjp(lambda a, b: a * 2, (x, x.clone()), t([1.0, 1.0]), strict=True)
    with pytest.raises(RuntimeError, match="jacobian of the user-provided function with respect "
                       "to input 0 is independent of the input"):
        hessian(lambda a: (a * 3.0).sum(), x, strict=True)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        jacobian(lambda a, b: a * 2, (x, x.clone()), strict=True)
    with pytest.raises(RuntimeError, match="`strict=True` and `vectorized=True` are not supported"):
        jacobian(lambda a: a, x, strict=True, vectorize=True)
    # non-strict: zeros where the output does not depend on the input
    J = jacobian(lambda a, b: a * 2, (x, x.clone()))
    np.testing.assert_array_equal(J[1].numpy(), np.zeros((2, 2)))


def test_argument_errors_match_pytorch() -> None:
    x = t([1.0, 2.0])
    with pytest.raises(TypeError, match="The inputs given to vjp must be either a Tensor or a tuple "
                       "of Tensors but the value at index 1 has type"):
        vjp(lambda a, b: a, (x, 3.0))
    with pytest.raises(RuntimeError, match="The vector v can only be None if the user-provided "
                       "function returns a single Tensor with a single element."):
        vjp(lambda a: a * 2, x)
    with pytest.raises(RuntimeError, match=r"v has invalid size: should be \(2,\) but got \(3,\)"):
        jvp(lambda a: a, x, t([1.0, 2.0, 3.0]))
    with pytest.raises(RuntimeError, match="v is a tuple of invalid length: should be 2 but got 1"):
        jvp(lambda a, b: a, (x, x), (x,))
    with pytest.raises(RuntimeError, match="only implemented for `vectorize=True`"):
        jacobian(vector_func, x, strategy="forward-mode")
    with pytest.raises(ValueError, match='Expected strategy to be either "forward-mode" or '
                       '"reverse-mode"'):
        jacobian(vector_func, x, strategy="sideways")
    with pytest.raises(RuntimeError, match="The function given to hessian should return a single "
                       "Tensor"):
        hessian(lambda a: (a.sum(), a.sum()), x)
    with pytest.raises(RuntimeError, match="should contain a single element"):
        hvp(lambda a: a * 2, x, x)
