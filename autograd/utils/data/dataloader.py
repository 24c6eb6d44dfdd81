"""``DataLoader``: batches from a dataset, in order or shuffled, in the main thread or in
worker threads. Mirrors ``torch.utils.data.DataLoader`` (same arguments, defaults, errors
and the same use of the generator: one draw for the workers' base seed per epoch, then
the sampler's draws).

Example:
    >>> import autograd
    >>> from autograd.utils.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(autograd.arange(10).float(), autograd.arange(10))
    >>> loader = DataLoader(ds, batch_size=4, shuffle=True, generator=autograd.Generator().manual_seed(0))
    >>> len(loader), [len(y) for x, y in loader]
    (3, [4, 4, 2])
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import queue
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ...random import Generator
from ._collate import default_collate, default_convert
from .dataset import IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _fresh_seed
from .worker import RESUME, STOP, _Failure, _IterableEnd, _Resumed, worker_loop

__all__ = ["DataLoader"]

# How long the main thread waits on the result queue before checking that its worker
# threads are still alive (a dead worker must become an error, never a hang).
_POLL_S = 5.0


class _InfiniteConstantSampler(Sampler):
    """The sampler of an iterable dataset: ``None`` forever (the dataset decides the end)."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


# ----------------------------------------------------------------------------- fetchers


class _MapFetcher:
    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable,
                 drop_last: bool) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        # A TensorDataset batched by default_collate is one gather per tensor instead of
        # one index per sample plus a stack: the same values, far fewer small ops.
        self.gather = (auto_collation and collate_fn is default_collate
                       and type(dataset) is TensorDataset)

    def fetch(self, index: Any) -> Any:
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self.gather:
            index = list(index)  # a list index works on every device
            return [t[index] for t in self.dataset.tensors]
        fetch_many = getattr(self.dataset, "__getitems__", None)
        if callable(fetch_many):
            data = fetch_many(index)
        else:
            data = [self.dataset[i] for i in index]
        return self.collate_fn(data)


class _IterableFetcher:
    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable,
                 drop_last: bool) -> None:
        self.it = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index: Any) -> Any:
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.it))
        data = []
        for _ in index:
            try:
                data.append(next(self.it))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(index)):
            raise StopIteration
        return self.collate_fn(data)


# ----------------------------------------------------------------------------- the loader


