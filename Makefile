# One task runner for developers, CI and the README.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PORT ?= 5100
DEMO_DIR ?= .demo

.PHONY: install frameworks services browser ui web-test web-types web-types-check test test-fast screenshots check format demo bench docs clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# The training frameworks the framework tests drive (tests/requirements-frameworks.txt says why
# they are not in the dev extra).
frameworks: $(VENV)/.frameworks

$(VENV)/.frameworks: $(VENV)/.installed tests/requirements-frameworks.txt
	$(PY) -m pip install -q -r tests/requirements-frameworks.txt
	touch $@

# PostgreSQL runs on this kind of machine; start it if it is down.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; echo "PostgreSQL did not start" >&2; exit 1

# Debian's Chromium for the browser tests (a browser download does not work here).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

WEB_SOURCES := $(shell find web/src web/index.html web/package.json web/vite.config.ts -type f 2>/dev/null)

ui: src/trailmark/web_dist/index.html

src/trailmark/web_dist/index.html: $(WEB_SOURCES) web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build

web-test: ui
	cd web && npm test

# The dashboard's API types, generated from the server's OpenAPI document
# (create_app(...).openapi()); `make check` fails when the checked-in file is stale.
WEB_TYPES := web/src/api/schema.gen.ts
OPENAPI_TS := web/node_modules/.bin/openapi-typescript
OPENAPI_DUMP := import json, pathlib, sys; from trailmark.server.app import create_app; \
	from trailmark.server.settings import ServerSettings; \
	app = create_app(ServerSettings(data_dir=pathlib.Path(sys.argv[1]))); \
	json.dump(app.openapi(), sys.stdout, indent=1); app.state.store.close()
# $(call web_types,OUT): write the generated types to OUT
define web_types
	@test -x $(OPENAPI_TS) || (cd web && npm ci --no-audit --no-fund --loglevel=error)
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	$(PY) -c '$(OPENAPI_DUMP)' $$tmp > $$tmp/openapi.json && \
	$(OPENAPI_TS) $$tmp/openapi.json -o $(1) >/dev/null 2>$$tmp/err || { cat $$tmp/err >&2 2>/dev/null; exit 1; }
endef

web-types: install
	$(call web_types,$(WEB_TYPES))

web-types-check: install
	$(call web_types,$(WEB_TYPES).check)
	@diff -q $(WEB_TYPES) $(WEB_TYPES).check >/dev/null || { rm -f $(WEB_TYPES).check; \
	echo "$(WEB_TYPES) is stale: run make web-types" >&2; exit 1; }
	@rm -f $(WEB_TYPES).check

check: install web-types-check
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	@test -x web/node_modules/.bin/eslint || (cd web && npm ci --no-audit --no-fund --loglevel=error)
	cd web && npm run lint

format: install
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

test: install frameworks services browser check ui web-test
	$(BIN)/pytest -q -p no:cacheprovider

# The quick loop, fine on a fresh clone: no PostgreSQL, no Chromium (nor the built UI it
# needs), no timed benchmark guard.
test-fast: install
	$(BIN)/pytest -q -x -p no:cacheprovider -m "not slow and not postgres and not browser"

# Browser tests write their screenshots under build/screenshots/ (ignored); this refreshes
# the ones the docs show.
screenshots: install browser ui
	rm -rf build/screenshots
	$(BIN)/pytest -q -p no:cacheprovider tests/browser
	mkdir -p docs/screenshots && cp build/screenshots/*.png docs/screenshots/

demo: install ui
	@test -f $(DEMO_DIR)/trailmark.db || $(BIN)/trailmark demo --data-dir $(DEMO_DIR)
	@echo "Trailmark is running at http://127.0.0.1:$(PORT)  (project 'demo'; Ctrl-C to stop)"
	$(BIN)/trailmark ui --data-dir $(DEMO_DIR) --port $(PORT)

bench: install services
	$(PY) benchmarks/run.py

docs: install
	$(PY) -m trailmark.docs_gen

clean:
	rm -rf $(VENV) $(DEMO_DIR) .mypy_cache .ruff_cache .pytest_cache web/node_modules src/trailmark/web_dist
