"""Samplers: the order in which a ``DataLoader`` visits a map-style dataset. Mirrors
``torch.utils.data.sampler``.

Randomness comes from an ``autograd.Generator``: pass one (seeded) for a reproducible
order; without one, ``RandomSampler`` draws a fresh seed from the default generator each
epoch, so ``autograd.manual_seed`` makes a whole run reproducible.

Example:
    >>> from autograd.utils.data import BatchSampler, SequentialSampler
    >>> list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False))
    [[0, 1, 2], [3, 4, 5], [6]]
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, Generic, TypeVar

from ... import backend
from ...creation import as_tensor
from ...random import Generator, multinomial, randint, randperm
from ...tensor import Tensor

__all__ = [
    "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
    "WeightedRandomSampler", "BatchSampler",
]

T_co = TypeVar("T_co", covariant=True)

_INT64_MAX = 2**63 - 1


def _fresh_seed(generator: Generator | None = None) -> int:
    """One 63-bit seed drawn from ``generator`` (the default generator when None)."""
    return int(randint(0, _INT64_MAX, (), generator=generator).item())


def _positive_int(name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value}")


class Sampler(Generic[T_co]):
    """Base class: subclasses define ``__iter__`` (indices, or lists of indices for a
    batch sampler) and usually ``__len__``.

    Example:
        >>> from autograd.utils.data import Sampler
        >>> class Evens(Sampler):
        ...     def __init__(self, n):
        ...         self.n = n
        ...     def __iter__(self):
        ...         return iter(range(0, self.n, 2))
        ...     def __len__(self):
        ...         return (self.n + 1) // 2
        >>> list(Evens(5)), len(Evens(5))
        ([0, 2, 4], 3)
    """


class SequentialSampler(Sampler[int]):
    """``0, 1, ..., len(data_source) - 1``, always in that order.

    Example:
        >>> from autograd.utils.data import SequentialSampler
        >>> list(SequentialSampler("abc"))
        [0, 1, 2]
    """

    data_source: Sized

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """Random indices: a fresh permutation (without replacement; ``num_samples`` beyond
    the dataset size continues with further permutations) or independent uniform draws
    (``replacement=True``).

    Example:
        >>> import autograd
        >>> from autograd.utils.data import RandomSampler
        >>> s = RandomSampler(range(5), generator=autograd.Generator().manual_seed(0))
        >>> sorted(s)
        [0, 1, 2, 3, 4]
        >>> len(RandomSampler(range(5), replacement=True, num_samples=12))
        12
    """

    data_source: Sized
    replacement: bool

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None, generator: Generator | None = None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        _positive_int("num_samples", self.num_samples)

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        if n == 0:
            raise ValueError(
                f"RandomSampler: the data source is empty, so {self.num_samples} samples "
                f"cannot be drawn from it"
            )
        if self.generator is None:
            gen = Generator().manual_seed(_fresh_seed())
        else:
            gen = self.generator
        total = self.num_samples
        if self.replacement:
            # Draw in chunks so a huge num_samples stays lazy.
            for _ in range(total // 32):
                yield from randint(0, n, (32,), generator=gen).tolist()
            yield from randint(0, n, (total % 32,), generator=gen).tolist()
        else:
            for _ in range(total // n):
                yield from randperm(n, generator=gen).tolist()
            if total % n:
                yield from randperm(n, generator=gen).tolist()[: total % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given indices in a random order (without replacement).

    Example:
        >>> import autograd
        >>> from autograd.utils.data import SubsetRandomSampler
        >>> sorted(SubsetRandomSampler([10, 20, 30], generator=autograd.Generator().manual_seed(1)))
        [10, 20, 30]
    """

    indices: Sequence[int]

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for i in randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """Indices ``0 .. len(weights)-1`` drawn with probability proportional to ``weights``.

    Example:
        >>> import autograd
        >>> from autograd.utils.data import WeightedRandomSampler
        >>> g = autograd.Generator().manual_seed(0)
        >>> set(WeightedRandomSampler([0.0, 1.0, 0.0], 5, generator=g))
        {1}
    """

    weights: Tensor
    num_samples: int
    replacement: bool

    def __init__(self, weights: Sequence[float] | Tensor, num_samples: int,
                 replacement: bool = True, generator: Generator | None = None) -> None:
        _positive_int("num_samples", num_samples)
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        w = as_tensor(weights, dtype=backend.float64)
        if w.dim() != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape {tuple(w.shape)}"
            )
        self.weights = w
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        drawn = multinomial(self.weights, self.num_samples, self.replacement,
                            generator=self.generator)
        yield from drawn.tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Groups the indices of ``sampler`` into lists of ``batch_size``; the last, shorter
    list is dropped when ``drop_last``.

    Example:
        >>> from autograd.utils.data import BatchSampler
        >>> list(BatchSampler(range(7), batch_size=3, drop_last=True))
        [[0, 1, 2], [3, 4, 5]]
    """

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int,
                 drop_last: bool) -> None:
        _positive_int("batch_size", batch_size)
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        it = iter(self.sampler)
        while True:
            batch = list(itertools.islice(it, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size
