"""Forward-mode AD basics: dual levels, make_dual / unpack_dual, tangents through
chains of ops (against finite differences), nested levels, custom jvp Functions."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import autograd.forward_ad as fwAD
from autograd import Function

F64 = autograd.float64


def _np(t):
    return np.asarray(t.detach()._data, dtype=np.float64)


def _fd(f, x, v, eps=1e-6):
    """Central finite-difference directional derivative of f at x along v (float64)."""
    with autograd.no_grad():
        plus = _np(f(autograd.tensor(_np(x) + eps * _np(v), dtype=F64)))
        minus = _np(f(autograd.tensor(_np(x) - eps * _np(v), dtype=F64)))
    return (plus - minus) / (2 * eps)


def chain(d):
    y = (d.sin() * d.exp() + d**2 / (1 + d)).tanh() - 3 * d
    return (y * y + 1).log() + d.abs() * 0.5


def binary_chain(d):
    w = autograd.tensor([[0.5, -1.0, 2.0]], dtype=F64)
    return (d * w - d / (w + 3) + autograd.maximum(d, w) + (d**w.abs())).sigmoid()


@pytest.mark.parametrize("fn", [chain, binary_chain], ids=["pointwise", "binary-broadcast"])
def test_tangent_matches_finite_differences(fn):
    x = autograd.tensor([[0.5, 1.5, 0.25], [1.2, 0.3, 0.8]], dtype=F64)
    v = autograd.tensor([[1.0, -2.0, 0.5], [0.1, 0.7, -1.0]], dtype=F64)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, v)
        y = fn(d)
        primal, tangent = fwAD.unpack_dual(y)
    np.testing.assert_allclose(_np(primal), _np(fn(x)), rtol=1e-12)
    np.testing.assert_allclose(_np(tangent), _fd(fn, x, v), rtol=1e-6, atol=1e-8)


def test_non_contiguous_dual():
    x = autograd.tensor([[0.5, 1.5], [0.25, 2.0]], dtype=F64).T
    v = autograd.tensor([[1.0, 0.0], [2.0, -1.0]], dtype=F64).T
    with fwAD.dual_level():
        y = (fwAD.make_dual(x, v) ** 3).sum(0)
        t = fwAD.unpack_dual(y).tangent
    np.testing.assert_allclose(_np(t), (3 * _np(x) ** 2 * _np(v)).sum(0))


def test_nested_levels():
    x = autograd.tensor([0.5, 1.5], dtype=F64)
    v = autograd.tensor([1.0, -2.0], dtype=F64)
    with fwAD.dual_level():
        d1 = fwAD.make_dual(x, v)
        with fwAD.dual_level():
            d2 = fwAD.make_dual(d1, autograd.ones(2, dtype=F64))
            y = d2 * d2 * d2
            inner = fwAD.unpack_dual(y).tangent  # 3 x^2 (along ones)
        outer_of_inner = fwAD.unpack_dual(inner).tangent  # d/dx (3 x^2) along v = 6 x v
        outer = fwAD.unpack_dual(y).tangent  # 3 x^2 v
    xs, vs = _np(x), _np(v)
    np.testing.assert_allclose(_np(inner), 3 * xs**2)
    np.testing.assert_allclose(_np(outer_of_inner), 6 * xs * vs)
    np.testing.assert_allclose(_np(outer), 3 * xs**2 * vs)


def test_leaving_a_level_hides_its_tangents():
    x = autograd.tensor([1.0, 2.0], dtype=F64)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, autograd.ones(2, dtype=F64))
        y = d * 2
        assert fwAD.unpack_dual(y).tangent is not None
    assert fwAD.unpack_dual(y).tangent is None and fwAD.unpack_dual(d).tangent is None
    with fwAD.dual_level():  # a new level does not see the old tangents either
        assert fwAD.unpack_dual(y).tangent is None
        assert fwAD.unpack_dual(y * 3).tangent is None
    assert "tangent" not in repr(y)


def test_unpack_of_a_plain_tensor_and_primal_is_plain():
    x = autograd.tensor([1.0, 2.0], dtype=F64)
    with fwAD.dual_level():
        p, t = fwAD.unpack_dual(x)
        assert p is x and t is None
        d = fwAD.make_dual(x, autograd.ones(2, dtype=F64))
        primal = fwAD.unpack_dual(d).primal
        assert fwAD.unpack_dual(primal).tangent is None
        assert fwAD.unpack_dual(primal * 2).tangent is None


def test_custom_function_with_forward_and_jvp_only():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_forward(x)
            return x**3

        @staticmethod
        def jvp(ctx, t):
            (x,) = ctx.saved_tensors
            return 3 * x**2 * t

    x = autograd.tensor([0.5, -1.5], dtype=F64)
    v = autograd.tensor([2.0, 1.0], dtype=F64)
    with fwAD.dual_level():
        y = Cube.apply(fwAD.make_dual(x, v))
        t = fwAD.unpack_dual(y).tangent
    np.testing.assert_allclose(_np(t), 3 * _np(x) ** 2 * _np(v))


def test_custom_function_without_jvp_fails_clearly():
    class NoJvp(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    with fwAD.dual_level():
        d = fwAD.make_dual(autograd.ones(2), autograd.ones(2))
        with pytest.raises(RuntimeError, match="NoJvp got dual tensors but defines no jvp"):
            NoJvp.apply(d)


def test_reverse_mode_through_a_dual_tensor():
    x = autograd.tensor([1.0, 2.0], dtype=F64, requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, autograd.tensor([1.0, 0.0], dtype=F64))
        y = (d * d).sum()
        t = fwAD.unpack_dual(y).tangent
        y.backward()
    assert float(t) == 2.0
    np.testing.assert_allclose(_np(x.grad), [2.0, 4.0])


def test_in_place_op_on_a_dual_tensor():
    x = autograd.tensor([1.0, 2.0], dtype=F64)
    with fwAD.dual_level():
        d = fwAD.make_dual(x.clone(), autograd.tensor([1.0, -1.0], dtype=F64))
        d.mul_(3)
        np.testing.assert_allclose(_np(fwAD.unpack_dual(d).tangent), [3.0, -3.0])
        v = d[1:] * 2
        np.testing.assert_allclose(_np(fwAD.unpack_dual(v).tangent), [-6.0])


def test_make_dual_errors():
    x = autograd.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="no level exists"):
        fwAD.make_dual(x, x)
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match="different size"):
            fwAD.make_dual(x, autograd.ones(3))
        with pytest.raises(ValueError, match="floating point or complex"):
            fwAD.make_dual(autograd.tensor([1, 2]), autograd.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="no forward-AD level is active"):
        fwAD.exit_dual_level()


def test_enter_and_exit_levels_explicitly():
    level = fwAD.enter_dual_level()
    try:
        d = fwAD.make_dual(autograd.ones(2), autograd.ones(2) * 2, level=level)
        assert fwAD.unpack_dual(d * 3, level=level).tangent.tolist() == [6.0, 6.0]
    finally:
        fwAD.exit_dual_level(level=level)
    with pytest.raises(RuntimeError, match="no forward-AD level is active"):
        fwAD.exit_dual_level()


def test_jvp_sees_save_for_forward_and_backward_sees_save_for_backward():
    # regression: while reverse mode was recording, jvp got the save_for_backward tensors
    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            ctx.save_for_forward(x)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

        @staticmethod
        def jvp(ctx, t):
            (x,) = ctx.saved_tensors
            return t * x.exp()

    x = autograd.tensor([0.0, 1.0], dtype=F64, requires_grad=True)
    with fwAD.dual_level():
        y = Exp.apply(fwAD.make_dual(x, autograd.ones(2, dtype=F64)))
        np.testing.assert_allclose(_np(fwAD.unpack_dual(y).tangent), np.exp([0.0, 1.0]))
        y.sum().backward()
    np.testing.assert_allclose(_np(x.grad), np.exp([0.0, 1.0]))
