"""``GradScaler``: dynamic loss scaling for float16 training (mirrors
``torch.amp.GradScaler``).

float16 gradients underflow to zero below about 6e-8; multiplying the loss by a large
``scale`` before ``backward`` keeps them representable. ``step`` divides the gradients
by the scale again (``unscale_``) and skips the optimizer step when any gradient is
inf or NaN; ``update`` then shrinks the scale (``backoff_factor``) after such a step,
or grows it (``growth_factor``) after ``growth_interval`` clean steps in a row.

With a process group initialised (``parallel``), the "found inf" flag is agreed across
the ranks of the default group (a MAX all-reduce inside ``unscale_``), so every rank
skips the same steps and the replicas never diverge — also when gradients are not
all-reduced (sharded optimizers, ``no_sync`` accumulation). The parallel package
installs that agreement when it is imported (``register_found_inf_reducer``).

Example:
    >>> import autograd, optim
    >>> w = autograd.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = optim.SGD([w], lr=0.1)
    >>> scaler = autograd.amp.GradScaler("cpu", init_scale=1024.0)
    >>> scaler.scale((w * w).sum()).backward()
    >>> scaler.step(opt)
    >>> scaler.update()
    >>> [round(v, 3) for v in w.tolist()], scaler.get_scale()
    ([0.8, 1.6], 1024.0)
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import Any

from .. import backend
from ..tensor import Tensor, _wrap

__all__ = ["GradScaler", "register_found_inf_reducer", "OptState"]

_REDUCERS: list[Callable[[float], float]] = []


def register_found_inf_reducer(fn: Callable[[float], float]) -> None:
    """Install ``fn(flag) -> flag``: the agreement of a 0.0/1.0 "found inf" flag across
    ranks (the parallel package registers a MAX all-reduce over the default group)."""
    if fn not in _REDUCERS:
        _REDUCERS.append(fn)


class OptState(enum.Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


class GradScaler:
    """Dynamic loss scaling (see the module docstring)."""

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        if growth_factor <= 1.0:
            raise ValueError(f"The growth factor must be > 1.0, got {growth_factor}")
        if not 0.0 < backoff_factor < 1.0:
            raise ValueError(f"The backoff factor must be < 1.0 (and > 0), got {backoff_factor}")
        if int(growth_interval) <= 0:
            raise ValueError(f"growth_interval must be a positive int, got {growth_interval}")
        self._device = str(device)
        self._enabled = bool(enabled)
        self._scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        self._per_optimizer: dict[int, dict[str, Any]] = {}

    # ------------------------------------------------------------------ scaling
    def scale(self, outputs: Any) -> Any:
        """``outputs`` (a tensor, or nested lists/tuples of tensors) times the scale."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        if isinstance(outputs, Iterable):
            return (self.scale(o) for o in outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _state(self, optimizer: Any) -> dict[str, Any]:
        st = self._per_optimizer.get(id(optimizer))
        if st is None:
            st = self._per_optimizer[id(optimizer)] = {"stage": OptState.READY, "found_inf": 0.0}
        return st

    def unscale_(self, optimizer: Any) -> None:
        """Divide ``optimizer``'s gradients by the scale in place, and record whether
        any is inf/NaN (agreed across ranks). Call it before clipping gradients."""
        if not self._enabled:
            return
        st = self._state(optimizer)
        if st["stage"] is OptState.UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        if st["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv = 1.0 / self._scale
        flags = []  # one device scalar per gradient: read back once, not once per tensor
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                if g._data.dtype == backend.float16:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                arr = g._data
                xp = backend.xp_of(arr)
                flags.append(xp.logical_not(xp.isfinite(arr).all()))
                if backend.is_writeable(arr) and not g.requires_grad:
                    xp.multiply(arr, inv, out=arr)
                    g._vc[0] += 1
                else:
                    p.grad = _wrap(arr * inv)
        found = 0.0
        per_module: dict[int, list] = {}  # one device-to-host read per array module
        for f in flags:
            per_module.setdefault(id(backend.xp_of(f)), []).append(f)
        for group in per_module.values():
            if bool(backend.xp_of(group[0]).stack(group).any()):
                found = 1.0
        for reduce in _REDUCERS:
            found = float(reduce(found))
        st["found_inf"] = found
        st["stage"] = OptState.UNSCALED

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """Unscale (if ``unscale_`` was not called) and run ``optimizer.step`` unless a
        gradient was inf/NaN on any rank; returns the step's result or None if skipped."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        st = self._state(optimizer)
        if st["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if st["stage"] is OptState.READY:
            self.unscale_(optimizer)
        result = None
        if not st["found_inf"]:
            result = optimizer.step(*args, **kwargs)
        st["stage"] = OptState.STEPPED
        return result

    def update(self, new_scale: float | Tensor | None = None) -> None:
        """Set the scale for the next iteration: ``new_scale`` if given, else backed
        off after a skipped step or grown after ``growth_interval`` clean steps."""
        if not self._enabled:
            return
        if new_scale is not None:
            if isinstance(new_scale, Tensor):
                if new_scale.numel() != 1:
                    raise ValueError("new_scale should be a float or a 1-element tensor.")
                new_scale = new_scale.item()
            self._scale = float(new_scale)
        else:
            if not self._per_optimizer:
                raise RuntimeError("No inf checks were recorded prior to update.")
            found = any(st["found_inf"] for st in self._per_optimizer.values())
            if found:
                self._scale *= self._backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    self._scale *= self._growth_factor
                    self._growth_tracker = 0
        self._per_optimizer.clear()

    # ------------------------------------------------------------------ queries
    def get_scale(self) -> float:
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = int(new_interval)

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict[str, Any]:
        """The scaling state (plain numbers: checkpoints store it as JSON)."""
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved from a "
                "disabled instance of GradScaler."
            )
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])
