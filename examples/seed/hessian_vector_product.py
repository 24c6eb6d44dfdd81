"""Seed block 10 — "Efficient Hessian-Vector Products" and a Newton step.

Ported by changing imports only (torch.linalg -> autograd.linalg). The seed calls
``compute_hessian`` from the previous block: it is imported from ``hessian_matrix.py``.
Checks: Hv for f = x₀³ + x₀x₁² + x₁⁴ at [1, 2] (H = [[6, 4], [4, 50]]), and one Newton
step on a quadratic ½xᵀAx − bᵀx, which lands exactly on the minimiser A⁻¹b.

Run: python examples/seed/hessian_vector_product.py
"""

import os
import sys

import autograd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hessian_matrix import compute_hessian, scalar_func  # the seed's block 9 (next to this file)


def hessian_vector_product(func, inputs, vector):
    """Compute Hessian-vector product without forming full Hessian"""
    inputs = inputs.clone().detach().requires_grad_(True)

    # First derivative
    output = func(inputs)
    first_grad = autograd.grad(
        output, inputs, create_graph=True, retain_graph=True
    )[0]

    # Hessian-vector product via double backprop
    hvp = autograd.grad(
        first_grad, inputs, grad_outputs=vector, retain_graph=True
    )[0]

    return hvp

# Example: Newton's method with Hessian-vector products
def newton_optimization_step(func, x, learning_rate=1.0):
    # Gradient
    output = func(x)
    grad = autograd.grad(output, x, create_graph=True)[0]

    # Newton direction: H^(-1) * grad
    # Solve via conjugate gradient (approximate)
    newton_dir = autograd.linalg.solve(
        compute_hessian(func, x), grad
    )

    return x - learning_rate * newton_dir

# ---------------------------------------------------------------- checks (not in the seed)
x = autograd.tensor([1.0, 2.0], requires_grad=True)
assert hessian_vector_product(scalar_func, x, autograd.tensor([1.0, 0.0])).tolist() == [6.0, 4.0]
assert hessian_vector_product(scalar_func, x, autograd.tensor([1.0, 1.0])).tolist() == [10.0, 54.0]

A = autograd.tensor([[3.0, 1.0], [1.0, 2.0]])
b = autograd.tensor([1.0, -1.0])


def quadratic(v):
    return 0.5 * (v @ A @ v) - b @ v


x0 = autograd.tensor([5.0, -7.0], requires_grad=True)
x1 = newton_optimization_step(quadratic, x0)
expected = [0.6, -0.8]  # A⁻¹b = [[2, -1], [-1, 3]] / 5 @ [1, -1]
assert all(abs(a - e) < 1e-5 for a, e in zip(x1.tolist(), expected)), x1
print(f"Hv checks pass; one Newton step on a quadratic: {x1.tolist()} (exact: {expected})")
