"""launch.progress (bar, plain lines, metrics JSONL) and ``python -m launch plot``."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

import autograd
from launch.plot import main as plot_main
from launch.plot import read_metrics
from launch.progress import MetricsWriter, Progress

from ._launch import SCRIPTS, launch


def test_plain_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    with Progress(total=4, desc="train", interval=0, file=out, tty=False) as bar:
        for step in range(4):
            bar.update(loss=autograd.tensor(1.0 / (step + 1)), samples=8)
    lines = out.getvalue().splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("train: step 1/4 (25%) loss 1 | ")
    assert lines[-1].startswith("train: step 4/4 (100%) loss 0.25 | ")
    for part in ("samples/s", "steps/s", "elapsed 0:00:00", "ETA 0:00:00"):
        assert part in lines[-1]
    assert bar.summary()["steps"] == 4 and bar.summary()["loss"] == 0.25


def test_interval_throttles_lines_and_close_prints_the_last() -> None:
    out = io.StringIO()
    bar = Progress(total=100, initial=50, interval=3600, file=out, tty=False)
    for _ in range(10):
        bar.update()
    bar.close()
    lines = out.getvalue().splitlines()
    assert [line.split(" | ")[0] for line in lines] == ["train: step 51/100 (51%)",
                                                        "train: step 60/100 (60%)"]


def test_only_rank_0_reports(tmp_path: Path) -> None:
    out = io.StringIO()
    with Progress(total=2, file=out, rank=1, tty=False, metrics=tmp_path / "m.jsonl") as bar:
        bar.update(loss=0.1)
    assert out.getvalue() == "" and not (tmp_path / "m.jsonl").exists()


def test_tqdm_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DTENSOR_LAUNCH_TTY", "1")  # what the launcher sets for a terminal
    out = io.StringIO()
    with Progress(total=3, desc="fit", file=out) as bar:
        for _ in range(3):
            bar.update(loss=0.5, samples=4)
    text = out.getvalue()
    assert "fit: 100%" in text and "3/3" in text and "loss=0.5" in text and "samples/s=" in text


def test_metrics_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "run" / "metrics.jsonl"
    with Progress(total=3, file=io.StringIO(), tty=False, metrics=path) as bar:
        for step in range(3):
            bar.update(loss=0.5 / (step + 1), samples=10, lr=autograd.tensor(0.1))
    with MetricsWriter(path, rank=0) as m:  # appends
        m.write(step=4, val_loss=float("nan"))
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2, 3, 4]
    assert records[2]["loss"] == pytest.approx(0.5 / 3) and records[0]["lr"] == pytest.approx(0.1)
    assert records[0]["samples_per_s"] > 0 and "time" in records[0] and "elapsed" in records[0]
    columns = read_metrics(path)
    assert columns["step"] == [1, 2, 3, 4] and columns["loss"][3] is None


def test_progress_under_the_launcher(tmp_path: Path) -> None:
    run = launch("-n", "2", str(SCRIPTS / "progress_job.py"), "metrics.jsonl", tmp=tmp_path)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 10 and all(line.startswith("[rank 0] fit: step ") for line in lines)
    records = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert len(records) == 10 and records[-1]["step"] == 10


def test_plot_reports_missing_matplotlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps({"step": 1, "loss": 1.0}) + "\n")
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert plot_main([str(path)]) == 2
    assert "needs matplotlib, an optional dependency: pip install matplotlib" in capsys.readouterr().err


def test_plot_errors_name_the_problem(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text('{"step": 1, "loss": 1.0}\nnot json\n')
    with pytest.raises(ValueError, match=r"m.jsonl:2: not a JSON line"):
        read_metrics(path)


def test_plot_writes_a_png(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib is an optional dependency")
    path = tmp_path / "metrics.jsonl"
    with MetricsWriter(path, rank=0) as m:
        for step in range(1, 20):
            m.write(step=step, loss=1.0 / step, samples_per_s=100.0 + step)
    assert plot_main([str(path), "--out", str(tmp_path / "curves.png")]) == 0
    png = (tmp_path / "curves.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert plot_main([str(path), "--keys", "nope"]) == 2
    assert "no series ['nope']" in capsys.readouterr().err
