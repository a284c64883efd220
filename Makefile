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

.PHONY: run test train train-resume evaluate export bench clean

run: $(SERVE_STAMP)
	exec $(BIN)/gunicorn -c gunicorn.conf.py "webapp:create_app()"

test: $(DEV_STAMP)
	$(BIN)/python -m pytest

# The whole model from scratch (about 2 hours on 2 CPU cores; each step resumable): a CNN on
# MNIST alone and its last pass without augmentation (3 epochs, learning rate 1e-4); a CNN
# started from that (seed 43) on MNIST, the generated styles and the non-digits, and its last
# pass; the weighted mean of the two, the MNIST-only one counting for the digits alone
# (networks and weights chosen on validation by `python -m model_training.ensemble --choose`);
# the MLP baseline; export, calibration, report; then the sequence model that reads whole numbers.
TRAIN_STEPS = \
	"--model cnn --no-synth --epochs 20 --output build/stage1" \
	"--model cnn --no-synth --no-augment --epochs 3 --learning-rate 1e-4 --init build/stage1/cnn.keras --output build/stage1-last" \
	"--model cnn --epochs 12 --learning-rate 5e-4 --seed 43 --init build/stage1-last/cnn.keras --output build/member" \
	"--model cnn --no-augment --epochs 3 --learning-rate 1e-4 --seed 43 --init build/member/cnn.keras --output build/member-last" \
	"--model mlp --no-synth --epochs 30"

train: $(DEV_STAMP)
	rm -rf build/stage1 build/member build/member-last build/stage1-last build/sequence saved_model/checkpoints
	$(MAKE) train-resume

train-resume: $(DEV_STAMP)
	for step in $(TRAIN_STEPS); do $(BIN)/python -m model_training.train $$step --resume || exit 1; done
	$(BIN)/python -m model_training.ensemble build/member-last/cnn.keras --digits-only build/stage1-last/cnn.keras \
		--weights 0.7 0.3 --output saved_model/cnn.keras
	cp build/member/cnn_history.json saved_model/cnn_history.json  # the report's training curves and figures
	$(BIN)/python -m model_training.export
	$(BIN)/python -m model_training.export_explain
	$(BIN)/python -m model_training.calibrate
	$(BIN)/python -m model_training.evaluate
	$(BIN)/python -m model_training.train_sequence --resume
	$(BIN)/python -m model_training.export --model build/sequence/sequence.keras --output saved_model/sequence.tflite

evaluate: $(DEV_STAMP)
	$(BIN)/python -m model_training.evaluate

export: $(DEV_STAMP)
	$(BIN)/python -m model_training.export
	$(BIN)/python -m model_training.export_explain

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
