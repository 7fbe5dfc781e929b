# Two commands do all set-up on a fresh clone:
#   make test    - create .venv, install everything, run the whole test suite (CI runs exactly this)
#   make search  - create .venv, install everything, search the built-in corpus (Q="your question")
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
Q ?= 閻家山TOD項目總投資多少？

.PHONY: setup test lint search clean-venv

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: $(STAMP) lint
	$(PY) -m pytest

search: $(STAMP)
	$(VENV)/bin/articleqa search "$(Q)"

clean-venv:
	rm -rf $(VENV)
