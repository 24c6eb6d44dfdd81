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

demo: $(BIN)/python
	$(PIP) -e '.[mpich,examples]'
	$(BIN)/python examples/train_digits.py

test: $(BIN)/python
	$(PIP) -e '.[mpich,test,examples]'
	$(BIN)/python -m ruff check .
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest

lint: $(BIN)/python
	$(BIN)/python -m ruff check .

clean:
	rm -rf $(VENV) build *.egg-info
