"""Custom ``autograd.Function``: the ctx API, error reporting, ``once_differentiable``,
``setup_context``; the seed's custom-function and control-flow examples; anomaly
detection."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd
from autograd import Function, once_differentiable
from autograd.gradcheck import GradcheckError


def _close(t, expected, atol=1e-6):
    np.testing.assert_allclose(np.asarray(t.detach()._data), expected, rtol=1e-5, atol=atol)


class ScaledMul(Function):
    @staticmethod
    def forward(ctx, x, y, k):
        ctx.save_for_backward(x, y)
        ctx.k = k
        return x * y * k

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * y * ctx.k, g * x * ctx.k, None


# ----------------------------------------------------------------------------- ctx API


def test_save_for_backward_and_non_tensor_args():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = autograd.tensor([3.0, 4.0], requires_grad=True)
    out = ScaledMul.apply(x, y, 2.0)
    assert out.grad_fn.name() == "ScaledMulBackward"
    _close(out, [6.0, 16.0])
    out.sum().backward()
    _close(x.grad, [6.0, 8.0])
    _close(y.grad, [2.0, 4.0])


def test_saved_tensors_are_version_checked():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = autograd.tensor([3.0, 4.0])
    out = ScaledMul.apply(x, y, 2.0)
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation") as e:
        out.sum().backward()
    assert "ScaledMulBackward" in str(e.value)
    assert "version 1; expected version 0" in str(e.value)


def test_custom_function_twice_derivable():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = ScaledMul.apply(x, x, 1.0)
    (g,) = autograd.grad(y.sum(), x, create_graph=True)
    _close(g, [2.0, 4.0])
    (gg,) = autograd.grad(g.sum(), x)
    _close(gg, [2.0, 2.0])


def test_needs_input_grad():
    seen = []

    class Add(Function):
        @staticmethod
        def forward(ctx, x, y, scale):
            return x + y * scale

        @staticmethod
        def backward(ctx, g):
            seen.append(ctx.needs_input_grad)
            return g, (g * 2 if ctx.needs_input_grad[1] else None), None

    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = autograd.tensor([3.0, 4.0])
    Add.apply(x, y, 2.0).sum().backward()
    assert seen == [(True, False, False)]
    assert y.grad is None


def test_mark_non_differentiable():
    class WithIndex(Function):
        @staticmethod
        def forward(ctx, x):
            idx = (x > 1.5).to(x.dtype)
            ctx.mark_non_differentiable(idx)
            return x * 2, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            assert g_idx is not None and float(g_idx.abs().sum()) == 0.0  # materialized zeros
            return g * 2

    x = autograd.tensor([1.0, 3.0, 2.0], requires_grad=True)
    a, idx = WithIndex.apply(x)
    assert a.requires_grad and not idx.requires_grad and idx.grad_fn is None
    a.sum().backward()
    _close(x.grad, [2.0, 2.0, 2.0])


def test_materialize_grads_default_and_disabled():
    received = []

    def make(materialize):
        class TwoOut(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(materialize)
                return x * 5, x + 0

            @staticmethod
            def backward(ctx, g1, g2):
                received.append((g1 is None, g2 is None))
                out = 0
                if g1 is not None:
                    out = out + g1 * 5
                if g2 is not None:
                    out = out + g2
                return out

        return TwoOut

    for materialize in (True, False):
        x = autograd.tensor([1.0, 2.0], requires_grad=True)
        a, _ = make(materialize).apply(x)
        a.sum().backward()
        _close(x.grad, [5.0, 5.0])
    assert received == [(False, False), (False, True)]


def test_mark_dirty_in_place_custom_op():
    class DoubleInPlace(Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    z = DoubleInPlace.apply(y)
    assert z is y
    assert y._version == 2  # the in-place write, then marking it dirty (as PyTorch)
    assert y.grad_fn.name() == "DoubleInPlaceBackward"
    (z * z).sum().backward()
    _close(x.grad, [8.0, 16.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        DoubleInPlace.apply(autograd.tensor([1.0], requires_grad=True))


def test_returning_an_input_as_is():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = Identity.apply(x)
    assert y is not x and y.grad_fn is not None
    assert x.grad_fn is None  # the input itself is untouched
    y.sum().backward()
    _close(x.grad, [3.0, 3.0])


def test_several_outputs():
    class SinCos(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin(), x.cos()

        @staticmethod
        def backward(ctx, gs, gc):
            (x,) = ctx.saved_tensors
            return gs * x.cos() - gc * x.sin()

    x = autograd.tensor([0.5, 1.0], requires_grad=True)
    s, c = SinCos.apply(x)
    assert s.grad_fn is c.grad_fn and s.output_nr == 0 and c.output_nr == 1
    (s * 2 + c).sum().backward()
    xs = np.array([0.5, 1.0])
    _close(x.grad, 2 * np.cos(xs) - np.sin(xs))


def test_integer_outputs_do_not_require_grad():
    class Split(Function):
        @staticmethod
        def forward(ctx, x):
            return (x > 1).long(), x * 2

        @staticmethod
        def backward(ctx, g0, g1):
            return g1 * 2

    a, b = Split.apply(autograd.tensor([1.0, 2.0], requires_grad=True))
    assert not a.requires_grad and b.requires_grad


def test_no_graph_under_no_grad():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    with autograd.no_grad():
        y = ScaledMul.apply(x, x, 1.0)
    assert not y.requires_grad and y.grad_fn is None


def test_setup_context_style():
    class Scale(Function):
        @staticmethod
        def forward(x, k):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, k = inputs
            ctx.k = k
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            assert x.shape == (2,)
            return g * ctx.k, None

    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    Scale.apply(x, 3.0).sum().backward()
    _close(x.grad, [3.0, 3.0])


def test_vjp_alias_for_backward():
    class Neg(Function):
        @staticmethod
        def forward(ctx, x):
            return -x

        @staticmethod
        def vjp(ctx, g):
            return -g

    x = autograd.tensor([1.0], requires_grad=True)
    Neg.apply(x).sum().backward()
    _close(x.grad, [-1.0])


# ----------------------------------------------------------------------------- errors


def test_wrong_number_of_gradients():
    class Few(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    class Many(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"function FewBackward returned an incorrect number of "
                                           r"gradients \(expected 2, got 1\)"):
        Few.apply(x, x).sum().backward()
    with pytest.raises(RuntimeError, match=r"function ManyBackward returned an incorrect number of "
                                           r"gradients \(expected 1, got 2\)"):
        Many.apply(x).sum().backward()


def test_extra_none_gradients_are_allowed():
    class ExtraNone(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, None, None

    x = autograd.tensor([1.0], requires_grad=True)
    ExtraNone.apply(x).sum().backward()
    _close(x.grad, [2.0])


def test_wrong_gradient_shape_and_type():
    class BadShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, g):
            return autograd.ones(3)

    class BadType(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return 3.0

    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Function BadShapeBackward returned an invalid gradient "
                                           r"at index 0 - got \[3\] but expected shape compatible "
                                           r"with \[2\]"):
        BadShape.apply(x).backward()
    with pytest.raises(RuntimeError, match="BadTypeBackward returned a float as gradient 0"):
        BadType.apply(x).sum().backward()


def test_broadcastable_gradient_is_summed_and_cast():
    class Broadcasting(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return autograd.ones(3, 2, dtype=autograd.float64)

    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    Broadcasting.apply(x).sum().backward()
    assert x.grad.dtype == autograd.float32
    _close(x.grad, [3.0, 3.0])


def test_gradient_for_a_non_tensor_argument_is_an_error():
    class GradForNumber(Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * 2, g

    x = autograd.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="returned a gradient different than None at position 2, "
                                           "but the corresponding forward input was not a Variable"):
        GradForNumber.apply(x, 2.0).sum().backward()


def test_save_for_backward_rejects_non_tensors():
    class SaveNumber(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3.0)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(TypeError, match="save_for_backward can only save tensors"):
        SaveNumber.apply(autograd.tensor([1.0], requires_grad=True))


def test_missing_backward_or_forward():
    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    x = autograd.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="does not define backward"):
        NoBackward.apply(x).sum().backward()

    with pytest.raises(TypeError, match="both 'backward' and 'vjp'"):

        class Both(Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, g):
                return g

            @staticmethod
            def vjp(ctx, g):
                return g


# ----------------------------------------------------------------------------- once_differentiable


class CubeOnce(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * g


def test_once_differentiable_first_derivative():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    CubeOnce.apply(x).sum().backward()
    _close(x.grad, [3.0, 12.0])


def test_once_differentiable_second_derivative_raises():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = CubeOnce.apply(x)
    (g,) = autograd.grad((y * x).sum(), x, create_graph=True)  # grad_output depends on x
    assert g.requires_grad
    with pytest.raises(RuntimeError, match="differentiate twice a function that was marked with "
                                           "@once_differentiable"):
        g.sum().backward()


def test_once_differentiable_with_constant_grad_output_gives_constant_grad():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    (g,) = autograd.grad(CubeOnce.apply(x).sum(), x, create_graph=True)
    assert not g.requires_grad  # nothing to differentiate: as PyTorch
    _close(g, [3.0, 12.0])


# ----------------------------------------------------------------------------- the seed's Functions


def custom_operation(input_tensor, parameter):
    return input_tensor * parameter


def compute_input_gradient(grad_output, input_tensor, parameter_value):
    return grad_output * parameter_value


def compute_parameter_gradient(grad_output, input_tensor):
    return (grad_output * input_tensor).sum().reshape(1)


class CustomFunction(Function):
    """The seed's skeleton, with the three helpers defined above."""

    @staticmethod
    def forward(ctx, input_tensor, parameter):
        ctx.save_for_backward(input_tensor, parameter)
        ctx.parameter_value = parameter.item()
        result = custom_operation(input_tensor, parameter)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        input_tensor, parameter = ctx.saved_tensors
        parameter_value = ctx.parameter_value
        grad_input = compute_input_gradient(grad_output, input_tensor, parameter_value)
        grad_parameter = compute_parameter_gradient(grad_output, input_tensor)
        return grad_input, grad_parameter


def test_seed_custom_function_skeleton():
    x = autograd.tensor([1.0, 2.0, 3.0], dtype=autograd.float64, requires_grad=True)
    p = autograd.tensor([0.5], dtype=autograd.float64, requires_grad=True)
    CustomFunction.apply(x, p).sum().backward()
    _close(x.grad, [0.5, 0.5, 0.5])
    _close(p.grad, [6.0])
    assert autograd.gradcheck(CustomFunction.apply, (x.detach().requires_grad_(), p))


class StraightThroughEstimator(Function):
    """Pass gradients straight through non-differentiable function"""

    @staticmethod
    def forward(ctx, input_tensor):
        return autograd.round(input_tensor)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


def test_seed_straight_through_estimator(capsys):
    straight_through = StraightThroughEstimator.apply
    x = autograd.randn(5, requires_grad=True)
    y = straight_through(x)
    loss = (y - autograd.ones_like(y)).pow(2).sum()
    loss.backward()
    print(f"Input: {x}")
    print(f"Quantized output: {y}")
    print(f"Gradients: {x.grad}")
    xs = np.asarray(x.detach()._data)
    _close(y, np.round(xs))
    _close(x.grad, 2 * (np.round(xs) - 1))
    assert "Quantized output: tensor(" in capsys.readouterr().out


