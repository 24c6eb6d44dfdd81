#!/usr/bin/env bash
# The one prepared GPU check (issue 8): on a machine with an NVIDIA GPU, from the
# repository root:   bash tests/gpu/run_gpu_checks.sh
#
# Installs nothing from the network: a Python package the machine lacks is taken from
# the wheelhouse .whl/ (see tests/gpu/README.md) into a venv that also sees the
# machine's own packages (CuPy, PyTorch). Then, within about 5 minutes in all:
#   1. the environment (GPU, CuPy, PyTorch, MPI);
#   2. the benchmark: ours vs PyTorch CUDA eager, same card, same process;
#   3. the GPU tests: pytest -m gpu tests/gpu (the op matrix with gradchecks on the
#      device, modules/optimizers/AMP/RNG/checkpoints on "cuda", MPI and NCCL runs);
#   4. a summary (also written under $OUT, with the full logs).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=${OUT:-/tmp/gpu-checks}
mkdir -p "$OUT"
START=$(date +%s)
BUDGET=${GPU_CHECK_BUDGET:-285}          # seconds for everything
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
left() { echo $(( BUDGET - ($(date +%s) - START) )); }

# ---------------------------------------------------------------- 0. python + wheels
PY=python3
VENV=/tmp/dtensor-venv
if [ -d .whl ] && $PY -m venv --without-pip "$VENV" >/dev/null 2>&1; then
  # a venv that also sees the machine's packages (its python3 may itself be a venv,
  # whose packages --system-site-packages would not reach): a .pth naming them
  $PY -c "import site; print('\n'.join(site.getsitepackages()))" \
    > "$($VENV/bin/python -c 'import site; print(site.getsitepackages()[0])')/machine.pth"
  BASE=$PY; PY=$VENV/bin/python
  need=()
  for pair in numpy:numpy safetensors:safetensors tqdm:tqdm pytest:pytest iniconfig:iniconfig \
              pluggy:pluggy packaging:packaging pytest_timeout:pytest_timeout \
              hypothesis:hypothesis sortedcontainers:sortedcontainers attrs:attrs; do
    mod=${pair%%:*}; dist=${pair##*:}
    $PY -c "import $mod" 2>/dev/null || need+=($(ls .whl/${dist}-*.whl 2>/dev/null))
  done
  # MPI: the machine's mpi4py + mpiexec when both work, else the carried mpich + mpi4py
  if ! { command -v mpiexec >/dev/null && $PY -c "from mpi4py import MPI" 2>/dev/null; }; then
    need+=($(ls .whl/mpich-*.whl .whl/mpi4py-*.whl 2>/dev/null))
  fi
  if [ ${#need[@]} -gt 0 ]; then
    echo "== installing from the wheelhouse: ${need[*]##*/}"
    $BASE -m pip --python "$PY" install -q --no-index --no-deps --no-compile \
      --disable-pip-version-check "${need[@]}" 2>&1 | tail -3 \
      || $PY -m pip install -q --no-index --no-deps --no-compile "${need[@]}" 2>&1 | tail -3
  fi
  export PATH=$VENV/bin:$PATH LD_LIBRARY_PATH=$VENV/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
export PYTHONPATH=$ROOT${PYTHONPATH:+:$PYTHONPATH}

# ---------------------------------------------------------------- 1. environment
echo "== environment"
nvidia-smi -L 2>/dev/null || echo "nvidia-smi: not found"
$PY - <<'EOF' 2>&1 | tee "$OUT/env.txt"
import importlib, shutil, sys
print("python", sys.version.split()[0], sys.executable)
for name in ("numpy", "cupy", "torch", "mpi4py", "safetensors", "pytest", "hypothesis", "xdist"):
    try:
        m = importlib.import_module(name)
        print(f"{name:12s}", getattr(m, "__version__", "?"))
    except Exception as e:
        print(f"{name:12s} MISSING ({type(e).__name__}: {e})")
print("mpiexec     ", shutil.which("mpiexec"))
import autograd
print("cuda available:", autograd.cuda.is_available(), "devices:", autograd.cuda.device_count())
if autograd.cuda.is_available():
    print("card:", autograd.cuda.get_device_name(), "| bf16 tensors:", autograd.cuda.is_bf16_supported())
EOF

# ---------------------------------------------------------------- 2. benchmark
echo "== benchmark (ours vs PyTorch CUDA eager)"
timeout 100 $PY tests/gpu/bench_gpu.py --json "$OUT/bench.json" 2>&1 | tee "$OUT/bench.log"
BENCH_RC=${PIPESTATUS[0]}

# ---------------------------------------------------------------- 3. GPU tests
T=$(( $(left) - 15 )); [ "$T" -lt 30 ] && T=30
WORKERS=()
if $PY -c "import xdist" 2>/dev/null; then WORKERS=(-n 8); fi   # NVRTC compiles in parallel
echo "== GPU tests (pytest -m gpu tests/gpu, ${T}s, ${WORKERS[*]:-1 worker})"
timeout "$T" $PY -m pytest -p no:cacheprovider -m gpu tests/gpu "${WORKERS[@]}" \
  --timeout 240 -rfEs --tb=short --junitxml="$OUT/gpu-tests.xml" 2>&1 | tee "$OUT/pytest.log" | tail -40
TEST_RC=${PIPESTATUS[0]}

# ---------------------------------------------------------------- 4. summary
echo
echo "================ GPU CHECK SUMMARY ================"
grep -E "^(card|cuda available)" "$OUT/env.txt"
grep -E "^(workload|mlp|mlp_amp|transformer|randn_1M|criterion)" "$OUT/bench.log" || echo "benchmark: no table (rc=$BENCH_RC)"
grep -E "(passed|failed|skipped|error|no tests ran).* in [0-9.]+s" "$OUT/pytest.log" | tail -1
[ "$TEST_RC" = 124 ] && echo "GPU tests: stopped at the time budget (raise GPU_CHECK_BUDGET or rerun)"
echo "exit codes: bench=$BENCH_RC tests=$TEST_RC; elapsed $(( $(date +%s) - START ))s; logs in $OUT"
[ "$TEST_RC" = 0 ] && [ "$BENCH_RC" = 0 ]
