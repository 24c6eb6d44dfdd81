"""Seed block 19 — "Checkpointing Integration": activation checkpointing per layer.

Ported by changing imports only (torch.utils.checkpoint -> autograd.checkpoint). The
seed builds the model but never runs it; the completion runs a forward and backward pass
and checks that the recomputed activations give the gradients of the same layers
run without checkpointing.

Run: python examples/seed/checkpointing.py
"""

import autograd
from autograd.checkpoint import checkpoint


class CheckpointedModule(autograd.nn.Module):
    """Module with automatic gradient checkpointing"""

    def __init__(self, layers):
        super().__init__()
        self.layers = autograd.nn.ModuleList(layers)

    def forward(self, x):
        for layer in self.layers:
            # Use checkpointing for memory efficiency
            x = checkpoint(layer, x)
        return x

# Automatic memory-computation tradeoff
checkpointed_model = CheckpointedModule([
    autograd.nn.Linear(1000, 1000),
    autograd.nn.ReLU(),
    autograd.nn.Linear(1000, 1000),
    autograd.nn.ReLU(),
    autograd.nn.Linear(1000, 10)
])

# ---------------------------------------------------------------- completion and checks
autograd.manual_seed(0)
x = autograd.randn(16, 1000, requires_grad=True)
target = autograd.randint(0, 10, (16,))
loss = autograd.nn.functional.cross_entropy(checkpointed_model(x), target)
loss.backward()
with_ckpt = [p.grad.clone() for p in checkpointed_model.parameters()]
x_grad = x.grad.clone()

checkpointed_model.zero_grad()
x.grad = None
plain = autograd.nn.Sequential(*checkpointed_model.layers)  # the same layers, no checkpoint
plain_loss = autograd.nn.functional.cross_entropy(plain(x), target)
plain_loss.backward()
assert abs(plain_loss.item() - loss.item()) < 1e-6
for g, p in zip(with_ckpt, plain.parameters()):
    assert g.shape == p.grad.shape and (g - p.grad).abs().max().item() < 1e-6
assert (x_grad - x.grad).abs().max().item() < 1e-6
print(f"checkpointed model: loss {loss.item():.4f}; gradients equal the plain model's")
