# The two commands a new user needs: `make run` and `make test`. Both install into .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint fmt typecheck layers unit bench bench-long schema docs clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/chaoscli run az-outage

test: lint typecheck layers unit

lint: $(STAMP)
	$(BIN)/ruff check chaoscli tests bench
	$(BIN)/ruff format --check chaoscli tests bench

fmt: $(STAMP)
	$(BIN)/ruff format chaoscli tests bench
	$(BIN)/ruff check --fix chaoscli tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest -n auto

schema: $(STAMP)
	$(BIN)/python -m chaoscli.record.schema > chaoscli/schemas/journal.schema.json

# Regenerates every example output in README.md (the blocks between generated markers), the
# model and mitigation tables and docs/report.png, by running the commands they show.
docs: $(STAMP)
	$(BIN)/python -m chaoscli.cli.readme

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/sweep.py

# The one-hour and 24-hour az-outage at 1,000,000 req/s, journal and HTML report written:
# time, peak memory and sizes (about ten minutes on two cores).
bench-long: $(STAMP)
	$(BIN)/python bench/run.py --long

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
