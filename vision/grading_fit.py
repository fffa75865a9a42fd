"""The grading regressor: ridge least squares in log space, scale-equivariant by construction.

For each percentile k (D10, D50, D90) the estimate is

    log Dk = log f_ref + b_k + sum_i w_ki (log f_i - log f_ref)

over the texture features f_i of `vision.grading_features` (each a length in px). Only
differences of logs enter the sum, so an image drawn at twice the scale (every f doubled) gets
exactly twice the estimate: the regressor learns the *shape* of the spectrum and of the
autocorrelation curve, the size comes from the reference length. Ridge (Hoerl & Kennard 1970)
keeps the 16 weights small on a small training set; its strength is chosen by leave-one-series-
out cross-validation on the train series alone; each series weighs the same in the fit.

Pure numpy. Fitted by `scripts/bench_grading.py --fit`, stored in `models/grading.json`.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

ALPHAS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
TARGETS = ("d10", "d50", "d90")


class Target(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    intercept: float
    weights: list[float]


class Coefficients(BaseModel):
    """What `models/grading.json` holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    method: str
    features: list[str]
    reference: str
    alpha: float
    targets: dict[str, Target]
    fitted_on: str
    # Written after the fit by scripts/bench_grading.py --fit: the figures on the validation
    # series, which the fit never read.
    validation: dict[str, object] | None = None

    def predict_log(self, log_features: np.ndarray) -> np.ndarray:
        """(n, 3) log D10/D50/D90 in px from (n, features) log features."""
        x, ref = _design(log_features, self.features.index(self.reference))
        w = np.array([self.targets[t].weights for t in TARGETS]).T
        b = np.array([self.targets[t].intercept for t in TARGETS])
        out: np.ndarray = ref[:, None] + b[None, :] + x @ w
        return out


def _design(log_features: np.ndarray, ref_index: int) -> tuple[np.ndarray, np.ndarray]:
    ref = log_features[:, ref_index]
    others = np.delete(log_features, ref_index, axis=1)
    return others - ref[:, None], ref


def ridge(x: np.ndarray, y: np.ndarray, alpha: float, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(intercepts, weights) of ridge regression with row weights `rows` (default equal), the
    intercept not penalised."""
    r = np.ones(len(x)) if rows is None else rows
    mx, my = np.average(x, axis=0, weights=r), np.average(y, axis=0, weights=r)
    xc, yc = x - mx, y - my
    w = np.linalg.solve(xc.T @ (xc * r[:, None]) + alpha * r.sum() * np.eye(x.shape[1]), xc.T @ (yc * r[:, None]))
    return my - mx @ w, w


def series_weights(groups: np.ndarray) -> np.ndarray:
    """1 / the size of each row's series: every series (site, camera) counts the same, so the
    largest series of beach sands does not decide the fit alone."""
    _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    out: np.ndarray = 1.0 / counts[inverse]
    return out


def fit(log_features: np.ndarray, log_targets: np.ndarray, groups: Sequence[str], names: Sequence[str],
        reference: str, fitted_on: str) -> Coefficients:
    """Choose the ridge strength by leave-one-series-out error (median |log error|), then fit
    on all of the given (train) rows, each series weighted the same."""
    ref_index = list(names).index(reference)
    x, ref = _design(log_features, ref_index)
    y = log_targets - ref[:, None]
    alpha = min(ALPHAS, key=lambda a: _cv_error(x, y, np.asarray(groups), a))
    b, w = ridge(x, y, alpha, series_weights(np.asarray(groups)))
    return Coefficients(
        method="ridge in log space on wavelet-spectrum quantiles (Buscombe 2013) and autocorrelation "
               "fall lags (Rubin 2004), relative to " + reference,
        features=list(names), reference=reference, alpha=alpha,
        targets={t: Target(intercept=round(float(b[k]), 6), weights=[round(float(v), 6) for v in w[:, k]])
                 for k, t in enumerate(TARGETS)},
        fitted_on=fitted_on,
    )


def _cv_error(x: np.ndarray, y: np.ndarray, groups: np.ndarray, alpha: float) -> float:
    errors = []
    for g in np.unique(groups):
        held = groups == g
        b, w = ridge(x[~held], y[~held], alpha, series_weights(groups[~held]))
        errors.append(np.abs(x[held] @ w + b - y[held]))
    return float(np.median(np.concatenate(errors)))
