# Two commands do all set-up on a fresh machine: `make demo` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# torch first, pinned: on these machines torch==2.13.0 is the CPU wheel on disk; an unpinned `torch`
# requirement pulled in by another package would fetch a multi-GB CUDA build instead.
TORCH_SPEC ?= torch==2.13.0
NB_WORKERS ?= 2
export OMP_NUM_THREADS ?= 1
export PYTHONHASHSEED ?= 0

.PHONY: setup demo test test-slow test-nbs test-py check-sync lab docs browser clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/sage-nb backtest --data sample:sp500 --out runs/demo --force

# Headless Chromium for the docs-site browser test (Debian packages; needs root, as on CI).
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	      || echo "warning: could not install chromium; the docs browser test will fail"; \
	  else echo "warning: chromium/chromedriver missing and not root; install Debian packages chromium chromium-driver"; fi; \
	fi

# Notebooks and library must be in sync and notebooks clean: both commands must change nothing.
check-sync: setup
	@sum() { find nbs sage_nb -name '*.ipynb' -o -name '*.py' | grep -v __pycache__ | sort | xargs md5sum; }; \
	before=$$(sum); $(BIN)/nbdev-clean; after=$$(sum); \
	if [ "$$before" != "$$after" ]; then echo "FAIL: nbdev-clean changed notebooks; run nbdev-clean and commit"; diff <(echo "$$before") <(echo "$$after"); exit 1; fi; \
	$(BIN)/nbdev-export; after2=$$(sum); \
	if [ "$$after" != "$$after2" ]; then echo "FAIL: nbdev-export changed the library: notebooks and sage_nb/ are out of sync"; diff <(echo "$$after") <(echo "$$after2"); exit 1; fi; \
	echo "notebooks clean and library in sync"

test-nbs: setup
	$(BIN)/python tools/test_nbs.py -n $(NB_WORKERS)

test-py: setup browser  # one pytest worker per core; a test file stays in one worker (--dist loadfile)
	$(BIN)/python -m pytest -q -n $(NB_WORKERS) --dist loadfile tests/

test: setup browser check-sync test-nbs test-py

test-slow: setup browser check-sync
	$(BIN)/python tools/test_nbs.py -n 1 --flags slow
	$(BIN)/python -m pytest -q -m slow tests/ -o addopts=""

lab: setup
	$(BIN)/jupyter lab nbs/

docs: setup
	$(BIN)/python tools/build_docs.py --out _site

clean:
	rm -rf _site _proc _docs build dist *.egg-info
