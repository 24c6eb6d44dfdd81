# The project's two commands: `make demo` and `make test`. Each creates (or reuses) a
# virtual environment in .venv, installs what it needs into it, then runs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: demo test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

# The main job: the digits example with DistributedDataParallel on 2 MPI ranks, after
# the same job on 1 rank (the baseline for the scaling efficiency in the summary).
demo: $(BIN)/python
	$(PIP) -e '.[mpich,examples]'
	@echo "== the same job on 1 rank (baseline)"
	$(BIN)/python -m launch -n 1 examples/ddp_digits.py --fresh \
		--checkpoint-dir .demo/checkpoints-1 --summary .demo/one-rank.json
	@echo "== 2 ranks"
	$(BIN)/python -m launch -n 2 examples/ddp_digits.py --fresh \
		--checkpoint-dir .demo/checkpoints-2 --baseline .demo/one-rank.json

test: $(BIN)/python
	$(PIP) -e '.[mpich,test,examples]'
	$(BIN)/python -m ruff check .
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest

lint: $(BIN)/python
	$(BIN)/python -m ruff check .

clean:
	rm -rf $(VENV) build *.egg-info
