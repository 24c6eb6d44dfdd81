"""View semantics, as in PyTorch: views share memory and the version counter with their
base; writes through a view reach the base and the autograd graph follows them (the
expected gradients below were computed with PyTorch 2.13)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd

T = autograd.tensor


def fresh(*shape: int) -> autograd.Tensor:
    return T(np.arange(float(np.prod(shape))).reshape(shape))


# ----------------------------------------------------------------------------- memory


@pytest.mark.parametrize("make_view,region", [
    (lambda x: x[1], (1, slice(None))),
    (lambda x: x[:, 2], (slice(None), 2)),
    (lambda x: x[1, 2], (1, 2)),
    (lambda x: x.T[0], (slice(None), 0)),
    (lambda x: x.mT[1:], (slice(None), slice(1, None))),
    (lambda x: x.view(-1)[4:6], (1, slice(0, 2))),
    (lambda x: x.reshape(4, 2)[1], (0, slice(2, 4))),
    (lambda x: x.flatten()[:2], (0, slice(0, 2))),
    (lambda x: x.unsqueeze(0).squeeze(0), (slice(None), slice(None))),
    (lambda x: x.permute(1, 0)[3], (slice(None), 3)),
    (lambda x: x.narrow(1, 1, 2), (slice(None), slice(1, 3))),
    (lambda x: x.split(1)[1], (1, slice(None))),
    (lambda x: x.chunk(2, 1)[1], (slice(None), slice(2, 4))),
    (lambda x: x.unbind(1)[3], (slice(None), 3)),
    (lambda x: x.movedim(0, 1)[0], (slice(None), 0)),
    (lambda x: x.unflatten(1, (2, 2))[:, 1], (slice(None), slice(2, 4))),
    (lambda x: x.expand(1, 2, 4)[0], (slice(None), slice(None))),
    (lambda x: x.diagonal(), None),
])
def test_writes_through_a_view_change_the_base(make_view, region) -> None:
    x = fresh(2, 4)
    ref = np.arange(8.0).reshape(2, 4)
    v = make_view(x)
    assert v._base is x and v._vc is x._vc
    v.fill_(-1.0)
    if region is None:  # the diagonal
        ref[[0, 1], [0, 1]] = -1.0
    else:
        ref[region] = -1.0
    assert np.array_equal(np.asarray(x), ref)
    assert x._version == 1 == v._version


def test_writes_to_the_base_show_through_views() -> None:
    x = fresh(2, 3)
    views = [x[0], x.T, x.view(6), *x.unbind(1)]
    x.mul_(10)
    assert views[0].tolist() == [0.0, 10.0, 20.0]
    assert views[1].tolist() == [[0.0, 30.0], [10.0, 40.0], [20.0, 50.0]]
    assert views[2].tolist() == [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]
    assert views[4].tolist() == [10.0, 40.0]
    assert all(v._version == 1 for v in views)


def test_setitem_with_int_index_on_1d_writes_through() -> None:
    x = fresh(3)
    row = x[1]  # a 0-d view, not a copy
    row.add_(5.0)
    assert x.tolist() == [0.0, 6.0, 2.0]


# ----------------------------------------------------------------------------- gradients


def test_inplace_on_view_of_non_leaf() -> None:
    a = T([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 1
    b[0:2].mul_(3)
    b.sum().backward()
    assert a.grad.tolist() == [3.0, 3.0, 1.0]
    assert b.tolist() == [3.0, 6.0, 3.0]


def test_inplace_on_base_updates_later_use_of_an_existing_view() -> None:
    a = T([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 1
    v = b[1:]
    b.mul_(2)
    (v * v).sum().backward()
    assert a.grad.tolist() == [0.0, 16.0, 24.0]


def test_assign_through_transposed_view() -> None:
    a = T([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    w = T([10.0, 20.0], requires_grad=True)
    x = a * 1
    x.T[0] = w
    (x * x).sum().backward()
    assert x.tolist() == [[10.0, 2.0], [20.0, 4.0]]
    assert a.grad.tolist() == [[0.0, 4.0], [0.0, 8.0]]
    assert w.grad.tolist() == [20.0, 40.0]


def test_add_into_column_view() -> None:
    a = T([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = T([5.0, 6.0], requires_grad=True)
    x = a * 1
    x[:, 1].add_(y)
    (x * x).sum().backward()
    assert a.grad.tolist() == [[2.0, 14.0], [6.0, 20.0]]
    assert y.grad.tolist() == [14.0, 20.0]


def test_assign_into_flat_view_of_reshaped_tensor() -> None:
    a = T([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    w = T(9.0, requires_grad=True)
    x = a.reshape(2, 2) * 1
    x.view(-1)[2] = w
    (x * x).sum().backward()
    assert a.grad.tolist() == [2.0, 4.0, 0.0, 8.0]
    assert w.grad.item() == 18.0


def test_inplace_through_unsqueeze_squeeze_chain() -> None:
    a = T([1.0, 2.0], requires_grad=True)
    x = a * 1
    x.unsqueeze(0).squeeze(0).mul_(2)
    (x * x).sum().backward()
    assert a.grad.tolist() == [8.0, 16.0]


def test_inplace_through_view_of_view() -> None:
    a = T([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    b = a * 1
    b.view(2, 2)[0][1:].mul_(3)
    (b * b).sum().backward()
    assert b.tolist() == [1.0, 6.0, 3.0, 4.0]
    assert a.grad.tolist() == [2.0, 36.0, 6.0, 8.0]


def test_inplace_through_permuted_view_with_tensor_operand() -> None:
    a = T([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    w = T([2.0, 3.0], requires_grad=True)
    b = a * 2
    b.permute(1, 0)[2].mul_(w)
    (b * b).sum().backward()
    assert a.grad.tolist() == [[8.0, 16.0, 96.0], [32.0, 40.0, 432.0]]
    assert w.grad.tolist() == [144.0, 864.0]


def test_inplace_on_view_of_saved_output_is_detected() -> None:
    a = T([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    b = a.exp()  # exp saves its output
    b.permute(1, 0)[2].mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()


def test_setitem_of_grad_value_into_plain_tensor() -> None:
    w = T([1.0, 2.0], requires_grad=True)
    x = autograd.zeros(3)
    x[1:] = w * 2
    assert x.requires_grad and x.grad_fn is not None
    (x * x).sum().backward()
    assert w.grad.tolist() == [8.0, 16.0]


def test_inplace_mul_by_grad_scalar_through_view_of_plain_tensor() -> None:
    w = T(3.0, requires_grad=True)
    x = autograd.ones(2, 2)
    x.T[1].mul_(w)
    x.sum().backward()
    assert w.grad.item() == 2.0


def test_view_sees_writes_made_through_a_sibling_view() -> None:
    a = T([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    b = a * 1
    v = b.narrow(0, 1, 2)
    b[1:3].mul_(10)
    (v ** 2).sum().backward()
    assert a.grad.tolist() == [0.0, 400.0, 600.0, 0.0]


def test_two_overlapping_views_modified_in_turn() -> None:
    a = T([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 1
    v1, v2 = b[:2], b[1:]
    v1.mul_(2)
    v2.mul_(3)
    b.sum().backward()
    assert b.tolist() == [2.0, 12.0, 9.0]
    assert a.grad.tolist() == [2.0, 6.0, 3.0]


def test_inplace_through_flatten_and_diagonal_views() -> None:
    a = T([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = a * 1
    b.flatten()[1:3].mul_(5)
    (b * b).sum().backward()
    assert a.grad.tolist() == [[2.0, 100.0], [150.0, 8.0]]
    a.grad = None
    b = a * 1
    b.diagonal().mul_(10)
    b.sum().backward()
    assert a.grad.tolist() == [[10.0, 1.0], [1.0, 10.0]]


def test_index_ops_in_place_on_views() -> None:
    a = T([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    b = a * 1
    b[1:].masked_fill_(T([True, False, True]), 0.0)
    (b * b).sum().backward()
    assert b.tolist() == [1.0, 0.0, 3.0, 0.0]
    assert a.grad.tolist() == [2.0, 0.0, 6.0, 0.0]

    a = T([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    s = T([[7.0, 8.0]], requires_grad=True)
    b = a * 1
    b.T.scatter_(0, T([[1, 0]]), s)
    (b * b).sum().backward()
    assert b.tolist() == [[1.0, 7.0], [8.0, 4.0]]
    assert a.grad.tolist() == [[2.0, 0.0], [0.0, 8.0]]
    assert s.grad.tolist() == [[14.0, 16.0]]

    a = T([1.0, 2.0, 3.0], requires_grad=True)
    w = T([5.0, 6.0], requires_grad=True)
    b = a * 1
    b[1:].copy_(w)
    (b * b).sum().backward()
    assert a.grad.tolist() == [2.0, 0.0, 0.0]
    assert w.grad.tolist() == [10.0, 12.0]


def test_inplace_on_split_output_gives_the_exact_gradient() -> None:
    # PyTorch forbids in-place writes into outputs of multi-view ops (split, chunk,
    # unbind); here they are allowed and differentiate like any other view.
    a = T([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    b = a * 1
    p, q = b.split(2)
    p.mul_(3)
    (b * b).sum().backward()
    assert a.grad.tolist() == [18.0, 36.0, 6.0, 8.0]
    a.grad = None
    b = a * 1
    rows = b.unbind()
    rows[1].mul_(5)
    (rows[2] * b).sum().backward()  # rows[2] was refreshed after the write
    assert a.grad.tolist() == [3.0, 15.0, 21.0, 3.0]


def test_view_inplace_gradients_match_finite_differences() -> None:
    def f(a: autograd.Tensor, w: autograd.Tensor) -> autograd.Tensor:
        b = a * 1
        b.T[1:].mul_(w)
        b[0].add_(a[1] * w[0])
        return b * b

    a = autograd.randn(2, 3, dtype=autograd.float64, requires_grad=True)
    w = autograd.randn(2, 1, dtype=autograd.float64, requires_grad=True)
    assert autograd.gradcheck(f, (a, w))
    assert autograd.gradgradcheck(f, (a, w))


def test_retain_grad_on_base_after_view_write() -> None:
    a = T([1.0, 2.0], requires_grad=True)
    b = a * 1
    b.retain_grad()
    b[0:1].mul_(2)
    (b * b).sum().backward()
    assert b.grad.tolist() == [4.0, 4.0]
    assert a.grad.tolist() == [8.0, 4.0]


# ----------------------------------------------------------------------------- errors & versions


def test_view_of_leaf_requiring_grad_cannot_be_modified_in_place() -> None:
    a = T([1.0, 2.0], requires_grad=True)
    msg = "a view of a leaf Variable that requires grad is being used in an in-place operation"
    with pytest.raises(RuntimeError, match=msg):
        a[0].mul_(2)
    with pytest.raises(RuntimeError, match=msg):
        a.view(2).add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad is being used"):
        a[1:] = 0.0
    with autograd.no_grad():
        a[0].mul_(2)
    assert a.tolist() == [2.0, 2.0] and a.grad_fn is None


def test_writing_into_expanded_tensor_is_an_error() -> None:
    x = autograd.zeros(3).expand(2, 3)
    with pytest.raises(RuntimeError, match=r"expand\(\)ed or broadcast view.*clone\(\)"):
        x.add_(1)
    base = T([1.0, 2.0, 3.0], requires_grad=True) * 1
    with pytest.raises(RuntimeError, match="clone"):
        base.expand(2, 3).mul_(2)


def test_version_counter_is_shared_between_base_and_views() -> None:
    a = T([1.0, 2.0], requires_grad=True)
    b = a * 1
    v = b[0:1]
    assert (b._version, v._version) == (0, 0)
    v.mul_(2)
    assert (b._version, v._version) == (1, 1)
    b.add_(1)
    assert v._version == 2


def test_saving_a_base_then_modifying_a_view_fails_at_backward() -> None:
    a = T([1.0, 2.0], requires_grad=True)
    b = a * 1
    c = b * b  # saves b
    b[0:1].mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()


def test_saving_a_view_then_modifying_the_base_fails_at_backward() -> None:
    a = T([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 1
    v = b[1:]
    c = v * v  # saves the view
    b.mul_(2)
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        c.sum().backward()
