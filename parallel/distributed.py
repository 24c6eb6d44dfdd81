"""Process groups and collectives on tensors (mirrors ``torch.distributed``).

``init_process_group()`` picks the backend: under ``mpiexec`` the MPI world, otherwise
a world of one process (same code path, no MPI import). Inside ``parallel.spawn`` each
thread is a virtual rank of the ``"threads"`` backend.

Example:
    >>> import autograd, parallel
    >>> parallel.init_process_group()
    >>> t = autograd.ones(3)
    >>> parallel.all_reduce(t)
    >>> t.tolist(), parallel.get_rank(), parallel.get_world_size()
    ([1.0, 1.0, 1.0], 0, 1)
    >>> parallel.destroy_process_group()
"""

from __future__ import annotations

import datetime
import os
import threading
from typing import Any

from autograd import backend
from autograd.tensor import Tensor

from .comm.base import Communicator, CompletedWork, ReduceOp, Work
from .comm.single import SingleComm

__all__ = [
    "ProcessGroup", "init_process_group", "is_initialized", "is_available", "is_mpi_available",
    "destroy_process_group", "get_rank", "get_world_size", "get_local_rank", "get_backend",
    "new_group", "barrier", "monitored_barrier", "all_reduce", "broadcast", "all_gather",
    "all_gather_into_tensor", "reduce_scatter_tensor", "reduce_scatter", "all_to_all",
    "all_to_all_single", "reduce", "gather", "scatter", "send", "recv", "isend", "irecv",
    "broadcast_object_list", "all_gather_object", "gather_object", "ReduceOp", "Work",
    "group", "under_mpiexec", "default_group",
]

_MPI_ENV = ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MPI_LOCALRANKID",
            "HYDRA_CONTROL_FD")


class ProcessGroup:
    """A group of ranks with its communicator. ``ranks`` are global ranks in group order."""

    def __init__(self, comm: Communicator, ranks: list[int], backend_name: str,
                 local_rank: int = 0) -> None:
        self.comm = comm
        self.ranks = list(ranks)
        self.backend = backend_name
        self.local_rank = local_rank

    def rank(self) -> int:
        return self.comm.rank

    def size(self) -> int:
        return self.comm.size

    def group_rank(self, global_rank: int, what: str) -> int:
        try:
            return self.ranks.index(global_rank)
        except ValueError:
            raise ValueError(
                f"{what}: global rank {global_rank} is not part of this group (ranks {self.ranks})"
            ) from None

    def __repr__(self) -> str:
        return f"ProcessGroup(backend={self.backend!r}, rank={self.rank()}, size={self.size()})"


class group:
    """``group.WORLD`` is the default group (None means the same)."""

    WORLD = None


class _Local(threading.local):
    world: ProcessGroup | None = None
    thread_comm: Communicator | None = None  # set by parallel.spawn for virtual ranks


_local = _Local()
_global: dict[str, ProcessGroup | None] = {"world": None}


def under_mpiexec() -> bool:
    """True when this process was started by an MPI launcher."""
    return any(k in os.environ for k in _MPI_ENV)


def default_group() -> ProcessGroup:
    w = _local.world or _global["world"]
    if w is None:
        raise RuntimeError(
            "Default process group has not been initialized, please make sure to call "
            "init_process_group."
        )
    return w


def _group(g: ProcessGroup | None) -> ProcessGroup:
    return default_group() if g is None else g


def is_initialized() -> bool:
    return (_local.world or _global["world"]) is not None


def is_available() -> bool:
    return True


def is_mpi_available() -> bool:
    try:
        import mpi4py  # noqa: F401

        return True
    except ImportError:
        return False


