# The two commands a learner or CI needs: `make lab` and `make test`.
# Everything they need is installed into .venv from PyPI; only Python 3.11+ and make are assumed.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: lab test setup check-python lint-imports test-code test-notebooks docs benchmarks clean

# Jupyter refuses to run as root unless told; containers and CI often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: setup
	$(BIN)/jupyter lab notebooks/00-start-here.ipynb $(ROOT_FLAG)

test: setup lint-imports test-code test-notebooks

setup: $(STAMP)

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "awslab needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)")'

$(STAMP): pyproject.toml | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[lab,test]"
	touch $(STAMP)

lint-imports: setup
	$(BIN)/lint-imports

test-code: setup
	$(BIN)/python -m pytest tests

test-notebooks: setup
	$(BIN)/python -m pytest --nbval-lax notebooks -p no:cacheprovider

docs: setup
	$(BIN)/python -m awslab.tables_doc > docs/tables.md
	$(BIN)/python -m awslab.trail.docs docs/trail.md
	$(BIN)/python tools/benchmarks_doc.py

benchmarks: setup
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
