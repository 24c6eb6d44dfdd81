"""Seed block 1 — "Graph Construction Process": dynamic graphs from Python control flow.

Ported from shared/seed/autograd-deep-dive.md by changing imports only (torch -> autograd);
the checks at the end are new.

Run: python examples/seed/dynamic_graph.py
"""

# Example of dynamic graph construction
import autograd


def dynamic_model(x, condition):
    """Model with dynamic control flow"""
    if condition:
        # Graph structure depends on runtime condition
        h = autograd.nn.functional.relu(x)
        return autograd.nn.functional.sigmoid(h)
    else:
        h = autograd.nn.functional.tanh(x)
        return autograd.nn.functional.softmax(h, dim=-1)

# Different graphs created based on condition
x = autograd.randn(10, requires_grad=True)
y1 = dynamic_model(x, True)   # Creates one graph structure
y2 = dynamic_model(x, False)  # Creates different graph structure

# ---------------------------------------------------------------- checks (not in the seed)
import numpy as np  # noqa: E402

xv = x.detach().numpy().astype(np.float64)
sig = 1.0 / (1.0 + np.exp(-np.maximum(xv, 0.0)))
e = np.exp(np.tanh(xv))
soft = e / e.sum()
np.testing.assert_allclose(y1.detach().numpy(), sig, rtol=1e-5)
np.testing.assert_allclose(y2.detach().numpy(), soft, rtol=1e-5)
assert y1.grad_fn is not None and y2.grad_fn is not None
# Two different graphs: sigmoid <- relu, and softmax <- tanh.
assert "Sigmoid" in y1.grad_fn.name() and "Relu" in y1.grad_fn.next_functions[0][0].name()
assert "Softmax" in y2.grad_fn.name() and "Tanh" in y2.grad_fn.next_functions[0][0].name()

# Each graph backpropagates its own derivative: sigmoid'(relu(x)) * 1[x > 0] ...
y1.sum().backward()
np.testing.assert_allclose(x.grad.numpy(), sig * (1 - sig) * (xv > 0), rtol=1e-5, atol=1e-7)
# ... and for softmax(tanh(x)) weighted by w: J^T w = s * (w - s.w) * (1 - tanh^2)
x.grad = None
w = np.linspace(-1.0, 1.0, 10)
(y2 * autograd.tensor(w, dtype=y2.dtype)).sum().backward()
np.testing.assert_allclose(x.grad.numpy(), soft * (w - soft @ w) * (1 - np.tanh(xv) ** 2),
                           rtol=1e-4, atol=1e-6)
print("dynamic graphs: sigmoid(relu(x)) and softmax(tanh(x)) match NumPy, gradients too")
