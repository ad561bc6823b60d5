# recdyn: the two commands of the README are `make figures` and `make test`.
# Both create/reuse the project venv (.venv), install the pinned dependencies, build the libFM
# bindings (wpyfm) and install the library in editable mode, then run their job.

PYTHON  ?= python3.11
VENV    ?= .venv
PRESET  ?= default
CORES   ?= all
# Extra pip options, e.g. PIP_OPTS="--extra-index-url https://download.pytorch.org/whl/cpu" where the
# CPU wheel of torch is not on disk (the lock pins the +cpu build, so pip never pulls a CUDA build).
PIP_OPTS ?=

PY        := $(VENV)/bin/python
SNAKEMAKE := $(VENV)/bin/snakemake
STAMP     := $(VENV)/.recdyn-installed

.PHONY: install figures test smoke report claims data-status unlock estimate lint dryrun-all lock clean-results help

help:
	@echo "make figures [PRESET=default|smoke|paper] [CORES=all]  install, then regenerate every figure"
	@echo "make test                                             install, then run the test suite"
	@echo "make data-status [PRESET=...]                         where each dataset's data will come from, verified"
	@echo "make unlock                                           after a killed run: release Snakemake's lock"
	@echo "make estimate [TARGET=paper]                          CPU hours of a preset, from this run's benchmark files"
	@echo "make smoke | report | claims | lint | lock"

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml scripts/install/build_wpyfm.sh scripts/install/patch_wpyfm.py
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "recdyn needs Python >= 3.11"' \
	  || { echo "set PYTHON=/path/to/python3.11 (found $$($(PYTHON) --version 2>&1))"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(PIP_OPTS) -r requirements.lock
	bash scripts/install/build_wpyfm.sh $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	touch $@

figures: install
	$(SNAKEMAKE) figures --cores $(CORES) --config preset=$(PRESET)

test: install
	$(PY) -m pytest

smoke: install
	$(SNAKEMAKE) figures --cores $(CORES) --config preset=smoke

claims: install
	$(SNAKEMAKE) claims --cores $(CORES) --config preset=$(PRESET)

report: install
	$(SNAKEMAKE) report --cores $(CORES) --config preset=$(PRESET)

data-status: install
	$(SNAKEMAKE) data_status --cores 1 --forcerun data_status --config preset=$(PRESET) --quiet rules progress
	@cat figures/data/data_status.md

estimate: install
	$(PY) -m recdyn.estimate --target $(or $(TARGET),paper)

unlock: install
	$(SNAKEMAKE) --unlock --config preset=$(PRESET)

lint: install
	$(SNAKEMAKE) --lint

lock: install
	{ echo "# Pinned dependencies of recdyn (Python 3.11). Regenerate with: make lock"; \
	  echo "# torch is the CPU build; on machines without its wheel on disk add: --extra-index-url https://download.pytorch.org/whl/cpu"; \
	  $(PY) -m pip freeze --all --exclude-editable | grep -v -i -E "^(recdyn|wpyfm|pip)( |==|@)"; } > requirements.lock
	$(PY) scripts/install/sync_conda_envs.py

clean-results:
	rm -rf results figures logs data/interim data/processed
