"""Test-suite configuration: scripts under ``scripts/`` folders run under mpiexec (or
as subprocesses) and are not test modules.

The ``device`` fixture runs a test on the CPU and, where a CUDA GPU and CuPy are
present, again on ``"cuda"``; without a GPU the cuda case is skipped with one line
saying why. GPU cases carry the ``gpu`` marker (``pytest -m gpu`` selects them)."""

from __future__ import annotations

import pytest

collect_ignore_glob = ["*/scripts/*"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "gpu: needs a CUDA GPU with CuPy (skipped without one)")


def gpu_missing() -> str | None:
    """Why GPU tests cannot run here, or None when they can."""
    from autograd import backend

    if backend.cupy is None:
        return "no CUDA GPU: CuPy is not installed (pip install 'dtensor[cuda12]')"
    if backend.device_count() == 0:
        return "no CUDA GPU: CuPy is installed but sees no device"
    return None


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def device(request: pytest.FixtureRequest) -> str:
    """"cpu", then "cuda" on a machine with a GPU (skipped elsewhere)."""
    if request.param == "cuda":
        why = gpu_missing()
        if why is not None:
            pytest.skip(why)
    return request.param
