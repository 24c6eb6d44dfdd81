"""The process that runs a rank's script: ``python -m launch._bootstrap [-m] TARGET ARGS…``
(started by ``launch._worker``; not meant to be run by hand).

1. Dies with its wrapper (so ``mpiexec`` killing the wrapper never leaves it behind).
2. Initialises MPI *before* the script runs and tells the wrapper it is ready: a rank
   that dies before ``MPI_Init`` would otherwise leave the others waiting in
   ``MPI_Init`` forever (MPICH's Hydra does not notice); ``python -m launch`` turns a
   missing "ready" into a clear startup error instead.
3. Runs the script with ``runpy`` as ``python script.py`` would (``sys.argv``,
   ``sys.path[0]``, ``__main__``), then maps how it ended to an exit status, as
   ``python -m mpi4py`` does: return → 0, ``sys.exit(n)`` → n (no traceback), an
   exception → traceback and 1, ``KeyboardInterrupt`` → 130. A failing rank leaves with
   ``os._exit`` so it cannot block in ``MPI_Finalize`` while its peers wait.
"""

from __future__ import annotations

import json
import os
import runpy
import signal
import sys
import traceback
from typing import Any

from ._worker import die_with_parent

__all__ = ["run_target", "exit_status", "main"]

_MPI_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK")


class _Control:
    def __init__(self) -> None:
        fd = os.environ.pop("DTENSOR_LAUNCH_CONTROL_FD", "")
        self.fd = int(fd) if fd.isdigit() else None
        if self.fd is not None:
            os.set_inheritable(self.fd, False)  # the script's own subprocesses don't get it

    def send(self, **msg: Any) -> None:
        if self.fd is None:
            return
        try:
            os.write(self.fd, (json.dumps(msg) + "\n").encode())
        except OSError:
            self.fd = None


def run_target(target: str, args: list[str], module: bool = False) -> None:
    """Run a script path (or a module with ``module=True``) as ``__main__`` with
    ``sys.argv`` set, as the ``python`` command does."""
    if module:
        sys.argv = [target, *args]
        if sys.path[0] != os.getcwd():
            sys.path.insert(0, os.getcwd())
        runpy.run_module(target, run_name="__main__", alter_sys=True)
        return
    path = os.path.abspath(target)
    if not os.path.exists(path):
        raise FileNotFoundError(f"can't open file {target!r}: no such file")
    sys.argv = [target, *args]
    sys.path[0] = os.path.dirname(path)
    runpy.run_path(path, run_name="__main__")


_HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_SPAWN = os.path.join(os.path.dirname(_HERE.rstrip(os.sep)), "parallel", "spawn.py")


def _user_frames(tb: Any) -> Any:
    """The traceback without the launcher's (and runpy's, parallel.spawn's) frames in
    front, so it reads as ``python script.py`` would print it."""
    start = tb
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if not (name.startswith(_HERE) or "runpy" in name or name == _SPAWN):
            return tb
        tb = tb.tb_next
    return start


def exit_status(exc: BaseException | None) -> tuple[int, str | None]:
    """(exit status, one-line error) for how a script ended, printing what ``python``
    would print (the traceback of an exception, the message of ``sys.exit("msg")``).

    Example:
        >>> exit_status(SystemExit(7)), exit_status(None)
        ((7, 'sys.exit(7)'), (0, None))
    """
    if exc is None:
        return 0, None
    if isinstance(exc, SystemExit):
        code = exc.code
        if code is None:
            return 0, None
        if isinstance(code, int):
            return code & 0xFF, (f"sys.exit({code})" if code else None)
        print(code, file=sys.stderr)
        return 1, f"sys.exit({str(code)!r})"
    traceback.print_exception(type(exc), exc, _user_frames(exc.__traceback__))
    if isinstance(exc, KeyboardInterrupt):
        return 130, "KeyboardInterrupt"
    return 1, f"{type(exc).__name__}: {exc}"


def _init_mpi() -> None:
    if os.environ.get("DTENSOR_LAUNCH_EARLY_MPI", "1") == "0":
        return
    if not any(k in os.environ for k in _MPI_VARS):
        return
    from mpi4py import MPI  # noqa: F401 - the import runs MPI_Init


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    module = bool(argv) and argv[0] == "-m"
    if module:
        argv = argv[1:]
    if not argv:
        print("usage: python -m launch._bootstrap [-m] SCRIPT_OR_MODULE [ARGS...]", file=sys.stderr)
        return 2
    parent = os.environ.pop("DTENSOR_LAUNCH_PARENT", "")
    if parent.isdigit():
        die_with_parent(int(parent))
    control = _Control()
    _init_mpi()
    control.send(ev="ready")
    if os.environ.get("DTENSOR_ANOMALY") == "1":
        import autograd

        autograd.set_detect_anomaly(True)
    error: BaseException | None = None
    try:
        run_target(argv[0], argv[1:], module)
    except BaseException as e:
        error = e
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the report
    code, message = exit_status(error)
    if message:
        control.send(error=message)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    if code:
        os._exit(code)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
