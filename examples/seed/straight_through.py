"""Seed block 14 — "Straight-Through Estimator": round() forward, identity backward.

Ported by changing imports only. loss = Σ(round(x) − 1)², so the straight-through
gradient is 2·(round(x) − 1).

Run: python examples/seed/straight_through.py
"""

import autograd


class StraightThroughEstimator(autograd.Function):
    """Pass gradients straight through non-differentiable function"""

    @staticmethod
    def forward(ctx, input_tensor):
        # Forward: quantize to discrete values
        return autograd.round(input_tensor)

    @staticmethod
    def backward(ctx, grad_output):
        # Backward: pass gradient straight through
        return grad_output

# Usage in quantized neural networks
straight_through = StraightThroughEstimator.apply

x = autograd.randn(5, requires_grad=True)
y = straight_through(x)  # Quantized forward, continuous backward
loss = (y - autograd.ones_like(y)).pow(2).sum()
loss.backward()

print(f"Input: {x}")
print(f"Quantized output: {y}")
print(f"Gradients: {x.grad}")

# ---------------------------------------------------------------- checks (not in the seed)
xs, ys, gs = x.tolist(), y.tolist(), x.grad.tolist()
for xv, yv, gv in zip(xs, ys, gs):
    assert yv == round(xv)  # both round half to even
    assert yv == float(int(yv)) and abs(gv - 2 * (yv - 1)) < 1e-6
assert all(g != 0 or y == 1 for g, y in zip(gs, ys))  # round() alone would give zero gradients
print("straight-through: integer outputs, gradient 2*(round(x) - 1)")
