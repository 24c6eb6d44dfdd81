"""Reductions, scans, order statistics, norms and the softmax family: gradient checks
(float64, first and second order, forward and reverse mode, contiguous and strided)
over dims None / int / negative / tuple and keepdim, values against NumPy, ties,
zeros in prod/cumprod, namedtuple results and PyTorch-style errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
from tests.autograd.harness import OpSpec, params, run_spec

SHAPES = [(), (4,), (2, 3), (2, 3, 2)]
NAN, INF = float("nan"), float("inf")


def _valid(dim, shape) -> bool:
    if dim is None:
        return True
    nd = max(len(shape), 1)
    dims = dim if isinstance(dim, tuple) else (dim,)
    ok = all(-nd <= d < nd for d in dims) and (len(shape) > 0 or not isinstance(dim, tuple))
    return ok and len({d % nd for d in dims}) == len(dims)


def reduce_specs(name, fn, dims, keepdims=(False, True), shapes=SHAPES, **kw) -> list:
    """One spec per (dim, keepdim), over the shapes where ``dim`` is valid; with
    ``keepdims="alternate"`` each dim gets one keepdim value (alternating)."""
    out = []
    for i, dim in enumerate(dims):
        for keep in ((bool(i % 2),) if keepdims == "alternate" else keepdims):
            cases = [(s,) for s in shapes if _valid(dim, s)]
            out.append(OpSpec(f"{name}-d{dim}-k{int(keep)}",
                              lambda x, _d=dim, _k=keep: fn(x, _d, _k), cases, **kw))
    return out


def no_ties(rng: np.random.Generator, shape: tuple, index: int) -> np.ndarray:
    """Distinct values at least 0.1 apart (max/sort/quantile stay differentiable)."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.3 + rng.uniform(0, 0.1, n) - 0.15 * n).reshape(shape)


def away_from_zero(rng: np.random.Generator, shape: tuple, index: int) -> np.ndarray:
    x = rng.uniform(0.3, 1.5, size=shape)
    return x * rng.choice([-1.0, 1.0], size=shape)


def with_zeros(count: int):
    def gen(rng: np.random.Generator, shape: tuple, index: int) -> np.ndarray:
        x = rng.uniform(0.5, 1.5, size=shape)
        flat = x.reshape(-1)
        flat[:count] = 0.0  # one zero, or two zeros in the same slice along the last dim
        if flat.size > 4:
            flat[-1] = 0.0  # and one more in another slice
        return x

    return gen


ALL_DIMS = [None, 0, -1, (0, -1)]
INT_DIMS = [None, 0, -1]

SUMS = (
    reduce_specs("sum", lambda x, d, k: autograd.sum(x, d, k), ALL_DIMS)
    + reduce_specs("mean", lambda x, d, k: autograd.mean(x, d, k), ALL_DIMS)
    + reduce_specs("nansum", lambda x, d, k: autograd.nansum(x, d, k), [None, (0, -1)])
    + reduce_specs("nanmean", lambda x, d, k: autograd.nanmean(x, d, k), [None, -1])
    + reduce_specs("prod", lambda x, d, k: autograd.prod(x, d, k), INT_DIMS, domain=away_from_zero)
    + reduce_specs("prod_one_zero", lambda x, d, k: autograd.prod(x, d, k), INT_DIMS, (False,),
                   shapes=SHAPES[1:], make=with_zeros(1))
    + reduce_specs("prod_two_zeros", lambda x, d, k: autograd.prod(x, d, k), INT_DIMS, (True,),
                   shapes=SHAPES[1:], make=with_zeros(2))
)

MOMENTS = (
    reduce_specs("var", lambda x, d, k: autograd.var(x, d, keepdim=k), ALL_DIMS, "alternate",
                   shapes=SHAPES[1:])
    + reduce_specs("std", lambda x, d, k: autograd.std(x, d, keepdim=k), ALL_DIMS[::-1], "alternate",
                   shapes=SHAPES[1:])
    + reduce_specs("var_c0", lambda x, d, k: autograd.var(x, d, keepdim=k, correction=0), [-1], (True,))
    + reduce_specs("std_c2.5", lambda x, d, k: x.std(d, keepdim=k, correction=2.5), [None], (False,),
                   shapes=[(4,), (2, 3)])
    + reduce_specs("var_mean", lambda x, d, k: autograd.var_mean(x, d, keepdim=k), [None, 1], (False,),
                   shapes=SHAPES[2:])
    + reduce_specs("std_mean", lambda x, d, k: autograd.std_mean(x, d, keepdim=k), [(0, 1)], (True,),
                   shapes=SHAPES[2:])
)

EXTREMES = (
    reduce_specs("amax", lambda x, d, k: autograd.amax(x, () if d is None else d, k), ALL_DIMS,
                 domain=no_ties)
    + reduce_specs("amin", lambda x, d, k: x.amin(() if d is None else d, k), [None, (0, -1)],
                   domain=no_ties)
    + [OpSpec("max_all", lambda x: autograd.max(x), [(s,) for s in SHAPES], domain=no_ties),
       OpSpec("min_all", lambda x: x.min(), [(s,) for s in SHAPES], domain=no_ties)]
    + reduce_specs("max_dim", lambda x, d, k: autograd.max(x, d, k).values, [0, -1], domain=no_ties)
    + reduce_specs("min_dim", lambda x, d, k: x.min(d, keepdim=k)[0], [-1], domain=no_ties)
    + reduce_specs("aminmax", lambda x, d, k: tuple(autograd.aminmax(x, dim=d, keepdim=k)),
                   [None, 1], (False, True), shapes=SHAPES[2:], domain=no_ties)
    + reduce_specs("logsumexp", lambda x, d, k: autograd.logsumexp(x, () if d is None else d, k),
                   ALL_DIMS, "alternate")
)


def norm_spec(p, dims, domain=(-2.0, 2.0), shapes=SHAPES) -> list:
    return reduce_specs(f"norm_p{p}", lambda x, d, k: autograd.norm(x, p, d, k), dims,
                        shapes=shapes, domain=domain)


NORMS = (
    norm_spec("fro", [None, -1, (0, 1)], domain=away_from_zero)
    + norm_spec(2, [None, 0])
    + norm_spec(1, [None, -1], domain=away_from_zero)
    + norm_spec(3, [None, (0, -1)], domain=away_from_zero)
    + norm_spec(1.5, [-1], domain=away_from_zero, shapes=SHAPES[1:])
    + norm_spec(0.5, [None], domain=away_from_zero, shapes=SHAPES[1:])
    + norm_spec(INF, [None, -1], domain=no_ties)
    + norm_spec(-INF, [0], domain=no_ties, shapes=SHAPES[1:])
    + [OpSpec("norm_nuc", lambda x: autograd.norm(x, "nuc"), [((2, 3),), ((3, 2),), ((2, 2),)],
              domain=no_ties, atol=1e-4),
       OpSpec("norm_nuc_batched", lambda x: autograd.norm(x, "nuc", dim=(2, 0), keepdim=True),
              [((3, 1, 2),), ((2, 2, 3),)], domain=no_ties, atol=1e-4)]
)

SCANS = [
    OpSpec(f"{name}-d{d}", (lambda x, _f=f, _d=d: _f(x, _d)),
           [(s,) for s in SHAPES if _valid(d, s)], **kw)
    for name, f, kw in [
        ("cumsum", autograd.cumsum, {}),
        ("cumprod", autograd.cumprod, {"domain": away_from_zero}),
        ("cumprod_zeros", autograd.cumprod, {"make": with_zeros(2)}),
        ("logcumsumexp", autograd.logcumsumexp, {"domain": (-3.0, 3.0)}),
        ("cummax", lambda x, d: autograd.cummax(x, d).values, {"domain": no_ties}),
        ("cummin", lambda x, d: autograd.cummin(x, d)[0], {"domain": no_ties}),
    ]
    for d in (0, -1)
]


def q_input(rng: np.random.Generator, shape: tuple, index: int):
    return no_ties(rng, shape, index) if index == 0 else np.array([0.1, 0.45, 0.9])


