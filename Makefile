# The two commands a newcomer needs: `make run` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test check bench contract clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

## run: the tracker on its embedded default (SQLite, embedded broker, worker + beat); Ctrl-C stops
run: $(STAMP)
	$(BIN)/tracker run

## test: the whole suite, on a Redis and a PostgreSQL of its own (free ports, temp data dirs,
## stopped at the end); it touches no other server. services.sh offers to install what is missing
test: $(STAMP)
	scripts/services.sh
	$(BIN)/pytest

## check: ruff (lint + format), mypy --strict on tracker/, import-linter contracts
check: $(STAMP)
	$(BIN)/ruff check tracker workers tests bench
	$(BIN)/ruff format --check tracker workers tests bench
	$(BIN)/mypy tracker
	$(BIN)/lint-imports

## bench: throughput and memory of one poll cycle (prints its figures)
bench: $(STAMP)
	scripts/services.sh --shared
	$(BIN)/python bench/poll_cycle.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache

## bench-scale: issue 3's figures: 10,000 feeds on nginx, the Procfile's workers, urlwatch 2.29
.PHONY: bench-scale
bench-scale: $(STAMP)
	scripts/services.sh --shared
	$(BIN)/python bench/source_scale.py $(ARGS)