class Gumbel:
    """A local Gumbel(loc, scale) sampler, -log(-log(U)) (stands in for the seed's
    ``torch.distributions.Gumbel``)."""

    def __init__(self, loc, scale):
        self.loc, self.scale = loc, scale

    def sample(self, shape):
        u = autograd.rand(shape).clamp(1e-10, 1.0 - 1e-7)
        return self.loc - self.scale * (-(u.log())).log()


class GumbelSoftmax(Function):
    """The seed's Gumbel-Softmax (with the local Gumbel sampler)."""

    @staticmethod
    def forward(ctx, logits, temperature=1.0, hard=False):
        gumbel_noise = Gumbel(0, 1).sample(logits.shape)
        y_soft = autograd.softmax((logits + gumbel_noise) / temperature, dim=-1)
        if hard:
            y_hard = autograd.zeros_like(logits)
            y_hard.scatter_(-1, y_soft.argmax(dim=-1, keepdim=True), 1.0)
            ctx.save_for_backward(y_soft)
            ctx.hard = True
            return y_hard
        else:
            ctx.save_for_backward(y_soft)
            ctx.hard = False
            return y_soft

    @staticmethod
    def backward(ctx, grad_output):
        (y_soft,) = ctx.saved_tensors
        if ctx.hard:
            return grad_output, None, None
        else:
            return grad_output, None, None


