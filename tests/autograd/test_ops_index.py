"""Indexing ops: gradient checks (float64, first and second order, forward and reverse
mode, contiguous and strided; index tensors and masks are constant inputs), values
against NumPy, and PyTorch's error messages."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd.ops.index import index_put_
from autograd.ops.scatter import scatter_reduce_
from tests.autograd.harness import OpSpec, params, run_spec

T = autograd.tensor


def ints(high: int, at: int = 1, low: int = 0):
    """``make`` for a spec whose input ``at`` is a random index tensor in [low, high)."""
    return lambda rng, s, i: rng.integers(low, high, s) if i == at else None


def unique_along(dim: int, size: int, at: int = 1):
    """``make`` for an index whose entries are distinct along ``dim`` (each drawn from
    ``range(size)``), so that scatter has no write conflicts."""
    def gen(rng, s, i):
        if i != at:
            return None
        moved = (s[dim],) + tuple(n for k, n in enumerate(s) if k != dim)
        flat = np.stack([rng.permutation(size)[: s[dim]]
                         for _ in range(int(np.prod(moved[1:])))], axis=1)
        return np.moveaxis(flat.reshape(moved), 0, dim)
    return gen


def mask(at: int = 1):
    return lambda rng, s, i: rng.uniform(size=s) > 0.5 if i == at else None


def assign(x, key, v):
    y = x * 1
    y[key] = v
    return y


def inplace(method: str, *args, **kw):
    """``x * 1`` modified by the in-place ``method`` (``args[0]`` maps the other inputs
    to the method's arguments)."""
    def fn(x, *tensors):
        y = x * 1
        getattr(y, method)(*args[0](tensors), **kw)
        return y
    return fn


SPECS = [
    OpSpec("gather_dim0", lambda x, i: x.gather(0, i), [((3, 4), (2, 4)), ((3, 4), (5, 2))],
           constant=(1,), make=ints(3)),
    OpSpec("gather_dim1", lambda x, i: x.gather(1, i), [((3, 4), (3, 6))],
           constant=(1,), make=ints(4)),
    OpSpec("scatter_src", lambda x, i, s: x.scatter(0, i, s),
           [((3, 4), (2, 4), (2, 4)), ((3, 4), (2, 3), (3, 5))],
           constant=(1,), make=unique_along(0, 3)),
    OpSpec("scatter_value", lambda x, i: x.scatter(1, i, 1.5), [((3, 4), (3, 2))],
           constant=(1,), make=unique_along(1, 4)),
    OpSpec("scatter_add", lambda x, i, s: x.scatter_add(0, i, s), [((3, 4), (5, 4), (5, 4))],
           constant=(1,), make=ints(3)),
    OpSpec("scatter_reduce_add", lambda x, i, s: x.scatter(1, i, s, reduce="add"),
           [((2, 3), (2, 4), (2, 4))], constant=(1,), make=ints(3)),
    OpSpec("scatter_reduce_multiply", lambda x, i, s: x.scatter(1, i, s, reduce="multiply"),
           [((2, 3), (2, 4), (2, 4))], constant=(1,), make=ints(3)),
    OpSpec("index_select", lambda x, i: x.index_select(1, i), [((2, 4), (5,))],
           constant=(1,), make=ints(4)),
    OpSpec("index_select_0d_index", lambda x, i: x.index_select(0, i), [((3,), ())],
           constant=(1,), make=ints(3)),
    OpSpec("index_add", lambda x, i, s: x.index_add(0, i, s, alpha=0.5),
           [((3, 2), (4,), (4, 2))], constant=(1,), make=ints(3)),
    OpSpec("index_copy", lambda x, i, s: autograd.index_copy(x, 1, i, s),
           [((2, 4), (3,), (2, 3))], constant=(1,), make=unique_along(0, 4)),
    OpSpec("index_fill_number", lambda x, i: autograd.index_fill(x, 0, i, -1.0),
           [((3, 2), (2,))], constant=(1,), make=ints(3)),
    OpSpec("index_fill_tensor", lambda x, i, v: autograd.index_fill(x, 1, i, v),
           [((3, 3), (2,), ())], constant=(1,), make=unique_along(0, 3)),
    OpSpec("masked_fill_number", lambda x, m: x.masked_fill(m, 0.25),
           [((2, 3), (2, 3)), ((3,), (2, 3))], constant=(1,), make=mask()),
    OpSpec("masked_fill_tensor", lambda x, m, v: x.masked_fill(m, v),
           [((2, 3), (3,), ())], constant=(1,), make=mask()),
    OpSpec("masked_select", lambda x, m: x.masked_select(m),
           [((2, 3), (2, 3)), ((3,), (2, 3))], constant=(1,), make=mask()),
    OpSpec("take", lambda x, i: x.take(i), [((2, 3), (2, 2))], constant=(1,),
           make=ints(6, low=-6)),
    OpSpec("take_along_dim_flat", lambda x, i: autograd.take_along_dim(x, i),
           [((2, 3), (4,))], constant=(1,), make=ints(6)),
    OpSpec("take_along_dim_bcast", lambda x, i: autograd.take_along_dim(x, i, 1),
           [((2, 3), (1, 2)), ((1, 3), (2, 4))], constant=(1,), make=ints(3)),
    OpSpec("index_put", lambda x, i, v: autograd.index_put(x, (i,), v),
           [((4, 2), (3,), (3, 2)), ((4, 2), (2,), (2,))], constant=(1,),
           make=unique_along(0, 4)),
    OpSpec("index_put_accumulate", lambda x, i, v: autograd.index_put(x, (i,), v, True),
           [((4, 2), (5,), (2,))], constant=(1,), make=ints(4)),
    OpSpec("getitem_basic", lambda x: x[1:, None, ..., 0], [((3, 2, 2),)]),
    OpSpec("getitem_int", lambda x: x[-1], [((3,),), ((3, 2),)]),
    OpSpec("getitem_list", lambda x: x[[0, 2, 0]], [((3, 2),)]),
    OpSpec("getitem_tensor_and_slice", lambda x, i: x[:, i], [((2, 3), (2, 2))],
           constant=(1,), make=ints(3)),
    OpSpec("getitem_mask", lambda x, m: x[m], [((2, 3), (2, 3)), ((2, 3), (2,))],
           constant=(1,), make=mask()),
    OpSpec("setitem_basic", lambda x, v: assign(x, (slice(None), 1), v), [((3, 2), (3,)),
                                                                           ((3, 2), ())]),
    OpSpec("setitem_broadcast_leading", lambda x, v: assign(x, 0, v), [((2, 3), (1, 3))]),
    OpSpec("setitem_advanced", lambda x, i, v: assign(x, i, v), [((4, 2), (2,), (2, 2))],
           constant=(1,), make=unique_along(0, 4)),
    OpSpec("setitem_mask", lambda x, m, v: assign(x, m, v), [((2, 3), (2, 3), ())],
           constant=(1,), make=mask()),
    OpSpec("scatter_inplace", inplace("scatter_", lambda t: (1, t[0], t[1])),
           [((3, 4), (3, 2), (3, 2))], constant=(1,), make=unique_along(1, 4)),
    OpSpec("scatter_add_inplace", inplace("scatter_add_", lambda t: (0, t[0], t[1])),
           [((3, 2), (4, 2), (4, 2))], constant=(1,), make=ints(3)),
    OpSpec("masked_fill_inplace", inplace("masked_fill_", lambda t: (t[0], t[1])),
           [((2, 3), (3,), ())], constant=(1,), make=mask()),
    OpSpec("scatter_multiply_inplace",
           inplace("scatter_", lambda t: (0, t[0], t[1]), reduce="multiply"),
           [((3, 2), (4, 2), (4, 2))], constant=(1,), make=ints(3)),
    OpSpec("scatter_reduce_inplace", lambda x, i, s: scatter_reduce_(x * 1, 0, i, s, "amax"),
           [((3, 2), (4, 2), (4, 2))], constant=(1,), make=ints(3)),
]


def _reduce_spec(reduce: str, include_self: bool) -> OpSpec:
    domain = (0.5, 2.0) if reduce == "prod" else (-2.0, 2.0)
    return OpSpec(
        f"scatter_reduce_{reduce}_{'self' if include_self else 'noself'}",
        lambda x, i, s: autograd.scatter_reduce(x, 0, i, s, reduce, include_self=include_self),
        [((3, 2), (5, 2), (5, 2)), ((3, 2), (2, 1), (3, 2))], constant=(1,),
        make=ints(3), domain=domain)


REDUCE = [_reduce_spec(r, s) for r in ("sum", "mean", "amax", "amin", "prod")
          for s in (True, False)]


@pytest.mark.parametrize("spec,shapes", params(SPECS))
def test_index_op_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


@pytest.mark.parametrize("spec,shapes", params(REDUCE))
def test_scatter_reduce_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


def test_scatter_reduce_prod_gradient_with_zeros() -> None:
    x = T([[0.0, 2.0], [3.0, 4.0]], dtype=autograd.float64, requires_grad=True)
    src = T([[5.0, 0.0], [0.0, 0.0], [7.0, 1.5]], dtype=autograd.float64, requires_grad=True)
    idx = T([[0, 0], [1, 0], [0, 1]])
    out = autograd.scatter_reduce(x, 0, idx, src, "prod")
    gx, gs = autograd.grad(out.sum(), (x, src))
    # each element's derivative is the product of the other members of its group
    assert gx.tolist() == [[35.0, 0.0], [0.0, 1.5]]
    assert gs.tolist() == [[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]]
    assert autograd.gradcheck(lambda a, b: autograd.scatter_reduce(a, 0, idx, b, "prod"),
                              (x, src))


# ----------------------------------------------------------------------------- values


def _np(t):
    return np.asarray(t.detach())


def test_gather_and_take_values() -> None:
    a = np.arange(12.0).reshape(3, 4)
    x = T(a)
    i = np.array([[2, 0, 1, 1], [0, 0, 2, 1]])
    assert np.array_equal(_np(x.gather(0, T(i))), np.take_along_axis(a, i, 0))
    assert np.array_equal(_np(x.gather(1, T(i[:, :2], dtype=autograd.int32))), [[2, 0], [4, 4]])
    assert np.array_equal(_np(x.take(T([[0, -1], [5, 6]]))), [[0.0, 11.0], [5.0, 6.0]])
    assert np.array_equal(_np(autograd.take_along_dim(x, T([[1], [3], [0]]), 1)),
                          [[1.0], [7.0], [8.0]])
    assert np.array_equal(_np(autograd.take_along_dim(x, T([11, 0]))), [11.0, 0.0])
    assert x.index_select(0, T(2)).shape == (1, 4)
    assert autograd.tensor(3.0).gather(0, T(0)).item() == 3.0
    assert autograd.tensor(3.0).index_select(0, T([0])).shape == ()


def test_scatter_values() -> None:
    x = autograd.zeros(3, 4)
    i = T([[1, 2, 0, 1]])
    src = T([[1.0, 2.0, 3.0, 4.0]])
    assert x.scatter(0, i, src).tolist() == [[0, 0, 3, 0], [1, 0, 0, 4], [0, 2, 0, 0]]
    assert x.scatter(1, T([[3], [0]]), 9.0).tolist() == [[0, 0, 0, 9], [9, 0, 0, 0], [0] * 4]
    y = autograd.ones(2, 3)
    assert y.scatter(1, T([[0, 0]]), T([[2.0, 3.0]]), reduce="multiply").tolist() == \
        [[6.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    assert y.scatter(1, T([[0, 0]]), 2.0, reduce="add").tolist() == \
        [[5.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    z = autograd.zeros(3)
    assert z.scatter_add(0, T([0, 2, 0]), T([1.0, 2.0, 3.0])).tolist() == [4.0, 0.0, 2.0]
    assert z.tolist() == [0.0, 0.0, 0.0]
    z.scatter_add_(0, T([1, 1]), T([1.0, 1.0]))
    z.scatter_(0, T([0]), T([5.0]))
    assert z.tolist() == [5.0, 2.0, 0.0] and z._version == 2


def test_scatter_reduce_values_match_pytorch() -> None:
    i = T([0, 0, 2])
    src = T([1.0, 2.0, 3.0])
    neg = T([-1.0, -2.0, 3.0])

    def sr(x, s, reduce, include_self=True):
        return autograd.scatter_reduce(x, 0, i, s, reduce, include_self=include_self).tolist()

    z, o = autograd.zeros(3), autograd.ones(3) * 2
    assert sr(z, src, "mean", False) == [1.5, 0.0, 3.0]
    assert sr(z, src, "mean") == [1.0, 0.0, 1.5]
    assert sr(z, neg, "amax", False) == [-1.0, 0.0, 3.0]
    assert sr(z, neg, "amax") == [0.0, 0.0, 3.0]
    assert sr(z, neg, "amin") == [-2.0, 0.0, 0.0]
    assert sr(o, src, "prod") == [4.0, 2.0, 6.0]
    assert sr(o, src, "prod", False) == [2.0, 2.0, 3.0]
    assert sr(o, src, "sum", False) == [3.0, 2.0, 3.0]
    ints = autograd.scatter_reduce(T([1, 2, 3]), 0, i, T([1, 2, 4]), "mean")
    assert ints.tolist() == [1, 2, 3] and ints.dtype == autograd.int64
    assert sr(T([5, 5, 5]), T([1, 9, 4]), "amax", False) == [9, 5, 4]


def test_scatter_reduce_amax_splits_ties_evenly() -> None:
    x = T([1.0, 0.0], dtype=autograd.float64, requires_grad=True)
    src = T([1.0, 1.0, 0.5], dtype=autograd.float64, requires_grad=True)
    out = autograd.scatter_reduce(x, 0, T([0, 0, 1]), src, "amax")
    out.sum().backward()
    assert x.grad.tolist() == [1 / 3, 0.0]
    assert src.grad.tolist() == [1 / 3, 1 / 3, 1.0]


def test_index_add_copy_fill_put_values() -> None:
    x = autograd.zeros(3, 2)
    src = T([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert x.index_add(0, T([0, 2, 0]), src, alpha=2).tolist() == [[12, 16], [0, 0], [6, 8]]
    assert autograd.index_copy(x, 0, T([2, 0, 1]), src).tolist() == [[3, 4], [5, 6], [1, 2]]
    assert autograd.index_fill(x, 1, T([-1]), 7.0).tolist() == [[0, 7], [0, 7], [0, 7]]
    assert autograd.index_fill(x, 0, T([1]), T(2.0)).tolist() == [[0, 0], [2, 2], [0, 0]]
    put = autograd.index_put(x, (T([0, 0]), T([1, 1])), T([9.0, 8.0]), accumulate=True)
    assert put.tolist() == [[0, 17], [0, 0], [0, 0]]
    assert autograd.index_put(x, (T([True, False, True]),), T(7.0)).tolist() == \
        [[7, 7], [0, 0], [7, 7]]
    assert autograd.index_put(x, (None, T([1])), T(1.0)).tolist() == [[0, 1], [0, 1], [0, 1]]
    y = autograd.zeros(3)
    index_put_(y, (T([0, 0]),), T(1.0), accumulate=True)
    assert y.tolist() == [2.0, 0.0, 0.0]
    assert autograd.tensor(3.0).index_add(0, T([0]), T(2.0)).item() == 5.0
    assert autograd.index_copy(autograd.tensor(3.0), 0, T([0]), T([5.0])).item() == 5.0


def test_masked_fill_and_select_values() -> None:
    a = np.arange(6.0).reshape(2, 3)
    m = np.array([True, False, True])
    x = T(a)
    assert np.array_equal(_np(x.masked_fill(T(m), -1.0)), np.where(m, -1.0, a))
    assert np.array_equal(_np(x.masked_select(T(m))), a[np.broadcast_to(m, a.shape)])
    assert autograd.zeros(3).masked_fill(T([[True, False, True]] * 2), 1.0).shape == (2, 3)
    assert autograd.zeros(3).masked_select(T([[True, False, True]] * 2)).shape == (4,)
    i = T([0, 0, 0]).masked_fill(T([True, False, True]), 1.7)
    assert i.tolist() == [1, 0, 1] and i.dtype == autograd.int64
    f = autograd.zeros(3).masked_fill(T([True, False, True]), T(2.0, dtype=autograd.float64))
    assert f.dtype == autograd.float32
    y = autograd.ones(3)
    y.masked_fill_(T([False, True, False]), 0.0)
    assert y.tolist() == [1.0, 0.0, 1.0] and y._version == 1


def test_masked_fill_value_gradient() -> None:
    x = T([1.0, 2.0, 3.0], requires_grad=True)
    v = T(5.0, requires_grad=True)
    out = x.masked_fill(T([True, False, True]), v)
    (out * T([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 0.0]
    assert v.grad.item() == 4.0


def test_getitem_and_setitem_values_match_numpy() -> None:
    a = np.arange(24.0).reshape(2, 3, 4)
    x = T(a)
    keys = [(0,), (slice(None), 1), (Ellipsis, -1), (None, 1, slice(0, 3, 2)),
            ([1, 0],), (slice(None), [0, 2], [1, 3]), (a > 10,), (1, [True, False, True])]
    for k in keys:
        assert np.array_equal(_np(x[k]), a[k]), k
    y, b = x.clone(), a.copy()
    y[:, [0, 2]] = 0.5
    b[:, [0, 2]] = 0.5
    y[y > 20] = -1.0
    b[b > 20] = -1.0
    assert np.array_equal(_np(y), b)


def test_repeated_indices_accumulate_gradients() -> None:
    x = T([1.0, 2.0, 3.0], requires_grad=True)
    x[T([0, 0, 2])].sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 1.0]
    x.grad = None
    x.index_select(0, T([1, 1, 1])).sum().backward()
    assert x.grad.tolist() == [0.0, 3.0, 0.0]
    x.grad = None
    x.gather(0, T([2, 2])).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 2.0]


# ----------------------------------------------------------------------------- errors


def _raises(exc, msg, fn) -> None:
    with pytest.raises(exc) as info:
        fn()
    assert msg in str(info.value), str(info.value)


def test_gather_scatter_errors() -> None:
    x = autograd.arange(6.0).reshape(2, 3)
    _raises(RuntimeError, "gather(): Expected dtype int32/int64 for index",
            lambda: x.gather(0, T([[0.0, 1.0, 0.0]])))
    _raises(RuntimeError, "Index tensor must have the same number of dimensions as input tensor",
            lambda: x.gather(0, T([0, 1])))
    _raises(RuntimeError, "Size does not match at dimension 1 expected index [1, 4] to be no "
            "larger than self [2, 3] apart from dimension 0",
            lambda: x.gather(0, T([[0, 1, 0, 1]])))
    _raises(RuntimeError, "index 5 is out of bounds for dimension 0 with size 2",
            lambda: x.gather(0, T([[0, 5, 0]])))
    _raises(RuntimeError, "index -1 is out of bounds for dimension 0 with size 2",
            lambda: x.gather(0, T([[0, -1, 0]])))
    _raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
            lambda: x.gather(2, T([[0, 1, 0]])))
    _raises(RuntimeError, "scatter(): Expected dtype int32/int64 for index",
            lambda: x.scatter(0, T([[0.0, 1.0, 0.0]]), 1.0))
    _raises(RuntimeError, "scatter(): Expected self.dtype to be equal to src.dtype",
            lambda: x.scatter(0, T([[0, 1, 0]]), autograd.ones(1, 3, dtype=autograd.float64)))
    _raises(RuntimeError, "Expected index [1, 4] to be no larger than self [2, 3] apart from "
            "dimension 0 and to be no larger size than src [2, 4]",
            lambda: x.scatter(0, T([[0, 1, 0, 1]]), autograd.ones(2, 4)))
    _raises(RuntimeError, "to be no larger size than src [1, 2]",
            lambda: x.scatter(0, T([[0, 1, 0]]), autograd.ones(1, 2)))
    _raises(RuntimeError, "index 5 is out of bounds for dimension 0 with size 2",
            lambda: x.scatter(0, T([[0, 5, 0]]), autograd.ones(1, 3)))
    _raises(RuntimeError, "index 3 is out of bounds for dimension 0 with size 2",
            lambda: x.scatter_add(0, T([[0, 3, 0]]), autograd.ones(1, 3)))
    _raises(RuntimeError, "Index tensor must have the same number of dimensions as self tensor",
            lambda: x.scatter(0, T([0, 1]), autograd.ones(1, 3)))
    _raises(RuntimeError, "reduce argument must be either add or multiply.",
            lambda: x.scatter(0, T([[0, 1, 0]]), 1.0, reduce="foo"))
    _raises(RuntimeError, "reduce argument must be either sum, prod, mean, amax or amin, got foo",
            lambda: autograd.scatter_reduce(x, 0, T([[0, 1, 0]]), autograd.ones(1, 3), "foo"))


def test_index_family_errors() -> None:
    x = autograd.arange(6.0).reshape(2, 3)
    _raises(IndexError, "index_select(): Index is supposed to be a vector",
            lambda: x.index_select(0, T([[0]])))
    _raises(RuntimeError, "Expected dtype int32/int64 for index",
            lambda: x.index_select(0, T([0.0])))
    _raises(IndexError, "index out of range in self", lambda: x.index_select(0, T([2])))
    _raises(IndexError, "index out of range in self", lambda: x.index_select(0, T([-1])))
    _raises(RuntimeError, "source tensor shape must match self tensor shape, excluding the "
            "specified dimension. Got self.shape = [2, 3] source.shape = [2, 2]",
            lambda: x.index_add(0, T([0, 1]), autograd.ones(2, 2)))
    _raises(RuntimeError, "index_add_(): Number of indices (2) should be equal to "
            "source.size(dim): (3), for dim: 0",
            lambda: x.index_add(0, T([0, 1]), autograd.ones(3, 3)))
    _raises(RuntimeError, "must have the same scalar type",
            lambda: x.index_add(0, T([0, 1]), autograd.ones(2, 3, dtype=autograd.float64)))
    _raises(RuntimeError, "index 2 is out of bounds for dimension 0 with size 2",
            lambda: x.index_add(0, T([0, 2]), autograd.ones(2, 3)))
    _raises(IndexError, "index_copy_(): Number of indices (2) should be equal to "
            "source.size(dim) (3)", lambda: autograd.index_copy(x, 0, T([0, 1]), autograd.ones(3, 3)))
    _raises(RuntimeError, "index_copy_(): self and source expected to have the same dtype",
            lambda: autograd.index_copy(x, 0, T([0, 1]), autograd.ones(2, 3,
                                                                       dtype=autograd.float64)))
    _raises(IndexError, "index_copy_(): index 2 is out of bounds for dimension 0 with size 2",
            lambda: autograd.index_copy(x, 0, T([0, 2]), autograd.ones(2, 3)))
    _raises(IndexError, "index 2 is out of bounds for dimension 0 with size 2",
            lambda: autograd.index_fill(x, 0, T([2]), 1.0))
    _raises(RuntimeError, "index_fill_ only supports a 0-dimensional value tensor, but got "
            "tensor with 1 dimension(s).", lambda: autograd.index_fill(x, 0, T([1]), autograd.ones(2)))
    _raises(IndexError, "out of range: tried to access index 6 on a tensor of 6 elements.",
            lambda: x.take(T([6])))
    _raises(IndexError, "out of range: tried to access index -7 on a tensor of 6 elements.",
            lambda: x.take(T([-7])))
    _raises(RuntimeError, "take(): Expected a long tensor for index, but got",
            lambda: x.take(T([0.0])))
    _raises(RuntimeError, "torch.take_along_dim(): input and indices should have the same number "
            "of dimensions, but got 2 dimensions for input, and 1 dimensions for indices",
            lambda: autograd.take_along_dim(x, T([0, 1]), 1))
    _raises(RuntimeError, "torch.take_along_dim(): dtype of indices should be Long but got",
            lambda: autograd.take_along_dim(x, T([[0.0]]), 1))
    _raises(RuntimeError, "Index put requires the source and destination dtypes match",
            lambda: autograd.index_put(x, (T([0, 1]),), T(7.0, dtype=autograd.float64)))
    _raises(IndexError, "index 3 is out of bounds for dimension 0 with size 2",
            lambda: autograd.index_put(x, (T([0, 3]),), T(7.0)))


def test_mask_and_getitem_errors() -> None:
    x = autograd.arange(6.0).reshape(2, 3)
    _raises(RuntimeError, "masked_fill_ only supports boolean masks, but got mask with dtype",
            lambda: x.masked_fill(T([1, 0, 1]), 1.0))
    _raises(RuntimeError, "masked_fill_ only supports a 0-dimensional value tensor, but got "
            "tensor with 1 dimension(s).", lambda: x.masked_fill(T([True, False, True]),
                                                                 autograd.ones(3)))
    _raises(RuntimeError, "output with shape [3] doesn't match the broadcast shape [2, 3]",
            lambda: autograd.zeros(3).masked_fill_(T([[True, False, True]] * 2), 1.0))
    _raises(RuntimeError, "The size of tensor a (3) must match the size of tensor b (2) at "
            "non-singleton dimension 0", lambda: autograd.zeros(3).masked_fill(T([True, False]),
                                                                             1.0))
    _raises(RuntimeError, "masked_select: expected BoolTensor for mask",
            lambda: x.masked_select(T([1, 0, 1])))
    _raises(IndexError, "index 5 is out of bounds for dimension 0 with size 2", lambda: x[5])
    _raises(IndexError, "index 5 is out of bounds for dimension 0 with size 2", lambda: x[T([5])])
    _raises(IndexError, "index 3 is out of bounds for dimension 1 with size 3", lambda: x[:, 3])
    _raises(IndexError, "tensors used as indices must be long, int, byte or bool tensors",
            lambda: x[T([1.0])])
    _raises(IndexError, "too many indices for tensor of dimension 2", lambda: x[0, 0, 0])
