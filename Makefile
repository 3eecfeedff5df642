# Two commands do all set-up on a fresh machine: `make run` and `make test`.
# Everything else here is what they are made of, plus evaluation and benchmark targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $$HOME/.pyenv)
# pyenv's shims exist for every installed version but fail unless that version is selected, so look in
# pyenv's versions first and only then on PATH, and keep a candidate only if it actually runs.
find_python = $(firstword $(foreach c,$(sort $(wildcard $(PYENV_ROOT)/versions/$(1)*/bin/python)) $(shell command -v python$(1) 2>/dev/null),$(shell $(c) -c "import sys; print('$(c)') if sys.version_info[:2] == tuple(map(int, '$(1)'.split('.'))) else None" 2>/dev/null | grep -v None)))
PY312 ?= $(call find_python,3.12)
PY310 ?= $(call find_python,3.10)

VENV := .venv
RASA_VENV := .venv-rasa
PY := $(VENV)/bin/python
RASA := $(RASA_VENV)/bin/rasa
MODEL := models/navigator.tar.gz
TRAIN_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null | sort) $(wildcard bot/nlu/*.py)
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 3
export RASA_TELEMETRY_ENABLED := false
export PYTHONPATH := $(CURDIR)

.PHONY: help run test chat install train directory browser lint nlu-eval crisis-eval bench bench-search clean

help:
	@echo "make run    install if needed, train if inputs changed, build the directory, start everything"
	@echo "make test   install what is needed and run the whole suite (real Rasa, actions, gateway, browser)"
	@echo "make chat   talk to a running navigator in this terminal"
	@echo "make nlu-eval | crisis-eval | bench | lint"

# --- environments -------------------------------------------------------------------------------------
$(VENV)/.installed: pyproject.toml
	@test -n "$(PY312)" || { echo "Python 3.12 not found (python3.12 on PATH or pyenv)"; exit 1; }
	@test -x $(PY) || $(PY312) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	@touch $@

$(RASA_VENV)/.installed: requirements-rasa.txt
	@test -n "$(PY310)" || { echo "Python 3.10 not found (pyenv versions 3.10.x)"; exit 1; }
	@test -x $(RASA_VENV)/bin/python || $(PY310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/python -m pip install -q --upgrade pip
	$(RASA_VENV)/bin/python -m pip install -q --no-deps -r requirements-rasa.txt
	@touch $@

install: $(VENV)/.installed $(RASA_VENV)/.installed

# --- model: retrained only when its inputs change (content hash, not timestamps) ----------------------
models/.inputs.sha256: $(RASA_VENV)/.installed FORCE
	@mkdir -p models
	@cat $(TRAIN_INPUTS) | sha256sum > $@.new
	@if cmp -s $@.new $@ && test -f $(MODEL); then rm $@.new; echo "model is up to date"; \
	else mv $@.new $@.pending; fi

train: models/.inputs.sha256 | var
	@if test -f models/.inputs.sha256.pending; then \
	  echo "training the Rasa model (inputs changed)…"; \
	  start=$$(date +%s); \
	  $(RASA) train --config config.yml --domain domain.yml --data data --out models \
	    --fixed-model-name navigator --quiet > var/train.log 2>&1 || { tail -n 40 var/train.log; exit 1; }; \
	  echo "trained in $$(( $$(date +%s) - start ))s"; \
	  mv models/.inputs.sha256.pending models/.inputs.sha256; \
	fi

FORCE:

directory: $(VENV)/.installed
	@$(PY) -m resources load

var:
	@mkdir -p var

# --- the two commands ---------------------------------------------------------------------------------
run: install var train directory
	@$(PY) -m bot run

CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { echo "installing Debian's chromium…"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  { echo "could not install chromium (need root and Debian's package registry)"; exit 1; }; }

# The whole suite twice: on the embedded default (SQLite, no Redis), then with the suite's stack on a fresh
# PostgreSQL database and the machine's Redis (tests/services.py). Without them the second pass is skipped
# loudly, unless NAVIGATOR_REQUIRE_SERVICES=1 (.ci/run), where that is a failure.
test: install var train browser
	@echo "=== pass 1 of 2: embedded (SQLite) ==="; \
	$(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS); first=$$?; \
	if [ $$first -eq 5 ]; then echo "pytest collected no tests: failing on purpose"; exit 1; fi; \
	if missing=$$($(PY) -m tests.services); then \
	  echo "=== pass 2 of 2: PostgreSQL and Redis ==="; \
	  NAVIGATOR_TEST_BACKEND=services $(PY) -m pytest -p no:cacheprovider $(PYTEST_ARGS); second=$$?; \
	elif [ "$$NAVIGATOR_REQUIRE_SERVICES" = 1 ]; then \
	  echo "pass 2 (PostgreSQL and Redis) is required here but $$missing"; second=1; \
	else \
	  echo; echo "!!! PASS 2 SKIPPED: $$missing: the suite ran on SQLite only !!!"; echo; second=0; \
	fi; \
	echo "pass 1 (embedded): exit $$first; pass 2 (PostgreSQL and Redis): exit $$second"; \
	[ $$first -eq 0 ] && [ $$second -eq 0 ]

chat: $(VENV)/.installed
	@$(PY) -m bot chat

lint: $(VENV)/.installed
	@$(VENV)/bin/ruff check actions bot channels resources tests

# --- evaluation and benchmarks (figures go to README.md / BENCHMARKS.md) ------------------------------
nlu-eval: $(RASA_VENV)/.installed var
	$(RASA) test nlu --nlu data/nlu --config config.yml --cross-validation --folds 5 --successes --out var/nlu-eval
	@$(PY) -c "import json; r=json.load(open('var/nlu-eval/intent_report.json')); \
	print('intent macro-F1 (5-fold, both languages):', round(r['macro avg']['f1-score'], 4))"
	@$(PY) -m bot.nlu.per_language var/nlu-eval

crisis-eval: $(VENV)/.installed
	@status=0; $(PY) -m bot.crisis.evaluate tests/crisis/holdout2_en.tsv || status=1; \
	$(PY) -m bot.crisis.evaluate --language es || status=1; \
	$(PY) -m bot.crisis.evaluate --side-by-side; exit $$status

bench: install var train directory
	@$(PY) tests/bench/bench_roundtrip.py --train 3

bench-search: $(VENV)/.installed
	@$(PY) tests/bench/bench_search.py --services 100000 --queries 1000

clean:
	rm -rf var models/.inputs.sha256*
