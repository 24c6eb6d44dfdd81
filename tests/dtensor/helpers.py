"""Helpers of the dtensor tests: run a function on N virtual ranks (threads backend)
with the default group initialised, and import the shared check scripts."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import parallel

SCRIPTS = Path(__file__).parent / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))


def on_ranks(n: int, fn: Callable[..., Any], *args: Any) -> list[Any]:
    """``fn(rank, *args)`` on ``n`` virtual ranks, each in an initialised world."""

    def body(rank: int) -> Any:
        parallel.init_process_group("threads", timeout=30)
        return fn(rank, *args)

    return parallel.spawn(body, nprocs=n, timeout=30)


def raises_on_ranks(n: int, fn: Callable[..., Any], *args: Any) -> BaseException:
    """The exception ``fn`` raises on the virtual ranks (the lowest failing rank's)."""
    try:
        on_ranks(n, fn, *args)
    except parallel.SpawnError as e:
        return e.error
    raise AssertionError("expected an exception on the virtual ranks")


def script(name: str) -> ModuleType:
    """Import one of the shared check scripts of ``tests/dtensor/scripts``."""
    return importlib.import_module(name)
