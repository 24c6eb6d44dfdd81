"""Seed block 3 — "Gradient Accumulation": several paths add into one ``.grad``.

Ported by changing imports only. The seed's comment said ``[4.0, 16.0]``; 2x + 3x² at
x = [1, 2] is [5, 16], so the comment is corrected and the printed value checked.

Run: python examples/seed/gradient_accumulation.py
"""

import contextlib
import io

import autograd


# Understanding gradient accumulation
def demonstrate_accumulation():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)

    # Multiple operations using same variable
    y1 = x**2
    y2 = x**3

    # Multiple paths contribute to gradient
    loss = y1.sum() + y2.sum()
    loss.backward()

    # x.grad accumulates contributions from all paths
    # ∂loss/∂x = ∂(x²)/∂x + ∂(x³)/∂x = 2x + 3x²
    print(f"x.grad: {x.grad}")  # [5.0, 16.0] = 2*[1,2] + 3*[1,4]


# ---------------------------------------------------------------- checks (not in the seed)
out = io.StringIO()
with contextlib.redirect_stdout(out):
    demonstrate_accumulation()
print(out.getvalue(), end="")
assert out.getvalue() == "x.grad: tensor([ 5., 16.])\n", out.getvalue()

# Across backward calls, .grad accumulates too (until it is zeroed).
x = autograd.tensor([1.0, 2.0], requires_grad=True)
(x ** 2).sum().backward()
(x ** 3).sum().backward()
assert x.grad.tolist() == [5.0, 16.0]
