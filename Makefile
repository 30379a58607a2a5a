# The README's two commands: `make run` (the main job) and `make test` (all tests).
# Each sets up what is missing first, so both work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
OUT    ?= reports/out

.PHONY: setup run test lint typecheck unit serve clean mutation

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 \
	  | grep -v 'is ignored' || true
	$(BIN)/python -c "import harness, mock_providers, scenarios, reports, httpx, joserfc, starlette, faker, allure"
	touch $(STAMP)

setup: $(STAMP)

## the main job: every suite against the embedded mocks, reports under reports/out/
run: setup
	$(BIN)/vneid-harness run --out $(OUT)

## all tests: lint, types, then the unit tests and the scenario suites
test: setup lint typecheck
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .

typecheck: setup
	$(BIN)/mypy

serve: setup
	$(BIN)/vneid-harness serve

## mutation testing: the scenario suites against the relying party's validation and the
## provider's authorization, token and ID-token code; prints the score (docs/mutation.md)
mutation: setup
	rm -rf mutants
	$(BIN)/mutmut run
	$(BIN)/python mutation/score.py

clean:
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache
