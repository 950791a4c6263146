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

# Tests keep their compiled bytecode (__pycache__, ignored by git) even where the environment
# sets PYTHONDONTWRITEBYTECODE: otherwise every test worker rewrites every test module's
# asserts and every `python -m audio_builder` a test starts compiles the package again
# (measured on the fast subset: 108 CPU-seconds with it set, 98 without).
TESTS := PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest

test: $(STAMP)
	$(TESTS)

fast: $(STAMP)
	$(TESTS) -m "not (voice or slow or browser or cluster)"

check: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/mypy

clean:
	rm -rf $(VENV) output
