"""Grading of packed material (vision.grading) against SediNet's published percentiles.

    .venv/bin/python scripts/bench_grading.py [--json]

Fits the three factors of vision.grading.FACTORS on the train series of data/real-photos
(geometric mean of published / wavelet percentile), then reports the median relative error
|estimate - published| / published of D10, D50 and D90 on the frozen validation series, beside
the error of the best constant guess (the train series' median), which any method must beat.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vision.grading import FACTORS, percentiles  # noqa: E402
from vision.real import load, read_index  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    index = read_index()
    published = np.array([(p.p10_px, p.p50_px, p.p90_px) for p in index])
    raw = np.array([percentiles(load(p)) for p in index])
    train = np.array([p.split == "train" for p in index])
    factors = np.exp(np.mean(np.log(published[train] / raw[train]), axis=0))
    estimate = raw * factors
    constant = np.exp(np.median(np.log(published[train]), axis=0))
    out = {
        "fitted_factors": [round(float(f), 3) for f in factors],
        "shipped_factors": list(FACTORS),
        "val_photos": int((~train).sum()),
        "val_median_rel_error": dict(zip(("d10", "d50", "d90"), _err(estimate[~train], published[~train]))),
        "val_median_rel_error_constant_guess": dict(zip(("d10", "d50", "d90"), _err(constant, published[~train]))),
        "train_median_rel_error": dict(zip(("d10", "d50", "d90"), _err(estimate[train], published[train]))),
        "log_correlation_d50": round(float(np.corrcoef(np.log(raw[:, 1]), np.log(published[:, 1]))[0, 1]), 3),
    }
    print(json.dumps(out) if args.json else json.dumps(out, indent=2))


def _err(estimate: np.ndarray, published: np.ndarray) -> list[float]:
    return [round(float(v), 3) for v in np.median(np.abs(estimate - published) / published, axis=0)]


if __name__ == "__main__":
    main()
