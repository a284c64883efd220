# The two set-up commands: `make run` serves the app, `make test` runs the whole suite.
# Each creates .venv on first use from the pinned requirements.

PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

BIN := $(VENV)/bin
SERVE_STAMP := $(VENV)/.serve-installed
DEV_STAMP := $(VENV)/.dev-installed

.PHONY: run test train evaluate export bench clean

run: $(SERVE_STAMP)
	exec $(BIN)/gunicorn -c gunicorn.conf.py "webapp:create_app()"

test: $(DEV_STAMP)
	$(BIN)/python -m pytest

train: $(DEV_STAMP)
	$(BIN)/python -m model_training.train --model mlp --epochs 30
	$(BIN)/python -m model_training.train --model cnn --epochs 40
	$(BIN)/python -m model_training.export
	$(BIN)/python -m model_training.evaluate

evaluate: $(DEV_STAMP)
	$(BIN)/python -m model_training.evaluate

export: $(DEV_STAMP)
	$(BIN)/python -m model_training.export

bench: $(DEV_STAMP)
	$(BIN)/python -m bench.load

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(SERVE_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-train.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(SERVE_STAMP) $@

clean:
	rm -rf $(VENV) build .pytest_cache
