# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
# gunicorn worker processes of `make serve`; empty: 2 per CPU core (see gunicorn.conf.py).
WORKERS ?=
# Synthetic responses `make run` makes sure exist, so that a fresh install shows benchmarks.
DEMO_RESPONSES ?= 3000
FLASK := $(BIN)/flask --app diagnostic
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CATALOGS := diagnostic/translations
# axe-core, the accessibility rules the browser tests run, from the npm registry (checked by hash).
AXE_VERSION := 4.14.1
AXE_SHA256 := 29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c
AXE := tests/browser/vendor/axe.min.js
BABEL_KEYWORDS := -k _l -k lazy_ngettext:1,2

.PHONY: run serve test install install-test translations compile-translations update-translations \
        chromium lint format clean screenshots

run: install compile-translations  ## Install, create or upgrade the database, serve the app
	$(FLASK) init-db
	$(FLASK) seed-demo --responses $(DEMO_RESPONSES) --top-up
	$(FLASK) run --host $(HOST) --port $(PORT)

# Production server: the master migrates the database once, then starts the workers.
serve: install compile-translations  ## Serve with gunicorn (WORKERS, HOST, PORT) on DATABASE_URL
	HOST=$(HOST) PORT=$(PORT) WORKERS=$(WORKERS) \
	    $(BIN)/gunicorn --config gunicorn.conf.py --access-logfile -

test: install-test compile-translations chromium $(AXE)  ## Lint and run the whole test suite
	$(BIN)/ruff check .
	$(BIN)/python -m questionnaires
	$(BIN)/python -m pytest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Catalogs: the .po files are in git; the .mo files are built here.
compile-translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d $(CATALOGS)

# After changing user-facing text: extract the messages and merge them into the catalogs.
update-translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
	    --project diagnostic-territorial -o $(CATALOGS)/messages.pot .
	$(BIN)/pybabel update -i $(CATALOGS)/messages.pot -d $(CATALOGS) \
	    --ignore-obsolete

# Browser tests drive Debian's Chromium; it is installed from Debian's packages when missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	    echo "Installing Debian's chromium for the browser tests"; \
	    $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

$(AXE):
	@mkdir -p build/axe $(dir $(AXE))
	cd build/axe && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && \
	    tar xzf axe-core-$(AXE_VERSION).tgz package/axe.min.js
	echo "$(AXE_SHA256)  build/axe/package/axe.min.js" | sha256sum --check --quiet
	cp build/axe/package/axe.min.js $@

# Pictures of the main pages at phone, laptop and projector sizes, for the README.
screenshots: install-test compile-translations chromium
	$(BIN)/python -m tests.browser.screenshots docs/screenshots

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build $(AXE)
	find . -name '*.mo' -path '*/translations/*' -delete
