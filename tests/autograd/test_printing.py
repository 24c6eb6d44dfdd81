"""``repr`` in PyTorch's layout. Every expected string is PyTorch 2.13's output with
``torch.`` spelled ``autograd.`` (and grad_fn names without PyTorch's ``0`` suffix)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import autograd.forward_ad as fwAD
from autograd.printing import get_printoptions, set_printoptions


def _t(values, dtype=None):
    return autograd.tensor(np.array(values), dtype=dtype)


F32, F64 = autograd.float32, autograd.float64

CASES = [
    ([1.0, 2.0], F32, "tensor([1., 2.])"),
    ([1.5, 2.25], F32, "tensor([1.5000, 2.2500])"),
    ([1e-5, 1.0], F32, "tensor([1.0000e-05, 1.0000e+00])"),
    ([1e10, 1.0], F32, "tensor([1.0000e+10, 1.0000e+00])"),
    ([123456.0, 1.5], F32, "tensor([1.2346e+05, 1.5000e+00])"),
    ([1.0, float("nan"), float("inf")], F32, "tensor([1., nan, inf])"),
    ([1.5, float("nan"), -float("inf")], F32, "tensor([1.5000,    nan,   -inf])"),
    ([-1.0, 2.0], F32, "tensor([-1.,  2.])"),
    ([-1.5, 2.0], F32, "tensor([-1.5000,  2.0000])"),
    ([-0.0, 1.0], F32, "tensor([-0., 1.])"),
    ([0.0, 0.0], F32, "tensor([0., 0.])"),
    ([float("nan"), float("nan")], F32, "tensor([nan, nan])"),
    (3.0, F32, "tensor(3.)"),
    (3.5, F32, "tensor(3.5000)"),
    (1e-7, F32, "tensor(1.0000e-07)"),
    (float("nan"), F32, "tensor(nan)"),
    ([[1.0, 2.0], [3.0, 4.5]], F32, "tensor([[1.0000, 2.0000],\n        [3.0000, 4.5000]])"),
    ([[[1.0]]], F32, "tensor([[[1.]]])"),
    ([1.0, 2.0], F64, "tensor([1., 2.], dtype=autograd.float64)"),
    ([1e-10, 1e10, 0.0], F64, "tensor([1.0000e-10, 1.0000e+10, 0.0000e+00], dtype=autograd.float64)"),
    ([1.0, 2.0], autograd.float16, "tensor([1., 2.], dtype=autograd.float16)"),
    ([1, 2], None, "tensor([1, 2])"),
    ([-10, 200], None, "tensor([-10, 200])"),
    ([1, 2], autograd.int32, "tensor([1, 2], dtype=autograd.int32)"),
    ([1, 2], autograd.uint8, "tensor([1, 2], dtype=autograd.uint8)"),
    (5, None, "tensor(5)"),
    ([True, False], None, "tensor([ True, False])"),
    ([True, True], None, "tensor([True, True])"),
    (True, None, "tensor(True)"),
    ([[True, False], [False, True]], None, "tensor([[ True, False],\n        [False,  True]])"),
    ([1 + 2j, 3 - 4.5j], autograd.complex64, "tensor([1.+2.0000j, 3.-4.5000j])"),
    ([1 + 2j, 3 - 4j], autograd.complex128, "tensor([1.+2.j, 3.-4.j], dtype=autograd.complex128)"),
]


@pytest.mark.parametrize("values,dtype,expected", CASES, ids=[c[2][:40] for c in CASES])
def test_repr_matches_pytorch(values, dtype, expected):
    assert repr(_t(values, dtype)) == expected


def test_empty_tensors():
    assert repr(autograd.tensor([])) == "tensor([])"
    assert repr(autograd.zeros(2, 0)) == "tensor([], size=(2, 0))"
    assert repr(autograd.zeros(3, 0, 2, dtype=autograd.int64)) == \
        "tensor([], size=(3, 0, 2), dtype=autograd.int64)"
    assert repr(autograd.tensor([], dtype=autograd.int64)) == "tensor([], dtype=autograd.int64)"


def test_rows_wrap_at_80_columns():
    x = _t(np.arange(30.0).reshape(5, 6) * 1000.5, F32)
    assert repr(x) == (
        "tensor([[    0.0000,  1000.5000,  2001.0000,  3001.5000,  4002.0000,  5002.5000],\n"
        "        [ 6003.0000,  7003.5000,  8004.0000,  9004.5000, 10005.0000, 11005.5000],\n"
        "        [12006.0000, 13006.5000, 14007.0000, 15007.5000, 16008.0000, 17008.5000],\n"
        "        [18009.0000, 19009.5000, 20010.0000, 21010.5000, 22011.0000, 23011.5000],\n"
        "        [24012.0000, 25012.5000, 26013.0000, 27013.5000, 28014.0000, 29014.5000]])"
    )
    y = _t([[1.5, -2.25, 3.125] + [float(i) for i in range(4, 16)]], F64)
    assert repr(y) == (
        "tensor([[ 1.5000, -2.2500,  3.1250,  4.0000,  5.0000,  6.0000,  7.0000,  8.0000,\n"
        "          9.0000, 10.0000, 11.0000, 12.0000, 13.0000, 14.0000, 15.0000]],\n"
        "       dtype=autograd.float64)"
    )


def test_three_dims_separated_by_blank_lines():
    assert repr(autograd.arange(24.0).reshape(2, 3, 4)) == (
        "tensor([[[ 0.,  1.,  2.,  3.],\n"
        "         [ 4.,  5.,  6.,  7.],\n"
        "         [ 8.,  9., 10., 11.]],\n"
        "\n"
        "        [[12., 13., 14., 15.],\n"
        "         [16., 17., 18., 19.],\n"
        "         [20., 21., 22., 23.]]])"
    )


def test_summarized_large_tensors():
    # the formatter sees only the printed items: 0..2 and 1997..1999 span > 1000x
    assert repr(autograd.arange(2000.0)) == (
        "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
        "        1.9990e+03])"
    )
    assert repr(autograd.arange(1200).reshape(2, 600)) == (
        "tensor([[   0,    1,    2,  ...,  597,  598,  599],\n"
        "        [ 600,  601,  602,  ..., 1197, 1198, 1199]])"
    )
    big = repr(autograd.zeros(10, 10, 30))
    assert big.count("...") == 43 and big.startswith("tensor([[[0., 0., 0.,  ..., 0., 0., 0.],")


def test_grad_suffixes():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * x) == "tensor([1., 4.], grad_fn=<MulBackward>)"
    assert repr((x * 2).sum()) == "tensor(6., grad_fn=<SumBackward>)"
    assert repr(autograd.tensor(1.0, requires_grad=True)) == "tensor(1., requires_grad=True)"
    assert repr(autograd.tensor([1.0, 2.0], dtype=F64, requires_grad=True)) == \
        "tensor([1., 2.], dtype=autograd.float64, requires_grad=True)"
    assert str(x) == repr(x)
    w = autograd.tensor(np.arange(20.0).reshape(2, 10) / 3, dtype=F64, requires_grad=True)
    assert repr(w * w.detach()).endswith("]], dtype=autograd.float64, grad_fn=<MulBackward>)")


def test_tangent_suffix_inside_a_dual_level():
    with fwAD.dual_level():
        d = fwAD.make_dual(autograd.tensor([1.0, 2.0]), autograd.tensor([3.0, 4.0]))
        assert repr(d * 2) == "tensor([2., 4.], tangent=tensor([6., 8.]))"


def test_default_dtype_changes_the_suffix():
    autograd.set_default_dtype(F64)
    try:
        assert repr(autograd.tensor([1.0])) == "tensor([1.])"
        assert repr(autograd.tensor([1.0], dtype=F32)) == "tensor([1.], dtype=autograd.float32)"
        assert repr(autograd.tensor([1j])) == "tensor([0.+1.j])"
    finally:
        autograd.set_default_dtype(F32)


def test_set_printoptions():
    before = get_printoptions()
    try:
        set_printoptions(precision=2)
        assert repr(autograd.tensor([1.2345, 2.0])) == "tensor([1.23, 2.00])"
        set_printoptions(sci_mode=True)
        assert repr(autograd.tensor([1.5])) == "tensor([1.50e+00])"
        set_printoptions(profile="default", threshold=5, edgeitems=1)
        assert repr(autograd.arange(10)) == "tensor([0,  ..., 9])"
        with pytest.raises(ValueError, match="unknown print profile"):
            set_printoptions(profile="huge")
    finally:
        set_printoptions(profile="default")
    assert get_printoptions() == before
