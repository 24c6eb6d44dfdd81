"""Seed block 11 — "Conditional Gradient Flow": gradients follow the branch taken.

Ported by changing imports only. x = [0.5, -0.3] sums to 0.2 > 0.1, so the first branch
runs: d/dx (x² + sin x) = 2x + cos x.

Run: python examples/seed/conditional_flow.py
"""

import math

import autograd


def conditional_function(x, threshold=0.0):
    """Function with conditional logic"""
    if x.sum() > threshold:
        # Different computation path based on condition
        return x**2 + autograd.sin(x)
    else:
        return x**3 + autograd.cos(x)

# Gradients automatically handle control flow
x = autograd.tensor([0.5, -0.3], requires_grad=True)
y = conditional_function(x, threshold=0.1)
y.sum().backward()

print(f"Gradients: {x.grad}")  # Gradients for executed path

# ---------------------------------------------------------------- checks (not in the seed)
for g, v in zip(x.grad.tolist(), [0.5, -0.3]):
    assert abs(g - (2 * v + math.cos(v))) < 1e-6
# A higher threshold takes the other branch: d/dx (x³ + cos x) = 3x² − sin x.
x2 = autograd.tensor([0.5, -0.3], requires_grad=True)
conditional_function(x2, threshold=1.0).sum().backward()
for g, v in zip(x2.grad.tolist(), [0.5, -0.3]):
    assert abs(g - (3 * v * v - math.sin(v))) < 1e-6
print("conditional flow: both branches give their own derivative")
