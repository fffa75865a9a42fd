"""Grading of packed material (vision.grading) against SediNet's published percentiles.

    .venv/bin/python scripts/bench_grading.py [--fit] [--json]

`--fit` fits the regressor (vision.grading_fit) on the train series of data/real-photos only
and writes models/grading.json (then adds the validation figures below to it, measured after
the fit); without it the committed coefficients are measured. Reports,
on the frozen validation series only, the median relative error |estimate - published| /
published of D10, D50 and D90 for: the regressor, the old wavelet method (its factors refitted
on train), and the best constant guess (the train series' median), which any method must beat.
Also the CPU time to grade one 1024 x 1024 image (median of 10, this thread's time:
OpenCV is limited to one thread here).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vision.grading import COEFFICIENTS, coefficients, grade, percentiles  # noqa: E402
from vision.grading_features import FEATURE_NAMES, features  # noqa: E402
from vision.grading_fit import fit  # noqa: E402
from vision.real import load, read_index  # noqa: E402

REFERENCE = "wavelet_q50"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fit", action="store_true", help="fit on the train series and write models/grading.json")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    index = read_index()
    published = np.array([(p.p10_px, p.p50_px, p.p90_px) for p in index])
    train = np.array([p.split == "train" for p in index])
    images = [load(p) for p in index]
    logs = np.log(np.array([features(im) for im in images]))
    if args.fit:
        series = [p.series for p, t in zip(index, train) if t]
        coef = fit(logs[train], np.log(published[train]), series, FEATURE_NAMES, REFERENCE,
                   f"train series of data/real-photos: {int(train.sum())} photos, {len(set(series))} series")
        COEFFICIENTS.write_text(coef.model_dump_json(indent=2) + "\n", encoding="utf-8")
        coefficients.cache_clear()
    coef = coefficients()
    estimate = np.exp(coef.predict_log(logs))
    raw = np.array([percentiles(im) for im in images])
    factors = np.exp(np.mean(np.log(published[train] / raw[train]), axis=0))
    constant = np.exp(np.median(np.log(published[train]), axis=0))
    val = ~train
    out = {
        "val_photos": int(val.sum()),
        "val_series": len({p.series for p, v in zip(index, val) if v}),
        "train_photos": int(train.sum()),
        "ridge_alpha": coef.alpha,
        "val_median_rel_error": _err(estimate[val], published[val]),
        "val_median_rel_error_old_wavelet": _err(raw[val] * factors, published[val]),
        "val_median_rel_error_constant_guess": _err(constant, published[val]),
        "train_median_rel_error": _err(estimate[train], published[train]),
        "val_median_rel_error_d50_by_series": _by_series(index, val, estimate, published),
        # How far a rule's D50 limit must sit from a material's true D50 for the grading to
        # put the load on the right side: the share of photos graded within each factor.
        "val_share_d50_within_factor": _within(estimate[val, 1], published[val, 1]),
        "val_share_d50_within_factor_old_wavelet": _within(raw[val, 1] * factors[1], published[val, 1]),
        "ms_per_1024px_image": _timing(),
    }
    if args.fit:
        COEFFICIENTS.write_text(coef.model_copy(update={"validation": {k: v for k, v in out.items() if not k.startswith("ms_")}}).model_dump_json(indent=2) + "\n",
                                encoding="utf-8")
    print(json.dumps(out) if args.json else json.dumps(out, indent=2))


def _err(estimate: np.ndarray, published: np.ndarray) -> dict[str, float]:
    e = np.median(np.abs(estimate - published) / published, axis=0)
    return dict(zip(("d10", "d50", "d90"), (round(float(v), 3) for v in e)))


def _within(estimate: np.ndarray, published: np.ndarray) -> dict[str, float]:
    ratio = np.maximum(estimate / published, published / estimate)
    return {f"x{f}": round(float(np.mean(ratio <= f)), 3) for f in (1.25, 1.5, 2.0, 3.0)}


def _by_series(index: list, val: np.ndarray, estimate: np.ndarray, published: np.ndarray) -> dict[str, float]:
    out: dict[str, float] = {}
    for s in sorted({p.series for p, v in zip(index, val) if v}):
        rows = np.array([p.series == s for p in index]) & val
        out[s] = round(float(np.median(np.abs(estimate[rows, 1] - published[rows, 1]) / published[rows, 1])), 3)
    return out


def _timing() -> float:
    cv2.setNumThreads(1)
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (1024, 1024, 3), dtype=np.uint8)
    grade(image)
    runs = []
    for _ in range(10):  # CPU time of this thread: the figure for one core, whatever else runs
        t = time.thread_time()
        grade(image, mm_per_px=0.1)
        runs.append(time.thread_time() - t)
    return round(1000 * float(np.median(runs)), 1)


if __name__ == "__main__":
    main()
