"""Post-hoc calibration on validation logits (numpy only): temperature and abstain threshold."""
from __future__ import annotations

import numpy as np

from vision.classifier import softmax


def nll(logits: np.ndarray, y: np.ndarray, temperature: float) -> float:
    scaled = logits / temperature
    scaled = scaled - scaled.max(1, keepdims=True)
    log_z = np.log(np.exp(scaled).sum(1))
    return float((log_z - scaled[np.arange(len(y)), y]).mean())


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Temperature minimising validation NLL (Guo et al. 2017): coarse grid, then golden section.

    Deterministic and dependency-free; one scalar does not need an optimiser library.
    """
    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 61))
    losses = [nll(logits, y, t) for t in grid]
    best = int(np.argmin(losses))
    lo, hi = np.log(grid[max(best - 1, 0)]), np.log(grid[min(best + 1, len(grid) - 1)])
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(40):
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if nll(logits, y, np.exp(a)) < nll(logits, y, np.exp(b)):
            hi = b
        else:
            lo = a
    return float(np.exp((lo + hi) / 2))


def choose_abstain(
    logits: np.ndarray, y: np.ndarray, temperature: float, target: float, floor: float = 0.6
) -> float:
    """Lowest confidence threshold at which validation accuracy of the kept images reaches
    `target`. Never below `floor`: with five classes a 0.4 'winner' is a guess."""
    probs = softmax(logits / temperature)
    conf, correct = probs.max(1), probs.argmax(1) == y
    for threshold in np.round(np.arange(floor, 0.995, 0.01), 2):
        kept = conf >= threshold
        if kept.sum() >= max(10, len(y) // 20) and correct[kept].mean() >= target:
            return float(threshold)
    return 0.99
