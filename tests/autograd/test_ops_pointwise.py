"""Gradient checks for unary and binary elementwise ops (float64, 1st and 2nd order,
forward and reverse mode, contiguous and strided, with broadcasting)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from tests.autograd.harness import OpSpec, away_from, params, run_spec

UNARY_SHAPES = [(), (4,), (2, 3)]
BINARY_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 2)), ((2, 3), ())]


UNARY = [
    OpSpec("neg", lambda x: -x, [(s,) for s in UNARY_SHAPES]),
    OpSpec("exp", autograd.exp, [(s,) for s in UNARY_SHAPES]),
    OpSpec("exp2", autograd.exp2, [(s,) for s in UNARY_SHAPES]),
    OpSpec("expm1", autograd.expm1, [(s,) for s in UNARY_SHAPES]),
    OpSpec("log", autograd.log, [(s,) for s in UNARY_SHAPES], domain=(0.2, 3.0)),
    OpSpec("log2", autograd.log2, [(s,) for s in UNARY_SHAPES], domain=(0.2, 3.0)),
    OpSpec("log10", autograd.log10, [(s,) for s in UNARY_SHAPES], domain=(0.2, 3.0)),
    OpSpec("log1p", autograd.log1p, [(s,) for s in UNARY_SHAPES], domain=(-0.5, 2.0)),
    OpSpec("sqrt", autograd.sqrt, [(s,) for s in UNARY_SHAPES], domain=(0.2, 3.0)),
    OpSpec("rsqrt", autograd.rsqrt, [(s,) for s in UNARY_SHAPES], domain=(0.2, 3.0)),
    OpSpec("square", autograd.square, [(s,) for s in UNARY_SHAPES]),
    OpSpec("abs", autograd.abs, [(s,) for s in UNARY_SHAPES], domain=away_from([0.0])),
    OpSpec("sin", autograd.sin, [(s,) for s in UNARY_SHAPES]),
    OpSpec("cos", autograd.cos, [(s,) for s in UNARY_SHAPES]),
    OpSpec("tan", autograd.tan, [(s,) for s in UNARY_SHAPES], domain=(-1.2, 1.2)),
    OpSpec("asin", autograd.asin, [(s,) for s in UNARY_SHAPES], domain=(-0.9, 0.9)),
    OpSpec("acos", autograd.acos, [(s,) for s in UNARY_SHAPES], domain=(-0.9, 0.9)),
    OpSpec("atan", autograd.atan, [(s,) for s in UNARY_SHAPES]),
    OpSpec("sinh", autograd.sinh, [(s,) for s in UNARY_SHAPES]),
    OpSpec("cosh", autograd.cosh, [(s,) for s in UNARY_SHAPES]),
    OpSpec("tanh", autograd.tanh, [(s,) for s in UNARY_SHAPES]),
    OpSpec("sigmoid", autograd.sigmoid, [(s,) for s in UNARY_SHAPES], domain=(-4.0, 4.0)),
    OpSpec("relu", autograd.relu, [(s,) for s in UNARY_SHAPES], domain=away_from([0.0])),
    OpSpec("erf", autograd.erf, [(s,) for s in UNARY_SHAPES]),
    OpSpec("erfc", autograd.erfc, [(s,) for s in UNARY_SHAPES]),
    OpSpec("reciprocal", autograd.reciprocal, [(s,) for s in UNARY_SHAPES], domain=(0.3, 2.0)),
    OpSpec("frac", autograd.frac, [(s,) for s in UNARY_SHAPES],
           domain=away_from([-2.0, -1.0, 0.0, 1.0, 2.0], -1.9, 1.9)),
    OpSpec("pow_scalar", lambda x: x ** 3, [(s,) for s in UNARY_SHAPES]),
    OpSpec("pow_scalar_frac", lambda x: x ** 1.5, [(s,) for s in UNARY_SHAPES], domain=(0.2, 2.0)),
    OpSpec("pow_scalar_neg", lambda x: x ** -2, [(s,) for s in UNARY_SHAPES], domain=(0.5, 2.0)),
    OpSpec("rpow", lambda x: 2.0 ** x, [(s,) for s in UNARY_SHAPES]),
    OpSpec("clamp", lambda x: autograd.clamp(x, -0.5, 0.7), [(s,) for s in UNARY_SHAPES],
           domain=away_from([-0.5, 0.7])),
    OpSpec("clamp_min", lambda x: x.clamp(min=0.1), [(s,) for s in UNARY_SHAPES],
           domain=away_from([0.1])),
    OpSpec("add_scalar", lambda x: x + 3.5, [(s,) for s in UNARY_SHAPES]),
    OpSpec("rsub_scalar", lambda x: 3.5 - x, [(s,) for s in UNARY_SHAPES]),
    OpSpec("rdiv_scalar", lambda x: 2.0 / x, [(s,) for s in UNARY_SHAPES], domain=(0.5, 2.0)),
    OpSpec("add_alpha", lambda x: autograd.add(x, x, alpha=2.5), [(s,) for s in UNARY_SHAPES]),
]

BINARY = [
    OpSpec("add", lambda x, y: x + y, BINARY_SHAPES),
    OpSpec("sub", lambda x, y: x - y, BINARY_SHAPES),
    OpSpec("sub_alpha", lambda x, y: autograd.sub(x, y, alpha=0.5), BINARY_SHAPES),
    OpSpec("mul", lambda x, y: x * y, BINARY_SHAPES),
    OpSpec("div", lambda x, y: x / y, BINARY_SHAPES, domain=(0.5, 2.0)),
    OpSpec("pow", lambda x, y: x ** y, BINARY_SHAPES, domain=(0.5, 2.0)),
    OpSpec("maximum", autograd.maximum, BINARY_SHAPES),
    OpSpec("minimum", autograd.minimum, BINARY_SHAPES),
    OpSpec("atan2", autograd.atan2, BINARY_SHAPES, domain=(0.3, 2.0)),
    OpSpec("hypot", autograd.hypot, BINARY_SHAPES, domain=(0.3, 2.0)),
    OpSpec("fmod", autograd.fmod, BINARY_SHAPES,
           make=lambda rng, s, i: rng.uniform(2.1, 2.9, s) if i == 0 else rng.uniform(1.1, 1.3, s)),
    OpSpec("remainder", autograd.remainder, BINARY_SHAPES,
           make=lambda rng, s, i: rng.uniform(2.1, 2.9, s) if i == 0 else rng.uniform(1.1, 1.3, s)),
    OpSpec("xlogy", autograd.xlogy, BINARY_SHAPES, domain=(0.3, 2.0)),
    OpSpec("lerp_tensor_weight", lambda x, y: autograd.lerp(x, y, y * 0.3), BINARY_SHAPES),
    OpSpec("lerp_scalar_weight", lambda x, y: autograd.lerp(x, y, 0.3), BINARY_SHAPES),
    OpSpec("addcmul", lambda x, y: autograd.addcmul(x, y, y, value=0.7), BINARY_SHAPES),
    OpSpec("addcdiv", lambda x, y: autograd.addcdiv(x, x, y, value=0.7), BINARY_SHAPES,
           domain=(0.5, 2.0)),
    OpSpec("clamp_tensor_bounds", lambda x, lo: autograd.clamp(x, lo, lo + 1.0),
           [((3,), (3,)), ((2, 3), (3,))],
           make=lambda rng, s, i: rng.uniform(-2, 2, s) if i == 0 else rng.uniform(-0.5, 0.5, s)),
]

WHERE = [
    OpSpec("where", lambda c, x, y: autograd.where(c, x, y),
           [((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), ()), ((3,), (2, 3), (2, 1))],
           constant=(0,), make=lambda rng, s, i: rng.uniform(size=s) > 0.5 if i == 0 else None),
]


@pytest.mark.parametrize("spec,shapes", params(UNARY))
def test_unary_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


@pytest.mark.parametrize("spec,shapes", params(BINARY + WHERE))
def test_binary_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


def test_erf_matches_math_erf_to_double_precision() -> None:
    import math

    xs = np.linspace(-8, 8, 4001)
    ours = autograd.erf(autograd.tensor(xs, dtype=autograd.float64)).numpy()
    ref = np.array([math.erf(v) for v in xs])
    assert np.max(np.abs(ours - ref)) < 1e-15
    tail = autograd.erfc(autograd.tensor(xs, dtype=autograd.float64)).numpy()
    ref_c = np.array([math.erfc(v) for v in xs])
    assert np.max(np.abs(tail - ref_c) / ref_c) < 1e-14


def test_sigmoid_is_stable_for_large_inputs() -> None:
    x = autograd.tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
    y = autograd.sigmoid(x)
    assert y.tolist() == [0.0, 0.5, 1.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.25, 0.0]


def test_ties_split_the_gradient_like_pytorch() -> None:
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = autograd.tensor([1.0, 3.0], requires_grad=True)
    autograd.maximum(x, y).sum().backward()
    assert x.grad.tolist() == [0.5, 0.0]
    assert y.grad.tolist() == [0.5, 1.0]


def test_relu_and_abs_subgradient_at_zero_is_zero() -> None:
    x = autograd.zeros(2, requires_grad=True)
    (autograd.relu(x) + autograd.abs(x)).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


def test_pow_gradients_at_zero_follow_pytorch() -> None:
    x = autograd.tensor([0.0, 2.0], requires_grad=True)
    e = autograd.tensor([0.0, 3.0], requires_grad=True)
    (x ** e).sum().backward()
    assert x.grad.tolist() == [0.0, 12.0]
    assert e.grad[0].item() == 0.0
    x2 = autograd.tensor([0.0], requires_grad=True)
    (x2 ** 0).sum().backward()
    assert x2.grad.tolist() == [0.0]
