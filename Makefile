# The README's two commands: `make run` (the main job) and `make test` (all tests).
# Each sets up what is missing first, so both work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
OUT    ?= reports/out
# Node tools (package.json: npm's allure, Allure 3; appium and appium-chromium-driver for
# --driver appium): reinstalled with `npm ci` when
# node_modules/ is missing or package.json / package-lock.json changed.
NPM       ?= npm
NODE      ?= node
NPM_STAMP := node_modules/.installed-stamp
# Debian's Chromium (Playwright drives it; `playwright install` cannot download here),
# installed with apt-get only when $(CHROMIUM) is missing. sudo -n when not root.
CHROMIUM     ?= /usr/bin/chromium
APT_GET      ?= apt-get
APT_PACKAGES := chromium chromium-driver fonts-liberation
SUDO         ?= $(if $(filter 0,$(shell id -u)),,sudo -n)

.PHONY: setup run test lint typecheck unit serve clean mutation report fuzz lock floors

# The Python packages at the versions of constraints.txt (every one pinned, so a release
# upstream cannot change what a fresh clone installs or break CI overnight); `make lock`
# refreshes it to the newest versions pyproject.toml allows.
CONSTRAINTS := constraints.txt

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
	  -c $(CONSTRAINTS) -e '.[dev]' 2>&1 \
	  | grep -v 'is ignored' || true
	$(BIN)/python -c "import harness, mock_providers, scenarios, reports, httpx, joserfc, starlette, faker, allure"
	touch $(STAMP)

$(NPM_STAMP): package.json package-lock.json
	@$(NODE) -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null \
	  || { echo "setup: Node.js 20 or later (20.19+) is needed for npm's allure and appium (nodejs.org or NodeSource)" >&2; exit 1; }
	$(NPM) ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

$(CHROMIUM):
	@echo "setup: installing Debian's $(APT_PACKAGES) (apt-get, about 30 s)"
	$(SUDO) $(APT_GET) -qq update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq --no-install-recommends \
	  $(APT_PACKAGES) >/dev/null
	@test -x $(CHROMIUM) || { echo "setup: $(CHROMIUM) still missing after apt-get" >&2; exit 1; }

setup: $(STAMP) $(NPM_STAMP) $(CHROMIUM)

## the main job: every suite against the embedded mocks, reports under reports/out/
## (junit.xml, allure-results/, summary.json and the Allure HTML allure-report/index.html)
run: setup
	$(BIN)/vneid-harness run --out $(OUT)

## all tests: lint, types, then the unit tests and the scenario suites
test: setup lint typecheck
	$(BIN)/pytest -n auto --dist worksteal

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy
	$(BIN)/mypy benchmarks mutation  # scripts, not packages: checked as files

serve: setup
	$(BIN)/vneid-harness serve

## the Allure HTML report again from $(OUT)/allure-results (the trend keeps $(OUT)/history/)
report: setup
	$(BIN)/vneid-harness report --results $(OUT)/allure-results --out $(OUT)/allure-report \
	  --history $(OUT)/history/history.jsonl

## the deep Schemathesis run of docs/robustness.md (over 10,000 requests, about 2 min)
fuzz: setup
	$(BIN)/python -m tests.robustness.deep_fuzz --max-examples 300

## mutation testing: the scenario suites against the relying party's validation and the
## provider's authorization, token and ID-token code; prints the score (docs/mutation.md)
mutation: setup
	rm -rf mutants
	$(BIN)/mutmut run
	$(BIN)/python mutation/score.py

clean:
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache

## refresh constraints.txt: the newest versions pyproject.toml allows, resolved in a new venv
## (then `make test`, and commit both; .venv is reinstalled at the next setup)
LOCK_VENV := .venv-lock
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 \
	  | grep -v 'is ignored' || true
	{ sed -n '/^#/p' $(CONSTRAINTS); \
	  $(LOCK_VENV)/bin/python -m pip freeze --exclude-editable --disable-pip-version-check; } \
	  > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)
	rm -rf $(LOCK_VENV)

## the tests at the lowest versions pyproject.toml allows (uv's lowest-direct resolution of
## every direct requirement, dev tools included), in a new .venv-floors; about 15 min. Not
## part of `make test`: run it when a lower bound changes (README). It leaves out the one test
## that checks .venv holds the pins of constraints.txt, and mypy (the older libraries' type
## hints differ: types are checked at the pinned versions)
FLOORS_VENV := .venv-floors
floors: setup
	rm -rf $(FLOORS_VENV)
	$(PYTHON) -m venv $(FLOORS_VENV)
	$(BIN)/uv pip compile --quiet --resolution lowest-direct --extra dev \
	  --python $(FLOORS_VENV)/bin/python pyproject.toml -o $(FLOORS_VENV)/floors.txt
	$(BIN)/uv pip install --quiet --python $(FLOORS_VENV)/bin/python -r $(FLOORS_VENV)/floors.txt
	$(BIN)/uv pip install --quiet --python $(FLOORS_VENV)/bin/python --no-deps -e .
	$(FLOORS_VENV)/bin/ruff check .
	$(FLOORS_VENV)/bin/pytest -n auto --dist worksteal \
	  --deselect tests/test_constraints.py::test_the_environment_holds_the_pinned_version
