"""Placements: how a DTensor's logical tensor lies on one dimension of a DeviceMesh
(mirrors ``torch.distributed.tensor.placement_types``).

- ``Shard(dim)``: tensor dimension ``dim`` is split into ``mesh.size(mesh_dim)`` chunks
  following ``torch.chunk``'s rule (every chunk ``ceil(size / n)`` long except the tail,
  so the last ranks may hold shorter or empty chunks when ``size`` does not divide).
- ``Replicate()``: every rank holds the whole tensor.
- ``Partial(reduce_op)``: every rank holds a tensor of the full shape; the logical value
  is their sum (``"sum"``) or mean (``"avg"``), a reduction still pending.

Example:
    >>> from dtensor import Shard, Replicate, Partial
    >>> Shard(0), Replicate(), Partial()
    (Shard(dim=0), Replicate(), Partial(sum))
    >>> Shard.local_shard_size_and_offset(5, 4, 2)
    (1, 4)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Placement", "Shard", "Replicate", "Partial", "chunk_sizes", "chunk_offsets"]

_PARTIAL_OPS = ("sum", "avg")


def chunk_sizes(size: int, n: int) -> list[int]:
    """Sizes of the ``n`` chunks of a dimension of ``size`` under ``torch.chunk``'s rule,
    padded with empty chunks so there is one per rank.

    Example:
        >>> chunk_sizes(5, 4), chunk_sizes(8, 4), chunk_sizes(1, 3)
        ([2, 2, 1, 0], [2, 2, 2, 2], [1, 0, 0])
    """
    step = -(-size // n) if size else 0
    return [max(0, min(step, size - i * step)) for i in range(n)]


def chunk_offsets(size: int, n: int) -> list[int]:
    """Start offset of each chunk of :func:`chunk_sizes` (empty chunks start at ``size``).

    Example:
        >>> chunk_offsets(5, 4)
        [0, 2, 4, 5]
    """
    step = -(-size // n) if size else 0
    return [min(i * step, size) for i in range(n)]


class Placement:
    """Base class of the placement types."""

    def is_shard(self, dim: int | None = None) -> bool:
        return False

    def is_replicate(self) -> bool:
        return False

    def is_partial(self, reduce_op: str | None = None) -> bool:
        return False


@dataclass(frozen=True)
class Shard(Placement):
    """Tensor dimension ``dim`` is split across the ranks of a mesh dimension.

    Example:
        >>> from dtensor import Shard
        >>> Shard(1).is_shard(), Shard(1).is_shard(dim=0), str(Shard(1))
        (True, False, 'S(1)')
    """

    dim: int

    def __post_init__(self) -> None:
        if not isinstance(self.dim, int) or isinstance(self.dim, bool):
            raise TypeError(f"Shard(dim) takes an int tensor dimension, got {self.dim!r}")

    def is_shard(self, dim: int | None = None) -> bool:
        return dim is None or dim == self.dim

    @staticmethod
    def local_shard_size_and_offset(curr_local_size: int, num_chunks: int,
                                    rank: int) -> tuple[int, int]:
        """``(size, offset)`` of chunk ``rank`` when ``curr_local_size`` elements are split
        into ``num_chunks`` chunks.

        Example:
            >>> from dtensor import Shard
            >>> [Shard.local_shard_size_and_offset(5, 4, r) for r in range(4)]
            [(2, 0), (2, 2), (1, 4), (0, 5)]
        """
        return (chunk_sizes(curr_local_size, num_chunks)[rank],
                chunk_offsets(curr_local_size, num_chunks)[rank])

    def __repr__(self) -> str:
        return f"Shard(dim={self.dim})"

    def __str__(self) -> str:
        return f"S({self.dim})"


@dataclass(frozen=True)
class Replicate(Placement):
    """Every rank of the mesh dimension holds the whole tensor.

    Example:
        >>> from dtensor import Replicate
        >>> Replicate().is_replicate(), str(Replicate())
        (True, 'R')
    """

    def is_replicate(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "Replicate()"

    def __str__(self) -> str:
        return "R"


@dataclass(frozen=True)
class Partial(Placement):
    """Every rank holds a full-shape tensor; the logical tensor is their reduction,
    ``"sum"`` (default) or ``"avg"``.

    Example:
        >>> from dtensor import Partial
        >>> Partial("avg"), Partial().is_partial("sum")
        (Partial(avg), True)
    """

    reduce_op: str = "sum"

    def __post_init__(self) -> None:
        if self.reduce_op not in _PARTIAL_OPS:
            raise ValueError(
                f"Partial(reduce_op={self.reduce_op!r}) is not supported: dtensor implements "
                f"the linear reductions {list(_PARTIAL_OPS)} (whose gradients are defined); "
                "reduce with 'max'/'min' on local tensors through parallel.all_reduce instead"
            )

    def is_partial(self, reduce_op: str | None = None) -> bool:
        return reduce_op is None or reduce_op == self.reduce_op

    def __repr__(self) -> str:
        return f"Partial({self.reduce_op})"

    def __str__(self) -> str:
        return f"P({self.reduce_op})"


def parse_placement(text: str) -> Placement:
    """The placement written by ``str(placement)`` (used by checkpoint metadata).

    Example:
        >>> from dtensor.placement import parse_placement
        >>> parse_placement("S(1)"), parse_placement("R"), parse_placement("P(avg)")
        (Shard(dim=1), Replicate(), Partial(avg))
    """
    if text == "R":
        return Replicate()
    if text.startswith("S(") and text.endswith(")"):
        return Shard(int(text[2:-1]))
    if text.startswith("P(") and text.endswith(")"):
        return Partial(text[2:-1])
    raise ValueError(f"unknown placement {text!r}: expected 'R', 'S(<dim>)' or 'P(<op>)'")
