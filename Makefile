# Every target bootstraps its own virtualenv in .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench train clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/intake demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python scripts/bench.py

# Training needs torch (CPU wheel on local disk) and onnx: the optional `train` extra.
train: $(STAMP)
	$(BIN)/pip install --quiet torch==2.13.0 onnx==1.23.2
	$(BIN)/intake vision train --out models/intake-classifier

clean:
	rm -rf $(VENV)
