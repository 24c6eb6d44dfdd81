"""Shared by the MPI test scripts: result files and assertions that name the rank."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))


def write_result(rank: int, **fields: object) -> None:
    out = Path(os.environ.get("RESULT_DIR", "/tmp")) / f"result.rank{rank}.json"
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(fields))
    os.replace(tmp, out)
