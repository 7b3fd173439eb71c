# The README's two commands: `make demo` (set up, convert the model, suggest codes for an
# example note) and `make test` (set up, lint, type-check, run the test suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTE ?= Drengen har ikke været i skole de sidste tre uger, og mor drikker dagligt.

.PHONY: setup demo test lint typecheck pytest clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	# torch is pinned in constraints.txt to the CPU build (a local wheel on these machines)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)
	$(BIN)/ffbcoder model convert
	$(BIN)/ffbcoder index build

demo: setup
	$(BIN)/ffbcoder suggest "$(NOTE)"

lint: $(STAMP)
	$(BIN)/ruff check src tests evaluation

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache
