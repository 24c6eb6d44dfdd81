"""``python -m launch`` / ``dtensor-launch``: start a training job.

    python -m launch [options] SCRIPT [ARGS...]       N ranks through mpiexec
    python -m launch [options] -m MODULE [ARGS...]
    python -m launch --debug SCRIPT [ARGS...]         one process, anomaly detection on
    python -m launch --threads N SCRIPT [ARGS...]     N virtual ranks as threads
    python -m launch plot METRICS.jsonl [--out PNG]   loss and throughput curves
    python -m launch bench SUITE ...                  scaling benchmarks (``launch.bench``)

Everything after SCRIPT (or ``-m MODULE``) goes to the script. See ``docs/launcher.md``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import secrets
import shlex
import sys
import time
from pathlib import Path

__all__ = ["main", "build_parser", "split_argv"]

# Subcommands: ``python -m launch NAME ...`` runs ``MODULE.main(argv) -> int``; ``bench``
# dispatches to the suite ``launch.benchmarks.SUITE``.
SUBCOMMANDS = {"plot": "launch.plot", "bench": "launch.benchmarks"}

_ENV_FOR_RANKS = ("DTENSOR_LAUNCH_TOKEN", "DTENSOR_RESTART_COUNT", "DTENSOR_MAX_RESTARTS",
                  "PYTHONUNBUFFERED", "DTENSOR_LAUNCH_TTY", "DTENSOR_ANOMALY",
                  "DTENSOR_DISTRIBUTED_DEBUG", "DTENSOR_DEBUG")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m launch",
        usage="python -m launch [options] (SCRIPT | -m MODULE) [ARGS...]\n"
              "       python -m launch plot METRICS.jsonl [--out PNG]\n"
              "       python -m launch bench SUITE [...]",
        description="Run a training script on N ranks (mpiexec), in one debug process, "
                    "or on N virtual ranks (threads).",
    )
    p.add_argument("-n", "--nproc", type=int, default=None, metavar="N",
                   help="number of ranks (mpiexec -n); default 1")
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="run N virtual ranks as threads of one process (for debuggers)")
    p.add_argument("--debug", action="store_true",
                   help="one process (or the given -n/--threads), autograd anomaly detection "
                        "and cross-rank checks on")
    p.add_argument("--pdb", action="store_true",
                   help="with --debug: open the post-mortem debugger on an uncaught exception")
    p.add_argument("--hostfile", metavar="FILE", help="hosts for a multi-node run (passed to mpiexec)")
    p.add_argument("--hosts", metavar="H1,H2", help="comma-separated hosts (passed to mpiexec)")
    p.add_argument("--mpiexec", metavar="PATH", help="the mpiexec to use")
    p.add_argument("--mpiexec-args", default="", metavar="ARGS",
                   help="extra mpiexec arguments, one shell-quoted string")
    p.add_argument("--log-dir", type=Path, metavar="DIR",
                   help="write rank R's output to DIR/rankR.log (the terminal shows rank 0)")
    p.add_argument("--max-restarts", type=int, default=0, metavar="K",
                   help="restart the whole job up to K times after a failure; the script "
                        "resumes from its latest checkpoint")
    p.add_argument("--start-timeout", type=float, default=60.0, metavar="S",
                   help="every rank must initialise MPI within S seconds (default 60)")
    p.add_argument("--timeout", type=float, default=None, metavar="S",
                   help="stop an attempt that runs longer than S seconds (exit status 124)")
    p.add_argument("--grace", type=float, default=30.0, metavar="S",
                   help="after forwarding SIGTERM/SIGINT/SIGUSR1, kill ranks still running "
                        "S seconds later (default 30)")
    p.add_argument("--tail", type=int, default=20, metavar="N",
                   help="lines of the failing rank's output in the report (default 20)")
    p.add_argument("-q", "--quiet", action="store_true", help="only report failures")
    return p


_WITH_VALUE = {"-n", "--nproc", "--threads", "--hostfile", "--hosts", "--mpiexec",
               "--mpiexec-args", "--log-dir", "--max-restarts", "--start-timeout",
               "--timeout", "--grace", "--tail"}


def split_argv(argv: list[str]) -> tuple[list[str], str | None, list[str], bool]:
    """(launcher options, target, script arguments, target is a module).

    Example:
        >>> split_argv(["-n", "2", "train.py", "-n", "5"])
        (['-n', '2'], 'train.py', ['-n', '5'], False)
    """
    i = 0
    while i < len(argv):
        tok = argv[i]
        if tok == "--":
            return argv[:i], (argv[i + 1] if i + 1 < len(argv) else None), argv[i + 2:], False
        if tok == "-m":
            return argv[:i], (argv[i + 1] if i + 1 < len(argv) else None), argv[i + 2:], True
        if not tok.startswith("-") or tok == "-":
            return argv[:i], tok, argv[i + 1:], False
        i += 2 if tok in _WITH_VALUE else 1
    return argv, None, [], False


def _suites() -> list[str]:
    import pkgutil

    package = importlib.import_module("launch.benchmarks")
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_"))


def _subcommand(name: str, argv: list[str]) -> int:
    if name != "bench":
        return int(importlib.import_module(SUBCOMMANDS[name]).main(argv) or 0)
    suites = _suites()
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m launch bench SUITE [options]   (python -m launch bench SUITE "
              f"--help for a suite's options)\nsuites: {', '.join(suites)}")
        return 0 if argv else 2
    if argv[0] not in suites:
        print(f"python -m launch bench: unknown suite {argv[0]!r}; available: {', '.join(suites)}",
              file=sys.stderr)
        return 2
    module = importlib.import_module(f"launch.benchmarks.{argv[0]}")
    return int(module.main(argv[1:]) or 0)


def _run_mpi(opts: argparse.Namespace, target: str, args: list[str], module: bool) -> int:
    from ._mpiexec import build_command, find_mpiexec
    from ._supervisor import Job, Options, SignalBox, say

    nproc = opts.nproc or 1
    try:
        mpi = find_mpiexec(opts.mpiexec)
    except FileNotFoundError as e:
        say(str(e))
        return 127
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")  # a killed rank's last lines must not die in a buffer
    if not opts.hostfile and not opts.hosts:
        env.setdefault("HYDRA_LAUNCHER", "fork")  # one machine: no ssh to localhost
    if sys.stdout.isatty() and opts.log_dir is None:
        env["DTENSOR_LAUNCH_TTY"] = "1"
    if opts.debug:
        env.update({"DTENSOR_ANOMALY": "1", "DTENSOR_DEBUG": "1",
                    "DTENSOR_DISTRIBUTED_DEBUG": "DETAIL"})
    env["DTENSOR_MAX_RESTARTS"] = str(opts.max_restarts)
    env["DTENSOR_LAUNCH_TOKEN"] = env["DTENSOR_RESTART_COUNT"] = ""  # set per attempt below
    worker_args = (["-m"] if module else []) + [target, *args]
    cmd = build_command(mpi, nproc, worker_args, hostfile=opts.hostfile, hosts=opts.hosts,
                        extra=shlex.split(opts.mpiexec_args),
                        env_names=[k for k in _ENV_FOR_RANKS if k in env])
    sopts = Options(nproc=nproc, start_timeout=opts.start_timeout, timeout=opts.timeout,
                    grace=opts.grace, tail=opts.tail, log_dir=opts.log_dir, quiet=opts.quiet)
    signals = SignalBox()
    signals.install()
    try:
        for attempt in range(opts.max_restarts + 1):
            if signals.first is not None:  # stopped between two attempts
                return 128 + int(signals.first)
            token = secrets.token_hex(8)
            env["DTENSOR_LAUNCH_TOKEN"] = token
            env["DTENSOR_RESTART_COUNT"] = str(attempt)
            job = Job(cmd, env, token, sopts, signals, attempt)
            outcome = job.run()
            job.report(outcome)
            if outcome.code == 0:
                return 0
            if not outcome.restartable or signals.first is not None or attempt == opts.max_restarts:
                if attempt and outcome.restartable and signals.first is None:
                    say(f"giving up after {attempt} restart{'s' if attempt > 1 else ''}")
                return outcome.code
            say(f"restarting the job ({attempt + 1} of {opts.max_restarts}); the script "
                "resumes from its latest checkpoint")
            time.sleep(0.2)
    finally:
        signals.uninstall()
    return 1


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        return _subcommand(argv[0], argv[1:])
    parser = build_parser()
    options, target, args, module = split_argv(argv)
    opts = parser.parse_args(options)
    if target is None:
        parser.error("missing the script to run (or -m MODULE)")
    if opts.nproc is not None and opts.nproc < 1:
        parser.error(f"-n must be at least 1, got {opts.nproc}")
    if opts.threads is not None and opts.nproc is not None:
        parser.error("--threads N and -n N exclude each other: pick virtual ranks or MPI ranks")
    if opts.pdb and not opts.debug:
        parser.error("--pdb needs --debug")
    if opts.max_restarts < 0:
        parser.error(f"--max-restarts must be >= 0, got {opts.max_restarts}")
    in_process = opts.threads is not None or (opts.debug and opts.nproc is None)
    if in_process:
        mpi_only = [flag for flag, value in (("--max-restarts", opts.max_restarts),
                                             ("--hostfile", opts.hostfile), ("--hosts", opts.hosts),
                                             ("--log-dir", opts.log_dir), ("--timeout", opts.timeout))
                    if value]
        if mpi_only:
            parser.error(f"{', '.join(mpi_only)} need{'s' if len(mpi_only) == 1 else ''} MPI ranks "
                         "(-n N); --threads and --debug run in this process")
    if opts.threads is not None:
        from ._inprocess import run_threads

        return run_threads(opts.threads, target, args, module, debug=opts.debug)
    if opts.debug and opts.nproc is None:
        from ._inprocess import run_debug

        return run_debug(target, args, module, post_mortem=opts.pdb)
    return _run_mpi(opts, target, args, module)


if __name__ == "__main__":
    raise SystemExit(main())
