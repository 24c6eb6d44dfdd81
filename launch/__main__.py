"""``python -m launch`` / ``dtensor-launch``: the job launcher's command line."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print(
        "dtensor-launch: the launcher is not available in this version yet; run scripts "
        "directly with python (single process) or mpiexec (several ranks).",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
