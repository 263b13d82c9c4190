# yibao — the two commands a newcomer needs: `make run` and `make test` (see README.md).
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin

.PHONY: setup run test lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# Run the system. For now: the benefit calculator on a worked example (the server comes with issue 3).
run: setup
	$(BIN)/yibao calc --format table examples/calc-2022-adult.json

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/yibao/policy src/yibao/kit
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q

bench: setup
	$(BIN)/python bench/engine.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
