# rmwork — the two commands of the quick start:
#   make demo   set up .venv (Python 3.12, pinned packages) and regenerate every shipped lot's report
#   make test   set up .venv and run the whole test suite (pytest + nbval)
#   make test-fast  the statistics tier only (pytest -m "stats and not slow"; under 2 minutes)
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SYSSTAMP := $(VENV)/.system-packages
# Debian packages some tests and the Chinese report need: a CJK font, Chromium for the browser test,
# poppler (pdfinfo, pdftoppm, pdftotext) for the print test
DEBS := chromium fonts-noto-cjk poppler-utils
WORKERS ?= 2

# Python 3.12 is required (PyMC 6); find it on PATH or under pyenv, never fall back to another line.
# (a pyenv shim named python3.12 may exist and still fail, so every candidate is tried for real)
PYTHON312 ?= $(shell for c in python3.12 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12.*/bin/python 2>/dev/null | sort -V -r) $$(PYENV_VERSION=3.12 pyenv which python 2>/dev/null); do \
  "$$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1 && { command -v "$$c"; break; }; done)

.PHONY: demo test test-fast lint setup system clean-reports lab bench

# exit 3 = every report written, some analyte withheld from its certificate (the demo lots withhold
# X of CRM001 and Si, Mn of M321 with their reasons): a finished demo, not a failure
demo: setup system
	@$(VENV)/bin/rmwork batch parameters/ --workers $(WORKERS) --force --reason "make demo"; \
	  rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 3 ] || exit $$rc

test: setup system lint
	$(PY) -m pytest -p no:cacheprovider --nbval tests

# ruff (lint and format) over the tree, mypy over the statistics and certificate modules (pyproject.toml)
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test-fast: setup
	$(PY) -m pytest -p no:cacheprovider -q -m "stats and not slow" tests

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@if [ -z "$(PYTHON312)" ] || ! "$(PYTHON312)" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then \
	  echo "rmwork needs Python 3.12 (PyMC 6 requires it): install python3.12 or pyenv 3.12, or set PYTHON312=/path/to/python3.12" >&2; exit 2; fi
	@[ -x $(PY) ] || "$(PYTHON312)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[test,lab]'
	$(PY) -m ipykernel install --sys-prefix --name rmwork --display-name "rmwork (Python 3.12)" >/dev/null
	@touch $(STAMP)

# Debian packages: installed when missing and we are root (CI, the project's machines); otherwise
# the tests that need them say so.
system: $(SYSSTAMP)

$(SYSSTAMP): | $(STAMP)
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "note: Debian packages missing:$$missing (install them for the browser test and Chinese figures)"; fi; \
	fi
	@touch $(SYSSTAMP)

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

bench: setup system
	$(PY) benchmarks/run.py

clean-reports:
	rm -rf reports/*/ reports/.failed
