# `make run` and `make test` each set up everything they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
AXE_VERSION := 4.14.1
AXE := var/npm/node_modules/axe-core/axe.min.js
TEMPORAL_PORT ?= 7233
# pytest's worker processes: many tests wait (on timers, subprocesses, a browser) rather than
# compute, so four keep two cores busy (docs/testing.md). One test at a time to each, in the
# order collected (slow ones first): consecutive chunks would give one worker every slow test.
TEST_WORKERS ?= 4
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist load --maxschedchunk 1
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils chromium tzdata docker-compose postgresql-client

.PHONY: run test test-fast lint system-packages clean

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

$(VENV)/.installed: pyproject.toml | system-packages
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

# axe-core, which the browser tests inject to check each page against WCAG 2.1 AA.
$(AXE):
	command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm)
	npm install --no-audit --no-fund --prefix var/npm axe-core@$(AXE_VERSION)

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache .import_linter_cache
