"""Forward-mode AD for every built-in differentiable op, in float64.

For each entry of the table (one public call per op, covering every op module):
- the jvp (a dual forward pass) matches central finite differences along a random
  direction, on contiguous and strided inputs;
- it agrees with reverse mode through the adjoint identity ⟨u, J v⟩ = ⟨Jᵀ u, v⟩;
- forward-over-reverse (the jvp of the vjp) matches finite differences of the vjp,
  which runs the jvp of every op that only appears in backward formulas.

The table is built from the public ``autograd`` namespace (an entry whose function does
not exist is not generated); two coverage tests fail loudly when an ``Op`` class has no
jvp rule, or when no table entry exercises it.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import numpy as np
import pytest

import autograd
import autograd.forward_ad as fwAD
from autograd.function import AccumulateGrad, Function, Op
from autograd.tensor import _wrap
from tests.autograd.harness import OpSpec, make_inputs

F64 = autograd.float64


def _maybe(path: str) -> Any:
    obj: Any = autograd
    for part in path.split("."):
        try:
            obj = getattr(obj, part)
        except (AttributeError, ImportError):
            return None
    return obj


def _spd(rng: np.random.Generator, shape: tuple, index: int) -> np.ndarray:
    a = rng.uniform(-1, 1, shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def _distinct(rng: np.random.Generator, shape: tuple, index: int) -> np.ndarray:
    """Well-separated values (no ties for sort/max/median)."""
    n = int(np.prod(shape)) if shape else 1
    return (rng.permutation(n).reshape(shape) * 0.37 + rng.uniform(0, 0.05, shape)).astype(float)


def _ints(high: int) -> Any:
    return lambda rng, shape, index: rng.integers(0, high, size=shape)


def _spec(name: str, path: str | None, fn: Any, shapes: list, **kw: Any) -> OpSpec | None:
    """An entry, or None when ``path`` (the public function it exercises) is missing."""
    if path is not None and _maybe(path) is None:
        return None
    return OpSpec(name, fn, shapes, **kw)


def _public(name: str) -> Any:
    return lambda x: getattr(autograd, name)(x)


A = autograd
L = _maybe("linalg")
F = _maybe("nn.functional")
U1 = [((2, 3),)]
ENTRIES = [
    # pointwise
    *[_spec(n, n, _public(n), U1)
      for n in ("exp", "exp2", "expm1", "sin", "cos", "atan", "sinh", "cosh", "tanh",
                "sigmoid", "erf", "erfc", "square", "neg")],
    *[_spec(n, n, _public(n), U1, domain=(0.3, 2.0))
      for n in ("log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal")],
    _spec("tan", "tan", A.tan, U1, domain=(-1.0, 1.0)),
    _spec("asin", "asin", A.asin, U1, domain=(-0.8, 0.8)),
    _spec("acos", "acos", A.acos, U1, domain=(-0.8, 0.8)),
    _spec("abs", "abs", A.abs, U1, domain=(0.2, 2.0)),
    _spec("relu", "relu", A.relu, U1, domain=(0.2, 2.0)),
    _spec("frac", "frac", A.frac, U1, domain=(0.1, 0.9)),
    # binary and ternary
    _spec("add_alpha", "add", lambda x, y: A.add(x, y, alpha=0.5), [((2, 3), (3,))]),
    _spec("sub", "sub", lambda x, y: x - y, [((2, 1), (1, 3))]),
    _spec("mul", "mul", lambda x, y: x * y, [((2, 3), (2, 3))]),
    _spec("mul_scalar", "mul", lambda x: x * 2.5, U1),
    _spec("div", "div", lambda x, y: x / y, [((2, 3), (3,))], domain=(0.5, 2.0)),
    _spec("div_scalar", "div", lambda x: x / 2.5, U1),
    _spec("rdiv", "div", lambda x: 2.0 / x, U1, domain=(0.5, 2.0)),
    _spec("pow", "pow", lambda x, y: x ** y, [((2, 3), (2, 3))], domain=(0.5, 2.0)),
    _spec("pow_scalar", "pow", lambda x: x ** 3, U1),
    _spec("rpow", "pow", lambda x: 2.0 ** x, U1),
    _spec("maximum", "maximum", A.maximum, [((2, 3), (2, 3))], make=_distinct),
    _spec("minimum", "minimum", A.minimum, [((2, 3), (2, 3))], make=_distinct),
    _spec("atan2", "atan2", A.atan2, [((2, 3), (2, 3))], domain=(0.3, 2.0)),
    _spec("fmod", "fmod", A.fmod, [((3,), (3,))],
          make=lambda rng, s, i: rng.uniform(2.1, 2.9, s) if i == 0 else rng.uniform(1.1, 1.3, s)),
    _spec("remainder", "remainder", A.remainder, [((3,), (3,))],
          make=lambda rng, s, i: rng.uniform(2.1, 2.9, s) if i == 0 else rng.uniform(1.1, 1.3, s)),
    _spec("where", "where", lambda c, x, y: A.where(c, x, y), [((2, 3), (2, 3), (3,))],
          constant=(0,), make=lambda rng, s, i: rng.uniform(size=s) > 0.5 if i == 0 else None),
    _spec("clamp", "clamp", lambda x: A.clamp(x, -0.5, 0.7), U1,
          make=lambda rng, s, i: rng.choice([-1.5, -0.2, 0.1, 0.4, 1.3], size=s)),
    _spec("clamp_tensor", "clamp", lambda x, lo: A.clamp(x, lo, lo + 1.0), [((2, 3), (3,))],
          make=lambda rng, s, i: rng.uniform(-2, 2, s) if i == 0 else rng.uniform(-0.3, 0.3, s)),
    _spec("lerp", "lerp", lambda x, y, w: A.lerp(x, y, w), [((2, 3), (2, 3), (3,))]),
    _spec("addcmul", "addcmul", lambda x, y, z: A.addcmul(x, y, z, value=0.7),
          [((2, 3), (2, 3), (3,))]),
    _spec("addcdiv", "addcdiv", lambda x, y, z: A.addcdiv(x, y, z, value=0.7),
          [((2, 3), (2, 3), (3,))], domain=(0.5, 2.0)),
    _spec("fill_tensor", "zeros", lambda x, v: (x * 1.0).fill_(v) * x, [((2, 3), ())]),
    _spec("copy_", "zeros", lambda x, y: (x * 1.0).copy_(y) * x, [((2, 3), (3,))]),
    _spec("masked_fill", "masked_fill", lambda x, v: x.masked_fill(A.tensor([True, False, True]), v),
          [((2, 3), ())]),
    # shapes, joins, pads
    _spec("reshape", "reshape", lambda x: x.reshape(3, 2), U1),
    _spec("permute", "permute", lambda x: x.permute(2, 0, 1), [((2, 3, 2),)]),
    _spec("expand", "expand", lambda x: x.expand(2, 3, 3), [((3, 1),)]),
    _spec("sum_to", "sum_to", lambda x: A.sum_to(x, (1, 3)), [((2, 2, 3),)]),
    _spec("clone", "clone", lambda x: x.clone() * x, U1),
    _spec("to_float32_and_back", "to", lambda x: x.to(A.float32).to(F64), U1, atol=1e-4, rtol=1e-3,
          eps=1e-3),
    _spec("split", "split", lambda x: x.split([1, 2], 1), U1),
    _spec("cat", "cat", lambda x, y: A.cat([x, y], 0), [((2, 3), (1, 3))]),
    _spec("stack", "stack", lambda x, y: A.stack([x, y], 1), [((2, 3), (2, 3))]),
    _spec("flip", "flip", lambda x: x.flip(0), U1),
    _spec("roll", "roll", lambda x: x.roll(1, 1), U1),
    _spec("repeat", "repeat", lambda x: x.repeat(2, 1, 2), U1),
    _spec("pad", "nn.functional.pad", lambda x: F.pad(x, (1, 2), value=0.5), U1),
    # indexing, gather/scatter
    _spec("getitem", "getitem", lambda x: x[1:, ::2], [((3, 4),)]),
    _spec("getitem_advanced", "getitem", lambda x: x[A.tensor([2, 0, 2])], [((3, 4),)]),
    _spec("setitem", "setitem", lambda x, v: _setitem(x, v), [((3, 4), (4,))]),
    _spec("inplace_on_view", "zeros", lambda x, v: _write_through_view(x, v), [((3, 4), (2, 4))]),
    _spec("index_put_accumulate", "index_put",
          lambda x, v: A.index_put(x, (A.tensor([0, 2, 0]),), v, accumulate=True), [((3, 4), (3, 4))]),
    _spec("index_add", "index_add", lambda x, s: A.index_add(x, 0, A.tensor([1, 0, 1]), s),
          [((3, 4), (3, 4))]),
    _spec("gather", "gather", lambda x: x.gather(1, A.tensor([[0, 2], [1, 1], [3, 0]])), [((3, 4),)]),
    _spec("scatter", "scatter", lambda x, s: x.scatter(1, A.tensor([[0, 2], [1, 3], [3, 0]]), s),
          [((3, 4), (3, 2))]),
    _spec("scatter_add", "scatter_add",
          lambda x, s: x.scatter_add(1, A.tensor([[0, 0], [1, 3], [3, 3]]), s), [((3, 4), (3, 2))]),
    _spec("scatter_reduce", "scatter_reduce",
          lambda x, s: A.scatter_reduce(x, 1, A.tensor([[0, 0], [1, 3], [3, 3]]), s, "sum"),
          [((3, 4), (3, 2))]),
    # structure
    _spec("diagonal", "diagonal", lambda x: x.diagonal(1), [((3, 4),)]),
    _spec("diag_embed", "diag_embed", lambda x: A.diag_embed(x), [((2, 3),)]),
    _spec("tril", "tril", lambda x: x.tril(), [((3, 3),)]),
    _spec("triu", "triu", lambda x: x.triu(1), [((3, 3),)]),
    # products
    _spec("matmul", "matmul", lambda x, y: x @ y, [((2, 3), (3, 2)), ((2, 2, 3), (3, 4))]),
    _spec("dot", "dot", lambda x, y: A.dot(x, y), [((4,), (4,))]),
    _spec("vdot", "vdot", lambda x, y: A.vdot(x, y), [((4,), (4,))]),
    _spec("complex_vdot_abs", "vdot",
          lambda x, y: A.abs(A.vdot(x.to(A.complex128), (y * 1.5).to(A.complex128))),
          [((4,), (4,))]),
    _spec("cross", "cross", lambda x, y: A.cross(x, y, dim=1), [((2, 3), (2, 3))]),
    _spec("linear", "linear", lambda x, w, b: A.linear(x, w, b), [((2, 3), (4, 3), (4,))]),
    # reductions, scans, softmax, sorting
    _spec("sum", "sum", lambda x: x.sum(1), U1),
    _spec("prod", "prod", lambda x: x.prod(1), U1, domain=(0.5, 1.5)),
    _spec("std", "std", lambda x: x.std(1), U1),
    _spec("norm", "norm", lambda x: x.norm(), U1),
    _spec("cumsum", "cumsum", lambda x: x.cumsum(1), U1),
    _spec("cumprod", "cumprod", lambda x: x.cumprod(1), U1, domain=(0.5, 1.5)),
    _spec("cumprod_with_zero", "cumprod", lambda x: x.cumprod(1), U1,
          make=lambda rng, s, i: np.where(np.arange(6).reshape(s) == 1, 0.0, rng.uniform(0.5, 1.5, s))),
    _spec("logcumsumexp", "logcumsumexp", lambda x: A.logcumsumexp(x, 1), U1),
    _spec("logsumexp", "logsumexp", lambda x: x.logsumexp(1), U1),
    _spec("softmax", "softmax", lambda x: x.softmax(1), U1),
    _spec("log_softmax", "log_softmax", lambda x: x.log_softmax(0), U1),
    _spec("amax", "amax", lambda x: x.amax(1), U1, make=_distinct),
    _spec("amin", "amin", lambda x: x.amin(0), U1, make=_distinct),
    _spec("max", "max", lambda x: x.max(), U1, make=_distinct),
    _spec("median", "median", lambda x: x.median(), [((5,),)], make=_distinct),
    _spec("nanmedian", "nanmedian", lambda x: A.nanmedian(x), [((5,),)], make=_distinct),
    _spec("sort", "sort", lambda x: x.sort(1)[0], U1, make=_distinct),
    # linear algebra
    _spec("det", "linalg.det", lambda a: L.det(a), [((3, 3),)], make=_spd),
    _spec("slogdet", "linalg.slogdet", lambda a: L.slogdet(a)[1], [((3, 3),)], make=_spd),
    _spec("inv", "linalg.inv", lambda a: L.inv(a), [((3, 3),)], make=_spd),
    _spec("solve", "linalg.solve", lambda a, b: L.solve(a, b), [((3, 3), (3, 2))],
          make=lambda rng, s, i: _spd(rng, s, i) if i == 0 else None),
    _spec("cholesky", "linalg.cholesky", lambda a: L.cholesky((a + a.mT) / 2), [((3, 3),)], make=_spd),
    _spec("eigh", "linalg.eigh", lambda a: L.eigvalsh(a + a.mT), [((3, 3),)], make=_spd),
    _spec("svd", "linalg.svd", lambda a: L.svdvals(a), [((3, 2),)]),
    _spec("qr", "linalg.qr", lambda a: L.qr(a)[1], [((3, 3),)], make=_spd),
    _spec("pinv", "linalg.pinv", lambda a: L.pinv(a), [((3, 2),)]),
    _spec("vector_norm", "linalg.vector_norm", lambda x: L.vector_norm(x, 3, dim=1), U1),
    _spec("nuclear_norm", "linalg.matrix_norm", lambda x: L.matrix_norm(x, "nuc"), [((3, 2),)]),
    # neural network functional ops
    _spec("leaky_relu", "nn.functional.leaky_relu", lambda x: F.leaky_relu(x, 0.1), U1,
          domain=(-2, -0.2)),
    _spec("hardtanh", "nn.functional.hardtanh", lambda x: F.hardtanh(x), U1, domain=(-0.9, 0.9)),
    _spec("elu", "nn.functional.elu", lambda x: F.elu(x), U1),
    _spec("gelu", "nn.functional.gelu", lambda x: F.gelu(x), U1),
    _spec("gelu_tanh", "nn.functional.gelu", lambda x: F.gelu(x, approximate="tanh"), U1),
    _spec("softplus", "nn.functional.softplus", lambda x: F.softplus(x, beta=2.0), U1),
    _spec("conv2d", "nn.functional.conv2d", lambda x, w: F.conv2d(x, w, padding=1),
          [((1, 2, 4, 4), (3, 2, 3, 3))]),
    _spec("max_pool2d", "nn.functional.max_pool2d", lambda x: F.max_pool2d(x, 2),
          [((1, 1, 4, 4),)], make=_distinct),
    _spec("avg_pool2d", "nn.functional.avg_pool2d", lambda x: F.avg_pool2d(x, 2, stride=1),
          [((1, 2, 3, 3),)]),
    _spec("unfold", "nn.functional.unfold", lambda x: F.unfold(x, 2), [((1, 2, 3, 3),)]),
    _spec("fold", "nn.functional.fold", lambda x: F.fold(x, (3, 3), 2), [((1, 8, 4),)]),
    _spec("cross_entropy", "nn.functional.cross_entropy",
          lambda x: F.cross_entropy(x, A.tensor([0, 3, 1])), [((3, 4),)]),
    _spec("nll_loss", "nn.functional.nll_loss", lambda x: F.nll_loss(x, A.tensor([0, 3, 1])),
          [((3, 4),)]),
    _spec("binary_cross_entropy", "nn.functional.binary_cross_entropy",
          lambda x, t: F.binary_cross_entropy(x, t), [((2, 3), (2, 3))], domain=(0.2, 0.8)),
    _spec("embedding", "nn.functional.embedding", lambda w: F.embedding(A.tensor([[0, 2], [2, 1]]), w),
          [((3, 4),)]),
    _spec("layer_norm", "nn.functional.layer_norm", lambda x: F.layer_norm(x, (3,)), U1),
    _spec("group_norm", "nn.functional.group_norm", lambda x: F.group_norm(x, 1), [((2, 3, 2),)]),
    _spec("layer_norm_affine", "nn.functional.layer_norm",
          lambda x, w, b: F.layer_norm(x, (3,), w, b), [((2, 3), (3,), (3,))]),
    _spec("lstm_cell_op", "nn.functional._rnn_ops.LSTMCellOp",
          lambda g, c: F._rnn_ops.LSTMCellOp.apply(g, c), [((2, 8), (2, 2))]),
    _spec("gru_cell_op", "nn.functional._rnn_ops.GRUCellOp",
          lambda gi, gh, h: F._rnn_ops.GRUCellOp.apply(gi, gh, h), [((2, 6), (2, 6), (2, 2))]),
    _spec("svdvals_fallback", "ops.norms._own_svdvals",
          lambda a: autograd.ops.norms._own_svdvals(a), [((3, 2),)]),
    _spec("attention", "nn.functional.scaled_dot_product_attention",
          lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
          [((1, 3, 2), (1, 3, 2), (1, 3, 2))]),
]
SPECS = [s for s in ENTRIES if s is not None]


def _setitem(x: Any, v: Any) -> Any:
    y = x * 1.0
    y[1] = v
    return y


def _write_through_view(x: Any, v: Any) -> Any:
    """In-place ops on views: the base's node becomes CopySlices (mul_ through a
    strided view, copy_ through a transposed one)."""
    y = x * 1.0
    y[::2].mul_(v)
    y.T[1:3].copy_(v[:, :3] * v[:, 1:])
    return y


def _float_outputs(res: Any) -> list:
    outs = res if isinstance(res, tuple) else (res,)
    return [o for o in outs if isinstance(o, autograd.Tensor) and o.dtype.kind == "f"]


def _diff_indices(inputs: list) -> list[int]:
    return [i for i, t in enumerate(inputs) if t.requires_grad]


def _directions(inputs: list, seed: int) -> list:
    rng = np.random.default_rng(seed + 100)
    return [_wrap(rng.standard_normal(t.shape)) if t.requires_grad else None for t in inputs]


def _evaluate(spec: OpSpec, inputs: list) -> list:
    with autograd.no_grad():
        return [o.numpy().copy() for o in _float_outputs(spec.fn(*inputs))]


def _shift(inputs: list, dirs: list, eps: float) -> list:
    return [_wrap(t._data + eps * d._data) if d is not None else t for t, d in zip(inputs, dirs)]


def _jvp(spec: OpSpec, inputs: list, dirs: list) -> tuple[list, list]:
    with fwAD.dual_level():
        duals = [fwAD.make_dual(t.detach(), d) if d is not None else t for t, d in zip(inputs, dirs)]
        outs = _float_outputs(spec.fn(*duals))
        pairs = [fwAD.unpack_dual(o) for o in outs]
    tangents = [np.zeros(p.primal.shape) if p.tangent is None else p.tangent.numpy() for p in pairs]
    return [p.primal.numpy() for p in pairs], tangents


def _close(a: np.ndarray, b: np.ndarray, spec: OpSpec, what: str) -> None:
    np.testing.assert_allclose(a, b, rtol=spec.rtol, atol=spec.atol, err_msg=f"{spec.name}: {what}")


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
@pytest.mark.parametrize("noncontig", [False, True], ids=["contiguous", "strided"])
def test_jvp_matches_finite_differences(spec: OpSpec, noncontig: bool) -> None:
    for shapes in spec.shapes:
        inputs = make_inputs(spec, shapes, seed=0, noncontig=noncontig)
        dirs = _directions(inputs, 0)
        primal, tangents = _jvp(spec, inputs, dirs)
        ref = _evaluate(spec, inputs)
        plus = _evaluate(spec, _shift(inputs, dirs, spec.eps))
        minus = _evaluate(spec, _shift(inputs, dirs, -spec.eps))
        for p, r, t, hi, lo in zip(primal, ref, tangents, plus, minus):
            _close(p, r, spec, "primal of the dual pass")
            _close(t, (hi - lo) / (2 * spec.eps), spec, "jvp vs finite differences")


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_jvp_agrees_with_reverse_mode(spec: OpSpec) -> None:
    """⟨u, J v⟩ (forward mode) = ⟨Jᵀ u, v⟩ (reverse mode)."""
    for shapes in spec.shapes:
        inputs = make_inputs(spec, shapes, seed=1)
        dirs = _directions(inputs, 1)
        _, tangents = _jvp(spec, inputs, dirs)
        outs = _float_outputs(spec.fn(*inputs))
        rng = np.random.default_rng(7)
        us = [_wrap(rng.standard_normal(o.shape)) for o in outs]
        live = [(o, u) for o, u in zip(outs, us) if o.requires_grad]
        idx = _diff_indices(inputs)
        grads = autograd.grad([o for o, _ in live], [inputs[i] for i in idx],
                              [u for _, u in live], allow_unused=True)
        forward = sum(float(np.real(u.numpy() * t).sum()) for u, t in zip(us, tangents))
        reverse = sum(float((g.numpy() * dirs[i].numpy()).sum())
                      for g, i in zip(grads, idx) if g is not None)
        assert forward == pytest.approx(reverse, rel=1e-8, abs=1e-10), spec.name


def _vjp_values(spec: OpSpec, inputs: list, us: list, create_graph: bool) -> list:
    outs = _float_outputs(spec.fn(*inputs))
    live = [(o, u) for o, u in zip(outs, us) if o.requires_grad]
    idx = _diff_indices(inputs)
    grads = autograd.grad([o for o, _ in live], [inputs[i] for i in idx], [u for _, u in live],
                          allow_unused=True, create_graph=create_graph)
    return [g if g is not None else autograd.zeros(inputs[i].shape, dtype=F64)
            for g, i in zip(grads, idx)]


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in SPECS if s.gradgrad])
def test_forward_over_reverse_matches_finite_differences(spec: OpSpec) -> None:
    """d/dε Jᵀ(x + ε v)(u + ε w), by one dual pass through the backward computation
    (the tangent w of the cotangent runs the jvp of backward-only ops)."""
    shapes = spec.shapes[0]
    inputs = make_inputs(spec, shapes, seed=2)
    dirs = _directions(inputs, 2)
    rng = np.random.default_rng(3)
    with autograd.no_grad():
        shapes_out = [o.shape for o in _float_outputs(spec.fn(*inputs))]
    us = [_wrap(rng.standard_normal(s)) for s in shapes_out]
    ws = [_wrap(rng.standard_normal(s)) for s in shapes_out]
    with fwAD.dual_level():
        duals = []
        for t, d in zip(inputs, dirs):
            if d is None:
                duals.append(t)
                continue
            leaf = t.detach().requires_grad_(True)
            duals.append(fwAD.make_dual(leaf, d))
        dual_us = [fwAD.make_dual(u, w) for u, w in zip(us, ws)]
        grads = _vjp_values(spec, duals, dual_us, create_graph=True)
        tangents = [fwAD.unpack_dual(g).tangent for g in grads]

    def vjp_at(eps: float) -> list:
        shifted = [t.requires_grad_(True) if d is not None else t
                   for t, d in zip(_shift(inputs, dirs, eps), dirs)]
        cots = [_wrap(u._data + eps * w._data) for u, w in zip(us, ws)]
        return [g.detach().numpy() for g in _vjp_values(spec, shifted, cots, create_graph=False)]

    for t, hi, lo in zip(tangents, vjp_at(spec.eps), vjp_at(-spec.eps)):
        fd = (hi - lo) / (2 * spec.eps)
        _close(np.zeros_like(fd) if t is None else t.detach().numpy(), fd, spec,
               "forward-over-reverse")


# ----------------------------------------------------------------------------- coverage


def _all_ops() -> list[type]:
    """Every Op subclass defined by the package (all op modules imported first)."""
    import autograd.ops as ops_pkg

    for m in pkgutil.iter_modules(ops_pkg.__path__):
        importlib.import_module(f"autograd.ops.{m.name}")
    for extra in ("autograd.linalg", "autograd.nn.functional"):
        try:
            importlib.import_module(extra)
        except ImportError:
            pass
    seen: list[type] = []
    stack = list(Op.__subclasses__())
    while stack:
        c = stack.pop()
        if c not in seen:
            seen.append(c)
            stack += c.__subclasses__()
    return sorted((c for c in seen if c.__module__.startswith("autograd.")),
                  key=lambda c: (c.__module__, c.__name__))


def _defines(cls: type, name: str) -> bool:
    for k in cls.__mro__:
        if k in (Op, Function, object):
            return False
        if name in k.__dict__:
            return True
    return False


# abstract bases whose subclasses are the real ops
ABSTRACT = {"Unary", "MultiOut", "TieSplit", "_Triangle", "_Modulo", "_AddSub", "_AddcOp"}
ALL_OPS = [c for c in _all_ops() if c.__name__ not in ABSTRACT]


def _jvp_params() -> list:
    return [pytest.param(c, id=f"{c.__module__.rsplit('.', 1)[-1]}.{c.__name__}")
            for c in ALL_OPS]


@pytest.mark.parametrize("op", _jvp_params())
def test_every_op_has_a_jvp_rule(op: type) -> None:
    assert _defines(op, "jvp"), (
        f"{op.__module__}.{op.__name__} is a differentiable op without a jvp rule: add "
        "jvp(ctx, *tangents) next to its backward"
    )


def _ops_in_graph(tensors: list) -> set:
    found: set = set()
    seen: set = set()
    stack = [t.grad_fn for t in tensors if t is not None and t.grad_fn is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if type(node) is not AccumulateGrad:
            found.add(node._fn)
        stack += [n for n, _ in node.next_functions if n is not None]
    return found


def test_every_op_is_exercised_by_the_table() -> None:
    """Each Op appears in the forward graph or the (differentiable) backward graph of
    some table entry, so the checks above ran its jvp."""
    used: set = set()
    for spec in SPECS:
        inputs = make_inputs(spec, spec.shapes[0], seed=0)
        outs = _float_outputs(spec.fn(*inputs))
        used |= _ops_in_graph(outs)
        live = [o for o in outs if o.requires_grad]
        idx = _diff_indices(inputs)
        if live and idx:
            # cotangents that require grad: the backward ops get recorded too
            cots = [autograd.ones(o.shape, dtype=o.dtype, requires_grad=True) for o in live]
            grads = autograd.grad(live, [inputs[i] for i in idx], cots, allow_unused=True,
                                  create_graph=True)
            used |= _ops_in_graph([g for g in grads if g is not None])
    missing = [f"{c.__module__}.{c.__name__}" for c in ALL_OPS if c not in used]
    assert not missing, (
        f"no forward-mode table entry exercises these ops: {missing}; add an entry calling the "
        "public function that uses each"
    )


# ----------------------------------------------------------------------------- custom Functions


class ScaledExp(autograd.Function):
    """Forward mode only: no backward, a jvp using ctx.save_for_forward."""

    @staticmethod
    def forward(ctx: Any, x: Any, scale: float) -> Any:
        out = x.exp() * scale
        ctx.save_for_forward(out)
        return out

    @staticmethod
    def jvp(ctx: Any, tx: Any, _scale: Any) -> Any:
        (out,) = ctx.saved_tensors
        return out * tx


def test_custom_function_with_only_forward_and_jvp() -> None:
    x = autograd.tensor([0.0, 1.0, 2.0], dtype=F64)
    v = autograd.tensor([1.0, -1.0, 0.5], dtype=F64)
    with fwAD.dual_level():
        y = ScaledExp.apply(fwAD.make_dual(x, v), 3.0)
        z = (y * y).sum()  # built-in ops continue the forward pass
        t_y = fwAD.unpack_dual(y).tangent
        t_z = fwAD.unpack_dual(z).tangent
    np.testing.assert_allclose(t_y.numpy(), 3 * np.exp(x.numpy()) * v.numpy())
    np.testing.assert_allclose(t_z.item(), (2 * 9 * np.exp(2 * x.numpy()) * v.numpy()).sum())
    # reverse mode through it is a clear error (it has no backward)
    w = x.clone().requires_grad_(True)
    with pytest.raises(RuntimeError, match="does not define backward"):
        ScaledExp.apply(w, 3.0).sum().backward()


def test_custom_function_jvp_is_exact_and_composes_with_reverse_mode() -> None:
    """A custom Function with backward and jvp: forward-over-reverse via its rules."""

    class Cube(autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            ctx.save_for_forward(x)
            return x ** 3

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * g

        @staticmethod
        def jvp(ctx: Any, tx: Any) -> Any:
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * tx

    x = autograd.tensor([1.0, -2.0], dtype=F64)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, autograd.ones(2, dtype=F64))
        t = fwAD.unpack_dual(Cube.apply(d)).tangent
    np.testing.assert_allclose(t.numpy(), 3 * x.numpy() ** 2)


def test_nested_dual_levels_give_second_derivatives() -> None:
    x = autograd.tensor([0.3, 1.1], dtype=F64)
    with fwAD.dual_level():
        d1 = fwAD.make_dual(x, autograd.ones(2, dtype=F64))
        with fwAD.dual_level():
            d2 = fwAD.make_dual(d1, autograd.ones(2, dtype=F64))
            y = d2.sin() * d2
            t_inner = fwAD.unpack_dual(y).tangent  # f'(x), still dual at the outer level
        second = fwAD.unpack_dual(t_inner).tangent
    xv = x.numpy()
    np.testing.assert_allclose(second.numpy(), 2 * np.cos(xv) - xv * np.sin(xv))


def test_inplace_on_a_view_of_a_dual_updates_the_base_tangent() -> None:
    x = autograd.randn(3, 4, dtype=F64)
    with fwAD.dual_level():
        y = fwAD.make_dual(x, autograd.ones(3, 4, dtype=F64)).clone()
        y[0].mul_(2.0)
        t = fwAD.unpack_dual(y).tangent
    expected = np.ones((3, 4))
    expected[0] = 2.0
    np.testing.assert_allclose(t.numpy(), expected)


def test_logcumsumexp_derivatives_at_minus_infinity() -> None:
    """Regression (ops/scan.py): both modes give 0 where exp(x) = 0, not NaN."""
    x = autograd.tensor([float("-inf"), 0.0, 1.0], dtype=F64)
    with fwAD.dual_level():
        t = fwAD.unpack_dual(autograd.logcumsumexp(fwAD.make_dual(x, autograd.tensor(
            [0.0, 1.0, 1.0], dtype=F64)), 0)).tangent
    assert not np.isnan(t.numpy()).any()
    xr = x.clone().requires_grad_(True)
    autograd.logcumsumexp(xr, 0).sum().backward()
    assert xr.grad.numpy()[0] == 0.0


def test_abs_of_complex_has_a_real_tangent() -> None:
    z = autograd.tensor([3.0, -4.0], dtype=F64)
    with fwAD.dual_level():
        d = fwAD.make_dual(z, autograd.ones(2, dtype=F64))
        out = autograd.abs(d.to(autograd.complex128) * (1 + 1j))
        t = fwAD.unpack_dual(out).tangent
    assert t.dtype == out.dtype
    np.testing.assert_allclose(t.numpy(), [np.sqrt(2.0), -np.sqrt(2.0)])  # PyTorch's values
    # d|z| = Re(conj(z) dz) / |z|, and 0 at z = 0 (as sgn)
    zs = np.array([3 + 4j, -1 + 2j, 0j])
    dz = np.array([1 + 1j, 2 - 1j, 1j])
    with fwAD.dual_level():
        out = autograd.abs(fwAD.make_dual(autograd.tensor(zs), autograd.tensor(dz)))
        t = fwAD.unpack_dual(out).tangent
    assert t.dtype == autograd.float64
    np.testing.assert_allclose(t.numpy(), [7 / 5, -4 / np.sqrt(5.0), 0.0])
