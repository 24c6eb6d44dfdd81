"""``autograd.distributions``: log_prob / entropy / moments against closed forms,
pathwise (rsample) gradients against finite differences, sample statistics, argument
validation with PyTorch's messages, KL divergences, and the seed's Gumbel-softmax."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import autograd
from autograd.distributions import (
    Bernoulli,
    Categorical,
    Distribution,
    Gumbel,
    Normal,
    RelaxedOneHotCategorical,
    Uniform,
    kl_divergence,
)

F64 = autograd.float64
EULER = 0.5772156649015329


def t(values: Any) -> Any:
    return autograd.tensor(values, dtype=F64)


# ----------------------------------------------------------------------------- closed forms


def test_normal_closed_forms() -> None:
    loc, scale = t([0.0, 1.0, -2.0]), t([1.0, 0.5, 3.0])
    d = Normal(loc, scale)
    x = t([0.3, 1.2, 4.0])
    m, s, v = loc.numpy(), scale.numpy(), x.numpy()
    expected = -((v - m) ** 2) / (2 * s ** 2) - np.log(s) - 0.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(d.log_prob(x).numpy(), expected, rtol=1e-13)
    np.testing.assert_allclose(d.entropy().numpy(), 0.5 * np.log(2 * np.pi * np.e * s ** 2),
                               rtol=1e-13)
    np.testing.assert_allclose(d.mean.numpy(), m)
    np.testing.assert_allclose(d.variance.numpy(), s ** 2)
    np.testing.assert_allclose(d.stddev.numpy(), s)
    cdf = np.array([0.5 * (1 + math.erf((a - b) / (c * math.sqrt(2)))) for a, b, c in zip(v, m, s)])
    np.testing.assert_allclose(d.cdf(x).numpy(), cdf, rtol=1e-12)
    assert d.batch_shape == (3,) and d.event_shape == ()


def test_uniform_closed_forms() -> None:
    d = Uniform(t([0.0, -1.0]), t([2.0, 3.0]))
    np.testing.assert_allclose(d.log_prob(t([1.0, 0.0])).numpy(), -np.log([2.0, 4.0]))
    np.testing.assert_allclose(d.entropy().numpy(), np.log([2.0, 4.0]))
    np.testing.assert_allclose(d.mean.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(d.variance.numpy(), np.array([4.0, 16.0]) / 12)
    np.testing.assert_allclose(d.cdf(t([0.5, 2.0])).numpy(), [0.25, 0.75])
    np.testing.assert_allclose(d.icdf(t([0.25, 0.75])).numpy(), [0.5, 2.0])


def test_gumbel_closed_forms() -> None:
    d = Gumbel(t([0.5, -1.0]), t([2.0, 0.5]))
    x = t([1.0, 0.0])
    z = (x.numpy() - np.array([0.5, -1.0])) / np.array([2.0, 0.5])
    np.testing.assert_allclose(d.log_prob(x).numpy(), -(z + np.exp(-z)) - np.log([2.0, 0.5]),
                               rtol=1e-13)
    np.testing.assert_allclose(d.entropy().numpy(), np.log([2.0, 0.5]) + 1 + EULER, rtol=1e-13)
    np.testing.assert_allclose(d.mean.numpy(), np.array([0.5, -1.0]) + EULER * np.array([2.0, 0.5]))
    np.testing.assert_allclose(d.variance.numpy(), np.pi ** 2 / 6 * np.array([4.0, 0.25]))
    np.testing.assert_allclose(d.cdf(x).numpy(), np.exp(-np.exp(-z)), rtol=1e-13)


def test_bernoulli_closed_forms_both_parameterizations() -> None:
    p = t([0.2, 0.5, 0.9])
    for d in (Bernoulli(probs=p), Bernoulli(logits=(p / (1 - p)).log())):
        np.testing.assert_allclose(d.probs.numpy(), p.numpy(), rtol=1e-12)
        np.testing.assert_allclose(d.log_prob(t([1.0, 0.0, 1.0])).numpy(),
                                   np.log([0.2, 0.5, 0.9]), rtol=1e-12)
        ent = -(p.numpy() * np.log(p.numpy()) + (1 - p.numpy()) * np.log(1 - p.numpy()))
        np.testing.assert_allclose(d.entropy().numpy(), ent, rtol=1e-12)
        np.testing.assert_allclose(d.variance.numpy(), p.numpy() * (1 - p.numpy()), rtol=1e-12)
    assert Bernoulli(logits=t([1000.0])).log_prob(t([0.0])).item() == -1000.0  # stable
    np.testing.assert_array_equal(Bernoulli(probs=t([0.3, 0.7])).enumerate_support().numpy(),
                                  [[0.0, 0.0], [1.0, 1.0]])


def test_categorical_closed_forms_both_parameterizations() -> None:
    probs = t([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    for d in (Categorical(probs=probs * 4), Categorical(logits=probs.log() + 3.0)):
        np.testing.assert_allclose(d.probs.numpy(), probs.numpy(), rtol=1e-12)
        np.testing.assert_allclose(d.log_prob(autograd.tensor([2, 0])).numpy(),
                                   np.log([0.7, 0.5]), rtol=1e-12)
        np.testing.assert_allclose(d.entropy().numpy(),
                                   -(probs.numpy() * np.log(probs.numpy())).sum(-1), rtol=1e-12)
        assert d.batch_shape == (2,) and d.event_shape == ()
        np.testing.assert_array_equal(d.mode.numpy(), [2, 0])
    lp = Categorical(probs=probs).log_prob(autograd.tensor([[0, 1], [2, 2]]))  # sample dims
    np.testing.assert_allclose(lp.numpy(), np.log([[0.1, 0.25], [0.7, 0.25]]), rtol=1e-12)


def test_relaxed_one_hot_log_prob_matches_the_concrete_density() -> None:
    """Maddison et al.: p(y) = (K-1)! τ^(K-1) Π α_k y_k^(-τ-1) / (Σ α_k y_k^(-τ))^K."""
    probs, tau = np.array([0.2, 0.3, 0.5]), 0.7
    d = RelaxedOneHotCategorical(t(tau), probs=t(probs))
    y = np.array([0.1, 0.6, 0.3])
    k = 3
    dens = (math.factorial(k - 1) * tau ** (k - 1) * np.prod(probs * y ** (-tau - 1))
            / (probs * y ** (-tau)).sum() ** k)
    assert d.log_prob(t(y)).item() == pytest.approx(np.log(dens), rel=1e-12)
    assert d.batch_shape == () and d.event_shape == (3,)


# ----------------------------------------------------------------------------- sampling


def test_sampling_is_reproducible_with_manual_seed() -> None:
    for make in (lambda: Normal(t([0.0, 1.0]), 2.0), lambda: Gumbel(0.0, 1.0),
                 lambda: Categorical(probs=t([0.2, 0.8])), lambda: Bernoulli(probs=t([0.3])),
                 lambda: Uniform(-1.0, 1.0), lambda: RelaxedOneHotCategorical(0.5, logits=t([1.0, 0.0]))):
        autograd.manual_seed(42)
        a = make().sample((5,)).numpy()
        autograd.manual_seed(42)
        b = make().sample((5,)).numpy()
        np.testing.assert_array_equal(a, b)


def test_sample_shapes_and_statistics() -> None:
    autograd.manual_seed(0)
    n = 40000
    x = Normal(t([1.0, -2.0]), t([0.5, 2.0])).sample((n,))
    assert x.shape == (n, 2) and not x.requires_grad
    np.testing.assert_allclose(x.numpy().mean(0), [1.0, -2.0], atol=0.04)
    np.testing.assert_allclose(x.numpy().std(0), [0.5, 2.0], rtol=0.03)
    u = Uniform(t(-1.0), t(3.0)).sample((n,)).numpy()
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.03
    g = Gumbel(t(1.0), t(2.0)).sample((n,)).numpy()
    assert abs(g.mean() - (1 + 2 * EULER)) < 0.05 and abs(g.var() / (np.pi ** 2 / 6 * 4) - 1) < 0.05
    b = Bernoulli(probs=t([0.1, 0.6])).sample((n,)).numpy()
    assert set(np.unique(b)) == {0.0, 1.0}
    np.testing.assert_allclose(b.mean(0), [0.1, 0.6], atol=0.01)
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    c = Categorical(probs=t(probs)).sample((n,)).numpy()
    assert c.dtype == np.int64
    np.testing.assert_allclose(np.bincount(c, minlength=4) / n, probs, atol=0.01)
    assert Categorical(probs=t(np.ones((3, 4)))).sample((5, 2)).shape == (5, 2, 3)
    r = RelaxedOneHotCategorical(t(0.3), probs=t(probs)).sample((n,)).numpy()
    np.testing.assert_allclose(r.sum(-1), 1.0, rtol=1e-12)
    # Gumbel-max: the argmax of a relaxed sample is distributed as Categorical(probs)
    np.testing.assert_allclose(np.bincount(r.argmax(-1), minlength=4) / n, probs, atol=0.01)


# ----------------------------------------------------------------------------- pathwise gradients


def _pathwise_check(make: Any, params: list, f: Any, shape: tuple = (50,)) -> None:
    """d/dθ f(rsample(θ)) by autograd equals finite differences with the same noise."""
    def value(ps: list) -> float:
        autograd.manual_seed(3)
        return float(f(make(*ps).rsample(shape)).sum())

    leaves = [p.clone().requires_grad_(True) for p in params]
    autograd.manual_seed(3)
    f(make(*leaves).rsample(shape)).sum().backward()
    eps = 1e-6
    for i, p in enumerate(params):
        fd = np.zeros(p.shape)
        for idx in np.ndindex(*p.shape):
            delta = np.zeros(p.shape)
            delta[idx] = eps
            hi = [q + t(delta) if j == i else q for j, q in enumerate(params)]
            lo = [q - t(delta) if j == i else q for j, q in enumerate(params)]
            fd[idx] = (value(hi) - value(lo)) / (2 * eps)
        np.testing.assert_allclose(leaves[i].grad.numpy(), fd, rtol=1e-5, atol=1e-7)


def test_rsample_gradients_match_finite_differences() -> None:
    _pathwise_check(lambda m, s: Normal(m, s), [t([0.3, -1.0]), t([1.5, 0.4])], lambda x: x.sin() * x)
    _pathwise_check(lambda a, b: Uniform(a, b), [t([0.0, 1.0]), t([2.0, 1.5])], lambda x: x ** 3)
    _pathwise_check(lambda m, s: Gumbel(m, s), [t([0.3]), t([0.8])], lambda x: x.tanh())
    w = t([1.0, -2.0, 0.5])
    _pathwise_check(lambda tau, lg: RelaxedOneHotCategorical(tau, logits=lg),
                    [t(0.7), t([0.2, -0.4, 1.0])], lambda y: (y * w).sum(-1) ** 2, shape=(20,))


def test_has_rsample_flags() -> None:
    assert Normal(0.0, 1.0).has_rsample and Gumbel(0.0, 1.0).has_rsample
    assert not Bernoulli(probs=t([0.5])).has_rsample and not Categorical(probs=t([1.0])).has_rsample
    with pytest.raises(RuntimeError, match="has no reparameterised sampler"):
        Categorical(probs=t([0.5, 0.5])).rsample()


# ----------------------------------------------------------------------------- validation


def test_validation_errors_match_pytorch() -> None:
    with pytest.raises(ValueError, match=r"Expected parameter scale \(Tensor of shape \(2,\)\) of "
                       r"distribution Normal\(loc: \(2,\), scale: \(2,\)\) to satisfy the constraint "
                       r"GreaterThan\(lower_bound=0.0\), but found invalid values"):
        Normal(t([0.0, 0.0]), t([1.0, -1.0]))
    Normal(t([0.0]), t([-1.0]), validate_args=False)  # no check when disabled
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified, but not both."):
        Bernoulli(probs=t([0.5]), logits=t([0.0]))
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified"):
        Categorical()
    with pytest.raises(ValueError, match="`probs` parameter must be at least one-dimensional."):
        Categorical(probs=t(0.5))
    with pytest.raises(ValueError, match="constraint Interval"):
        Bernoulli(probs=t([1.5]))
    with pytest.raises(ValueError, match="constraint Simplex"):
        Categorical(probs=t([-0.5, 1.5]))
    with pytest.raises(ValueError, match="The value argument to log_prob must be a Tensor"):
        Normal(0.0, 1.0).log_prob(0.5)
    with pytest.raises(ValueError, match=r"Expected value argument \(Tensor of shape \(1,\)\) to be "
                       r"within the support \(Interval"):
        Uniform(0.0, 1.0).log_prob(t([2.0]))
    with pytest.raises(ValueError, match="Value is not broadcastable with batch_shape\\+event_shape"):
        Normal(t([0.0, 1.0]), 1.0).log_prob(t([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="The right-most size of value must match event_shape"):
        RelaxedOneHotCategorical(0.5, probs=t([0.5, 0.5])).log_prob(t([0.2, 0.3, 0.5]))
    with pytest.raises(ValueError, match="within the support"):
        Categorical(probs=t([0.5, 0.5])).log_prob(autograd.tensor([3]))


def test_expand_and_default_validation_switch() -> None:
    d = Normal(t([0.0, 1.0]), t([1.0, 2.0])).expand((3, 2))
    assert d.batch_shape == (3, 2) and d.sample().shape == (3, 2)
    c = Categorical(probs=t([0.2, 0.8])).expand((4,))
    assert c.sample().shape == (4,)
    Distribution.set_default_validate_args(False)
    try:
        Normal(0.0, -1.0)
    finally:
        Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        Normal(0.0, -1.0)


# ----------------------------------------------------------------------------- KL


def test_kl_normal_normal() -> None:
    p, q = Normal(t([0.0, 1.0]), t([1.0, 0.5])), Normal(t([1.0, -1.0]), t([2.0, 1.5]))
    m1, s1, m2, s2 = 0.0, 1.0, 1.0, 2.0
    closed = np.log(s2 / s1) + (s1 ** 2 + (m1 - m2) ** 2) / (2 * s2 ** 2) - 0.5
    kl = kl_divergence(p, q)
    assert kl[0].item() == pytest.approx(closed, rel=1e-13)
    autograd.manual_seed(1)
    x = p.sample((200000,))
    mc = (p.log_prob(x) - q.log_prob(x)).mean(0).numpy()
    np.testing.assert_allclose(kl.numpy(), mc, rtol=0.02)
    assert kl_divergence(p, p).abs().max().item() == 0.0


def test_kl_categorical_categorical() -> None:
    p = Categorical(probs=t([0.5, 0.5, 0.0]))
    q = Categorical(probs=t([0.25, 0.25, 0.5]))
    assert kl_divergence(p, q).item() == pytest.approx(np.log(2.0), rel=1e-12)
    assert kl_divergence(q, p).item() == float("inf")  # q has mass where p has none
    with pytest.raises(RuntimeError, match="No KL\\(p \\|\\| q\\) is implemented for p type Normal "
                       "and q type Categorical"):
        kl_divergence(Normal(0.0, 1.0), q)


# ----------------------------------------------------------------------------- the seed's Gumbel-softmax


class GumbelSoftmax(autograd.Function):
    """The seed's block, ported by changing imports (torch -> autograd)."""

    @staticmethod
    def forward(ctx: Any, logits: Any, temperature: float = 1.0, hard: bool = False) -> Any:
        gumbel_noise = autograd.distributions.Gumbel(0, 1).sample(logits.shape)
        y_soft = autograd.softmax((logits + gumbel_noise) / temperature, dim=-1)
        if hard:
            y_hard = autograd.zeros_like(logits)
            y_hard.scatter_(-1, y_soft.argmax(dim=-1, keepdim=True), 1.0)
            ctx.save_for_backward(y_soft)
            ctx.hard = True
            return y_hard
        ctx.save_for_backward(y_soft)
        ctx.hard = False
        return y_soft

    @staticmethod
    def backward(ctx: Any, grad_output: Any) -> Any:
        (y_soft,) = ctx.saved_tensors
        return grad_output, None, None


