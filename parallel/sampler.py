"""DistributedSampler: each rank reads its own share of a dataset
(``torch.utils.data.distributed.DistributedSampler``), resumable mid-epoch.

Example:
    >>> from parallel.sampler import DistributedSampler
    >>> s = DistributedSampler(list(range(10)), num_replicas=2, rank=1, shuffle=False)
    >>> list(s)
    [1, 3, 5, 7, 9]
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized
from typing import Any

import autograd

from .distributed import get_rank, get_world_size, is_initialized

__all__ = ["DistributedSampler"]


class DistributedSampler:
    """Deal the dataset's indices round-robin over ``num_replicas`` ranks.

    With ``shuffle``, the order is a permutation seeded by ``seed + epoch`` (the same on
    every rank): call ``set_epoch(e)`` at the start of each epoch or every epoch repeats
    the same order. Without ``drop_last`` the index list is padded (by wrapping around)
    so every rank gets the same number of samples. ``state_dict()`` records the epoch and
    how many samples this rank has consumed, so a resumed job continues mid-epoch.
    """

    def __init__(self, dataset: Sized, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None:
            if not is_initialized():
                raise RuntimeError(
                    "DistributedSampler needs num_replicas (or an initialized process group)"
                )
            num_replicas = get_world_size()
        if rank is None:
            if not is_initialized():
                raise RuntimeError("DistributedSampler needs rank (or an initialized process group)")
            rank = get_rank()
        if not 0 <= rank < num_replicas:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.epoch = 0
        self.start = 0  # samples of this epoch already consumed (for resuming)
        self._position = 0
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def _indices(self) -> list[int]:
        n = len(self.dataset)
        if self.shuffle:
            g = autograd.Generator().manual_seed(self.seed + self.epoch)
            indices = autograd.randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad > 0:
                reps = math.ceil(pad / max(len(indices), 1))
                indices += (indices * reps)[:pad]
        else:
            indices = indices[: self.total_size]
        return indices[self.rank:self.total_size:self.num_replicas]

    def __iter__(self) -> Iterator[int]:
        mine = self._indices()
        start, self.start = self.start, 0
        for k, i in enumerate(mine[start:], start=start):
            self._position = k + 1
            yield i

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Select the shuffle of this epoch (same seed + epoch on every rank); a new
        epoch starts from its first sample."""
        if int(epoch) != self.epoch:
            self.start = self._position = 0
        self.epoch = int(epoch)

    def state_dict(self, consumed: int | None = None) -> dict[str, Any]:
        """Where this rank is: the epoch and how many of its samples were consumed
        (pass ``consumed`` when a DataLoader prefetches ahead of training)."""
        pos = self._position if consumed is None else int(consumed)
        return {"epoch": self.epoch, "consumed": pos, "seed": self.seed,
                "num_replicas": self.num_replicas, "total": len(self.dataset)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume: the next iteration starts after the consumed samples of that epoch.
        At a different world size the consumed count is converted to global samples."""
        self.epoch = int(state["epoch"])
        self.seed = int(state.get("seed", self.seed))
        consumed = int(state.get("consumed", 0))
        old = int(state.get("num_replicas", self.num_replicas))
        global_seen = consumed * old
        self.start = min(global_seen // self.num_replicas, self.num_samples)
        self._position = self.start  # a save before the next sample keeps the position
