"""DistributedDataParallel: data parallelism over a process group
(``torch.nn.parallel.DistributedDataParallel``).

Construction checks that every rank holds the same parameters (names, shapes,
dtypes), then copies rank 0's parameters and buffers to all ranks. Backward feeds the
``Reducer`` (bucketed allreduce overlapped with backward); after ``loss.backward()``
(or ``autograd.grad``) every rank holds the gradient averaged over all ranks.

Example:
    >>> import autograd, parallel
    >>> from autograd import nn
    >>> parallel.init_process_group()
    >>> model = parallel.DistributedDataParallel(nn.Linear(3, 1))
    >>> model(autograd.randn(4, 3)).sum().backward()
    >>> model.module.weight.grad.shape
    (1, 3)
    >>> parallel.destroy_process_group()
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from autograd import Function, backend
from autograd.grad_mode import is_grad_enabled
from autograd.nn.module import Module
from autograd.tensor import Tensor

from .comm.base import ReduceOp
from .distributed import ProcessGroup, _group
from .reducer import Reducer

__all__ = ["DistributedDataParallel"]


class _DDPSink(Function):
    """Identity on the module's outputs; its backward runs first in the reverse pass
    and makes sure the reducer finalises at the end of it, even on a rank where no
    parameter gets a gradient (so that rank errors out instead of others hanging)."""

    @staticmethod
    def forward(ctx: Any, reducer: Reducer, *outputs: Tensor) -> Any:
        ctx.reducer = reducer
        return outputs if len(outputs) != 1 else outputs[0]

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> tuple:
        if ctx.reducer.require_sync:
            ctx.reducer._queue_finalize()
        return (None, *grads)


def _flatten(out: Any) -> tuple[list[Tensor], Callable[[list[Tensor]], Any]]:
    """Tensors inside a (nested) output, and how to rebuild the output from new ones."""
    tensors: list[Tensor] = []

    def collect(o: Any) -> Any:
        if isinstance(o, Tensor):
            tensors.append(o)
            return ("t", len(tensors) - 1)
        if isinstance(o, (list, tuple)):
            return (type(o), [collect(e) for e in o], getattr(o, "_fields", None))
        if isinstance(o, dict):
            return (dict, {k: collect(v) for k, v in o.items()}, None)
        return ("c", o)

    spec = collect(out)

    def rebuild(new: list[Tensor], s: Any = spec) -> Any:
        if s[0] == "t":
            return new[s[1]]
        if s[0] == "c":
            return s[1]
        kind, body, fields = s
        if kind is dict:
            return {k: rebuild(new, v) for k, v in body.items()}
        items = [rebuild(new, v) for v in body]
        return kind(*items) if fields else kind(items)

    return tensors, rebuild


class DistributedDataParallel(Module):
    """Wrap ``module`` so gradients are averaged over ``process_group`` during backward.

    ``bucket_cap_mb`` sizes the gradient buckets (25 MB; the first is 1 MiB);
    ``find_unused_parameters`` lets some parameters get no gradient in a step (their
    slots reduce as zeros); ``broadcast_buffers`` copies rank 0's buffers to every rank
    at each forward. ``gradient_as_bucket_view`` and ``static_graph`` are accepted for
    compatibility: gradients of packed parameters are always bucket views here.
    """

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0, broadcast_buffers: bool = True,
                 process_group: ProcessGroup | None = None, bucket_cap_mb: float | None = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False,
                 **kwargs: Any) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(
                f"DistributedDataParallel wraps an autograd.nn.Module, got {type(module).__name__}"
            )
        self.module = module
        self.process_group = _group(process_group)
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.dim = dim
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have any parameter "
                "that requires a gradient."
            )
        comm = self.process_group.comm
        _verify_same_model(comm, module, named)
        self._sync_params_and_buffers()
        self.reducer = Reducer([p for _, p in named], [n for n, _ in named], comm,
                               25.0 if bucket_cap_mb is None else float(bucket_cap_mb),
                               find_unused_parameters)
        self._join: _Join | None = None

    # ------------------------------------------------------------------ sync
    def _sync_params_and_buffers(self) -> None:
        comm = self.process_group.comm
        if comm.size == 1:
            return
        for p in self.module.parameters():
            comm.broadcast(p._data, 0)
            p._vc[0] += 1
        self._sync_buffers()

    def _sync_buffers(self) -> None:
        comm = self.process_group.comm
        for b in self.module.buffers():
            before = b._data.copy()
            comm.broadcast(b._data, 0)
            # bump the version only when the values changed, so a buffer saved for
            # backward by an earlier forward is not reported as modified needlessly
            if not bool((before == b._data).all()):
                b._vc[0] += 1

    # ------------------------------------------------------------------ forward
    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self._join is not None:
            self._join.step()
        if self.broadcast_buffers and self.process_group.size() > 1:
            self._sync_buffers()
        out = self.module(*inputs, **kwargs)
        if not (is_grad_enabled() and self.reducer.require_sync):
            return out
        tensors, rebuild = _flatten(out)
        live = [i for i, t in enumerate(tensors) if t.requires_grad]
        if not live:
            return out
        sunk = _DDPSink.apply(self.reducer, *[tensors[i] for i in live])
        sunk = sunk if isinstance(sunk, tuple) else (sunk,)
        for i, t in zip(live, sunk):
            tensors[i] = t
        return rebuild(tensors)

    # ------------------------------------------------------------------ controls
    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Accumulate gradients locally (no communication) inside this context; the
        first backward after it reduces the accumulated gradients."""
        prev = self.reducer.require_sync
        self.reducer.require_sync = False
        try:
            yield
        finally:
            self.reducer.require_sync = prev

    def join(self, divide_by_initial_world_size: bool = True, enable: bool = True,
             throw_on_early_termination: bool = False) -> contextlib.AbstractContextManager:
        """Train on uneven inputs: a rank that runs out of batches leaves the ``with``
        block and then shadows the others' collectives (contributing zero gradients)
        until every rank is done; finally all ranks take the parameters of the rank that
        trained longest. With ``throw_on_early_termination`` every rank raises as soon as
        one runs out instead.

        Gradients are always averaged over the initial world size (joined ranks count
        as zero), i.e. ``divide_by_initial_world_size=True``.
        """
        if not divide_by_initial_world_size:
            raise ValueError(
                "join(divide_by_initial_world_size=False) is not supported: gradients are "
                "averaged over the initial world size"
            )
        if not enable or self.process_group.size() == 1:
            return contextlib.nullcontext()
        return _Join(self, throw_on_early_termination)

    def register_comm_hook(self, state: Any, hook: Callable[[Any, Any], Any]) -> None:
        """``hook(state, bucket) -> future`` replaces each bucket's allreduce; the future's
        ``wait()`` returns the reduced (already averaged) bucket tensor."""
        if self.reducer.comm_hook is not None:
            raise RuntimeError("register_comm_hook can only be called once")
        self.reducer.comm_hook = (state, hook)

    def bucket_layout(self) -> list[list[str]]:
        """Parameter names per bucket, in the order buckets are reduced."""
        return self.reducer.layout()

    def _get_name(self) -> str:
        return "DistributedDataParallel"


