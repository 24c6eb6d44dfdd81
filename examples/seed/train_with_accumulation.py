"""Seed block 18 — "Accumulation Implementation": gradient accumulation over micro-batches.

Ported by changing imports only. The seed leaves ``compute_loss`` (and the model, data
and optimizer) to the caller; the completion supplies them. Checks: with 8 equal
micro-batches and ``accumulation_steps=4`` the parameters end exactly where plain SGD on
2 big batches (4x larger, mean loss) ends; with 10 micro-batches the seed's final
``if`` makes one more step from the last 2 (their losses still divided by 4).

Run: python examples/seed/train_with_accumulation.py
"""

import copy

import autograd
import optim
from autograd.utils.data import DataLoader, TensorDataset


def train_with_accumulation(model, dataloader, optimizer, accumulation_steps=4):
    """Training with gradient accumulation"""
    model.train()

    for batch_idx, batch in enumerate(dataloader):
        # Normalize loss by accumulation steps
        loss = compute_loss(model, batch) / accumulation_steps
        loss.backward()

        if (batch_idx + 1) % accumulation_steps == 0:
            # Update parameters after accumulating gradients
            optimizer.step()
            optimizer.zero_grad()

    # Handle remaining accumulated gradients
    if len(dataloader) % accumulation_steps != 0:
        optimizer.step()
        optimizer.zero_grad()


# ---------------------------------------------------------------- completion (not in the seed)
def compute_loss(model, batch):
    inputs, targets = batch
    return autograd.nn.functional.cross_entropy(model(inputs), targets)


def make_model():
    autograd.manual_seed(0)
    return autograd.nn.Sequential(autograd.nn.Linear(6, 12), autograd.nn.ReLU(),
                                  autograd.nn.Linear(12, 3))


autograd.manual_seed(1)
X = autograd.randn(80, 6)
Y = autograd.randint(0, 3, (80,))

# ---------------------------------------------------------------- checks (not in the seed)
# 64 samples = 8 micro-batches of 8 -> 2 optimizer steps, each on 32 samples.
model = make_model()
reference = copy.deepcopy(model)
optimizer = optim.SGD(model.parameters(), lr=0.1)
train_with_accumulation(model, DataLoader(TensorDataset(X[:64], Y[:64]), batch_size=8),
                        optimizer, accumulation_steps=4)

ref_opt = optim.SGD(reference.parameters(), lr=0.1)
for big in DataLoader(TensorDataset(X[:64], Y[:64]), batch_size=32):
    ref_opt.zero_grad()
    compute_loss(reference, big).backward()
    ref_opt.step()
for p, q in zip(model.parameters(), reference.parameters()):
    assert (p - q).abs().max().item() < 1e-6

# 80 samples = 10 micro-batches: 2 full groups, then the seed's extra step on the last 2
# micro-batches, whose summed losses were each divided by 4 (half a big-batch gradient).
model = make_model()
reference = copy.deepcopy(model)
train_with_accumulation(model, DataLoader(TensorDataset(X, Y), batch_size=8),
                        optim.SGD(model.parameters(), lr=0.1), accumulation_steps=4)
ref_opt = optim.SGD(reference.parameters(), lr=0.1)
for start, stop, scale in [(0, 32, 1.0), (32, 64, 1.0), (64, 80, 0.5)]:
    ref_opt.zero_grad()
    (compute_loss(reference, (X[start:stop], Y[start:stop])) * scale).backward()
    ref_opt.step()
for p, q in zip(model.parameters(), reference.parameters()):
    assert (p - q).abs().max().item() < 1e-6
assert all(p.grad is None for p in model.parameters())  # zero_grad() sets None
print("gradient accumulation: 4 micro-batches of 8 == 1 batch of 32 (to 1e-6); remainder step checked")