def test_seed_gumbel_softmax():
    gumbel_softmax = GumbelSoftmax.apply
    autograd.manual_seed(0)
    logits = autograd.randn(4, 3, requires_grad=True)
    soft = gumbel_softmax(logits, 0.5, False)
    np.testing.assert_allclose(np.asarray(soft.detach()._data).sum(-1), np.ones(4), rtol=1e-5)
    hard = gumbel_softmax(logits, 0.5, True)
    h = np.asarray(hard.detach()._data)
    assert set(np.unique(h)) <= {0.0, 1.0} and (h.sum(-1) == 1).all()
    w = autograd.arange(12.0).reshape(4, 3)
    ((soft + hard) * w).sum().backward()
    _close(logits.grad, 2 * np.arange(12.0).reshape(4, 3))


def conditional_function(x, threshold=0.0):
    """The seed's function with conditional logic."""
    if x.sum() > threshold:
        return x**2 + autograd.sin(x)
    else:
        return x**3 + autograd.cos(x)


def test_seed_conditional_function():
    x = autograd.tensor([0.5, -0.3], requires_grad=True)
    y = conditional_function(x, threshold=0.1)
    y.sum().backward()
    xs = np.array([0.5, -0.3])
    _close(x.grad, 2 * xs + np.cos(xs))  # x.sum() = 0.2 > 0.1: the quadratic branch ran
    x.grad = None
    conditional_function(x, threshold=0.5).sum().backward()
    _close(x.grad, 3 * xs**2 - np.sin(xs))


def iterative_function(x, n_iterations):
    """The seed's loop."""
    result = x.clone()
    for _ in range(n_iterations):
        result = result + 0.1 * autograd.sin(result)
    return result


def test_seed_iterative_function():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = iterative_function(x, n_iterations=10)
    y.sum().backward()
    r = np.array([1.0, 2.0])
    d = np.ones(2)
    for _ in range(10):  # chain rule by hand
        d = d * (1 + 0.1 * np.cos(r))
        r = r + 0.1 * np.sin(r)
    _close(y, r, atol=1e-5)
    _close(x.grad, d, atol=1e-5)


def dynamic_model(x, condition):
    """The seed's model with dynamic control flow."""
    if condition:
        h = autograd.nn.functional.relu(x)
        return autograd.nn.functional.sigmoid(h)
    else:
        h = autograd.nn.functional.tanh(x)
        return autograd.nn.functional.softmax(h, dim=-1)


