"""Evaluate a model on a folder of labelled photos: the figures and plots a quality engineer
reads before trusting it. `<data>/<label>/*` are labelled samples; `<data>/ood/*` (optional)
are pictures that are no sample at all and must all end in REVIEW."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from vision.classifier import OnnxClassifier, Prediction
from vision.evaluation import DEMO_RULES, gate_metrics, reliability
from vision.judging import Rule
from vision.model_card import GateMetrics, Metrics
from vision.plots import confusion_png, reliability_png, write_png
from vision.preprocess import load_image
from vision.train.metrics import summarise

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}
OOD_FOLDER = "ood"


@dataclass(frozen=True)
class FolderReport:
    metrics: Metrics
    gate: GateMetrics
    reliability: list[tuple[float, float, int]]
    n_ood: int


def labelled_files(data: Path, labels: Sequence[str]) -> list[tuple[int, Path]]:
    """(label index, path) for every image in <data>/<label>/; folders of other names are ignored."""
    if not data.is_dir():
        return []
    found = []
    for folder in sorted(d for d in data.iterdir() if d.is_dir() and d.name in labels):
        found += [(list(labels).index(folder.name), f) for f in _images(folder)]
    return found


def _images(folder: Path) -> list[Path]:
    return sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES) if folder.is_dir() else []


def evaluate_folder(
    classifier: OnnxClassifier, data: Path, *, rules: Mapping[str, Rule] | None = None,
    tiles: bool = False, show_progress: bool = True,
) -> FolderReport:
    """Raises ValueError for an unreadable image (the CLI turns it into exit 2)."""
    labels = classifier.labels
    files = labelled_files(data, labels)
    ood_paths = _images(data / OOD_FOLDER)
    side = max(classifier.card.input_shape[2:])
    results: dict[Path, list[Prediction]] = {}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), disable=not show_progress) as progress:
        task = progress.add_task("classifying", total=len(files) + len(ood_paths))
        for path in [p for _, p in files] + ood_paths:
            # Tiles crop the photo before resizing, so decode at full size when tiling.
            image = load_image(path, max_side=None if tiles else side)
            results[path] = classifier.classify_tiles(image) if tiles else classifier.classify_batch([image])
            progress.advance(task)
    y = np.array([k for k, _ in files])
    probs = np.array([[results[p][0].probs[label] for label in labels] for _, p in files])
    metrics = summarise(y, probs, labels, abstain_confidence=classifier.card.abstain_confidence,
                        dataset=str(data), seed=None)
    gate = gate_metrics(
        str(data), [results[p] for _, p in files], y, labels, classifier.card.abstain_confidence,
        tiles=tiles, ood_preds=[results[p] for p in ood_paths], rules=rules or DEMO_RULES,
        gate=classifier.card.gate,
    )
    return FolderReport(metrics, gate, reliability(probs, y), len(ood_paths))


def write_plots(report: FolderReport, labels: Sequence[str], out: Path) -> list[Path]:
    m = report.metrics
    paths = [out / "confusion.png", out / "reliability.png"]
    write_png(paths[0], confusion_png(m.confusion, labels, f"n={m.n}  accuracy {m.accuracy:.3f}"))
    write_png(paths[1], reliability_png(report.reliability, report.gate.ece))
    return paths
