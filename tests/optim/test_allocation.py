"""Structural test: once warm, an optimizer step (and clipping) allocates no array as
large as a parameter, and writes into the same parameter, state and scratch memory
every step (fresh large arrays cost page faults: DESIGN.md section 7)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import autograd
import optim

SHAPES = [(600, 500), (250_000,)]  # 2.4 MB and 2 MB of float64
# NumPy's iterators may use fixed buffers of up to 8192 elements (64 kB for float64):
# allowed, as they do not grow with the parameters; any parameter-sized array is not.
LIMIT = 256 * 1024

CASES = [
    ("SGD", dict(lr=0.01)),
    ("SGD", dict(lr=0.01, momentum=0.9, dampening=0.1, weight_decay=0.1)),
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.01, amsgrad=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01)),
    ("Adagrad", dict(lr=0.01, lr_decay=0.1, weight_decay=0.1, maximize=True)),
]


def _params():
    rng = np.random.default_rng(1)
    params = [autograd.tensor(rng.standard_normal(s), requires_grad=True) for s in SHAPES]
    for p in params:
        p.grad = autograd.tensor(rng.standard_normal(p.shape))
    return params


def _pointer(t):
    return t._data.__array_interface__["data"][0]


def _pointers(opt, params):
    ptrs = [_pointer(p) for p in params]
    for p in params:
        ptrs += [_pointer(v) for v in opt.state[p].values()]
    ptrs += [b.__array_interface__["data"][0] for b in opt._scratch_bufs.values()]
    return ptrs


def _peak_during(fn, repeat=4):
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        for _ in range(repeat):
            fn()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - base, current - base


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_warm_step_allocates_nothing_large(name, kw):
    params = _params()
    opt = getattr(optim, name)(params, **kw)
    opt.step()
    opt.step()  # warm: state and scratch exist
    ptrs = _pointers(opt, params)
    grads = [p.grad._data.copy() for p in params]
    peak, growth = _peak_during(opt.step)
    assert peak < LIMIT, f"a warm step allocated {peak} bytes at its peak"
    assert growth < 4096
    assert _pointers(opt, params) == ptrs  # same memory, updated in place
    for p, g in zip(params, grads):  # the optimizer never writes into .grad
        np.testing.assert_array_equal(p.grad._data, g)


def test_scratch_is_shared_across_parameters():
    params = _params()
    opt = optim.Adam(params, weight_decay=0.1)
    opt.step()
    # one buffer per slot, sized for the largest parameter, not one per parameter
    assert len(opt._scratch_bufs) == 2
    assert all(b.size == 300_000 for b in opt._scratch_bufs.values())


@pytest.mark.parametrize("fn", [
    lambda ps: optim.clip_grad_norm_(ps, 1e-3),
    lambda ps: optim.clip_grad_norm_(ps, 1e-3, norm_type=float("inf")),
    lambda ps: optim.clip_grad_value_(ps, 0.1),
    lambda ps: optim.agc_(ps, clipping=1e-4),
], ids=["norm2", "norm-inf", "value", "agc"])
def test_clipping_allocates_nothing_large(fn):
    params = _params()
    fn(params)
    ptrs = [_pointer(p.grad) for p in params]
    peak, _ = _peak_during(lambda: fn(params))
    assert peak < LIMIT, f"clipping allocated {peak} bytes at its peak"
    assert [_pointer(p.grad) for p in params] == ptrs


def test_adaptive_clipper_history_is_a_fixed_ring():
    params = _params() + [autograd.ones(3, requires_grad=True) for _ in range(20)]
    for p in params[2:]:
        p.grad = autograd.ones(3)
    clipper = optim.AdaptiveGradientClipping(params)
    clipper.clip_gradients()  # past the 10-norm minimum, so the warm-up also runs quantile
    ring = clipper._ring
    peak, growth = _peak_during(clipper.clip_gradients, repeat=50)  # 1100 norms: wraps
    assert clipper._ring is ring and ring.shape == (1000,)
    assert len(clipper.gradient_history) == 1000
    # A Python-list history would grow ~8 bytes per norm, linearly in the calls; the
    # interpreter's small-object caches add a constant. Compare 50 and 250 more calls.
    _, growth_more = _peak_during(clipper.clip_gradients, repeat=250)
    assert peak < LIMIT and growth_more - growth < 4096
