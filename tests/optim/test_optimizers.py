"""Optimizers: 20-step trajectories against the NumPy references of PyTorch's
algorithms (float64 to 1e-12, float32 to 1e-6), param groups, state_dict round trips,
zero_grad, closures, hooks, errors and repr."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import autograd
import optim

from .reference import reference

RNG = np.random.default_rng(0)
W0 = RNG.standard_normal((3, 4))
B0 = RNG.standard_normal(4)
X = RNG.standard_normal((5, 3))
Y = RNG.standard_normal((5, 4))

# (optimizer, shared kwargs, per-group overrides for the second group [b])
CONFIGS = [
    ("SGD", dict(lr=0.05), dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9), dict(momentum=0.5, dampening=0.2)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01), dict(lr=0.02)),
    ("SGD", dict(lr=0.02, momentum=0.8, nesterov=True, weight_decay=0.1), dict(lr=0.04)),
    ("SGD", dict(lr=0.001, momentum=0.5, nesterov=True, maximize=True), dict(weight_decay=0.3)),
    ("Adam", dict(lr=0.05), dict(lr=0.1, betas=(0.8, 0.99))),
    ("Adam", dict(lr=0.05, weight_decay=0.1, amsgrad=True), dict(weight_decay=0.0)),
    ("Adam", dict(lr=0.01, betas=(0.3, 0.9), maximize=True, eps=1e-3), dict(amsgrad=True)),
    ("AdamW", dict(lr=0.05), dict(lr=0.02)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, amsgrad=True), dict(weight_decay=0.0)),
    ("RMSprop", dict(lr=0.01), dict(lr=0.02, alpha=0.9)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1),
     dict(momentum=0.0)),
    ("RMSprop", dict(lr=0.001, alpha=0.6, eps=0.1, centered=True, maximize=True),
     dict(centered=False)),
    ("Adagrad", dict(lr=0.1), dict(lr=0.2)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2),
     dict(lr_decay=0.0)),
    ("Adagrad", dict(lr=0.01, maximize=True, eps=1e-6), dict(initial_accumulator_value=1.0)),
]


def _ids(cfg):
    return f"{cfg[0]}-{cfg[1]}-{cfg[2]}"


def _loss(W, b, x, y):
    return (((x @ W + b) - y) ** 2).mean() + (W ** 4).sum() * 0.01


def _numpy_grads(W, b):
    r = X.astype(W.dtype) @ W + b - Y.astype(W.dtype)
    n = r.size
    return (2 / n) * X.astype(W.dtype).T @ r + 0.04 * W ** 3, (2 / n) * r.sum(0)


def _run(name, kw, kw_b, dtype, steps=20):
    W = autograd.tensor(W0.astype(dtype), requires_grad=True)
    b = autograd.tensor(B0.astype(dtype), requires_grad=True)
    x, y = autograd.tensor(X.astype(dtype)), autograd.tensor(Y.astype(dtype))
    opt = getattr(optim, name)([{"params": [W]}, {"params": [b], **kw_b}], **kw)
    path = []
    for _ in range(steps):
        opt.zero_grad()
        _loss(W, b, x, y).backward()
        opt.step()
        path.append((W.detach().numpy().copy(), b.detach().numpy().copy()))
    return path, opt


def _reference(name, kw, kw_b, dtype, steps=20):
    refs = [reference(name, kw), reference(name, {**kw, **kw_b})]
    states = [{}, {}]
    W, b = W0.astype(dtype), B0.astype(dtype)
    path = []
    for _ in range(steps):
        gW, gb = _numpy_grads(W, b)
        W = refs[0].step(W, gW, states[0]).astype(dtype)
        b = refs[1].step(b, gb, states[1]).astype(dtype)
        path.append((W, b))
    return path


@pytest.mark.parametrize("cfg", CONFIGS, ids=_ids)
@pytest.mark.parametrize("dtype,tol", [("float64", 1e-12), ("float32", 1e-6)])
def test_trajectory_matches_reference(cfg, dtype, tol):
    name, kw, kw_b = cfg
    ours, _ = _run(name, kw, kw_b, dtype)
    ref = _reference(name, kw, kw_b, dtype)
    for step, ((W, b), (rW, rb)) in enumerate(zip(ours, ref)):
        assert W.dtype == np.dtype(dtype)
        np.testing.assert_allclose(W, rW, rtol=tol, atol=tol, err_msg=f"W at step {step + 1}")
        np.testing.assert_allclose(b, rb, rtol=tol, atol=tol, err_msg=f"b at step {step + 1}")


@pytest.mark.parametrize("cfg", CONFIGS[1::2], ids=_ids)
def test_state_dict_round_trip_continues_identically(cfg):
    name, kw, kw_b = cfg
    ref_path, _ = _run(name, kw, kw_b, "float64", steps=20)
    _, opt = _run(name, kw, kw_b, "float64", steps=8)
    sd = opt.state_dict()
    W0_, b0_ = (p.detach().numpy().copy() for g in opt.param_groups for p in g["params"])
    # a fresh optimizer with other hyperparameters takes everything from the state dict
    W = autograd.tensor(W0_, requires_grad=True)
    b = autograd.tensor(b0_, requires_grad=True)
    opt2 = getattr(optim, name)([{"params": [W]}, {"params": [b]}], lr=123.0)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == kw["lr"]
    assert opt2.state_dict()["param_groups"] == sd["param_groups"]
    x, y = autograd.tensor(X), autograd.tensor(Y)
    for step in range(8, 20):
        if step == 10:  # the original keeps training: the loaded copy must not follow it
            for p in (q for g in opt.param_groups for q in g["params"]):
                p.grad = autograd.ones_like(p)
            opt.step()
        opt2.zero_grad()
        _loss(W, b, x, y).backward()
        opt2.step()
        np.testing.assert_array_equal(W.detach().numpy(), ref_path[step][0])
        np.testing.assert_array_equal(b.detach().numpy(), ref_path[step][1])


def test_state_dict_format_and_casts():
    w = autograd.randn(3, requires_grad=True)
    v = autograd.randn(2, requires_grad=True)
    opt = optim.Adam([{"params": [w]}, {"params": [v], "lr": 0.5}], amsgrad=True)
    w.grad = autograd.ones(3)
    opt.step()
    sd = opt.state_dict()
    assert list(sd["state"]) == [0]  # v had no gradient, so no state
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    # loading into float64 parameters casts the buffers but not the step counter
    w64 = autograd.randn(3, dtype=autograd.float64, requires_grad=True)
    v64 = autograd.randn(2, dtype=autograd.float64, requires_grad=True)
    opt64 = optim.Adam([{"params": [w64]}, {"params": [v64]}])
    opt64.load_state_dict(sd)
    st = opt64.state[w64]
    assert st["exp_avg"].dtype == autograd.float64
    assert st["step"].dtype == autograd.float32 and float(st["step"]) == 1.0
    np.testing.assert_allclose(st["exp_avg"].numpy(), sd["state"][0]["exp_avg"].numpy())
    assert st["exp_avg"]._data is not sd["state"][0]["exp_avg"]._data
    # integer keys that went through JSON as strings still find their parameter
    opt64.load_state_dict({**sd, "state": {str(k): v for k, v in sd["state"].items()}})
    assert float(opt64.state[w64]["step"]) == 1.0
    # a step saved as a plain number becomes the float32 counter again
    opt64.load_state_dict({**sd, "state": {0: {**sd["state"][0], "step": 4}}})
    assert opt64.state[w64]["step"].dtype == autograd.float32
    w64.grad = autograd.ones_like(w64)
    opt64.step()
    assert float(opt64.state[w64]["step"]) == 5.0


def test_load_state_dict_validates_groups():
    a, b = autograd.zeros(2, requires_grad=True), autograd.zeros(3, requires_grad=True)
    sd = optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([a, b], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        optim.SGD([{"params": [a, b]}, {"params": [autograd.zeros(1, requires_grad=True)]}],
                  lr=0.1).load_state_dict(sd)


def test_zero_grad():
    w = autograd.ones(3, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * 2).sum().backward()
    arr = w.grad._data
    opt.zero_grad(set_to_none=False)
    assert w.grad._data is arr and w.grad.tolist() == [0.0, 0.0, 0.0]
    assert not w.grad.requires_grad
    opt.zero_grad()
    assert w.grad is None
    opt.step()  # no gradient: nothing moves, no state
    assert w.tolist() == [1.0, 1.0, 1.0] and len(opt.state) == 0


def test_closure_is_reevaluated_with_grad_enabled():
    w = autograd.tensor([3.0, -2.0], dtype=autograd.float64, requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.5)
    calls = []

    def closure():
        opt.zero_grad()
        loss = ((w - 1.0) ** 2).sum()
        loss.backward()
        calls.append(float(loss))
        return loss

    with autograd.no_grad():
        first = opt.step(closure)
    assert float(first) == 13.0
    for _ in range(100):
        opt.step(closure)
    np.testing.assert_allclose(w.detach().numpy(), [1.0, 1.0], atol=1e-8)
    assert len(calls) == 101 and calls[-1] < 1e-15


def test_step_hooks():
    w = autograd.zeros(1, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    seen = []

    def pre(o, args, kwargs):
        seen.append(("pre", args, kwargs))
        return (), {"closure": lambda: 7.0}

    h1 = opt.register_step_pre_hook(pre)
    h2 = opt.register_step_post_hook(lambda o, args, kwargs: seen.append(("post", kwargs)))
    g = optim.optimizer.register_optimizer_step_pre_hook(lambda o, a, k: seen.append("global"))
    assert opt.step() == 7.0
    assert seen[0] == "global" and seen[1] == ("pre", (), {}) and seen[2][0] == "post"
    h1.remove(), h2.remove(), g.remove()
    seen.clear()
    opt.step()
    assert seen == []
    opt.register_step_pre_hook(lambda o, a, k: 5)
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        opt.step()


def test_custom_subclass_gets_hooks_once():
    class Halve(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 0.5})

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p._data *= group["lr"]
            return None

    class Child(Halve):
        def step(self, closure=None):
            return super().step(closure)

    w = autograd.ones(2, requires_grad=True)
    opt = Child([w])
    count = []
    opt.register_step_post_hook(lambda o, a, k: count.append(1))
    opt.step()
    assert count == [1] and w.tolist() == [0.5, 0.5]


def test_param_group_errors_and_defaults():
    a, b = autograd.zeros(2, requires_grad=True), autograd.zeros(2, requires_grad=True)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [b, a]})
    opt.add_param_group({"params": b, "lr": 0.3})
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["lr"] == 0.3
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.Adam(a)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.Adam([{"params": {a}}])
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.Adam([a * 2])
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.Adam([a, 3.0])
    named = optim.SGD([("w", a), ("v", b)], lr=0.1)
    assert named.param_groups[0]["param_names"] == ["w", "v"]
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([a, a], lr=0.1)


@pytest.mark.parametrize("make,message", [
    (lambda p: optim.SGD(p, lr=-0.1), "Invalid learning rate: -0.1"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-1), "Invalid momentum value: -1"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True),
     "Nesterov momentum requires a momentum and zero dampening"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
     "Nesterov momentum requires a momentum and zero dampening"),
    (lambda p: optim.Adam(p, lr=-1.0), "Invalid learning rate: -1.0"),
    (lambda p: optim.Adam(p, eps=-1.0), "Invalid epsilon value: -1.0"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    (lambda p: optim.AdamW(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (lambda p: optim.AdamW(p, weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    (lambda p: optim.RMSprop(p, alpha=-0.5), "Invalid alpha value: -0.5"),
    (lambda p: optim.RMSprop(p, momentum=-0.5), "Invalid momentum value: -0.5"),
    (lambda p: optim.Adagrad(p, lr_decay=-0.5), "Invalid lr_decay value: -0.5"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1),
     "Invalid initial_accumulator_value value: -1"),
    (lambda p: optim.Adam(p, differentiable=True), "differentiable=True is not supported"),
])
def test_hyperparameter_validation(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make([autograd.zeros(1, requires_grad=True)])


def test_repr_lists_groups():
    opt = optim.SGD([{"params": [autograd.zeros(1, requires_grad=True)]},
                     {"params": [autograd.zeros(1, requires_grad=True)], "lr": 1.0}], lr=0.1)
    text = repr(opt)
    assert text.startswith("SGD (\nParameter Group 0\n    dampening: 0\n")
    assert "Parameter Group 1" in text and "    lr: 1.0\n" in text and text.endswith(")")


def test_step_bumps_version_counter():
    w = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    w.grad = autograd.ones(2)
    before = w._version
    optim.Adam([w]).step()
    assert w._version > before
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_complex_parameters_follow_real_view():
    # PyTorch optimizes a complex parameter as the pair (real, imag) of real ones
    z = autograd.tensor(np.array([1 + 2j, -0.5 + 0.1j]), requires_grad=True)
    r = autograd.tensor(np.array([[1.0, 2.0], [-0.5, 0.1]]), requires_grad=True)
    gz = np.array([0.3 - 0.2j, -1.0 + 0.4j])
    oz = optim.Adam([z], lr=0.1, amsgrad=True, weight_decay=0.1)
    orr = optim.Adam([r], lr=0.1, amsgrad=True, weight_decay=0.1)
    for k in range(5):
        z.grad = autograd.tensor(gz * (k + 1))
        r.grad = autograd.tensor(np.stack([gz.real, gz.imag], -1) * (k + 1))
        oz.step()
        orr.step()
    got = z.detach().numpy()
    np.testing.assert_array_equal(np.stack([got.real, got.imag], -1), r.detach().numpy())


def test_adagrad_state_exists_before_first_step():
    w = autograd.zeros(2, requires_grad=True)
    opt = optim.Adagrad([w], initial_accumulator_value=0.5)
    assert opt.state[w]["sum"].tolist() == [0.5, 0.5] and float(opt.state[w]["step"]) == 0.0
    v = autograd.zeros(1, requires_grad=True)
    opt.add_param_group({"params": [v]})
    v.grad = autograd.ones(1)
    opt.step()  # a group added later gets its state at its first step
    assert float(opt.state[v]["step"]) == 1.0


def test_deepcopy_of_optimizer():
    w = autograd.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = autograd.ones(2)
    opt.step()
    clone = copy.deepcopy(opt)
    assert clone.param_groups[0]["lr"] == 0.1 and len(clone.state) == 1
