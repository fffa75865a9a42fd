"""The model on data it was never tuned on, judged as the gate judges: the frozen real
validation series (data/real-photos) and trays drawn by another method (vision.synth.alt),
each beside the generated non-tray pictures.

Every photo goes through the gate's per-frame steps (quality gate, whole frame + 4 tiles,
OOD flags; vision.gate_data.photograph); loads are then decided by the card's multi-frame
calibration with the demo rules (vision.gate_calibration.figures). A sand photo declared as
gravel is a wrong-material load and must not pass.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vision.aggregate import aggregate
from vision.classifier import OnnxClassifier
from vision.evaluation import DEMO_RULES
from vision.gate_calibration import figures, make_loads
from vision.gate_data import PhotoSet, merge, photograph
from vision.model_card import GateFigures, Generalisation
from vision.synth.alt import draw
from vision.synth.ood import ood_set

FRAMES = (1, 3)  # one photo per load (the hardest case), and three distinct photos
REPEATS = 3


def real_photoset(classifier: OnnxClassifier, split: str = "val", advance: Callable[[], None] | None = None) -> PhotoSet:
    from vision.real import load, photos

    chosen = photos(split)
    labels = classifier.labels
    return photograph(classifier, [load(p) for p in chosen], [labels.index(p.label) for p in chosen], advance)


def alt_photoset(
    classifier: OnnxClassifier, per_label: int, seed: int, advance: Callable[[], None] | None = None
) -> PhotoSet:
    labels = classifier.labels
    images = [draw(label, np.random.default_rng([seed, li, i])) for li, label in enumerate(labels) for i in range(per_label)]
    return photograph(classifier, images, np.repeat(np.arange(len(labels)), per_label), advance)


def ood_photoset(
    classifier: OnnxClassifier, per_kind: int, seed: int, advance: Callable[[], None] | None = None
) -> PhotoSet:
    pictures = ood_set(per_kind, seed)
    kinds = sorted({kind for kind, _ in pictures})
    return photograph(classifier, [p for _, p in pictures], [-1 - kinds.index(k) for k, _ in pictures], advance)


def measure(name: str, samples: PhotoSet, ood: PhotoSet, classifier: OnnxClassifier, seed: int) -> Generalisation:
    """Label accuracy (the load label of each photo's views, mean over views) and the gate's
    figures on loads of 1 and 3 photos, with the card's gate calibration and demo rules."""
    card = classifier.card
    judged = [i for i in range(len(samples)) if samples.ok[i]]
    hits = sum(aggregate(samples.frame(i, card.abstain_confidence)).label == card.labels[samples.y[i]] for i in judged)
    both = merge(samples, ood)
    loads: list[GateFigures] = []
    for frames in FRAMES:
        batch = make_loads(both, frames, REPEATS, seed, card.abstain_confidence, card.gate.same_view if card.gate else 0.9)
        loads.append(figures(batch, DEMO_RULES, card.labels, card.abstain_confidence, card.gate, frames))
    return Generalisation(
        dataset=name, n=len(samples), quality_failed=int((~samples.ok).sum()),
        label_accuracy=hits / max(len(judged), 1),
        per_label={label: int((samples.y == li).sum()) for li, label in enumerate(card.labels) if (samples.y == li).any()},
        loads=loads,
    )


def good_pass(fig: GateFigures) -> dict[str, float]:
    """Share of good loads that PASS, by material."""
    return {m: max(0.0, 1.0 - fig.good_review[m] - fig.good_reject[m]) for m in fig.good_review}
