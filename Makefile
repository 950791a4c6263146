# Two commands, nothing to install by hand first:
#   make example   builds the example practice to output/
#   make test      runs the tests
# Both create .venv/ with everything the project needs on first use.
# `make check` runs the linter (ruff) and the type checker (mypy), as CI does before the tests.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: example test check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

example: $(STAMP)
	$(BIN)/audio-builder build scripts/self-compassion-break.yaml

test: $(STAMP)
	$(BIN)/python -m pytest

check: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/mypy

clean:
	rm -rf $(VENV) output