def _seconds(timeout: Any) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    return float(timeout)


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: Any = None, world_size: int = -1, rank: int = -1,
                       store: Any = None, group_name: str = "", pg_options: Any = None,
                       device_id: Any = None) -> None:
    """Join the default process group.

    ``backend``: None (automatic: ``"mpi"`` under mpiexec, else a world of one),
    ``"mpi"``, ``"threads"`` (inside ``parallel.spawn``), ``"single"``, ``"nccl"`` (GPU
    arrays through NCCL, bootstrapped over MPI; each rank uses GPU local_rank mod the
    GPUs it sees); ``"gloo"`` is accepted as automatic for ported scripts. ``timeout`` (seconds or timedelta) bounds
    every collective wait; None waits forever.
    """
    if is_initialized():
        raise RuntimeError("trying to initialize the default process group twice!")
    secs = _seconds(timeout)
    name = (backend or "auto").lower()
    if name in ("auto", "gloo", "cpu:gloo"):
        if _local.thread_comm is not None:
            name = "threads"
        else:
            name = "mpi" if under_mpiexec() else "single"
    use_nccl = name == "nccl"
    if use_nccl:  # NCCL for GPU arrays over an MPI (or virtual-rank) host group
        from .comm.nccl import nccl_module

        nccl_module()  # a clear error when CuPy, a GPU or NCCL is missing
        name = "threads" if _local.thread_comm is not None else "mpi"
    if name == "threads":
        comm = _local.thread_comm
        if comm is None:
            raise RuntimeError(
                "backend='threads' runs virtual ranks as threads: start them with "
                "parallel.spawn(fn, nprocs=N) or `python -m launch --threads N script.py`"
            )
        if secs is not None:
            comm.timeout = secs
        pg = ProcessGroup(comm, list(range(comm.size)), "threads", comm.rank)
        _local.world = _with_nccl(pg) if use_nccl else pg
        return
    if name == "single":
        if world_size not in (-1, 1) or rank not in (-1, 0):
            raise RuntimeError(
                f"world_size={world_size}, rank={rank} requested but this process was not "
                "started by mpiexec; run it with `python -m launch -n N script.py` or "
                "`mpiexec -n N python script.py`"
            )
        _global["world"] = ProcessGroup(SingleComm(), [0], "single", 0)
        return
    if name != "mpi":
        raise ValueError(
            f"unknown backend {backend!r}: expected None, 'mpi', 'nccl', 'threads', 'single' or "
            "'gloo'"
        )
    from .comm.mpi import MPIComm, mpi

    MPI = mpi()
    world = MPI.COMM_WORLD
    if world_size not in (-1, world.Get_size()):
        raise RuntimeError(
            f"init_process_group(world_size={world_size}) but mpiexec started "
            f"{world.Get_size()} ranks"
        )
    if rank not in (-1, world.Get_rank()):
        raise RuntimeError(f"init_process_group(rank={rank}) but MPI says this is rank {world.Get_rank()}")
    comm = MPIComm(world.Dup(), secs)
    node = world.Split_type(MPI.COMM_TYPE_SHARED)
    local = node.Get_rank()
    node.Free()
    pg = ProcessGroup(comm, list(range(comm.size)), "mpi", local)
    _global["world"] = _with_nccl(pg) if use_nccl else pg
    if comm.size > 1:
        from .robust import install_abort_on_exception

        install_abort_on_exception(comm)


def _with_nccl(pg: ProcessGroup) -> ProcessGroup:
    """``pg`` with an NCCL communicator on top of its host one (this rank's GPU: the
    local rank modulo the GPUs it sees, made current)."""
    from .comm.nccl import NCCLComm

    comm = NCCLComm(pg.comm, pg.local_rank % backend.device_count())
    return ProcessGroup(comm, pg.ranks, "nccl", pg.local_rank)


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Leave the default group (or forget a subgroup)."""
    if group is not None and group is not (_local.world or _global["world"]):
        return
    if _local.world is not None:
        _local.world = None
    else:
        _global["world"] = None


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank in ``group`` (-1 when not a member of a subgroup)."""
    if group is None and not is_initialized():
        raise RuntimeError(
            "Default process group has not been initialized, please make sure to call "
            "init_process_group."
        )
    return _group(group).rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    return _group(group).size()


def get_local_rank() -> int:
    """Rank among the processes on this machine."""
    return default_group().local_rank


def get_backend(group: ProcessGroup | None = None) -> str:
    return _group(group).backend


def new_group(ranks: list[int] | None = None, timeout: Any = None, backend: str | None = None,
              pg_options: Any = None, use_local_synchronization: bool = False) -> ProcessGroup | None:
    """A subgroup of the default group; every rank must call it (non-members get None)."""
    world = default_group()
    ranks = list(range(world.size())) if ranks is None else sorted(int(r) for r in ranks)
    if len(set(ranks)) != len(ranks):
        raise ValueError(f"new_group: duplicate ranks in {ranks}")
    for r in ranks:
        if not 0 <= r < world.size():
            raise ValueError(f"new_group: rank {r} is not in the world of size {world.size()}")
    comm = world.comm.split(ranks)
    if comm is None:
        return None
    secs = _seconds(timeout)
    if secs is not None:
        comm.timeout = secs
    return ProcessGroup(comm, ranks, world.backend, world.local_rank)