@pytest.mark.parametrize("hard", [False, True], ids=["soft", "hard-straight-through"])
def test_seed_gumbel_softmax(hard: bool) -> None:
    autograd.manual_seed(0)
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    rows = 20000
    logits = autograd.tensor(np.log(np.tile(probs, (rows, 1))), requires_grad=True)
    y = GumbelSoftmax.apply(logits, 0.5, hard)
    out = y.detach().numpy()
    np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-5)
    if hard:
        assert set(np.unique(out)) == {0.0, 1.0}
        freq = out.mean(0)
    else:
        assert (out >= 0).all() and not set(np.unique(out)) <= {0.0, 1.0}
        freq = np.bincount(out.argmax(-1), minlength=4) / rows
    np.testing.assert_allclose(freq, probs, atol=0.015)  # Gumbel-max
    upstream = autograd.randn(rows, 4)
    (y * upstream).sum().backward()
    np.testing.assert_array_equal(logits.grad.numpy(), upstream.numpy())  # straight through
    # the same noise, drawn through the distribution class directly: reproducible
    autograd.manual_seed(0)
    g1 = autograd.distributions.Gumbel(0, 1).sample((3, 4))
    autograd.manual_seed(0)
    np.testing.assert_array_equal(Gumbel(0.0, 1.0).sample((3, 4)).numpy(), g1.numpy())


def test_relaxed_one_hot_as_a_differentiable_gumbel_softmax() -> None:
    """RelaxedOneHotCategorical.rsample is the (soft) Gumbel-softmax with true gradients."""
    autograd.manual_seed(4)
    logits = t([0.5, -0.2, 1.0]).requires_grad_(True)
    y = RelaxedOneHotCategorical(t(0.5), logits=logits).rsample((4000,))
    (y[:, 2]).mean().backward()
    g = logits.grad.numpy()
    assert g[2] > 0 and g[0] < 0 and g[1] < 0  # raising a logit raises its share
    assert abs(g.sum()) < 1e-12  # softmax is invariant to a common shift of the logits
