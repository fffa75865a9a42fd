"""Write a labelled synthetic dataset to disk: `out_dir/<label>/<i>.png`."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from vision.model_card import LABELS
from vision.synth.generator import generate
from vision.synth.variation import LEGACY, Variation


def image_rng(seed: int, label_index: int, index: int) -> np.random.Generator:
    """An independent stream per (seed, label, image): any image can be regenerated alone,
    and sets made with different seeds share no stream."""
    return np.random.default_rng([seed, label_index, index])


def write_dataset(
    out_dir: Path, n_per_label: int, seed: int, size: int = 256, *, show_progress: bool = True,
    variation: Variation = LEGACY,
) -> list[Path]:
    """Generate `n_per_label` PNGs per label; returns the written paths in label order."""
    if n_per_label < 1:
        raise ValueError("n_per_label must be >= 1")
    out_dir = Path(out_dir)
    written: list[Path] = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    # Progress goes to stderr: stdout is kept for machine-readable output.
    with Progress(*columns, console=Console(stderr=True), disable=not show_progress) as progress:
        task = progress.add_task("generating", total=n_per_label * len(LABELS))
        for li, label in enumerate(LABELS):
            folder = out_dir / label
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n_per_label):
                path = folder / f"{i}.png"
                if not cv2.imwrite(str(path), generate(label, image_rng(seed, li, i), size, variation)):
                    raise OSError(f"could not write {path}")
                written.append(path)
                progress.advance(task)
    return written
