"""ZeRO stage 1: optimizer state sharded over the ranks (mirrors
``torch.distributed.optim.ZeroRedundancyOptimizer``).

The parameters of each group are laid end to end in one flat buffer (per dtype/device),
padded to a multiple of the world size and cut into equal contiguous shards. Rank r owns
shard r: its local optimizer (``optimizer_class``) holds one tensor per piece of a
parameter that falls in the shard, so it keeps state only for ~1/N of the elements.
``step()`` gives those pieces their gradient slices, runs the local optimizer, and
all-gathers the updated shards into every rank's parameters. Elementwise optimizers
(SGD, Adam, AdamW, RMSprop, Adagrad …) follow exactly the unsharded trajectory, as long
as every rank holds the same (e.g. DDP-averaged) gradients.

Example:
    >>> import autograd, optim, parallel
    >>> from dtensor import ZeroRedundancyOptimizer
    >>> def work(rank):
    ...     parallel.init_process_group("threads")
    ...     w = autograd.ones(6, requires_grad=True)
    ...     opt = ZeroRedundancyOptimizer([w], optimizer_class=optim.SGD, lr=0.5)
    ...     (w * w).sum().backward()
    ...     opt.step()
    ...     return w.tolist(), sum(t.numel() for t in opt._local_params())
    >>> parallel.spawn(work, nprocs=2)
    [([0.0, 0.0, 0.0, 0.0, 0.0, 0.0], 3), ([0.0, 0.0, 0.0, 0.0, 0.0, 0.0], 3)]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import autograd
import parallel
from autograd import backend
from autograd.tensor import Tensor, _wrap
from optim.optimizer import Optimizer

__all__ = ["ZeroRedundancyOptimizer"]


class _Piece:
    """The part [lo, hi) (flattened) of parameter ``param`` that lies in this rank's
    shard, and the tensor the local optimizer updates for it."""

    __slots__ = ("param", "index", "lo", "hi", "tensor", "start")

    def __init__(self, param: Tensor, index: int, lo: int, hi: int, tensor: Tensor,
                 start: int) -> None:
        self.param, self.index, self.lo, self.hi, self.tensor = param, index, lo, hi, tensor
        self.start = start  # where the piece begins in the rank's local shard


class _Bucket:
    """The flat buffer of one group's parameters of one dtype/device."""

    def __init__(self, params: list[tuple[int, Tensor]], comm: Any, as_view: bool) -> None:
        first = params[0][1]._data
        xp = backend.xp_of(first)
        self.params = params
        self.comm = comm
        self.offsets = []
        total = 0
        for _, p in params:
            self.offsets.append(total)
            total += p.numel()
        n, r = comm.size, comm.rank
        self.shard = -(-total // n) if total else 0
        self.flat = xp.zeros(self.shard * n, dtype=first.dtype)
        for (_, p), off in zip(params, self.offsets):
            self.flat[off:off + p.numel()] = p._data.reshape(-1)
            if as_view:
                view = self.flat[off:off + p.numel()].reshape(p._data.shape)
                p._data = view
        self.as_view = as_view
        self.lo, self.hi = r * self.shard, (r + 1) * self.shard
        self.local = self.flat[self.lo:self.hi].copy()
        self.pieces: list[_Piece] = []
        for (index, p), off in zip(params, self.offsets):
            lo, hi = max(off, self.lo), min(off + p.numel(), self.hi)
            if lo < hi:
                t = _wrap(self.local[lo - self.lo:hi - self.lo])
                self.pieces.append(_Piece(p, index, lo - off, hi - off, t, lo - self.lo))

    def load_params(self) -> None:
        """Copy the parameters' current values into the local shard (they may have been
        changed since the last step, e.g. by ``load_state_dict``)."""
        for piece in self.pieces:
            piece.tensor._data[...] = piece.param._data.reshape(-1)[piece.lo:piece.hi]

    def attach_grads(self) -> None:
        for piece in self.pieces:
            g = piece.param.grad
            piece.tensor.grad = None if g is None else _wrap(g._data.reshape(-1)[piece.lo:piece.hi])

    def gather(self) -> None:
        """All-gather the updated shards into every rank's parameters."""
        if self.comm.size > 1:
            self.comm.allgather(self.local, self.flat)
        else:
            self.flat[...] = self.local
        for (_, p), off in zip(self.params, self.offsets):
            if not self.as_view:
                p._data[...] = self.flat[off:off + p.numel()].reshape(p._data.shape)
            p._vc[0] += 1


class ZeroRedundancyOptimizer(Optimizer):
    """Wrap ``optimizer_class`` so each rank keeps the state of only its shard of the
    parameters (ZeRO stage 1).

    Args:
        params: tensors or parameter groups (as for any optimizer).
        optimizer_class: the local optimizer's class (e.g. ``optim.Adam``).
        process_group: the ranks that share the state (default: the world).
        parameters_as_bucket_view: make the parameters views into the flat buffer (the
            all-gather then writes them directly, saving a copy per step).
        overlap_with_ddp: must be False (the step runs after backward).
        **defaults: hyperparameters for ``optimizer_class``.
    """

    def __init__(self, params: Any, optimizer_class: type, process_group: Any = None,
                 parameters_as_bucket_view: bool = False, overlap_with_ddp: bool = False,
                 **defaults: Any) -> None:
        if overlap_with_ddp:
            raise ValueError(
                "ZeroRedundancyOptimizer(overlap_with_ddp=True) is not supported here: call "
                "step() after backward (DDP has already averaged the gradients by then)"
            )
        if not (isinstance(optimizer_class, type) and issubclass(optimizer_class, Optimizer)):
            raise TypeError(
                f"optimizer_class must be an Optimizer subclass (e.g. optim.Adam), got {optimizer_class!r}"
            )
        if not parallel.is_initialized():
            parallel.init_process_group()
        self.process_group = parallel.default_group() if process_group is None else process_group
        self._optimizer_class = optimizer_class
        self.parameters_as_bucket_view = parameters_as_bucket_view
        self._buckets: list[list[_Bucket]] = []
        self._consolidated: dict | None = None
        self.optim: Optimizer | None = None
        super().__init__(params, defaults)
        self.optim = optimizer_class(
            [self._local_group(i) for i in range(len(self.param_groups))], **defaults)

    # ------------------------------------------------------------------ partitioning
    def _partition(self, group_index: int) -> None:
        group = self.param_groups[group_index]
        start = sum(len(g["params"]) for g in self.param_groups[:group_index])
        by_kind: dict[tuple, list[tuple[int, Tensor]]] = {}
        for i, p in enumerate(group["params"]):
            key = (str(p.dtype), str(p.device))
            by_kind.setdefault(key, []).append((start + i, p))
        self._buckets.append([_Bucket(ps, self.process_group.comm, self.parameters_as_bucket_view)
                              for ps in by_kind.values()])

    def _local_group(self, group_index: int) -> dict[str, Any]:
        hyper = {k: v for k, v in self.param_groups[group_index].items()
                 if k not in ("params", "param_names")}
        tensors = [piece.tensor for b in self._buckets[group_index] for piece in b.pieces]
        if not tensors:  # this rank owns nothing of the group: a placeholder keeps indices aligned
            xp = backend.xp_of(self.param_groups[group_index]["params"][0]._data)
            tensors = [_wrap(xp.zeros(0, dtype=self.param_groups[group_index]["params"][0]._data.dtype))]
        return {"params": tensors, **hyper}

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a parameter group; its parameters are partitioned like the others."""
        super().add_param_group(param_group)
        if getattr(self, "_buckets", None) is None:
            return
        self._partition(len(self.param_groups) - 1)
        if self.optim is not None:
            self.optim.add_param_group(self._local_group(len(self.param_groups) - 1))

    def _local_params(self) -> list[Tensor]:
        return [piece.tensor for bs in self._buckets for b in bs for piece in b.pieces]

    # ------------------------------------------------------------------ step
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update this rank's shard with the local optimizer, then all-gather the
        parameters. Every rank of the process group must call it."""
        loss = self._closure_loss(closure)
        for outer, inner in zip(self.param_groups, self.optim.param_groups):
            for k, v in outer.items():
                if k not in ("params", "param_names"):
                    inner[k] = v
        with autograd.no_grad():
            for buckets in self._buckets:
                for b in buckets:
                    b.load_params()
                    b.attach_grads()
            self.optim.step()
            for buckets in self._buckets:
                for b in buckets:
                    b.gather()
                    for piece in b.pieces:
                        piece.tensor.grad = None
        return loss

    # ------------------------------------------------------------------ state
    def consolidate_state_dict(self, to: int = 0) -> None:
        """Gather the full optimizer state on global rank ``to`` (every rank calls it);
        then ``state_dict()`` on that rank gives the unsharded optimizer's state dict."""
        comm = self.process_group.comm
        root = self.process_group.group_rank(to, "consolidate_state_dict")
        scalars: dict[int, dict[str, Any]] = {}
        arrays: dict[int, dict[str, Any]] = {}
        keys = sorted({k for st in self.optim.state.values() for k, v in st.items()
                       if isinstance(v, Tensor) and v.ndim > 0})
        for buckets in self._buckets:
            for b in buckets:
                for key in keys:
                    xp = backend.xp_of(b.local)
                    local = xp.zeros(b.shard, dtype=b.local.dtype)
                    for piece in b.pieces:
                        v = self.optim.state.get(piece.tensor, {}).get(key)
                        if v is not None:
                            local[piece.start:piece.start + piece.hi - piece.lo] = v._data.reshape(-1)
                    full = xp.empty(b.shard * comm.size, dtype=local.dtype)
                    if comm.size > 1:
                        comm.allgather(local, full)
                    else:
                        full[...] = local
                    for (index, p), off in zip(b.params, b.offsets):
                        arrays.setdefault(index, {})[key] = full[off:off + p.numel()].reshape(p._data.shape).copy()
                for piece in b.pieces:
                    st = self.optim.state.get(piece.tensor, {})
                    for k, v in st.items():
                        if not (isinstance(v, Tensor) and v.ndim > 0):
                            scalars.setdefault(piece.index, {})[k] = float(v) if isinstance(v, Tensor) else v
        every = comm.allgather_object(scalars)
        if comm.rank != root:
            self._consolidated = None
            return
        merged: dict[int, dict[str, Any]] = {}
        for part in every:
            for index, st in part.items():
                merged.setdefault(index, {}).update(st)
        state: dict[int, dict[str, Any]] = {}
        for index, st in merged.items():
            entry: dict[str, Any] = {}
            for k, v in st.items():
                entry[k] = autograd.tensor(v, dtype=autograd.float32) if k == "step" else v
            for k, arr in arrays.get(index, {}).items():
                entry[k] = autograd.as_tensor(arr)
            state[index] = entry
        self._consolidated = state

    def state_dict(self) -> dict[str, Any]:
        """The full (unsharded-format) state; needs ``consolidate_state_dict`` first."""
        if self._consolidated is None:
            raise RuntimeError(
                "Optimizer state has not been consolidated on this rank. Please call "
                "`consolidate_state_dict(to)` on all ranks beforehand and call `state_dict()` "
                "on the destination rank"
            )
        groups = []
        index = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = list(range(index, index + len(group["params"])))
            index += len(group["params"])
            groups.append(packed)
        return {"state": dict(self._consolidated), "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a full state dict (from ``state_dict()`` or from the unsharded optimizer);
        each rank keeps the slices of its shard."""
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved)} parameter groups, the optimizer has "
                f"{len(self.param_groups)}"
            )
        for g, s in zip(self.param_groups, saved):
            for k, v in s.items():
                if k not in ("params", "param_names"):
                    g[k] = v
        order = [i for s in saved for i in s["params"]]
        state = {int(k): v for k, v in state_dict["state"].items()}
        self.optim.state.clear()
        for buckets in self._buckets:
            for b in buckets:
                for piece in b.pieces:
                    st = state.get(order[piece.index])
                    if st is None:
                        continue
                    entry = {}
                    for k, v in st.items():
                        if isinstance(v, Tensor) and v.ndim > 0:
                            arr = v.detach()._data.reshape(-1)[piece.lo:piece.hi]
                            entry[k] = autograd.as_tensor(arr.astype(piece.tensor.dtype).copy())
                        elif k == "step":
                            entry[k] = autograd.tensor(float(v), dtype=autograd.float32)
                        else:
                            entry[k] = v
                    self.optim.state[piece.tensor] = entry
        for outer, inner in zip(self.param_groups, self.optim.param_groups):
            for k, v in outer.items():
                if k not in ("params", "param_names"):
                    inner[k] = v
