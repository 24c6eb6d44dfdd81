"""Grad modes (no_grad, inference_mode, set_grad_enabled, enable_grad; thread-local),
detach / .data / requires_grad_, and every hook kind: tensor hooks, retain_grad,
post-accumulate-grad hooks, node hooks and pre-hooks."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import autograd


def _close(t, expected):
    np.testing.assert_allclose(np.asarray(t.detach()._data), expected, rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------------------------- grad modes


def test_no_graph_under_any_disabling_mode():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    with autograd.no_grad():
        a = x * 2
    with autograd.inference_mode():
        b = x * 2
        assert autograd.is_inference_mode_enabled()
    with autograd.set_grad_enabled(False):
        c = x * 2
    for t in (a, b, c):
        assert not t.requires_grad and t.grad_fn is None and t.is_leaf
    assert autograd.is_grad_enabled() and not autograd.is_inference_mode_enabled()


def test_modes_as_decorators():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)

    @autograd.no_grad()
    def f():
        return x * 2

    @autograd.inference_mode()
    def g():
        return x * 2

    @autograd.set_grad_enabled(False)
    def h():
        return x * 2

    @autograd.enable_grad()
    def k():
        return x * 2

    assert not f().requires_grad and not g().requires_grad and not h().requires_grad
    with autograd.no_grad():
        assert k().requires_grad
    assert f.__name__ == "f"
    assert autograd.is_grad_enabled()


def test_decorator_definition_does_not_switch_the_mode():
    # regression: ``@set_grad_enabled(False)`` switched grad mode off for good at
    # definition time (construction sets the mode; decorating must undo that)
    @autograd.set_grad_enabled(False)
    def h():
        return autograd.is_grad_enabled()

    assert autograd.is_grad_enabled()
    assert h() is False
    assert autograd.is_grad_enabled()


def test_bare_decorators():
    x = autograd.tensor([1.0], requires_grad=True)

    @autograd.no_grad
    def f():
        return x * 2

    @autograd.inference_mode
    def g():
        return x * 2

    @autograd.enable_grad
    def k():
        return x * 2

    assert not f().requires_grad and not g().requires_grad
    with autograd.no_grad():
        assert k().requires_grad
    assert f.__name__ == "f" and autograd.is_grad_enabled()


def test_decorated_generator_holds_the_mode_only_while_running():
    x = autograd.tensor([1.0], requires_grad=True)

    @autograd.no_grad()
    def gen():
        for i in range(3):
            received = yield (x * i).requires_grad, autograd.is_grad_enabled()
            assert received in (None, "ping")

    it = gen()
    assert next(it) == (False, False)
    assert autograd.is_grad_enabled()  # the caller between steps keeps its own mode
    assert it.send("ping") == (False, False)
    assert (x * 2).requires_grad
    it.close()
    assert autograd.is_grad_enabled()


def test_set_grad_enabled_as_function_and_nesting():
    x = autograd.tensor([1.0], requires_grad=True)
    autograd.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
        with autograd.enable_grad():
            assert (x * 2).requires_grad
        assert not autograd.is_grad_enabled()
    finally:
        autograd.set_grad_enabled(True)
    with autograd.no_grad():
        with autograd.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not autograd.is_grad_enabled()
    with autograd.inference_mode(False):
        assert (x * 2).requires_grad


def test_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with autograd.no_grad():
            raise ValueError("boom")
    assert autograd.is_grad_enabled()


def test_grad_mode_is_thread_local():
    x = autograd.tensor([1.0], requires_grad=True)
    seen = {}

    def other():
        seen["enabled"] = autograd.is_grad_enabled()
        seen["records"] = (x * 2).requires_grad
        with autograd.no_grad():
            seen["inner"] = autograd.is_grad_enabled()

    with autograd.no_grad():
        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert not autograd.is_grad_enabled()
    assert seen == {"enabled": True, "records": True, "inner": False}
    assert autograd.is_grad_enabled()


def test_backward_inside_no_grad_still_computes_grads():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    with autograd.no_grad():
        y.backward()
    _close(x.grad, [2.0, 4.0])


# ----------------------------------------------------------------------------- detach / data


def test_detach_shares_memory_and_version_but_not_graph():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    d[0] = 5.0
    _close(y, [5.0, 4.0])
    assert y._version == d._version == 1


def test_detach_in_place():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.detach_() is y
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    with pytest.raises(RuntimeError, match="Can't detach views in-place"):
        (x * 2)[1:].detach_()


def test_data_shares_memory_without_version_tracking():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    d = x.data
    assert not d.requires_grad
    d.mul_(2)
    _close(x, [2.0, 4.0])
    assert x._version == 0
    # a modification through .data is not detected by the saved-tensor check: backward
    # silently uses the new values
    y = x * 2
    z = y * y
    y.data.zero_()
    z.sum().backward()
    _close(x.grad, [0.0, 0.0])


def test_seed_optimizer_update_through_data():
    # the seed's CustomOptimizer.step / zero_grad, on a bare parameter
    param = autograd.tensor([1.0, 2.0], requires_grad=True)
    (param * param).sum().backward()
    lr = 0.5
    if param.grad is not None:
        param.data -= lr * param.grad.data
    _close(param, [0.0, 0.0])
    assert param.requires_grad and param.is_leaf and param._version == 0
    param.grad.zero_()
    _close(param.grad, [0.0, 0.0])


def test_data_setter_replaces_contents():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    x.data = autograd.tensor([5.0, 6.0, 7.0])
    assert x.shape == (3,) and x.requires_grad


def test_requires_grad_():
    x = autograd.tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad = False
    assert not x.requires_grad
    y = autograd.tensor([1.0], requires_grad=True) * 2
    assert y.requires_grad_(True) is y
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)
    with pytest.raises(RuntimeError, match="only Tensors of floating point and complex dtype"):
        autograd.tensor([1, 2]).requires_grad_()


# ----------------------------------------------------------------------------- tensor hooks


def test_leaf_hook_replaces_grad_and_can_be_removed():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    seen = []

    def hook(g):
        seen.append(g.tolist())
        return g * 10

    h = x.register_hook(hook)
    (x * 3).sum().backward()
    _close(x.grad, [30.0, 30.0])
    h.remove()
    (x * 3).sum().backward()
    _close(x.grad, [33.0, 33.0])
    assert seen == [[3.0, 3.0]]


def test_hook_runs_before_accumulation():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    x.grad = autograd.tensor([100.0, 100.0])
    before = []
    x.register_hook(lambda g: before.append(x.grad.tolist()))
    (x * 1).sum().backward()
    assert before == [[100.0, 100.0]]
    _close(x.grad, [101.0, 101.0])


def test_non_leaf_hook_changes_what_flows_on():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g + 1)
    (y * 3).sum().backward()
    _close(x.grad, [8.0, 8.0])


def test_hooks_chain_in_registration_order():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    log = []
    x.register_hook(lambda g: log.append(("h1", g.tolist())) or g * 2)
    x.register_hook(lambda g: log.append(("h2", g.tolist())))
    x.register_post_accumulate_grad_hook(lambda t: log.append(("post", t.grad.tolist())))
    (x * 1).sum().backward()
    assert log == [("h1", [1.0, 1.0]), ("h2", [2.0, 2.0]), ("post", [2.0, 2.0])]


def test_hook_handle_is_a_context_manager():
    x = autograd.tensor([1.0], requires_grad=True)
    with x.register_hook(lambda g: g * 0):
        (x * 1).sum().backward()
    _close(x.grad, [0.0])
    (x * 1).sum().backward()
    _close(x.grad, [1.0])


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        autograd.tensor([1.0]).register_hook(lambda g: g)


def test_hook_stays_with_the_value_it_was_registered_on():
    # an in-place op after registration does not move the hook (PyTorch semantics)
    x = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    y.mul_(2)
    y.sum().backward()
    assert seen == [[2.0, 2.0, 2.0]]
    _close(x.grad, [2.0, 2.0, 2.0])


def test_hooks_apply_in_autograd_grad():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 100)
    (g,) = autograd.grad((x * 2).sum(), x)
    _close(g, [200.0, 200.0])
    assert x.grad is None


def test_seed_gradient_monitor_hook(capsys):
    import autograd.nn.utils  # the seed clips inside the hook

    def gradient_monitor_hook(tensor):
        def hook_fn(grad):
            print(f"Gradient norm: {grad.norm()}")
            print(f"Gradient mean: {grad.mean()}")
            autograd.nn.utils.clip_grad_norm_([tensor], max_norm=1.0)
            return grad

        return hook_fn

    x = autograd.randn(100, requires_grad=True)
    hook_handle = x.register_hook(gradient_monitor_hook(x))
    y = (x**2).sum()
    y.backward()
    hook_handle.remove()
    out = capsys.readouterr().out
    # f-strings format a 0-dim tensor as its Python number, as PyTorch does
    norm_line, mean_line = out.splitlines()
    expected = np.asarray(x.grad._data)
    assert float(norm_line.split(": ")[1]) == pytest.approx(np.linalg.norm(expected), rel=1e-4)
    assert float(mean_line.split(": ")[1]) == pytest.approx(expected.mean(), rel=1e-4, abs=1e-6)
    _close(x.grad, 2 * np.asarray(x.detach()._data))  # the hook returned grad unchanged


# ----------------------------------------------------------------------------- retain_grad


def test_retain_grad_accumulates_across_backward_calls():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    assert y.retains_grad
    z = (y * y).sum()
    z.backward(retain_graph=True)
    _close(y.grad, [4.0, 8.0])
    z.backward()
    _close(y.grad, [8.0, 16.0])


def test_retain_grad_follows_in_place_ops():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.mul_(3)
    (y * y).sum().backward()
    _close(y.grad, [12.0, 24.0])
    _close(x.grad, [72.0, 144.0])


def test_retain_grad_through_a_view_written_in_place():
    x = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.view(3).add_(1)
    (y * 1).sum().backward()
    _close(y.grad, [1.0, 1.0, 1.0])
    _close(x.grad, [2.0, 2.0, 2.0])


def test_retain_grad_on_leaf_is_a_no_op_and_non_leaf_grad_is_none_without_it():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    x.retain_grad()
    y = x * 2
    (y * 1).sum().backward()
    _close(x.grad, [2.0, 2.0])
    assert y.grad is None
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        autograd.tensor([1.0]).retain_grad()


def test_retain_grad_in_autograd_grad():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    autograd.grad((h * 2).sum(), x)
    _close(h.grad, [2.0, 2.0])


# ----------------------------------------------------------------------------- post-accumulate hooks


def test_post_accumulate_grad_hook_once_per_backward_after_update():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    calls = []
    x.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.tolist()))
    y = x * 2
    (y + y * x).sum().backward()  # two paths into x, one call
    assert calls == [[6.0, 10.0]]
    (x * 1).sum().backward()
    assert calls == [[6.0, 10.0], [7.0, 11.0]]


def test_post_accumulate_grad_hook_not_fired_by_autograd_grad():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    calls = []
    x.register_post_accumulate_grad_hook(lambda t: calls.append(1))
    autograd.grad((x * 2).sum(), x)
    assert calls == [] and x.grad is None


def test_post_accumulate_grad_hook_errors_and_removal():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="cannot be registered on non-leaf tensors"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        autograd.ones(2).register_post_accumulate_grad_hook(lambda t: None)
    calls = []
    h = x.register_post_accumulate_grad_hook(lambda t: calls.append(1))
    h.remove()
    (x * 2).sum().backward()
    assert calls == []


# ----------------------------------------------------------------------------- node hooks


def test_node_prehook_and_hook():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    log = []

    def pre(grad_outputs):
        log.append(("pre", [g.tolist() for g in grad_outputs]))
        return (grad_outputs[0] * 2,)

    def post(grad_inputs, grad_outputs):
        log.append(("post", [None if g is None else g.tolist() for g in grad_inputs],
                    [g.tolist() for g in grad_outputs]))

    y.grad_fn.register_prehook(pre)
    h = y.grad_fn.register_hook(post)
    y.sum().backward()
    assert log == [("pre", [[1.0, 1.0]]), ("post", [[4.0, 4.0], None], [[2.0, 2.0]])]
    _close(x.grad, [4.0, 4.0])
    h.remove()


def test_node_hook_can_replace_grad_inputs():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.grad_fn.register_hook(lambda gi, go: (gi[0] * 0 + 7,))
    y.sum().backward()
    _close(x.grad, [7.0, 7.0])


def test_node_metadata_dict():
    y = autograd.tensor([1.0], requires_grad=True) * 2
    y.grad_fn.metadata["tag"] = 1
    assert y.grad_fn.metadata == {"tag": 1}
