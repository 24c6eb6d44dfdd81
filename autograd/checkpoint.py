"""Activation checkpointing (``torch.utils.checkpoint``): keep only a block's inputs
during forward and recompute the block's saved tensors when backward first needs them.

Built on saved-tensor hooks (the non-reentrant design): inside the checkpointed block
every tensor an op saves is replaced by a small placeholder; the first unpack during
backward re-runs the block (same RNG state) with hooks that capture the recomputed
tensors, and each placeholder then resolves to its recomputed counterpart. The block's
graph stays connected to its inputs, so ``autograd.grad``, ``create_graph`` and the
parallel layer's gradient-ready hooks (each parameter reported once) work unchanged.

Example:
    >>> import autograd
    >>> from autograd.checkpoint import checkpoint
    >>> w = autograd.randn(4, 4, requires_grad=True)
    >>> x = autograd.randn(2, 4)
    >>> y = checkpoint(lambda t: (t @ w).tanh() @ w, x, use_reentrant=False)
    >>> y.sum().backward()
    >>> w.grad.shape
    (4, 4)
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from . import random as _random
from .grad_mode import enable_grad
from .graph import saved_tensors_hooks
from .tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "noop_context_fn", "CheckpointError"]


class CheckpointError(RuntimeError):
    """The recomputation did not reproduce the forward pass."""


def noop_context_fn() -> tuple[contextlib.AbstractContextManager, contextlib.AbstractContextManager]:
    return contextlib.nullcontext(), contextlib.nullcontext()


class _Placeholder:
    """What a checkpointed op saves instead of a tensor."""

    __slots__ = ("index", "state")

    def __init__(self, index: int, state: _Recompute) -> None:
        self.index = index
        self.state = state


class _Recompute:
    """One checkpointed call: its inputs, RNG state, and (after the first unpack) the
    recomputed saved tensors."""

    def __init__(self, fn: Callable, args: tuple, kwargs: dict, preserve_rng: bool,
                 recompute_ctx: contextlib.AbstractContextManager, check: bool) -> None:
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.recompute_ctx = recompute_ctx
        self.check = check
        self.metas: list[tuple] = []
        self.saved: list[Tensor] | None = None
        self.rng = _capture_rng(args) if preserve_rng else None

    def pack(self, t: Tensor) -> _Placeholder:
        self.metas.append((tuple(t.shape), t.dtype, str(t.device)))
        return _Placeholder(len(self.metas) - 1, self)

    @staticmethod
    def unpack(p: _Placeholder) -> Tensor:
        state = p.state
        if state.saved is None:
            state.recompute()
        return state.saved[p.index]  # type: ignore[index]

    def recompute(self) -> None:
        captured: list[Tensor] = []

        def pack(t: Tensor) -> Any:
            # The recomputed graph's nodes keep only a weak reference: the tensors live
            # in ``self.saved`` and die with it, instead of in a node <-> tensor cycle
            # that only the cyclic garbage collector would free.
            captured.append(t)
            return weakref.ref(t)

        rng = _restore_rng(self.rng) if self.rng is not None else contextlib.nullcontext()
        with rng, enable_grad(), saved_tensors_hooks(pack, _deref), self.recompute_ctx:
            self.fn(*self.args, **self.kwargs)
        if self.check:
            self._check(captured)
        self.saved = captured

    def _check(self, captured: list[Tensor]) -> None:
        if len(captured) < len(self.metas):
            raise CheckpointError(
                f"checkpoint: the recomputed forward saved {len(captured)} tensors for backward "
                f"but the original forward saved {len(self.metas)}; the checkpointed function "
                "must run the same ops each time (no data-dependent control flow on state "
                "that changes between forward and backward)"
            )
        for i, (meta, t) in enumerate(zip(self.metas, captured)):
            now = (tuple(t.shape), t.dtype, str(t.device))
            if now != meta:
                raise CheckpointError(
                    "checkpoint: Recomputed values for the following tensors have different "
                    f"metadata than during the forward pass.\ntensor at position {i}:\n"
                    f"saved metadata: {{'shape': {list(meta[0])}, 'dtype': {meta[1]}, "
                    f"'device': {meta[2]}}}\nrecomputed metadata: {{'shape': {list(now[0])}, "
                    f"'dtype': {now[1]}, 'device': {now[2]}}}"
                )


def _deref(ref: Any) -> Tensor:
    t = ref()
    if t is None:
        raise CheckpointError(
            "checkpoint: a recomputed tensor was already freed; backward through a "
            "checkpointed segment twice needs retain_graph=True on the first pass"
        )
    return t


def _devices(args: Iterable[Any]) -> list[int]:
    return sorted({t.device.index or 0 for t in args
                   if isinstance(t, Tensor) and t.device.type == "cuda"})


def _capture_rng(args: tuple) -> tuple:
    cuda = _devices(args)
    states = [("cpu", _random.default_generator("cpu").get_state())]
    states += [(f"cuda:{i}", _random.default_generator(f"cuda:{i}").get_state()) for i in cuda]
    return tuple(states)


@contextlib.contextmanager
def _restore_rng(states: tuple) -> Any:
    """Replay the forward's RNG streams without advancing the caller's streams."""
    outer = [(dev, _random.default_generator(dev).get_state()) for dev, _ in states]
    for dev, s in states:
        _random.default_generator(dev).set_state(s)
    try:
        yield
    finally:
        for dev, s in outer:
            _random.default_generator(dev).set_state(s)


def checkpoint(
    function: Callable[..., Any],
    *args: Any,
    use_reentrant: bool | None = None,
    context_fn: Callable[[], tuple] = noop_context_fn,
    determinism_check: str = "default",
    debug: bool = False,
    preserve_rng_state: bool = True,
    **kwargs: Any,
) -> Any:
    """Run ``function(*args, **kwargs)`` without keeping its intermediate activations;
    they are recomputed during backward.

    Only the non-reentrant implementation exists (it supports everything the reentrant
    one does); ``use_reentrant`` is accepted for compatibility. ``preserve_rng_state``
    replays the random streams so dropout masks match. ``context_fn`` returns two
    context managers, entered around the forward and the recomputation.
    ``determinism_check="default"`` compares shapes/dtypes/devices of recomputed tensors
    with the originals and raises ``CheckpointError`` on a mismatch.
    """
    if determinism_check not in ("default", "none"):
        raise ValueError(
            f"determinism_check should be one of ['default', 'none'], but got {determinism_check!r}"
        )
    fwd_ctx, recompute_ctx = context_fn()
    state = _Recompute(function, args, kwargs, preserve_rng_state, recompute_ctx,
                       determinism_check == "default")
    with saved_tensors_hooks(state.pack, _Recompute.unpack), fwd_ctx:
        return function(*args, **kwargs)


def checkpoint_sequential(functions: Any, segments: int, input: Any, use_reentrant: bool | None = None,
                          **kwargs: Any) -> Any:
    """Split a sequence of modules/functions into ``segments`` chunks and checkpoint
    each chunk but the last; peak activation memory falls to about one chunk plus the
    chunk boundaries (O(√n) with √n segments).

    Example:
        >>> import autograd
        >>> from autograd.checkpoint import checkpoint_sequential
        >>> fs = [lambda t: t.tanh(), lambda t: t * 2, lambda t: t.sin(), lambda t: t + 1]
        >>> x = autograd.randn(3, requires_grad=True)
        >>> checkpoint_sequential(fs, 2, x).shape
        (3,)
    """
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    functions = list(functions)
    if segments < 1:
        raise ValueError(f"checkpoint_sequential: segments must be >= 1, got {segments}")
    n = len(functions)
    size = max(n // segments, 1)

    def run(start: int, end: int) -> Callable[[Any], Any]:
        def forward(x: Any) -> Any:
            for f in functions[start:end]:
                x = f(x)
            return x

        return forward

    start = 0
    for _ in range(segments - 1):
        end = start + size
        if end >= n:
            break
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant, **kwargs)
        start = end
    return run(start, n)(input)
