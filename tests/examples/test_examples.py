"""Run every example on small settings: each seed example (examples/seed/*.py) asserts its
own numbers and must exit 0; train_digits.py must train and report its test accuracy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED_EXAMPLES = sorted((ROOT / "examples" / "seed").glob("*.py"))
TRAIN_DIGITS = ROOT / "examples" / "train_digits.py"


def run(script: Path, *args: str, timeout: float = 120) -> str:
    env = dict(os.environ)
    # Tiny matrices: one BLAS thread each avoids oversubscribing the test machine.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, str(script), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{script.name} {' '.join(args)} failed:\n{out[-4000:]}"
    return proc.stdout


def test_every_seed_block_has_an_example():
    assert len(SEED_EXAMPLES) == 19  # the seed document has 19 code blocks


@pytest.mark.parametrize("script", SEED_EXAMPLES, ids=[p.stem for p in SEED_EXAMPLES])
def test_seed_example(script: Path):
    run(script)


def test_seed_accumulation_prints_the_corrected_gradient():
    out = run(ROOT / "examples" / "seed" / "gradient_accumulation.py")
    assert "x.grad: tensor([ 5., 16.])" in out


def accuracy_of(out: str) -> float:
    last = out.strip().splitlines()[-1]
    m = re.fullmatch(r"test accuracy: (\d{1,3}\.\d)%", last)
    assert m, f"the last line should be 'test accuracy: NN.N%', got {last!r}"
    return float(m.group(1))


@pytest.mark.parametrize("model, epochs, floor", [("mlp", "3", 90.0), ("cnn", "2", 80.0)])
def test_train_digits_small(model: str, epochs: str, floor: float):
    pytest.importorskip("sklearn", reason="train_digits.py needs the 'examples' extra")
    out = run(TRAIN_DIGITS, "--model", model, "--epochs", epochs, "--seed", "1")
    assert accuracy_of(out) >= floor


def test_train_digits_is_reproducible_and_shows_progress():
    pytest.importorskip("sklearn", reason="train_digits.py needs the 'examples' extra")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    outs = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, str(TRAIN_DIGITS), "--epochs", "1", "--seed", "3"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-4000:]
        assert "mlp: 100%" in proc.stderr  # the tqdm bar
        outs.append(accuracy_of(proc.stdout))
    assert outs[0] == outs[1]