ORDER = (
    reduce_specs("median_dim", lambda x, d, k: autograd.median(x, d, k).values, [0, -1],
                 domain=no_ties)
    + [OpSpec("median_all", autograd.median, [(s,) for s in SHAPES], domain=no_ties),
       OpSpec("nanmedian_all", autograd.nanmedian, [((2, 3),)], domain=no_ties)]
    + reduce_specs("nanmedian_dim", lambda x, d, k: autograd.nanmedian(x, d, k).values, [-1], (True,),
                   domain=no_ties)
    + reduce_specs("kthvalue", lambda x, d, k: autograd.kthvalue(x, 1, d, k).values, [0, -1],
                   domain=no_ties)
    + [OpSpec(f"sort-d{d}-desc{int(desc)}",
              lambda x, _d=d, _s=desc: autograd.sort(x, _d, _s).values,
              [(s,) for s in SHAPES if _valid(d, s)], domain=no_ties)
       for d in (0, -1) for desc in (False, True)]
    + [OpSpec(f"topk-largest{int(lg)}", lambda x, _l=lg: autograd.topk(x, 1, -1, _l).values,
              [(s,) for s in SHAPES], domain=no_ties) for lg in (True, False)]
    + [OpSpec(f"quantile-{mode}", lambda x, _m=mode: autograd.quantile(x, 0.3, interpolation=_m),
              [((5,),), ((2, 3),)], domain=no_ties)
       for mode in ("linear", "lower", "higher", "midpoint", "nearest")]
    + reduce_specs("quantile_qt", lambda x, d, k: autograd.quantile(
        x, autograd.tensor([0.2, 0.7], dtype=autograd.float64), d, k), [None, 0, -1],
        "alternate", shapes=SHAPES[1:], domain=no_ties)
    + [OpSpec("quantile_wrt_q", lambda x, q: autograd.quantile(x, q, dim=-1),
              [((2, 4), (3,))], make=q_input),
       OpSpec("nanquantile", lambda x: autograd.nanquantile(x, 0.4, dim=1, keepdim=True),
              [((2, 3),)], domain=no_ties)]
)

SOFTMAX = [
    OpSpec(f"{name}-d{d}", lambda x, _f=f, _d=d: _f(x, _d),
           [(s,) for s in SHAPES if _valid(d, s)])
    for name, f in [("softmax", autograd.softmax), ("log_softmax", autograd.log_softmax)]
    for d in (0, -1)
] + [
    # the gradient flows through an arbitrary linear functional (not just a sum)
    OpSpec("softmax_weighted", lambda x, w: (autograd.softmax(x, 1) * w).sum(1),
           [((2, 3), (2, 3))]),
    OpSpec("log_softmax_weighted", lambda x, w: (x.log_softmax(0) * w).sum(),
           [((3, 2), (3, 2))]),
]


@pytest.mark.parametrize("spec,shapes", params(SUMS + MOMENTS))
def test_sum_prod_moment_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


@pytest.mark.parametrize("spec,shapes", params(EXTREMES + NORMS))
def test_extreme_and_norm_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


@pytest.mark.parametrize("spec,shapes", params(SCANS + ORDER + SOFTMAX))
def test_scan_order_softmax_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


# ----------------------------------------------------------------------------- values vs NumPy


def _t(a, **kw) -> autograd.Tensor:
    return autograd.tensor(np.asarray(a), **kw)


RNG = np.random.default_rng(0)
A = RNG.normal(size=(3, 4, 5))


