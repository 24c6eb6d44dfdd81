"""Order statistics: sort/argsort/topk/kthvalue, median, quantile, the index rules of
max/min/cummax, namedtuple results and their errors — values against NumPy and the
behaviour of PyTorch (gradient checks of these ops are in test_ops_reduce.py)."""

from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pytest

import autograd

NAN = float("nan")
RNG = np.random.default_rng(0)
A = RNG.normal(size=(3, 4, 5))


def _t(a, **kw) -> autograd.Tensor:
    return autograd.tensor(np.asarray(a), **kw)



def test_namedtuple_results() -> None:
    x = autograd.tensor([[1.0, 5.0, 2.0], [3.0, 2.0, 2.0]])
    for name, r in [("max", x.max(1)), ("min", autograd.min(x, 1)), ("sort", x.sort()),
                    ("topk", x.topk(2)), ("kthvalue", autograd.kthvalue(x, 2)),
                    ("median", x.median(1)), ("nanmedian", autograd.nanmedian(x, 1)),
                    ("cummax", autograd.cummax(x, 1)), ("cummin", autograd.cummin(x, 0))]:
        assert r._fields == ("values", "indices")
        assert r.values is r[0] and r.indices is r[1]
        assert r.indices.dtype == autograd.int64
        assert repr(r).startswith(f"autograd.return_types.{name}(\nvalues=tensor(")
        values, indices = r
        assert isinstance(values, autograd.Tensor)
    mm = autograd.aminmax(x, dim=1, keepdim=True)
    assert mm._fields == ("min", "max") and mm.min.tolist() == [[1.0], [2.0]]
    assert pickle.loads(pickle.dumps(x.max(1))).values.tolist() == [5.0, 3.0]
    assert isinstance(autograd.var_mean(x), tuple)


def test_index_rules_follow_pytorch() -> None:
    x = autograd.tensor([[1.0, 3.0, 3.0], [NAN, 3.0, NAN]])
    assert x.max(1).indices.tolist() == [1, 0]
    assert x.argmax(1).tolist() == [1, 0] and x.argmin(1).tolist() == [0, 0]
    assert autograd.argmax(x, keepdim=True).shape == (1, 1)
    assert x.argmax(1, keepdim=True).shape == (2, 1)
    c = autograd.cummax(autograd.tensor([1.0, 1.0, 0.0, 1.0, 2.0, 2.0]), 0)
    assert c.indices.tolist() == [0, 1, 1, 3, 4, 5]
    c = autograd.cummin(autograd.tensor([1.0, 1.0, 2.0, 1.0, 0.0, 0.0]), 0)
    assert c.indices.tolist() == [0, 1, 1, 3, 4, 5]
    c = autograd.cummax(autograd.tensor([1.0, NAN, 3.0, NAN, 0.0, NAN]), 0)
    assert c.indices.tolist() == [0, 1, 1, 3, 3, 5]
    c = autograd.cummin(autograd.tensor([NAN, NAN, 0.0]), 0)
    assert c.indices.tolist() == [0, 1, 1]
    assert autograd.cummax(autograd.tensor([1, 3, 2]), 0).values.tolist() == [1, 3, 3]
    m = autograd.median(autograd.tensor([[1.0, 5.0, 2.0], [3.0, 2.0, 2.0]]), 1)
    assert m.values.tolist() == [2.0, 2.0] and m.indices.tolist() == [2, 2]


