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


def test_char_transformer_learns_context_beyond_unigram_statistics(tmp_path):
    """A few dozen steps of the small GPT: its loss must fall clearly below the unigram
    entropy of the text (what a context-free model reaches at best)."""
    out = run(ROOT / "examples" / "char_transformer.py", "--steps", "120", "--batch", "16",
              "--context", "32", "--d-model", "48", "--layers", "1", "--text-bytes", "60000",
              "--samples", "1", timeout=300)
    match = re.search(r"validation loss ([0-9.]+) nats/char vs unigram entropy ([0-9.]+)", out)
    assert match, out
    val, unigram = float(match.group(1)), float(match.group(2))
    assert val < 0.9 * unigram, out
    assert "--- sample 1" in out


def test_ddp_digits_main_job_on_two_ranks(tmp_path):
    """The main job (`make demo`): 2 MPI ranks through the launcher, a checkpoint per
    epoch, and the summary with accuracy and scaling efficiency against 1 rank."""
    pytest.importorskip("sklearn", reason="the digits examples need scikit-learn (examples extra)")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    script = str(ROOT / "examples" / "ddp_digits.py")
    one = tmp_path / "one.json"
    common = ["--epochs", "3", "--fresh"]
    for n, extra in (("1", ["--summary", str(one)]), ("2", ["--baseline", str(one)])):
        proc = subprocess.run([sys.executable, "-m", "launch", "-n", n, script, *common,
                               "--checkpoint-dir", str(tmp_path / f"ckpt{n}"), *extra],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "scaling:" in proc.stdout and "efficiency" in proc.stdout
    assert re.search(r"test accuracy: \d+\.\d%", proc.stdout)
    assert (tmp_path / "ckpt2" / "latest").exists()
