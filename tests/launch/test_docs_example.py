"""The complete example of docs/checkpoints.md runs, stops on SIGTERM with exit 143 and
resumes on another number of ranks."""

from __future__ import annotations

import re
import signal
from pathlib import Path

from ._launch import ROOT, Job, launch


def test_checkpoint_example_from_the_docs(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "checkpoints.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    (tmp_path / "train.py").write_text(code)
    job = Job(["-n", "2", "train.py"], tmp_path, timeout=90)
    metrics = tmp_path / "metrics.jsonl"
    job.wait_for(lambda: metrics.exists() and metrics.read_text().count("\n") >= 25,
                 "25 training steps", limit=60)
    job.signal(signal.SIGTERM)
    run = job.wait()
    assert run.returncode == 143, run.stderr
    resumed = launch("-n", "1", "train.py", tmp=tmp_path, timeout=90)
    assert resumed.returncode == 0, resumed.stderr
    assert re.search(r"\[rank 0\] resumed at step \d+ \(epoch \d\) from 2 rank\(s\)", resumed.stdout)
    assert "[rank 0] done: 192 steps" in resumed.stdout
