"""In-place writes through views under forward-mode AD, and the layout of the base in
reverse mode (the expected values were computed with PyTorch 2.13).

A write into a view changes its base: the base's tangent takes the written value's
tangent in the view's region (CopySlices' jvp), whether or not a graph is recorded,
and a view whose memory was written through another alias takes its tangent from its
base again the next time it is used.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import autograd
import autograd.forward_ad as fwAD

F64 = autograd.float64


def tangent(t: autograd.Tensor) -> np.ndarray:
    got = fwAD.unpack_dual(t).tangent
    assert got is not None, "the result lost its tangent"
    return got.detach().numpy()


def dual(requires_grad: bool) -> tuple[autograd.Tensor, autograd.Tensor]:
    x = autograd.tensor([1.0, 2.0, 3.0], dtype=F64, requires_grad=requires_grad)
    return x, fwAD.make_dual(x, autograd.ones(3, dtype=F64))


@pytest.mark.parametrize("requires_grad", [False, True], ids=["no-graph", "graph"])
def test_writing_through_a_view_updates_the_base_tangent(requires_grad: bool) -> None:
    with fwAD.dual_level():
        _, a = dual(requires_grad)
        b = a * 1
        b[0:2].mul_(3)
        np.testing.assert_allclose(tangent(b), [3.0, 3.0, 1.0])
        np.testing.assert_allclose(b.detach().numpy(), [3.0, 6.0, 3.0])


@pytest.mark.parametrize("requires_grad", [False, True], ids=["no-graph", "graph"])
def test_a_stale_view_takes_its_tangent_from_the_base(requires_grad: bool) -> None:
    with fwAD.dual_level():
        _, a = dual(requires_grad)
        b = a * 1
        v = b[1:]
        b.mul_(2)
        np.testing.assert_allclose(tangent(v * 1), [2.0, 2.0])


@pytest.mark.parametrize("requires_grad", [False, True], ids=["no-graph", "graph"])
def test_copy_into_a_view_of_a_plain_tensor_makes_it_dual(requires_grad: bool) -> None:
    with fwAD.dual_level():
        x, a = dual(requires_grad)
        y = autograd.zeros(2, 3, dtype=F64)
        y.T[1].copy_(a[:2])
        np.testing.assert_allclose(tangent(y), [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
        if requires_grad:
            (y * y).sum().backward()
    if requires_grad:
        np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 0.0])


def test_writes_of_constants_zero_the_tangent() -> None:
    with fwAD.dual_level():
        _, a = dual(False)
        b = a * 1
        b.copy_(autograd.zeros(3, dtype=F64))
        np.testing.assert_allclose(tangent(b), [0.0, 0.0, 0.0])
        b = a * 1
        b.zero_()
        np.testing.assert_allclose(tangent(b), [0.0, 0.0, 0.0])
        b = a * 1
        b[1:].zero_()
        np.testing.assert_allclose(tangent(b), [1.0, 0.0, 0.0])
        y = autograd.zeros(3, dtype=F64)
        y[1:].mul_(a[1:])  # 0 * a: the product rule gives 0
        np.testing.assert_allclose(tangent(y), [0.0, 0.0, 0.0])


def test_sibling_views_and_repeated_writes() -> None:
    with fwAD.dual_level():
        _, a = dual(False)
        b = a * 1
        v, w = b[1:], b[:2]
        v.mul_(2)
        np.testing.assert_allclose(tangent(w * 1), [1.0, 2.0])
        np.testing.assert_allclose(tangent(b), [1.0, 2.0, 2.0])
        b = a * 1
        v = b[1:]
        b.mul_(2)
        v.mul_(3)  # the stale view is refreshed before it is written
        np.testing.assert_allclose(tangent(b), [2.0, 6.0, 6.0])
        np.testing.assert_allclose(tangent(v), [6.0, 6.0])


def test_tangent_values_from_several_writes() -> None:
    with fwAD.dual_level():
        a = fwAD.make_dual(autograd.tensor([0.5, -1.5, 2.0], dtype=F64),
                           autograd.tensor([1.0, 2.0, 3.0], dtype=F64))
        y = autograd.zeros(2, 3, dtype=F64)
        v = y[:, 1:]
        y.T[1].copy_(a[:2])
        np.testing.assert_allclose(tangent(v * 1), [[1.0, 0.0], [2.0, 0.0]])
        y[1].add_(a)
        np.testing.assert_allclose(tangent(y), [[0.0, 1.0, 0.0], [1.0, 4.0, 3.0]])
        z = a * 1
        z.T[...].exp_()
        np.testing.assert_allclose(tangent(z), np.exp([0.5, -1.5, 2.0]) * [1.0, 2.0, 3.0])


def test_nested_levels_differentiate_a_write_through_a_view() -> None:
    """f(x) = x sin x on the first two elements (written in place), x on the third:
    two nested dual levels give f''(x)."""
    x = autograd.tensor([0.5, -1.5, 2.0], dtype=F64)
    with fwAD.dual_level():
        d1 = fwAD.make_dual(x, autograd.ones(3, dtype=F64))
        with fwAD.dual_level():
            d2 = fwAD.make_dual(d1, autograd.ones(3, dtype=F64))
            b = d2 * 1
            b[0:2].mul_(b[0:2].sin())
            first = fwAD.unpack_dual(b).tangent
        second = tangent(first)
    xv = x.numpy()
    np.testing.assert_allclose(second, np.r_[2 * np.cos(xv[:2]) - xv[:2] * np.sin(xv[:2]), 0.0])


def test_forward_over_reverse_through_a_view_write() -> None:
    """The jvp of a gradient whose graph holds CopySlices (gradients as dual tensors)."""
    x0 = np.array([0.3, -0.7, 1.1])
    dx = np.array([1.0, 0.5, -2.0])

    def grad_at(x: autograd.Tensor) -> autograd.Tensor:
        b = x * 1
        b[1:].mul_(x[1:])
        (g,) = autograd.grad((b * b).sum(), x, create_graph=True)
        return g  # d/dx [x0^2 + x1^4 + x2^4] = [2 x0, 4 x1^3, 4 x2^3]

    with fwAD.dual_level():
        leaf = autograd.tensor(x0, requires_grad=True)
        g = grad_at(fwAD.make_dual(leaf, autograd.tensor(dx)))
        np.testing.assert_allclose(tangent(g), np.r_[2.0, 12 * x0[1:] ** 2] * dx)


# ----------------------------------------------------------------------------- layouts


def _fortran(requires_grad: bool = True) -> autograd.Tensor:
    a = autograd.from_numpy(np.asfortranarray(np.arange(6.0).reshape(2, 3)))
    return a.requires_grad_(requires_grad)


def test_backward_of_a_write_through_a_view_of_a_fortran_ordered_base() -> None:
    a = _fortran()
    b = a * 1
    assert b._data.flags.f_contiguous  # the product keeps the layout
    b.T.reshape(-1)[0:2].mul_(3)  # a view only because b is column-major
    b.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [[3.0, 1.0, 1.0], [3.0, 1.0, 1.0]])
    np.testing.assert_allclose(b.detach().numpy(), [[0.0, 1.0, 2.0], [9.0, 4.0, 5.0]])


def test_tangent_of_a_write_through_a_view_of_a_fortran_ordered_base() -> None:
    with fwAD.dual_level():
        d = fwAD.make_dual(_fortran(False), autograd.ones(2, 3, dtype=F64))
        b = d * 1
        b.T.reshape(-1)[0:2].mul_(3)
        np.testing.assert_allclose(tangent(b), [[3.0, 1.0, 1.0], [3.0, 1.0, 1.0]])


@pytest.mark.parametrize("write", [
    lambda b: b.T.reshape(-1)[1:4].mul_(2.0),
    lambda b: b[:, 1:].T.copy_(autograd.ones(2, 2, dtype=F64)),
    lambda b: b.T[2].exp_(),
])
def test_writes_into_fortran_bases_pass_gradcheck(write: Any) -> None:
    def f(x: autograd.Tensor) -> autograd.Tensor:
        b = x * 1
        write(b)
        return b * b

    x = _fortran()
    assert autograd.gradcheck(f, (x,))
    assert autograd.gradgradcheck(f, (x,))
