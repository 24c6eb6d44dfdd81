"""Finite-difference checks of analytical derivatives (``torch.autograd.gradcheck`` /
``gradgradcheck``): central differences in float64 against reverse mode (and, with
``check_forward_ad=True``, forward mode).

Example:
    >>> import autograd
    >>> x = autograd.randn(3, dtype=autograd.float64, requires_grad=True)
    >>> autograd.gradcheck(lambda t: (t.sin() * t).sum(), (x,))
    True
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from . import backend
from .grad_mode import enable_grad, no_grad
from .tensor import Tensor, _wrap

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck / gradgradcheck when a derivative does not match."""


def _as_tuple(x: Any) -> tuple:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _outputs(func: Callable, inputs: tuple) -> tuple:
    out = func(*inputs)
    return tuple(o for o in _as_tuple(out) if isinstance(o, Tensor))


def _diff_inputs(inputs: tuple) -> list[int]:
    return [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]


def _numerical_jacobian(func: Callable, inputs: tuple, i: int, eps: float) -> list:
    """Central differences: one column per element of input ``i``, per output (works
    for non-contiguous inputs: elements are perturbed through their index)."""
    np = backend.numpy
    data = inputs[i]._data
    with no_grad():
        outs0 = _outputs(func, inputs)
        cols: list[list] = [[] for _ in outs0]
        for pos in np.ndindex(*data.shape):
            orig = data[pos].item()
            data[pos] = orig + eps
            plus = [backend.to_device(o._data, backend.CPU).astype("float64")
                    for o in _outputs(func, inputs)]
            data[pos] = orig - eps
            minus = [backend.to_device(o._data, backend.CPU).astype("float64")
                     for o in _outputs(func, inputs)]
            data[pos] = orig
            for j, (p, m) in enumerate(zip(plus, minus)):
                cols[j].append(((p - m) / (2 * eps)).reshape(-1))
    return [np.stack(c, axis=1) if c else np.zeros((o._data.size, 0)) for c, o in zip(cols, outs0)]


def _analytical_jacobian(func: Callable, inputs: tuple, idx: list[int]) -> tuple[list, tuple]:
    """Reverse mode: one backward per output element (a one-hot ``grad_output``)."""
    from .engine import grad

    np = backend.numpy
    with enable_grad():
        outs = _outputs(func, inputs)
    jac = {(j, i): np.zeros((o._data.size, inputs[i]._data.size))
           for j, o in enumerate(outs) for i in idx}
    for j, o in enumerate(outs):
        if not o.requires_grad:
            continue
        xp = backend.xp_of(o._data)
        for r in range(o._data.size):
            onehot = xp.zeros(o._data.size, dtype=o._data.dtype)
            onehot[r] = 1
            gs = grad(o, [inputs[i] for i in idx], _wrap(onehot.reshape(o._data.shape)),
                      retain_graph=True, allow_unused=True)
            for i, g in zip(idx, gs):
                if g is not None:
                    jac[(j, i)][r] = backend.to_device(g._data, backend.CPU).reshape(-1)
    return jac, outs


def _forward_jacobian(func: Callable, inputs: tuple, idx: list[int]) -> dict:
    """Forward mode: one jvp per input element (a one-hot tangent)."""
    from . import forward_ad as fwAD

    np = backend.numpy
    jac: dict = {}
    for i in idx:
        x = inputs[i]
        xp = backend.xp_of(x._data)
        for c in range(x._data.size):
            onehot = xp.zeros(x._data.size, dtype=x._data.dtype)
            onehot[c] = 1
            with fwAD.dual_level():
                duals = list(inputs)
                duals[i] = fwAD.make_dual(x.detach(), _wrap(onehot.reshape(x._data.shape)))
                outs = _outputs(func, tuple(duals))
                for j, o in enumerate(outs):
                    t = fwAD.unpack_dual(o).tangent
                    col = np.zeros(o._data.size) if t is None else \
                        backend.to_device(t._data, backend.CPU).reshape(-1)
                    jac.setdefault((j, i), np.zeros((o._data.size, x._data.size)))[:, c] = col
    return jac


