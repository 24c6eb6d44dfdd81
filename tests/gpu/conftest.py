"""Fixtures for device tests.

``fake_cuda`` installs ``tests.gpu.fakecupy`` (NumPy pretending to be CuPy, two
"GPUs") as the backend's CuPy for one test: it exercises dispatch, device strings,
moves, random streams and checkpoints on CI machines without a GPU — not CUDA
numerics. ``cuda_device`` runs a test once on the fake ("fake") and once on a real GPU
("cuda", marked ``gpu``, skipped with one line where there is none)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

import autograd
from autograd import backend
from tests.conftest import gpu_missing
from tests.gpu import fakecupy


def _forget_gpu_generators() -> None:
    """Default GPU generators belong to the CuPy that made them: drop them."""
    for table in (autograd.random._global, autograd.random._local.override or {}):
        for key in [k for k in table if k != "cpu"]:
            del table[key]


@pytest.fixture
def fake_cuda(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Make ``"cuda"`` mean the NumPy-backed fake for this test (2 fake GPUs)."""
    fakecupy.reset(devices=2)
    monkeypatch.setattr(backend, "cupy", fakecupy)
    monkeypatch.setitem(sys.modules, "cupyx", fakecupy.cupyx)
    monkeypatch.setitem(sys.modules, "cupyx.scipy", fakecupy.cupyx.scipy)
    monkeypatch.setitem(sys.modules, "cupyx.scipy.special", fakecupy.cupyx.scipy.special)
    _forget_gpu_generators()
    yield "cuda"
    _forget_gpu_generators()


@pytest.fixture(params=["fake", pytest.param("cuda", marks=pytest.mark.gpu)])
def cuda_device(request: pytest.FixtureRequest) -> Iterator[str]:
    """"cuda" served by the fake, then by a real GPU where there is one."""
    if request.param == "fake":
        yield request.getfixturevalue("fake_cuda")
        return
    why = gpu_missing()
    if why is not None:
        pytest.skip(why)
    yield "cuda"
