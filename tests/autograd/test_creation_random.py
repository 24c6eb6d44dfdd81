"""Creation functions (dtype inference, copies vs shared memory, default dtype) and
random numbers (seeding, Generators, RNG state, fork_rng, per-thread generators)."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

import autograd
from autograd import random as rnd

F32, F64, I64 = autograd.float32, autograd.float64, autograd.int64


@pytest.fixture
def default_f64():
    autograd.set_default_dtype(F64)
    yield
    autograd.set_default_dtype(F32)


# ----------------------------------------------------------------------------- dtype inference


@pytest.mark.parametrize("data,dtype", [
    (1.0, F32), (1, I64), (True, autograd.bool_), ([1, 2.0], F32), ([True, 1], I64),
    ([[1], [2]], I64), (1 + 2j, autograd.complex64), ([], F32),
    (np.float32(1), F32), (np.int32(3), autograd.int32), ([np.float64(1.0)], F64),
    (np.array([1, 2], dtype=np.int32), autograd.int32), (np.array(1.5), F64),
    ([autograd.tensor(1.0), autograd.tensor(2.0)], F32),
])
def test_tensor_dtype_inference(data, dtype):
    assert autograd.tensor(data).dtype == dtype


def test_creation_dtypes():
    cases = [
        (autograd.zeros(2), F32), (autograd.ones(2, 3), F32), (autograd.full((2,), 1.5), F32),
        (autograd.full((2,), 7), I64), (autograd.full((2,), True), autograd.bool_),
        (autograd.empty(2), F32), (autograd.arange(5), I64), (autograd.arange(0, 1, 0.25), F32),
        (autograd.arange(0.0, 3), F32), (autograd.linspace(0, 1, 5), F32),
        (autograd.logspace(0, 2, 3), F32), (autograd.eye(3), F32),
        (autograd.zeros_like(autograd.tensor([1, 2])), I64),
        (autograd.ones_like(autograd.tensor([1.0, 2])), F32),
        (autograd.full_like(autograd.tensor([1, 2]), 3.7), I64),
        (autograd.empty_like(autograd.tensor([1.0])), F32), (autograd.scalar_tensor(3), F32),
        (autograd.rand(2), F32), (autograd.randn(2), F32), (autograd.randint(0, 3, (2,)), I64),
        (autograd.randperm(3), I64), (autograd.ones(2, dtype=I64), I64),
    ]
    for t, dtype in cases:
        assert t.dtype == dtype, (t, dtype)


def test_creation_values_and_shapes():
    assert autograd.zeros((2, 3)).shape == (2, 3) and autograd.zeros([2, 3]).shape == (2, 3)
    assert autograd.empty(0).shape == (0,)
    assert autograd.full_like(autograd.tensor([1, 2]), 3.7).tolist() == [3, 3]
    assert autograd.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert autograd.arange(5, 0, -2).tolist() == [5, 3, 1]
    assert autograd.arange(3.0).tolist() == [0.0, 1.0, 2.0]
    np.testing.assert_allclose(autograd.arange(1, 0.2, -0.3)._data, [1.0, 0.7, 0.4], rtol=1e-6)
    assert autograd.linspace(-1, 1, 5).tolist() == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert autograd.linspace(0, 1, 1).tolist() == [0.0]
    assert autograd.linspace(0, 10, 5, dtype=I64).tolist() == [0, 2, 5, 7, 10]
    assert autograd.logspace(0, 2, 3).tolist() == [1.0, 10.0, 100.0]
    assert autograd.eye(2, 3).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert autograd.eye(2, dtype=I64).tolist() == [[1, 0], [0, 1]]
    assert autograd.full((2,), False).tolist() == [False, False]
    assert autograd.zeros(2, requires_grad=True).requires_grad


def test_default_dtype_is_respected(default_f64):
    for t in (autograd.tensor(1.0), autograd.zeros(2), autograd.ones(2), autograd.rand(2),
              autograd.randn(2), autograd.arange(0.0, 2), autograd.linspace(0, 1, 3),
              autograd.eye(2), autograd.full((2,), 1.5), autograd.empty(1),
              autograd.tensor([1, 2]) * 1.5, autograd.tensor([1, 2]) / 2):
        assert t.dtype == F64
    assert autograd.tensor([1, 2]).dtype == I64
    assert autograd.tensor(1j).dtype == autograd.complex128
    assert autograd.get_default_dtype() == F64


def test_set_default_dtype_rejects_non_float():
    with pytest.raises(TypeError, match="only floating dtypes"):
        autograd.set_default_dtype(I64)


# ----------------------------------------------------------------------------- copies and sharing


def test_tensor_copies_as_tensor_and_from_numpy_share():
    a = np.array([1.0, 2.0])
    t_copy, t_shared, t_np = autograd.tensor(a), autograd.as_tensor(a), autograd.from_numpy(a)
    a[0] = 9.0
    assert t_copy.tolist() == [1.0, 2.0]
    assert t_shared.tolist() == [9.0, 2.0] and t_np.tolist() == [9.0, 2.0]
    assert t_shared.dtype == F64 and t_np.dtype == F64  # numpy's dtype is kept
    converted = autograd.as_tensor(a, dtype=F32)  # a dtype change has to copy
    a[1] = 7.0
    assert converted.tolist() == [9.0, 2.0]
    with pytest.raises(TypeError, match="expected np.ndarray"):
        autograd.from_numpy([1, 2])


def test_tensor_of_a_tensor_copies_and_warns():
    a = autograd.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="sourceTensor.detach\\(\\).clone\\(\\)"):
        b = autograd.tensor(a)
    assert not b.requires_grad and b.is_leaf and b._data is not a._data
    assert autograd.as_tensor(a) is a
    assert autograd.as_tensor(a, dtype=F64).dtype == F64


def test_creation_errors():
    with pytest.raises(RuntimeError, match="negative dimension"):
        autograd.zeros(-1)
    with pytest.raises(RuntimeError, match="only Tensors of floating point and complex dtype"):
        autograd.zeros(2, dtype=I64, requires_grad=True)
    with pytest.raises(ValueError, match="rectangular"):
        autograd.tensor([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        autograd.arange(0, 1, 0)
    with pytest.raises(TypeError, match="sizes must be integers"):
        autograd.zeros(2.5)


# ----------------------------------------------------------------------------- random


def test_manual_seed_reproducibility():
    autograd.manual_seed(0)
    a = autograd.randn(3).tolist() + autograd.rand(2).tolist() + autograd.randint(0, 9, (3,)).tolist()
    autograd.manual_seed(0)
    b = autograd.randn(3).tolist() + autograd.rand(2).tolist() + autograd.randint(0, 9, (3,)).tolist()
    assert a == b
    autograd.manual_seed(1)
    assert autograd.randn(3).tolist() != a[:3]
    assert autograd.initial_seed() == 1


def test_generator_objects():
    g = autograd.Generator().manual_seed(5)
    g2 = autograd.Generator()
    g2.manual_seed(5)
    assert autograd.rand(3, generator=g).tolist() == autograd.rand(3, generator=g2).tolist()
    assert g.initial_seed() == 5 and "seed=5" in repr(g)
    autograd.manual_seed(5)
    before = autograd.get_rng_state()
    autograd.rand(3, generator=g)  # a private generator does not advance the default one
    assert autograd.get_rng_state().tolist() == before.tolist()
    s = g.seed()
    assert g.initial_seed() == s
    s = autograd.seed()
    assert autograd.initial_seed() == s and s >= 0


def test_default_generator_object():
    autograd.default_generator.manual_seed(3)
    assert autograd.default_generator.initial_seed() == 3
    assert autograd.initial_seed() == 3
    assert autograd.default_generator("cpu") is rnd.default_generator("cpu")
    a = autograd.rand(2, generator=autograd.default_generator).tolist()
    autograd.manual_seed(3)
    assert autograd.rand(2).tolist() == a


def test_rng_state_round_trip():
    autograd.manual_seed(11)
    state = autograd.get_rng_state()
    assert state.dtype == autograd.uint8 and state.dim() == 1
    a = autograd.rand(4).tolist()
    autograd.set_rng_state(state)
    assert autograd.rand(4).tolist() == a
    with pytest.raises(RuntimeError, match="not a generator state"):
        autograd.set_rng_state(autograd.tensor([1, 2, 3], dtype=autograd.uint8))


def test_fork_rng_restores_the_outer_stream():
    autograd.manual_seed(2)
    with autograd.fork_rng():
        inside = autograd.rand(2).tolist()
    after = autograd.rand(2).tolist()
    assert inside == after
    with autograd.fork_rng(enabled=False):
        autograd.rand(2)
    assert autograd.rand(2).tolist() != after


def test_per_thread_generators():
    autograd.manual_seed(1)
    main_next = autograd.get_rng_state().tolist()
    out = {}

    def worker(i):
        rnd.install_thread_generators(seed=10)
        out[i] = autograd.rand(3).tolist()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out[0] == out[1]  # same seed, independent streams
    assert autograd.get_rng_state().tolist() == main_next  # the main stream is untouched


def test_random_functions_distributions():
    autograd.manual_seed(0)
    u = np.asarray(autograd.rand(10_000)._data)
    assert 0.0 <= u.min() and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.02
    z = np.asarray(autograd.randn(10_000)._data)
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05
    r = np.asarray(autograd.randint(3, (1000,))._data)
    assert set(np.unique(r)) == {0, 1, 2}
    assert sorted(autograd.randperm(5).tolist()) == [0, 1, 2, 3, 4]
    assert autograd.rand_like(autograd.zeros(2, dtype=F64)).dtype == F64
    assert autograd.randn_like(autograd.zeros(2, 3)).shape == (2, 3)
    assert autograd.randint_like(autograd.zeros(4), 0, 2).dtype == F32
    n = autograd.normal(autograd.full((5000,), 3.0), 0.5)
    assert abs(float(n.mean()) - 3) < 0.05
    assert autograd.normal(0.0, 1.0, (2,)).shape == (2,)
    assert autograd.normal(autograd.zeros(2), autograd.ones(2)).shape == (2,)
    assert autograd.bernoulli(autograd.tensor([0.0, 1.0])).tolist() == [0.0, 1.0]
    with pytest.raises(TypeError, match="floating dtype"):
        autograd.rand(2, dtype=I64)
    with pytest.raises(RuntimeError, match="from=3 >= to=3"):
        autograd.randint(3, 3, (2,))


def test_multinomial():
    autograd.manual_seed(0)
    assert autograd.multinomial(autograd.tensor([0.0, 1.0, 0.0]), 3, replacement=True).tolist() == [1, 1, 1]
    draws = autograd.multinomial(autograd.tensor([[0.2, 0.8], [0.9, 0.1]]), 500, replacement=True)
    d = np.asarray(draws._data)
    assert d.shape == (2, 500) and abs(d[0].mean() - 0.8) < 0.06 and abs(d[1].mean() - 0.1) < 0.05
    perm = autograd.multinomial(autograd.ones(5), 5)
    assert sorted(perm.tolist()) == [0, 1, 2, 3, 4]  # without replacement: each once
    first = autograd.multinomial(autograd.tensor([0.0, 1.0, 0.0]), 2)
    assert first.tolist()[0] == 1  # the only nonzero category comes first
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size"):
        autograd.multinomial(autograd.ones(2), 3)
    with pytest.raises(RuntimeError, match="element < 0"):
        autograd.multinomial(autograd.tensor([-1.0, 2.0]), 1)
    with pytest.raises(RuntimeError, match="sum of probabilities <= 0"):
        autograd.multinomial(autograd.zeros(2), 1)


def test_in_place_random_fills():
    autograd.manual_seed(0)
    x = autograd.zeros(1000)
    x.uniform_(2, 3)
    a = np.asarray(x._data)
    assert 2 <= a.min() and a.max() < 3
    assert x._version == 1
    x.normal_(5, 0.1)
    assert abs(float(x.mean()) - 5) < 0.05
    x.bernoulli_(0.5)
    assert set(np.unique(x._data)) == {0.0, 1.0}
    x.exponential_(2.0)
    assert (np.asarray(x._data) >= 0).all()
    x.random_(0, 5)
    assert set(np.unique(x._data)) <= {0.0, 1.0, 2.0, 3.0, 4.0}
    w = autograd.zeros(3, requires_grad=True)
    with autograd.no_grad():
        w.normal_()
    assert w.requires_grad and w.is_leaf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        autograd.manual_seed(0)
