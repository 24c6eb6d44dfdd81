"""Reverse mode: accumulation, graph freeing, higher order, ``autograd.grad`` options,
``backward(inputs=...)``, graph shape (chains, diamonds, order), graph introspection.

Expected values were checked against PyTorch 2.13 by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd.function import AccumulateGrad


def _np(t):
    return np.asarray(t.detach()._data)


def _close(t, expected, atol=1e-6):
    np.testing.assert_allclose(_np(t), np.asarray(expected, dtype=np.float64), rtol=1e-5, atol=atol)


# ----------------------------------------------------------------------------- accumulation


def test_seed_demonstrate_accumulation():
    # The seed's demonstrate_accumulation: d/dx (x^2 + x^3) = 2x + 3x^2. (The seed's
    # comment says [4., 16.]; the correct value at x = [1, 2] is [5., 16.].)
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y1 = x**2
    y2 = x**3
    loss = y1.sum() + y2.sum()
    loss.backward()
    _close(x.grad, [5.0, 16.0])


def test_grad_accumulates_across_backward_calls_in_place():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    first = x.grad
    (x * 3).sum().backward()
    assert x.grad is first  # accumulated in place, as PyTorch does
    _close(x.grad, [5.0, 5.0])
    x.grad = None
    (x * x).sum().backward()
    _close(x.grad, [2.0, 4.0])


def test_grad_accumulates_once_per_path_in_diamond():
    x = autograd.tensor([1.0, -2.0], requires_grad=True)
    a = x * 2
    b = a * 3
    c = a.exp()
    d = b + c
    (d * a).sum().backward()
    # d*a = 3a^2 + a e^a, a = 2x -> d/dx = 2 (6 a + e^a + a e^a)
    a_ = 2 * np.array([1.0, -2.0])
    _close(x.grad, 2 * (6 * a_ + np.exp(a_) + a_ * np.exp(a_)), atol=1e-4)


def test_same_tensor_used_twice_by_one_op():
    x = autograd.tensor([3.0], requires_grad=True)
    (x * x).sum().backward()
    _close(x.grad, [6.0])


def test_long_chain_needs_no_recursion():
    x = autograd.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.sum().backward()
    _close(x.grad, [1.0])
    _close(y, [100_001.0])


def test_nodes_run_most_recent_first():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    log = []
    a = x * 2
    b = x * 3
    c = a + b
    d = c.exp()
    e = a.sin()
    for name, t in (("a", a), ("b", b), ("c", c), ("d", d), ("e", e)):
        t.grad_fn.register_prehook(lambda g, name=name: log.append(name))
    (d.sum() + e.sum()).backward()
    assert log == ["e", "d", "c", "b", "a"]

    log.clear()
    ys = [x * float(i) for i in range(5)]
    for i, y in enumerate(ys):
        y.grad_fn.register_prehook(lambda g, i=i: log.append(i))
    sum(y.sum() for y in ys).backward()
    assert log == [4, 3, 2, 1, 0]


def test_leaves_of_last_layers_are_ready_first():
    # post-accumulate hooks fire in reverse order of use (what the data-parallel
    # reducer relies on to start bucket allreduces early)
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    w = autograd.tensor([1.0, 2.0], requires_grad=True)
    log = []
    x.register_post_accumulate_grad_hook(lambda t: log.append("x"))
    w.register_post_accumulate_grad_hook(lambda t: log.append("w"))
    ((x * 2) * w).sum().backward()
    assert log == ["w", "x"]


# ----------------------------------------------------------------------------- freeing the graph


def test_backward_twice_without_saved_tensors_succeeds():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    b = x + 1
    c = (b + 1).sum()
    c.backward()
    c.backward()
    _close(x.grad, [2.0, 2.0])


def test_backward_twice_through_saved_tensors_raises():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    c = (x * x).sum()
    c.backward()
    with pytest.raises(RuntimeError, match=r"Trying to backward through the graph a second time") as e:
        c.backward()
    assert "Specify retain_graph=True" in str(e.value)
    assert "MulBackward" in str(e.value)


def test_retain_graph_allows_second_backward():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    c = (x * x).sum()
    c.backward(retain_graph=True)
    c.backward()
    _close(x.grad, [4.0, 8.0])


def test_saved_tensors_after_free_raise():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.sum().backward()
    with pytest.raises(RuntimeError, match="after they have already been freed"):
        _ = y.grad_fn.saved_tensors


def test_grad_capturing_a_node_does_not_free_it():
    # regression: a node reached only to capture its gradient (not run) kept its
    # saved tensors, so the graph stays usable
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    (gy,) = autograd.grad(y, y, autograd.ones(2))
    _close(gy, [1.0, 1.0])
    gy2, gx = autograd.grad(y, [y, x], autograd.ones(2))
    _close(gy2, [1.0, 1.0])
    _close(gx, [2.0, 4.0])


# ----------------------------------------------------------------------------- higher order


def compute_hessian_element(func, inputs, i, j):
    """The seed's compute_hessian_element."""
    grad_j = autograd.grad(func, inputs, create_graph=True, retain_graph=True)[0][j]
    hess_ij = autograd.grad(grad_j, inputs, retain_graph=True)[0][i]
    return hess_ij


