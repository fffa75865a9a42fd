"""Classification metrics in numpy only (no torch): used by training and `intake vision evaluate`."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vision.model_card import ClassMetrics, Metrics


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Rows = true class, columns = predicted class."""
    matrix = np.zeros((n_classes, n_classes), np.int64)
    np.add.at(matrix, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return matrix


def summarise(
    y_true: np.ndarray, probs: np.ndarray, labels: Sequence[str], *,
    abstain_confidence: float, dataset: str, seed: int | None,
) -> Metrics:
    y_true = np.asarray(y_true)
    y_pred = probs.argmax(1)
    conf = probs.max(1)
    matrix = confusion(y_true, y_pred, len(labels))
    per_class = {}
    for k, label in enumerate(labels):
        predicted, actual = int(matrix[:, k].sum()), int(matrix[k].sum())
        hit = int(matrix[k, k])
        per_class[label] = ClassMetrics(
            precision=hit / predicted if predicted else 0.0,
            recall=hit / actual if actual else 0.0,
            support=actual,
        )
    kept = conf >= abstain_confidence
    correct = y_pred == y_true
    nll = -np.log(np.clip(probs[np.arange(len(y_true)), y_true], 1e-12, 1.0)).mean()
    return Metrics(
        dataset=dataset,
        seed=seed,
        n=len(y_true),
        accuracy=float(correct.mean()),
        per_class=per_class,
        confusion=matrix.tolist(),
        coverage=float(kept.mean()),
        selective_accuracy=float(correct[kept].mean()) if kept.any() else 0.0,
        nll=float(nll),
    )