class DataLoader:
    """Iterate over ``dataset`` in batches.

    - ``batch_size`` samples per batch (``None``: no batching, samples one by one through
      ``default_convert``); ``drop_last`` drops a short last batch.
    - ``shuffle=True`` draws a new permutation each epoch from ``generator`` (a seeded
      ``autograd.Generator`` gives the same order on every run; without one the default
      generator is used, so ``autograd.manual_seed`` fixes it). Or give a ``sampler`` /
      ``batch_sampler`` (mutually exclusive with ``shuffle``, and the latter with
      ``batch_size``/``drop_last``).
    - ``collate_fn`` turns a list of samples into a batch (``default_collate``).
    - ``num_workers > 0`` fetches batches in that many worker threads, ``prefetch_factor``
      batches ahead each, and yields them in order: the same batches as ``num_workers=0``.
      ``worker_init_fn(worker_id)`` runs first in each worker; ``persistent_workers`` keeps
      them between epochs; ``timeout`` bounds the wait for one batch (seconds, 0: none).
    - ``pin_memory``, ``pin_memory_device``, ``multiprocessing_context`` and ``in_order``
      are accepted for compatibility; workers are threads, batches always come in order.

    Example:
        >>> import autograd
        >>> from autograd.utils.data import DataLoader
        >>> [b.tolist() for b in DataLoader(range(5), batch_size=2, drop_last=True)]
        [[0, 1], [2, 3]]
    """

    dataset: Any
    batch_size: int | None
    num_workers: int
    drop_last: bool
    sampler: Any
    batch_sampler: Any
    __initialized = False

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable | None = None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable | None = None, multiprocessing_context: Any = None,
                 generator: Generator | None = None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True) -> None:
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; use num_workers=0 to disable "
                "multiprocessing."
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing. let "
                "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None:
            if num_workers == 0:
                raise ValueError(
                    "multiprocessing_context can only be used with multi-process loading "
                    f"(num_workers > 0), but got num_workers={num_workers}"
                )
            methods = multiprocessing.get_all_start_methods()
            if isinstance(multiprocessing_context, str) and multiprocessing_context not in methods:
                raise ValueError(
                    f"multiprocessing_context option should specify a valid start method in "
                    f"{methods!r}, but got multiprocessing_context={multiprocessing_context!r}"
                )

        if isinstance(dataset, IterableDataset):
            self._iterable = True
            if shuffle not in (False, None):
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but "
                    f"got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified sampler option, but "
                    f"got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified batch_sampler "
                    f"option, but got batch_sampler={batch_sampler}"
                )
        else:
            self._iterable = False
            shuffle = bool(shuffle)

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive "
                "with drop_last"
            )

        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._len_reported: int | None = None
        self._iterator: _BaseIter | None = None
        self.__initialized = True
        self._check_worker_count()

    def __setattr__(self, attr: str, val: Any) -> None:
        if self.__initialized and attr in (
            "batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers",
        ):
            raise ValueError(
                f"{attr} attribute should not be set after {self.__class__.__name__} is initialized"
            )
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Any:
        return self.batch_sampler if self._auto_collation else self.sampler

    def _make_fetcher(self) -> Any:
        cls = _IterableFetcher if self._iterable else _MapFetcher
        return cls(self.dataset, self._auto_collation, self.collate_fn, self.drop_last)

    def __iter__(self) -> _BaseIter:
        if self.num_workers == 0:
            return _SingleIter(self)
        if self.persistent_workers:
            if self._iterator is None:
                self._iterator = _ThreadedIter(self)
            else:
                self._iterator._reset(self)
            return self._iterator
        return _ThreadedIter(self)

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            self._len_reported = n
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
            return n
        return len(self._index_sampler)

    def _check_worker_count(self) -> None:
        if self.num_workers == 0:
            return
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:
            cores = os.cpu_count() or 1
        if self.num_workers > cores:
            warnings.warn(
                f"This DataLoader will create {self.num_workers} worker threads in total. Our "
                f"suggested max number of worker in current system is {cores}, which is smaller "
                f"than what this DataLoader is going to create. Lower num_workers if loading "
                f"gets slow.",
                stacklevel=3,
            )


# ----------------------------------------------------------------------------- iterators


class _BaseIter:
    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        self._iterable = loader._iterable
        self._len_reported = loader._len_reported
        self._num_workers = loader.num_workers
        self._sampler_iter = iter(loader._index_sampler)
        # Drawn every epoch, with or without workers, so that the generator advances the
        # same way whatever num_workers is (and the shuffles agree).
        self._base_seed = _fresh_seed(loader.generator)
        self._num_yielded = 0
        if loader.pin_memory:
            warnings.warn(
                "'pin_memory' argument is set as true but autograd tensors have no pinned "
                "host memory, so device pinned memory won't be used.",
                stacklevel=3,
            )

    def __iter__(self) -> _BaseIter:
        return self

    def __len__(self) -> int:
        return len(self._loader._index_sampler)

    def _next_index(self) -> Any:
        return next(self._sampler_iter)

    def _next_data(self) -> Any:
        raise TypeError(f"{type(self).__name__} does not fetch data")

    def __next__(self) -> Any:
        data = self._next_data()
        self._num_yielded += 1
        if (self._iterable and self._len_reported is not None
                and self._num_yielded > self._len_reported):
            warnings.warn(
                f"Length of IterableDataset {self._loader.dataset} was reported to be "
                f"{self._len_reported} (when accessing len(dataloader)), but "
                f"{self._num_yielded} samples have been fetched.",
                stacklevel=2,
            )
        return data


class _SingleIter(_BaseIter):
    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._fetcher = loader._make_fetcher()

    def _next_data(self) -> Any:
        return self._fetcher.fetch(self._next_index())


