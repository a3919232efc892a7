# Two commands: `make demo` and `make test`. Both set up everything they need on a
# fresh Debian 12 machine (system packages, virtualenv, private PostgreSQL+PostGIS
# and Redis under ./var/), so nothing has to be prepared by hand.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Pango (and a font) for WeasyPrint's work orders; poppler-utils gives the tests pdftotext.
APT_PACKAGES := postgresql-15 postgresql-15-postgis-3 redis-server chromium nginx systemd \
  libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils
PYTEST_ARGS ?=
# The suite runs in one pytest process per core (at most 4; each has its own database, Redis,
# SMTP and S3 servers and Chromium), whole test files per process.
PYTEST_WORKERS ?= $(shell n=$$(nproc); [ $$n -gt 4 ] && n=4; echo $$n)

.PHONY: demo test system-packages venv translations assets services-up services-down clean bench

demo: venv translations assets services-up
	scripts/demo.sh

test: venv translations assets services-up
	@set -o pipefail; eval "$$(scripts/services.sh env)"; \
	  status=0; $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS) || status=$$?; \
	  scripts/services.sh stop; exit $$status

# Installs only what is missing; apt-get update runs first because a fresh machine
# has empty package lists.
system-packages:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@command -v npm >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q npm; }

# KERN UX (the pages' design system) and axe-core for the accessibility tests (Leaflet
# itself is vendored in app/static/vendor).
node_modules/.installed: package.json package-lock.json | system-packages
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# KERN's stylesheet and the subset Fira Sans fonts, built from node_modules into
# app/static/kern/ (not committed; the app serves them itself, no CDN).
KERN_STAMP := app/static/kern/.built
$(KERN_STAMP): scripts/build_assets.py node_modules/.installed $(VENV)/.installed
	$(BIN)/python scripts/build_assets.py
	touch $@

assets: $(KERN_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Reinstalls when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

venv: system-packages $(VENV)/.installed

translations: $(VENV)/.installed
	@for po in $$(find app -path '*/translations/*/LC_MESSAGES/messages.po'); do \
	  $(BIN)/pybabel compile --statistics -i $$po -o $${po%.po}.mo || exit 1; done

services-up: system-packages
	scripts/services.sh start

services-down:
	scripts/services.sh stop

bench: venv services-up
	eval "$$(scripts/services.sh env)"; $(BIN)/python -m bench.run_all

clean: services-down
	rm -rf var
