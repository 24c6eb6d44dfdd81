"""Seed block 2 — "Function Implementation Structure": a custom autograd Function.

Ported by changing imports only (torch.autograd.Function -> autograd.Function). The seed
leaves ``custom_operation``, ``compute_input_gradient`` and ``compute_parameter_gradient``
undefined; here the operation is ``parameter * input**2`` (a scalar parameter, as the
seed's ``parameter.item()`` implies), with its two hand-written derivatives.

Run: python examples/seed/custom_function.py
"""

import autograd


# ---------------------------------------------------------------- completion (not in the seed)
def custom_operation(input_tensor, parameter):
    return parameter * input_tensor ** 2


def compute_input_gradient(grad_output, input_tensor, parameter_value):
    # d(p x^2)/dx = 2 p x
    return grad_output * 2.0 * parameter_value * input_tensor


def compute_parameter_gradient(grad_output, input_tensor):
    # d(p x^2)/dp = x^2, summed over the elements because p is a scalar
    return (grad_output * input_tensor ** 2).sum()


# ---------------------------------------------------------------- the seed's code
class CustomFunction(autograd.Function):
    @staticmethod
    def forward(ctx, input_tensor, parameter):
        """Forward pass implementation"""
        # Save tensors/data needed for backward pass
        ctx.save_for_backward(input_tensor, parameter)
        ctx.parameter_value = parameter.item()

        # Compute forward result
        result = custom_operation(input_tensor, parameter)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        """Backward pass implementation"""
        # Retrieve saved tensors
        input_tensor, parameter = ctx.saved_tensors
        parameter_value = ctx.parameter_value

        # Compute gradients
        grad_input = compute_input_gradient(grad_output, input_tensor, parameter_value)
        grad_parameter = compute_parameter_gradient(grad_output, input_tensor)

        return grad_input, grad_parameter


# ---------------------------------------------------------------- checks (not in the seed)
x = autograd.tensor([1.0, -2.0, 3.0], requires_grad=True)
p = autograd.tensor(0.5, requires_grad=True)
y = CustomFunction.apply(x, p)
assert y.tolist() == [0.5, 2.0, 4.5]
y.sum().backward()
assert x.grad.tolist() == [1.0, -2.0, 3.0]  # 2 * 0.5 * x
assert p.grad.item() == 14.0  # 1 + 4 + 9

# The hand-written backward agrees with finite differences (float64).
xd = autograd.randn(4, dtype=autograd.float64, requires_grad=True)
pd = autograd.tensor(1.3, dtype=autograd.float64, requires_grad=True)
assert autograd.gradcheck(CustomFunction.apply, (xd, pd))
print("CustomFunction: forward p*x^2, gradients 2px and sum(x^2) verified (gradcheck passes)")
