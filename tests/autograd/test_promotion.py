"""Type promotion (``ops._util.result_dtype`` / ``promote``) against PyTorch's table.
Every expected dtype and value below is what PyTorch 2.13 gives."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import backend
from autograd.ops._util import check_inplace_cast, promote, promote_types, result_dtype, type_name

F16, F32, F64 = autograd.float16, autograd.float32, autograd.float64
I8, I32, I64, U8 = autograd.int8, autograd.int32, autograd.int64, autograd.uint8
B, C64, C128 = autograd.bool_, autograd.complex64, autograd.complex128


def T(values, dtype):
    return autograd.tensor(values, dtype=dtype)


i64, i32, f32, f64 = T([1, 2], I64), T([1, 2], I32), T([1.0, 2.0], F32), T([1.0, 2.0], F64)
f16, b, u8, i8 = T([1.0, 2.0], F16), T([True, False], B), T([1, 2], U8), T([1, 2], I8)
f64s, i64s, f32s, bs, c64 = T(1.0, F64), T(1, I64), T(1.0, F32), T(True, B), T([1j], C64)

BINARY = [
    ("i64 + 1.5", lambda: i64 + 1.5, F32, [2.5, 3.5]),
    ("f32 + f64 zero-dim", lambda: f32 + f64s, F32, [2.0, 3.0]),
    ("i32 + i64", lambda: i32 + i64, I64, [2, 4]),
    ("bool + 1", lambda: b + 1, I64, [2, 1]),
    ("bool + True", lambda: b + True, B, [True, True]),
    ("f16 + f32", lambda: f16 + f32, F32, [2.0, 4.0]),
    ("i64 / i64", lambda: i64 / i64, F32, [1.0, 1.0]),
    ("i32 / 2", lambda: i32 / 2, F32, [0.5, 1.0]),
    ("i32 + i64 zero-dim", lambda: i32 + i64s, I32, [2, 3]),
    ("i64 + f32 zero-dim", lambda: i64 + f32s, F32, [2.0, 3.0]),
    ("u8 + i8", lambda: u8 + i8, autograd.int16, [2, 4]),
    ("bool + bool", lambda: b + b, B, [True, False]),
    ("f16 + 1.5", lambda: f16 + 1.5, F16, [2.5, 3.5]),
    ("f16 + f64 zero-dim", lambda: f16 + f64s, F16, [2.0, 3.0]),
    ("i32 + f64 zero-dim", lambda: i32 + f64s, F64, [2.0, 3.0]),
    ("f32 + 1j", lambda: f32 + 1j, C64, [1 + 1j, 2 + 1j]),
    ("f64 + 1j", lambda: f64 + 1j, C128, [1 + 1j, 2 + 1j]),
    ("c64 + f64", lambda: c64 + f64, C128, [1 + 1j, 2 + 1j]),
    ("i64 * True", lambda: i64 * True, I64, [1, 2]),
    ("bool * 2.5", lambda: b * 2.5, F32, [2.5, 0.0]),
    ("u8 + 1", lambda: u8 + 1, U8, [2, 3]),
    ("u8 + 300 wraps", lambda: u8 + 300, U8, [45, 46]),
    ("i32 * 2", lambda: i32 * 2, I32, [2, 4]),
    ("bool zero-dim + i32", lambda: bs + i32, I32, [2, 3]),
    ("i64 zero-dim + f32 zero-dim", lambda: i64s + f32s, F32, 2.0),
    ("f64 zero-dim + f32 zero-dim", lambda: f64s + f32s, F64, 2.0),
    ("i32 ** 2", lambda: i32**2, I32, [1, 4]),
    ("i32 ** 2.0", lambda: i32**2.0, F32, [1.0, 4.0]),
    ("2 ** i32", lambda: 2**i32, I32, [2, 4]),
    ("2.0 ** i32", lambda: 2.0**i32, F32, [2.0, 4.0]),
    ("i32 // 2", lambda: i32 // 2, I32, [0, 1]),
    ("i32 % 2.5", lambda: i32 % 2.5, F32, [1.0, 2.0]),
    ("f32 + numpy float64 scalar", lambda: f32 + np.float64(1.0), F32, [2.0, 3.0]),
    ("numpy float64 scalar + f32", lambda: np.float64(1.0) + f32, F32, [2.0, 3.0]),
    ("i32 + numpy int64 scalar", lambda: i32 + np.int64(1), I32, [2, 3]),
]


@pytest.mark.parametrize("name,fn,dtype,values", BINARY, ids=[c[0] for c in BINARY])
def test_binary_promotion_matches_pytorch(name, fn, dtype, values):
    out = fn()
    assert out.dtype == dtype
    assert out.tolist() == values


INPLACE = [
    ("f32 += f64", lambda: f32.clone().add_(f64), F32, [2.0, 4.0]),
    ("f32 += i64", lambda: f32.clone().add_(i64), F32, [2.0, 4.0]),
    ("i32 += i64", lambda: i32.clone().add_(i64), I32, [2, 4]),
    ("f16 *= 2.5", lambda: f16.clone().mul_(2.5), F16, [2.5, 5.0]),
    ("i64 *= True", lambda: i64.clone().mul_(True), I64, [1, 2]),
]


@pytest.mark.parametrize("name,fn,dtype,values", INPLACE, ids=[c[0] for c in INPLACE])
def test_in_place_keeps_destination_dtype(name, fn, dtype, values):
    out = fn()
    assert out.dtype == dtype and out.tolist() == values


def test_in_place_refuses_a_higher_category():
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type"):
        i64.clone().add_(1.5)
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        i64.clone().add_(f32)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type"):
        i64.clone().div_(2)


@pytest.mark.parametrize("dst,other,message", [
    (i64, 1.5, "result type Float can't be cast to the desired output type Long"),
    (i64, f32, "result type Float can't be cast to the desired output type Long"),
    (b, 1, "result type Long can't be cast to the desired output type Bool"),
    (i32, f64s, "result type Double can't be cast to the desired output type Int"),
    (f32, 1j, "result type ComplexFloat can't be cast to the desired output type Float"),
])
def test_check_inplace_cast_wording(dst, other, message):
    with pytest.raises(RuntimeError, match=message):
        check_inplace_cast(dst, other)


def test_check_inplace_cast_allows_same_or_lower_category():
    for dst, other in ((f32, f64), (f32, 1), (i32, i64), (i64, True), (f16, 2.5), (c64, f64)):
        check_inplace_cast(dst, other)


def test_result_dtype_groups():
    assert result_dtype(i64, 1.5) == F32
    assert result_dtype(f32, f64s) == F32
    assert result_dtype(i32, f64s) == F64
    assert result_dtype(f32s, 1j) == C64
    assert result_dtype(1, 2) == I64
    assert result_dtype(1, 2.0) == F32
    assert result_dtype(True) == B
    assert result_dtype(T(1j, C128), f32) == C64  # a float dims tensor keeps its precision


def test_result_dtype_follows_default_dtype():
    autograd.set_default_dtype(F64)
    try:
        assert result_dtype(i64, 1.5) == F64
        assert result_dtype(f32, 1.5) == F32
        assert result_dtype(i64, 1j) == C128
        assert (i64 / i64).dtype == F64
    finally:
        autograd.set_default_dtype(F32)


def test_promote_types_table():
    assert promote_types(I64, F32) == F32
    assert promote_types(U8, I8) == autograd.int16
    assert promote_types(C64, F64) == C128
    assert promote_types(F16, C64) == C64
    assert promote_types(B, I32) == I32
    assert promote_types(I32, I32) == I32
    if backend.bfloat16 is not None:
        assert promote_types(F16, backend.bfloat16) == F32


def test_promote_casts_differentiably():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = autograd.tensor([3.0, 4.0], dtype=F64)
    px, py = promote(x, y)
    assert px.dtype == F64 and px.grad_fn is not None and py is y
    (px * py).sum().backward()
    assert x.grad.dtype == F32 and x.grad.tolist() == [3.0, 4.0]
    # already matching operands come back untouched
    assert promote(x, 2.0) == (x, 2.0)
    px, s = promote(i64, 2.5)
    assert px.dtype == F32 and s == 2.5 and isinstance(s, float)


def test_type_names():
    assert [type_name(d) for d in (F32, F64, F16, I64, I32, B, U8, C64)] == [
        "Float", "Double", "Half", "Long", "Int", "Bool", "Byte", "ComplexFloat"]
