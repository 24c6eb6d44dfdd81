"""Worker threads for ``DataLoader(num_workers > 0)`` and ``get_worker_info``.

Workers are threads, not processes: NumPy releases the GIL in its heavy kernels, the
dataset needs no pickling, and the batches are exactly those of ``num_workers=0`` (the
indices are still drawn in the main thread, in order). Each worker thread has its own
default random generators seeded with ``base_seed + worker_id``, as PyTorch seeds each
worker process, so random augmentations differ between workers but are reproducible.

Example:
    >>> from autograd.utils.data import get_worker_info
    >>> get_worker_info() is None  # not inside a DataLoader worker
    True
"""

from __future__ import annotations

import queue
import threading
import traceback
from typing import Any

from ... import random as _random

__all__ = ["WorkerInfo", "get_worker_info"]


class WorkerInfo:
    """What a worker knows about itself: ``id``, ``num_workers``, ``seed`` and
    ``dataset``. Read-only once created.

    Example:
        >>> from autograd.utils.data.worker import WorkerInfo
        >>> WorkerInfo(id=0, num_workers=2, seed=7, dataset=None)
        WorkerInfo(id=0, num_workers=2, seed=7, dataset=None)
    """

    id: int
    num_workers: int
    seed: int
    dataset: Any
    __initialized = False

    def __init__(self, **kwargs: Any) -> None:
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs)
        self.__initialized = True

    def __setattr__(self, key: str, val: Any) -> None:
        if self.__initialized:
            raise RuntimeError(
                f"Cannot assign attributes to {self.__class__.__name__} objects"
            )
        super().__setattr__(key, val)

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__keys)
        return f"{self.__class__.__name__}({items})"


class _Local(threading.local):
    info: WorkerInfo | None = None


_local = _Local()


def get_worker_info() -> WorkerInfo | None:
    """Inside a DataLoader worker: its :class:`WorkerInfo`; elsewhere ``None``.

    Use it in an ``IterableDataset.__iter__`` (or a ``worker_init_fn``) to give each
    worker its own share of a stream.

    Example:
        >>> import autograd
        >>> from autograd.utils.data import DataLoader, IterableDataset, get_worker_info
        >>> class Shards(IterableDataset):
        ...     def __iter__(self):
        ...         info = get_worker_info()
        ...         start, step = (0, 1) if info is None else (info.id, info.num_workers)
        ...         return iter(range(start, 6, step))
        >>> sorted(int(x) for x in DataLoader(Shards(), num_workers=2))
        [0, 1, 2, 3, 4, 5]
    """
    return _local.info


class _IterableEnd:
    """Sent by a worker whose iterable dataset is exhausted."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


class _Resumed:
    """Sent by a persistent worker once it has restarted its stream for a new epoch."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


class _Failure:
    """An exception raised in a worker, carried to the main thread."""

    def __init__(self, exc: BaseException, worker_id: int, where: str) -> None:
        self.exc = exc
        self.worker_id = worker_id
        self.where = where
        self.trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))

    def reraise(self) -> None:
        msg = (
            f"Caught {type(self.exc).__name__} in DataLoader worker thread {self.worker_id} "
            f"({self.where}).\nOriginal Traceback (most recent call last):\n{self.trace}"
        )
        try:
            new = type(self.exc)(msg)
        except Exception:  # an exception type whose constructor wants other arguments
            new = RuntimeError(msg)
        raise new from self.exc


RESUME = object()  # task: restart the iterable stream (persistent workers, new epoch)
STOP = None  # task: exit the thread


def worker_loop(worker_id: int, num_workers: int, seed: int, dataset: Any,
                make_fetcher: Any, worker_init_fn: Any, tasks: queue.SimpleQueue,
                results: queue.SimpleQueue, done: threading.Event) -> None:
    """Body of one worker thread: take ``(task_idx, index)`` from ``tasks``, fetch and
    collate, put ``(task_idx, batch)`` on ``results``."""
    _local.info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    _random.install_thread_generators(seed)
    init_error = None
    fetcher = None
    if worker_init_fn is not None:
        try:
            worker_init_fn(worker_id)
        except Exception as e:
            init_error = _Failure(e, worker_id, "worker_init_fn")
    if init_error is None:
        try:
            fetcher = make_fetcher()
        except Exception as e:
            init_error = _Failure(e, worker_id, "starting the dataset iterator")
    ended = False
    while not done.is_set():
        task = tasks.get()
        if task is STOP:
            break
        if task is RESUME:
            ended = False
            try:
                fetcher = make_fetcher() if init_error is None else None
            except Exception as e:
                init_error = _Failure(e, worker_id, "starting the dataset iterator")
            results.put((None, _Resumed(worker_id)))
            continue
        idx, index = task
        if init_error is not None:
            results.put((idx, init_error))
            continue
        if ended:
            results.put((idx, _IterableEnd(worker_id)))
            continue
        try:
            data = fetcher.fetch(index)
        except StopIteration:
            ended = True
            data = _IterableEnd(worker_id)
        except Exception as e:
            data = _Failure(e, worker_id, "fetching a batch")
        results.put((idx, data))
    _local.info = None
