"""Fault injection under mpiexec: the job must end quickly and say which rank failed.

--mode exception      rank 1 raises in the middle of training
--mode model_mismatch rank 1 builds a different model before wrapping it in DDP
--mode skip           rank 1 skips a collective (the others time out, naming it)
--mode unused         rank 1 leaves a parameter without gradient (DDP names it)
--mode desync         rank 1 calls a different collective (debug mode names both)
--mode no_backward    rank 1 never runs backward (the others time out in the shared-memory
                      reduction, naming the gradient and the rank)
--mode straggler      rank 1 is 2.5 s late to an allreduce and to a DDP backward: the
                      others warn (DTENSOR_STALL_WARNING_SECONDS), naming it, and the job
                      completes within its 8 s timeout
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_result

import autograd
import parallel
from autograd import nn


class TwoHeads(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(4, 2)
        self.b = nn.Linear(4, 2)

    def forward(self, x: autograd.Tensor, use_b: bool = True) -> autograd.Tensor:
        out = self.a(x)
        return out + self.b(x) if use_b else out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--mode", required=True)
    mode = p.parse_args().mode
    timeouts = {"skip": 3, "no_backward": 3, "straggler": 8}
    parallel.init_process_group(timeout=timeouts.get(mode))
    r = parallel.get_rank()
    write_result(r, status="started")
    if mode == "exception":
        parallel.barrier()
        if r == 1:
            raise ValueError("injected failure on rank 1")
        for _ in range(100):
            parallel.barrier()
            time.sleep(0.05)
    elif mode == "model_mismatch":
        model = nn.Linear(10, 1) if r == 0 else nn.Linear(100, 1)
        parallel.DistributedDataParallel(model)
    elif mode == "skip":
        if r != 1:
            parallel.all_reduce(autograd.ones(3))
        time.sleep(10)
    elif mode == "desync":
        if r == 1:
            parallel.broadcast(autograd.ones(4), src=0)
        else:
            parallel.all_reduce(autograd.ones(3))
    elif mode == "unused":
        ddp = parallel.DistributedDataParallel(TwoHeads())
        ddp(autograd.randn(3, 4), use_b=(r != 1)).sum().backward()
    elif mode == "no_backward":
        ddp = parallel.DistributedDataParallel(TwoHeads())
        if r != 1:
            ddp(autograd.randn(3, 4)).sum().backward()
        time.sleep(10)
    elif mode == "straggler":
        t = autograd.ones(3)
        if r == 1:
            time.sleep(2.5)
        parallel.all_reduce(t)
        ddp = parallel.DistributedDataParallel(TwoHeads())
        loss = ddp(autograd.ones(3, 4)).sum()
        if r == 1:
            time.sleep(2.5)
        loss.backward()
        write_result(r, status="ok", total=t.tolist(), grad=ddp.module.a.bias.grad.tolist())
        return
    write_result(r, status="ok")


if __name__ == "__main__":
    main()
