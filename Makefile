# The README's two commands: `make serve` and `make test`. Both need only python3 on the machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: serve test lint check install clean bench contract contract-deep compat

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,compat]'
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/profile-harness serve --demo --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/ruff check src tests tools bench
	$(BIN)/ruff format --check src tests tools bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/profile-harness lint
	$(BIN)/python -m pytest

# Only the compatibility tests (make test runs them too): aepp 0.6.0's Profile class over HTTP, and
# every request example of Adobe's doc pages replayed verbatim (tests/compat/README.md).
compat: $(STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider tests/compat

# What a schemathesis user runs: `schemathesis run <document> --checks all` from the project root (so
# schemathesis.toml applies), with the four headers, against a freshly served demo mock for each
# description the mock publishes; prints schemathesis' summary (tools/contract.py).
contract: $(STAMP)
	$(BIN)/python tools/contract.py

# The schemathesis contract suite with many more examples per operation (make test runs 25).
contract-deep: $(STAMP)
	PROFILE_HARNESS_CONTRACT_EXAMPLES=500 $(BIN)/python -m pytest -p no:cacheprovider tests/mock_contract

lint: $(STAMP)
	$(BIN)/profile-harness lint

# Benchmarks (never run by CI): bench/README.md. SCALE=1000000 for the full scale run (long, memory-hungry).
SCALE ?= 100000
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python bench/run.py --scale $(SCALE) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
