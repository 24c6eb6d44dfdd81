"""Table-driven gradient checks: every differentiable op is described by an ``OpSpec``
and checked in float64 against central finite differences — first order (reverse and
forward mode), second order (reverse over reverse), on contiguous and non-contiguous
inputs, over several shapes including broadcasting ones.

Each op family's test module defines a list of specs and calls ``params(specs)`` to
turn them into pytest parameters for ``run_spec``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd
from autograd import function
from autograd.tensor import _wrap


@dataclasses.dataclass
class OpSpec:
    """How to check one op.

    ``fn`` takes the generated tensors (in order) and returns a tensor or a tuple.
    ``shapes`` is a list of cases; each case is a tuple with one shape per input.
    ``domain`` is the (low, high) range of the random inputs, or a callable
    ``(rng, shape, index) -> ndarray`` for inputs that need a special construction
    (away from kinks, positive definite matrices, …). ``constant`` lists input indices
    that must not require grad (e.g. masks or index tensors, given by ``make``).
    """

    name: str
    fn: Callable[..., Any]
    shapes: list[tuple]
    domain: Any = (-2.0, 2.0)
    grad: bool = True
    gradgrad: bool = True
    forward_ad: bool = True
    noncontig: bool = True
    constant: tuple[int, ...] = ()
    make: Callable[[np.random.Generator, tuple, int], Any] | None = None
    atol: float = 1e-5
    rtol: float = 1e-3
    eps: float = 1e-6

    def cases(self) -> list[tuple[str, tuple]]:
        return [(f"{self.name}-{'x'.join(map(str, s)) if s else 'scalar'}-{i}", s)
                for i, s in enumerate(self.shapes)]


def away_from(points: list[float], lo: float = -2.0, hi: float = 2.0, gap: float = 0.1):
    """A ``domain``: inputs in [lo, hi] that stay ``gap`` away from kinks (finite
    differences)."""

    def gen(rng: np.random.Generator, shape: tuple, index: int) -> np.ndarray:
        x = rng.uniform(lo, hi, size=shape)
        for p in points:
            near = np.abs(x - p) < gap
            x = np.where(near, p + np.sign(x - p + 1e-12) * gap * 2, x)
        return x

    return gen


def _gen(spec: OpSpec, rng: np.random.Generator, shape: tuple, index: int) -> np.ndarray:
    if spec.make is not None:
        out = spec.make(rng, shape, index)
        if out is not None:
            return np.asarray(out)
    if callable(spec.domain):
        return np.asarray(spec.domain(rng, shape, index), dtype=np.float64)
    lo, hi = spec.domain
    return rng.uniform(lo, hi, size=shape).astype(np.float64)


def _noncontig(arr: np.ndarray) -> np.ndarray:
    """The same values in a strided (non-contiguous) array."""
    if arr.ndim == 0:
        return arr
    big = np.empty(arr.shape + (2,), dtype=arr.dtype)
    big[..., 0] = arr
    out = big[..., 0]
    assert not out.flags.c_contiguous or arr.size <= 1
    return out


def make_inputs(spec: OpSpec, shape_case: tuple, seed: int, noncontig: bool = False) -> list:
    rng = np.random.default_rng(seed)
    inputs = []
    for i, shape in enumerate(shape_case):
        arr = _gen(spec, rng, shape, i)
        if noncontig and arr.dtype.kind == "f":
            arr = _noncontig(arr)
        t = _wrap(arr)
        if i not in spec.constant and arr.dtype.kind == "f":
            t.requires_grad_(True)
        inputs.append(t)
    return inputs


def params(specs: list[OpSpec]) -> list:
    out = []
    for spec in specs:
        for case_id, shape_case in spec.cases():
            out.append(pytest.param(spec, shape_case, id=case_id))
    return out


def run_spec(spec: OpSpec, shape_case: tuple, seed: int = 0) -> None:
    """gradcheck (reverse + forward mode) and gradgradcheck, contiguous and strided."""
    variants = [False, True] if spec.noncontig else [False]
    for noncontig in variants:
        inputs = make_inputs(spec, shape_case, seed, noncontig)
        if spec.grad:
            assert autograd.gradcheck(spec.fn, tuple(inputs), eps=spec.eps, atol=spec.atol,
                                      rtol=spec.rtol, check_forward_ad=spec.forward_ad)
        if spec.gradgrad and not noncontig:
            assert autograd.gradgradcheck(spec.fn, tuple(inputs), eps=spec.eps, atol=spec.atol,
                                          rtol=spec.rtol)


def count_op_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on, the class name of every op applied (forward and backward alike) is
    appended to the returned list: tests assert which ops a backward records."""
    calls: list[str] = []
    original = function.Op.__dict__["apply"].__func__

    def counting(cls: type, *args: object) -> object:
        calls.append(cls.__name__)
        return original(cls, *args)

    monkeypatch.setattr(function.Op, "apply", classmethod(counting))
    return calls
