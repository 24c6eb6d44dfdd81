"""Argument checks shared by the sliding-window functions (convolution, pooling,
unfold/fold): int-or-tuple arguments, padding, dtypes, unbatched inputs."""

from __future__ import annotations

import numbers
from typing import Any

from ...tensor import Tensor


def ntuple(value: Any, n: int, name: str, op: str, what: str = "convolution") -> tuple:
    """``3 -> (3, 3)``; a sequence of length ``n`` (or 1) -> a tuple of ints."""
    if isinstance(value, Tensor):
        value = value.tolist()
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),) * n
    if isinstance(value, (tuple, list)):
        vals = list(value)
        if len(vals) == 1:
            vals = vals * n
        if len(vals) == n and all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                                  for v in vals):
            return tuple(int(v) for v in vals)
    raise RuntimeError(
        f"{op}: expected {name} to be a single integer value or a list of {n} values to match "
        f"the {what} dimensions, but got {name}={value!r}"
    )


def check_tensor(x: Any, name: str, op: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(x).__name__}")


def check_same_dtype(op: str, x: Tensor, other: Tensor | None, other_name: str) -> None:
    if other is not None and other.dtype != x.dtype:
        raise RuntimeError(
            f"{op}: expected scalar type {x.dtype} but found {other.dtype}: input has dtype "
            f"{x.dtype} and {other_name} has dtype {other.dtype}; cast one of them with "
            f".to({x.dtype}) so they match"
        )


def check_float(x: Tensor, op: str) -> None:
    if x.dtype.kind not in "fc":
        raise RuntimeError(
            f"{op}: expected a floating point input, got dtype {x.dtype}; convert it with "
            ".float() or .double()"
        )


def batchify(x: Tensor, spatial: int, op: str, what: str = "") -> tuple[Tensor, bool]:
    """Accept ``(C, *spatial)`` (unbatched) or ``(N, C, *spatial)``; return the batched
    tensor and whether a batch dim was added."""
    nd = x.ndim
    if nd == spatial + 2:
        return x, False
    if nd == spatial + 1:
        return x.unsqueeze(0), True
    raise RuntimeError(
        f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to {op}{what}, "
        f"but got input of size: {list(x.shape)}"
    )


def check_positive(vals: tuple, name: str, op: str) -> None:
    if any(v <= 0 for v in vals):
        raise RuntimeError(f"{op}: non-positive {name} is not supported (got {name}={list(vals)})")


def check_nonnegative(vals: tuple, name: str, op: str) -> None:
    if any(v < 0 for v in vals):
        raise RuntimeError(f"{op}: negative {name} is not supported (got {name}={list(vals)})")
