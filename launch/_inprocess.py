"""``--debug`` (one process) and ``--threads N`` (N virtual ranks in one process).

Both run the script in this process, so a debugger (``pdb``, an IDE) can step through
it. ``--threads N`` runs the script once per thread through ``parallel.spawn``:
``parallel.init_process_group()`` picks the threads backend by itself, so collectives
behave as under ``mpiexec``. Limits of virtual ranks (they share one interpreter):

- each thread runs the script in a fresh ``__main__`` namespace, but imported modules
  are shared: their globals, ``sys.argv``, the working directory, NumPy's global random
  state and Python's ``random`` are process-wide (autograd's default generators are
  per thread);
- ``os.environ["RANK"]`` / ``["LOCAL_RANK"]`` read the calling thread's rank, other
  variables are shared;
- one GIL: N ranks do not compute in parallel; this mode is for debugging and tests;
- signals reach the process, not a rank: ``launch.preemption`` sees them on every rank.
"""

from __future__ import annotations

import builtins
import faulthandler
import io
import os
import runpy
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from ._bootstrap import exit_status, run_target
from ._supervisor import say

__all__ = ["run_debug", "run_threads"]

_DEBUG_ENV = {"DTENSOR_DEBUG": "1", "DTENSOR_DISTRIBUTED_DEBUG": "DETAIL"}


def _enable_debug() -> None:
    os.environ.update(_DEBUG_ENV)
    faulthandler.enable()
    import autograd

    autograd.set_detect_anomaly(True)


def run_debug(target: str, args: list[str], module: bool = False, post_mortem: bool = False) -> int:
    """Run the script once in this process, as rank 0 of 1, with anomaly detection on."""
    os.environ.update({"RANK": "0", "WORLD_SIZE": "1", "LOCAL_RANK": "0", "LOCAL_WORLD_SIZE": "1"})
    _enable_debug()
    say("debug mode: one process (rank 0 of 1), autograd anomaly detection on, "
        "DTENSOR_DISTRIBUTED_DEBUG=DETAIL")
    error: BaseException | None = None
    try:
        run_target(target, args, module)
    except BaseException as e:
        error = e
    if post_mortem and error is not None and not isinstance(error, (SystemExit, KeyboardInterrupt)):
        import pdb

        traceback.print_exception(type(error), error, error.__traceback__)
        pdb.post_mortem(error.__traceback__)
    code, _ = exit_status(error)
    return code


_local = threading.local()


class _RankStream(io.TextIOBase):
    """A text stream that prefixes each line written by a virtual rank's thread with
    ``[rank R]`` (whole lines only, so ranks never mix within a line)."""

    def __init__(self, base: Any, lock: threading.Lock) -> None:
        self.base = base
        self.lock = lock
        self.pending: dict[int, str] = {}

    def write(self, s: str) -> int:
        rank = getattr(_local, "rank", None)
        if rank is None:
            with self.lock:
                self.base.write(s)
            return len(s)
        tid = threading.get_ident()
        parts = (self.pending.pop(tid, "") + s).splitlines(keepends=True)
        if parts and not parts[-1].endswith(("\n", "\r")):
            self.pending[tid] = parts.pop()
        if parts:
            with self.lock:
                self.base.write("".join(f"[rank {rank}] {p}" for p in parts))
        return len(s)

    def end_thread(self) -> None:
        rest = self.pending.pop(threading.get_ident(), "")
        if rest:
            self.write(rest + "\n")
        self.flush()

    def flush(self) -> None:
        with self.lock:
            self.base.flush()

    def isatty(self) -> bool:
        return self.base.isatty()

    def fileno(self) -> int:
        return self.base.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.base, "encoding", "utf-8")


