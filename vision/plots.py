"""PNG figures for `intake vision evaluate`, drawn with OpenCV (no plotting library needed)."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_INK = (30, 30, 30)


def _text(img: np.ndarray, text: str, org: tuple[int, int], scale: float = 0.45, colour: tuple[int, int, int] = _INK) -> None:
    cv2.putText(img, text, org, _FONT, scale, colour, 1, cv2.LINE_AA)


def confusion_png(matrix: Sequence[Sequence[int]], labels: Sequence[str], title: str) -> np.ndarray:
    """Row-normalised heat map (rows: true, columns: predicted) with the counts written in."""
    m = np.asarray(matrix, np.float64)
    n, cell, left, top = len(labels), 70, 130, 150
    img = np.full((top + n * cell + 20, left + n * cell + 20, 3), 255, np.uint8)
    share = m / np.maximum(m.sum(1, keepdims=True), 1)
    for r in range(n):
        for c in range(n):
            x, y = left + c * cell, top + r * cell
            shade = int(255 - 200 * share[r, c])
            colour = (255, shade, shade) if r == c else (shade, shade, 255)  # blue right, red wrong
            cv2.rectangle(img, (x, y), (x + cell - 2, y + cell - 2), colour, -1)
            _text(img, str(int(m[r, c])), (x + 8, y + cell // 2 + 5), 0.5, (255, 255, 255) if share[r, c] > 0.6 else _INK)
        _text(img, labels[r][:14], (5, top + r * cell + cell // 2 + 5))
    for c in range(n):  # column labels written vertically
        label = np.full((18, 130, 3), 255, np.uint8)
        _text(label, labels[c][:14], (2, 13))
        img[top - 135 : top - 5, left + c * cell + 25 : left + c * cell + 43] = cv2.rotate(label, cv2.ROTATE_90_COUNTERCLOCKWISE)
    _text(img, title[:60], (5, 14), 0.45)
    _text(img, "rows: true, columns: predicted", (5, 32), 0.4)
    return img


def reliability_png(bins: Sequence[tuple[float, float, int]], ece: float) -> np.ndarray:
    """Accuracy against confidence per bin; the diagonal is perfect calibration."""
    size, pad = 360, 50
    img = np.full((size + 2 * pad, size + 2 * pad, 3), 255, np.uint8)

    def pt(x: float, y: float) -> tuple[int, int]:
        return int(pad + x * size), int(pad + (1 - y) * size)

    cv2.rectangle(img, pt(0, 0), pt(1, 1), _INK, 1)
    width = 1.0 / max(len(bins), 1)
    for i, (_conf, acc, count) in enumerate(bins):
        if count:
            cv2.rectangle(img, pt(i * width, 0), pt((i + 1) * width, acc), (200, 140, 60), -1)
            cv2.rectangle(img, pt(i * width, 0), pt((i + 1) * width, acc), _INK, 1)
    cv2.line(img, pt(0, 0), pt(1, 1), (40, 40, 200), 1, cv2.LINE_AA)
    for v in (0.0, 0.5, 1.0):
        _text(img, f"{v:.1f}", (pt(v, 0)[0] - 8, pt(v, 0)[1] + 18), 0.4)
        _text(img, f"{v:.1f}", (pt(0, v)[0] - 32, pt(0, v)[1] + 4), 0.4)
    _text(img, f"Reliability diagram   ECE {ece:.3f}", (pad, 25), 0.5)
    _text(img, "confidence", (pad + size // 2 - 35, size + 2 * pad - 8), 0.4)
    _text(img, "accuracy", (3, pad - 8), 0.4)
    return img


def write_png(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), image):
        raise OSError(f"could not write {path}")
