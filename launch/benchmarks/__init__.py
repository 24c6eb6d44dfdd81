"""Benchmark suites, run as ``python -m launch bench SUITE [options]``: each public
module here is a suite with a ``main(argv) -> int`` (e.g. ``ops``: per-op overhead and
training steps against the NumPy floor and PyTorch)."""
