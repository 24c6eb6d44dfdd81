"""Preemption: stop every rank at the *same* step after SIGTERM or SIGUSR1.

A scheduler that preempts a job sends SIGTERM (``python -m launch`` forwards SIGTERM,
SIGINT and SIGUSR1 to every rank). A handler that saved a checkpoint on the spot would
deadlock: the signal reaches the ranks at different steps, and a rank busy in a
collective never runs Python handlers. So the handler only records the signal;
:func:`should_stop`, called by every rank once per step, all-reduces the flag (MAX) so
all ranks see it at the same step boundary, save together and exit with
``128 + signal`` (143 for SIGTERM), as a killed process would.

Usage (every rank, each step)::

    from launch import preemption

    preemption.install()                     # once, after init_process_group
    for step in range(start, steps):
        train_step()
        if preemption.should_stop():         # collective: every rank calls it
            checkpointer.save(step, model=model, optimizer=opt)
            preemption.exit()                # SystemExit(128 + signal)

A signal that arrives before :func:`install` (or in a script that never calls it) keeps
its default action: the process is killed by it.

Example:
    >>> import signal
    >>> from launch import preemption
    >>> preemption.should_stop()             # no signal: keep going
    False
    >>> preemption.request(signal.SIGTERM)   # what the SIGTERM handler does
    >>> preemption.should_stop(), preemption.exit_code()
    (True, 143)
    >>> preemption.reset(); preemption.uninstall()
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterable
from typing import Any, NoReturn

__all__ = ["install", "uninstall", "should_stop", "requested", "request", "stop_signal",
           "exit_code", "exit", "reset", "DEFAULT_SIGNALS"]

DEFAULT_SIGNALS = (signal.SIGTERM, signal.SIGUSR1)


class _State:
    received: int = 0  # the signal seen by this process (0: none)
    agreed: int = 0  # the signal all ranks agreed on in should_stop (0: none)
    installed: dict[int, Any] = {}
    threads_mode = False  # handlers owned by ``python -m launch --threads``
    armed = False  # someone asked for preemption handling in threads mode


_state = _State()
_lock = threading.Lock()


def _handler(signum: int, frame: Any) -> None:
    if _state.threads_mode and not _state.armed:
        # Nobody polls should_stop(): behave as if no handler had been installed.
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)
        return
    if not _state.received:
        _state.received = int(signum)


def install(signals: Iterable[int] = DEFAULT_SIGNALS) -> None:
    """Record SIGTERM/SIGUSR1 (or ``signals``) instead of dying from them; check with
    :func:`should_stop`. Call it from the main thread (under ``--threads`` any thread may
    call it: the launcher owns the handlers)."""
    with _lock:
        if _state.threads_mode:
            _state.armed = True
            return
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError(
                "preemption.install() must be called from the main thread (Python runs "
                "signal handlers there); call it before starting worker threads"
            )
        for s in signals:
            if int(s) not in _state.installed:
                _state.installed[int(s)] = signal.signal(s, _handler)


def uninstall() -> None:
    """Restore the signal handlers that :func:`install` replaced."""
    with _lock:
        for s, previous in _state.installed.items():
            signal.signal(s, previous)
        _state.installed.clear()


def prepare_for_threads(signals: Iterable[int] = DEFAULT_SIGNALS) -> None:
    """Used by ``python -m launch --threads``: install the handlers from the main thread
    before the virtual ranks start, so that ranks can :func:`install` from their threads."""
    uninstall()
    with _lock:
        _state.threads_mode = True
        _state.armed = False
        for s in signals:
            _state.installed[int(s)] = signal.signal(s, _handler)


def request(signum: int = signal.SIGTERM) -> None:
    """Act as if ``signum`` had been received (tests, or a script's own stop condition)."""
    _state.received = _state.received or int(signum)


def requested() -> bool:
    """Whether *this process* received a stop signal (no communication)."""
    return bool(_state.received)


def should_stop(group: Any = None) -> bool:
    """True on every rank once any rank received a stop signal. A collective over
    ``group`` (default: the default process group, when initialised): every rank must
    call it at the same points, e.g. once per step. The first call installs the
    handlers when :func:`install` was not called."""
    if not _state.installed and not (_state.threads_mode and _state.armed):
        if _state.threads_mode or threading.current_thread() is threading.main_thread():
            install()
    local = _state.received
    agreed = local
    try:
        import parallel
    except ImportError:
        parallel = None  # type: ignore[assignment]
    if parallel is not None and (group is not None or parallel.is_initialized()):
        if parallel.get_world_size(group) > 1:
            import autograd

            flag = autograd.tensor([local], dtype=autograd.int64)
            parallel.all_reduce(flag, op=parallel.ReduceOp.MAX, group=group)
            agreed = int(flag.item())
    if agreed:
        _state.agreed = agreed
    return bool(agreed)


def stop_signal() -> int | None:
    """The signal the ranks agreed to stop on (after :func:`should_stop` returned True)."""
    return _state.agreed or _state.received or None


def exit_code() -> int:
    """``128 + signal`` for the agreed signal (143 for SIGTERM), 0 when none."""
    sig = stop_signal()
    return 128 + sig if sig else 0


def exit() -> NoReturn:
    """Leave with ``128 + signal`` (``SystemExit``), as the signal would have."""
    raise SystemExit(exit_code() or 128 + int(signal.SIGTERM))


def reset() -> None:
    """Forget received and agreed signals (handlers stay installed)."""
    _state.received = 0
    _state.agreed = 0