def compute_hessian(func, inputs):
    """The seed's compute_hessian."""
    inputs = inputs.clone().detach().requires_grad_(True)
    output = func(inputs)
    first_grads = autograd.grad(output, inputs, create_graph=True, retain_graph=True)[0]
    hessian = autograd.zeros(inputs.numel(), inputs.numel())
    for i in range(inputs.numel()):
        second_grads = autograd.grad(first_grads[i], inputs, retain_graph=True)[0]
        hessian[i] = second_grads
    return hessian


def hessian_vector_product(func, inputs, vector):
    """The seed's hessian_vector_product."""
    inputs = inputs.clone().detach().requires_grad_(True)
    output = func(inputs)
    first_grad = autograd.grad(output, inputs, create_graph=True, retain_graph=True)[0]
    hvp = autograd.grad(first_grad, inputs, grad_outputs=vector, retain_graph=True)[0]
    return hvp


def compute_jacobian(func, inputs):
    """The seed's compute_jacobian (one-hot grad_outputs rows)."""
    inputs = inputs.clone().detach().requires_grad_(True)
    outputs = func(inputs)
    jacobian = autograd.zeros(outputs.numel(), inputs.numel())
    for i in range(outputs.numel()):
        grad_outputs = autograd.zeros_like(outputs.view(-1))
        grad_outputs[i] = 1.0
        grads = autograd.grad(
            outputs, inputs, grad_outputs=grad_outputs.view(outputs.shape), retain_graph=True,
            create_graph=False,
        )[0]
        jacobian[i] = grads.view(-1)
    return jacobian


def scalar_func(x):
    return x[0] ** 3 + x[0] * x[1] ** 2 + x[1] ** 4


def test_seed_compute_hessian_element():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    f = (x**4).sum()
    _close(compute_hessian_element(f, x, 0, 0), 12.0)
    _close(compute_hessian_element(f, x, 1, 1), 48.0)
    _close(compute_hessian_element(f, x, 0, 1), 0.0)


def test_seed_compute_hessian():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    H = compute_hessian(scalar_func, x)
    # [[6 x0, 2 x1], [2 x1, 2 x0 + 12 x1^2]]
    _close(H, [[6.0, 4.0], [4.0, 50.0]])
    assert not H.requires_grad


def test_seed_hessian_vector_product():
    x = autograd.tensor([1.0, 2.0])
    v = autograd.tensor([1.0, -1.0])
    _close(hessian_vector_product(scalar_func, x, v), [6.0 - 4.0, 4.0 - 50.0])


def test_seed_compute_jacobian():
    def vector_func(x):
        return autograd.stack([x[0] ** 2 + x[1], x[0] * x[1] ** 2])

    x = autograd.tensor([2.0, 3.0], requires_grad=True)
    J = compute_jacobian(vector_func, x)
    _close(J, [[4.0, 1.0], [9.0, 12.0]])