def test_sort_topk_kthvalue() -> None:
    v = autograd.tensor([2.0, NAN, 1.0, 2.0])
    asc = v.sort()
    assert asc.indices.tolist() == [2, 0, 3, 1]
    desc = v.sort(descending=True, stable=True)
    assert desc.indices.tolist() == [1, 0, 3, 2]
    assert autograd.argsort(v, descending=True).tolist() == [1, 0, 3, 2]
    b = autograd.sort(autograd.tensor([True, False]))
    assert b.values.tolist() == [False, True] and b.indices.tolist() == [1, 0]
    for d in (0, 1, -1):
        np.testing.assert_array_equal(autograd.sort(_t(A), d).values.numpy(), np.sort(A, d))
        np.testing.assert_array_equal(autograd.argsort(_t(A), d, stable=True).numpy(),
                                      np.argsort(A, d, kind="stable"))
        np.testing.assert_array_equal(autograd.sort(_t(A), d, descending=True).values.numpy(),
                                      np.flip(np.sort(A, d), d))
    t = autograd.topk(autograd.tensor([1.0, NAN, 2.0]), 2)
    assert math.isnan(t.values.tolist()[0]) and t.indices.tolist() == [1, 2]
    assert autograd.topk(autograd.tensor([1.0, NAN, 2.0]), 2, largest=False).indices.tolist() == [0, 2]
    top = autograd.topk(_t(A), 3, dim=1)
    np.testing.assert_array_equal(top.values.numpy(), np.flip(np.sort(A, 1), 1)[:, :3])
    assert autograd.topk(_t(A), 0, dim=0).values.shape == (0, 4, 5)
    k = autograd.kthvalue(autograd.tensor([[3.0, 1.0, 2.0]]), 2, 1, True)
    assert k.values.tolist() == [[2.0]] and k.indices.tolist() == [[2]]
    np.testing.assert_array_equal(autograd.kthvalue(_t(A), 2, 0).values.numpy(), np.sort(A, 0)[1])
    x = autograd.tensor([2.0, 1.0, 2.0, 1.0, 2.0], requires_grad=True)
    (x.sort(stable=True).values * autograd.arange(1.0, 6.0)).sum().backward()
    assert x.grad.tolist() == [3.0, 1.0, 4.0, 2.0, 5.0]


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_matches_numpy(method: str) -> None:
    q = np.array([0.0, 0.1, 0.33, 0.5, 0.8, 1.0])
    for dim in (None, 0, 1, -1):
        for keepdim in (False, True):
            ours = autograd.quantile(_t(A), _t(q), dim, keepdim, interpolation=method)
            ref = np.quantile(A, q, axis=dim, keepdims=keepdim, method=method)
            assert ours.shape == ref.shape
            np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-12, atol=1e-12)
    one = autograd.quantile(_t(A), 0.25, 1, interpolation=method)
    np.testing.assert_allclose(one.numpy(), np.quantile(A, 0.25, axis=1, method=method))
    holes = A.copy()
    holes[0, 1, ::2] = NAN
    holes[1, 2, :] = NAN
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy warns on the all-NaN slice
        ref = np.nanquantile(holes, q, axis=-1, method=method)
    np.testing.assert_allclose(autograd.nanquantile(_t(holes), _t(q), -1, interpolation=method).numpy(),
                               ref, rtol=1e-12, atol=1e-12)


def test_quantile_shapes_and_gradients_like_pytorch() -> None:
    x = autograd.randn(2, 3, 4)
    q = autograd.tensor([0.1, 0.5])
    assert autograd.quantile(x, q, dim=1, keepdim=True).shape == (2, 2, 1, 4)
    assert autograd.quantile(x, q, keepdim=True).shape == (2, 1, 1, 1)
    assert autograd.quantile(x, autograd.tensor(0.3), dim=1).shape == (2, 4)
    y = autograd.tensor([2.0, 1.0, 5.0, 3.0, 4.0], dtype=autograd.float64, requires_grad=True)
    y.quantile(autograd.tensor([0.3, 0.5, 0.9], dtype=autograd.float64)).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [0.8, 0.0, 0.6, 1.2, 0.4])
    z = autograd.tensor([2.0, 1.0, 5.0, 3.0, 4.0], requires_grad=True)
    z.quantile(0.4, interpolation="midpoint").backward()
    assert z.grad.tolist() == [0.5, 0.0, 0.0, 0.5, 0.0]
    w = autograd.tensor([2.0, NAN, 5.0, 3.0, 4.0], dtype=autograd.float64, requires_grad=True)
    autograd.nanquantile(w, 0.4).backward()
    np.testing.assert_allclose(w.grad.numpy(), [0.0, 0.0, 0.0, 0.8, 0.2])
    assert autograd.median(autograd.zeros(0)).isnan().item()


def test_order_statistic_errors() -> None:
    x = autograd.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        x.topk(4)
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        x.topk(-1)
    with pytest.raises(RuntimeError, match=r"kthvalue\(\): selected number k out of range for "
                                           r"dimension 1"):
        autograd.kthvalue(x, 0)
    with pytest.raises(RuntimeError, match=r"quantile\(\) q must be in the range \[0, 1\] but got 1.5"):
        x.quantile(1.5)
    with pytest.raises(RuntimeError, match=r"quantile\(\) q values must be in the range \[0, 1\]"):
        x.quantile(autograd.tensor([0.5, 1.5]))
    with pytest.raises(RuntimeError, match=r"q must be a scalar or 1D tensor"):
        x.quantile(autograd.tensor([[0.5]]))
    with pytest.raises(RuntimeError, match="q tensor must be same dtype as the input tensor"):
        x.quantile(autograd.tensor([0.5], dtype=autograd.float64))
    with pytest.raises(RuntimeError, match="input tensor must be either float or double dtype"):
        autograd.quantile(autograd.arange(3), 0.5)
    with pytest.raises(RuntimeError, match="input tensor must be non-empty"):
        autograd.quantile(autograd.zeros(0), 0.5)
    with pytest.raises(RuntimeError, match="interpolation must be one of linear, lower, higher, "
                                           "midpoint or nearest, but got foo"):
        x.quantile(0.5, interpolation="foo")
    with pytest.raises(RuntimeError, match=r"nanquantile\(\) q must be in the range"):
        autograd.nanquantile(x, -0.1)
