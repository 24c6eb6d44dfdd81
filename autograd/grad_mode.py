"""Grad modes: whether ops record the graph. Thread-local, as in PyTorch, so virtual
ranks running in threads do not switch each other's mode.

Example:
    >>> import autograd
    >>> x = autograd.ones(2, requires_grad=True)
    >>> with autograd.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "is_inference_mode_enabled",
]

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    enabled = True
    inference = False


state = _State()


def is_grad_enabled() -> bool:
    """True when new ops record the autograd graph."""
    return state.enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


class _Mode:
    """Base of the grad-mode context managers; each also works as a decorator, with or
    without parentheses (``@no_grad()`` and ``@no_grad``), of functions and generators."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is not set_grad_enabled and len(args) == 1 and not kwargs and callable(args[0]) \
                and not isinstance(args[0], bool):
            return cls()(args[0])  # used as a bare decorator
        return super().__new__(cls)

    def __call__(self, fn: F) -> F:
        if inspect.isgeneratorfunction(fn):
            return self._wrap_generator(fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__(*self._args()):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def _wrap_generator(self, fn: F) -> F:
        """The mode holds while the generator body runs, not while its caller does."""
        mode = self

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            gen = fn(*args, **kwargs)
            try:
                with mode.__class__(*mode._args()):
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with mode.__class__(*mode._args()):
                            gen.close()
                        raise
                    except BaseException as e:
                        with mode.__class__(*mode._args()):
                            response = gen.throw(e)
                    else:
                        with mode.__class__(*mode._args()):
                            response = gen.send(request)
            except StopIteration as stop:
                return stop.value

        return wrapper  # type: ignore[return-value]

    def _args(self) -> tuple:
        return ()


class no_grad(_Mode):
    """Context manager and decorator that turns graph recording off."""

    def __enter__(self) -> None:
        self.prev = state.enabled
        state.enabled = False

    def __exit__(self, *exc: object) -> None:
        state.enabled = self.prev


class enable_grad(_Mode):
    """Context manager and decorator that turns graph recording on (inside no_grad)."""

    def __enter__(self) -> None:
        self.prev = state.enabled
        state.enabled = True

    def __exit__(self, *exc: object) -> None:
        state.enabled = self.prev


class set_grad_enabled(_Mode):
    """Set grad mode to ``mode``; usable as a function, context manager or decorator."""

    def __init__(self, mode: bool) -> None:
        self.prev = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode

    def _args(self) -> tuple:
        return (self.mode,)

    def __call__(self, fn: F) -> F:
        # used as a decorator: construction switched the mode; only calls should
        state.enabled = self.prev
        return super().__call__(fn)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        state.enabled = self.prev


class inference_mode(_Mode):
    """Like ``no_grad`` (PyTorch's extra view/version bookkeeping savings do not apply
    here: recording is already skipped entirely under ``no_grad``)."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def _args(self) -> tuple:
        return (self.mode,)

    def __enter__(self) -> None:
        self.prev = (state.enabled, state.inference)
        if self.mode:
            state.enabled = False
            state.inference = True
        else:
            state.inference = False

    def __exit__(self, *exc: object) -> None:
        state.enabled, state.inference = self.prev
