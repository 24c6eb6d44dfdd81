"""Data loading, mirroring ``torch.utils.data``: datasets, samplers, ``DataLoader`` and
collation.

Example:
    >>> import autograd
    >>> from autograd.utils.data import DataLoader, TensorDataset
    >>> x, y = autograd.randn(6, 3), autograd.arange(6)
    >>> for xb, yb in DataLoader(TensorDataset(x, y), batch_size=4):
    ...     print(tuple(xb.shape), yb.tolist())
    (4, 3) [0, 1, 2, 3]
    (2, 3) [4, 5]
"""

from ._collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from .worker import WorkerInfo, get_worker_info

__all__ = [
    "Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset",
    "ChainDataset", "Subset", "random_split", "Sampler", "SequentialSampler", "RandomSampler",
    "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "DataLoader",
    "default_collate", "default_convert", "get_worker_info", "WorkerInfo",
]