@pytest.mark.parametrize("dim", [None, 0, -1, (0, 2), (-1, -2, 0)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_reduction_values_match_numpy(dim, keepdim) -> None:
    x = _t(A)
    ax = dim
    for ours, ref in [
        (autograd.sum(x, dim, keepdim), A.sum(axis=ax, keepdims=keepdim)),
        (autograd.mean(x, dim, keepdim), A.mean(axis=ax, keepdims=keepdim)),
        (autograd.var(x, dim, keepdim=keepdim), A.var(axis=ax, ddof=1, keepdims=keepdim)),
        (autograd.std(x, dim, keepdim=keepdim, correction=0), A.std(axis=ax, keepdims=keepdim)),
        (autograd.amax(x, () if dim is None else dim, keepdim), A.max(axis=ax, keepdims=keepdim)),
        (autograd.amin(x, () if dim is None else dim, keepdim), A.min(axis=ax, keepdims=keepdim)),
        (autograd.logsumexp(x, () if dim is None else dim, keepdim),
         np.log(np.exp(A).sum(axis=ax, keepdims=keepdim))),
        (autograd.norm(x, 3, dim, keepdim), (np.abs(A) ** 3).sum(axis=ax, keepdims=keepdim) ** (1 / 3)),
        (autograd.norm(x, INF, dim, keepdim), np.abs(A).max(axis=ax, keepdims=keepdim)),
        (autograd.norm(x, 0, dim, keepdim), (A != 0).sum(axis=ax, keepdims=keepdim)),
        (autograd.nansum(x, dim, keepdim), A.sum(axis=ax, keepdims=keepdim)),
        (autograd.count_nonzero(x > 0, dim), (A > 0).sum(axis=ax)),
        (autograd.any(x > 2, dim, keepdim), (A > 2).any(axis=ax, keepdims=keepdim)),
        (autograd.all(x > -2, dim, keepdim), (A > -2).all(axis=ax, keepdims=keepdim)),
    ]:
        assert ours.shape == np.shape(ref)
        np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-12, atol=1e-12)


def test_prod_values_and_integer_dtypes() -> None:
    x = _t(A)
    np.testing.assert_allclose(autograd.prod(x, 1, keepdim=True).numpy(), A.prod(1, keepdims=True))
    np.testing.assert_allclose(autograd.prod(x).numpy(), A.prod())
    i32 = autograd.tensor([[1, 2, 3], [4, 5, 6]], dtype=autograd.int32)
    assert autograd.prod(i32).dtype == autograd.int64 and autograd.prod(i32).item() == 720
    assert autograd.prod(autograd.tensor([True, True])).dtype == autograd.int64
    assert autograd.sum(i32, 0).dtype == autograd.int64
    assert autograd.nansum(i32).dtype == autograd.int64
    assert autograd.cumsum(i32, 1).dtype == autograd.int64
    assert autograd.cumprod(i32, 1).tolist() == [[1, 2, 6], [4, 20, 120]]
    assert autograd.prod(i32, 1, dtype=autograd.float64).dtype == autograd.float64
    assert autograd.cumsum(i32, 0, dtype=autograd.float64).dtype == autograd.float64


def test_scalar_tensors_reduce_over_dim_zero() -> None:
    s = autograd.tensor(3.0, requires_grad=True)
    for out in (s.sum(0), s.sum(-1, keepdim=True), s.prod(0), s.amax(0), s.logsumexp(0),
                s.cumsum(0), s.cumprod(0), s.softmax(0), s.log_softmax(0), s.norm(2, 0)):
        assert out.shape == ()
    r = s.max(0)
    assert r.values.item() == 3.0 and r.indices.item() == 0
    assert s.sort().values.item() == 3.0 and s.argmax(0).item() == 0
    assert s.quantile(0.3, dim=0, keepdim=True).item() == 3.0
    with pytest.raises(IndexError, match="Dimension out of range"):
        s.sum(1)


def test_scans_match_numpy() -> None:
    for d in (0, 1, -1):
        np.testing.assert_allclose(autograd.cumsum(_t(A), d).numpy(), np.cumsum(A, d))
        np.testing.assert_allclose(autograd.cumprod(_t(A), d).numpy(), np.cumprod(A, d))
        np.testing.assert_allclose(autograd.logcumsumexp(_t(A), d).numpy(),
                                   np.log(np.cumsum(np.exp(A), d)), rtol=1e-12)
        np.testing.assert_allclose(autograd.cummax(_t(A), d).values.numpy(),
                                   np.maximum.accumulate(A, d))
        np.testing.assert_allclose(autograd.cummin(_t(A), d).values.numpy(),
                                   np.minimum.accumulate(A, d))


def test_logcumsumexp_is_stable_and_its_gradient_too() -> None:
    x = autograd.tensor([-1000.0, 0.0, 1000.0, 1000.0], dtype=autograd.float64, requires_grad=True)
    out = autograd.logcumsumexp(x, 0)
    np.testing.assert_allclose(out.detach().numpy(), [-1000.0, 0.0, 1000.0, 1000.0 + math.log(2)])
    out.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0, 1.5, 0.5], atol=1e-12)
    y = autograd.tensor([1.0, -INF, 0.0, 2.0], dtype=autograd.float64, requires_grad=True)
    autograd.logcumsumexp(y, 0).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [2.975787049684803, 0.0, 0.35897199454037554,
                                                0.665240955774822])


