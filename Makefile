# `make demo` and `make test` each set up .venv on a fresh machine (Python 3.11 + pip) and run.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test notebooks default-model clean-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/minetools demo --out out/demo

# Headless Chromium renders report.html in the tests (Debian package; installed once if missing).
$(VENV)/.chromium: $(STAMP)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }
	touch $@

test: $(STAMP) $(VENV)/.chromium
	$(BIN)/python -m pytest

notebooks: $(STAMP)
	$(BIN)/python -m papermill notebooks/01-quickstart.ipynb out/notebooks/01-quickstart.ipynb -p input_path data/sample/complaints.csv -p out_dir out/notebook-run

# rebuild the theme model shipped in src/minetools/resources/default_model (after editing the
# taxonomy or the segmentation resources; tests/test_default_model.py tells you when)
default-model: $(STAMP)
	$(BIN)/python tools/build_default_model.py

clean-venv:
	rm -rf $(VENV)
