"""launch: the launcher (``python -m launch``), training checkpoints, fault handling
and benchmarks. Being built: see the project's open issues."""
