# yibao — the two commands a newcomer needs: `make run` and `make test` (see README.md).
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin

.PHONY: setup run calc test lint postgres chromium bench reliability clean

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
	$(BIN)/ruff check src tests bench reliability
	$(BIN)/mypy src reliability
	$(BIN)/lint-imports

test: lint postgres chromium
	$(BIN)/pytest -q
	$(BIN)/python -m reliability.run --quick

# The reliability suite in full (fuzzers, duplicates and concurrency, kill -9 ×20, the authorization matrix, on
# both databases; `make test` runs its reduced form): see reliability/run.py.
reliability: setup postgres
	$(BIN)/python -m reliability.run

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
	$(BIN)/python bench/clearing.py
	$(BIN)/python bench/collection.py
	$(BIN)/python bench/roundtrips.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/ecard.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