def test_create_graph_gives_differentiable_grads():
    x = autograd.tensor([1.0, 2.0], dtype=autograd.float64, requires_grad=True)
    y = (x**3).sum()
    (g,) = autograd.grad(y, x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    _close(g, [3.0, 12.0])
    (h,) = autograd.grad(g.sum(), x, create_graph=True)
    _close(h, [6.0, 12.0])
    (t,) = autograd.grad(h.sum(), x)
    _close(t, [6.0, 6.0])


def test_backward_create_graph_then_backward_through_grad():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    x.grad = None
    g.sum().backward()
    _close(x.grad, [6.0, 12.0])


def test_create_graph_grad_does_not_alias_grad_output():
    # regression: with create_graph=True, .grad (and a retained grad) was the caller's
    # grad_output tensor itself, so an in-place update of .grad changed the caller's tensor
    v = autograd.tensor([1.0, 1.0])
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    h.retain_grad()
    (h + 0).backward(v, create_graph=True)
    assert x.grad._data is not v._data and h.grad._data is not v._data
    x.grad.mul_(5)
    assert v.tolist() == [1.0, 1.0]
    y = autograd.tensor([1.0, 2.0], requires_grad=True)
    (y**3).sum().backward(create_graph=True)
    assert y.grad.grad_fn is not None


def test_grads_without_create_graph_are_detached():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    (g,) = autograd.grad((x**3).sum(), x)
    assert not g.requires_grad and g.grad_fn is None
    (x**3).sum().backward()
    assert not x.grad.requires_grad


# ----------------------------------------------------------------------------- autograd.grad options


def test_grad_does_not_touch_dot_grad():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    w = autograd.tensor([3.0, 4.0], requires_grad=True)
    (gx,) = autograd.grad((x * w).sum(), [x])
    _close(gx, [3.0, 4.0])
    assert x.grad is None and w.grad is None


def test_grad_allow_unused_and_materialize():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    z = autograd.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"appears to not have been used in the graph.*allow_unused=True"):
        autograd.grad((x * 2).sum(), [x, z])
    gx, gz = autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
    _close(gx, [2.0, 2.0])
    assert gz is None
    gx, gz = autograd.grad((x * 2).sum(), [x, z], materialize_grads=True)
    _close(gz, [0.0, 0.0])
    assert gz.shape == z.shape and gz.dtype == z.dtype
    with pytest.raises(ValueError, match="allow_unused"):
        autograd.grad((x * 2).sum(), x, allow_unused=False, materialize_grads=True)


def test_grad_is_grads_batched():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = x**2
    (jac,) = autograd.grad(y, x, autograd.eye(2), is_grads_batched=True)
    _close(jac, [[2.0, 0.0], [0.0, 4.0]])
    assert jac.shape == (2, 2)


def test_grad_of_non_leaf_inputs():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = (h**2).sum()
    gh, gx = autograd.grad(y, [h, x])
    _close(gh, [6.0, 12.0])
    _close(gx, [18.0, 36.0])


def test_grad_of_views():
    x = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = x[1:]
    gv, gx = autograd.grad((v * v).sum(), [v, x])
    _close(gv, [4.0, 6.0])
    _close(gx, [0.0, 4.0, 6.0])


def test_grad_several_outputs_with_grad_outputs():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    (g,) = autograd.grad([x * 2, x**2], x, [autograd.ones(2), autograd.tensor([1.0, 10.0])])
    _close(g, [2.0 + 2.0, 2.0 + 40.0])
    # None in grad_outputs means "implicit 1" for a scalar output
    (g,) = autograd.grad([(x * 2).sum(), (x * 3).sum()], x, [None, autograd.tensor(2.0)])
    _close(g, [8.0, 8.0])
    with pytest.raises(RuntimeError, match="grad_outputs must be of the same length as outputs"):
        autograd.grad([(x * 2).sum(), (x * 3).sum()], x, [None])


def test_grad_of_output_with_itself():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    (g,) = autograd.grad(x.sum(), x)
    _close(g, [1.0, 1.0])
    (g,) = autograd.grad(x, x, autograd.tensor([3.0, 4.0]))
    _close(g, [3.0, 4.0])


