# Flowgate: `make run` (embedded: SQLite + in-process queue) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test check docs bench bench-big chaos fuzz mutation install clean assets

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: export FLOWGATE_BASE_URL ?= http://$(HOST):$(PORT)
run: install
	$(PY) manage.py migrate --verbosity 0
	@mkdir -p var && $(PY) manage.py demo > var/demo.json
	@if [ -x $(VENV)/bin/mkdocs ]; then NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --quiet \
	  || echo "  (the docs did not build: /docs/ is not served; run make docs to see why)"; fi
	@$(PY) -c "import json; d = json.load(open('var/demo.json')); \
	  print('\n  Flowgate: open $(FLOWGATE_BASE_URL)/ and log in as ' + d['email'] + ' / ' + d['password']); \
	  'token' in d and print('  API token (shown once): ' + d['token']); print()"
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

# The suite opens the built docs site (/docs/) as a user would after make run, so it is built first.
test: install
	./scripts/ensure_browser.sh
	-./scripts/ensure_kannel.sh
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --quiet
	./scripts/test.sh

check: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .
	$(PY) manage.py makemigrations --check --dry-run

# The documentation site (MkDocs + Material) into site/, strict: a broken link or anchor fails.
# `make run` serves it at /docs/.
docs: install
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

# One report (table + var/bench-report.json); e.g. make bench BENCH_ARGS="--quick --only receive,scale"
bench: install
	./scripts/bench.sh $(BENCH_ARGS)

# Every screen at a national programme's size (not in CI): builds 1M contacts + 10M messages with
# SQL in its own database and prints figure x size; e.g. make bench-big BIG_ARGS="--small" or
# BIG_ARGS="--contacts 200000 --messages 2000000". Database: BENCH_BIG_DATABASE_URL (dropped!).
bench-big: install
	$(PY) -m benchmarks.big $(BIG_ARGS)

# The fault suite: real processes, a private PostgreSQL and Redis; e.g. make chaos CHAOS_ARGS=--short
chaos: install
	$(PY) -m chaos $(CHAOS_ARGS)

# Hypothesis properties with a larger budget, then coverage-guided atheris runs of the pure
# parsers (skipped where no atheris wheel installs); e.g. make fuzz FUZZ_EXAMPLES=5000 FUZZ_SECONDS=300
FUZZ_EXAMPLES ?= 1000
FUZZ_SECONDS ?= 60
fuzz: install
	FLOWGATE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FLOWGATE_FUZZ_RANDOM=1 ./scripts/test.sh tests/fuzz
	@if $(PY) -m pip install --quiet --only-binary :all: 'atheris>=2.3'; then \
	  for target in smpp connector expression; do \
	    $(PY) -m tests.fuzz.atheris_harness $$target -max_total_time=$(FUZZ_SECONDS) -max_len=8192 || exit 1; \
	  done; \
	else echo "atheris: no wheel for this platform, coverage-guided runs skipped"; fi

# Mutation score of the core, package by package, each against its own tests (slow: not in CI);
# e.g. make mutation MUTATION_ARGS="--only smsc-pdu,flows-routertests --survivors"
mutation: install
	$(PY) scripts/mutation.py $(MUTATION_ARGS)

# Rebuild the flow editor bundle (needs Node.js; the built files are committed so `run` does not).
assets:
	cd web/frontend && npm ci && npm test && npx vite build

clean:
	rm -rf $(VENV) var site
