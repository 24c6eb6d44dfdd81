"""``autograd.cuda``: GPU queries and controls (mirrors ``torch.cuda``), through CuPy.

Everything here works without a GPU: ``is_available()`` is then False,
``device_count()`` 0, and calls that need a GPU raise a RuntimeError saying so.

Example:
    >>> import autograd
    >>> autograd.cuda.is_available() in (True, False)
    True
    >>> autograd.cuda.synchronize() if autograd.cuda.is_available() else None
"""

from __future__ import annotations

from typing import Any

from . import backend
from . import random as _random
from .tensor import Tensor

__all__ = [
    "is_available", "device_count", "current_device", "set_device", "synchronize",
    "manual_seed", "manual_seed_all", "seed", "initial_seed", "get_rng_state",
    "set_rng_state", "get_rng_state_all", "set_rng_state_all", "empty_cache",
    "memory_allocated", "memory_reserved", "get_device_name", "is_bf16_supported",
]


def is_available() -> bool:
    """True when CuPy imports and sees at least one GPU.

    Example:
        >>> import autograd
        >>> autograd.cuda.is_available() == (autograd.cuda.device_count() > 0)
        True
    """
    return backend.cuda_available()


def device_count() -> int:
    """How many GPUs CuPy sees (0 without CuPy).

    Example:
        >>> import autograd
        >>> autograd.cuda.device_count() >= 0
        True
    """
    return backend.device_count()


def _index(device: Any) -> int:
    if device is None:
        return backend.current_device()
    dev = backend.device(device)
    if dev.type != "cuda":
        raise ValueError(f"expected a cuda device, got {dev}")
    backend.xp_for(dev)
    return backend.cuda_index(dev)


def current_device() -> int:
    """The calling thread's current GPU index.

    Example:
        >>> import autograd
        >>> autograd.cuda.current_device() >= 0 if autograd.cuda.is_available() else True
        True
    """
    backend.xp_for(backend.Device("cuda"))
    return backend.current_device()


def set_device(device: Any) -> None:
    """Make ``device`` (an index or ``"cuda:N"``) the calling thread's current GPU:
    plain ``"cuda"`` and new GPU tensors then mean that GPU."""
    idx = device if isinstance(device, int) else _index(device)
    backend.xp_for(backend.Device("cuda", idx))
    backend.cupy.cuda.Device(idx).use()


def synchronize(device: Any = None) -> None:
    """Wait until the GPU has finished all queued work (time GPU code only after it)."""
    with backend.device_guard(backend.Device("cuda", _index(device))):
        backend.cupy.cuda.Device().synchronize()


def manual_seed(seed: int) -> None:
    """Seed the current GPU's default generator (nothing without a GPU).

    Example:
        >>> import autograd
        >>> autograd.cuda.manual_seed(0)
    """
    if is_available():
        _random.default_generator(f"cuda:{backend.current_device()}").manual_seed(seed)


def manual_seed_all(seed: int) -> None:
    """Seed every GPU's default generator.

    Example:
        >>> import autograd
        >>> autograd.cuda.manual_seed_all(0)
    """
    for i in range(device_count()):
        _random.default_generator(f"cuda:{i}").manual_seed(seed)


def seed() -> int:
    """Seed the current GPU's generator from the OS and return that seed."""
    return _random.default_generator(f"cuda:{current_device()}").seed()


def initial_seed() -> int:
    return _random.default_generator(f"cuda:{current_device()}").initial_seed()


def get_rng_state(device: Any = "cuda") -> Tensor:
    """The state of a GPU's default generator (a uint8 tensor; see ``Generator``)."""
    return _random.default_generator(f"cuda:{_index(device)}").get_state()


def set_rng_state(new_state: Tensor, device: Any = "cuda") -> None:
    _random.default_generator(f"cuda:{_index(device)}").set_state(new_state)


def get_rng_state_all() -> list[Tensor]:
    return [get_rng_state(i) for i in range(device_count())]


def set_rng_state_all(new_states: list[Tensor]) -> None:
    for i, s in enumerate(new_states):
        set_rng_state(s, i)


def empty_cache() -> None:
    """Return the unused blocks of CuPy's memory pool to the driver.

    Example:
        >>> import autograd
        >>> autograd.cuda.empty_cache()
    """
    if is_available():
        backend.cupy.get_default_memory_pool().free_all_blocks()


def memory_allocated(device: Any = None) -> int:
    """Bytes of GPU memory held by live arrays (CuPy's pool, all devices).

    Example:
        >>> import autograd
        >>> autograd.cuda.memory_allocated() >= 0
        True
    """
    if not is_available():
        return 0
    return int(backend.cupy.get_default_memory_pool().used_bytes())


def memory_reserved(device: Any = None) -> int:
    """Bytes of GPU memory CuPy's pool holds, in use or cached."""
    if not is_available():
        return 0
    return int(backend.cupy.get_default_memory_pool().total_bytes())


def get_device_name(device: Any = None) -> str:
    """The GPU's marketing name, e.g. ``'NVIDIA H100 80GB HBM3'``."""
    idx = _index(device)
    props = backend.cupy.cuda.runtime.getDeviceProperties(idx)
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def is_bf16_supported() -> bool:
    """Whether bfloat16 tensors can live on the GPU here: it needs the ml_dtypes
    package for the dtype and a CuPy that accepts it.

    Example:
        >>> import autograd
        >>> autograd.cuda.is_bf16_supported() in (True, False)
        True
    """
    if not is_available() or backend.bfloat16 is None:
        return False
    try:
        backend.cupy.zeros(1, dtype=backend.bfloat16)
    except (TypeError, ValueError):
        return False
    return True
