"""Seed block 17 — "Advanced Optimization Techniques": clipping at a percentile of the
recent gradient-norm history.

Ported by changing imports only (torch.quantile -> autograd.quantile, torch.nn.utils ->
autograd.nn.utils). The seed's usage loop needs ``model``, ``optimizer``, ``dataloader``
and ``compute_loss``; the completion supplies a small regression model, ``optim.SGD`` and
a DataLoader. Checks: the history holds every per-parameter gradient norm, and once more
than 10 are known a gradient spike is clipped to the 95th percentile of the history.
(``optim.AdaptiveGradientClipping`` is the library's efficient version of this class.)

Run: python examples/seed/adaptive_clipping.py
"""

import autograd
import optim
from autograd.utils.data import DataLoader, TensorDataset


class AdaptiveGradientClipping:
    """Adaptive gradient clipping based on gradient statistics"""

    def __init__(self, parameters, clip_percentile=95, ema_decay=0.99):
        self.parameters = list(parameters)
        self.clip_percentile = clip_percentile
        self.ema_decay = ema_decay
        self.gradient_history = []

    def clip_gradients(self):
        """Adaptively clip gradients based on historical statistics"""
        # Collect current gradients
        current_grads = []
        for param in self.parameters:
            if param.grad is not None:
                current_grads.append(param.grad.norm().item())

        if not current_grads:
            return

        # Update gradient history
        self.gradient_history.extend(current_grads)
        if len(self.gradient_history) > 1000:  # Keep limited history
            self.gradient_history = self.gradient_history[-1000:]

        # Compute adaptive threshold
        if len(self.gradient_history) > 10:
            threshold = autograd.quantile(
                autograd.tensor(self.gradient_history),
                self.clip_percentile / 100.0
            ).item()

            # Apply clipping
            autograd.nn.utils.clip_grad_norm_(self.parameters, threshold)


# ---------------------------------------------------------------- completion (not in the seed)
autograd.manual_seed(0)
model = autograd.nn.Sequential(autograd.nn.Linear(8, 16), autograd.nn.Tanh(),
                               autograd.nn.Linear(16, 1))
optimizer = optim.SGD(model.parameters(), lr=0.05)
X = autograd.randn(512, 8)
Y = (X[:, :1] * X[:, 1:2]).tanh()
dataloader = DataLoader(TensorDataset(X, Y), batch_size=32, shuffle=True,
                        generator=autograd.Generator().manual_seed(0))


def compute_loss(model, batch):
    inputs, targets = batch
    return autograd.nn.functional.mse_loss(model(inputs), targets)


# ---------------------------------------------------------------- the seed's loop
# Usage in training loop
gradient_clipper = AdaptiveGradientClipping(model.parameters())

for batch in dataloader:
    optimizer.zero_grad()
    loss = compute_loss(model, batch)
    loss.backward()

    gradient_clipper.clip_gradients()  # Adaptive clipping
    optimizer.step()

# ---------------------------------------------------------------- checks (not in the seed)
import numpy as np  # noqa: E402

n_params = len(list(model.parameters()))
assert len(gradient_clipper.gradient_history) == n_params * len(dataloader)

# A spike: a batch with 100x inputs. Its gradient is clipped to the history's 95th
# percentile (computed here with NumPy, including the spike's own norms).
optimizer.zero_grad()
compute_loss(model, (X[:32] * 100, Y[:32])).backward()
norms = [p.grad.norm().item() for p in model.parameters()]
before = float(np.sqrt(np.sum(np.square(norms))))
threshold = np.quantile(np.array(gradient_clipper.gradient_history + norms, dtype=np.float32),
                        0.95)
gradient_clipper.clip_gradients()
after = float(np.sqrt(sum(p.grad.norm().item() ** 2 for p in model.parameters())))
assert before > threshold
np.testing.assert_allclose(after, threshold, rtol=1e-4)
print(f"adaptive clipping: spike norm {before:.2f} clipped to the 95th percentile {after:.4f}")
