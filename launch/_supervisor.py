"""Run one attempt of an MPI job and watch it: output, rank events, deadlines, teardown.

``mpiexec`` starts ``launch._worker`` on every rank; each wrapper prefixes its script's
output with ``[rank R]`` and reports ``start`` / ``ready`` / ``exit`` events on control
lines that carry this job's random token. From those the supervisor knows, for every
rank, its pid and host, whether it got through MPI initialisation, and how it ended.

Deadlines (all turn a hang into a report):

- startup: every rank must be ready within ``start_timeout``; a rank that exits
  before initialisation stops the job at once (its peers would wait in ``MPI_Init``);
- first failure: ``teardown`` seconds after a rank exits non-zero, whatever is still
  running is killed (``mpiexec`` usually does it first);
- signals: SIGINT/SIGTERM/SIGUSR1/SIGUSR2 are forwarded to the ranks (through
  ``mpiexec``); ``grace`` seconds later whatever is still running is killed, and a
  second SIGINT kills at once;
- ``timeout``: the whole attempt.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ._worker import CONTROL_PREFIX

__all__ = ["Options", "Job", "Outcome", "RankInfo", "SignalBox", "describe_status"]

FORWARD = (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2)
_RANK = re.compile(rb"\[rank (\d+)\] ")
_LINE_END = re.compile(rb"\r\n|\n|\r(?=.)", re.DOTALL)
PREEMPTION_CODES = {128 + int(s) for s in (signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2)}


def describe_status(code: int, sig: int | None = None) -> str:
    """``exited with status 1`` / ``was killed by signal 9 (SIGKILL)``.

    Example:
        >>> describe_status(137, 9)
        'was killed by signal 9 (SIGKILL)'
    """
    if sig:
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = "unknown"
        return f"was killed by signal {sig} ({name})"
    return f"exited with status {code}"


@dataclass
class Options:
    nproc: int
    start_timeout: float = 60.0
    timeout: float | None = None
    grace: float = 30.0
    teardown: float = 2.0
    tail: int = 20
    log_dir: Path | None = None
    quiet: bool = False


@dataclass
class RankInfo:
    rank: int
    host: str = ""
    pid: int | None = None
    child: int | None = None
    ready: bool = False
    code: int | None = None
    signal: int | None = None
    error: str | None = None
    when: float = 0.0
    before_ready: bool = False
    tail: deque = field(default_factory=deque)

    def where(self) -> str:
        if self.child is None:
            return f"rank {self.rank}"
        return f"rank {self.rank} (pid {self.child} on {self.host})"


@dataclass
class Outcome:
    code: int
    message: str = ""
    failed: RankInfo | None = None
    restartable: bool = False


class SignalBox:
    """Signals received by the launcher, handled by the supervisor's loop."""

    def __init__(self) -> None:
        self.pending: list[int] = []
        self.first: int | None = None
        self.sigints = 0
        self.previous: dict[int, object] = {}

    def install(self) -> None:
        for s in FORWARD:
            self.previous[s] = signal.signal(s, self._handler)

    def uninstall(self) -> None:
        for s, handler in self.previous.items():
            signal.signal(s, handler)  # type: ignore[arg-type]

    def _handler(self, signum: int, frame: object) -> None:
        self.pending.append(signum)
        if self.first is None:
            self.first = signum
        if signum == signal.SIGINT:
            self.sigints += 1


class _Console:
    """Where rank output goes: the terminal (prefixed) or per-rank log files."""

    def __init__(self, log_dir: Path | None, attempt: int) -> None:
        self.log_dir = log_dir
        self.files: dict[int, IO[bytes]] = {}
        self.attempt = attempt
        self.bar_owner: int | None = None  # rank whose \r-redrawn line is on screen
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)

    def write(self, stream: int, rank: int | None, line: bytes) -> None:
        if self.log_dir is not None and rank is not None:
            f = self.files.get(rank)
            if f is None:
                f = self.files[rank] = open(self.log_dir / f"rank{rank}.log", "ab")
                if self.attempt:
                    f.write(f"--- restart {self.attempt} ---\n".encode())
            f.write(_RANK.sub(b"", line, count=1))
            f.flush()
            if rank != 0:
                return
        out = sys.stdout if stream == 1 else sys.stderr
        who = -1 if rank is None else rank
        try:
            if self.bar_owner is not None and self.bar_owner != who:
                out.buffer.write(b"\n")  # another rank speaks: end the progress bar's line
            out.buffer.write(line)
            out.flush()
        except (OSError, ValueError):
            pass
        self.bar_owner = who if line.endswith(b"\r") else None

    def close(self) -> None:
        for f in self.files.values():
            f.close()


