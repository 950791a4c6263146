# Two commands, nothing to install by hand first:
#   make example   builds the example practice to output/
#   make test      runs the tests (all of them, as CI does)
#   make fast      runs the fast subset: no real voice, browser, cluster or slow test
# Both create .venv/ with everything the project needs on first use.
# `make check` runs the linter (ruff) and the type checker (mypy), as CI does before the tests.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: example test fast check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

example: $(STAMP)
	$(BIN)/audio-builder build scripts/self-compassion-break.yaml

test: $(STAMP)
	$(BIN)/python -m pytest

fast: $(STAMP)
	$(BIN)/python -m pytest -m "not (voice or slow or browser or cluster)"

check: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/mypy

clean:
	rm -rf $(VENV) output