# ----------------------------------------------------------------------------- helpers


def _array(t: Tensor, what: str) -> Any:
    if not isinstance(t, Tensor):
        raise TypeError(f"{what} expects a Tensor, got {type(t).__name__}")
    arr = t._data
    if not arr.flags.c_contiguous:
        raise ValueError(f"{what}: Tensors must be contiguous; call .contiguous() first")
    return arr


def _bump(*tensors: Tensor) -> None:
    for t in tensors:
        t._vc[0] += 1


def _done(work: Work, async_op: bool) -> Work | None:
    if async_op:
        return work
    work.wait()
    return None


# ----------------------------------------------------------------------------- collectives


def barrier(group: ProcessGroup | None = None, async_op: bool = False,
            device_ids: Any = None) -> Work | None:
    """Wait until every rank of the group arrives."""
    _group(group).comm.barrier()
    return CompletedWork() if async_op else None


def monitored_barrier(group: ProcessGroup | None = None, timeout: Any = None,
                      wait_all_ranks: bool = False) -> None:
    """A barrier that raises (naming the missing ranks where the backend can) when not
    every rank arrives within ``timeout``."""
    pg = _group(group)
    saved = pg.comm.timeout
    pg.comm.timeout = _seconds(timeout) if timeout is not None else saved
    try:
        pg.comm.barrier()
    finally:
        pg.comm.timeout = saved


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """Reduce ``tensor`` across ranks, in place (every rank gets the result).

    Example:
        >>> import autograd, parallel
        >>> parallel.init_process_group()
        >>> t = autograd.tensor([2.0]); parallel.all_reduce(t, op=parallel.ReduceOp.MAX)
        >>> t.item()
        2.0
        >>> parallel.destroy_process_group()
    """
    arr = _array(tensor, "all_reduce")
    comm = _group(group).comm
    if not async_op:
        comm.allreduce(arr, op)
        _bump(tensor)
        return None
    return _Bumping(comm.iallreduce(arr, op), tensor)


class _Bumping(Work):
    """Bumps the version counter of the written tensors when the work completes."""

    def __init__(self, work: Work, *tensors: Tensor) -> None:
        self.work, self.tensors, self.bumped = work, tensors, False

    def wait(self, timeout: float | None = None) -> bool:
        self.work.wait(timeout)
        if not self.bumped:
            self.bumped = True
            _bump(*self.tensors)
        return True

    def is_completed(self) -> bool:
        return self.work.is_completed()


def broadcast(tensor: Tensor, src: int = 0, group: ProcessGroup | None = None,
              async_op: bool = False, group_src: int | None = None) -> Work | None:
    """Copy ``tensor`` from global rank ``src`` to every rank, in place."""
    pg = _group(group)
    root = group_src if group_src is not None else pg.group_rank(src, "broadcast")
    pg.comm.broadcast(_array(tensor, "broadcast"), root)
    _bump(tensor)
    return _done(CompletedWork(), async_op)


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor,
                           group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Concatenate every rank's ``input_tensor`` along dim 0 into ``output_tensor``."""
    pg = _group(group)
    inp = _array(input_tensor, "all_gather_into_tensor")
    out = _array(output_tensor, "all_gather_into_tensor")
    if out.size != inp.size * pg.size() or out.dtype != inp.dtype:
        raise ValueError(
            f"all_gather_into_tensor: output must hold world_size ({pg.size()}) x input "
            f"({list(inp.shape)}, {inp.dtype}) elements, got {list(out.shape)} {out.dtype}"
        )
    pg.comm.allgather(inp, out)
    _bump(output_tensor)
    return _done(CompletedWork(), async_op)


