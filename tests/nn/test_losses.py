"""Losses: values against NumPy references for every reduction and option, float64
gradient checks (first/second order, forward mode), stability and error messages."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd
import autograd.nn.functional as F
from autograd import nn
from tests.autograd.harness import OpSpec, params, run_spec

REDUCTIONS = ["none", "mean", "sum"]
rng = np.random.default_rng(0)


def T(a, **kw) -> autograd.Tensor:
    return autograd.tensor(np.asarray(a), **kw)


def reduce_np(loss: np.ndarray, reduction: str) -> np.ndarray:
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def log_softmax_np(x: np.ndarray, axis: int = 1) -> np.ndarray:
    z = x - x.max(axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis, keepdims=True))


def ce_ref(x, t, w=None, ignore=-100, eps=0.0, reduction="mean"):
    """PyTorch's cross_entropy for class indices, written out in NumPy."""
    c = x.shape[1]
    lp = np.moveaxis(log_softmax_np(x), 1, -1).reshape(-1, c)
    tt = t.reshape(-1)
    valid = tt != ignore
    ts = np.where(valid, tt, 0)
    wv = np.ones(c) if w is None else w
    nll = -wv[ts] * lp[np.arange(len(ts)), ts] * valid
    smooth = -(lp * wv).sum(1) * valid
    if reduction == "none":
        return ((1 - eps) * nll + eps / c * smooth).reshape(t.shape)
    if reduction == "sum":
        return (1 - eps) * nll.sum() + eps / c * smooth.sum()
    return ((1 - eps) * nll.sum() + eps / c * smooth.sum()) / (wv[ts] * valid).sum()


def ce_prob_ref(x, p, w=None, eps=0.0, reduction="mean"):
    c = x.shape[1]
    q = p * (1 - eps) + eps / c
    wb = 1.0 if w is None else w.reshape((1, c) + (1,) * (x.ndim - 2))
    per = -(log_softmax_np(x) * q * wb).sum(1)
    return {"none": per, "sum": per.sum(), "mean": per.sum() / per.size}[reduction]


# ----------------------------------------------------------------------------- cross-entropy


