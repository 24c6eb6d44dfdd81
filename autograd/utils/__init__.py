"""Utilities that mirror ``torch.utils``: ``autograd.utils.data`` (datasets, samplers and
the DataLoader).

Example:
    >>> import autograd
    >>> from autograd.utils import data
    >>> len(data.TensorDataset(autograd.zeros(3, 2)))
    3
"""

from . import data

__all__ = ["data"]
