"""Training progress on rank 0 and a metrics log.

:class:`Progress` shows a ``tqdm`` bar (step, loss, samples/s, ETA) when its output is a
terminal — including through ``python -m launch``, which tells the ranks when *its*
output is a terminal — and otherwise prints a plain line every ``interval`` seconds, so
logs of batch jobs stay readable. Ranks other than 0 print nothing.

:class:`MetricsWriter` appends one JSON object per line (``step``, ``time``, your
values); ``python -m launch plot METRICS.jsonl`` draws the loss and throughput curves.

Example:
    >>> import io
    >>> from launch.progress import Progress
    >>> out = io.StringIO()
    >>> with Progress(total=2, desc="demo", interval=0, file=out, tty=False) as bar:
    ...     bar.update(loss=0.5, samples=32)
    ...     bar.update(loss=0.25, samples=32)
    >>> out.getvalue().splitlines()[1].split(" | ")[0]
    'demo: step 2/2 (100%) loss 0.25'
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

__all__ = ["Progress", "MetricsWriter", "format_seconds"]


def _scalar(value: Any) -> Any:
    """Tensors and NumPy scalars as Python numbers (JSON- and print-friendly)."""
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


def _default_rank() -> int:
    try:
        import parallel

        if parallel.is_initialized():
            return parallel.get_rank()
    except ImportError:
        pass
    rank = os.environ.get("RANK", "0")
    return int(rank) if rank.isdigit() else 0


def format_seconds(seconds: float) -> str:
    """``H:MM:SS``.

    Example:
        >>> format_seconds(3725.2)
        '1:02:05'
    """
    if not math.isfinite(seconds):
        return "?"
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class MetricsWriter:
    """Append metrics as JSON lines to ``path`` (rank 0 only; other ranks write nothing).

    Example:
        >>> import tempfile, json
        >>> path = tempfile.mkdtemp() + "/metrics.jsonl"
        >>> with MetricsWriter(path, rank=0) as m:
        ...     m.write(step=1, loss=0.5)
        >>> json.loads(open(path).readline())["loss"]
        0.5
    """

    def __init__(self, path: str | os.PathLike, *, rank: int | None = None, append: bool = True) -> None:
        self.path = Path(path)
        self.rank = _default_rank() if rank is None else rank
        self.start = time.time()
        self._file: TextIO | None = None
        if self.rank == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a" if append else "w", encoding="utf-8")

    def write(self, step: int | None = None, **values: Any) -> None:
        """One record: ``{"step": step, "time": unix time, "elapsed": s, **values}``."""
        if self._file is None:
            return
        now = time.time()
        record = {"step": step, "time": round(now, 3), "elapsed": round(now - self.start, 3)}
        record.update({k: _scalar(v) for k, v in values.items()})
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> MetricsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Progress:
    """Progress of a training loop on rank 0: call :meth:`update` once per step.

    ``total``: steps of the whole run (ETA); ``initial``: steps already done (a resumed
    run); ``samples`` in :meth:`update`: samples processed by that step (e.g. the global
    batch), for samples/s; ``metrics``: a :class:`MetricsWriter` or a path, to log every
    update; ``tty``: force the bar (True) or plain lines (False) instead of detecting.
    """

    def __init__(self, total: int | None = None, *, desc: str = "train", initial: int = 0,
                 interval: float = 10.0, file: TextIO | None = None, rank: int | None = None,
                 metrics: MetricsWriter | str | os.PathLike | None = None,
                 tty: bool | None = None) -> None:
        self.total, self.desc, self.interval = total, desc, interval
        self.file = file if file is not None else sys.stdout
        self.rank = _default_rank() if rank is None else rank
        self.step = self.initial = initial
        self.loss: float | None = None
        self.samples = 0
        self.start = self._last_time = time.perf_counter()
        self._last_step, self._last_samples, self._printed = initial, 0, False
        if isinstance(metrics, (str, os.PathLike)):
            metrics = MetricsWriter(metrics, rank=self.rank)
        self.metrics = metrics
        if tty is None:
            isatty = getattr(self.file, "isatty", lambda: False)
            tty = bool(isatty()) or os.environ.get("DTENSOR_LAUNCH_TTY") == "1"
        self._bar = None
        if self.rank == 0 and tty:
            from tqdm import tqdm

            self._bar = tqdm(total=total, initial=initial, desc=desc, unit="step",
                             file=self.file, dynamic_ncols=True, mininterval=0.2)

    def update(self, n: int = 1, *, loss: Any = None, samples: int | None = None, **values: Any) -> None:
        """Record ``n`` finished steps (with their loss and sample count)."""
        now = time.perf_counter()
        self.step += n
        if loss is not None:
            self.loss = float(_scalar(loss))
        if samples is not None:
            self.samples += int(samples)
        if self.rank != 0:
            return
        window = max(now - self._last_time, 1e-9)
        rate = (self.samples - self._last_samples) / window
        if self.metrics is not None:
            record = {"loss": self.loss, **values}
            if samples is not None:
                record["samples_per_s"] = round(self.samples / max(now - self.start, 1e-9), 3)
            self.metrics.write(step=self.step, **record)
        if self._bar is not None:
            postfix = {}
            if self.loss is not None:
                postfix["loss"] = f"{self.loss:.4g}"
            if self.samples:
                postfix["samples/s"] = f"{rate:.1f}"
            self._bar.set_postfix(postfix, refresh=False)
            self._bar.update(n)
            if now - self._last_time >= 1.0:
                self._last_time, self._last_samples, self._last_step = now, self.samples, self.step
            return
        if not self._printed or now - self._last_time >= self.interval:
            self._print_line(now, rate)

    def _print_line(self, now: float, rate: float) -> None:
        steps_rate = (self.step - self._last_step) / max(now - self._last_time, 1e-9)
        head = f"{self.desc}: step {self.step}"
        if self.total:
            head += f"/{self.total} ({100 * self.step / self.total:.0f}%)"
        if self.loss is not None:
            head += f" loss {self.loss:.4g}"
        parts = [head]
        if self.samples:
            parts.append(f"{rate:.1f} samples/s")
        parts.append(f"{steps_rate:.2f} steps/s")
        parts.append(f"elapsed {format_seconds(now - self.start)}")
        done = self.step - self.initial
        if self.total and done > 0:
            eta = (self.total - self.step) * (now - self.start) / done
            parts.append(f"ETA {format_seconds(eta)}")
        print(" | ".join(parts), file=self.file, flush=True)
        self._last_time, self._last_samples, self._last_step = now, self.samples, self.step
        self._printed = True

    def summary(self) -> dict[str, Any]:
        """Steps done in this run, wall time, mean samples/s and the last loss."""
        seconds = time.perf_counter() - self.start
        return {"steps": self.step - self.initial, "seconds": seconds,
                "samples_per_s": self.samples / seconds if seconds > 0 else 0.0, "loss": self.loss}

    def close(self) -> None:
        """Finish the bar (or print the last line)."""
        if self.rank == 0:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
            elif self.step != self._last_step:
                now = time.perf_counter()
                self._print_line(now, (self.samples - self._last_samples) / max(now - self._last_time, 1e-9))
        if self.metrics is not None:
            self.metrics.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
