"""The Tensor API: attributes, conversions, Python protocols, NumPy interop, copying."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import autograd


def test_shape_size_dim_numel_dtype_device():
    x = autograd.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert x.shape == (2, 3) and x.size() == (2, 3)
    assert x.size(1) == 3 and x.size(-1) == 3 and x.size(0) == 2
    assert x.dim() == 2 and x.ndim == 2 and x.numel() == 6 and x.nelement() == 6
    assert x.dtype == autograd.float32
    assert x.device == autograd.device("cpu") and x.device == "cpu" and not x.is_cuda
    assert x.is_leaf and (x * 2).is_leaf is False
    assert x.element_size() == 4 and x.itemsize == 4 and x.nbytes == 24
    assert x.is_floating_point() and not x.is_complex()
    assert autograd.is_tensor(x) and not autograd.is_tensor(np.ones(2))


def test_item_tolist_numpy():
    x = autograd.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert x[0, 1].item() == 2.0 and isinstance(x[0, 1].item(), float)
    assert autograd.tensor([7]).item() == 7 and isinstance(autograd.tensor([7]).item(), int)
    assert autograd.tensor(True).item() is True
    with pytest.raises(RuntimeError, match="a Tensor with 4 elements cannot be converted to Scalar"):
        x.item()
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert autograd.tensor(3.5).tolist() == 3.5
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        x.numpy()
    a = x.detach().numpy()
    a[0, 0] = 10.0  # numpy() shares memory
    assert x[0, 0].item() == 10.0
    assert isinstance(x.numpy(force=True), np.ndarray)


def test_transposes_contiguous_and_strides():
    x = autograd.arange(6.0).reshape(2, 3)
    assert x.stride() == (3, 1) and x.stride(0) == 3 and x.stride(-1) == 1
    assert x.is_contiguous()
    t = x.T
    assert t.shape == (3, 2) and t.stride() == (1, 3) and not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c.stride() == (2, 1) and c.tolist() == t.tolist()
    assert x.contiguous() is x
    b = autograd.arange(24.0).reshape(2, 3, 4)
    assert b.mT.shape == (2, 4, 3)
    assert b.mT[1, 2, 0].item() == b[1, 0, 2].item()


def test_to_dtype_device_and_casts():
    x = autograd.tensor([[1.5, 2.0]], requires_grad=True)
    assert x.to("cpu") is x and x.float() is x and x.to(autograd.float32) is x
    y = x.to(autograd.float64)
    assert y.dtype == autograd.float64 and y.grad_fn.name() == "ToCopyBackward"
    assert x.to("cpu", autograd.float64).dtype == autograd.float64
    assert x.to(dtype=autograd.float16).dtype == autograd.float16
    assert x.to(autograd.ones(1, dtype=autograd.float64)).dtype == autograd.float64
    c = x.to(autograd.float32, copy=True)
    assert c is not x and c._data is not x._data
    assert x.double().dtype == autograd.float64
    assert x.half().dtype == autograd.float16
    lng = x.long()
    assert lng.dtype == autograd.int64 and lng.tolist() == [[1, 2]] and not lng.requires_grad
    assert x.int().dtype == autograd.int32
    assert x.bool().dtype == autograd.bool_ and x.bool().tolist() == [[True, True]]
    assert x.type_as(autograd.tensor([1])).dtype == autograd.int64
    with pytest.raises(TypeError, match="unexpected keyword"):
        x.to(device="cpu", colour="red")


def test_differentiable_dtype_cast_gradient_comes_back_in_source_dtype():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    (x.double() ** 2).sum().backward()
    assert x.grad.dtype == autograd.float32
    assert x.grad.tolist() == [2.0, 4.0]


def test_python_number_conversions():
    assert bool(autograd.tensor([1.0])) is True and bool(autograd.tensor(0)) is False
    assert float(autograd.tensor([[2.5]])) == 2.5
    assert int(autograd.tensor(3.7)) == 3
    assert complex(autograd.tensor(2.0)) == 2 + 0j
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with 2 elements is ambiguous"):
        bool(autograd.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="only one element tensors can be converted to Python scalars"):
        float(autograd.tensor([2.5, 1.0]))
    with pytest.raises(ValueError, match="only one element tensors"):
        int(autograd.tensor([3, 4]))


def test_index_protocol():
    seq = [10, 20, 30]
    assert seq[autograd.tensor(1)] == 20
    assert seq[autograd.tensor([2])] == 30
    assert list(range(5))[autograd.tensor(1):autograd.tensor(3)] == [1, 2]
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        seq[autograd.tensor(1.0)]
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        seq[autograd.tensor([1, 2])]


def test_len_iteration_contains():
    x = autograd.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3 and rows[1].tolist() == [3.0, 4.0]
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(autograd.tensor(1.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(autograd.tensor(1.0))
    assert 4.0 in x and 7 not in x
    assert autograd.tensor(2.0) in x
    with pytest.raises(RuntimeError, match="only supports Tensor or scalar"):
        "a" in x  # noqa: B015


def test_iteration_is_differentiable():
    x = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    total = sum(v * v for v in x)
    total.backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]


def test_hash_is_identity_so_tensors_are_dict_keys():
    a = autograd.tensor([1.0])
    b = autograd.tensor([1.0])
    d = {a: "a", b: "b"}
    assert len(d) == 2 and d[a] == "a" and d[b] == "b"
    assert a in {a} and b not in {a}


def test_numpy_interop():
    t = autograd.tensor([1.0, 2.0])
    arr = np.asarray(t)
    assert arr.dtype == np.float32 and arr.tolist() == [1.0, 2.0]
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    # numpy arrays on the left of an operator defer to the tensor
    for out in (np.ones(2) * t, np.ones(2) + t, np.ones(2) - t, np.ones(2) / t):
        assert isinstance(out, autograd.Tensor)
    assert (np.ones(2) * t).dtype == autograd.float64  # a float64 array is a float64 tensor
    assert (np.ones(2, dtype=np.float32) * t).dtype == autograd.float32
    assert isinstance(np.ones(2) == t, autograd.Tensor)
    # numpy scalars behave like Python numbers (no promotion to float64)
    assert (np.float64(2.0) * t).dtype == autograd.float32
    assert (t * np.float64(2.0)).tolist() == [2.0, 4.0]
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    (np.array([3.0, 4.0], dtype=np.float32) * x).sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]


def test_deepcopy_of_leaves():
    a = autograd.tensor([1.0, 2.0], requires_grad=True)
    (a * 2).sum().backward()
    b = copy.deepcopy(a)
    assert b is not a and b.requires_grad and b.is_leaf
    assert b.grad is not None and b.grad is not a.grad and b.grad.tolist() == [2.0, 2.0]
    b.data[0] = 10.0
    assert a.tolist() == [1.0, 2.0]
    shared = [a, a]
    c = copy.deepcopy(shared)
    assert c[0] is c[1]  # the memo keeps identity
    with pytest.raises(RuntimeError, match="Only Tensors created explicitly by the user"):
        copy.deepcopy(a * 2)


def test_pickle_round_trip():
    a = autograd.tensor([[1.0, 2.0]], dtype=autograd.float64, requires_grad=True)
    b = pickle.loads(pickle.dumps(a))
    assert b.tolist() == a.tolist() and b.dtype == a.dtype and b.requires_grad


def test_clone_is_differentiable_and_copies():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.grad_fn is not None and c._data is not x._data
    (c * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_new_factories_follow_self():
    x = autograd.tensor([1.0], dtype=autograd.float64)
    assert x.new_zeros(2, 3).dtype == autograd.float64 and x.new_zeros(2, 3).shape == (2, 3)
    assert x.new_ones((2,)).tolist() == [1.0, 1.0]
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0]
    assert x.new_empty(4).shape == (4,)
    assert x.new_tensor([1, 2]).dtype == autograd.float64
    assert x.new_zeros(2, dtype=autograd.int64).dtype == autograd.int64


def test_grad_setter_checks():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    x.grad = autograd.tensor([1.0, 1.0])
    with pytest.raises(RuntimeError, match="different size"):
        x.grad = autograd.tensor([1.0])
    with pytest.raises(RuntimeError, match="different type"):
        x.grad = autograd.tensor([1.0, 1.0], dtype=autograd.float64)
    with pytest.raises(TypeError):
        x.grad = [1.0, 1.0]
    del x.grad
    assert x.grad is None


def test_format_spec():
    assert f"{autograd.tensor(2.5):.2f}" == "2.50"
    assert f"{autograd.tensor(2.5)}" == "2.5"
    assert f"{autograd.tensor([1.0])}" == "tensor([1.])"


def test_plain_op_methods_are_bound():
    x = autograd.tensor([1.0, -2.0, 3.0])
    assert x.greater(0).tolist() == [True, False, True]
    assert x.less_equal(1).tolist() == [True, True, False]
    assert x.arctan().tolist() == autograd.atan(x).tolist()
    assert x.fliplr is not None and autograd.Tensor.hypot.__qualname__ == "Tensor.hypot"
    assert autograd.zeros(3).index_copy(0, autograd.tensor([2]), autograd.ones(1)).tolist() == \
        [0.0, 0.0, 1.0]


def test_type_names_and_to_keywords():
    assert autograd.ones(1).type() == "autograd.FloatTensor"
    assert autograd.tensor([1]).type() == "autograd.LongTensor"
    assert autograd.ones(1).type(autograd.float64).dtype == autograd.float64
    x = autograd.ones(2)
    assert x.to(dtype=autograd.float64, non_blocking=True, memory_format=None).dtype == autograd.float64