class _ThreadedIter(_BaseIter):
    """Round-robin dispatch of batch indices to worker threads; results are reordered so
    they come out in sampler order."""

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        n = loader.num_workers
        self._persistent = loader.persistent_workers
        self._timeout = loader.timeout
        self._prefetch = max(1, loader.prefetch_factor * n)
        self._results: queue.SimpleQueue = queue.SimpleQueue()
        self._done = threading.Event()
        self._tasks = [queue.SimpleQueue() for _ in range(n)]
        self._threads = []
        for wid in range(n):
            th = threading.Thread(
                target=worker_loop, name=f"DataLoader-worker-{wid}", daemon=True,
                args=(wid, n, self._base_seed + wid, loader.dataset, loader._make_fetcher,
                      loader.worker_init_fn, self._tasks[wid], self._results, self._done),
            )
            th.start()
            self._threads.append(th)
        self._shutdown_done = False
        self._start_epoch(first=True)

    def _start_epoch(self, first: bool) -> None:
        n = self._num_workers
        self._active = [True] * n
        self._cycle = itertools.cycle(range(n))
        self._send_idx = 0
        self._rcvd_idx = 0
        self._pending: dict[int, tuple] = {}  # task idx -> (worker,) or (worker, data)
        self._outstanding = 0
        if not first:
            # Restart the workers' streams; whatever they still send from the last epoch
            # arrives before their acknowledgement and is dropped.
            for q in self._tasks:
                q.put(RESUME)
            waiting = n
            while waiting:
                _, data = self._get()
                if isinstance(data, _Resumed):
                    waiting -= 1
        for _ in range(self._prefetch):
            self._put_index()

    def _reset(self, loader: DataLoader) -> None:
        self._sampler_iter = iter(loader._index_sampler)
        self._num_yielded = 0
        self._len_reported = loader._len_reported
        self._start_epoch(first=False)

    def _put_index(self) -> None:
        if self._outstanding >= self._prefetch:
            return
        for _ in range(self._num_workers):
            wid = next(self._cycle)
            if self._active[wid]:
                break
        else:
            return  # every worker's stream has ended
        try:
            index = self._next_index()
        except StopIteration:
            return
        self._tasks[wid].put((self._send_idx, index))
        self._pending[self._send_idx] = (wid,)
        self._outstanding += 1
        self._send_idx += 1

    def _get(self) -> tuple:
        waited = 0.0
        while True:
            step = _POLL_S if self._timeout <= 0 else min(_POLL_S, self._timeout - waited)
            try:
                return self._results.get(timeout=step)
            except queue.Empty:
                waited += step
                dead = [i for i, t in enumerate(self._threads) if not t.is_alive()]
                if dead:
                    self._shutdown()
                    raise RuntimeError(
                        f"DataLoader worker thread(s) {dead} exited unexpectedly"
                    ) from None
                if 0 < self._timeout <= waited:
                    self._shutdown()
                    raise RuntimeError(
                        f"DataLoader timed out after {self._timeout} seconds waiting for a "
                        f"batch; raise timeout= or look for a slow/blocked dataset"
                    ) from None

    def _next_data(self) -> Any:
        while True:
            # Skip tasks sent to workers whose stream ended before answering them.
            while self._rcvd_idx < self._send_idx:
                info = self._pending[self._rcvd_idx]
                if len(info) == 2 or self._active[info[0]]:
                    break
                del self._pending[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            info = self._pending[self._rcvd_idx]
            if len(info) == 2:
                del self._pending[self._rcvd_idx]
                self._rcvd_idx += 1
                self._put_index()
                return self._unwrap(info[1])
            idx, data = self._get()
            self._outstanding -= 1
            if isinstance(data, _IterableEnd):
                self._active[data.worker_id] = False
                self._put_index()
                continue
            if idx == self._rcvd_idx:
                del self._pending[idx]
                self._rcvd_idx += 1
                self._put_index()
                return self._unwrap(data)
            self._pending[idx] += (data,)

    def _unwrap(self, data: Any) -> Any:
        if isinstance(data, _Failure):
            self._shutdown()
            data.reraise()
        return data

    def _shutdown(self) -> None:
        if self._shutdown_done:
            return
        self._shutdown_done = True
        self._done.set()
        for q in self._tasks:
            q.put(STOP)
        for th in self._threads:
            if th is not threading.current_thread():
                th.join(timeout=_POLL_S)

    def __del__(self) -> None:
        if getattr(self, "_threads", None) is not None:
            self._shutdown()
