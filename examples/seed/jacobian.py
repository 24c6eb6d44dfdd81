"""Seed block 8 — "Vectorized Jacobian Computation": a full Jacobian, one row per
backward pass.

Ported by changing imports only. For f(x) = [x₀² + x₁, x₀·x₁²] at x = [2, 3]:
J = [[2x₀, 1], [x₁², 2x₀x₁]] = [[4, 1], [9, 12]].

Run: python examples/seed/jacobian.py
"""

import autograd


def compute_jacobian(func, inputs):
    """Compute full Jacobian matrix for vector-valued function"""
    inputs = inputs.clone().detach().requires_grad_(True)
    outputs = func(inputs)

    jacobian = autograd.zeros(outputs.numel(), inputs.numel())

    for i in range(outputs.numel()):
        # Compute gradient for i-th output component
        grad_outputs = autograd.zeros_like(outputs.view(-1))
        grad_outputs[i] = 1.0

        grads = autograd.grad(
            outputs, inputs,
            grad_outputs=grad_outputs.view(outputs.shape),
            retain_graph=True,
            create_graph=False
        )[0]

        jacobian[i] = grads.view(-1)

    return jacobian

# Example: Jacobian of vector function
def vector_func(x):
    return autograd.stack([x[0]**2 + x[1], x[0] * x[1]**2])

x = autograd.tensor([2.0, 3.0], requires_grad=True)
J = compute_jacobian(vector_func, x)
print("Jacobian matrix:")
print(J)

# ---------------------------------------------------------------- checks (not in the seed)
assert J.tolist() == [[4.0, 1.0], [9.0, 12.0]]
