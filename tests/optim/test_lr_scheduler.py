"""LR schedulers against their closed forms over many steps, state_dict round trips,
warnings and errors."""

from __future__ import annotations

import copy
import json
import math
from bisect import bisect_right

import numpy as np
import pytest

import autograd
import optim
from optim import lr_scheduler as ls

BASES = (0.1, 0.3)


def _opt(cls=optim.SGD, **kw):
    params = [autograd.zeros(1, requires_grad=True) for _ in BASES]
    return cls([{"params": [p], "lr": lr} for p, lr in zip(params, BASES)], **kw)


def _trace(sched, opt, steps):
    """Learning rates for epochs 0..steps (after construction, then after each step)."""
    out = [list(sched.get_last_lr())]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append(list(sched.get_last_lr()))
        assert out[-1] == [g["lr"] for g in opt.param_groups]
    return np.array(out)


def _cos(base, lo, t, T):
    return lo + (base - lo) * (1 + math.cos(math.pi * t / T)) / 2


def _warm_restarts(base, lo, t, T0, mult):
    T_i, T_cur = T0, t
    while T_cur >= T_i:
        T_cur -= T_i
        T_i *= mult
    return _cos(base, lo, T_cur, T_i)


def _one_cycle(group_max, t, total, pct=0.3, div=25.0, final=1e4, cos=True):
    init = group_max / div
    low = init / final
    up_end = pct * total - 1

    def anneal(a, b, frac):
        return b + (a - b) / 2 * (math.cos(math.pi * frac) + 1) if cos else a + (b - a) * frac

    if t <= up_end:
        return anneal(init, group_max, t / up_end)
    return anneal(group_max, low, (t - up_end) / (total - 1 - up_end))