def test_softmax_family_values_and_stability() -> None:
    for d in (0, 1, -1):
        e = np.exp(A - A.max(d, keepdims=True))
        sm = e / e.sum(d, keepdims=True)
        np.testing.assert_allclose(autograd.softmax(_t(A), d).numpy(), sm, rtol=1e-12)
        np.testing.assert_allclose(autograd.log_softmax(_t(A), d).numpy(), np.log(sm), rtol=1e-12)
    big = autograd.tensor([1000.0, 1000.0, -INF])
    assert big.softmax(0).tolist() == [0.5, 0.5, 0.0]
    assert big.log_softmax(0).tolist()[2] == -INF
    assert autograd.logsumexp(autograd.tensor([1000.0, 1000.0]), 0).item() == pytest.approx(1000 + math.log(2))
    lse = autograd.logsumexp(autograd.tensor([[INF, 1.0], [-INF, -INF], [INF, -INF]]), 1)
    assert lse.tolist() == [INF, -INF, INF]
    assert autograd.logsumexp(autograd.zeros(0), 0).item() == -INF
    assert autograd.logsumexp(autograd.tensor([1, 2]), 0).dtype == autograd.float32
    half = autograd.softmax(autograd.tensor([1, 1]), 0, dtype=autograd.float64)
    assert half.dtype == autograd.float64 and half.tolist() == [0.5, 0.5]
    x = autograd.tensor([[0.0, -INF], [1.0, 2.0]], requires_grad=True)
    x.log_softmax(1).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_softmax_second_order_matches_closed_form() -> None:
    # d/dx_j sum_i w_i s_i = s_j (w_j - <w, s>): its gradient again, checked analytically
    x = autograd.tensor([0.3, -1.2, 2.0], dtype=autograd.float64, requires_grad=True)
    w = autograd.tensor([1.0, 2.0, -1.0], dtype=autograd.float64)
    (g,) = autograd.grad((autograd.softmax(x, 0) * w).sum(), x, create_graph=True)
    (h,) = autograd.grad(g[0], x)
    s = np.exp(x.detach().numpy()) / np.exp(x.detach().numpy()).sum()
    wn = w.numpy()
    ws = (wn * s).sum()
    expected = s[0] * (np.eye(3)[0] - s) * (wn[0] - ws) + s[0] * (-(s * (wn - ws)))
    np.testing.assert_allclose(h.numpy(), expected, rtol=1e-10)


# ----------------------------------------------------------------------------- ties and zeros