def say(message: str) -> None:
    try:
        sys.stderr.write(f"dtensor-launch: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


class Job:
    """One attempt: start ``cmd`` (an ``mpiexec`` command line), relay and watch it."""

    def __init__(self, cmd: list[str], env: dict[str, str], token: str, opts: Options,
                 signals: SignalBox, attempt: int = 0) -> None:
        self.cmd, self.env, self.token, self.opts = cmd, env, token, opts
        self.signals = signals
        self.attempt = attempt
        self.ranks = {r: RankInfo(r, tail=deque(maxlen=opts.tail)) for r in range(opts.nproc)}
        self.other_tail: deque = deque(maxlen=opts.tail)
        self.host = socket.gethostname()
        self.console = _Console(opts.log_dir, attempt)
        self.buffers = {1: b"", 2: b""}
        self.failure_at: float | None = None
        self.signal_at: float | None = None
        self.killed: str | None = None
        self.killed_at: float | None = None
        self.startup_failed: str | None = None

    # ------------------------------------------------------------------ output
    def _feed(self, stream: int, data: bytes, final: bool = False) -> None:
        data = self.buffers[stream] + data
        start = 0
        for m in _LINE_END.finditer(data):
            self._line(stream, data[start:m.end()])
            start = m.end()
        rest = data[start:]
        if final and rest:
            self._line(stream, rest + b"\n")
            rest = b""
        self.buffers[stream] = rest

    def _line(self, stream: int, line: bytes) -> None:
        if line.startswith(CONTROL_PREFIX.encode()):
            parts = line.decode(errors="replace").split(" ", 2)
            if len(parts) == 3 and parts[1] == self.token:
                try:
                    self._event(json.loads(parts[2]))
                    return
                except (ValueError, KeyError, TypeError):
                    pass
        m = _RANK.match(line)
        rank = int(m.group(1)) if m else None
        text = line[m.end() if m else 0:].decode(errors="replace").rstrip("\r\n")
        if rank in self.ranks:
            self.ranks[rank].tail.append(text)
        else:
            self.other_tail.append(text)
        self.console.write(stream, rank, line)

    def _event(self, ev: dict) -> None:
        info = self.ranks.get(int(ev["rank"]))
        if info is None:
            return
        kind = ev["ev"]
        if kind == "start":
            info.pid, info.child, info.host = int(ev["pid"]), int(ev["child"]), str(ev["host"])
        elif kind == "ready":
            info.ready = True
        elif kind == "exit":
            info.code = int(ev["code"])
            info.signal = ev.get("signal")
            info.error = ev.get("error")
            info.when = float(ev.get("time", time.time()))
            info.before_ready = not info.ready
            if info.code != 0 and self.failure_at is None and self.killed is None:
                self.failure_at = time.monotonic()
                if not self.opts.quiet and self.signal_at is None:
                    say(f"{info.where()} {describe_status(info.code, info.signal)}"
                        f"{' before MPI initialisation' if info.before_ready else ''}; "
                        "stopping the job")

    # ------------------------------------------------------------------ control
    def _kill(self, why: str) -> None:
        if self.killed is not None:
            return
        self.killed, self.killed_at = why, time.monotonic()
        for info in self.ranks.values():
            if info.code is not None or info.pid is None or info.host != self.host:
                continue
            for pid in (info.child, info.pid):
                try:
                    if os.getpgid(pid) == pid:
                        os.killpg(pid, signal.SIGKILL)  # with the script's own subprocesses
                    else:
                        os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

    def _kill_mpiexec(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _handle_signals(self, now: float) -> None:
        box = self.signals
        while box.pending:
            signum = box.pending.pop(0)
            if signum == signal.SIGINT and box.sigints >= 2:
                self._kill("a second SIGINT")
                continue
            if self.signal_at is None:
                self.signal_at = now
                if not self.opts.quiet:
                    say(f"got {signal.Signals(signum).name}: forwarding it to the ranks "
                        f"(killing them after {self.opts.grace:g} s)")
            try:
                os.kill(self.proc.pid, signum)  # mpiexec forwards it to every rank
            except ProcessLookupError:
                pass

    def _deadlines(self, now: float, started: float) -> None:
        opts = self.opts
        ranks = self.ranks.values()
        early = [i for i in ranks if i.code is not None and i.before_ready]
        if early and self.startup_failed is None:
            self.startup_failed = (f"{early[0].where()} {describe_status(early[0].code, early[0].signal)} "
                                   "before MPI initialisation")
            self._kill(self.startup_failed)
        elif (self.startup_failed is None and now - started > opts.start_timeout
              and not all(i.ready for i in ranks)):
            late = [str(i.rank) for i in ranks if not i.ready]
            self.startup_failed = (f"rank{'s' if len(late) > 1 else ''} {', '.join(late)} did not "
                                   f"finish starting (MPI initialisation) within "
                                   f"{opts.start_timeout:g} s")
            if not opts.quiet:
                say(self.startup_failed + "; stopping the job")
            self._kill(self.startup_failed)
        if self.failure_at is not None and now - self.failure_at > opts.teardown:
            self._kill("a rank failed")
        if self.signal_at is not None and now - self.signal_at > opts.grace:
            self._kill(f"the ranks did not exit within {opts.grace:g} s of the signal")
        if opts.timeout is not None and now - started > opts.timeout:
            if self.killed is None and not opts.quiet:
                say(f"the job ran past --timeout {opts.timeout:g} s; stopping it")
            self._kill(f"--timeout {opts.timeout:g} s")
        if self.killed_at is not None and now - self.killed_at > 2.0:
            self._kill_mpiexec()

    # ------------------------------------------------------------------ run
    def run(self) -> Outcome:
        started = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=self.env, start_new_session=True)
        sel = selectors.DefaultSelector()
        streams = {self.proc.stdout.fileno(): 1, self.proc.stderr.fileno(): 2}  # type: ignore[union-attr]
        for fd in streams:
            os.set_blocking(fd, False)
            sel.register(fd, selectors.EVENT_READ)
        ended_at = None
        try:
            while True:
                now = time.monotonic()
                self._handle_signals(now)
                for key, _ in sel.select(timeout=0.1):
                    try:
                        data = os.read(key.fd, 65536)
                    except BlockingIOError:
                        continue
                    if data:
                        self._feed(streams[key.fd], data)
                    else:
                        sel.unregister(key.fd)
                        self._feed(streams[key.fd], b"", final=True)
                now = time.monotonic()
                if self.proc.poll() is not None:
                    if not sel.get_map():
                        break
                    ended_at = ended_at or now
                    if now - ended_at > 3.0:
                        break  # something outlived mpiexec and holds its pipes
                elif all(i.code is not None for i in self.ranks.values()):
                    ended_at = ended_at or now
                    if now - ended_at > max(self.opts.teardown, 5.0):
                        self._kill_mpiexec()  # every rank is done but mpiexec hangs on
                self._deadlines(now, started)
        finally:
            for stream in (1, 2):
                self._feed(stream, b"", final=True)
            self.console.close()
            if self.proc.poll() is None:
                self._kill_mpiexec()
            self.proc.wait()
        return self._outcome()

    def _outcome(self) -> Outcome:
        ranks = list(self.ranks.values())
        box = self.signals
        rc = self.proc.returncode
        all_ok = all(i.code == 0 for i in ranks) and not self.startup_failed and not self.killed
        if box.first is not None:
            if all_ok:
                return Outcome(0)
            return Outcome(128 + int(box.first),
                           f"stopped by {signal.Signals(box.first).name}",
                           restartable=False)
        failures = sorted((i for i in ranks if i.code not in (None, 0)), key=lambda i: i.when)
        if self.startup_failed:
            first = failures[0] if failures and failures[0].before_ready else None
            return Outcome(first.code if first else 1, self.startup_failed, first, restartable=True)
        if failures:
            first = failures[0]
            codes = {i.code for i in ranks}
            preempted = len(codes) == 1 and first.code in PREEMPTION_CODES
            detail = f": {first.error}" if first.error and not first.signal else ""
            return Outcome(first.code, f"{first.where()} {describe_status(first.code, first.signal)}"
                           f"{detail}", first, restartable=not preempted)
        if self.killed:
            return Outcome(124 if "timeout" in self.killed else 1,
                           f"the job was stopped: {self.killed}", restartable=True)
        missing = [i for i in ranks if i.code is None]
        if rc != 0:
            code = 128 - rc if rc < 0 else rc
            return Outcome(code, f"mpiexec {describe_status(code, -rc if rc < 0 else None)}",
                           missing[0] if missing else None, restartable=True)
        if missing:
            return Outcome(1, f"{missing[0].where()} ended without reporting its exit status "
                              "(mpiexec said success)", missing[0], restartable=True)
        return Outcome(0)

    def report(self, outcome: Outcome) -> None:
        """Print the failure and the last lines of the rank that caused it."""
        if outcome.code == 0:
            return
        if outcome.failed is None and outcome.message.startswith("stopped by"):
            say(f"{outcome.message} (exit status {outcome.code})")
            return
        say(f"job failed (exit status {outcome.code}): {outcome.message}")
        tail = outcome.failed.tail if outcome.failed is not None else self.other_tail
        who = f"rank {outcome.failed.rank}" if outcome.failed is not None else "mpiexec"
        lines = [t for t in tail if t.strip()]
        if lines:
            say(f"last {len(lines)} lines of {who}:")
            for text in lines:
                say(f"  | {text}")
