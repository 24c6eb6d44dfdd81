"""Structural properties that make training fast (asserted on structure, never on
wall-clock time; the timings are ``python -m launch bench ops``, docs/performance.md):

- once warm, a training step allocates nothing new that outlives it, and its peak is
  the activations plus one gradient per parameter (no copies of large arrays);
- a freshly computed gradient array becomes ``.grad`` as it is (stolen, not copied),
  while one the caller still holds is copied; later backwards accumulate in place;
- without create_graph, the hot ops' backward runs on arrays (no Tensor, no new op
  per node), while create_graph keeps every derivative differentiable;
- an op records a bounded number of Python objects, and backward frees the saved
  activations and leaves no graph behind (no reference cycles: refcounting frees it);
- numbers meet arrays through cached 0-d arrays; float32 erf is fast and within one ulp.
"""

from __future__ import annotations

import gc
import math
import tracemalloc
import weakref

import numpy as np

import autograd
import autograd.nn.functional as F
import optim
from autograd import function, nn
from autograd.ops import special
from autograd.ops._util import scalar_operand
from tests.autograd.harness import count_op_calls

IN, HIDDEN, OUT, BATCH = 256, 512, 10, 32


def _pointer(t: autograd.Tensor) -> int:
    return t._data.__array_interface__["data"][0]


