# Faregate: `make run` serves the app on http://127.0.0.1:8000, `make test` runs the suite.
# Both create .venv and install the project on first use; later runs skip what is done.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test install migrate lint typecheck contracts clean

run: migrate
	$(BIN)/faregate keys init --if-missing
	$(BIN)/faregate gtfs load-sample
	$(BIN)/faregate serve

test: $(INSTALLED)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(INSTALLED)

migrate: $(INSTALLED)
	$(BIN)/faregate db upgrade

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

contracts: $(INSTALLED)
	$(BIN)/lint-imports

typecheck: $(INSTALLED)
	$(BIN)/mypy --strict -p fares -p gtfs -p inventory -p hardware -p validator_agent
	$(BIN)/mypy backend
	$(BIN)/mypy --strict --follow-imports=silent scripts

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
