"""Seed block 9 — "Hessian Matrix Computation": the full Hessian by double backward.

Ported by changing imports only. For f = x₀³ + x₀x₁² + x₁⁴ at [1, 2]:
H = [[6x₀, 2x₁], [2x₁, 2x₀ + 12x₁²]] = [[6, 4], [4, 50]].

Run: python examples/seed/hessian_matrix.py
"""

import autograd


def compute_hessian(func, inputs):
    """Compute Hessian matrix for scalar-valued function"""
    inputs = inputs.clone().detach().requires_grad_(True)

    # First derivatives
    output = func(inputs)
    first_grads = autograd.grad(
        output, inputs, create_graph=True, retain_graph=True
    )[0]

    # Second derivatives (Hessian)
    hessian = autograd.zeros(inputs.numel(), inputs.numel())

    for i in range(inputs.numel()):
        second_grads = autograd.grad(
            first_grads[i], inputs, retain_graph=True
        )[0]
        hessian[i] = second_grads

    return hessian

# Example: Hessian of scalar function
def scalar_func(x):
    return x[0]**3 + x[0]*x[1]**2 + x[1]**4

x = autograd.tensor([1.0, 2.0], requires_grad=True)
H = compute_hessian(scalar_func, x)
print("Hessian matrix:")
print(H)

# ---------------------------------------------------------------- checks (not in the seed)
assert H.tolist() == [[6.0, 4.0], [4.0, 50.0]]
