"""Under mpiexec: device tensors through the process group's communicator (MPI: staged
through host memory, or passed directly when the CUDA-aware probe succeeds; NCCL with
``--backend nccl``), the stream synchronised before MPI sees them, DDP with device
buckets, and GradScaler's skip agreed across processes.

``--fake``: the fake CuPy stands in for the GPU (CI); DTENSOR_CUDA_AWARE_MPI=1 then
makes the probe try the direct path, which the fake's host memory passes. Without it
the script needs a real GPU (every rank uses GPU local_rank mod the GPUs present)."""

from __future__ import annotations

import copy
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

import autograd
import optim
import parallel
from autograd import amp, backend, nn

FAKE = "--fake" in sys.argv
BACKEND = sys.argv[sys.argv.index("--backend") + 1] if "--backend" in sys.argv else "mpi"
if FAKE:
    from tests.gpu import fakecupy

    fakecupy.reset(devices=1)
    backend.cupy = fakecupy
    sys.modules["cupyx"] = fakecupy.cupyx


def _syncs() -> int:
    return fakecupy.cuda.syncs() if FAKE else 0


def main() -> dict:
    parallel.init_process_group(BACKEND)
    rank, n = parallel.get_rank(), parallel.get_world_size()
    if BACKEND == "mpi":
        autograd.cuda.set_device(parallel.get_local_rank() % autograd.cuda.device_count())
    comm = parallel.default_group().comm
    before = _syncs()
    t = autograd.full((5,), float(rank + 1), device="cuda")
    parallel.all_reduce(t)
    total = n * (n + 1) / 2
    assert t.is_cuda and t.tolist() == [total] * 5, t.tolist()
    synced = _syncs() > before or not FAKE
    h = autograd.full((3,), float(rank), device="cuda", dtype=autograd.float16)
    parallel.all_reduce(h, op=parallel.ReduceOp.AVG)
    assert h.dtype == autograd.float16 and h.tolist() == [(n - 1) / 2] * 3, h.tolist()
    b = autograd.arange(4.0, device="cuda") * (rank + 1)
    parallel.broadcast(b, src=n - 1)
    assert b.tolist() == [float(i * n) for i in range(4)], b.tolist()

    autograd.manual_seed(0)
    base = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    model = copy.deepcopy(base).to("cuda")
    ddp = parallel.DistributedDataParallel(model, bucket_cap_mb=1e-4)
    opt = optim.SGD(model.parameters(), lr=0.1)
    scaler = amp.GradScaler("cuda", init_scale=4.0)
    x = autograd.full((2, 3), float(rank), device="cuda")
    loss = ddp(x).sum() * (float("nan") if rank == n - 1 else 1.0)
    scaler.scale(loss).backward()
    w0 = model[0].weight.detach().clone()
    scaler.step(opt)
    scaler.update()
    skipped = bool((model[0].weight == w0).all())
    assert skipped and scaler.get_scale() == 2.0
    assert all(b.xp is backend.cupy for b in ddp.reducer.buckets)
    aware = getattr(getattr(comm, "host", comm), "_cuda_aware", None)
    return {"status": "ok", "cuda_aware": aware, "synced": synced, "backend": parallel.get_backend()}


if __name__ == "__main__":
    try:
        result = main()
    except Exception as e:  # report, then fail the job
        result = {"status": f"{type(e).__name__}: {e}"}
    rank = int(os.environ.get("PMI_RANK", "0"))
    out = Path(os.environ.get("RESULT_DIR", "/tmp")) / f"result.rank{rank}.json"
    out.write_text(json.dumps(result))
    if result["status"] != "ok":
        raise SystemExit(1)
