"""Seed block 6 — "Tensor Hooks": a gradient hook that reports and returns the gradient.

Ported by changing imports only (torch.nn.utils -> autograd.nn.utils). The hook's
``clip_grad_norm_([tensor])`` acts on ``tensor.grad``, which is still None while the
hook runs during the first backward (hooks run before accumulation, as in PyTorch), so the
gradient that lands in ``x.grad`` is the unclipped 2x.

Run: python examples/seed/tensor_hooks.py
"""

import contextlib
import io

import autograd


# Tensor hook for gradient monitoring
def gradient_monitor_hook(tensor):
    def hook_fn(grad):
        print(f"Gradient norm: {grad.norm()}")
        print(f"Gradient mean: {grad.mean()}")

        # Gradient clipping within hook
        autograd.nn.utils.clip_grad_norm_([tensor], max_norm=1.0)
        return grad  # Return modified gradient

    return hook_fn

# Register hook on tensor
x = autograd.randn(100, requires_grad=True)
hook_handle = x.register_hook(gradient_monitor_hook(x))

# Hook will be called during backward pass
out = io.StringIO()  # (not in the seed: capture what the hook prints, to check it)
with contextlib.redirect_stdout(out):
    y = (x**2).sum()
    y.backward()

# Remove hook when no longer needed
hook_handle.remove()

# ---------------------------------------------------------------- checks (not in the seed)
import re  # noqa: E402

import numpy as np  # noqa: E402

print(out.getvalue(), end="")
xv = x.detach().numpy().astype(np.float64)
lines = out.getvalue().splitlines()
# An f-string formats a 0-d tensor as its number, as in PyTorch ("Gradient norm: 16.70...").
assert len(lines) == 2, lines
norm = float(re.fullmatch(r"Gradient norm: ([-0-9.e+]+)", lines[0]).group(1))
mean = float(re.fullmatch(r"Gradient mean: ([-0-9.e+]+)", lines[1]).group(1))
np.testing.assert_allclose(norm, np.linalg.norm(2 * xv), rtol=1e-4)
np.testing.assert_allclose(mean, (2 * xv).mean(), rtol=1e-3, atol=1e-4)
np.testing.assert_allclose(x.grad.numpy(), 2 * xv, rtol=1e-6)

# After remove(), the hook no longer fires; .grad accumulates a second 2x.
out2 = io.StringIO()
with contextlib.redirect_stdout(out2):
    (x**2).sum().backward()
assert out2.getvalue() == ""
np.testing.assert_allclose(x.grad.numpy(), 4 * xv, rtol=1e-6)
print("tensor hook: fired once with the right norm/mean; removed cleanly")
