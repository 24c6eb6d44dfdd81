"""The dtensor checks in one MPI job (one launch per world size keeps the suite fast):

    mpiexec -n N python dt_mpi_suite.py [--parts redistribute,tp,zero] [--save DIR | --load DIR]

Each part is the ``run_all`` of its script (dt_redistribute, dt_tp_train, dt_zero);
``--save`` writes a tensor-parallel checkpoint, ``--load`` loads one written at another
world size (dt_checkpoint). Every rank writes its results (or its error) to
``$RESULT_DIR/result.rank<r>.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dt_checkpoint as checkpoint_check
import dt_redistribute as redistribute_check
import dt_tp_train as tp_train
import dt_zero as zero_check
from dt_common import report

import parallel

PARTS = {"redistribute": redistribute_check.run_all, "tp": tp_train.run_all,
         "zero": zero_check.run_all}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parts", default="")
    parser.add_argument("--save")
    parser.add_argument("--load")
    args = parser.parse_args()
    parallel.init_process_group(timeout=60)
    rank, world = parallel.get_rank(), parallel.get_world_size()

    def run_parts() -> dict:
        result: dict = {"world": world}
        for name in [p for p in args.parts.split(",") if p]:
            start = time.perf_counter()
            result[name] = PARTS[name](world)
            result[name + "_seconds"] = time.perf_counter() - start
        if args.save:
            result["checkpoint"] = checkpoint_check.save(args.save)
        if args.load:
            result["checkpoint"] = checkpoint_check.load(args.load)
        return result

    report(rank, run_parts)


if __name__ == "__main__":
    main()
