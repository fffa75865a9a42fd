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
# The shipped model's recipe (its card's `selection`): generated trays of all five labels, real
# photos of the train series of data/real-photos (never the frozen validation series) under the
# generator's clay, foreign objects and camera, and generated non-tray pictures trained towards
# uniform (outlier exposure); then the gate's multi-frame thresholds on validation data (generated
# and the real train series), then its figures on data it was not tuned on (frozen real
# validation series, alt-renderer trays, non-tray pictures).
train: $(TRAIN_STAMP)
	$(BIN)/intake vision train --out models/intake-classifier --arch lite0 --variation train \
		--input-size 128 --n-per-label 600 --epochs 2 --lr 0.001 --freeze-blocks 8 --noise-aug 6 \
		--real-per-label 500 --outlier-per-kind 100 --ood-tap 8 --ood-percentile 99.8 \
		--threads 2 --abstain-target 0.998
	$(BIN)/python scripts/calibrate_gate.py --real-train --per-label 300 --write
	$(BIN)/python scripts/bench_generalisation.py --write

clean:
	rm -rf $(VENV)
