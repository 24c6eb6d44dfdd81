"""Seed block 16 — "Optimizer-Autograd Interface": a hand-written optimizer in the
classic zero_grad / forward / backward / step loop.

Ported by changing imports only. The seed leaves ``dataloader`` undefined and reads
``batch.inputs`` / ``batch.targets``: the completion is a DataLoader over a dataset of
``Batch(inputs, targets)`` namedtuples, which ``default_collate`` batches field by field
(as PyTorch's does). The data is a noisy linear map, so one pass of the seed's loop must
recover its weights.

Run: python examples/seed/custom_optimizer.py
"""

import collections

import autograd
from autograd.utils.data import DataLoader, Dataset


class CustomOptimizer:
    """Custom optimizer demonstrating autograd integration"""

    def __init__(self, parameters, lr=0.01):
        self.param_groups = [{'params': list(parameters), 'lr': lr}]

    def zero_grad(self):
        """Clear gradients from previous step"""
        for group in self.param_groups:
            for param in group['params']:
                if param.grad is not None:
                    param.grad.zero_()

    def step(self):
        """Update parameters using computed gradients"""
        for group in self.param_groups:
            for param in group['params']:
                if param.grad is not None:
                    # Custom update rule
                    param.data -= group['lr'] * param.grad.data


# ---------------------------------------------------------------- completion (not in the seed)
Batch = collections.namedtuple("Batch", ["inputs", "targets"])

autograd.manual_seed(0)
true_w = autograd.randn(10, 1)
X = autograd.randn(4096, 10)
Y = X @ true_w + 0.3 + 0.01 * autograd.randn(4096, 1)


class LinearData(Dataset):
    def __len__(self):
        return len(X)

    def __getitem__(self, i):
        return Batch(inputs=X[i], targets=Y[i])


dataloader = DataLoader(LinearData(), batch_size=16, shuffle=True,
                        generator=autograd.Generator().manual_seed(0))

# ---------------------------------------------------------------- the seed's loop
# Integration with autograd
model = autograd.nn.Linear(10, 1)
optimizer = CustomOptimizer(model.parameters(), lr=0.01)
criterion = autograd.nn.MSELoss()

with autograd.no_grad():  # (not in the seed) the starting loss, for the check below
    initial_loss = criterion(model(X), Y).item()

for batch in dataloader:
    optimizer.zero_grad()           # Clear previous gradients
    outputs = model(batch.inputs)   # Forward pass
    loss = criterion(outputs, batch.targets)
    loss.backward()                 # Compute gradients via autograd
    optimizer.step()                # Update parameters

# ---------------------------------------------------------------- checks (not in the seed)
with autograd.no_grad():
    final_loss = criterion(model(X), Y).item()
print(f"one epoch of the seed's loop: full-data MSE {initial_loss:.3f} -> {final_loss:.5f}")
assert final_loss < 1e-3 < initial_loss
assert (model.weight.detach().T - true_w).abs().max().item() < 0.02
assert abs(model.bias.item() - 0.3) < 0.02

# zero_grad zeroes in place, and step() is p <- p - lr * grad exactly.
p = autograd.nn.Parameter(autograd.tensor([1.0, 2.0]))
opt = CustomOptimizer([p], lr=0.5)
(p * autograd.tensor([3.0, -4.0])).sum().backward()
g = p.grad
opt.step()
assert p.tolist() == [-0.5, 4.0]
opt.zero_grad()
assert p.grad is g and p.grad.tolist() == [0.0, 0.0]
