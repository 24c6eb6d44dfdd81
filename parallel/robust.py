"""Never hang: one rank's uncaught exception ends the whole MPI job.

mpi4py turns MPI errors into Python exceptions; an exception on one rank would leave
the others blocked forever in their next collective (or in MPI_Finalize). The hook
installed here prints the failing rank's traceback, flushes, and calls
``MPI_Abort`` so every rank ends within seconds (what ``python -m mpi4py`` does).
Set ``DTENSOR_ABORT_ON_EXCEPTION=0`` to keep Python's default behaviour.

``sys.exit(n)`` never reaches an excepthook, so a rank that exits early with a code
cannot be caught here: run jobs through ``python -m launch`` (which ends the job when
any rank exits non-zero) or ``python -m mpi4py``.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from typing import Any

__all__ = ["install_abort_on_exception"]

_installed = {"done": False}


def install_abort_on_exception(comm: Any) -> None:
    """Abort the job (exit status 1) on an uncaught exception in any thread."""
    if _installed["done"] or os.environ.get("DTENSOR_ABORT_ON_EXCEPTION", "1") == "0":
        return
    _installed["done"] = True
    rank = comm.rank
    previous = sys.excepthook

    def hook(exc_type: type, exc: BaseException, tb: Any) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            previous(exc_type, exc, tb)
            comm.abort(130)
            return
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        sys.stderr.write("".join(f"[rank {rank}] {line}\n" for line in text.rstrip().splitlines()))
        sys.stderr.write(f"[rank {rank}] uncaught exception: aborting the job (MPI_Abort)\n")
        sys.stderr.flush()
        sys.stdout.flush()
        comm.abort(1)

    def thread_hook(args: Any) -> None:
        hook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook
