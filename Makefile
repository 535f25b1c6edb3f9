# The two commands a newcomer needs: `make run` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The venv is remade when the project or its lock changes.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test check bench contract clean lock

# Installs exactly what the lock pins, hashes checked, with the interpreter's own pip (any pip
# from 23 on; no upgrade), then the project itself without resolving anything further.
$(STAMP): pyproject.toml requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes -r requirements-dev.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $(STAMP)

## lock: re-resolve pyproject.toml's ranges into uv.lock and export requirements*.txt from it
##       (ARGS=--upgrade for the newest releases within the ranges, else the pins move only
##       where a range demands it)
lock: $(STAMP)
	$(BIN)/uv lock $(ARGS)
	$(MAKE) --no-print-directory lock-export

# requirements.txt (what the Dockerfile installs) and requirements-dev.txt (the venv's): the
# lock's pins for plain pip, with hashes, without the project itself
.PHONY: lock-export lock-check
LOCK_DIR ?=
lock-export:
	$(BIN)/uv export --frozen --quiet --no-emit-project --format requirements-txt \
		--output-file $(if $(LOCK_DIR),$(LOCK_DIR)/)requirements.txt
	$(BIN)/uv export --frozen --quiet --no-emit-project --extra dev --format requirements-txt \
		--output-file $(if $(LOCK_DIR),$(LOCK_DIR)/)requirements-dev.txt

# uv.lock agrees with pyproject.toml, and the requirements files with uv.lock
lock-check: $(STAMP)
	$(BIN)/uv lock --check --offline --quiet || (echo "uv.lock is stale: run make lock" >&2; exit 1)
	rm -rf $(VENV)/lock-check && mkdir -p $(VENV)/lock-check
	$(MAKE) --no-print-directory lock-export LOCK_DIR=$(VENV)/lock-check >/dev/null
	for f in requirements.txt requirements-dev.txt; do \
		diff -q -I '^#' $$f $(VENV)/lock-check/$$f >/dev/null \
		|| { echo "$$f differs from uv.lock: run make lock-export" >&2; exit 1; }; \
	done

## run: the tracker on its embedded default (SQLite, embedded broker, worker + beat); Ctrl-C stops
run: $(STAMP)
	$(BIN)/tracker run

## test: the whole suite, on a Redis and a PostgreSQL of its own (free ports, temp data dirs,
## stopped at the end); it touches no other server. services.sh offers to install what is missing
test: $(STAMP)
	scripts/services.sh
	$(BIN)/pytest

## check: ruff (lint + format), mypy --strict on tracker/, import-linter contracts, every
##        import declared (deptry), the lock in step with pyproject.toml
check: lock-check
	$(BIN)/deptry tracker workers
	$(BIN)/deptry tests bench --exclude 'tests/corpus' --ignore DEP002,DEP004
	$(BIN)/ruff check tracker workers tests bench .ci
	$(BIN)/ruff format --check tracker workers tests bench .ci
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
