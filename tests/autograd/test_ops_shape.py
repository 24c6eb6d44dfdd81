"""Movement (shape) ops: gradient checks (float64, first and second order, forward and
reverse mode, contiguous and strided), values against NumPy, views vs copies, and
PyTorch's error messages."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from tests.autograd.harness import OpSpec, params, run_spec


def one(fn, shapes, name, **kw):
    return OpSpec(name, fn, [(s,) for s in shapes], **kw)


UNARY = [
    one(lambda x: x.reshape(-1), [(2, 3), ()], "reshape"),
    one(lambda x: x.reshape(3, 1, 2), [(2, 3)], "reshape_split"),
    one(lambda x: x.view(3, 2), [(2, 3)], "view", noncontig=False),
    one(lambda x: x.permute(2, 0, 1), [(2, 3, 2)], "permute"),
    one(lambda x: x.transpose(0, 1), [(2, 3)], "transpose"),
    one(lambda x: x.t(), [(2, 3), (3,)], "t"),
    one(lambda x: x.T, [(2, 3)], "T"),
    one(lambda x: x.mT, [(2, 2, 3)], "mT"),
    one(lambda x: x.expand(2, 3, 3), [(3, 1), (1,)], "expand"),
    one(lambda x: x.expand(-1, 4), [(2, 1)], "expand_keep"),
    one(lambda x: autograd.broadcast_to(x, (2, 2, 3)), [(3,), (2, 1, 3)], "broadcast_to"),
    one(lambda x: x.squeeze(), [(1, 3, 1)], "squeeze"),
    one(lambda x: x.squeeze(0), [(1, 3)], "squeeze_dim"),
    one(lambda x: x.unsqueeze(-1), [(3,), ()], "unsqueeze"),
    one(lambda x: x.flatten(), [(2, 3), ()], "flatten"),
    one(lambda x: x.flatten(1, 2), [(2, 3, 2)], "flatten_mid"),
    one(lambda x: autograd.ravel(x), [(2, 3)], "ravel"),
    one(lambda x: x.unflatten(1, (2, -1)), [(2, 6)], "unflatten"),
    one(lambda x: x.movedim(0, -1), [(2, 3, 2)], "movedim"),
    one(lambda x: autograd.movedim(x, (0, 1), (2, 0)), [(2, 3, 2)], "movedim_multi"),
    one(lambda x: autograd.swapaxes(x, 0, 2), [(2, 3, 2)], "swapaxes"),
    one(lambda x: x.narrow(1, 1, 2), [(2, 4)], "narrow"),
    one(lambda x: x.narrow(0, -2, 1), [(3, 2)], "narrow_neg"),
    one(lambda x: x.unbind(1), [(2, 3)], "unbind"),
    one(lambda x: x.unbind(0), [(3,)], "unbind_to_scalars"),
    one(lambda x: x.split(2), [(5, 2)], "split_int"),
    one(lambda x: x.split([1, 3], dim=1), [(2, 4)], "split_sizes"),
    one(lambda x: autograd.tensor_split(x, 3), [(5,)], "tensor_split_sections"),
    one(lambda x: autograd.tensor_split(x, [3, 1, 4]), [(5,)], "tensor_split_overlap"),
    one(lambda x: x.chunk(3, 1), [(2, 5)], "chunk"),
    one(lambda x: x.flip(0, 1), [(2, 3)], "flip"),
    one(lambda x: autograd.fliplr(x), [(2, 3)], "fliplr"),
    one(lambda x: autograd.flipud(x), [(2, 3)], "flipud"),
    one(lambda x: x.roll(1), [(2, 3)], "roll_flat"),
    one(lambda x: x.roll((1, -2), (0, 1)), [(2, 3)], "roll_dims"),
    one(lambda x: x.repeat(2, 1, 3), [(2, 2)], "repeat"),
    one(lambda x: x.repeat(2), [()], "repeat_scalar"),
    one(lambda x: x.tile((2,)), [(2, 2)], "tile"),
    one(lambda x: autograd.repeat_interleave(x, 2), [(2, 2)], "repeat_interleave_flat"),
    one(lambda x: autograd.repeat_interleave(x, autograd.tensor([0, 2, 1]), dim=1), [(2, 3)],
        "repeat_interleave_tensor"),
    one(lambda x: autograd.pad(x, (1, 2)), [(2, 3)], "pad_constant"),
    one(lambda x: autograd.pad(x, (1, -1, -1, 2), value=0.5), [(3, 3)], "pad_crop"),
    one(lambda x: autograd.pad(x, (2, 1, 1, 1), mode="reflect"), [(1, 3, 3)], "pad_reflect"),
    one(lambda x: autograd.pad(x, (2, 1), mode="replicate"), [(2, 3)], "pad_replicate"),
    one(lambda x: autograd.pad(x, (2, 3), mode="circular"), [(1, 3)], "pad_circular"),
    one(lambda x: autograd.pad(x, (-1, 2), mode="reflect"), [(1, 4)], "pad_reflect_crop"),
    one(lambda x: autograd.atleast_3d(x), [(3,), (2, 3)], "atleast_3d"),
    one(lambda x: x.clone(), [(2, 3)], "clone"),
    one(lambda x: x[1:, ::2], [(3, 4)], "getitem_view"),
    one(lambda x: x.T.reshape(-1), [(2, 3)], "reshape_copy"),
]

MULTI = [
    OpSpec("cat", lambda x, y: autograd.cat([x, y], dim=1), [((2, 1), (2, 3)), ((2, 2), (2, 0))]),
    OpSpec("cat_three", lambda x, y, z: autograd.cat([x, y, z]), [((1,), (3,), (2,))]),
    OpSpec("stack", lambda x, y: autograd.stack([x, y], dim=-1), [((2, 3), (2, 3)), ((), ())]),
    OpSpec("hstack", lambda x, y: autograd.hstack([x, y]), [((2,), (3,)), ((2, 1), (2, 2))]),
    OpSpec("vstack", lambda x, y: autograd.vstack([x, y]), [((3,), (2, 3))]),
    OpSpec("dstack", lambda x, y: autograd.dstack([x, y]), [((2, 3), (2, 3, 2))]),
    OpSpec("column_stack", lambda x, y: autograd.column_stack([x, y]), [((3,), (3, 2))]),
    OpSpec("meshgrid_ij", lambda x, y: autograd.meshgrid(x, y, indexing="ij"), [((2,), (3,))]),
    OpSpec("meshgrid_xy", lambda x, y: autograd.meshgrid(x, y, indexing="xy"), [((2,), (3,))]),
    OpSpec("broadcast_tensors", lambda x, y: autograd.broadcast_tensors(x, y),
           [((2, 1), (3,))]),
    OpSpec("split_then_cat", lambda x, y: autograd.cat(x.split(1) + (y,)), [((2, 2), (1, 2))]),
]


@pytest.mark.parametrize("spec,shapes", params(UNARY))
def test_shape_op_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


@pytest.mark.parametrize("spec,shapes", params(MULTI))
def test_multi_input_gradients(spec: OpSpec, shapes: tuple) -> None:
    run_spec(spec, shapes)


def _np(t):
    return np.asarray(t.detach())


# ----------------------------------------------------------------------------- values


def test_join_values_match_numpy() -> None:
    a, b = np.arange(6.0).reshape(2, 3), np.arange(6.0, 12).reshape(2, 3)
    ta, tb = autograd.tensor(a), autograd.tensor(b)
    assert np.array_equal(_np(autograd.cat([ta, tb], 1)), np.concatenate([a, b], 1))
    assert np.array_equal(_np(autograd.concat([ta, tb])), np.concatenate([a, b]))
    assert np.array_equal(_np(autograd.concatenate([ta, tb], axis=-1)), np.concatenate([a, b], -1))
    assert np.array_equal(_np(autograd.stack([ta, tb], -1)), np.stack([a, b], -1))
    assert np.array_equal(_np(autograd.hstack([ta, tb])), np.hstack([a, b]))
    assert np.array_equal(_np(autograd.vstack([ta, tb])), np.vstack([a, b]))
    assert np.array_equal(_np(autograd.row_stack([ta, tb])), np.vstack([a, b]))
    assert np.array_equal(_np(autograd.dstack([ta, tb])), np.dstack([a, b]))
    v = np.arange(2.0)
    assert np.array_equal(_np(autograd.column_stack([autograd.tensor(v), ta])),
                          np.column_stack([v, a]))


def test_cat_promotes_dtypes_like_pytorch() -> None:
    i64 = autograd.zeros(2, dtype=autograd.int64)
    f32 = autograd.zeros(2, dtype=autograd.float32)
    b = autograd.zeros(2, dtype=autograd.bool)
    assert autograd.cat([i64, f32, b]).dtype == autograd.float32
    assert autograd.cat([autograd.zeros(2, dtype=autograd.int32),
                         autograd.zeros(2, dtype=autograd.float16)]).dtype == autograd.float16
    assert autograd.cat([i64, b]).dtype == autograd.int64
    x = autograd.ones(2, dtype=autograd.float32, requires_grad=True)
    y = autograd.ones(2, dtype=autograd.float64, requires_grad=True)
    out = autograd.cat([x, y])
    assert out.dtype == autograd.float64
    out.sum().backward()
    assert x.grad.dtype == autograd.float32 and y.grad.tolist() == [1.0, 1.0]


def test_cat_skips_legacy_empty_1d_tensors() -> None:
    x = autograd.ones(2, 3)
    assert autograd.cat([autograd.zeros(0), x], 1).shape == (2, 3)
    assert autograd.cat([autograd.zeros(0), autograd.zeros(0)]).shape == (0,)


def test_split_family_values() -> None:
    x = autograd.arange(7)
    assert [p.tolist() for p in x.split(3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [p.tolist() for p in x.split([2, 0, 5])] == [[0, 1], [], [2, 3, 4, 5, 6]]
    assert [p.tolist() for p in x.chunk(3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [p.shape for p in autograd.zeros(6).chunk(5)] == [(2,), (2,), (2,)]
    assert [p.shape for p in autograd.zeros(0).chunk(3)] == [(0,), (0,), (0,)]
    assert [p.shape for p in autograd.zeros(0).split(2)] == [(0,)]
    ref = np.array_split(np.arange(7), 3)
    assert [p.tolist() for p in autograd.tensor_split(x, 3)] == [r.tolist() for r in ref]
    ts = autograd.tensor_split
    assert [p.tolist() for p in ts(x, [3, 1, 9])] == [[0, 1, 2], [], [1, 2, 3, 4, 5, 6], []]
    assert [p.tolist() for p in ts(x, autograd.tensor([2]))] == [[0, 1], [2, 3, 4, 5, 6]]
    assert [p.tolist() for p in ts(x, autograd.tensor(2))] == [[0, 1, 2, 3], [4, 5, 6]]
    assert autograd.zeros(2, 0).unbind(1) == ()


def test_reorder_values_match_numpy() -> None:
    a = np.arange(24.0).reshape(2, 3, 4)
    t = autograd.tensor(a)
    assert np.array_equal(_np(t.flip(0, 2)), np.flip(a, (0, 2)))
    assert np.array_equal(_np(autograd.flip(t, (-1,))), np.flip(a, -1))
    assert np.array_equal(_np(autograd.fliplr(t)), np.fliplr(a))
    assert np.array_equal(_np(autograd.flipud(t)), np.flipud(a))
    assert np.array_equal(_np(t.roll(5)), np.roll(a, 5))
    assert np.array_equal(_np(t.roll((1, -1), (1, 2))), np.roll(a, (1, -1), (1, 2)))
    assert np.array_equal(_np(t.repeat(2, 1, 1, 3)), np.tile(a, (2, 1, 1, 3)))
    assert np.array_equal(_np(t.tile(2)), np.tile(a, 2))
    assert np.array_equal(_np(autograd.repeat_interleave(t, 2, dim=1)), np.repeat(a, 2, axis=1))
    assert np.array_equal(_np(autograd.repeat_interleave(t, 3)), np.repeat(a, 3))
    counts = np.array([1, 0, 2])
    assert np.array_equal(_np(autograd.repeat_interleave(t, autograd.tensor(counts), dim=1)),
                          np.repeat(a, counts, axis=1))
    assert autograd.repeat_interleave(autograd.tensor([2, 0, 1])).tolist() == [0, 0, 2]
    assert np.array_equal(_np(t.movedim((0, 1), (-1, 0))), np.moveaxis(a, (0, 1), (-1, 0)))
    assert np.array_equal(_np(t.flatten(0, 1)), a.reshape(6, 4))
    assert t.unflatten(-1, (2, 2)).shape == (2, 3, 2, 2)
    assert np.array_equal(_np(t.narrow(2, 1, 2)), a[:, :, 1:3])


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_matches_numpy(mode: str) -> None:
    a = np.arange(12.0).reshape(1, 3, 4)
    np_mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
               "circular": "wrap"}[mode]
    got = autograd.pad(autograd.tensor(a), (2, 1, 1, 2), mode=mode)
    assert np.array_equal(_np(got), np.pad(a, ((0, 0), (1, 2), (2, 1)), mode=np_mode))


def test_pad_constant_value_and_crop() -> None:
    x = autograd.arange(4.0).reshape(2, 2)
    assert autograd.pad(x, (1, 0), value=9.0).tolist() == [[9.0, 0.0, 1.0], [9.0, 2.0, 3.0]]
    assert autograd.pad(x, (-1, 1)).tolist() == [[1.0, 0.0], [3.0, 0.0]]
    assert autograd.pad(x, (0, 0, -1, 0)).tolist() == [[2.0, 3.0]]
    ints = autograd.pad(autograd.tensor([1, 2]), (1, 1), value=7)
    assert ints.dtype == autograd.int64 and ints.tolist() == [7, 1, 2, 7]


def test_meshgrid_and_broadcast_values() -> None:
    x, y = np.arange(2.0), np.arange(3.0)
    for ix in ("ij", "xy"):
        got = autograd.meshgrid(autograd.tensor(x), autograd.tensor(y), indexing=ix)
        for g, r in zip(got, np.meshgrid(x, y, indexing=ix)):
            assert np.array_equal(_np(g), r)
    assert autograd.broadcast_shapes((2, 1), (1, 3), (3,)) == (2, 3)
    a, b = autograd.broadcast_tensors(autograd.zeros(2, 1), autograd.zeros(3))
    assert a.shape == b.shape == (2, 3)


def test_atleast_nd_shapes() -> None:
    s, v, m = autograd.tensor(1.0), autograd.zeros(3), autograd.zeros(2, 3)
    assert autograd.atleast_1d(s).shape == (1,)
    assert [t.shape for t in autograd.atleast_2d(s, v, m)] == [(1, 1), (1, 3), (2, 3)]
    assert [t.shape for t in autograd.atleast_3d([s, v, m])] == [(1, 1, 1), (1, 3, 1), (2, 3, 1)]
    assert autograd.atleast_1d(v) is v


# ----------------------------------------------------------------------------- views or copies


def _shares(a, b) -> bool:
    return np.shares_memory(a._data, b._data)


def test_view_ops_share_memory_and_copies_do_not() -> None:
    x = autograd.tensor(np.arange(12.0).reshape(3, 4))
    views = [x.view(4, 3), x.reshape(2, 6), x.T, x.mT, x.permute(1, 0), x.transpose(0, 1),
             x.unsqueeze(0), x.unsqueeze(0).squeeze(0), x[:, 1], x.narrow(1, 1, 2),
             x.flatten(), x.unflatten(1, (2, 2)), x.movedim(0, 1), x.expand(2, 3, 4),
             *x.split(2), *x.chunk(2, 1), *x.unbind(1), *autograd.tensor_split(x, 2), x[0, 0]]
    for v in views:
        assert _shares(v, x) and v._base is x and v._vc is x._vc
    copies = [x.T.reshape(-1), x.T.flatten(), x.flip(0), x.roll(1), x.repeat(1, 1), x.clone(),
              autograd.cat([x]), autograd.stack([x]), autograd.pad(x, (0, 0)), x.tile(1),
              x[[0, 1]], x[x > 3]]
    for c in copies:
        assert not _shares(c, x) and c._base is None and c._vc is not x._vc


def test_reshape_of_strided_tensor_is_a_real_copy() -> None:
    a = autograd.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    b = a.reshape(2, 2) * 1
    c = b.T.reshape(-1)  # not viewable: a copy
    c.mul_(10)  # must not write into b, nor make b's graph see the write
    assert b.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    (b.sum() + c.sum()).backward()
    assert a.grad.tolist() == [11.0, 11.0, 11.0, 11.0]


def test_expand_without_repeats_is_a_writable_view() -> None:
    x = autograd.zeros(3)
    e = x.expand(1, 3)
    e[0, 1] = 5.0
    assert x.tolist() == [0.0, 5.0, 0.0]


def test_writing_into_expanded_tensor_raises() -> None:
    e = autograd.zeros(3).expand(2, 3)
    with pytest.raises(RuntimeError, match="expand"):
        e.add_(1)
    with pytest.raises(RuntimeError, match="expand"):
        e[0, 0] = 1.0


def test_split_outputs_support_gradient_and_multiple_uses() -> None:
    x = autograd.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    a, b = x.split(2)
    (a * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 0.0, 0.0]
    x.grad = None
    a, b = x.chunk(2)
    (a * b).sum().backward()
    assert x.grad.tolist() == [3.0, 4.0, 1.0, 2.0]


# ----------------------------------------------------------------------------- errors


def _raises(exc, msg, fn) -> None:
    with pytest.raises(exc) as info:
        fn()
    assert msg in str(info.value), str(info.value)


def test_cat_and_stack_errors() -> None:
    z = autograd.zeros
    _raises(RuntimeError, "Sizes of tensors must match except in dimension 1. Expected size 2 "
            "but got size 3 for tensor number 1 in the list.",
            lambda: autograd.cat([z(2, 2), z(3, 3)], 1))
    _raises(RuntimeError, "Tensors must have same number of dimensions: got 2 and 1",
            lambda: autograd.cat([z(2, 2), z(2)]))
    _raises(RuntimeError, "zero-dimensional tensor (at position 0) cannot be concatenated",
            lambda: autograd.cat([z(()), z(2)]))
    _raises(ValueError, "expected a non-empty list of Tensors", lambda: autograd.cat([]))
    _raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
            lambda: autograd.cat([z(2, 2)], 2))
    _raises(TypeError, "expected Tensor as element 1", lambda: autograd.cat([z(2), 3]))
    _raises(RuntimeError, "stack expects each tensor to be equal size, but got [2] at entry 0 "
            "and [3] at entry 1", lambda: autograd.stack([z(2), z(3)]))
    _raises(RuntimeError, "stack expects a non-empty TensorList", lambda: autograd.stack([]))


def test_split_errors() -> None:
    x = autograd.zeros(5)
    _raises(RuntimeError, "split_size can only be 0 if dimension size is 0, but got dimension "
            "size of 5", lambda: x.split(0))
    _raises(RuntimeError, "split expects split_size be non-negative, but got split_size=-1",
            lambda: x.split(-1))
    _raises(RuntimeError, "split_with_sizes expects split_sizes to sum exactly to 5 (input "
            "tensor's size at dimension 0), but got split_sizes=[2, 2]", lambda: x.split([2, 2]))
    _raises(RuntimeError, "non-negative entries", lambda: x.split([6, -1]))
    _raises(RuntimeError, "chunk expects `chunks` to be greater than 0, got: 0",
            lambda: x.chunk(0))
    _raises(RuntimeError, "number of sections must be larger than 0, got 0",
            lambda: autograd.tensor_split(x, 0))
    _raises(RuntimeError, "to have dtype of long, but got",
            lambda: autograd.tensor_split(x, autograd.tensor(2.0)))
    _raises(RuntimeError, "tensor_split expected at least a 1-dimensional tensor",
            lambda: autograd.tensor_split(autograd.tensor(1.0), 2))
    _raises(IndexError, "no dimensions", lambda: autograd.tensor(1.0).unbind())


def test_reorder_errors() -> None:
    x = autograd.zeros(2, 3)
    _raises(RuntimeError, "dim 0 appears multiple times in the list of dims",
            lambda: x.flip(0, 0))
    _raises(RuntimeError, "Input must be >= 2-d.", lambda: autograd.fliplr(autograd.zeros(3)))
    _raises(RuntimeError, "Input must be >= 1-d.", lambda: autograd.flipud(autograd.tensor(1.0)))
    _raises(RuntimeError, "shifts and dimensions must align. shifts: 2, dims:1",
            lambda: x.roll((1, 2), 0))
    _raises(RuntimeError, "shifts and dimensions must align. shifts: 2, dims:0",
            lambda: x.roll((1, 2)))
    _raises(RuntimeError, "Number of dimensions of repeat dims can not be smaller than number "
            "of dimensions of tensor", lambda: x.repeat(2))
    _raises(RuntimeError, "Trying to create tensor with negative dimension -3: [4, -3]",
            lambda: x.repeat(2, -1))
    _raises(RuntimeError, "repeats can not be negative",
            lambda: autograd.repeat_interleave(autograd.zeros(3), autograd.tensor([1, -1, 2])))
    _raises(RuntimeError, "repeats must have the same size as input along dim, but got "
            "repeats.size(0) = 2 and input.size(0) = 3",
            lambda: autograd.repeat_interleave(autograd.zeros(3), autograd.tensor([1, 2])))
    _raises(RuntimeError, "repeats must be 0-dim or 1-dim tensor",
            lambda: autograd.repeat_interleave(autograd.zeros(3), autograd.tensor([[1, 2, 1]])))
    _raises(RuntimeError, "Repeats must be non-negative",
            lambda: autograd.repeat_interleave(x, -1))


def test_pad_errors() -> None:
    x = autograd.zeros(1, 3)
    _raises(RuntimeError, "Padding length must be divisible by 2", lambda: autograd.pad(x, (1,)))
    _raises(RuntimeError, "Padding length should be less than or equal to two times the input "
            "dimension but got padding length 6 and input of dimension 2",
            lambda: autograd.pad(x, (1,) * 6))
    _raises(RuntimeError, "Padding size should be less than the corresponding input dimension, "
            "but got: padding (3, 3) at dimension 1 of input [1, 3]",
            lambda: autograd.pad(x, (3, 3), mode="reflect"))
    _raises(RuntimeError, "Padding value causes wrapping around more than once",
            lambda: autograd.pad(x, (4, 0), mode="circular"))
    _raises(RuntimeError, "Padding mode \"reflect\" doesn't take in value argument",
            lambda: autograd.pad(x, (1, 1), mode="reflect", value=1.0))
    _raises(ValueError, "Unrecognised padding mode foo", lambda: autograd.pad(x, (1, 0), "foo"))
    _raises(RuntimeError, "negative size", lambda: autograd.pad(x, (-2, -2)))


def test_view_family_errors() -> None:
    x = autograd.zeros(2, 3)
    _raises(RuntimeError, "start (1) + length (3) exceeds dimension size (3).",
            lambda: x.narrow(1, 1, 3))
    _raises(IndexError, "start out of range (expected to be in range of [-3, 3], but got 4)",
            lambda: x.narrow(1, 4, 0))
    _raises(RuntimeError, "narrow(): length must be non-negative.", lambda: x.narrow(1, 0, -1))
    _raises(RuntimeError, "movedim: Invalid source or destination dims: source ([0, 1] dims) "
            "should contain the same number of dims as destination ([0] dims)",
            lambda: x.movedim((0, 1), (0,)))
    _raises(RuntimeError, "movedim: repeated dim in `source` ([0, 0])",
            lambda: x.movedim((0, 0), (0, 1)))
    _raises(RuntimeError, "movedim: repeated dim in `destination` ([1, 1])",
            lambda: x.movedim((0, 1), (1, 1)))
    _raises(RuntimeError, "flatten() has invalid args: start_dim cannot come after end_dim",
            lambda: x.flatten(1, 0))
    _raises(RuntimeError, "unflatten: Provided sizes [2, 2] don't multiply up to the size of dim "
            "0 (5) in the input tensor", lambda: autograd.zeros(5).unflatten(0, (2, 2)))
    _raises(RuntimeError, "unflatten: sizes must be non-empty", lambda: x.unflatten(0, ()))
    _raises(RuntimeError, "meshgrid expects all tensors to have the same dtype",
            lambda: autograd.meshgrid(autograd.zeros(2), autograd.arange(2), indexing="ij"))
    _raises(RuntimeError, 'indexing must be one of "xy" or "ij", but received: foo',
            lambda: autograd.meshgrid(autograd.zeros(2), indexing="foo"))
    _raises(RuntimeError, "Expected 0D or 1D tensor in the tensor list",
            lambda: autograd.meshgrid(x, indexing="ij"))
    _raises(RuntimeError, "The size of tensor a (3) must match the size of tensor b (4) at "
            "non-singleton dimension 1", lambda: autograd.broadcast_tensors(x, autograd.zeros(4)))
    _raises(RuntimeError, "The expanded size of the tensor (4) must match the existing size (3) "
            "at non-singleton dimension 1.  Target sizes: [2, 4].  Tensor sizes: [2, 3]",
            lambda: x.expand(2, 4))
    _raises(RuntimeError, "view size is not compatible with input tensor's size and stride",
            lambda: x.T.view(-1))
    _raises(RuntimeError, "shape '[4, -1]' is invalid for input of size 6",
            lambda: x.reshape(4, -1))
