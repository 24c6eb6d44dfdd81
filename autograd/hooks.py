"""Handles returned by every ``register_*hook`` call."""

from __future__ import annotations

import itertools
from typing import Any

_ids = itertools.count()


class RemovableHandle:
    """Removes the hook it was returned for; also a context manager.

    Example:
        >>> import autograd
        >>> x = autograd.ones(2, requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 2)
        >>> h.remove()
    """

    __slots__ = ("_store", "id")

    def __init__(self, store: dict[int, Any]) -> None:
        self._store = store
        self.id = next(_ids)

    def remove(self) -> None:
        self._store.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()
