"""Anomaly detection: name the backward op that first produced NaN, with the
forward stack that created it (``torch.autograd.detect_anomaly``).

Example (turning it on warns that it slows every op down, as PyTorch does):
    >>> import warnings
    >>> import autograd
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     with autograd.detect_anomaly():
    ...         x = autograd.tensor([1.0], requires_grad=True)
    ...         (x * 2).sum().backward()
    >>> "Anomaly Detection has been enabled" in str(seen[0].message)
    True
"""

from __future__ import annotations

import functools
import os
import traceback
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]

F = TypeVar("F", bound=Callable[..., Any])


class _State:
    """Process-wide, as in PyTorch: virtual ranks in threads all see the same mode."""

    enabled = False
    check_nan = True


state = _State()


def is_anomaly_enabled() -> bool:
    return state.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return state.check_nan


class detect_anomaly:
    """Context manager/decorator: record forward stacks and check every backward
    output for NaN values. Slow; for debugging."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should "
            "only be enabled for debugging.",
            UserWarning,
            stacklevel=2,
        )
        self.prev = (state.enabled, state.check_nan)
        state.enabled, state.check_nan = True, self.check_nan

    def __exit__(self, *exc: object) -> None:
        state.enabled, state.check_nan = self.prev

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
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


_PKG_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def capture_stack() -> list[str]:
    """The forward stack up to the user's call, without this package's own frames."""
    frames = traceback.extract_stack()
    end = len(frames)
    while end > 1 and frames[end - 1].filename.startswith(_PKG_DIR):
        end -= 1
    return traceback.format_list(frames[:end])


def check_grads(node: Any, grads: tuple, xp_of: Callable[[Any], Any]) -> None:
    """Raise if a backward output holds NaN, naming the op and its forward stack (as in
    PyTorch, infinite gradients are legitimate and pass)."""
    for i, g in enumerate(grads):
        if g is None:
            continue
        data = g._data
        if data.dtype.kind not in "fc":
            continue
        if bool(xp_of(data).isnan(data).any()):
            trace = getattr(node, "_trace", None)
            if trace:
                warnings.warn(
                    f"Error detected in {node.name()}. Traceback of forward call that caused "
                    f"the error:\n{''.join(trace)}",
                    UserWarning,
                    stacklevel=2,
                )
            where = "".join(trace[-2:]) if trace else (
                "(forward stack not recorded: the op ran before anomaly detection was enabled)\n"
            )
            raise RuntimeError(
                f"Function '{node.name()}' returned nan values in its {i}th output.\n"
                f"The op was created at:\n{where}"
            )
