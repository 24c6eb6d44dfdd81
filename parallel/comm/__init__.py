"""Communicators: collectives on raw arrays for each backend."""

from .base import (
    CollectiveMismatch,
    CollectiveTimeout,
    Communicator,
    CompletedWork,
    PeerFailure,
    ReduceOp,
    Work,
)
from .single import SingleComm
from .threads import ThreadComm, ThreadGroup

__all__ = [
    "Communicator", "ReduceOp", "Work", "CompletedWork", "CollectiveTimeout", "PeerFailure",
    "CollectiveMismatch", "SingleComm", "ThreadComm", "ThreadGroup",
]
