"""Seed block 15 — "Gumbel Softmax": differentiable discrete sampling.

Ported by changing imports only (torch.distributions -> autograd.distributions). The seed
defines ``gumbel_softmax`` but never calls it; the completion samples with it and checks
the numbers: soft samples are probability vectors, hard samples are one-hot at the soft
sample's argmax, the backward passes the gradient straight through (as the seed writes
it), and the Gumbel-max trick draws category k with probability softmax(logits)ₖ.

Run: python examples/seed/gumbel_softmax.py
"""

import autograd


class GumbelSoftmax(autograd.Function):
    """Differentiable discrete sampling via Gumbel-Softmax"""

    @staticmethod
    def forward(ctx, logits, temperature=1.0, hard=False):
        # Sample Gumbel noise
        gumbel_noise = autograd.distributions.Gumbel(0, 1).sample(logits.shape)

        # Gumbel-Softmax sampling
        y_soft = autograd.softmax((logits + gumbel_noise) / temperature, dim=-1)

        if hard:
            # Hard sampling with straight-through gradients
            y_hard = autograd.zeros_like(logits)
            y_hard.scatter_(-1, y_soft.argmax(dim=-1, keepdim=True), 1.0)

            ctx.save_for_backward(y_soft)
            ctx.hard = True
            return y_hard
        else:
            ctx.save_for_backward(y_soft)
            ctx.hard = False
            return y_soft

    @staticmethod
    def backward(ctx, grad_output):
        y_soft, = ctx.saved_tensors

        if ctx.hard:
            # Straight-through gradient for hard sampling
            return grad_output, None, None
        else:
            # Standard softmax gradient
            return grad_output, None, None

gumbel_softmax = GumbelSoftmax.apply

# ---------------------------------------------------------------- completion and checks
import numpy as np  # noqa: E402

autograd.manual_seed(0)
probs = np.array([0.1, 0.2, 0.3, 0.4])
rows = 20000
logits = autograd.tensor(np.log(np.tile(probs, (rows, 1))), dtype=autograd.float32,
                         requires_grad=True)

soft = gumbel_softmax(logits, 0.5, False)
s = soft.detach().numpy()
assert s.shape == (rows, 4) and (s >= 0).all()
np.testing.assert_allclose(s.sum(-1), 1.0, rtol=1e-5)

hard = gumbel_softmax(logits, 0.5, True)
h = hard.detach().numpy()
assert set(np.unique(h)) <= {0.0, 1.0} and (h.sum(-1) == 1).all()
# Gumbel-max: the argmax is distributed as Categorical(softmax(logits)).
freq = h.mean(0)
np.testing.assert_allclose(freq, probs, atol=0.015)

upstream = autograd.randn(rows, 4)
(hard * upstream).sum().backward()
np.testing.assert_allclose(logits.grad.numpy(), upstream.numpy())  # straight through
print(f"Gumbel-softmax: category frequencies {np.round(freq, 3)} vs probabilities {probs}")
