"""``autograd.func``: grad / grad_and_value / vjp / jvp / jacrev / jacfwd / hessian /
vmap / functional_call, alone and composed, against hand-derived values, each other,
``autograd.functional`` and explicit Python loops."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import autograd
import autograd.functional as AF
import autograd.nn as nn
import autograd.nn.functional as F
from autograd.func import (
    functional_call,
    grad,
    grad_and_value,
    hessian,
    jacfwd,
    jacrev,
    jvp,
    vjp,
    vmap,
)

A = autograd
F64 = autograd.float64


def t(values: Any) -> Any:
    return autograd.tensor(values, dtype=F64)


def vector_func(x: Any) -> Any:
    return A.stack([x[0] ** 2 + x[1], x[0] * x[1] ** 2])


def scalar_func(x: Any) -> Any:
    return x[0] ** 3 + x[0] * x[1] ** 2 + x[1] ** 4


def randn(*shape: int, seed: int = 0) -> Any:
    return t(np.random.default_rng(seed).standard_normal(shape))


# ----------------------------------------------------------------------------- grad


def test_grad_values_argnums_and_aux() -> None:
    x, y = t([1.0, 2.0]), t([3.0, 4.0])
    f = lambda a, b: (a * a * b).sum()  # noqa: E731
    np.testing.assert_allclose(grad(f)(x, y).numpy(), 2 * x.numpy() * y.numpy())
    gx, gy = grad(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gy.numpy(), x.numpy() ** 2)
    g, aux = grad(lambda a: ((a ** 2).sum(), a.mean()), has_aux=True)(x)
    assert aux.item() == 1.5
    (g2, val) = grad_and_value(f)(x, y)
    assert val.item() == (1 * 3 + 4 * 4) and not val.requires_grad
    assert not g.requires_grad and not g2.requires_grad
    # pytrees of inputs: a dict of parameters
    params = {"w": t([1.0, -1.0]), "b": t(0.5)}
    gp = grad(lambda p: ((p["w"] * x).sum() + p["b"]) ** 2)(params)
    s = (1.0 * 1 - 1.0 * 2) + 0.5
    np.testing.assert_allclose(gp["w"].numpy(), 2 * s * x.numpy())
    assert gp["b"].item() == 2 * s
    # an output that does not depend on the input: zeros
    np.testing.assert_array_equal(grad(lambda a, b: (b * 2).sum())(x, y).numpy(), [0.0, 0.0])


def test_grad_errors() -> None:
    x = t([1.0, 2.0])
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor, got "
                       "tensor with 1 dims"):
        grad(lambda a: a * 2)(x)
    with pytest.raises(RuntimeError, match="output of function f should be a tuple"):
        grad(lambda a: a.sum(), has_aux=True)(x)
    with pytest.raises(RuntimeError, match="Got argnums=2, but only 1 positional inputs"):
        grad(lambda a: a.sum(), argnums=2)(x)


def test_higher_order_and_no_perturbation_confusion() -> None:
    x = t(2.0)
    assert grad(grad(lambda a: a ** 4))(x).item() == 12 * 4
    assert grad(grad(grad(lambda a: a.sin())))(x).item() == pytest.approx(-np.cos(2.0))
    # the inner grad differentiates w.r.t. its own y, not the outer x it closes over
    inner = lambda a: grad(lambda y: (a * y).sum())(a)  # noqa: E731  = a
    np.testing.assert_array_equal(grad(lambda a: inner(a).sum())(t([1.0, 5.0])).numpy(), [1, 1])


def test_grad_composes_with_regular_autograd() -> None:
    w = t([0.5, 1.5]).requires_grad_(True)
    g = grad(lambda a: (w * a ** 2).sum())(t([1.0, 2.0]))  # = 2 w a, differentiable in w
    assert g.requires_grad
    g.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 4.0])


# ----------------------------------------------------------------------------- vjp / jvp


def test_func_vjp_and_jvp() -> None:
    x = t([1.0, 2.0])
    out, vjp_fn = vjp(vector_func, x)
    (g,) = vjp_fn(t([1.0, 0.0]))
    np.testing.assert_allclose(g.numpy(), [2.0, 1.0])
    (g,) = vjp_fn(t([0.0, 1.0]))  # reusable
    np.testing.assert_allclose(g.numpy(), [4.0, 4.0])
    out2, tangent = jvp(vector_func, (x,), (t([1.0, 0.0]),))
    np.testing.assert_allclose(tangent.numpy(), [2.0, 4.0])
    np.testing.assert_allclose(out2.numpy(), out.numpy())
    _, _, aux = vjp(lambda a: (a * 2, a.sum()), x, has_aux=True)
    assert aux.item() == 3.0
    with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
        jvp(vector_func, x, (x,))
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        vjp_fn(t([1.0, 0.0, 0.0]))


# ----------------------------------------------------------------------------- jacobians


FUNCS = [
    ("seed_vector", vector_func, (2,)),
    ("tall_tanh", lambda x: (x.reshape(3, 1) * t([[1.0, 2.0, -1.0, 0.5]])).tanh().reshape(-1), (3,)),
    ("wide_softmax", lambda x: A.softmax(x, 0)[:2] * x.sum(), (5,)),
    ("matrix", lambda x: (x @ x.mT).exp(), (2, 3)),
    ("reductions", lambda x: A.stack([x.norm(), x.logsumexp(0), x.prod()]), (4,)),
]


@pytest.mark.parametrize("name,f,shape", FUNCS, ids=[n for n, _, _ in FUNCS])
def test_jacrev_equals_jacfwd_equals_functional(name: str, f: Any, shape: tuple) -> None:
    x = randn(*shape, seed=1)
    jr, jf = jacrev(f)(x), jacfwd(f)(x)
    jr_chunked = jacrev(f, chunk_size=2)(x)
    ja = AF.jacobian(f, x)
    for other in (jf, jr_chunked, ja):
        np.testing.assert_allclose(jr.numpy(), other.numpy(), rtol=1e-10, atol=1e-12)
    assert jr.shape == tuple(f(x).shape) + shape


def test_seed_values_through_func() -> None:
    np.testing.assert_array_equal(jacrev(vector_func)(t([2.0, 3.0])).numpy(),
                                  [[4.0, 1.0], [9.0, 12.0]])
    np.testing.assert_array_equal(jacfwd(vector_func)(t([2.0, 3.0])).numpy(),
                                  [[4.0, 1.0], [9.0, 12.0]])
    x = t([1.0, 2.0])
    expected = [[6.0, 4.0], [4.0, 50.0]]
    for H in (hessian(scalar_func)(x), jacfwd(jacrev(scalar_func))(x),
              jacrev(jacrev(scalar_func))(x), jacfwd(jacfwd(scalar_func))(x),
              jacrev(jacfwd(scalar_func))(x), AF.hessian(scalar_func, x)):
        np.testing.assert_array_equal(H.numpy(), expected)
        assert not H.requires_grad


def test_forward_over_reverse_hessian_equals_reverse_over_reverse() -> None:
    w = randn(4, 4, seed=3)
    f = lambda x: ((w @ x).sin() * x).sum() + (x ** 4).sum()  # noqa: E731
    x = randn(4, seed=4)
    fr = hessian(f)(x).numpy()
    rr = jacrev(jacrev(f))(x).numpy()
    np.testing.assert_allclose(fr, rr, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fr, fr.T, rtol=1e-10, atol=1e-12)


def test_jacobians_with_argnums_and_multiple_outputs() -> None:
    x, y = randn(3, seed=5), randn(2, seed=6)
    f = lambda a, b: (a.sum() * b, a * b.sum())  # noqa: E731
    jr = jacrev(f, argnums=(0, 1))(x, y)
    jf = jacfwd(f, argnums=(0, 1))(x, y)
    assert jr[0][0].shape == (2, 3) and jr[0][1].shape == (2, 2) and jr[1][0].shape == (3, 3)
    for i in range(2):
        for k in range(2):
            np.testing.assert_allclose(jr[i][k].numpy(), jf[i][k].numpy(), rtol=1e-12)
    j, aux = jacrev(lambda a: (a ** 2, a.sum()), has_aux=True)(x)
    np.testing.assert_allclose(j.numpy(), np.diag(2 * x.numpy()))
    assert aux.item() == pytest.approx(x.sum().item())


# ----------------------------------------------------------------------------- vmap + transforms


def test_per_example_gradients_with_vmap_of_grad() -> None:
    rng = np.random.default_rng(7)
    w, b = t(rng.standard_normal((3, 2))), t(rng.standard_normal(2))
    xs, ys = t(rng.standard_normal((5, 3))), t(rng.standard_normal((5, 2)))

    def loss(params: dict, x: Any, y: Any) -> Any:
        return (((x @ params["w"] + params["b"]).tanh() - y) ** 2).sum()

    per = vmap(grad(loss), in_dims=(None, 0, 0))({"w": w, "b": b}, xs, ys)
    assert per["w"].shape == (5, 3, 2) and per["b"].shape == (5, 2)
    for i in range(5):
        gi = grad(loss)({"w": w, "b": b}, xs[i], ys[i])
        np.testing.assert_allclose(per["w"][i].numpy(), gi["w"].numpy(), rtol=1e-12)
        np.testing.assert_allclose(per["b"][i].numpy(), gi["b"].numpy(), rtol=1e-12)


def test_transforms_inside_and_outside_vmap() -> None:
    xs = randn(4, 2, seed=8)
    hs = vmap(hessian(scalar_func))(xs)
    js = vmap(jacfwd(vector_func))(xs)
    jr = vmap(jacrev(vector_func))(xs)
    for i in range(4):
        np.testing.assert_allclose(hs[i].numpy(), hessian(scalar_func)(xs[i]).numpy(), rtol=1e-12)
        np.testing.assert_allclose(js[i].numpy(), jacrev(vector_func)(xs[i]).numpy(), rtol=1e-12)
        np.testing.assert_allclose(jr[i].numpy(), js[i].numpy(), rtol=1e-12)
    # grad of a vmapped function, and jvp under vmap
    g = grad(lambda w: vmap(lambda r: (r * w).sin().sum())(xs).sum())(t([0.5, -1.0]))
    ref = (np.cos(xs.numpy() * [0.5, -1.0]) * xs.numpy()).sum(0)
    np.testing.assert_allclose(g.numpy(), ref, rtol=1e-12)
    tangents = vmap(lambda r: jvp(lambda a: a.exp(), (r,), (A.ones_like(r),))[1])(xs)
    np.testing.assert_allclose(tangents.numpy(), np.exp(xs.numpy()), rtol=1e-12)


# ----------------------------------------------------------------------------- vmap vs loops


def _rows(rng: np.random.Generator) -> Any:
    return t(rng.standard_normal((3, 4, 5)))


VMAP_OPS = {
    "unary": lambda r: r.exp() * r.sin() + r.tanh() - r.abs().sqrt(),
    "binary_broadcast": lambda r: r * t([1.0, 2.0, 3.0, 4.0, 5.0]) + t(0.5) / (r.abs() + 1),
    "pow_where_clamp": lambda r: A.where(r > 0, r ** 2, r.clamp(-0.5, 0.5)),
    "sum_mean_dims": lambda r: r.sum(0) + r.mean(1, keepdim=True).sum(0),
    "var_std_norm": lambda r: r.var(1) + r.std(0).sum() + r.norm(),
    "prod_cumsum": lambda r: r.prod(1).sum() + r.cumsum(0)[-1],
    "softmax_logsumexp": lambda r: r.softmax(-1) * r.logsumexp(0),
    "max_min_sort": lambda r: r.max(1).values + r.min(0)[0][:4] + r.sort(-1)[0][:, 0],
    "argmax_topk": lambda r: r.topk(2, -1)[0].sum(-1) + r.argmax(1).to(F64),
    "median_quantile": lambda r: r.median(1)[0] + r.quantile(0.25, dim=1),
    "reshape_permute": lambda r: r.reshape(5, 4).t().permute(1, 0).flatten(),
    "expand_squeeze": lambda r: r[:, :1].expand(4, 3).unsqueeze(0).squeeze(0),
    "cat_stack_split": lambda r: A.cat([r, r * 2], 1).split(3, 1)[1] + A.stack([r, r]).sum(0)[:, :3],
    "flip_roll_repeat": lambda r: r.flip(0).roll(1, 1).repeat(1, 2)[:, ::3],
    "getitem": lambda r: r[1:, ::2] * r[A.tensor([0, 2])][0, :3],
    "gather_scatter": lambda r: r.gather(1, A.tensor([[0, 1], [1, 2], [3, 0], [4, 4]])).sum(1)
    + A.zeros(4, 5, dtype=F64).scatter_add(1, A.tensor([[0, 0], [1, 1], [2, 2], [4, 3]]),
                                           r[:, :2]).sum(1),
    "matmul_family": lambda r: r @ A.ones(5, 2, dtype=F64) + (r.mT @ r)[:4, :2]
    + A.outer(r[0], r[1])[:4, :2],
    "einsum": lambda r: A.einsum("ij,kj->ik", r, r),
    "linalg": lambda r: A.linalg.det(r[:, :4] + 5 * A.eye(4, dtype=F64))
    + A.linalg.inv(r[:, :4] + 5 * A.eye(4, dtype=F64)).sum(),
    "diag_tril": lambda r: r[:, :4].tril().diagonal() + r[:, :4].triu(1).sum(0),
    "comparisons": lambda r: ((r > 0) & (r < 1)).to(F64) + (r == r).to(F64) + r.floor(),
    "masked": lambda r: r.masked_fill(r < 0, 0.0),
    "nn_functional": lambda r: F.relu(r) + F.gelu(r) + F.log_softmax(r, -1)
    + F.layer_norm(r, (5,)) + F.softplus(r),
    "linear_losses": lambda r: F.linear(r, A.ones(3, 5, dtype=F64)).sum(1)
    + F.cross_entropy(r, A.tensor([0, 1, 2, 3]), reduction="none") + F.mse_loss(r, r * 0.5),
    "conv": lambda r: F.conv1d(r.unsqueeze(0), A.ones(2, 4, 3, dtype=F64)),
    "setitem": lambda r: _setitem(r),
    "inplace": lambda r: _inplace(r),
}


def _setitem(r: Any) -> Any:
    y = r.clone()
    y[0] = 1.0
    y[1, 2:] = y[2, 2:] * 2
    return y


def _inplace(r: Any) -> Any:
    y = r * 1.0
    y.mul_(2.0).add_(r[0]).clamp_(-1.0, 1.0)
    return y


@pytest.mark.parametrize("name", sorted(VMAP_OPS))
def test_vmap_matches_an_explicit_loop(name: str) -> None:
    fn = VMAP_OPS[name]
    x = _rows(np.random.default_rng(11))
    got = vmap(fn)(x)
    ref = A.stack([fn(x[i]) for i in range(x.shape[0])])
    assert got.shape == ref.shape
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-12, atol=1e-12)
    # the batch dim elsewhere, in and out
    moved = vmap(fn, in_dims=1, out_dims=-1)(x.movedim(0, 1))
    np.testing.assert_allclose(moved.movedim(-1, 0).numpy(), ref.numpy(), rtol=1e-12, atol=1e-12)


def test_nested_vmap_and_in_dims() -> None:
    x = randn(3, 4, 5, seed=12)
    y = randn(5, seed=13)
    got = vmap(vmap(lambda a, b: (a * b).sum() + a.max(), in_dims=(0, None)),
               in_dims=(1, None))(x, y)  # outer over dim 1 (4), inner over dim 0 (3)
    ref = np.array([[(x[i, j] * y).sum().item() + x[i, j].max().item() for i in range(3)]
                    for j in range(4)])
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-12)
    outer = vmap(lambda a: vmap(lambda b: b * a.sum())(a))(x)  # inner uses the outer value
    np.testing.assert_allclose(outer.numpy(), x.numpy() * x.numpy().sum((1, 2), keepdims=True),
                               rtol=1e-12)
    out, unbatched = vmap(lambda a: (a * 2, A.ones(2)), out_dims=(1, None))(randn(3, 2, seed=1))
    assert out.shape == (2, 3) and unbatched.shape == (2,)
    chunks = vmap(lambda a: a.exp().sum(), chunk_size=2)(x)
    np.testing.assert_allclose(chunks.numpy(), np.exp(x.numpy()).sum((1, 2)), rtol=1e-12)


def test_vmap_errors() -> None:
    x = randn(3, 2)
    with pytest.raises(ValueError, match="Expected all tensors to have the same size in the mapped "
                       "dimension, got sizes \\[3, 2\\]"):
        vmap(lambda a, b: a + b)(x, randn(2, 2))
    with pytest.raises(ValueError, match="in_dims is not compatible with the structure"):
        vmap(lambda a, b: a, in_dims=(0,))(x, x)
    with pytest.raises(ValueError, match="Got in_dim=2 for some input, but that input is a Tensor "
                       "of dimensionality 2"):
        vmap(lambda a: a, in_dims=2)(x)
    with pytest.raises(ValueError, match="We cannot vmap over non-Tensor arguments"):
        vmap(lambda a, n: a, in_dims=(0, 0))(x, 3)
    with pytest.raises(ValueError, match="must only return Tensors, got type <class 'float'>"):
        vmap(lambda a: 1.0)(x)
    with pytest.raises(ValueError, match="can not return a BatchedTensor when out_dim is None"):
        vmap(lambda a: a, out_dims=None)(x)
    with pytest.raises(ValueError, match="randomness"):
        vmap(lambda a: a, randomness="sometimes")
    with pytest.raises(RuntimeError, match="vmap: .*data-dependent Python control flow"):
        vmap(lambda a: a * 2 if a.sum() > 0 else a)(x)
    with pytest.raises(RuntimeError, match="vmap: no batching rule for one_hot"):
        vmap(lambda a: F.one_hot(a.argmax(0), 3))(x)
    buf = A.zeros(2, dtype=F64)
    with pytest.raises(RuntimeError, match="vmap: no batching rule for add_: an in-place write of "
                       "batched values into a tensor that is not batched"):
        vmap(lambda a: buf.add_(a))(x)
    with pytest.raises(RuntimeError, match="vmap: no batching rule for max_pool1d"):
        vmap(lambda a: F.max_pool1d(a.reshape(1, 1, -1), 2))(randn(3, 4))


class NoRule(autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return x * 2

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g * 2


class Looped(NoRule):
    generate_vmap_rule = True


def test_custom_functions_under_vmap() -> None:
    x = randn(3, 2)
    with pytest.raises(RuntimeError, match="vmap: no batching rule for NoRule"):
        vmap(lambda r: NoRule.apply(r))(x)
    with pytest.raises(RuntimeError, match="vmap: no batching rule for NoRule"):
        vmap(NoRule.apply)(x)
    np.testing.assert_allclose(vmap(Looped.apply)(x).numpy(), 2 * x.numpy())
    g = vmap(grad(lambda r: Looped.apply(r).sum()))(x)
    np.testing.assert_array_equal(g.numpy(), np.full((3, 2), 2.0))


def test_apply_bound_before_vmap_is_batched_inside() -> None:
    """vmap reroutes op calls through the core's hook, not by replacing ``apply``: a
    bound ``Fn.apply`` (or an op's) taken before the vmap still dispatches."""
    from autograd import function
    from autograd.ops.shape import Reshape

    looped, reshape = Looped.apply, Reshape.apply
    x = randn(3, 2)
    assert function._batched_hook is None
    out = vmap(lambda r: looped(reshape(r, (2, 1))).sum())(x)
    np.testing.assert_allclose(out.numpy(), 2 * x.numpy().sum(1))
    np.testing.assert_allclose(vmap(looped)(x).numpy(), 2 * x.numpy())
    assert function._batched_hook is None  # cleared when the last vmap ends
    with pytest.raises(ValueError):
        vmap(lambda r: r.sum(), in_dims=3)(x)
    assert function._batched_hook is None  # also after an error


def test_vmap_randomness_modes() -> None:
    x = A.ones(4, 1000)
    with pytest.raises(RuntimeError, match="called random operation while in randomness error mode"):
        vmap(lambda r: r * A.rand_like(r))(x)
    autograd.manual_seed(0)
    same = vmap(lambda r: F.dropout(r, 0.5), randomness="same")(x).numpy()
    assert (same == same[0]).all()
    autograd.manual_seed(0)
    diff = vmap(lambda r: F.dropout(r, 0.5), randomness="different")(x).numpy()
    assert not (diff == diff[0]).all()
    assert set(np.unique(diff)) == {0.0, 2.0} and abs(diff.mean() - 1.0) < 0.05
    autograd.manual_seed(1)
    noise = vmap(lambda r: r + A.randn(1000), randomness="different")(x).numpy()
    assert abs(np.corrcoef(noise[0], noise[1])[0, 1]) < 0.1
    fills = vmap(lambda r: (r * 1.0).uniform_(), randomness="different")(x).numpy()
    assert not (fills == fills[0]).all()


# ----------------------------------------------------------------------------- functional_call


def test_functional_call_and_grads_of_parameters() -> None:
    autograd.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    params = {k: v.detach() for k, v in model.named_parameters()}
    x = randn(5, 3, seed=3)
    out = functional_call(model, params, (x,))
    np.testing.assert_allclose(out.numpy(), model(x).detach().numpy(), rtol=1e-12)
    zero = {k: A.zeros_like(v) for k, v in params.items()}
    assert (functional_call(model, zero, (x,)).numpy() == 0).all()
    assert (model(x).detach().numpy() != 0).any()  # restored afterwards

    def loss(p: dict) -> Any:
        return (functional_call(model, p, (x,)) ** 2).mean()

    g = grad(loss)(params)
    model.zero_grad()
    (model(x) ** 2).mean().backward()
    for name, p in model.named_parameters():
        np.testing.assert_allclose(g[name].numpy(), p.grad.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="Unexpected key"):
        functional_call(model, {"nope": x}, (x,))
    with pytest.raises(RuntimeError, match="Missing key"):
        functional_call(model, {"0.weight": params["0.weight"]}, (x,), strict=True)
