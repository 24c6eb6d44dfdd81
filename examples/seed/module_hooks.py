"""Seed block 7 — "Module Hooks": backward hooks on every leaf layer of a model.

Ported by changing imports only. ``register_backward_hook`` has modern (full backward
hook) semantics here: ``grad_input`` holds the gradients w.r.t. the module's inputs and
``grad_output`` those w.r.t. its outputs. The seed registers the hooks but never runs a
backward pass; the completion does, and checks every recorded gradient.

Run: python examples/seed/module_hooks.py
"""

import autograd


# Module hooks for monitoring layer gradients
class GradientMonitor:
    def __init__(self):
        self.gradients = {}

    def create_hook(self, name):
        def hook(module, grad_input, grad_output):
            self.gradients[name] = {
                'grad_input': [g.clone() if g is not None else None for g in grad_input],
                'grad_output': [g.clone() if g is not None else None for g in grad_output]
            }
        return hook

# Usage with neural network layers
monitor = GradientMonitor()
model = autograd.nn.Sequential(
    autograd.nn.Linear(10, 5),
    autograd.nn.ReLU(),
    autograd.nn.Linear(5, 1)
)

# Register hooks on all layers
for name, module in model.named_modules():
    if len(list(module.children())) == 0:  # Leaf modules only
        module.register_backward_hook(monitor.create_hook(name))

# ---------------------------------------------------------------- completion and checks
import numpy as np  # noqa: E402

autograd.manual_seed(0)
x = autograd.randn(4, 10, requires_grad=True)  # so layer 0 has a grad_input too
out = model(x)
out.sum().backward()

assert sorted(monitor.gradients) == ["0", "1", "2"]
g = monitor.gradients
w0, b0 = model[0].weight.detach().numpy(), model[0].bias.detach().numpy()
w2 = model[2].weight.detach().numpy()
pre = x.detach().numpy() @ w0.T + b0  # input of the ReLU

# Last layer: d(sum)/d(out) = 1; gradient w.r.t. its input = 1 @ W2.
np.testing.assert_allclose(g["2"]["grad_output"][0].numpy(), np.ones((4, 1)))
np.testing.assert_allclose(g["2"]["grad_input"][0].numpy(), np.ones((4, 1)) @ w2, rtol=1e-6)
# ReLU: passes the gradient where its input was positive.
np.testing.assert_allclose(g["1"]["grad_output"][0].numpy(), g["2"]["grad_input"][0].numpy())
np.testing.assert_allclose(g["1"]["grad_input"][0].numpy(),
                           (np.ones((4, 1)) @ w2) * (pre > 0), rtol=1e-6)
# First layer: gradient w.r.t. x is grad_output @ W0, which is also what x.grad receives.
np.testing.assert_allclose(g["0"]["grad_output"][0].numpy(), g["1"]["grad_input"][0].numpy())
np.testing.assert_allclose(g["0"]["grad_input"][0].numpy(),
                           g["0"]["grad_output"][0].numpy() @ w0, rtol=1e-5)
np.testing.assert_allclose(x.grad.numpy(), g["0"]["grad_input"][0].numpy())
# The hooks saw the same gradients the parameters received.
np.testing.assert_allclose(model[0].weight.grad.numpy(),
                           g["0"]["grad_output"][0].numpy().T @ x.detach().numpy(), rtol=1e-5)
print("module hooks: grad_input/grad_output recorded for layers 0, 1, 2 and verified")
