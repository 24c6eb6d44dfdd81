"""A short end-to-end tour of the autograd core: gradients, higher order, Jacobians,
custom Functions, hooks, forward mode — then a small model fitted with plain tensors.

Run: python examples/autograd_tour.py
"""

from __future__ import annotations

import math
import time

import autograd
import autograd.forward_ad as fwAD
import optim


def section(title: str) -> None:
    print(f"\n== {title}")


def main() -> None:
    t0 = time.perf_counter()
    autograd.manual_seed(0)

    section("gradient accumulation over two paths")
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    loss = (x ** 2).sum() + (x ** 3).sum()
    loss.backward()
    print(f"d/dx (x² + x³) at {x.tolist()} = {x.grad.tolist()}  (2x + 3x² = [5, 16])")

    section("Hessian by double backward")
    x = autograd.tensor([1.0, 2.0], dtype=autograd.float64, requires_grad=True)
    f = x[0] ** 3 + x[0] * x[1] ** 2 + x[1] ** 4
    (g,) = autograd.grad(f, x, create_graph=True)
    rows = [autograd.grad(g[i], x, retain_graph=True)[0] for i in range(2)]
    hessian = autograd.stack(rows)
    print(f"H = {hessian.tolist()}  (expected [[6, 4], [4, 50]])")

    section("Jacobian rows with grad_outputs")
    x = autograd.tensor([2.0, 3.0], requires_grad=True)
    y = autograd.stack([x[0] ** 2 + x[1], x[0] * x[1] ** 2])
    jac = []
    for i in range(2):
        onehot = autograd.zeros(2)
        onehot[i] = 1.0
        jac.append(autograd.grad(y, x, grad_outputs=onehot, retain_graph=True)[0].tolist())
    print(f"J = {jac}  (expected [[4, 1], [9, 12]])")

    section("a custom Function: straight-through rounding")

    class RoundSTE(autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return autograd.round(t)

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out

    x = autograd.tensor([0.4, 1.6, -2.2], requires_grad=True)
    y = RoundSTE.apply(x)
    ((y - 1.0) ** 2).sum().backward()
    print(f"round({x.tolist()}) = {y.tolist()}; straight-through grad = {x.grad.tolist()}")

    section("hooks")
    x = autograd.tensor([1.0, -1.0, 3.0], requires_grad=True)
    seen = []
    handle = x.register_hook(lambda grad: seen.append(grad.norm().item()) or grad * 0.5)
    (x * x).sum().backward()
    handle.remove()
    print(f"hook saw a gradient of norm {seen[0]:.3f}; halved grad = {x.grad.tolist()}")

    section("forward mode: a Jacobian-vector product in one pass")
    with fwAD.dual_level():
        primal = autograd.tensor([0.5, 1.0])
        dual = fwAD.make_dual(primal, autograd.tensor([1.0, 0.0]))
        out = (dual.sin() * dual).sum()
        jvp = fwAD.unpack_dual(out).tangent.item()
    expected = math.cos(0.5) * 0.5 + math.sin(0.5)
    print(f"d/dt f(x + t·e0) = {jvp:.6f}  (expected {expected:.6f})")

    section("fitting y = 3·sin(x) + 0.5x with plain tensors and Adam")
    xs = autograd.linspace(-3, 3, 256).reshape(-1, 1)
    ys = 3.0 * xs.sin() + 0.5 * xs
    w1 = (autograd.randn(1, 32) * 1.0).requires_grad_()
    b1 = autograd.zeros(32, requires_grad=True)
    w2 = (autograd.randn(32, 1) * (1 / math.sqrt(32))).requires_grad_()
    b2 = autograd.zeros(1, requires_grad=True)
    params = [w1, b1, w2, b2]
    opt = optim.Adam(params, lr=0.01)
    for step in range(1, 1501):
        pred = (xs @ w1 + b1).tanh() @ w2 + b2
        loss = ((pred - ys) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step in (1, 500, 1000, 1500):
            print(f"  step {step:4d}  mse {loss.item():.5f}")
    if loss.item() > 0.05:
        raise SystemExit(f"training did not converge: final mse {loss.item():.4f}")
    print(f"\ndone in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
