"""Seed block 5 — "Complex Custom Function Example": a matrix square root by
eigendecomposition.

Ported by changing imports only. The seed's backward keeps only the diagonal of the
gradient in the eigenbasis; that is exact when the incoming gradient is a multiple of the
identity (for instance the loss trace(√A), whose gradient is ½ A^(-1/2)), which is what
the checks use. (The general formula divides (VᵀGV)ᵢⱼ by √λᵢ + √λⱼ.)

Run: python examples/seed/matrix_sqrt.py
"""

import autograd


class MatrixSquareRoot(autograd.Function):
    """Differentiable matrix square root using eigendecomposition"""

    @staticmethod
    def forward(ctx, matrix):
        # Compute matrix square root via eigendecomposition
        eigenvals, eigenvecs = autograd.linalg.eigh(matrix)
        sqrt_eigenvals = autograd.sqrt(autograd.clamp(eigenvals, min=1e-8))
        sqrt_matrix = eigenvecs @ autograd.diag(sqrt_eigenvals) @ eigenvecs.T

        # Save for backward pass
        ctx.save_for_backward(sqrt_matrix, eigenvecs, sqrt_eigenvals)
        return sqrt_matrix

    @staticmethod
    def backward(ctx, grad_output):
        sqrt_matrix, eigenvecs, sqrt_eigenvals = ctx.saved_tensors

        # Gradient computation using matrix calculus
        # ∂L/∂A = (∂L/∂√A) @ (∂√A/∂A)
        n = sqrt_matrix.shape[0]

        # Construct Jacobian-vector product efficiently
        grad_input = autograd.zeros_like(sqrt_matrix)

        for i in range(n):
            for j in range(n):
                # Jacobian element for matrix square root
                if i == j:
                    jacobian_elem = 1.0 / (2.0 * sqrt_eigenvals[i])
                else:
                    jacobian_elem = 0.0

                grad_input += jacobian_elem * grad_output[i, j] * \
                             autograd.outer(eigenvecs[:, i], eigenvecs[:, j])

        return grad_input

# Usage of custom function
matrix_sqrt = MatrixSquareRoot.apply

# ---------------------------------------------------------------- checks (not in the seed)
import numpy as np  # noqa: E402

rng = np.random.default_rng(0)
m = rng.standard_normal((4, 4))
a_np = m @ m.T + 4 * np.eye(4)  # symmetric positive definite
a = autograd.tensor(a_np, dtype=autograd.float64, requires_grad=True)
s = matrix_sqrt(a)
np.testing.assert_allclose((s @ s).detach().numpy(), a_np, atol=1e-10)
np.testing.assert_allclose(s.detach().numpy(), s.detach().numpy().T, atol=1e-12)

# trace(√A): gradient ½ A^(-1/2), which the seed's formula gives exactly.
(s * autograd.eye(4, dtype=autograd.float64)).sum().backward()
expected = 0.5 * np.linalg.inv(s.detach().numpy())
np.testing.assert_allclose(a.grad.numpy(), expected, atol=1e-10)

# ... and finite differences of trace(√A) along symmetric directions agree.

def trace_sqrt(mat):
    return np.sqrt(np.linalg.eigvalsh(mat)).sum()


d = rng.standard_normal((4, 4))
d = d + d.T
h = 1e-6
fd = (trace_sqrt(a_np + h * d) - trace_sqrt(a_np - h * d)) / (2 * h)
np.testing.assert_allclose(fd, (a.grad.numpy() * d).sum(), rtol=1e-6)
print("MatrixSquareRoot: sqrt(A) @ sqrt(A) == A; d trace(sqrt A)/dA == 0.5 A^(-1/2)")