def test_ties_split_for_full_reductions_and_amax() -> None:
    x = autograd.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [[0.0, 0.5, 0.5], [0.0, 0.0, 0.0]]
    x.grad = None
    x.amax(1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    x.grad = None
    x.max(1).values.sum().backward()  # with dim: the returned index takes it all
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    m = autograd.tensor([2.0, 1.0, 2.0, 1.0, 2.0], requires_grad=True)
    m.median().backward()
    np.testing.assert_allclose(m.grad.numpy(), [1 / 3, 0, 1 / 3, 0, 1 / 3])
    y = autograd.tensor([1.0, NAN, NAN], requires_grad=True)
    y.max().backward()
    assert y.grad.tolist() == [0.0, 0.5, 0.5]
    z = autograd.tensor([-3.0, 3.0, 1.0], requires_grad=True)
    z.norm(INF).backward()
    assert z.grad.tolist() == [-0.5, 0.5, 0.0]
    a = autograd.tensor([1.0, 3.0, 3.0, 1.0], requires_grad=True)
    sum(autograd.aminmax(a)).backward()
    assert a.grad.tolist() == [0.5, 0.5, 0.5, 0.5]


def test_prod_gradient_is_exact_with_zeros() -> None:
    for vals, grad in [([2.0, 0.0, 3.0], [0.0, 6.0, 0.0]), ([2.0, 0.0, 0.0], [0.0, 0.0, 0.0]),
                       ([2.0, 4.0, 3.0], [12.0, 6.0, 8.0])]:
        x = autograd.tensor(vals, dtype=autograd.float64, requires_grad=True)
        x.prod().backward()
        assert x.grad.tolist() == grad
    # second order: d2/dx1 dx2 of x0*x1*x2 at (2, 0, 0) is x0 = 2
    x = autograd.tensor([2.0, 0.0, 0.0], dtype=autograd.float64, requires_grad=True)
    (g,) = autograd.grad(x.prod(), x, create_graph=True)
    (h,) = autograd.grad(g[1], x)
    assert h.tolist() == [0.0, 0.0, 2.0]
    # third order: d3/dx0 dx1 dx2 of x0*x1*x2*x3 is x3, also when x0 = x1 = 0
    x = autograd.tensor([0.0, 0.0, 5.0, 7.0], dtype=autograd.float64, requires_grad=True)
    (g,) = autograd.grad(x.prod(), x, create_graph=True)
    (h,) = autograd.grad(g[0], x, create_graph=True)
    (t,) = autograd.grad(h[1], x)
    assert t.tolist() == [0.0, 0.0, 7.0, 5.0]
    rows = autograd.tensor([[1.0, 0.0, 5.0], [2.0, 3.0, 4.0]], requires_grad=True)
    rows.prod(1).sum().backward()
    assert rows.grad.tolist() == [[0.0, 5.0, 0.0], [12.0, 8.0, 6.0]]


def test_cumprod_gradient_is_exact_with_zeros() -> None:
    x = autograd.tensor([2.0, 0.0, 3.0, 0.0, 4.0], dtype=autograd.float64, requires_grad=True)
    x.cumprod(0).sum().backward()
    assert x.grad.tolist() == [1.0, 8.0, 0.0, 0.0, 0.0]
    y = autograd.tensor([[2.0, 3.0], [0.0, 5.0]], requires_grad=True)
    y.cumprod(0).sum().backward()
    assert y.grad.tolist() == [[1.0, 6.0], [2.0, 3.0]]
    # long rows with several zeros: against the O(n^2) definition, first and second order
    rng = np.random.default_rng(3)
    v = rng.uniform(0.5, 1.5, size=(2, 40))
    v[0, [3, 17, 30]] = 0.0
    v[1, 39] = 0.0
    z = autograd.tensor(v, requires_grad=True)
    w = rng.normal(size=(2, 40))
    (gz,) = autograd.grad((z.cumprod(1) * autograd.tensor(w)).sum(), z, create_graph=True)
    expect = np.zeros_like(v)
    for r in range(2):
        for k in range(40):
            expect[r, k] = sum(w[r, i] * np.prod(np.delete(v[r, : i + 1], k)) for i in range(k, 40))
    np.testing.assert_allclose(gz.detach().numpy(), expect, rtol=1e-12, atol=1e-14)
    assert autograd.gradgradcheck(lambda t: t.cumprod(1), (autograd.tensor(v[:, :12], requires_grad=True),))


def test_std_var_norm_subgradients_at_zero() -> None:
    x = autograd.tensor([2.0, 2.0, 2.0], requires_grad=True)
    x.std().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    for p, vals, grad in [(2, [0.0, 0.0], [0.0, 0.0]), (1, [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]),
                          (0.5, [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]), (3, [0.0, 0.0], [0.0, 0.0]),
                          (1.5, [0.0, 0.0], [0.0, 0.0]), (0, [-1.0, 3.0], [0.0, 0.0])]:
        z = autograd.tensor(vals, requires_grad=True)
        z.norm(p).backward()
        assert z.grad.tolist() == grad, p
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        one = autograd.tensor([2.0], requires_grad=True)
        v = one.var()
    assert math.isnan(v.item())


def test_nan_reductions() -> None:
    x = autograd.tensor([[1.0, NAN, 3.0], [NAN, NAN, NAN]], requires_grad=True)
    assert autograd.nansum(x).item() == 4.0
    m = autograd.nanmean(x, 1)
    assert m.tolist()[0] == 2.0 and math.isnan(m.tolist()[1])
    autograd.nansum(x).backward()
    assert x.grad.tolist() == [[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]
    assert math.isnan(autograd.amax(x).item()) and autograd.argmax(x).item() == 1
    assert math.isnan(x.quantile(0.5).item())
    assert autograd.nanquantile(x[0], 0.5).item() == 2.0
    assert autograd.nanmedian(x[0]).item() == 1.0
    assert math.isnan(autograd.median(x[0]).item())
    r = autograd.median(autograd.tensor([1.0, NAN, 0.0, 2.0]), 0)
    assert math.isnan(r.values.item()) and r.indices.item() == 1


# ----------------------------------------------------------------------------- arguments, norms


def test_var_std_arguments() -> None:
    x = _t(A)
    np.testing.assert_allclose(x.var(1, False).numpy(), A.var(1))
    np.testing.assert_allclose(x.var(False).numpy(), A.var())
    np.testing.assert_allclose(x.var(unbiased=True).numpy(), A.var(ddof=1))
    np.testing.assert_allclose(autograd.var(x, (0, 2), correction=2.5).numpy(),
                               A.var((0, 2)) * 15 / 12.5)
    v, m = autograd.std_mean(x, -1, keepdim=True)
    np.testing.assert_allclose(v.numpy(), A.std(-1, ddof=1, keepdims=True))
    np.testing.assert_allclose(m.numpy(), A.mean(-1, keepdims=True))
    v, m = autograd.var_mean(x, 0)
    assert v.shape == m.shape == (4, 5)
    with pytest.raises(RuntimeError, match="cannot specify both unbiased and correction"):
        autograd.var(x, 0, True, correction=1)


def test_nuclear_norm_svd_op_gradients() -> None:
    from autograd.ops import norms

    rng = np.random.default_rng(5)
    for shape in [(3, 2), (2, 3), (2, 2, 3)]:
        x = autograd.tensor(rng.normal(size=shape), requires_grad=True)
        f = (lambda t: autograd.norm(t, "nuc", dim=(-2, -1))) if len(shape) == 3 else \
            (lambda t: autograd.norm(t, "nuc"))
        assert autograd.gradcheck(f, (x,), atol=1e-5, check_forward_ad=True)
        assert autograd.gradgradcheck(f, (x,), atol=1e-5)
    # all three outputs of the op are differentiable (singular vectors too)
    x = autograd.tensor(rng.normal(size=(3, 2)), requires_grad=True)
    w = [autograd.tensor(rng.normal(size=s)) for s in ((3, 2), (2,), (2, 2))]

    def weighted(t: autograd.Tensor) -> autograd.Tensor:
        u, s, vh = norms.Svd.apply(t, False)  # the reduced SVD op the nuclear norm uses
        return (u.abs() * w[0]).sum() + (s * w[1]).sum() + (vh.abs() * w[2]).sum()

    assert autograd.gradcheck(weighted, (x,), atol=1e-5, check_forward_ad=True)
    assert autograd.gradgradcheck(weighted, (x,), atol=1e-5)


def test_nuclear_norm_matches_singular_values() -> None:
    m = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, 1.0]])
    x = autograd.tensor(m, requires_grad=True)
    out = autograd.norm(x, "nuc")
    np.testing.assert_allclose(out.item(), np.linalg.svd(m, compute_uv=False).sum())
    out.backward()
    u, _, vh = np.linalg.svd(m, full_matrices=False)
    np.testing.assert_allclose(x.grad.numpy(), u @ vh, rtol=1e-6)
    b = autograd.tensor(A)
    np.testing.assert_allclose(autograd.norm(b, "nuc", dim=(0, 2)).numpy(),
                               np.linalg.svd(A.transpose(1, 0, 2), compute_uv=False).sum(-1))
    assert autograd.norm(b, "nuc", dim=(0, 2), keepdim=True).shape == (1, 4, 1)
    np.testing.assert_allclose(autograd.norm(b, "fro", dim=(1, 2)).numpy(),
                               np.sqrt((A ** 2).sum((1, 2))))
    assert autograd.norm(autograd.tensor([3, 4]), dtype=autograd.float64).item() == 5.0


