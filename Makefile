# yibao — the two commands a newcomer needs: `make run` and `make test` (see README.md).
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin

.PHONY: setup run calc test lint postgres chromium bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@bash scripts/ensure-fonts
	touch $@

# Run the system: the server on the embedded database (data/yibao.sqlite3), with demo data the first time.
run: setup
	$(BIN)/yibao demo --if-empty
	$(BIN)/yibao serve

calc: setup
	$(BIN)/yibao calc --format table examples/calc-2022-adult.json

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src
	$(BIN)/lint-imports

test: lint postgres chromium
	$(BIN)/pytest -q

# The tests use the local PostgreSQL for real: start it if it is not running, fail loudly if it cannot be.
postgres:
	@bash scripts/ensure-postgres

# The page tests drive Debian's chromium (installed here when missing).
chromium:
	@bash scripts/ensure-chromium

bench: setup postgres
	$(BIN)/python bench/calc.py
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/enroll.py
	$(BIN)/python bench/settle.py
	$(BIN)/python bench/roundtrips.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/ecard.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
