# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint typecheck format sysdeps install clean bench screenshots

run: $(STAMP)
	$(BIN)/coreography

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

# The quick subset while editing: everything not marked slow (no long real runs).
test-fast: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

# mypy: strict on model/ and engine/, the GUI on the exemption list in pyproject.toml.
typecheck: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

# The bench extra (VizTracer, mpire) is what the benchmarks compare with; tests never need it.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/fixed_cost.py
	$(BIN)/python bench/cli_cost.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/overhead.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/render.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/startup.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/latency.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/window_cpu.py

screenshots: $(STAMP)
	COREOGRAPHY_SCREENSHOTS=screenshots QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest tests/gui -k screenshot -q

install: $(STAMP)

# The venv is rebuilt when the project's dependencies change.
$(STAMP): pyproject.toml
	bash packaging/install-system-deps.sh
	$(PYTHON) packaging/check-python.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,dask]'
	touch $(STAMP)

sysdeps:
	bash packaging/install-system-deps.sh

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache src/*.egg-info

# Desktop installers: the frozen app, a .deb and a .tar.gz in dist/ (see packaging/).
.PHONY: package package-test
package:
	bash packaging/build.sh

# Builds, validates, and runs the self-test from the frozen app and the extracted .deb.
package-test: $(STAMP)
	bash packaging/package-test.sh
