# `make demo` and `make test` each set up .venv on a fresh machine (Python 3.11 + pip) and run.
# Versions come from the lock file (exact versions and hashes); `make lock` refreshes it from
# pyproject.toml, the one source of dependency ranges, and rewrites environment.yml to match.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements/py311.lock
UV_VERSION := 0.13.8

.PHONY: demo test lock notebooks default-model clean-venv

$(STAMP): $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	touch $(STAMP)

# resolve pyproject.toml (every extra) for CPython 3.11 on Linux with uv, hashes included; pins
# already in the lock are kept where pyproject still allows them (`make lock UPGRADE=--upgrade`
# moves everything to the newest allowed release; then run `make default-model` and `make test`)
lock:
	$(PYTHON) -m venv .cache/uv-venv
	.cache/uv-venv/bin/python -m pip install --quiet uv==$(UV_VERSION)
	.cache/uv-venv/bin/uv pip compile pyproject.toml --extra test --extra lab --universal \
		--python-version 3.11 --generate-hashes --no-header $(UPGRADE) -o $(LOCK)
	$(PYTHON) tools/sync_environment.py

# Debian packages: a static CJK font with regular and bold weights for the charts (the PyPI
# fallback font is a thin variable font), and headless Chromium for the report test.
APT_INSTALL = SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); $$SUDO apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq

$(VENV)/.fonts: $(STAMP)
	@test -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc || { $(APT_INSTALL) fonts-noto-cjk && \
	  rm -rf $${XDG_CACHE_HOME:-$$HOME/.cache}/matplotlib; }
	touch $@

demo: $(STAMP) $(VENV)/.fonts
	$(BIN)/minetools demo --out out/demo

# Headless Chromium renders report.html in the tests, and pdftotext (poppler-utils) reads report.pdf back
# for the privacy scan (Debian packages; installed once if missing).
$(VENV)/.chromium: $(STAMP)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { $(APT_INSTALL) chromium; }
	@command -v pdftotext >/dev/null 2>&1 || { $(APT_INSTALL) poppler-utils; }
	touch $@

# two workers (one per core), each test file on one worker so its fixtures are built once
test: $(STAMP) $(VENV)/.fonts $(VENV)/.chromium
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder

# run every notebook top to bottom on one file: `make notebooks INPUT=exports/2024-07.csv`
# (default: the bundled sample). Executed copies go to out/notebooks/<name>.ipynb, and each
# notebook's run directory to out/notebooks/run-<name>.
INPUT     ?= data/sample/complaints.csv
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))

notebooks: $(STAMP)
	@mkdir -p out/notebooks
	@set -e; for nb in $(NOTEBOOKS); do \
		name=$$(basename "$$nb" .ipynb); \
		echo "== $$name on $(INPUT)"; \
		$(BIN)/python -m papermill "$$nb" "out/notebooks/$$name.ipynb" \
			-p input_path "$(INPUT)" -p out_dir "out/notebooks/run-$$name"; \
	done

# rebuild the theme model shipped in src/minetools/resources/default_model (after editing the
# taxonomy or the segmentation resources; tests/themes/test_default_model.py tells you when)
default-model: $(STAMP)
	$(BIN)/python tools/build_default_model.py

clean-venv:
	rm -rf $(VENV)