# ----------------------------------------------------------------------------- errors


def test_dimension_errors_follow_pytorch() -> None:
    x = autograd.zeros(2, 3)
    for call in (lambda: x.sum(2), lambda: x.amax((0, 5)), lambda: x.max(-3), lambda: x.argmax(2),
                 lambda: x.cumsum(2), lambda: x.sort(2), lambda: x.softmax(-3),
                 lambda: x.median(4), lambda: x.var(3), lambda: x.norm(2, 3)):
        with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range "
                                             r"of \[-2, 1\], but got"):
            call()
    with pytest.raises(RuntimeError, match="appears multiple times"):
        x.amax((0, -2))
    with pytest.raises(RuntimeError, match="appears multiple times"):
        x.var((0, -2))
    with pytest.raises(TypeError, match="dim must be an int"):
        x.max((0, 1))
    with pytest.raises(TypeError, match="prod"):
        x.prod((0, 1))


def test_empty_and_dtype_errors() -> None:
    with pytest.raises(RuntimeError, match=r"max\(\): Expected reduction dim to be specified for "
                                           r"input.numel\(\) == 0"):
        autograd.zeros(0).max()
    with pytest.raises(IndexError, match=r"amax\(\): Expected reduction dim 0 to have non-zero"):
        autograd.zeros(0, 3).amax(0)
    assert autograd.zeros(0, 3).amax(1).shape == (0,)
    with pytest.raises(RuntimeError, match="aminmax.*empty dimension"):
        autograd.aminmax(autograd.zeros(0))
    with pytest.raises(RuntimeError, match="cannot compute the inf norm on an empty tensor"):
        autograd.norm(autograd.zeros(0), INF)
    ints = autograd.arange(3)
    with pytest.raises(RuntimeError, match=r"mean\(\): could not infer output dtype"):
        ints.mean()
    with pytest.raises(RuntimeError, match=r"nanmean\(\): expected input to have floating point"):
        autograd.nanmean(ints)
    with pytest.raises(RuntimeError, match="std and var only support floating point and complex"):
        ints.var()
    with pytest.raises(RuntimeError, match="linalg.vector_norm: Expected a floating point"):
        ints.norm()
    with pytest.raises(RuntimeError, match=r"softmax\(\): expected a floating point input"):
        ints.softmax(0)
    with pytest.raises(RuntimeError, match="logcumsumexp"):
        autograd.logcumsumexp(ints, 0)


