"""``python -m launch plot METRICS.jsonl [--out PNG]``: loss and throughput curves.

Reads the JSON lines written by :class:`launch.progress.MetricsWriter` (or
``Progress(metrics=...)``) and draws one panel per series against ``step``: by default
``loss`` and ``samples_per_s`` when present, else every numeric series. matplotlib is an
optional dependency (``pip install matplotlib``, or the project's ``examples`` extra).

Example:
    >>> import json, tempfile
    >>> from launch.plot import read_metrics
    >>> path = tempfile.mkdtemp() + "/m.jsonl"
    >>> with open(path, "w") as f:
    ...     for step, loss in [(1, 0.9), (2, 0.5)]:
    ...         _ = f.write(json.dumps({"step": step, "loss": loss}) + "\\n")
    >>> read_metrics(path)["loss"]
    [0.9, 0.5]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

__all__ = ["read_metrics", "plot_metrics", "main"]

_NOT_SERIES = {"step", "time", "elapsed"}
_DEFAULT = ("loss", "samples_per_s")
_TITLES = {"loss": "loss", "samples_per_s": "throughput (samples/s)"}


def read_metrics(path: str | os.PathLike) -> dict[str, list]:
    """Columns of a metrics JSONL file: ``{"step": [...], name: [...]}``, aligned
    (None where a record lacks a value). Blank lines are skipped; a malformed line
    is an error naming it."""
    records = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{lineno}: not a JSON line: {e}") from None
            if not isinstance(rec, dict):
                raise ValueError(f"{path}:{lineno}: expected a JSON object, got {type(rec).__name__}")
            records.append(rec)
    names: list[str] = []
    for rec in records:
        names += [k for k in rec if k not in names]
    columns = {name: [rec.get(name) for rec in records] for name in names}
    if "step" not in columns or all(s is None for s in columns["step"]):
        columns["step"] = list(range(1, len(records) + 1))
    return columns


def _numeric(values: list) -> bool:
    return any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _series(columns: dict[str, list], keys: list[str] | None) -> list[str]:
    if keys:
        missing = [k for k in keys if k not in columns]
        if missing:
            raise ValueError(f"no series {missing} in the metrics (found {sorted(columns)})")
        return keys
    chosen = [k for k in _DEFAULT if k in columns and _numeric(columns[k])]
    return chosen or [k for k, v in columns.items() if k not in _NOT_SERIES and _numeric(v)]


def plot_metrics(path: str | os.PathLike, out: str | os.PathLike | None = None,
                 keys: list[str] | None = None) -> Path:
    """Draw the metrics in ``path`` to a PNG (default: next to it) and return its path."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError(
            "python -m launch plot needs matplotlib, an optional dependency: "
            "pip install matplotlib (or pip install 'dtensor[examples]')"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = read_metrics(path)
    names = _series(columns, keys)
    if not names:
        raise ValueError(f"{path}: no numeric series to plot")
    out = Path(out) if out is not None else Path(path).with_suffix(".png")
    fig, axes = plt.subplots(len(names), 1, figsize=(7, 2.6 * len(names)), sharex=True, squeeze=False)
    steps = columns["step"]
    for ax, name in zip(axes[:, 0], names):
        pts = [(s, v) for s, v in zip(steps, columns[name])
               if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], linewidth=1.2)
        ax.set_ylabel(_TITLES.get(name, name))
        ax.grid(True, alpha=0.3)
    axes[-1, 0].set_xlabel("step")
    fig.suptitle(Path(path).name)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m launch plot",
                                description="Plot loss and throughput from a metrics JSONL file.")
    p.add_argument("metrics", type=Path, help="a JSON-lines file written by launch.progress")
    p.add_argument("--out", type=Path, default=None, help="PNG to write (default: METRICS.png)")
    p.add_argument("--keys", default=None, help="comma-separated series to plot (default: loss, "
                                                "samples_per_s)")
    args = p.parse_args(argv)
    try:
        out = plot_metrics(args.metrics, args.out, args.keys.split(",") if args.keys else None)
    except (ImportError, ValueError, OSError) as e:
        print(f"python -m launch plot: {e}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0
