# Every target bootstraps its own virtualenv in .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TRAIN_STAMP := $(VENV)/.installed-train

.PHONY: demo test bench train clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The suite also trains a tiny model end to end, so it needs the `train` extra
# (torch==2.13.0 is a CPU wheel pip finds on local disk).
$(TRAIN_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,train]'
	touch $(TRAIN_STAMP)

demo: $(STAMP)
	$(BIN)/intake demo

test: $(TRAIN_STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python scripts/bench.py

# Training needs torch (CPU wheel on local disk) and onnx: the optional `train` extra.
train: $(TRAIN_STAMP)
	$(BIN)/intake vision train --out models/intake-classifier

clean:
	rm -rf $(VENV)
