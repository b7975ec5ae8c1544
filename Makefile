# The README's two commands: `make serve` and `make test`. Both need only python3 on the machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: serve test lint check install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/profile-harness serve --demo --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/ruff check src tests tools
	$(BIN)/ruff format --check src tests tools
	$(BIN)/mypy
	$(BIN)/profile-harness lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/profile-harness lint

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
