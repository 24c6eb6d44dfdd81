"""Anomaly detection: name the backward op that first produced NaN/Inf, with the
forward stack that created it (``torch.autograd.detect_anomaly``).

Example:
    >>> import autograd
    >>> with autograd.detect_anomaly():
    ...     x = autograd.tensor([1.0], requires_grad=True)
    ...     (x * 2).sum().backward()
"""

from __future__ import annotations

import threading
import traceback
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    enabled = False
    check_nan = True


state = _State()


def is_anomaly_enabled() -> bool:
    return state.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return state.check_nan


class detect_anomaly:
    """Context manager/decorator: record forward stacks and check every backward
    output for NaN (and Inf) values. Slow; for debugging."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self.prev = (state.enabled, state.check_nan)
        state.enabled, state.check_nan = True, self.check_nan

    def __exit__(self, *exc: object) -> None:
        state.enabled, state.check_nan = self.prev

    def __call__(self, fn: F) -> F:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class set_detect_anomaly:
    """Turn anomaly detection on or off (function or context manager)."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = (state.enabled, state.check_nan)
        state.enabled, state.check_nan = bool(mode), check_nan

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        state.enabled, state.check_nan = self.prev


def capture_stack() -> list[str]:
    """The forward stack, minus this package's own frames at the top."""
    return traceback.format_stack()[:-3]


def check_grads(node: Any, grads: tuple, xp_of: Callable[[Any], Any]) -> None:
    """Raise if a backward output holds NaN/Inf, naming the op and its forward stack."""
    for i, g in enumerate(grads):
        if g is None:
            continue
        data = g._data
        if data.dtype.kind not in "fc":
            continue
        xp = xp_of(data)
        if not bool(xp.isfinite(data).all()):
            kind = "nan" if bool(xp.isnan(data).any()) else "inf"
            trace = getattr(node, "_trace", None)
            if trace:
                warnings.warn(
                    f"Error detected in {node.name()}. Traceback of forward call that caused "
                    f"the error:\n{''.join(trace)}",
                    RuntimeWarning,
                    stacklevel=2,
                )
            where = "".join(trace[-3:]) if trace else "(forward stack not recorded: the op ran "
            where = where if trace else where + "before anomaly detection was enabled)"
            raise RuntimeError(
                f"Function '{node.name()}' returned {kind} values in its {i}th output.\n"
                f"The op was created at:\n{where}"
            )