def all_gather(tensor_list: list[Tensor], tensor: Tensor, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """Fill ``tensor_list[r]`` with rank r's ``tensor`` (all the same shape)."""
    pg = _group(group)
    if len(tensor_list) != pg.size():
        raise ValueError(
            f"all_gather: tensor_list must have world_size ({pg.size()}) entries, got {len(tensor_list)}"
        )
    inp = _array(tensor, "all_gather")
    xp = backend.xp_of(inp)
    out = xp.empty((pg.size(),) + inp.shape, dtype=inp.dtype)
    pg.comm.allgather(inp, out)
    for r, t in enumerate(tensor_list):
        if tuple(t.shape) != inp.shape:
            raise ValueError(
                f"all_gather: tensor_list[{r}] has shape {list(t.shape)}, expected {list(inp.shape)}"
            )
        t._data[...] = out[r]
        _bump(t)
    return _done(CompletedWork(), async_op)


def reduce_scatter_tensor(output: Tensor, input: Tensor, op: ReduceOp = ReduceOp.SUM,
                          group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Reduce ``input`` across ranks and give rank r the r-th dim-0 chunk in ``output``."""
    pg = _group(group)
    inp = _array(input, "reduce_scatter_tensor")
    out = _array(output, "reduce_scatter_tensor")
    if inp.size != out.size * pg.size():
        raise ValueError(
            f"reduce_scatter_tensor: input must hold world_size ({pg.size()}) x output "
            f"({list(out.shape)}) elements, got {list(inp.shape)}"
        )
    pg.comm.reduce_scatter(inp, out, op)
    _bump(output)
    return _done(CompletedWork(), async_op)


def reduce_scatter(output: Tensor, input_list: list[Tensor], op: ReduceOp = ReduceOp.SUM,
                   group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Reduce ``input_list[r]`` across ranks into rank r's ``output``."""
    from autograd.ops.shape import stack

    return reduce_scatter_tensor(output, stack([t.detach() for t in input_list]).contiguous(),
                                 op, group, async_op)


def all_to_all_single(output: Tensor, input: Tensor, output_split_sizes: list[int] | None = None,
                      input_split_sizes: list[int] | None = None,
                      group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Send dim-0 chunk r of ``input`` to rank r; receive rank r's chunk into chunk r of
    ``output`` (equal splits)."""
    pg = _group(group)
    if output_split_sizes is not None or input_split_sizes is not None:
        sizes = {tuple(output_split_sizes or ()), tuple(input_split_sizes or ())}
        even = input.shape[0] // pg.size() if input.ndim else 0
        if any(s and set(s) != {even} for s in sizes):
            raise ValueError("all_to_all_single: only equal split sizes are supported")
    inp = _array(input, "all_to_all_single")
    out = _array(output, "all_to_all_single")
    if inp.size % pg.size() or out.size != inp.size:
        raise ValueError(
            f"all_to_all_single: input ({list(inp.shape)}) must split evenly over "
            f"{pg.size()} ranks and output must have the same size"
        )
    pg.comm.alltoall(inp, out)
    _bump(output)
    return _done(CompletedWork(), async_op)


def all_to_all(output_tensor_list: list[Tensor], input_tensor_list: list[Tensor],
               group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Send ``input_tensor_list[r]`` to rank r; receive from rank r into
    ``output_tensor_list[r]`` (all tensors the same shape)."""
    from autograd.ops.shape import stack

    pg = _group(group)
    if len(input_tensor_list) != pg.size() or len(output_tensor_list) != pg.size():
        raise ValueError(f"all_to_all: both lists need world_size ({pg.size()}) tensors")
    inp = stack([t.detach() for t in input_tensor_list]).contiguous()._data
    out = backend.xp_of(inp).empty_like(inp)
    pg.comm.alltoall(inp, out)
    for r, t in enumerate(output_tensor_list):
        t._data[...] = out[r]
        _bump(t)
    return _done(CompletedWork(), async_op)


def reduce(tensor: Tensor, dst: int = 0, op: ReduceOp = ReduceOp.SUM,
           group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Reduce ``tensor`` across ranks into global rank ``dst`` (others unchanged)."""
    pg = _group(group)
    root = pg.group_rank(dst, "reduce")
    pg.comm.reduce(_array(tensor, "reduce"), root, op)
    if pg.rank() == root:
        _bump(tensor)
    return _done(CompletedWork(), async_op)


def gather(tensor: Tensor, gather_list: list[Tensor] | None = None, dst: int = 0,
           group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Collect every rank's ``tensor`` into ``gather_list`` on global rank ``dst``."""
    pg = _group(group)
    root = pg.group_rank(dst, "gather")
    inp = _array(tensor, "gather")
    out = None
    if pg.rank() == root:
        if gather_list is None or len(gather_list) != pg.size():
            raise ValueError(f"gather: the destination needs a gather_list of {pg.size()} tensors")
        out = backend.xp_of(inp).empty((pg.size(),) + inp.shape, dtype=inp.dtype)
    elif gather_list:
        raise ValueError("gather: gather_list must be None (or empty) on non-destination ranks")
    pg.comm.gather(inp, out, root)
    if out is not None:
        for r, t in enumerate(gather_list):  # type: ignore[arg-type]
            t._data[...] = out[r]
            _bump(t)
    return _done(CompletedWork(), async_op)


def scatter(tensor: Tensor, scatter_list: list[Tensor] | None = None, src: int = 0,
            group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Give rank r ``scatter_list[r]`` from global rank ``src``, into ``tensor``."""
    from autograd.ops.shape import stack

    pg = _group(group)
    root = pg.group_rank(src, "scatter")
    out = _array(tensor, "scatter")
    send = None
    if pg.rank() == root:
        if scatter_list is None or len(scatter_list) != pg.size():
            raise ValueError(f"scatter: the source needs a scatter_list of {pg.size()} tensors")
        send = stack([t.detach() for t in scatter_list]).contiguous()._data
    pg.comm.scatter(send, out, root)
    _bump(tensor)
    return _done(CompletedWork(), async_op)


def send(tensor: Tensor, dst: int, group: ProcessGroup | None = None, tag: int = 0) -> None:
    """Send ``tensor`` to global rank ``dst`` (blocking)."""
    pg = _group(group)
    pg.comm.send(_array(tensor, "send"), pg.group_rank(dst, "send"), tag)


def recv(tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None,
         tag: int = 0) -> int:
    """Receive into ``tensor`` from global rank ``src``; returns the sender's rank."""
    if src is None:
        raise ValueError("recv: src must be given (receiving from any rank is not supported)")
    pg = _group(group)
    pg.comm.recv(_array(tensor, "recv"), pg.group_rank(src, "recv"), tag)
    _bump(tensor)
    return src


def isend(tensor: Tensor, dst: int, group: ProcessGroup | None = None, tag: int = 0) -> Work:
    pg = _group(group)
    comm = pg.comm
    arr = _array(tensor, "isend")
    if hasattr(comm, "isend"):
        return comm.isend(arr, pg.group_rank(dst, "isend"), tag)
    comm.send(arr, pg.group_rank(dst, "isend"), tag)
    return CompletedWork()


def irecv(tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None,
          tag: int = 0) -> Work:
    if src is None:
        raise ValueError("irecv: src must be given")
    pg = _group(group)
    comm = pg.comm
    arr = _array(tensor, "irecv")
    if hasattr(comm, "irecv"):
        return _Bumping(comm.irecv(arr, pg.group_rank(src, "irecv"), tag), tensor)
    comm.recv(arr, pg.group_rank(src, "irecv"), tag)
    _bump(tensor)
    return CompletedWork()


# ----------------------------------------------------------------------------- objects


def broadcast_object_list(object_list: list[Any], src: int = 0, group: ProcessGroup | None = None,
                          device: Any = None) -> None:
    """Replace ``object_list``'s entries on every rank by those of global rank ``src``
    (small picklable objects only)."""
    pg = _group(group)
    got = pg.comm.bcast_object(list(object_list), pg.group_rank(src, "broadcast_object_list"))
    if len(got) != len(object_list):
        raise ValueError(
            f"broadcast_object_list: rank {src} sent {len(got)} objects, this rank's list "
            f"has {len(object_list)} entries"
        )
    object_list[:] = got


def all_gather_object(object_list: list[Any], obj: Any, group: ProcessGroup | None = None) -> None:
    """Fill ``object_list[r]`` with rank r's ``obj`` (small picklable objects only)."""
    pg = _group(group)
    if len(object_list) != pg.size():
        raise ValueError(
            f"all_gather_object: object_list must have world_size ({pg.size()}) entries, got "
            f"{len(object_list)}"
        )
    object_list[:] = pg.comm.allgather_object(obj)


def gather_object(obj: Any, object_gather_list: list[Any] | None = None, dst: int = 0,
                  group: ProcessGroup | None = None) -> None:
    """Collect every rank's ``obj`` into ``object_gather_list`` on global rank ``dst``."""
    pg = _group(group)
    allobjs = pg.comm.allgather_object(obj)
    if pg.rank() == pg.group_rank(dst, "gather_object"):
        if object_gather_list is None or len(object_gather_list) != pg.size():
            raise ValueError(f"gather_object: dst needs a list of {pg.size()} entries")
        object_gather_list[:] = allobjs