def _mismatch(kind: str, j: int, i: int, num: Any, ana: Any) -> str:
    np = backend.numpy
    with np.printoptions(precision=6, suppress=True, threshold=200):
        return (
            f"Jacobian mismatch for output {j} with respect to input {i} ({kind}),\n"
            f"numerical:{num}\nanalytical:{ana}\n"
            f"max abs difference {np.abs(num - ana).max():.3e}"
        )


def gradcheck(
    func: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_backward_ad: bool = True,
    check_forward_ad: bool = False,
    fast_mode: bool = False,
    masked: bool | None = None,
) -> bool:
    """Compare analytical gradients of ``func`` at ``inputs`` with central finite
    differences. Inputs that require grad should be float64.

    Returns True, or raises ``GradcheckError`` (returns False when
    ``raise_exception=False``) naming the output/input pair that differs.
    """
    inputs = _as_tuple(inputs)
    idx = _diff_inputs(inputs)
    if not idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of them have requires_grad=True.")
    for i in idx:
        if inputs[i].dtype != backend.float64:
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point. "
                "This check will likely fail if all the inputs are not of double precision "
                "floating point.",
                UserWarning,
                stacklevel=2,
            )
    np = backend.numpy
    try:
        numerical = {i: _numerical_jacobian(func, inputs, i, eps) for i in idx}
        if check_backward_ad:
            analytical, outs = _analytical_jacobian(func, inputs, idx)
            again = _analytical_jacobian(func, inputs, idx)[0] if nondet_tol == 0.0 else None
            for j, o in enumerate(outs):
                for i in idx:
                    num = numerical[i][j]
                    ana = analytical[(j, i)]
                    if not o.requires_grad and np.abs(num).max(initial=0) == 0:
                        continue
                    if not np.allclose(num, ana, rtol=rtol, atol=atol):
                        raise GradcheckError(_mismatch("reverse mode", j, i, num, ana))
                    if again is not None:
                        if not np.array_equal(again[(j, i)], ana):
                            raise GradcheckError(
                                f"Backward is not reentrant for output {j} w.r.t. input {i}: "
                                "two backward passes gave different gradients "
                                "(set nondet_tol for non-deterministic ops)"
                            )
        if check_forward_ad:
            fwd = _forward_jacobian(func, inputs, idx)
            for (j, i), ana in fwd.items():
                num = numerical[i][j]
                if not np.allclose(num, ana, rtol=rtol, atol=atol):
                    raise GradcheckError(_mismatch("forward mode", j, i, num, ana))
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(
    func: Callable[..., Any],
    inputs: Any,
    grad_outputs: Sequence[Tensor] | Tensor | None = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    """Check second derivatives: gradcheck of ``(inputs, v) -> vᵀ J_func(inputs)``,
    where ``v`` are random (or the given) grad_outputs that also require grad."""
    from .engine import grad

    inputs = _as_tuple(inputs)
    with no_grad():
        outs0 = _outputs(func, inputs)
    if grad_outputs is None:
        gen = backend.numpy.random.default_rng(0)
        grad_outputs = tuple(
            _wrap(backend.to_device(gen.standard_normal(o._data.shape), o.device).astype(o._data.dtype))
            for o in outs0
        )
    grad_outputs = tuple(g.detach().requires_grad_(True) for g in _as_tuple(grad_outputs))
    idx = _diff_inputs(inputs)
    n_in = len(inputs)

    def first_order(*args: Any) -> tuple:
        ins, vs = args[:n_in], args[n_in:]
        with enable_grad():  # the numerical pass runs under no_grad; this needs a graph
            outs = _outputs(func, ins)
            diff = [ins[i] for i in idx]
            pairs = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
            if not pairs:
                return ()
            gs = grad([o for o, _ in pairs], diff, [v for _, v in pairs], create_graph=True,
                      allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_order, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_forward_ad=check_fwd_over_rev)
