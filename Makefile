# The two commands in the README: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed
DATA ?= $(abspath $(or $(HOTSPOTS_DATA_DIR),$(wildcard ../shared/data)))
OUT ?= outputs/demo

.PHONY: demo test lint docs bench clean venv
venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# the benchmarks add the `bench` extra (numba, so esda is also timed compiled); `make test`,
# `make demo` and CI install `.[dev]` only
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,bench]"
	touch $(BENCH_STAMP)

demo: $(STAMP)
	HOTSPOTS_OFFLINE=1 $(BIN)/hotspots demo --out $(OUT) --overwrite

test: $(STAMP)
	HOTSPOTS_OFFLINE=1 HOTSPOTS_DATA_DIR=$(DATA) $(BIN)/python -m pytest -n 2 tests

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

docs: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir site

bench: $(BENCH_STAMP)
	HOTSPOTS_DATA_DIR=$(DATA) $(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) site outputs .pytest_cache .mypy_cache .ruff_cache
