"""PyTorch-style errors of the autograd core: what is wrong, where, and how to fix it."""

from __future__ import annotations

import pytest

import autograd


def test_non_scalar_backward_needs_a_gradient():
    x = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs") as e:
        (x * 2).backward()
    assert "[3]" in str(e.value)  # says which shape, and how to fix it
    (x * 2).backward(autograd.ones(3))
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_gradient_of_the_wrong_shape():
    x = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError) as e:
        (x * 2).backward(autograd.ones(2))
    assert str(e.value) == (
        "Mismatch in shape: grad_output[0] has a shape of [2] and output[0] has a shape of [3]."
    )
    with pytest.raises(RuntimeError, match=r"grad_output\[1\] has a shape of \[1\]"):
        autograd.grad([x.sum(), x * 1], x, [None, autograd.ones(1)])


def test_integer_gradient_is_refused():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="gradients must be floating point"):
        (x * 2).backward(autograd.tensor([1, 1]))


def test_backward_on_a_tensor_that_does_not_require_grad():
    x = autograd.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does "
                                           "not have a grad_fn"):
        (x * 2).sum().backward()
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        w = autograd.tensor([1.0], requires_grad=True)
        autograd.grad((w > 0).sum(), w)


def test_integer_tensor_cannot_require_grad():
    for make in (lambda: autograd.tensor([1, 2], requires_grad=True),
                 lambda: autograd.tensor([1, 2]).requires_grad_(),
                 lambda: autograd.arange(3, requires_grad=True),
                 lambda: autograd.tensor([True], requires_grad=True)):
        with pytest.raises(RuntimeError, match="only Tensors of floating point and complex dtype "
                                               "can require gradients"):
            make()
    assert autograd.tensor([1j], requires_grad=True).requires_grad


def test_leaf_in_place():
    x = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"a leaf Variable that requires grad is being used in "
                                           r"an in-place operation \(add_\)"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being "
                                           "used in an in-place operation"):
        x[1:].mul_(2)
    with autograd.no_grad():  # the documented way out
        x.add_(1)
    assert x.tolist() == [2.0, 3.0, 4.0] and x.requires_grad and x.is_leaf


def test_modified_saved_input_names_the_op_and_both_versions():
    x = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    z = y * y
    y.add_(1)
    with pytest.raises(RuntimeError) as e:
        z.sum().backward()
    msg = str(e.value)
    assert msg.startswith("one of the variables needed for gradient computation has been "
                          "modified by an inplace operation: [FloatTensor [3]]")
    assert "MulBackward" in msg and "is at version 1; expected version 0 instead" in msg


def test_modified_saved_output_is_detected():
    x = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"which is output 0 of ExpBackward, is at version 1; "
                                           r"expected version 0 instead"):
        y.sum().backward()


def test_modification_under_no_grad_is_still_detected():
    x = autograd.tensor([1.0, 2.0], dtype=autograd.float64, requires_grad=True)
    y = x * 1
    z = y * y
    with autograd.no_grad():
        y.mul_(2)
        y.add_(1)
    with pytest.raises(RuntimeError, match=r"\[DoubleTensor \[2\]\].*MulBackward, is at version 2; "
                                           "expected version 0"):
        z.sum().backward()


def test_modification_through_a_view_bumps_the_shared_version():
    x = autograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    z = y * y
    y[1:].add_(1)
    assert y._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_detach_shares_the_version_counter():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * y
    y.detach().zero_()
    with pytest.raises(RuntimeError, match="is at version 1"):
        z.sum().backward()


def test_second_backward_message():
    x = autograd.tensor([1.0], requires_grad=True)
    y = x.exp().sum()
    y.backward()
    with pytest.raises(RuntimeError) as e:
        y.backward()
    msg = str(e.value)
    assert "Trying to backward through the graph a second time" in msg
    assert "ExpBackward" in msg and "retain_graph=True" in msg


def test_grad_setter_and_requires_grad_errors():
    y = autograd.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad = False


def test_in_place_shape_mismatch():
    x = autograd.zeros(3)
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast "
                                           r"shape \[2, 3\]"):
        x.add_(autograd.ones(2, 3))


def test_in_place_into_a_broadcast_view():
    x = autograd.zeros(1, 3).expand(2, 3)
    with pytest.raises(RuntimeError, match="expand"):
        x.mul_(2)
