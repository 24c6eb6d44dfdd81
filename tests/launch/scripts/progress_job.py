"""Ten fake training steps reported through launch.progress (used under the launcher)."""

import sys

import parallel
from launch.progress import Progress


def main() -> None:
    parallel.init_process_group()
    with Progress(total=10, desc="fit", interval=0, metrics=sys.argv[1]) as bar:
        for step in range(10):
            bar.update(loss=1.0 / (step + 1), samples=16, lr=0.1)


if __name__ == "__main__":
    main()
