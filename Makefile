# Developer entry points. `make test` is what CI runs (.ci/run).
#
#   make venv       create .venv and install the project with its test tools
#   make test       pytest, then the lit/FileCheck tests (both run; fails if either fails)
#   make pytest     pytest only            make filecheck   lit tests only
#   make lint       ruff check + ruff format --check
#   make format     ruff format + ruff check --fix
#
# Tools come from the virtual environment VENV: the activated one ($VIRTUAL_ENV), else ./.venv
# if it exists, else whatever is on PATH. Override with `make test VENV=/path/to/venv` or
# `make test PY=... LIT=... RUFF=...`.

VENV ?= $(if $(VIRTUAL_ENV),$(VIRTUAL_ENV),.venv)
BIN := $(if $(wildcard $(VENV)/bin/python3),$(VENV)/bin/,)
PY ?= $(BIN)python3
LIT ?= $(BIN)lit
RUFF ?= $(BIN)ruff
PYTEST_ARGS ?= -q
LIT_ARGS ?= -v
# lit tests also run with `snn-opt` in place of `xdsl-opt` (same command line, same output)
SNN_OPT_LIT ?= lit_tests/dialect lit_tests/snn-prune/options.mlir lit_tests/snn-quantize/invalid.mlir

.PHONY: help venv test pytest filecheck lint format clean

help:
	@sed -n '2,11s/^# \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

venv:
	python3 -m venv $(VENV)
	$(VENV)/bin/python3 -m pip install --upgrade pip
	$(VENV)/bin/python3 -m pip install -e '.[test]'

test:
	@status=0; \
	$(PY) -m pytest $(PYTEST_ARGS) || status=1; \
	$(LIT) $(LIT_ARGS) lit_tests || status=1; \
	$(LIT) $(LIT_ARGS) -D opt=snn-opt $(SNN_OPT_LIT) || status=1; \
	if [ $$status -ne 0 ]; then echo "make test: FAILED (see pytest and lit output above)"; fi; \
	exit $$status

pytest:
	$(PY) -m pytest $(PYTEST_ARGS)

filecheck:
	$(LIT) $(LIT_ARGS) lit_tests

lint:
	$(RUFF) check .
	$(RUFF) format --check .

format:
	$(RUFF) format .
	$(RUFF) check --fix .

clean:
	find lit_tests snn_dialect transforms tests -type d \( -name Output -o -name __pycache__ \) \
		-prune -exec rm -rf {} +
	rm -rf .pytest_cache .hypothesis .ruff_cache build
