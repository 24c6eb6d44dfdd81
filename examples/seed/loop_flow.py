"""Seed block 12 — "Loop Differentiation": gradients through an unrolled loop.

Ported by changing imports only. Each step r ← r + 0.1·sin r multiplies the derivative
by 1 + 0.1·cos r, so dy/dx is the product of those factors along the trajectory.

Run: python examples/seed/loop_flow.py
"""

import math

import autograd


def iterative_function(x, n_iterations):
    """Function with iterative computation"""
    result = x.clone()

    for i in range(n_iterations):  # noqa: B007  (the seed names the unused counter)
        # Each iteration creates new graph nodes
        result = result + 0.1 * autograd.sin(result)

    return result

# Gradients accumulate through loop iterations
x = autograd.tensor([1.0, 2.0], requires_grad=True)
y = iterative_function(x, n_iterations=10)
loss = y.sum()
loss.backward()

print(f"Final gradients: {x.grad}")

# ---------------------------------------------------------------- checks (not in the seed)
for g, v, out in zip(x.grad.tolist(), [1.0, 2.0], y.tolist()):
    r, d = v, 1.0
    for _ in range(10):
        d *= 1 + 0.1 * math.cos(r)
        r = r + 0.1 * math.sin(r)
    assert abs(out - r) < 1e-5 and abs(g - d) < 1e-5, (g, d)
print("loop: gradient equals the product of per-step derivatives")