CLOSED_FORMS = {
    "StepLR": (lambda o: ls.StepLR(o, step_size=7, gamma=0.6),
               lambda b, t: b * 0.6 ** (t // 7)),
    "MultiStepLR": (lambda o: ls.MultiStepLR(o, milestones=[30, 10, 60, 60], gamma=0.5),
                    lambda b, t: b * 0.5 ** bisect_right([10, 30, 60, 60], t)),
    "ExponentialLR": (lambda o: ls.ExponentialLR(o, gamma=0.97), lambda b, t: b * 0.97 ** t),
    "CosineAnnealingLR": (lambda o: ls.CosineAnnealingLR(o, T_max=25, eta_min=0.01),
                          lambda b, t: _cos(b, 0.01, t, 25)),
    "LinearLR": (lambda o: ls.LinearLR(o, start_factor=0.05, end_factor=0.8, total_iters=40),
                 lambda b, t: b * (0.05 + 0.75 * min(t, 40) / 40)),
    "ConstantLR": (lambda o: ls.ConstantLR(o, factor=0.25, total_iters=13),
                   lambda b, t: b * (0.25 if t < 13 else 1.0)),
    "LambdaLR": (lambda o: ls.LambdaLR(o, lambda e: 1 / math.sqrt(1 + e)),
                 lambda b, t: b / math.sqrt(1 + t)),
    "MultiplicativeLR": (lambda o: ls.MultiplicativeLR(o, lambda e: 0.99),
                         lambda b, t: b * 0.99 ** t),
    "PolynomialLR": (lambda o: ls.PolynomialLR(o, total_iters=50, power=2.0),
                     lambda b, t: b * (1 - min(t, 50) / 50) ** 2),
    "CosineAnnealingWarmRestarts": (
        lambda o: ls.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.001),
        lambda b, t: _warm_restarts(b, 0.001, t, 5, 2)),
    "CosineAnnealingWarmRestarts-1": (
        lambda o: ls.CosineAnnealingWarmRestarts(o, T_0=9),
        lambda b, t: _warm_restarts(b, 0.0, t, 9, 1)),
    "SequentialLR": (
        lambda o: ls.SequentialLR(o, [ls.LinearLR(o, start_factor=0.1, total_iters=8),
                                      ls.CosineAnnealingLR(o, T_max=40)], milestones=[8]),
        lambda b, t: b * (0.1 + 0.9 * t / 8) if t < 8 else _cos(b, 0.0, t - 8, 40)),
    "ChainedScheduler": (
        lambda o: ls.ChainedScheduler([ls.ExponentialLR(o, gamma=0.98),
                                       ls.StepLR(o, step_size=20, gamma=0.5)]),
        lambda b, t: b * 0.98 ** t * 0.5 ** (t // 20)),
}


@pytest.mark.parametrize("name", list(CLOSED_FORMS))
def test_matches_closed_form(name):
    make, closed = CLOSED_FORMS[name]
    opt = _opt()
    steps = 120
    got = _trace(make(opt), opt, steps)
    want = np.array([[closed(b, t) for b in BASES] for t in range(steps + 1)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("three_phase,cos", [(False, True), (False, False), (True, True)])
def test_one_cycle_lr_and_momentum(three_phase, cos):
    total = 50
    opt = _opt(momentum=0.9)
    sched = ls.OneCycleLR(opt, max_lr=[1.0, 2.0], total_steps=total, three_phase=three_phase,
                          anneal_strategy="cos" if cos else "linear")
    moms = [opt.param_groups[0]["momentum"]]
    got = [sched.get_last_lr()]
    for _ in range(total - 1):
        opt.step()
        sched.step()
        got.append(sched.get_last_lr())
        moms.append(opt.param_groups[0]["momentum"])
    got = np.array(got)
    assert got[0].tolist() == pytest.approx([0.04, 0.08], rel=1e-12)
    assert got[14].tolist() == pytest.approx([1.0, 2.0], rel=1e-12)  # the peak: pct * total - 1
    assert moms[0] == 0.95 and moms[14] == pytest.approx(0.85, rel=1e-12)
    if not three_phase:
        want = [[_one_cycle(m, t, total, cos=cos) for m in (1.0, 2.0)] for t in range(total)]
        np.testing.assert_allclose(got, want, rtol=1e-12)
        assert got[-1].tolist() == pytest.approx([0.04 / 1e4, 0.08 / 1e4], rel=1e-9)
        assert moms[-1] == pytest.approx(0.95, rel=1e-12)
    else:  # back to the initial rate at 2 * pct * total - 2, then down to the minimum
        assert got[28].tolist() == pytest.approx([0.04, 0.08], rel=1e-12)
        assert got[-1].tolist() == pytest.approx([0.04 / 1e4, 0.08 / 1e4], rel=1e-9)
    opt.step()
    sched.step()  # step `total` is allowed (PyTorch's bound), one more is not
    with pytest.raises(ValueError, match=f"Tried to step {total + 1} times"):
        sched.step()


def test_one_cycle_cycles_adam_beta1():
    opt = _opt(optim.Adam, betas=(0.9, 0.95))
    sched = ls.OneCycleLR(opt, max_lr=0.5, total_steps=20, base_momentum=0.8,
                          max_momentum=0.9)
    assert opt.param_groups[0]["betas"] == (0.9, 0.95)
    for _ in range(3):  # rising lr, falling beta1 (the peak is at step 5)
        opt.step()
        sched.step()
    beta1, beta2 = opt.param_groups[1]["betas"]
    assert beta2 == 0.95 and 0.8 < beta1 < 0.9
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        ls.OneCycleLR(_opt(optim.Adagrad), max_lr=1.0, total_steps=10)


def test_reduce_lr_on_plateau():
    opt = _opt()
    sched = ls.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1,
                                 min_lr=[0.0, 0.1], threshold=0.1)
    metrics = [1.0, 0.95, 0.92, 0.91, 0.5, 0.49, 0.48, 0.47, 0.46, 0.46, 0.46, 0.46]
    lrs = []
    for m in metrics:
        sched.step(m)
        lrs.append(sched.get_last_lr())
    # 0.95 / 0.92 / 0.91 are not 10% better than 1.0: the 3rd bad epoch (> patience 2)
    # halves the rate, then one cooldown epoch (0.5 improves anyway); 0.49, 0.48, 0.47
    # are not 10% better than 0.5: halve again; cooldown (0.46); three more bad epochs
    assert [lr[0] for lr in lrs] == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025,
                                     0.025, 0.025, 0.0125]
    assert [lr[1] for lr in lrs] == [0.3] * 3 + [0.15] * 4 + [0.1] * 5  # min_lr 0.1
    opt2 = _opt()
    s2 = ls.ReduceLROnPlateau(opt2, mode="max", threshold_mode="abs", threshold=0.5,
                              patience=0)
    s2.step(1.0)
    s2.step(1.4)  # not better by 0.5 in absolute terms
    assert s2.get_last_lr() == pytest.approx([0.01, 0.03])
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        ls.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode foo is unknown!"):
        ls.ReduceLROnPlateau(opt, mode="foo")


class _Warmup:
    """A callable lambda with state: its __dict__ goes into the state dict."""

    def __init__(self, n):
        self.n = n

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.n)


ROUND_TRIP = {
    "StepLR": lambda o: ls.StepLR(o, 4, 0.5),
    "MultiStepLR": lambda o: ls.MultiStepLR(o, [3, 12, 14], 0.5),
    "CosineAnnealingLR": lambda o: ls.CosineAnnealingLR(o, 9, 0.001),
    "LinearLR": lambda o: ls.LinearLR(o, 0.2, 1.0, 15),
    "LambdaLR": lambda o: ls.LambdaLR(o, [_Warmup(12), lambda e: 0.9 ** e]),
    "OneCycleLR": lambda o: ls.OneCycleLR(o, 1.0, total_steps=40),
    "SequentialLR": lambda o: ls.SequentialLR(
        o, [ls.ConstantLR(o, 0.5, 5), ls.ExponentialLR(o, 0.9)], [7]),
    "CosineAnnealingWarmRestarts": lambda o: ls.CosineAnnealingWarmRestarts(o, 4, 2),
    "ReduceLROnPlateau": lambda o: ls.ReduceLROnPlateau(o, patience=1),
}


@pytest.mark.parametrize("name", list(ROUND_TRIP))
def test_state_dict_round_trip(name):
    def advance(opt, sched, n, start):
        out = []
        for i in range(start, start + n):
            opt.step()
            if name == "ReduceLROnPlateau":
                sched.step(1.0 / (1 + i // 4))
            else:
                sched.step()
            out.append((sched.get_last_lr(), [dict(g, params=None) for g in opt.param_groups]))
        return out

    opt = _opt(momentum=0.9)
    sched = ROUND_TRIP[name](opt)
    advance(opt, sched, 10, 0)
    opt_sd, sched_sd = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
    expected = advance(opt, sched, 25, 10)

    opt2 = _opt(momentum=0.9)
    sched2 = ROUND_TRIP[name](opt2)
    if name == "LambdaLR":
        sched2.lr_lambdas[0].n = 99  # restored from the state dict
    opt2.load_state_dict(opt_sd)
    sched2.load_state_dict(sched_sd)
    assert sched2.last_epoch == sched_sd["last_epoch"]
    assert advance(opt2, sched2, 25, 10) == expected


def test_multistep_state_survives_json():
    opt = _opt()
    sched = ls.MultiStepLR(opt, [2, 4, 4], 0.5)
    for _ in range(3):
        opt.step()
        sched.step()
    sd = json.loads(json.dumps(sched.state_dict()))
    sched2 = ls.MultiStepLR(_opt(), [100])
    sched2.load_state_dict(sd)
    assert sched2.milestones == {2: 1, 4: 2}


def test_step_order_and_get_lr_warnings():
    opt = _opt()
    sched = ls.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()
    with pytest.warns(UserWarning, match="epoch parameter in `scheduler.step\\(\\)`"):
        sched.step(6)
    assert sched.get_last_lr() == pytest.approx([0.1 * 0.1 ** 3, 0.3 * 0.1 ** 3])


def test_initial_lr_and_base_lrs():
    opt = _opt()
    sched = ls.ExponentialLR(opt, 0.5)
    assert sched.base_lrs == list(BASES) and sched.last_epoch == 0
    assert [g["initial_lr"] for g in opt.param_groups] == list(BASES)
    with pytest.raises(KeyError, match="initial_lr"):
        ls.StepLR(_opt(), 3, last_epoch=5)
    resumed = ls.StepLR(opt, 3, last_epoch=5)  # initial_lr exists: resume at epoch 6
    assert resumed.last_epoch == 6


def test_scheduler_errors():
    opt = _opt()
    with pytest.raises(TypeError, match="is not an Optimizer"):
        ls.StepLR(object(), 3)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        ls.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="Constant multiplicative factor"):
        ls.ConstantLR(opt, factor=2)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        ls.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(ValueError, match="number of milestones"):
        ls.SequentialLR(opt, [ls.StepLR(opt, 2), ls.StepLR(opt, 3)], milestones=[])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        ls.SequentialLR(opt, [ls.StepLR(opt, 2), ls.ReduceLROnPlateau(opt)], milestones=[3])
    with pytest.raises(ValueError, match="Expected positive integer T_0"):
        ls.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="You must define either total_steps"):
        ls.OneCycleLR(opt, 1.0)
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        ls.OneCycleLR(opt, [1.0], total_steps=10)
