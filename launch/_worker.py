"""The per-rank wrapper that ``mpiexec`` starts: ``python -m launch._worker [-m] TARGET ARGS…``.

It reads this rank's place in the job from the MPI launcher's environment (MPICH/Hydra
``PMI_RANK``/``PMI_SIZE``/``MPI_LOCALRANKID``/``MPI_LOCALNRANKS``, Open MPI's
``OMPI_COMM_WORLD_*``, Slurm's ``SLURM_*``), exports ``RANK WORLD_SIZE LOCAL_RANK
LOCAL_WORLD_SIZE`` as torchrun does, gives each rank ``cores // local ranks`` BLAS/OpenMP
threads (unless the user set them), and runs the script in a child process
(``launch._bootstrap``). Staying outside the script lets it:

- prefix every output line with ``[rank R]`` (complete lines only, so ranks never mix
  within a line) and lose nothing when the script is killed: the output is in a pipe;
- report exactly how the script ended (exit status, or the signal that killed it) to
  ``python -m launch`` on a control line carrying the job's token;
- forward SIGTERM/SIGINT/SIGUSR1/SIGUSR2/SIGHUP to the script (preemption), exactly
  once: the script runs in a session of its own, so signals that ``mpiexec`` sends to
  the wrapper's process group do not reach it twice;
- exit with the script's status (128 + signal when it was killed), so ``mpiexec`` tears
  the job down as it would for the script itself.

The child dies with this wrapper (``PR_SET_PDEATHSIG`` on Linux, a watchdog elsewhere).
Only the standard library is imported here: the wrapper starts in milliseconds.
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
import threading
import time

__all__ = ["rank_env", "thread_env", "die_with_parent", "main", "THREAD_VARS", "CONTROL_PREFIX"]

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "BLIS_NUM_THREADS")
CONTROL_PREFIX = "@@dtensor-launch"
# a lone \r at the end of a chunk may be the first half of \r\n: it waits for the next one
_LINE_END = re.compile(rb"\r\n|\n|\r(?=.)", re.DOTALL)
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGUSR2, signal.SIGHUP)

# (rank, size, local rank, local size) variables of each MPI launcher, most specific first
_SOURCES = (
    ("PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS"),
    ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK",
     "OMPI_COMM_WORLD_LOCAL_SIZE"),
    ("SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", "SLURM_NTASKS_PER_NODE"),
    ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"),
)


def _int(env: dict[str, str], key: str) -> int | None:
    value = env.get(key, "")
    head = value.split("(")[0].split(",")[0]  # Slurm writes e.g. "2(x3)"
    return int(head) if head.isdigit() else None


def rank_env(env: dict[str, str]) -> dict[str, str]:
    """``RANK WORLD_SIZE LOCAL_RANK LOCAL_WORLD_SIZE`` from the MPI launcher's variables
    (a world of one when none are set).

    Example:
        >>> rank_env({"PMI_RANK": "1", "PMI_SIZE": "2", "MPI_LOCALRANKID": "1",
        ...           "MPI_LOCALNRANKS": "2"})["RANK"]
        '1'
    """
    for rank_key, size_key, local_key, local_size_key in _SOURCES:
        rank, size = _int(env, rank_key), _int(env, size_key)
        if rank is None or size is None:
            continue
        local = _int(env, local_key)
        local_size = _int(env, local_size_key)
        return {"RANK": str(rank), "WORLD_SIZE": str(size),
                "LOCAL_RANK": str(rank if local is None else local),
                "LOCAL_WORLD_SIZE": str(size if local_size is None else local_size)}
    return {"RANK": "0", "WORLD_SIZE": "1", "LOCAL_RANK": "0", "LOCAL_WORLD_SIZE": "1"}


def die_with_parent(parent: int) -> None:
    """Get SIGKILLed when process ``parent`` (our parent) dies: ``PR_SET_PDEATHSIG`` on
    Linux, else a watchdog thread. Nothing of a job outlives whoever started it."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, int(signal.SIGKILL), 0, 0, 0) == 0:  # PR_SET_PDEATHSIG
            if os.getppid() != parent:  # the parent died before prctl took effect
                os._exit(128 + int(signal.SIGKILL))
            return
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(128 + int(signal.SIGKILL))

    threading.Thread(target=watch, name="launch-parent-watch", daemon=True).start()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def thread_env(env: dict[str, str], local_world_size: int) -> dict[str, str]:
    """Per-rank thread counts (``cores // local ranks``, at least 1) for the variables
    the user has not set.

    Example:
        >>> thread_env({"OMP_NUM_THREADS": "3"}, 1)["OMP_NUM_THREADS"]
        '3'
    """
    share = str(max(1, _cores() // max(1, local_world_size)))
    return {var: env.get(var) or share for var in THREAD_VARS}


class _Relay:
    """Copies one child stream to ``fd`` as whole lines prefixed with the rank."""

    def __init__(self, fd: int, prefix: bytes) -> None:
        self.fd, self.prefix, self.pending = fd, prefix, b""

    def feed(self, data: bytes) -> None:
        data = self.pending + data
        out = []
        start = 0
        for m in _LINE_END.finditer(data):
            out.append(self.prefix + data[start:m.end()])
            start = m.end()
        self.pending = data[start:]
        if len(self.pending) > 65536:  # a huge line without newline: pass it on in pieces
            out.append(self.prefix + self.pending + b"\n")
            self.pending = b""
        if out:
            _write_all(self.fd, b"".join(out))

    def close(self) -> None:
        if self.pending:
            _write_all(self.fd, self.prefix + self.pending + b"\n")
            self.pending = b""


def _write_all(fd: int, data: bytes) -> None:
    while data:
        try:
            n = os.write(fd, data)
        except InterruptedError:
            continue
        except OSError:
            return  # our reader is gone; nothing useful left to do with the output
        data = data[n:]


def _control(token: str | None, **event: object) -> None:
    if token:
        event["time"] = time.time()
        _write_all(2, f"{CONTROL_PREFIX} {token} {json.dumps(event)}\n".encode())


def _exit_status(returncode: int) -> tuple[int, int | None]:
    """Shell-style status: (128 + signal, signal) for a killed child, else (code, None)."""
    if returncode < 0:
        return 128 - returncode, -returncode
    return returncode, None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print("usage: python -m launch._worker [-m] SCRIPT_OR_MODULE [ARGS...]", file=sys.stderr)
        return 2
    if os.environ.get("DTENSOR_LAUNCH_TOKEN"):
        die_with_parent(os.getppid())  # mpiexec's proxy is gone: so is this rank
    env = dict(os.environ)
    env.update(rank_env(env))
    env.update(thread_env(env, int(env["LOCAL_WORLD_SIZE"])))
    rank = int(env["RANK"])
    token = env.pop("DTENSOR_LAUNCH_TOKEN", None)
    ctl_r, ctl_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    env["DTENSOR_LAUNCH_CONTROL_FD"] = str(ctl_w)
    env["DTENSOR_LAUNCH_PARENT"] = str(os.getpid())
    keep = [ctl_w]
    pmi_fd = env.get("PMI_FD", "")
    if pmi_fd.isdigit():
        keep.append(int(pmi_fd))  # MPICH's process-manager connection
    child = subprocess.Popen([sys.executable, "-m", "launch._bootstrap", *argv],
                             stdin=subprocess.DEVNULL, stdout=out_w, stderr=err_w, env=env,
                             pass_fds=keep, start_new_session=True)
    for fd in (ctl_w, out_w, err_w):
        os.close(fd)
    # The wrapper keeps its copy of MPICH's PMI connection open on purpose: when the
    # script dies, Hydra must not see that connection close (it would SIGKILL every
    # wrapper at once) before this wrapper has reported how the script ended.

    def forward(signum: int, frame: object) -> None:
        try:
            child.send_signal(signum)
        except ProcessLookupError:
            pass

    for s in FORWARDED:
        signal.signal(s, forward)
    _control(token, ev="start", rank=rank, pid=os.getpid(), child=child.pid,
             host=socket.gethostname())
    prefix = f"[rank {rank}] ".encode()
    relays = {out_r: _Relay(1, prefix), err_r: _Relay(2, prefix)}
    sel = selectors.DefaultSelector()
    for fd in (out_r, err_r, ctl_r):
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    control = b""
    info: dict[str, object] = {}
    exited_at = None
    while sel.get_map():
        for key, _ in sel.select(timeout=0.2):
            try:
                data = os.read(key.fd, 65536)
            except BlockingIOError:
                continue
            if not data:
                sel.unregister(key.fd)
                continue
            if key.fd == ctl_r:
                control += data
                *lines, control = control.split(b"\n")
                for line in lines:
                    try:
                        msg = json.loads(line.decode())
                    except ValueError:
                        continue  # not ours: the script wrote to the control pipe
                    if not isinstance(msg, dict):
                        continue
                    if msg.get("ev") == "ready":
                        _control(token, ev="ready", rank=rank)
                    else:
                        info.update(msg)
            else:
                relays[key.fd].feed(data)
        if exited_at is None and child.poll() is not None:
            exited_at = time.monotonic()
        if exited_at is not None and time.monotonic() - exited_at > 1.0:
            break  # a grandchild still holds the pipes open: stop waiting for it
    for relay in relays.values():
        relay.close()
    code, sig = _exit_status(child.wait())
    _control(token, ev="exit", rank=rank, code=code, signal=sig,
             error=info.get("error"), pid=child.pid)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
