# `make run` and `make test` each set up everything they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The lock files: every Python package, transitive ones too, pinned with its hashes (`make lock`).
LOCK := requirements/development.txt
PRODUCTION_LOCK := requirements/production.txt
PIP_INSTALL := $(BIN)/python -m pip install -q --disable-pip-version-check
NPM_DIR := var/npm
AXE := $(NPM_DIR)/node_modules/axe-core/axe.min.js
TEMPORAL_PORT ?= 7233
# pytest's worker processes: many tests wait (on timers, subprocesses, a browser) rather than
# compute, so four keep two cores busy (docs/testing.md). One test at a time to each, in the
# order collected (slow ones first): consecutive chunks would give one worker every slow test.
TEST_WORKERS ?= 4
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist load --maxschedchunk 1
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils chromium tzdata docker-compose postgresql-client

.PHONY: run test test-fast lint system-packages lock clean

run: $(VENV)/.installed
	$(BIN)/digivol up --demo --port $(PORT) --temporal-port $(TEMPORAL_PORT)

test: $(VENV)/.installed $(AXE)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -q $(PYTEST_PARALLEL) --durations=25

# The inner loop: everything but the tests that start the whole service, its parts as
# processes, a browser or a benchmark (marked slow); `make test` runs those too.
test-fast: $(VENV)/.installed
	$(BIN)/pytest -q $(PYTEST_PARALLEL) -m "not slow"

# Pango for WeasyPrint, fonts for the PDFs, pdftotext for the tests that read them, the
# time-zone database for session times in each SME's local time, Compose to validate the
# production docker-compose.yml (no Docker engine is needed for `config`), pg_dump and
# pg_restore for the backup runbook's test.
system-packages:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# Everything the development lock pins (the `embedded` and `test` extras too), each file
# checked against its hashes and from wheels only, so no build step fetches anything unpinned;
# then digivol itself, editable, with no dependency left to resolve.
$(VENV)/.installed: pyproject.toml $(LOCK) | system-packages
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --require-hashes --only-binary=:all: -r $(LOCK)
	$(PIP_INSTALL) --no-deps --no-build-isolation -e .
	touch $@

# The npm packages package-lock.json pins, each checked against its integrity hash: today
# only axe-core, which the browser tests inject to check each page against WCAG 2.1 AA.
$(AXE): package.json package-lock.json
	command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm)
	mkdir -p $(NPM_DIR) && cp package.json package-lock.json $(NPM_DIR)/
	npm ci --no-audit --no-fund --ignore-scripts --prefix $(NPM_DIR)
	touch $@

# Regenerates the lock files from pyproject.toml's pins and package.json: the development lock
# (every extra) first, then the production one (no extra) held to the same versions. The
# locks are for CPython 3.11 on Linux x86_64, the production image's platform. pip-tools runs
# from a throwaway virtual environment. A pinned transitive version stays until
# `make lock LOCK_UPGRADE=--upgrade`. Review the diff and commit the three files.
PIP_TOOLS_VERSION := 7.7.0
LOCK_TOOLS := $(or $(TMPDIR),/tmp)/digivol-lock-tools
LOCK_UPGRADE ?=
PIP_COMPILE = env -u PIP_FIND_LINKS -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null \
	CUSTOM_COMPILE_COMMAND='make lock' \
	$(LOCK_TOOLS)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(LOCK_UPGRADE)
lock:
	$(PYTHON) -c 'import platform, sys; assert sys.version_info[:2] == (3, 11) and sys.platform == "linux" and platform.machine() == "x86_64", "the locks are made with CPython 3.11 on Linux x86_64"'
	rm -rf $(LOCK_TOOLS) && $(PYTHON) -m venv $(LOCK_TOOLS)
	PIP_CONFIG_FILE=/dev/null $(LOCK_TOOLS)/bin/pip install -q --disable-pip-version-check pip-tools==$(PIP_TOOLS_VERSION)
	$(PIP_COMPILE) --all-build-deps --extra embedded --extra test -o $(LOCK) pyproject.toml
	$(PIP_COMPILE) --all-build-deps --constraint $(LOCK) -o $(PRODUCTION_LOCK) pyproject.toml
	npm install --package-lock-only --ignore-scripts --no-audit --no-fund
	rm -rf $(LOCK_TOOLS)

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache .import_linter_cache