def test_norm_errors() -> None:
    with pytest.raises(RuntimeError, match="must have at least 2 dimensions"):
        autograd.norm(autograd.ones(3), "nuc")
    with pytest.raises(RuntimeError, match="dim must be a 2-tuple. Got 0 1 2"):
        autograd.norm(autograd.ones(2, 2, 2), "nuc")
    with pytest.raises(RuntimeError, match="dim must be a 2-tuple. Got 0 1 2"):
        autograd.norm(autograd.ones(2, 2, 2), "fro", dim=(0, 1, 2))
    with pytest.raises(RuntimeError, match="Order abc not supported"):
        autograd.norm(autograd.ones(2, 2), "abc")


def test_logical_reductions_and_exports() -> None:
    u8 = autograd.tensor([0, 3], dtype=autograd.uint8)
    assert autograd.any(u8).dtype == autograd.uint8 and autograd.any(u8).item() == 1
    assert autograd.all(autograd.tensor([1.0, 0.0])).dtype == autograd.bool
    assert autograd.any(autograd.tensor([1.0, 0.0]), 0, keepdim=True).tolist() == [True]
    assert autograd.all(autograd.zeros(0, dtype=autograd.bool)).item() is True
    assert autograd.count_nonzero(autograd.tensor([[1.0, 0.0], [0.0, 0.0]]), 0).tolist() == [1, 0]
    assert autograd.count_nonzero(autograd.tensor([[1.0, 0.0], [2.0, 0.0]])).dtype == autograd.int64
    for name in ("sum", "prod", "var_mean", "std_mean", "nansum", "nanmean", "amax", "aminmax",
                 "logsumexp", "norm", "cumsum", "cumprod", "logcumsumexp", "cummax", "cummin",
                 "quantile", "nanquantile", "median", "nanmedian", "softmax", "log_softmax", "sort",
                 "argsort", "topk", "kthvalue", "count_nonzero", "any", "all"):
        assert callable(getattr(autograd, name)), name
    assert autograd.max(autograd.tensor([1.0, 4.0]), autograd.tensor([3.0, 2.0])).tolist() == [3.0, 4.0]
    assert autograd.tensor([1.0, 4.0]).min(autograd.tensor([3.0, 2.0])).tolist() == [1.0, 2.0]