class _Join:
    """The join protocol. Every iteration of an active rank starts (in forward) with an
    allreduce of 1; a rank that has joined answers 0, then mirrors the iteration's
    collectives: the buffer broadcast and every gradient bucket, with zeros."""

    def __init__(self, ddp: DistributedDataParallel, throw: bool) -> None:
        self.ddp = ddp
        self.throw = throw
        self.steps = 0
        self.comm = ddp.process_group.comm

    def __enter__(self) -> _Join:
        if self.ddp._join is not None:
            raise RuntimeError("DistributedDataParallel.join() contexts cannot be nested")
        self.ddp._join = self
        return self

    def _count(self, active: int) -> int:
        flag = backend.numpy.array([active], dtype=backend.numpy.int64)
        self.comm.allreduce(flag, ReduceOp.SUM)
        return int(flag[0])

    def step(self) -> None:
        """Called by an active rank at the start of each forward."""
        self.steps += 1
        active = self._count(1)
        if self.throw and active < self.comm.size:
            raise RuntimeError(
                f"Detected at least one rank that exhausted inputs (rank {self.comm.rank} is "
                f"still active at its step {self.steps}). Throwing across all ranks."
            )

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.ddp._join = None
        if exc_type is not None:
            return  # the exception propagates unchanged (other ranks see it as a failure)
        if self.throw:
            if self._count(0) < self.comm.size:
                raise RuntimeError(
                    f"Rank {self.comm.rank} exhausted all inputs at step {self.steps}."
                )
        while self._count(0) > 0:
            self._shadow_iteration()
        self._sync_final_model()

    def _shadow_iteration(self) -> None:
        ddp = self.ddp
        if ddp.broadcast_buffers:
            ddp._sync_buffers()
        ddp.reducer.shadow_reduce()

    def _sync_final_model(self) -> None:
        """Everyone takes the model of the rank that trained the most steps."""
        steps = self.comm.allgather_object(self.steps)
        src = max(range(len(steps)), key=lambda r: (steps[r], -r))
        for p in self.ddp.module.parameters():
            self.comm.broadcast(p._data, src)
            p._vc[0] += 1
        for b in self.ddp.module.buffers():
            self.comm.broadcast(b._data, src)
            b._vc[0] += 1


def _verify_same_model(comm: Any, module: Module, named: list[tuple[str, Tensor]]) -> None:
    """Every rank must wrap the same model; otherwise each rank raises, naming the
    parameters and ranks that differ (before any collective on the parameters)."""
    mine = [(n, tuple(p.shape), str(p.dtype)) for n, p in named]
    mine += [("buffer:" + n, tuple(b.shape), str(b.dtype)) for n, b in module.named_buffers()]
    every = comm.allgather_object(mine)
    ref = every[0]
    problems = []
    for r, theirs in enumerate(every[1:], start=1):
        if theirs == ref:
            continue
        ref_d, their_d = dict((n, (s, d)) for n, s, d in ref), dict((n, (s, d)) for n, s, d in theirs)
        for n in ref_d:
            if n not in their_d:
                problems.append(f"'{n}' exists on rank 0 but not on rank {r}")
            elif ref_d[n] != their_d[n]:
                (s0, d0), (s1, d1) = ref_d[n], their_d[n]
                problems.append(
                    f"'{n}' is {list(s0)} {d0} on rank 0 but {list(s1)} {d1} on rank {r}"
                )
        for n in their_d:
            if n not in ref_d:
                problems.append(f"'{n}' exists on rank {r} but not on rank 0")
        if not problems and [n for n, _, _ in theirs] != [n for n, _, _ in ref]:
            problems.append(f"parameters are registered in a different order on rank {r}")
    if problems:
        raise RuntimeError(
            "DistributedDataParallel: the model differs across ranks: " + "; ".join(problems)
            + ". Every rank must build the same model before wrapping it."
        )