class _RankEnviron(MutableMapping):
    """``os.environ`` whose ``RANK`` and ``LOCAL_RANK`` are the calling thread's."""

    def __init__(self, base: MutableMapping) -> None:
        self.base = base

    def _own(self, key: str) -> str | None:
        rank = getattr(_local, "rank", None)
        if rank is not None and key in ("RANK", "LOCAL_RANK"):
            return str(rank)
        return None

    def __getitem__(self, key: str) -> str:
        own = self._own(key)
        return self.base[key] if own is None else own

    def __setitem__(self, key: str, value: str) -> None:
        self.base[key] = value

    def __delitem__(self, key: str) -> None:
        del self.base[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.base)

    def __len__(self) -> int:
        return len(self.base)

    def copy(self) -> dict[str, str]:
        return {k: self[k] for k in self.base}


def _thread_runner(target: str, args: list[str], module: bool) -> Callable[[], None]:
    """A function running the script in a fresh ``__main__`` namespace each call.
    ``runpy.run_path`` swaps ``sys.modules["__main__"]`` for the duration of a run, which
    concurrent ranks would scramble, so scripts are compiled once and executed into a
    new dict per rank; modules run with ``alter_sys=False``."""
    sys.argv = [target, *args]
    if module:
        if sys.path[0] != os.getcwd():
            sys.path.insert(0, os.getcwd())

        def run_module() -> None:
            runpy.run_module(target, run_name="__main__", alter_sys=False)

        return run_module
    path = os.path.abspath(target)
    with open(path, "rb") as f:
        code = compile(f.read(), path, "exec")
    sys.path[0] = os.path.dirname(path)

    def run() -> None:
        namespace = {"__name__": "__main__", "__file__": path, "__builtins__": builtins,
                     "__package__": None, "__spec__": None, "__loader__": None,
                     "__cached__": None, "__doc__": None}
        exec(code, namespace)

    return run


def run_threads(nprocs: int, target: str, args: list[str], module: bool = False,
                debug: bool = False) -> int:
    """Run the script on ``nprocs`` virtual ranks (threads) of this process."""
    import parallel

    from . import preemption

    if nprocs < 1:
        say(f"--threads must be at least 1, got {nprocs}")
        return 2
    if debug:
        _enable_debug()
    real_environ = os.environ
    real_environ.update({"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": str(nprocs),
                         "LOCAL_WORLD_SIZE": str(nprocs)})
    lock = threading.Lock()
    streams = (_RankStream(sys.stdout, lock), _RankStream(sys.stderr, lock))
    saved_streams = (sys.stdout, sys.stderr)
    saved_argv, saved_path0 = list(sys.argv), sys.path[0]

    try:
        run = _thread_runner(target, args, module)
    except OSError as e:
        say(f"can't open file {target!r}: {e}")
        return 2

    def rank_main(rank: int) -> None:
        _local.rank = rank
        try:
            run()
        except SystemExit as e:
            if e.code not in (None, 0):
                raise
        finally:
            for s in streams:
                s.end_thread()

    preemption.prepare_for_threads()
    os.environ = _RankEnviron(real_environ)  # type: ignore[assignment]  # noqa: B003
    sys.stdout, sys.stderr = streams  # type: ignore[assignment]
    failed: parallel.SpawnError | None = None
    try:
        parallel.spawn(rank_main, nprocs=nprocs)
    except parallel.SpawnError as e:
        failed = e
    except KeyboardInterrupt:
        sys.stdout, sys.stderr = saved_streams
        say("interrupted (SIGINT): stopping the virtual ranks")
        sys.stdout.flush()
        os._exit(130)  # the rank threads cannot be stopped from outside
    finally:
        sys.stdout, sys.stderr = saved_streams
        os.environ = real_environ  # type: ignore[assignment]  # noqa: B003
        sys.argv[:] = saved_argv
        sys.path[0] = saved_path0
    if failed is None:
        return 0
    error = failed.error
    text = io.StringIO()
    saved_err, sys.stderr = sys.stderr, text
    try:
        code, message = exit_status(error)
    finally:
        sys.stderr = saved_err
    for line in text.getvalue().splitlines():
        sys.stderr.write(f"[rank {failed.rank}] {line}\n")
    say(f"job failed (exit status {code}): rank {failed.rank} "
        f"{'raised ' + message if message and code == 1 else f'exited with status {code}'}")
    return code
