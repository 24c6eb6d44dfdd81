"""Seed block 13 — "Dynamic Graph Modification": an RNN unrolled to each sequence's length.

Ported by changing imports only (torch.nn -> autograd.nn). Checks: the outputs match
the recurrence computed in NumPy, and backward reaches the weights through every step.

Run: python examples/seed/dynamic_rnn.py
"""

import autograd


class DynamicRNN(autograd.nn.Module):
    """RNN with dynamic sequence length"""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.i2h = autograd.nn.Linear(input_size, hidden_size)
        self.h2h = autograd.nn.Linear(hidden_size, hidden_size)

    def forward(self, sequence):
        # Dynamic unrolling based on sequence length
        hidden = autograd.zeros(1, self.hidden_size)

        for input_step in sequence:
            # Graph extends dynamically with sequence
            hidden = autograd.tanh(
                self.i2h(input_step.unsqueeze(0)) +
                self.h2h(hidden)
            )

        return hidden

# Different sequence lengths create different graph structures
rnn = DynamicRNN(input_size=10, hidden_size=20)
short_seq = [autograd.randn(10) for _ in range(5)]
long_seq = [autograd.randn(10) for _ in range(15)]

output1 = rnn(short_seq)   # Creates 5-step unrolled graph
output2 = rnn(long_seq)    # Creates 15-step unrolled graph

# ---------------------------------------------------------------- checks (not in the seed)
import numpy as np  # noqa: E402

Wi, bi = rnn.i2h.weight.detach().numpy(), rnn.i2h.bias.detach().numpy()
Wh, bh = rnn.h2h.weight.detach().numpy(), rnn.h2h.bias.detach().numpy()


def reference(seq):
    h = np.zeros((1, 20))
    for s in seq:
        h = np.tanh(s.numpy()[None] @ Wi.T + bi + h @ Wh.T + bh)
    return h


assert output1.shape == output2.shape == (1, 20)
np.testing.assert_allclose(output1.detach().numpy(), reference(short_seq), atol=1e-5)
np.testing.assert_allclose(output2.detach().numpy(), reference(long_seq), atol=1e-5)

# The 15-step graph is deeper: count the nodes reachable from each output.
def graph_size(t):
    seen, stack = set(), [t.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(fn for fn, _ in node.next_functions)
    return len(seen)


assert graph_size(output2) > graph_size(output1)
(output1.sum() + output2.sum()).backward()
assert rnn.h2h.weight.grad is not None and rnn.i2h.weight.grad.abs().sum().item() > 0
print(f"dynamic RNN: {graph_size(output1)} vs {graph_size(output2)} graph nodes; outputs match NumPy")
