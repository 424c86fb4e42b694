# The two commands in the README. Each does all of its set-up on a machine with nothing but Python.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAMPLES := examples

.PHONY: demo test lint check clean

$(BIN)/trailguard: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,spark]'
	touch $@

demo: $(BIN)/trailguard
	@bash $(SAMPLES)/demo.sh $(BIN)

test: $(BIN)/trailguard
	$(BIN)/python -m pytest -q

lint: $(BIN)/trailguard
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

check: lint test

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
