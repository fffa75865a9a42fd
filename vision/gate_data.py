"""Photos as the gate sees them, kept as arrays: for calibrating and measuring the gate's
multi-frame decision without running the model again for every threshold tried.

Each photo goes through the gate's own steps (intake.inspection): the frame-quality gate,
then the classifier on the whole frame and its tiles. A frame that fails the quality gate
is kept with no views, as the gate keeps it: it is not classified.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vision.classifier import OnnxClassifier, Prediction
from vision.quality import assess, distinct_views, thumbnail


@dataclass(frozen=True)
class PhotoSet:
    """`probs[i]` is photo i's (views, labels) temperature-scaled probabilities, whole frame
    first, then its tiles; `ood[i]` the views' OOD flags; `ok[i]` False when the photo failed
    the frame-quality gate (its views are then meaningless); `thumbs[i]` its
    `vision.quality.thumbnail`, which tells distinct views from re-shots. `y` is the true
    label index, or -1 - k for a picture of the k-th kind of non-tray scene."""

    probs: np.ndarray  # (N, V, C) float32
    ood: np.ndarray  # (N, V) bool
    ok: np.ndarray  # (N,) bool
    y: np.ndarray  # (N,) int
    thumbs: np.ndarray  # (N, 32, 32) float32
    labels: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.y)

    def save(self, path: Path) -> None:
        np.savez_compressed(path, probs=self.probs, ood=self.ood, ok=self.ok, y=self.y, thumbs=self.thumbs,
                            labels=np.array(self.labels))

    @classmethod
    def load(cls, path: Path) -> PhotoSet:
        with np.load(path) as d:
            return cls(d["probs"], d["ood"], d["ok"], d["y"], d["thumbs"], tuple(str(s) for s in d["labels"]))

    def views(self, load: Sequence[int], same: float) -> int:
        """Distinct views among the load's classified photos, as the gate counts them."""
        return distinct_views([self.thumbs[i] for i in load if self.ok[i]], same)

    def frame(self, i: int, condemn: float) -> list[Prediction]:
        """Photo i as the classifier reported it (whole frame, then tiles); [] if it failed
        the quality gate. `condemn` only sets each prediction's `uncertain` flag."""
        if not self.ok[i]:
            return []
        out = []
        for row, far in zip(self.probs[i], self.ood[i]):
            best = int(np.argmax(row))
            conf = float(row[best])
            out.append(Prediction(label=self.labels[best], confidence=conf,
                                  probs={k: float(p) for k, p in zip(self.labels, row)},
                                  uncertain=conf < condemn or bool(far), ood=bool(far)))
        return out


def photograph(
    classifier: OnnxClassifier, images: Sequence[np.ndarray], y: Sequence[int],
    advance: Callable[[], None] | None = None,
) -> PhotoSet:
    """Run the gate's per-frame steps on each image: quality gate, then whole frame + tiles."""
    n_labels = len(classifier.labels)
    probs, ood, ok, thumbs = [], [], [], []
    views = 5  # whole frame + 2 x 2 tiles (vision.preprocess.tiles defaults)
    for image in images:
        good = assess(image).ok
        preds = classifier.classify_tiles(image) if good else []
        if preds and len(preds) != views:
            raise ValueError(f"expected {views} views per frame, got {len(preds)}")
        probs.append([[p.probs[k] for k in classifier.labels] for p in preds] or np.zeros((views, n_labels)))
        ood.append([p.ood for p in preds] or [False] * views)
        ok.append(good)
        thumbs.append(thumbnail(image))
        if advance is not None:
            advance()
    return PhotoSet(np.asarray(probs, np.float32), np.asarray(ood, bool), np.asarray(ok, bool),
                    np.asarray(y, int), np.asarray(thumbs, np.float32), tuple(classifier.labels))


def merge(*sets: PhotoSet) -> PhotoSet:
    if len({s.labels for s in sets}) != 1:
        raise ValueError("photo sets from models with different labels")
    return PhotoSet(*(np.concatenate([getattr(s, f) for s in sets]) for f in ("probs", "ood", "ok", "y", "thumbs")),
                    labels=sets[0].labels)


def loads(y: np.ndarray, frames: int, rng: np.random.Generator | None = None) -> list[list[int]]:
    """Group photos into loads of `frames` photos of one true label, each photo used once,
    like the demo camera (several distinct photos of the truck's sample). With `rng` the
    photos of each label are shuffled first; a remainder short of `frames` is dropped."""
    groups: list[list[int]] = []
    for label in sorted(set(int(v) for v in y)):
        idx = np.flatnonzero(y == label)
        if rng is not None:
            idx = rng.permutation(idx)
        groups += [list(map(int, idx[i : i + frames])) for i in range(0, len(idx) - frames + 1, frames)]
    return groups