def test_grad_input_that_does_not_require_grad():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    c = autograd.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad((x * c).sum(), [c])
    with pytest.raises(RuntimeError, match="requires non-empty inputs"):
        autograd.grad((x * c).sum(), [])


def test_same_root_twice_accumulates():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    autograd.backward([y, y], [autograd.ones(2), autograd.ones(2)])
    _close(x.grad, [4.0, 4.0])


def test_backward_function_and_grad_tensors():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    autograd.backward(x * 3, grad_tensors=autograd.tensor([1.0, 2.0]))
    _close(x.grad, [3.0, 6.0])


# ----------------------------------------------------------------------------- backward(inputs=)


def test_backward_inputs_accumulates_only_into_those():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    w = autograd.tensor([3.0, 4.0], requires_grad=True)
    h = x * w
    h.retain_grad()
    y = (h * h).sum()
    y.backward(inputs=[x], retain_graph=True)
    _close(x.grad, [18.0, 64.0])  # 2 h w
    assert w.grad is None
    _close(h.grad, [6.0, 16.0])  # h's node ran on the way to x: retain_grad saw it
    y.backward(inputs=[h])
    _close(h.grad, [12.0, 32.0])
    _close(x.grad, [18.0, 64.0])
    assert w.grad is None


def test_backward_inputs_non_leaf():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    (h * h).sum().backward(inputs=[h])
    _close(h.grad, [4.0, 8.0])
    assert x.grad is None


def test_backward_inputs_runs_post_accumulate_hooks_of_those_only():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    w = autograd.tensor([1.0, 2.0], requires_grad=True)
    log = []
    x.register_post_accumulate_grad_hook(lambda t: log.append("x"))
    w.register_post_accumulate_grad_hook(lambda t: log.append("w"))
    (x * w).sum().backward(inputs=[w])
    assert log == ["w"]


def test_backward_inputs_errors():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (x * 2).sum().backward(inputs=[])
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x * 2).sum().backward(inputs=[autograd.ones(2)])


# ----------------------------------------------------------------------------- introspection


def test_grad_fn_next_functions_and_names():
    x = autograd.tensor([1.0], requires_grad=True)
    y = (x * autograd.tensor([2.0])).exp()
    assert y.grad_fn.name() == "ExpBackward"
    assert "ExpBackward" in repr(y.grad_fn)
    ((mul, nr),) = y.grad_fn.next_functions
    assert mul.name() == "MulBackward" and nr == 0
    (acc, _), (none, _) = mul.next_functions
    assert isinstance(acc, AccumulateGrad) and acc.name() == "AccumulateGrad"
    assert acc.variable is x
    assert none is None
    assert x.grad_fn is None and x.is_leaf and not y.is_leaf


def test_next_functions_list_tensor_arguments_only():
    class Scale(autograd.Function):
        @staticmethod
        def forward(ctx, x, k, y):
            return x * k * y

        @staticmethod
        def backward(ctx, g):
            return g, None, g

    x = autograd.ones(2, requires_grad=True)
    out = Scale.apply(x, 2.0, autograd.ones(2))
    (acc, _), (none, _) = out.grad_fn.next_functions
    assert acc.variable is x and none is None
    assert len(x.sum().grad_fn.next_functions) == 1  # dims/keepdim are not inputs


def test_accumulate_grad_node_is_shared_by_uses():
    x = autograd.tensor([1.0], requires_grad=True)
    a, b = x * 2, x * 3
    assert a.grad_fn.next_functions[0][0] is b.grad_fn.next_functions[0][0]


def test_requires_grad_propagation():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    c = autograd.tensor([1.0, 2.0])
    assert (x * c).requires_grad
    assert not (c * c).requires_grad
    assert (c + x).grad_fn is not None
    assert not (x > 1).requires_grad  # bool outputs never require grad
    assert not x.detach().requires_grad
    assert (x.detach() * x).requires_grad


def test_grad_flows_through_dtype_cast():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.dtype == autograd.float64 and y.grad_fn is not None
    (y * y).sum().backward()
    assert x.grad.dtype == autograd.float32
    _close(x.grad, [2.0, 4.0])
