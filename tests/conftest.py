"""Test-suite configuration: scripts under ``scripts/`` folders run under mpiexec (or
as subprocesses) and are not test modules."""

collect_ignore_glob = ["*/scripts/*"]