def test_seed_dynamic_model():
    import autograd.nn.functional

    x = autograd.randn(10, requires_grad=True)
    y1 = dynamic_model(x, True)
    y2 = dynamic_model(x, False)
    assert y1.grad_fn.name() != y2.grad_fn.name()  # two different graphs
    (y1.sum() + (y2 * autograd.arange(10.0)).sum()).backward()
    xs = np.asarray(x.detach()._data).astype(np.float64)
    s = 1 / (1 + np.exp(-np.maximum(xs, 0)))
    g1 = s * (1 - s) * (xs > 0)
    t = np.tanh(xs)
    p = np.exp(t) / np.exp(t).sum()
    w = np.arange(10.0)
    g2 = p * (w - (p * w).sum()) * (1 - t**2)
    _close(x.grad, g1 + g2, atol=1e-5)


# ----------------------------------------------------------------------------- anomaly detection


def test_detect_anomaly_names_the_first_nan_op_and_its_forward_stack():
    x = autograd.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with autograd.detect_anomaly():
            y = x.log()  # the op whose backward makes the nan (0 * inf)
            z = y * 0
            with pytest.raises(RuntimeError) as e:
                z.sum().backward()
    msg = str(e.value)
    assert "Function 'LogBackward' returned nan values in its 0th output." in msg
    assert "y = x.log()" in msg  # the forward line that created the op
    texts = [str(w.message) for w in caught]
    assert any("Anomaly Detection has been enabled" in t for t in texts)
    assert any("Error detected in LogBackward" in t and "y = x.log()" in t for t in texts)
    assert not autograd.is_anomaly_enabled()


def test_detect_anomaly_lets_infinite_gradients_pass():
    x = autograd.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with autograd.detect_anomaly():
            x.sqrt().sum().backward()
    assert np.isinf(np.asarray(x.grad._data)[0])


def test_set_detect_anomaly_and_decorator():
    autograd.set_detect_anomaly(True)
    try:
        assert autograd.is_anomaly_enabled()
        x = autograd.tensor([0.0], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(RuntimeError, match="LogBackward"):
                (x.log() * 0).sum().backward()
    finally:
        autograd.set_detect_anomaly(False)
    assert not autograd.is_anomaly_enabled()

    @autograd.detect_anomaly()
    def f():
        return autograd.is_anomaly_enabled()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert f() is True
    assert not autograd.is_anomaly_enabled()


def test_custom_function_nan_under_anomaly():
    class MakesNan(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with autograd.detect_anomaly():
            x = autograd.tensor([1.0], requires_grad=True)
            with pytest.raises(RuntimeError, match="Function 'MakesNanBackward' returned nan"):
                MakesNan.apply(x).sum().backward()


# ----------------------------------------------------------------------------- gradcheck of Functions


class WrongBackward(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**2

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x  # should be 2 x


class SquareWithJvp(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        ctx.save_for_forward(x)
        return x**2

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * g

    @staticmethod
    def jvp(ctx, t):
        (x,) = ctx.saved_tensors
        return 2 * x * t


def test_gradcheck_catches_a_wrong_custom_backward():
    x = autograd.tensor([0.5, -1.5], dtype=autograd.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        autograd.gradcheck(WrongBackward.apply, (x,))
    assert autograd.gradcheck(WrongBackward.apply, (x,), raise_exception=False) is False


def test_gradcheck_and_gradgradcheck_pass_for_a_correct_function():
    x = autograd.tensor([0.5, -1.5, 2.0], dtype=autograd.float64, requires_grad=True)
    assert autograd.gradcheck(SquareWithJvp.apply, (x,), check_forward_ad=True)
    assert autograd.gradgradcheck(SquareWithJvp.apply, (x,))
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        autograd.gradcheck(SquareWithJvp.apply, (x.detach(),))
    with pytest.warns(UserWarning, match="not a double precision"):
        autograd.gradcheck(SquareWithJvp.apply, (autograd.ones(2, requires_grad=True),),
                           atol=1e-2, rtol=1e-2, eps=1e-3)


def test_backward_name_override():
    class FastScale(Function):
        backward_name = "MulBackward"

        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    y = FastScale.apply(autograd.tensor([1.0], requires_grad=True))
    assert y.grad_fn.name() == "MulBackward" and "grad_fn=<MulBackward>" in repr(y)
