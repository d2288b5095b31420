# Calx: `make run` starts everything, `make test` checks everything. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-$(shell cat requirements/lock.txt | md5sum | cut -c1-12)
export PYTHONPATH := $(CURDIR)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup lint types unit test-e2e test bench run lock clean browser-deps

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

setup: $(STAMP)  ## Python 3.10 venv in .venv with the pinned packages (idempotent)

$(STAMP): requirements/lock.txt scripts/find-python310.sh
	@py=$$(scripts/find-python310.sh) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
	  echo "creating $(VENV) with $$py"; rm -rf $(VENV); $$py -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install -q --disable-pip-version-check "pip<25"
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/lock.txt
	@rm -f $(VENV)/.installed-*; touch $@

lock:  ## re-resolve requirements/*.in against the shared constraints into requirements/lock.txt
	$(PY) -m pip install -q -r requirements/base.in -r requirements/dev.in -c requirements/constraints-shared.txt
	$(PY) -m pip freeze --exclude-editable > requirements/lock.txt

lint: setup  ## ruff + mypy on bot/ and actions/
	$(PY) -m ruff check bot actions tests scripts bench evals
	$(PY) -m ruff format --check bot actions bench evals
	$(PY) -m mypy bot actions

unit: setup  ## the fast tests: everything but the e2e and browser tests
	$(PY) -m pytest -q -m "not e2e and not browser"

test-e2e: setup  ## the tests that start the real processes or drive Chromium (markers e2e, browser)
	$(PY) -m pytest -q -m "e2e or browser"

test: lint validate-data test-stories unit test-e2e  ## set-up, lint, Rasa checks, fast tests, then e2e/browser (CI runs it, then make test-slow)

browser-deps:  ## Chromium, pdftotext, npm ci + vendored axe-core for the browser tests (idempotent)
	scripts/ci-system-deps.sh

bench: setup  ## benchmarks, printed as tables
	$(PY) -m bench

# -- measured on blind batches (tests/data/README.md; first scores in tests/data/scores.yaml) ----
.PHONY: eval-nlu eval-emergencies eval-turns

eval-nlu: setup  ## answers of the blind NLU batches coded right, per kind: the untouched batch and all
	$(PY) -m evals.nlu

eval-emergencies: setup  ## the emergency screen on the blind corpora: caught, false alarms, first score beside now
	$(PY) -m evals.emergencies

eval-turns: setup  ## the blind out-of-script turns played against make run (skip, go back, documents...)
	$(PY) -m evals.turns

# -- the dialogue (Rasa) ---------------------------------------------------------------
.PHONY: domain train validate-data test-stories e2e

run: setup  ## prepare (NLP pipeline, migrations, model if changed), then run Rasa, actions, web
	$(PY) -m bot.runner

domain: setup  ## regenerate domain.yml from the data dictionary
	$(PY) -m bot.interview.domain

train: setup  ## train the Rasa model only if data/, domain.yml, config.yml or the NLP rules changed
	$(PY) -m bot.runner train

validate-data: setup  ## domain up to date; rasa data validate --fail-on-warnings
	$(PY) -m bot.interview.domain --check
	$(PY) -m rasa data validate --fail-on-warnings

test-stories: train  ## rasa test core on tests/stories, failing on any prediction error
	$(PY) -m rasa test core --stories tests/stories --model "$$($(PY) -m bot.runner model)" \
	  --fail-on-prediction-errors --no-plot --out var/results/core

e2e: setup  ## start the real processes and run every public vignette through the REST channel
	$(PY) -m pytest -m e2e tests/e2e -q -s

# -- the production topology (docs/deploy.md) -----------------------------------------------
.PHONY: cluster-deps run-cluster bench-load test-slow

cluster-deps:  ## HAProxy from Debian's packages, if missing (idempotent)
	@command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || { \
	  echo "installing HAProxy (apt-get install haproxy)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; }

run-cluster: setup cluster-deps  ## HAProxy on 5005/5055/8000 before CALX_REPLICAS Rasa servers, 2 action servers, 2 web workers, the event worker (PostgreSQL, Redis, RabbitMQ)
	$(PY) -m bot.cluster

bench-load: setup cluster-deps  ## 200 simulated interviews against make run and make run-cluster, then the saturation point
	$(PY) -m bench.load

test-slow: setup cluster-deps  ## load and fault tests in the cluster mode (marker slow)
	$(PY) -m pytest -m slow tests/cluster -q -s

clean:  ## remove generated files (keeps .venv)
	rm -rf var/ .pytest_cache .mypy_cache .ruff_cache tests/artifacts
