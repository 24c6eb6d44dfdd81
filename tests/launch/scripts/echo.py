"""A tiny script for the launcher's tests (no autograd import: it starts fast).

Modes (first argument): ``env`` prints the rank environment; ``raise`` raises on rank 1;
``exit7`` calls ``sys.exit(7)`` on every rank; ``sleep`` prints ``ready`` then sleeps;
``anomaly`` prints whether autograd's anomaly mode is on; ``threads`` all-reduces the
rank over the default process group.
"""

import os
import sys
import time


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "env"
    rank = os.environ.get("RANK")
    if mode == "env":
        keys = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "OMP_NUM_THREADS",
                "OPENBLAS_NUM_THREADS")
        print(" ".join(f"{k}={os.environ.get(k)}" for k in keys), "args=" + ",".join(sys.argv[2:]))
        print(f"stderr of {rank}", file=sys.stderr)
    elif mode == "raise":
        print("about to fail", flush=True)
        if rank == "1":
            raise ValueError("boom on rank 1")
        time.sleep(30)
    elif mode == "exit7":
        sys.exit(7)
    elif mode == "sleep":
        print("ready", flush=True)
        time.sleep(30)
    elif mode == "anomaly":
        import autograd

        print(f"anomaly={autograd.is_anomaly_enabled()} rank={rank} world={os.environ['WORLD_SIZE']}")
    elif mode == "threads":
        import autograd
        import parallel

        parallel.init_process_group()
        t = autograd.tensor([float(parallel.get_rank())])
        parallel.all_reduce(t)
        print(f"rank {parallel.get_rank()} of {parallel.get_world_size()} env RANK={rank} sum={t.item()}")
        if len(sys.argv) > 2 and sys.argv[2] == "fail" and parallel.get_rank() == 1:
            sys.exit(5)


if __name__ == "__main__":
    main()