def _mlp() -> tuple[nn.Module, autograd.Tensor, autograd.Tensor]:
    autograd.manual_seed(0)
    model = nn.Sequential(nn.Linear(IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
                          nn.Linear(HIDDEN, OUT))
    x = autograd.randn(BATCH, IN)
    y = autograd.tensor(np.arange(BATCH) % OUT)
    return model, x, y


def _step(model: nn.Module, opt: optim.Optimizer, x: autograd.Tensor, y: autograd.Tensor,
          set_to_none: bool = True) -> None:
    opt.zero_grad(set_to_none=set_to_none)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()


# ----------------------------------------------------------------------------- memory per step


def test_warm_training_step_keeps_no_new_memory_and_peaks_at_activations_plus_grads() -> None:
    model, x, y = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    for _ in range(3):
        _step(model, opt, x, y)
    param_bytes = sum(p._data.nbytes for p in model.parameters())
    act_bytes = BATCH * (HIDDEN * 4 + OUT * 3) * 4  # linear/relu outputs, logits and loss parts
    tracemalloc.start()
    try:
        _step(model, opt, x, y)
        start = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        for _ in range(5):
            _step(model, opt, x, y)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # nothing accumulates from step to step (a few hundred bytes of bookkeeping at most)
    assert current - start < 4096
    # the peak over the step: the new gradients (the old ones are freed by zero_grad),
    # the activations and small temporaries; a copy of any weight gradient would add
    # a parameter-sized array on top
    biggest = max(p._data.nbytes for p in model.parameters())
    assert peak - start < param_bytes + act_bytes + biggest // 2


def test_grads_and_optimizer_state_keep_their_memory_when_zeroed_in_place() -> None:
    model, x, y = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    for _ in range(2):
        _step(model, opt, x, y, set_to_none=False)
    params = list(model.parameters())

    def pointers() -> list[int]:
        return ([_pointer(p) for p in params] + [_pointer(p.grad) for p in params]
                + [_pointer(opt.state[p]["momentum_buffer"]) for p in params])

    before = pointers()
    for _ in range(3):
        _step(model, opt, x, y, set_to_none=False)
    assert pointers() == before


# ----------------------------------------------------------------------------- gradient arrays


class _FreshGrad(autograd.Function):
    """Identity whose backward returns a new array and remembers only its address."""

    addresses: list[int] = []

    @staticmethod
    def forward(ctx: function.Node, x: autograd.Tensor) -> autograd.Tensor:
        return x.clone()

    @staticmethod
    def backward(ctx: function.Node, g: autograd.Tensor) -> autograd.Tensor:
        out = g * 2.0
        _FreshGrad.addresses.append(_pointer(out))
        return out


def test_fresh_gradient_array_becomes_grad_without_copy() -> None:
    _FreshGrad.addresses.clear()
    x = autograd.randn(64, 64, requires_grad=True)
    _FreshGrad.apply(x).backward(autograd.ones(64, 64))
    assert _pointer(x.grad) == _FreshGrad.addresses[0]


def test_weight_gradients_of_linear_layers_are_not_copied() -> None:
    model, x, y = _mlp()
    F.cross_entropy(model(x), y).backward()  # warm: the layers' first grads exist
    for p in model.parameters():
        p.grad = None
    weight = model[2].weight
    tracemalloc.start()
    try:
        loss = F.cross_entropy(model(x), y)
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        loss.backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    grads = sum(p._data.nbytes for p in model.parameters())
    # the gradients themselves plus activation-sized temporaries, never a second copy
    # of the largest weight gradient
    assert peak - base < grads + weight._data.nbytes // 2
    assert all(p.grad._data.base is None and p.grad._data.flags.owndata
               for p in model.parameters())


def test_gradient_the_caller_holds_is_copied() -> None:
    x = autograd.randn(8, requires_grad=True)
    g = autograd.randn(8)
    x.backward(g)
    assert _pointer(x.grad) != _pointer(g)
    before = x.grad.tolist()
    g.add_(1.0)
    assert x.grad.tolist() == before


def test_second_backward_accumulates_into_the_same_grad_array() -> None:
    model, x, y = _mlp()
    F.cross_entropy(model(x), y).backward()
    pointers = [_pointer(p.grad) for p in model.parameters()]
    F.cross_entropy(model(x), y).backward()
    assert [_pointer(p.grad) for p in model.parameters()] == pointers


def test_shared_gradient_reaching_two_leaves_gives_each_its_own_array() -> None:
    a = autograd.randn(16, requires_grad=True)
    b = autograd.randn(16, requires_grad=True)
    (a + b).backward(autograd.ones(16))  # Add hands the same array to both inputs
    assert _pointer(a.grad) != _pointer(b.grad)
    a.grad.add_(1.0)
    assert b.grad.tolist() == [1.0] * 16


# ----------------------------------------------------------------------------- array-level backward


def test_hot_ops_backward_on_arrays_without_recording_new_ops(monkeypatch) -> None:
    x = autograd.randn(16, requires_grad=True)
    w = autograd.randn(8, 16, requires_grad=True)
    h = x
    for _ in range(20):
        h = (h * 1.001 + 0.1).tanh().sigmoid().exp().log().relu() - 0.5
        h = (h / 2.0) * x
    out = F.linear(h, w) ** 1
    calls = count_op_calls(monkeypatch)
    out.backward(autograd.ones(8))
    assert calls == []
    assert x.grad is not None and w.grad is not None


def test_create_graph_backward_stays_differentiable() -> None:
    x = autograd.tensor([0.3, -0.7], dtype=autograd.float64, requires_grad=True)
    y = ((x * 1.5 + 0.1).tanh() * x).sum()
    (gx,) = autograd.grad(y, x, create_graph=True)
    assert gx.requires_grad and gx.grad_fn is not None
    (ggx,) = autograd.grad(gx.sum(), x)
    # d/dx of [tanh(u) + 1.5 x sech^2(u)], u = 1.5 x + 0.1
    u = 1.5 * x.detach().numpy() + 0.1
    sech2 = 1.0 / np.cosh(u) ** 2
    expected = 1.5 * sech2 + 1.5 * sech2 - 2.0 * 1.5 * 1.5 * x.detach().numpy() * sech2 * np.tanh(u)
    np.testing.assert_allclose(ggx.numpy(), expected, rtol=1e-12)
    assert autograd.gradgradcheck(lambda t: (t * 1.5 + 0.1).tanh() * t, (x,))


# ----------------------------------------------------------------------------- objects per op


def _tracked_objects_per_op(make: object, n: int = 200) -> float:
    keep = []
    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects())
        for _ in range(n):
            keep.append(make())  # type: ignore[operator]
        after = len(gc.get_objects())
    finally:
        gc.enable()
    return (after - before - 1) / n


def test_python_objects_recorded_per_op_are_bounded() -> None:
    x = autograd.randn(16, requires_grad=True)
    h = x * 1.0
    # a recorded op keeps: its output Tensor and version counter, its node, the edge
    # list and edge, and what backward saves (a list and one entry per saved value)
    assert _tracked_objects_per_op(lambda: h * 1.001) <= 5
    assert _tracked_objects_per_op(lambda: h + 0.1) <= 5
    assert _tracked_objects_per_op(lambda: h.tanh()) <= 7
    with autograd.no_grad():  # outside the graph: the Tensor and its version counter
        assert _tracked_objects_per_op(lambda: h * 1.001) <= 2


def test_backward_frees_saved_activations_and_leaves_no_cycles() -> None:
    gc.collect()
    gc.disable()
    try:
        model, x, y = _mlp()
        hidden = model[1](model[0](x))
        activation = weakref.ref(hidden._data)
        loss = F.cross_entropy(model[4](model[3](model[2](hidden))), y)
        nodes = [weakref.ref(loss.grad_fn), weakref.ref(hidden.grad_fn)]
        del hidden
        assert activation() is not None  # saved for backward
        loss.backward()
        assert activation() is None  # freed by backward, while the loss still lives
        del loss
        # plain reference counting (the collector is off) freed the whole graph
        assert all(ref() is None for ref in nodes)
    finally:
        gc.enable()


def test_retain_graph_keeps_saved_tensors_until_the_second_backward() -> None:
    x = autograd.randn(4, requires_grad=True)
    y = (x * 2.0).tanh()
    activation = weakref.ref(y._data)
    z = y.sum()
    del y
    z.backward(retain_graph=True)
    assert activation() is not None
    z.backward()
    assert activation() is None
    np.testing.assert_allclose(x.grad.numpy(), 2 * 2 * (1 - np.tanh(2 * x.detach().numpy()) ** 2))


# ----------------------------------------------------------------------------- numbers and erf


def test_numbers_meet_arrays_as_cached_zero_d_arrays() -> None:
    a = np.ones(4, np.float32)
    c = scalar_operand(1.001, a)
    assert isinstance(c, np.ndarray) and c.dtype == np.float32 and c.shape == ()
    assert scalar_operand(1.001, a) is c
    assert not c.flags.writeable
    # -0.0 keeps its sign (never confused with a cached 0.0), NaN passes through
    assert math.copysign(1.0, float(scalar_operand(-0.0, a))) == -1.0
    assert math.isnan(scalar_operand(float("nan"), a))
    assert scalar_operand(3, np.ones(2, np.int64)) == 3  # integer arrays: the number itself
    x = autograd.tensor([1.0, -2.0, 3.0], dtype=autograd.float32)
    assert (x * 1.001).tolist() == (x._data * np.float32(1.001)).tolist()


def test_float32_erf_is_within_one_ulp_and_keeps_signs_and_nan() -> None:
    rng = np.random.default_rng(0)
    xs = np.concatenate([rng.uniform(-5, 5, 200_000), np.exp(rng.uniform(-40, 2, 50_000)),
                         -np.exp(rng.uniform(-40, 2, 50_000))]).astype(np.float32)
    got = special.erf(xs).astype(np.float64)
    exact = special.erf(xs.astype(np.float64))
    ulp = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(got - exact) / ulp) <= 1.0
    edge = special.erf(np.array([0.0, -0.0, np.inf, -np.inf, np.nan], np.float32))
    assert edge[:4].tolist() == [0.0, 0.0, 1.0, -1.0] and np.signbit(edge[1])
    assert np.isnan(edge[4])
    assert special.erf(np.linspace(-3, 3, 7, dtype=np.float16)).dtype == np.float16


# ----------------------------------------------------------------------------- the benchmark's workloads


def test_benchmark_workloads_compute_what_the_numpy_floor_computes() -> None:
    from launch.benchmarks import _ops_workloads as W

    np.testing.assert_allclose(W.chain_ours(20)(), W.chain_numpy(20)(), rtol=1e-5)
    ours, floor = W.mlp_ours(8), W.mlp_numpy(8)
    for _ in range(3):  # same data, same initial weights, same SGD steps
        np.testing.assert_allclose(ours(), floor(), rtol=1e-5)


def test_benchmark_markdown_table_lists_every_workload() -> None:
    from launch.benchmarks import ops

    report = {
        "command": "python -m launch bench ops",
        "machine": {"date": "d", "cpu": "cpu", "logical_cpus": 2, "os": "os", "python": "3",
                    "numpy": "2", "blas": "blas", "torch": None, "blas_threads": 1,
                    "load_average_start": [0.5], "load_average_end": [0.7]},
        "results": [{"description": "chain", "unit": "us/op", "median": {"ours": 5.0, "numpy": 1.0},
                     "ratio_to": {"numpy": 5.0}}],
        "memory": {"steps": 10, "runs": [{"framework": "ours", "peak_mib": 2.0, "growth_mib": 0.0},
                                         {"framework": "numpy", "peak_mib": 1.0,
                                          "growth_mib": 0.0}]},
    }
    table = ops.markdown(report)
    assert "| chain | 5.00 us/op | 1.00 us/op | — | — | 5.00× |" in table
    assert "peak memory" in table and "2.00×" in table and "PyTorch absent" in table
