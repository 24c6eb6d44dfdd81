"""Reverse vs forward mode: what a derivative costs, measured.

1. The gradient of a scalar function f: Rⁿ → R. Reverse mode gets all n partial
   derivatives from one backward pass: its cost stays a small constant times cost(f)
   however large n is. Forward mode gets one directional derivative per pass, so the
   full gradient takes n dual passes: cost grows like n·cost(f). (Vectorizing the n
   passes with vmap removes the Python overhead per pass but not the n-fold work.)

2. The Jacobian of f: Rⁿ → Rᵐ. Reverse mode needs m backward passes (one per output),
   forward mode n dual passes (one per input): a tall function (m ≫ n) is cheaper in
   forward mode, a wide one (n ≫ m) in reverse mode. ``jacobian_auto`` picks the mode
   from the shapes, and the timings show it picked the cheaper one.

Run: python examples/bench_ad_complexity.py [--quick]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import autograd
import autograd.forward_ad as fwAD
from autograd.func import jacfwd
from autograd.functional import jacobian

F64 = autograd.float64


def best_time(fn: Callable[[], Any], repeat: int = 3) -> float:
    """Best wall time of ``repeat`` runs (after one warm-up), in seconds."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def f(x: autograd.Tensor) -> autograd.Tensor:
    """A scalar function of a vector: a short chain of elementwise ops and a reduction."""
    h = (x.sin() * x.exp()).tanh()
    return (h * h + x.cos()).sum()


def grad_reverse(x: autograd.Tensor) -> autograd.Tensor:
    xr = x.detach().requires_grad_(True)
    (g,) = autograd.grad(f(xr), xr)
    return g


def grad_forward(x: autograd.Tensor) -> autograd.Tensor:
    """n dual passes, one per standard basis direction."""
    basis = autograd.eye(x.numel(), dtype=x.dtype)
    parts = []
    with fwAD.dual_level():
        for e in basis:
            out = f(fwAD.make_dual(x, e))
            parts.append(fwAD.unpack_dual(out).tangent)
    return autograd.stack(parts)


def grad_forward_vectorized(x: autograd.Tensor) -> autograd.Tensor:
    """The n dual passes batched into one by vmap (jacfwd)."""
    return jacfwd(f)(x)


def gradient_table(sizes: list[int]) -> None:
    print("1) gradient of f: R^n -> R  (times in ms; ratios are time / time(f))")
    print(f"{'n':>6} {'f':>9} {'reverse':>9} {'ratio':>6} {'forward':>10} {'ratio':>8} "
          f"{'fwd(vmap)':>10} {'ratio':>7}")
    first = None
    for n in sizes:
        x = autograd.randn(n, dtype=F64)
        ref = grad_reverse(x)
        fwd = grad_forward(x)
        vec = grad_forward_vectorized(x)
        if not (autograd.allclose(ref, fwd) and autograd.allclose(ref, vec)):
            raise RuntimeError("forward and reverse gradients disagree")
        t_f = best_time(lambda x=x: f(x))
        t_r = best_time(lambda x=x: grad_reverse(x))
        t_fw = best_time(lambda x=x: grad_forward(x), repeat=1)
        t_v = best_time(lambda x=x: grad_forward_vectorized(x))
        print(f"{n:>6} {t_f * 1e3:>9.3f} {t_r * 1e3:>9.3f} {t_r / t_f:>6.1f} {t_fw * 1e3:>10.2f} "
              f"{t_fw / t_f:>8.1f} {t_v * 1e3:>10.2f} {t_v / t_f:>7.1f}")
        if first is None:
            first = (n, t_r / t_f, t_fw / t_f)
        last = (n, t_r / t_f, t_fw / t_f)
    growth = last[0] / first[0]
    print(f"   n grew {growth:.0f}x: the reverse ratio went {first[1]:.1f} -> {last[1]:.1f} "
          f"(O(1)·cost(f)); the forward ratio went {first[2]:.0f} -> {last[2]:.0f} "
          f"({last[2] / first[2]:.0f}x, O(n)·cost(f))\n")


def jacobian_auto(fn: Callable, x: autograd.Tensor) -> tuple[autograd.Tensor, str]:
    """The Jacobian in whichever mode needs fewer passes: forward when the function
    has fewer inputs than outputs (tall), reverse otherwise (wide)."""
    m = fn(x).numel()
    mode = "forward-mode" if x.numel() < m else "reverse-mode"
    return jacobian(fn, x, vectorize=True, strategy=mode), mode


def jacobian_table(n_small: int, n_large: int) -> None:
    autograd.manual_seed(0)
    w = autograd.randn(n_large, n_small, dtype=F64)

    def tall(x: autograd.Tensor) -> autograd.Tensor:  # R^small -> R^large
        return (w @ x).tanh() * 2.0

    def wide(x: autograd.Tensor) -> autograd.Tensor:  # R^large -> R^small
        return (w.mT @ x.sin()).exp()

    print(f"2) Jacobians (times in ms): tall R^{n_small} -> R^{n_large}, wide R^{n_large} -> "
          f"R^{n_small}")
    print(f"{'function':>9} {'reverse':>10} {'forward':>10} {'auto picks':>14} {'auto':>9}")
    for name, fn, n_in in (("tall", tall, n_small), ("wide", wide, n_large)):
        x = autograd.randn(n_in, dtype=F64)
        jr = jacobian(fn, x, vectorize=True)
        jf = jacobian(fn, x, vectorize=True, strategy="forward-mode")
        if not autograd.allclose(jr, jf):
            raise RuntimeError("forward and reverse Jacobians disagree")
        t_r = best_time(lambda fn=fn, x=x: jacobian(fn, x, vectorize=True), repeat=2)
        t_f = best_time(lambda fn=fn, x=x: jacobian(fn, x, vectorize=True, strategy="forward-mode"),
                        repeat=2)
        _, mode = jacobian_auto(fn, x)
        t_a = best_time(lambda fn=fn, x=x: jacobian_auto(fn, x), repeat=2)
        cheaper = "forward-mode" if t_f < t_r else "reverse-mode"
        verdict = "cheaper" if mode == cheaper else "NOT the cheaper one"
        print(f"{name:>9} {t_r * 1e3:>10.2f} {t_f * 1e3:>10.2f} {mode:>14} {t_a * 1e3:>9.2f}  "
              f"({verdict})")


def main() -> None:
    quick = "--quick" in sys.argv
    autograd.manual_seed(0)
    gradient_table([16, 64, 256] if quick else [16, 64, 256, 1024])
    jacobian_table(4, 400 if quick else 1500)


if __name__ == "__main__":
    main()
