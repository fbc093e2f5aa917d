# Flowgate: `make run` (embedded: SQLite + in-process queue) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test check bench install clean assets

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
	@$(PY) -c "import json; d = json.load(open('var/demo.json')); \
	  print('\n  Flowgate: open $(FLOWGATE_BASE_URL)/ and log in as ' + d['email'] + ' / ' + d['password']); \
	  'token' in d and print('  API token (shown once): ' + d['token']); print()"
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

test: install
	./scripts/ensure_browser.sh
	./scripts/test.sh

check: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .
	$(PY) manage.py makemigrations --check --dry-run

bench: install
	./scripts/bench.sh

# Rebuild the flow editor bundle (needs Node.js; the built files are committed so `run` does not).
assets:
	cd web/frontend && npm ci && npm test && npx vite build

clean:
	rm -rf $(VENV) var
