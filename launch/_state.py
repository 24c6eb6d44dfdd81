"""What a checkpoint saves of each kind of object, how it is restored, and the checks
that a saved state fits an object before anything is loaded into it."""

from __future__ import annotations

import random as _pyrandom
from typing import Any

import numpy as np

import autograd
from autograd.tensor import Tensor

__all__ = ["state_of", "restorable", "restore_into", "precheck", "rng_state", "set_rng_state"]


def _is_module(obj: Any) -> bool:
    return hasattr(obj, "named_parameters") and hasattr(obj, "load_state_dict")


def _is_optimizer(obj: Any) -> bool:
    return hasattr(obj, "param_groups") and hasattr(obj, "load_state_dict")


def state_of(obj: Any) -> Any:
    """The saveable state of ``obj``: ``state_dict()``, a generator's state, or ``obj``."""
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        return obj.state_dict()
    if isinstance(obj, np.random.Generator):
        return {"bit_generator": obj.bit_generator.state}
    if isinstance(obj, _pyrandom.Random):
        return obj.getstate()
    if isinstance(obj, autograd.Generator):
        return obj.get_state()
    return obj


def restorable(obj: Any) -> bool:
    """Whether :func:`restore_into` can load a state into ``obj`` in place."""
    return (hasattr(obj, "load_state_dict") or isinstance(obj, (np.random.Generator, _pyrandom.Random,
                                                              autograd.Generator, Tensor, np.ndarray)))


def restore_into(obj: Any, state: Any) -> None:
    """Load ``state`` (as produced by :func:`state_of`) into ``obj`` in place."""
    if hasattr(obj, "load_state_dict"):
        obj.load_state_dict(state)
    elif isinstance(obj, np.random.Generator):
        obj.bit_generator.state = state["bit_generator"]
    elif isinstance(obj, _pyrandom.Random):
        obj.setstate(_python_state(state))
    elif isinstance(obj, autograd.Generator):
        obj.set_state(state)
    elif isinstance(obj, Tensor):
        with autograd.no_grad():
            obj.copy_(state)
    elif isinstance(obj, np.ndarray):
        obj[...] = state


def _python_state(state: Any) -> tuple:
    version, internal, gauss = state
    return int(version), tuple(int(v) for v in internal), gauss


def _shape(t: Any) -> tuple:
    return tuple(int(d) for d in t.shape)


def _module_problems(name: str, obj: Any, saved: Any) -> list[str]:
    if not isinstance(saved, dict):
        return [f"{name}: the checkpoint holds a {type(saved).__name__}, not a state_dict"]
    current = obj.state_dict()
    out = []
    missing = [k for k in current if k not in saved]
    unexpected = [k for k in saved if k not in current]
    if missing:
        out.append(f"{name}: Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing))
    if unexpected:
        out.append(f"{name}: Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected))
    for key, value in current.items():
        got = saved.get(key)
        if isinstance(value, Tensor) and isinstance(got, Tensor) and _shape(got) != _shape(value):
            out.append(f"{name}: size mismatch for {key}: copying a param with shape {_shape(got)} "
                       f"from checkpoint, the shape in current model is {_shape(value)}")
    return out


def _optimizer_problems(name: str, obj: Any, saved: Any) -> list[str]:
    if not (isinstance(saved, dict) and isinstance(saved.get("param_groups"), list)
            and isinstance(saved.get("state"), dict)):
        return [f"{name}: the checkpoint holds no optimizer state_dict (param_groups, state)"]
    groups, saved_groups = obj.param_groups, saved["param_groups"]
    if len(groups) != len(saved_groups):
        return [f"{name}: the optimizer has {len(groups)} parameter groups, the checkpoint "
                f"{len(saved_groups)}"]
    out = []
    by_index: dict[Any, Any] = {}
    for i, (g, s) in enumerate(zip(groups, saved_groups)):
        ids = s.get("params") if isinstance(s, dict) else None
        if not isinstance(ids, list) or len(ids) != len(g["params"]):
            out.append(f"{name}: parameter group {i} has {len(g['params'])} parameters, the "
                       f"checkpoint's has {len(ids) if isinstance(ids, list) else '?'}")
            continue
        by_index.update(zip(ids, g["params"]))
    for index, entry in saved["state"].items():
        p = by_index.get(int(index) if isinstance(index, str) and index.isdigit() else index)
        if p is None or not isinstance(entry, dict):
            continue
        for key, value in entry.items():
            # per-parameter buffers (momentum, moments) must match; counters such as
            # Adam's one-element "step" are not per-element state
            if isinstance(value, Tensor) and value.numel() > 1 and _shape(value) != _shape(p):
                out.append(f"{name}: state {key!r} of parameter {index} has shape "
                           f"{_shape(value)}, the parameter is {_shape(p)}")
    return out


def precheck(name: str, obj: Any, saved: Any) -> list[str]:
    """Problems that would make restoring ``saved`` into ``obj`` fail or corrupt it."""
    if _is_module(obj):
        return _module_problems(name, obj, saved)
    if _is_optimizer(obj):
        return _optimizer_problems(name, obj, saved)
    if isinstance(obj, (Tensor, np.ndarray)):
        if not isinstance(saved, (Tensor, np.ndarray)) or _shape(saved) != _shape(obj):
            got = _shape(saved) if isinstance(saved, (Tensor, np.ndarray)) else type(saved).__name__
            return [f"{name}: the checkpoint holds {got}, the object has shape {_shape(obj)}"]
    if isinstance(obj, np.random.Generator):
        kind = obj.bit_generator.state.get("bit_generator")
        got = saved.get("bit_generator", {}) if isinstance(saved, dict) else {}
        if not isinstance(got, dict) or got.get("bit_generator") != kind:
            return [f"{name}: the checkpoint holds no {kind} generator state"]
    if isinstance(obj, _pyrandom.Random):
        try:
            _python_state(saved)
        except (TypeError, ValueError):
            return [f"{name}: the checkpoint holds no random.Random state"]
    if isinstance(obj, autograd.Generator) and not isinstance(saved, Tensor):
        return [f"{name}: the checkpoint holds no generator state"]
    return []


# ----------------------------------------------------------------------------- RNG


def _autograd_devices() -> list[str]:
    devices = ["cpu"]
    if autograd.backend.cuda_available():
        devices += [f"cuda:{i}" for i in range(autograd.backend.device_count())]
    return devices


def rng_state(process_wide: bool = True) -> dict[str, Any]:
    """The calling rank's random streams: autograd's default generators, and (when
    ``process_wide``) NumPy's global state and Python's ``random``."""
    state: dict[str, Any] = {"autograd": {d: autograd.random.default_generator(d).get_state()
                                          for d in _autograd_devices()}}
    if process_wide:
        state["numpy"] = np.random.get_state(legacy=False)
        state["python"] = _pyrandom.getstate()
    return state


def set_rng_state(state: dict[str, Any], process_wide: bool = True) -> None:
    """Restore what :func:`rng_state` saved (devices missing here are skipped)."""
    here = set(_autograd_devices())
    for device, value in state.get("autograd", {}).items():
        if device in here:
            autograd.random.default_generator(device).set_state(value)
    if process_wide and "numpy" in state:
        np.random.set_state(state["numpy"])
    if process_wide and "python" in state:
        _pyrandom.setstate(_python_state(state["python"]))