CE_CASES = [
    dict(),
    dict(w=True),
    dict(ignore=2),
    dict(eps=0.1),
    dict(w=True, ignore=1, eps=0.25),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CE_CASES, ids=lambda c: "-".join(c) or "plain")
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2, 2)], ids=["2d", "kdim"])
def test_cross_entropy_indices_values(reduction, case, shape) -> None:
    x = rng.normal(size=shape) * 2
    t = rng.integers(0, shape[1], size=(shape[0],) + shape[2:])
    w = rng.uniform(0.5, 2.0, size=shape[1]) if case.get("w") else None
    ignore = case.get("ignore", -100)
    eps = case.get("eps", 0.0)
    out = F.cross_entropy(T(x), T(t), weight=None if w is None else T(w), ignore_index=ignore,
                          label_smoothing=eps, reduction=reduction)
    ref = ce_ref(x, t, w, ignore, eps, reduction)
    assert out.shape == np.shape(ref)
    assert np.allclose(out.numpy(), ref, atol=1e-12)
    module = nn.CrossEntropyLoss(weight=None if w is None else T(w), ignore_index=ignore,
                                 label_smoothing=eps, reduction=reduction)
    assert np.allclose(module(T(x), T(t)).numpy(), ref, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("eps,weighted", [(0.0, False), (0.2, True)])
def test_cross_entropy_probabilities_values(reduction, eps, weighted) -> None:
    x = rng.normal(size=(3, 4, 2))
    p = np.exp(log_softmax_np(rng.normal(size=(3, 4, 2))))
    w = rng.uniform(0.5, 2.0, size=4) if weighted else None
    out = F.cross_entropy(T(x), T(p), weight=None if w is None else T(w), label_smoothing=eps,
                          reduction=reduction)
    assert np.allclose(out.numpy(), ce_prob_ref(x, p, w, eps, reduction), atol=1e-12)


def test_cross_entropy_closed_forms_and_unbatched() -> None:
    # uniform logits: loss = log C
    assert math.isclose(F.cross_entropy(autograd.zeros(3, 5), T([0, 1, 4])).item(), math.log(5),
                        rel_tol=1e-6)
    x = T([1.0, 2.0, 0.5], dtype=autograd.float64)
    ref = -log_softmax_np(np.array([[1.0, 2.0, 0.5]]))[0, 1]
    assert math.isclose(F.cross_entropy(x, T(1)).item(), ref, rel_tol=1e-12)
    assert F.cross_entropy(x, T(1), reduction="none").shape == ()
    p = T([0.2, 0.5, 0.3], dtype=autograd.float64)
    ref_p = -(log_softmax_np(np.array([[1.0, 2.0, 0.5]]))[0] * p.numpy()).sum()
    assert math.isclose(F.cross_entropy(x, p).item(), ref_p, rel_tol=1e-12)
    # every target ignored: mean is 0/0 = nan, as in PyTorch
    assert math.isnan(F.cross_entropy(autograd.ones(2, 3), T([-100, -100])).item())


def test_cross_entropy_gradient_is_softmax_minus_onehot() -> None:
    x = rng.normal(size=(4, 3))
    t = np.array([0, 2, 1, 2])
    xt = T(x, requires_grad=True)
    F.cross_entropy(xt, T(t), reduction="sum").backward()
    sm = np.exp(log_softmax_np(x))
    assert np.allclose(xt.grad.numpy(), sm - np.eye(3)[t])
    xt.grad = None
    F.cross_entropy(xt, T(np.array([0, -100, 1, 2]))).backward()
    g = (sm - np.eye(3)[t]) / 3
    g[1] = 0
    assert np.allclose(xt.grad.numpy(), g)


def test_cross_entropy_is_stable_for_huge_logits() -> None:
    x = T([[1000.0, 0.0, -1000.0], [-1e4, 1e4, 0.0]], requires_grad=True)
    loss = F.cross_entropy(x, T([0, 0]), reduction="none")
    assert np.allclose(loss.detach().numpy(), [0.0, 2e4])
    loss.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    assert np.allclose(x.grad.numpy(), [[0, 0, 0], [-1, 1, 0]])


def _ce_fn(t, **kw):
    return lambda x: F.cross_entropy(x, t, **kw)


IDX_2D = autograd.tensor([0, 2, 1, 2])
IDX_IGN = autograd.tensor([0, -100, 1, 2])
IDX_K = autograd.tensor([[0, 2], [1, 1]])
W3 = autograd.tensor([0.5, 1.0, 2.0], dtype=autograd.float64)


def _prob_make(rng_: np.random.Generator, shape: tuple, index: int):
    if index == 1:
        return np.exp(log_softmax_np(rng_.normal(size=shape)))
    return None


LOSS_SPECS = [
    OpSpec("ce_mean", _ce_fn(IDX_2D), [((4, 3),)]),
    OpSpec("ce_sum_weight", _ce_fn(IDX_2D, weight=W3, reduction="sum"), [((4, 3),)]),
    OpSpec("ce_none_ignore", _ce_fn(IDX_IGN, reduction="none"), [((4, 3),)]),
    OpSpec("ce_smooth_weight_ignore", _ce_fn(IDX_IGN, weight=W3, label_smoothing=0.3), [((4, 3),)]),
    OpSpec("ce_kdim", _ce_fn(IDX_K, label_smoothing=0.1), [((2, 3, 2),)]),
    OpSpec("ce_kdim_none", _ce_fn(IDX_K, reduction="none", weight=W3), [((2, 3, 2),)]),
    OpSpec("ce_probs", lambda x, p: F.cross_entropy(x, p), [((4, 3), (4, 3))], make=_prob_make),
    OpSpec("ce_probs_smooth_none", lambda x, p: F.cross_entropy(x, p, weight=W3, label_smoothing=0.2,
                                                                reduction="none"),
           [((2, 3, 2), (2, 3, 2))], make=_prob_make),
    OpSpec("nll_mean_weight", lambda x: F.nll_loss(x, IDX_IGN, weight=W3), [((4, 3),)]),
    OpSpec("nll_none_kdim", lambda x: F.nll_loss(x, IDX_K, reduction="none"), [((2, 3, 2),)]),
    OpSpec("nll_sum", lambda x: F.nll_loss(x, IDX_2D, reduction="sum"), [((4, 3),)]),
    OpSpec("bce", lambda x, t: F.binary_cross_entropy(x, t), [((2, 3), (2, 3))], domain=(0.1, 0.9)),
    OpSpec("bce_weight_none", lambda x, t: F.binary_cross_entropy(
        x, t, weight=autograd.tensor([1.0, 2.0, 0.5], dtype=autograd.float64), reduction="none"),
        [((2, 3), (2, 3))], domain=(0.1, 0.9)),
    OpSpec("bce_logits", lambda x, t: F.binary_cross_entropy_with_logits(x, t), [((2, 3), (2, 3))]),
    OpSpec("bce_logits_pos_weight", lambda x, t: F.binary_cross_entropy_with_logits(
        x, t, pos_weight=autograd.tensor([1.0, 3.0, 0.5], dtype=autograd.float64), reduction="sum"),
        [((2, 3), (2, 3))]),
    OpSpec("mse", F.mse_loss, [((2, 3), (2, 3))]),
    OpSpec("l1", F.l1_loss, [((2, 3), (2, 3))], domain=lambda r, s, i: r.uniform(-2, 2, s) + 3 * i),
    OpSpec("smooth_l1", lambda x, t: F.smooth_l1_loss(x, t, beta=0.5), [((2, 3), (2, 3))],
           domain=lambda r, s, i: r.choice([-1, 1], s) * r.uniform(0.05, 0.45, s) * (2 * i - 1)),
    OpSpec("huber", lambda x, t: F.huber_loss(x, t, delta=0.7, reduction="sum"), [((2, 3), (2, 3))],
           domain=lambda r, s, i: r.uniform(-2, 2, s) * i + r.choice([-1, 1], s) * r.uniform(0.1, 0.6, s)),
    OpSpec("kl_div", lambda x, t: F.kl_div(x, t, reduction="batchmean"), [((2, 3), (2, 3))],
           domain=(0.1, 1.0)),
    OpSpec("kl_div_log_target", lambda x, t: F.kl_div(x, t, reduction="sum", log_target=True),
           [((2, 3), (2, 3))]),
    OpSpec("poisson_nll", lambda x, t: F.poisson_nll_loss(x, t), [((2, 3), (2, 3))]),
    OpSpec("gaussian_nll", lambda x, t, v: F.gaussian_nll_loss(x, t, v), [((2, 3), (2, 3), (2, 3))],
           domain=(0.5, 2.0)),
    OpSpec("soft_margin", lambda x: F.soft_margin_loss(x, autograd.tensor([1.0, -1.0, 1.0],
                                                                          dtype=autograd.float64)),
           [((3,),)]),
    OpSpec("multilabel_soft_margin", lambda x, t: F.multilabel_soft_margin_loss(x, t),
           [((2, 3), (2, 3))], constant=(1,)),
    OpSpec("cosine_embedding", lambda a, b: F.cosine_embedding_loss(
        a, b, autograd.tensor([1.0, -1.0]), margin=-0.9), [((2, 3), (2, 3))]),
]


@pytest.mark.parametrize("spec,shapes", params(LOSS_SPECS))
def test_loss_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


def test_cross_entropy_errors() -> None:
    x = autograd.zeros(3, 4)
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(2\)"):
        F.cross_entropy(x, T([0, 1]))
    with pytest.raises(IndexError, match="Target 4 is out of bounds."):
        F.cross_entropy(x, T([0, 1, 4]))
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 4 classes"):
        F.cross_entropy(x, T([0, 1, 2]), weight=autograd.ones(3))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: 1.5"):
        F.cross_entropy(x, T([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point target"):
        F.cross_entropy(x, autograd.zeros(3, 4), ignore_index=1)
    with pytest.raises(RuntimeError, match="Expected target size"):
        F.cross_entropy(autograd.zeros(2, 3, 4), T([[0, 1, 2], [0, 1, 2]]))
    with pytest.raises(ValueError, match="is not a valid value for reduction"):
        F.cross_entropy(x, T([0, 1, 2]), reduction="avg")


# ----------------------------------------------------------------------------- NLL, BCE


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_values(reduction) -> None:
    lp = log_softmax_np(rng.normal(size=(5, 4)))
    t = np.array([0, 3, -100, 1, 3])
    w = np.array([1.0, 0.5, 2.0, 3.0])
    out = F.nll_loss(T(lp), T(t), weight=T(w), reduction=reduction)
    valid = t != -100
    ts = np.where(valid, t, 0)
    per = -w[ts] * lp[np.arange(5), ts] * valid
    ref = {"none": per, "sum": per.sum(), "mean": per.sum() / (w[ts] * valid).sum()}[reduction]
    assert np.allclose(out.numpy(), ref)
    assert np.allclose(nn.NLLLoss(weight=T(w), reduction=reduction)(T(lp), T(t)).numpy(), ref)
    # cross_entropy == nll_loss(log_softmax)
    x = rng.normal(size=(5, 4))
    assert np.allclose(F.cross_entropy(T(x), T(t), reduction=reduction).numpy(),
                       F.nll_loss(F.log_softmax(T(x), 1), T(t), reduction=reduction).numpy())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_values(reduction) -> None:
    x = rng.uniform(0.05, 0.95, size=(3, 4))
    t = rng.uniform(0, 1, size=(3, 4))
    w = rng.uniform(0.5, 2, size=(4,))
    per = -w * (t * np.log(x) + (1 - t) * np.log(1 - x))
    out = F.binary_cross_entropy(T(x), T(t), weight=T(w), reduction=reduction)
    assert np.allclose(out.numpy(), reduce_np(per, reduction))
    assert np.allclose(nn.BCELoss(weight=T(w), reduction=reduction)(T(x), T(t)).numpy(),
                       reduce_np(per, reduction))


def test_bce_clamps_logs_like_pytorch() -> None:
    x = T([0.0, 1.0, 0.0], requires_grad=True)
    loss = F.binary_cross_entropy(x, T([1.0, 0.0, 0.0]), reduction="none")
    assert loss.tolist() == pytest.approx([100.0, 100.0, 0.0])
    loss.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(T([1.5]), T([1.0]))
    with pytest.raises(ValueError, match="different to the input size"):
        F.binary_cross_entropy(T([0.5, 0.5]), T([1.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_values_and_pos_weight(reduction) -> None:
    x = rng.normal(size=(3, 4)) * 3
    t = rng.uniform(0, 1, size=(3, 4))
    pw = rng.uniform(0.5, 3, size=(4,))
    w = rng.uniform(0.5, 2, size=(3, 1))
    sig = 1 / (1 + np.exp(-x))
    per = -w * (pw * t * np.log(sig) + (1 - t) * np.log(1 - sig))
    out = F.binary_cross_entropy_with_logits(T(x), T(t), weight=T(w), pos_weight=T(pw),
                                             reduction=reduction)
    assert np.allclose(out.numpy(), reduce_np(per, reduction))
    mod = nn.BCEWithLogitsLoss(weight=T(w), pos_weight=T(pw), reduction=reduction)
    assert np.allclose(mod(T(x), T(t)).numpy(), reduce_np(per, reduction))
    # equals BCE(sigmoid(x)) without pos_weight
    assert np.allclose(F.binary_cross_entropy_with_logits(T(x), T(t)).numpy(),
                       F.binary_cross_entropy(F.sigmoid(T(x)), T(t)).numpy())


def test_bce_with_logits_is_stable_for_large_logits() -> None:
    x = T([1000.0, -1000.0, 1000.0, -1000.0], requires_grad=True)
    t = T([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    assert loss.tolist() == [0.0, 0.0, 1000.0, 1000.0]
    loss.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, -1.0]


# ----------------------------------------------------------------------------- regression, misc


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses(reduction) -> None:
    x = rng.normal(size=(3, 4)) * 2
    y = rng.normal(size=(3, 4))
    d = x - y
    z = np.abs(d)
    cases = [
        (F.mse_loss(T(x), T(y), reduction=reduction), nn.MSELoss(reduction=reduction), d ** 2),
        (F.l1_loss(T(x), T(y), reduction=reduction), nn.L1Loss(reduction=reduction), z),
        (F.smooth_l1_loss(T(x), T(y), reduction=reduction, beta=0.5),
         nn.SmoothL1Loss(reduction=reduction, beta=0.5),
         np.where(z < 0.5, 0.5 * z ** 2 / 0.5, z - 0.25)),
        (F.huber_loss(T(x), T(y), reduction=reduction, delta=1.5),
         nn.HuberLoss(reduction=reduction, delta=1.5),
         np.where(z < 1.5, 0.5 * z ** 2, 1.5 * (z - 0.75))),
    ]
    for out, mod, per in cases:
        ref = reduce_np(per, reduction)
        assert np.allclose(out.numpy(), ref)
        assert np.allclose(mod(T(x), T(y)).numpy(), ref)
    # beta = 0 makes smooth L1 exactly L1
    assert np.allclose(F.smooth_l1_loss(T(x), T(y), beta=0.0).numpy(), z.mean())


def test_broadcasting_warning_and_legacy_reduction_args() -> None:
    with pytest.warns(UserWarning, match="Using a target size"):
        F.mse_loss(autograd.ones(3, 1), autograd.ones(3))
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        out = F.mse_loss(T([1.0, 3.0]), T([0.0, 0.0]), size_average=False)
    assert out.item() == 10.0
    with pytest.warns(UserWarning):
        assert nn.L1Loss(reduce=False).reduction == "none"


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
def test_kl_div_values(reduction) -> None:
    p = np.exp(log_softmax_np(rng.normal(size=(3, 4))))
    q = np.exp(log_softmax_np(rng.normal(size=(3, 4))))
    per = p * (np.log(p) - np.log(q))
    ref = per.sum() / 3 if reduction == "batchmean" else reduce_np(per, reduction)
    with pytest.warns(UserWarning) if reduction == "mean" else _nullcontext():
        out = F.kl_div(T(np.log(q)), T(p), reduction=reduction)
    assert np.allclose(out.numpy(), ref)
    out_log = nn.KLDivLoss(reduction="sum", log_target=True)(T(np.log(q)), T(np.log(p)))
    assert np.allclose(out_log.numpy(), per.sum())
    # a zero target contributes nothing (0 log 0 = 0)
    assert F.kl_div(T([[-1.0, -2.0]]), T([[0.0, 1.0]]), reduction="sum").item() == 2.0


class _nullcontext:
    def __enter__(self):
        return None

    def __exit__(self, *a):
        return False


def test_other_losses_values() -> None:
    x1, x2 = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    y = np.array([1.0, -1.0, 1.0, -1.0])
    cos = (x1 * x2).sum(1) / np.sqrt(((x1 ** 2).sum(1) + 1e-12) * ((x2 ** 2).sum(1) + 1e-12))
    ref = np.where(y == 1, 1 - cos, np.maximum(cos - 0.1, 0)).mean()
    assert np.allclose(F.cosine_embedding_loss(T(x1), T(x2), T(y), margin=0.1).numpy(), ref)
    a, b = rng.normal(size=4), rng.normal(size=4)
    assert np.allclose(nn.MarginRankingLoss(0.2)(T(a), T(b), T(y)).numpy(),
                       np.maximum(0, -y * (a - b) + 0.2).mean())
    assert np.allclose(nn.HingeEmbeddingLoss(margin=1.0, reduction="sum")(T(a), T(y)).numpy(),
                       np.where(y == 1, a, np.maximum(0, 1 - a)).sum())
    assert np.allclose(nn.SoftMarginLoss()(T(a), T(y)).numpy(), np.log1p(np.exp(-y * a)).mean())
    lam = rng.uniform(0.5, 2, size=4)
    k = np.array([0.0, 1.0, 3.0, 2.0])
    assert np.allclose(nn.PoissonNLLLoss()(T(np.log(lam)), T(k)).numpy(), (lam - k * np.log(lam)).mean())
    full = nn.PoissonNLLLoss(full=True, reduction="none")(T(np.log(lam)), T(k)).numpy()
    stirling = np.where(k > 1, k * np.log(np.maximum(k, 1)) - k + 0.5 * np.log(2 * np.pi * np.maximum(k, 1)), 0)
    assert np.allclose(full, lam - k * np.log(lam) + stirling)
    var = rng.uniform(0.5, 2, size=4)
    g = nn.GaussianNLLLoss(full=True)(T(a), T(b), T(var)).numpy()
    assert np.allclose(g, (0.5 * (np.log(var) + (a - b) ** 2 / var) + 0.5 * np.log(2 * np.pi)).mean())
    with pytest.raises(ValueError, match="var has negative entry"):
        F.gaussian_nll_loss(T(a), T(b), T(-var))
    anc, pos, neg = (rng.normal(size=(4, 3)) for _ in range(3))
    d = lambda u, v: np.linalg.norm(u - v + 1e-6, axis=1)  # noqa: E731
    assert np.allclose(nn.TripletMarginLoss(margin=0.5)(T(anc), T(pos), T(neg)).numpy(),
                       np.maximum(d(anc, pos) - d(anc, neg) + 0.5, 0).mean())
    logits = rng.normal(size=(2, 3))
    tgt = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    sig = 1 / (1 + np.exp(-logits))
    ref = (-(tgt * np.log(sig) + (1 - tgt) * np.log(1 - sig))).mean(1).mean()
    assert np.allclose(nn.MultiLabelSoftMarginLoss()(T(logits), T(tgt)).numpy(), ref)


def test_loss_modules_repr_and_buffers() -> None:
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    w = autograd.ones(3)
    ce = nn.CrossEntropyLoss(weight=w)
    assert [n for n, _ in ce.named_buffers()] == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    bce = nn.BCEWithLogitsLoss(pos_weight=autograd.ones(2))
    assert [n for n, _ in bce.named_buffers()] == ["pos_weight"]
    ce.double()
    assert ce.weight.dtype == autograd.float64


def test_seed_training_loop_with_mse() -> None:
    """The seed's integration example: Linear + MSELoss + a hand-written SGD update."""
    autograd.manual_seed(0)
    model = nn.Linear(10, 1)
    criterion = nn.MSELoss()
    xs = autograd.randn(64, 10)
    true_w = autograd.randn(10, 1)
    ys = xs @ true_w
    first = None
    for _ in range(200):
        model.zero_grad()
        loss = criterion(model(xs), ys)
        loss.backward()
        first = loss.item() if first is None else first
        for p in model.parameters():
            p.data -= 0.1 * p.grad.data
    assert loss.item() < 1e-3 * first
