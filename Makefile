# 创先争优 portal. On a fresh machine: `make run` (the portal with demo data) or `make test`.
# Everything runs from the virtualenv .venv, created with the machine's python3 and installed
# from requirements.lock (reinstalled only when the lock or pyproject.toml changes).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
# The steps of `run` and `test` depend on each other's order (install → compile → migrate…).
.NOTPARALLEL:

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# Plain pytest: on this 2-core kind `-n auto` (pytest-xdist) works with both SQLite and
# PostgreSQL but measured no faster (the suite waits on the database, and each process migrates
# its own test database). Try it with `make test PYTEST_ARGS="-n auto --dist loadgroup"`;
# tests that start a real Celery worker then need @pytest.mark.xdist_group("celery").
PYTEST_ARGS ?=
BENCH_ARGS ?=
# Folders that makemessages/compilemessages must not walk into.
I18N_IGNORE := --ignore=.venv --ignore=var --ignore=static/vendor --ignore=node_modules --ignore=tests

# Debian packages: gettext for compilemessages; WeasyPrint's Pango and HarfBuzz and the CJK
# fonts for PDFs; for the tests also poppler-utils (pdftotext, pdffonts) and Chromium with its
# driver (browser tests). Installed only when missing and only when running as root.
RUN_APT := gettext fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
TEST_APT := $(RUN_APT) poppler-utils chromium chromium-driver

.PHONY: help run test bench lint check messages compilemessages install migrate collectstatic \
	seed apt-run apt-test clean distclean

help:
	@echo "make run       install if needed, prepare the database and demo data, start web + worker + beat"
	@echo "make test      install if needed and run the test suite (ARGS=... passed to pytest)"
	@echo "make bench     manage.py bench on the configured database (BENCH_ARGS=\"--seed --runs 20\")"
	@echo "make lint      ruff check + ruff format --check"
	@echo "make check     manage.py check + makemigrations --check --dry-run"
	@echo "make messages  makemessages for zh_Hans, zh_Hant, en (django and djangojs)"
	@echo "make clean     remove caches, collected static files and compiled translations"

# --- set-up --------------------------------------------------------------------------------

install:
	@PYTHON="$(PYTHON)" scripts/ensure_venv.sh

apt-run:
	@scripts/ensure_apt.sh $(RUN_APT)

apt-test:
	@scripts/ensure_apt.sh $(TEST_APT)

compilemessages: install
	@command -v msgfmt >/dev/null || { \
		echo "error: msgfmt (GNU gettext) is missing; install it: sudo apt-get install gettext" >&2; \
		exit 1; }
	@mkdir -p locale
	@$(MANAGE) compilemessages $(I18N_IGNORE) --verbosity 0

migrate: install
	@$(MANAGE) migrate --noinput

# runserver serves static files itself in DEBUG; collecting is only for DEBUG=False (WhiteNoise).
# Re-collect when a static source or an installed package changed since the last collection.
collectstatic: install
	@stamp=var/.collectstatic-stamp; \
	if [ ! -f $$stamp ] || [ -n "$$(find static */static $(VENV)/.install-stamp \
			-newer $$stamp -print -quit 2>/dev/null || true)" ]; then \
		$(MANAGE) collectstatic --noinput --verbosity 0 && mkdir -p var && touch $$stamp; \
	fi

# seed_demo is idempotent: when the demo city exists it only prints the logins.
seed: migrate
	@mkdir -p var
	@$(MANAGE) seed_demo | tee var/demo-logins.txt

# --- the two commands ------------------------------------------------------------------------

run: install apt-run compilemessages migrate collectstatic seed
	@HOST="$(HOST)" PORT="$(PORT)" scripts/run_all.sh

# Uses DATABASE_URL / CELERY_BROKER_URL from the environment (CI: PostgreSQL and Redis);
# without them the tests run on SQLite. pytest's "no tests ran" (exit 5) is a failure too.
test: install apt-test compilemessages
	@$(PY) -m pytest $(PYTEST_ARGS) $(ARGS) || { rc=$$?; \
		if [ $$rc -eq 5 ]; then echo "error: pytest ran no tests (exit 5)" >&2; fi; \
		exit $$rc; }

# --- other tools ---------------------------------------------------------------------------

# Meant for a city-scale PostgreSQL database: see README.md.
bench: install
	@$(MANAGE) bench $(BENCH_ARGS)

lint: install
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

check: install
	@$(MANAGE) check
	@$(MANAGE) makemigrations --check --dry-run

messages: install
	@mkdir -p locale
	@$(MANAGE) makemessages -l zh_Hans -l zh_Hant -l en $(I18N_IGNORE)
	@$(MANAGE) makemessages -d djangojs -l zh_Hans -l zh_Hant -l en $(I18N_IGNORE)
	@$(VENV)/bin/python scripts/i18n.py hant
	@echo "Untranslated in zh_Hans (translate, then: python scripts/i18n.py apply FILE.json && make messages):"
	@$(VENV)/bin/python scripts/i18n.py untranslated

# Keeps .venv and the embedded database (var/portal.sqlite3); `make distclean` removes both.
clean:
	find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache build test-results
	rm -rf var/static var/.collectstatic-stamp var/demo-logins.txt
	find locale -name '*.mo' -delete 2>/dev/null || true

distclean: clean
	rm -rf $(VENV) var
