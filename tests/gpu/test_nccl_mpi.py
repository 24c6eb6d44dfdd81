"""The GPU communication paths without a GPU: the NCCL backend (bootstrap, routing,
stream ordering) over virtual ranks with a fake ``cupy.cuda.nccl``; the CUDA-aware MPI
probe with stand-in MPI communicators; staging and stream synchronisation of device
buffers over real MPI processes (mpiexec, the fake CuPy)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from types import SimpleNamespace

import numpy as np
import pytest

import autograd
import parallel
from autograd import amp, backend, nn
from parallel.comm import mpi as mpi_comm
from tests.gpu import fakecupy, fakenccl
from tests.parallel import mpirun


@pytest.fixture
def fake_nccl(fake_cuda: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    fakenccl.reset()
    monkeypatch.setattr(fakecupy.cuda, "nccl", fakenccl, raising=False)
    yield fake_cuda


def test_nccl_needs_cupy_and_nccl(monkeypatch: pytest.MonkeyPatch, fake_cuda: str) -> None:
    monkeypatch.delattr(fakecupy.cuda, "nccl", raising=False)
    with pytest.raises(RuntimeError, match="lacks.*use backend='mpi'"):
        parallel.init_process_group("nccl")
    monkeypatch.setattr(backend, "cupy", None)
    with pytest.raises(RuntimeError, match="needs CuPy with NCCL on NVIDIA GPUs.*backend='mpi'"):
        parallel.init_process_group("nccl")
    assert not parallel.is_initialized()


def test_nccl_bootstrap_and_collectives(fake_nccl: str) -> None:
    def work(rank: int) -> dict:
        parallel.init_process_group("nccl")
        out: dict = {"backend": parallel.get_backend(), "gpu": autograd.cuda.current_device()}
        t = autograd.full((3,), float(rank + 1), device="cuda")
        assert t.device == autograd.device(f"cuda:{rank}")
        parallel.all_reduce(t)
        out["sum"] = t.tolist()
        a = autograd.full((2,), float(rank), device="cuda")
        parallel.all_reduce(a, op=parallel.ReduceOp.AVG)
        out["avg"] = a.tolist()
        b = autograd.arange(2.0, device="cuda") + 10 * rank
        parallel.broadcast(b, src=1)
        out["bcast"] = b.tolist()
        g = autograd.empty(4, device="cuda")
        parallel.all_gather_into_tensor(g, autograd.full((2,), float(rank), device="cuda"))
        out["gather"] = g.tolist()
        rs = autograd.empty(1, device="cuda")
        parallel.reduce_scatter_tensor(rs, autograd.tensor([1.0, 2.0], device="cuda") * (rank + 1))
        out["rs"] = rs.tolist()
        x = autograd.arange(2.0, device="cuda") + 2 * rank
        y = autograd.empty(2, device="cuda")
        parallel.all_to_all_single(y, x)
        out["a2a"] = y.tolist()
        host = autograd.tensor([float(rank)])  # a host tensor goes through the host comm
        parallel.all_reduce(host, op=parallel.ReduceOp.MAX)
        out["host"] = host.tolist()
        work_ = parallel.all_reduce(autograd.ones(1, device="cuda"), async_op=True)
        out["async"] = work_.wait()
        parallel.barrier()
        parallel.destroy_process_group()
        return out

    got = parallel.spawn(work, nprocs=2)
    assert len(fakenccl.ids_made) == 1, "only rank 0 asks NCCL for the unique id"
    uid = fakenccl.ids_made[0]
    assert sorted((r, n) for u, r, n in fakenccl.joined if u == uid) == [(0, 2), (1, 2)]
    for rank, out in enumerate(got):
        assert out["backend"] == "nccl" and out["gpu"] == rank
        assert out["sum"] == [3.0] * 3 and out["avg"] == [0.5, 0.5]
        assert out["bcast"] == [10.0, 11.0] and out["gather"] == [0.0, 0.0, 1.0, 1.0]
        assert out["rs"] == [[3.0], [6.0]][rank] and out["host"] == [1.0] and out["async"]
        assert out["a2a"] == [[0.0, 2.0], [1.0, 3.0]][rank]


def test_ddp_and_grad_scaler_over_nccl(fake_nccl: str) -> None:
    autograd.manual_seed(0)
    base = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    xs = [autograd.randn(2, 3) for _ in range(2)]

    def work(rank: int) -> tuple:
        parallel.init_process_group("nccl")
        model = copy.deepcopy(base).to("cuda")
        ddp = parallel.DistributedDataParallel(model, bucket_cap_mb=1e-4)
        opt = __import__("optim").SGD(model.parameters(), lr=0.1)
        scaler = amp.GradScaler("cuda", init_scale=2.0)
        loss = ddp(xs[rank].to("cuda")).sum()
        if rank == 0:
            loss = loss * float("inf")
        scaler.scale(loss).backward()
        before = model[0].weight.detach().clone()
        scaler.step(opt)
        scaler.update()
        grads = [backend.to_host(p.grad._data) for p in model.parameters()]
        skipped = bool((model[0].weight == before).all())
        parallel.destroy_process_group()
        return grads, skipped, scaler.get_scale()

    got = parallel.spawn(work, nprocs=2)
    for g0, g1 in zip(got[0][0], got[1][0]):
        np.testing.assert_array_equal(g0, g1)
    assert [g[1:] for g in got] == [(True, 1.0), (True, 1.0)]


# ----------------------------------------------------------------------------- the MPI probe


class _Comm:
    """An mpi4py communicator stand-in for the probe (one rank)."""

    def __init__(self, allreduce: object = None) -> None:
        self.calls: list = []
        self.fn = allreduce

    def Get_rank(self) -> int:
        return 0

    def Get_size(self) -> int:
        return 1

    def allreduce(self, obj: object, op: object = None) -> object:
        return obj

    def Allreduce(self, sendbuf: object, recvbuf: object, op: object = None) -> None:
        self.calls.append(recvbuf)
        if self.fn is not None:
            self.fn(recvbuf)


@pytest.fixture
def fake_mpi(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mpi_comm, "_MPI", [SimpleNamespace(IN_PLACE=object(), SUM="sum", LAND="land")])
    monkeypatch.delenv("DTENSOR_CUDA_AWARE_MPI", raising=False)


def test_cuda_aware_probe(fake_cuda: str, fake_mpi: None, monkeypatch: pytest.MonkeyPatch) -> None:
    quiet = _Comm()
    assert not mpi_comm.probe_cuda_aware(quiet, claims=lambda: False)
    assert quiet.calls == [], "an MPI that does not claim CUDA support never sees a device pointer"
    good = _Comm()
    assert mpi_comm.probe_cuda_aware(good, claims=lambda: True)
    assert backend.is_device_array(good.calls[0]), "the probe hands MPI a GPU buffer"

    def boom(buf: object) -> None:
        raise RuntimeError("MPI_ERR_BUFFER: invalid buffer pointer")

    assert not mpi_comm.probe_cuda_aware(_Comm(boom), claims=lambda: True)

    def wrong(buf: object) -> None:
        buf[...] = 0  # type: ignore[index]

    assert not mpi_comm.probe_cuda_aware(_Comm(wrong), claims=lambda: True)
    monkeypatch.setenv("DTENSOR_CUDA_AWARE_MPI", "0")
    assert not mpi_comm.probe_cuda_aware(_Comm(), claims=lambda: True)
    monkeypatch.setenv("DTENSOR_CUDA_AWARE_MPI", "1")
    assert mpi_comm.probe_cuda_aware(_Comm(), claims=lambda: False)


def test_library_claim_on_a_plain_mpi() -> None:
    assert mpi_comm.library_claims_cuda() in (True, False)


@pytest.mark.skipif(mpirun.mpiexec() is None, reason="mpiexec not found (install the 'mpich' extra)")
@pytest.mark.parametrize("aware", ["0", "1"], ids=["staged", "cuda_aware"])
def test_mpi_with_device_buffers(aware: str, tmp_path: object) -> None:
    r = mpirun.run("../../gpu/scripts/mpi_device.py", 2, "--fake", timeout=60, tmp=tmp_path,
                   env={"DTENSOR_CUDA_AWARE_MPI": aware})
    assert r.returncode == 0, r.stderr[-3000:]
    for k in range(2):
        res = r.results[k]
        assert res["status"] == "ok", res
        assert res["cuda_aware"] is (aware == "1")
        assert res["synced"], "the stream is synchronised before MPI sees device buffers"


@pytest.mark.gpu
@pytest.mark.parametrize("backend_name,n", [("mpi", 2), ("nccl", 1)], ids=["mpi2", "nccl1"])
def test_real_gpu_under_mpiexec(backend_name: str, n: int, tmp_path: object) -> None:
    """On a real GPU: two MPI ranks sharing it (MPI path: CUDA-aware or staged), and
    the NCCL backend (one rank: NCCL refuses two ranks on one GPU)."""
    from tests.conftest import gpu_missing

    why = gpu_missing() or (None if mpirun.mpiexec() else "mpiexec not found")
    if why:
        pytest.skip(why)
    r = mpirun.run("../../gpu/scripts/mpi_device.py", n, "--backend", backend_name, timeout=120,
                   tmp=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    for k in range(n):
        assert r.results[k]["status"] == "ok", r.results[k]
        assert r.results[k]["backend"] == backend_name
