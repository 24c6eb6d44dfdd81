"""Seed block 4 — "Second-Order Gradients": one Hessian element by double backward.

Ported by changing imports only (torch.autograd.grad -> autograd.grad).
For f = sum(x⁴), ∂²f/∂x₀² = 12 x₀² = 12 at x = [1, 2].

Run: python examples/seed/hessian_element.py
"""

import autograd


# Computing Hessian matrix elements
def compute_hessian_element(func, inputs, i, j):
    """Compute (i,j) element of Hessian matrix"""
    # First derivative w.r.t. input[j]
    grad_j = autograd.grad(
        func, inputs, create_graph=True, retain_graph=True
    )[0][j]

    # Second derivative w.r.t. input[i]
    hess_ij = autograd.grad(grad_j, inputs, retain_graph=True)[0][i]
    return hess_ij

# Example usage
x = autograd.tensor([1.0, 2.0], requires_grad=True)
f = (x**4).sum()
hess_00 = compute_hessian_element(f, x, 0, 0)  # ∂²f/∂x₀²

# ---------------------------------------------------------------- checks (not in the seed)
assert hess_00.item() == 12.0
assert compute_hessian_element(f, x, 1, 1).item() == 48.0  # 12 * 2²
assert compute_hessian_element(f, x, 0, 1).item() == 0.0  # separable: no cross term
print(f"hess_00 = {hess_00.item()} (12 x0^2), hess_11 = 48, hess_01 = 0")
