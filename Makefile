# The README's two commands: `make run` and `make test`. Both set everything up
# on a fresh Debian/Ubuntu machine with Python 3.11.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEVICES ?= 3

.PHONY: run test adb browser screenshots clean bench

$(STAMP): setup.cfg setup.py pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# The Debian adb package, installed when missing and we are root.
adb:
	@if ! command -v adb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq adb; \
	  else \
	    echo "adb is missing: run 'sudo apt-get install adb' (Debian/Ubuntu)"; exit 1; \
	  fi; \
	fi

# Debian's chromium and chromium-driver, for the browser tests (/docs, the dashboard),
# installed when missing and we are root; without them those tests are skipped, and say so.
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	  else \
	    echo "chromium is missing: run 'sudo apt-get install chromium chromium-driver' for the browser tests"; \
	  fi; \
	fi

run: $(STAMP) adb
	$(BIN)/tikmatrixd demo --devices $(DEVICES)

test: $(STAMP) adb browser
	$(BIN)/ruff check tikmatrixd tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest

# The README's dashboard pictures, as the browser tests see the pages.
screenshots: $(STAMP) adb browser
	TIKMATRIXD_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -q tests/browser/test_dashboard.py

bench: $(STAMP) adb
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var build *.egg-info
