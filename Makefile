# The two commands a newcomer types are `make run` and `make test`; each builds .venv when needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test bench bench-pg lint clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Paper Radar needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/radar db upgrade
	$(BIN)/radar serve

test: $(DEV_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(DEV_STAMP)
	$(BIN)/python bench/run_all.py

# The clock's planning of 10,000 channels on a loopback PostgreSQL started for it (CHANNELS=100000 for the ceiling).
CHANNELS ?= 10000
bench-pg: $(DEV_STAMP)
	bash bench/with_postgres.sh $(BIN)/python bench/digest_plan.py --channels $(CHANNELS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check core bots tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var
