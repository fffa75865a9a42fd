"""Several frames of one sample -> one answer: mean probabilities, and whether frames agree."""
from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from vision.classifier import Prediction
from vision.preprocess import tiles

__all__ = ["Aggregate", "aggregate", "tiles"]


class Aggregate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    confidence: float
    probs: dict[str, float]
    agree: bool  # every frame's top label is the same
    n: int
    # Frames disagree, or any view is below the card's per-image threshold. A summary for
    # tools: the gate decides with vision.judging.judge and the card's multi-frame `gate`
    # calibration, where one weak tile of a confident load no longer holds it by itself.
    uncertain: bool
    ood: bool = False  # any frame (or tile) is out of distribution: the gate must REVIEW
    ood_score: float | None = None  # the largest frame score; None when the model has no OOD head


def aggregate(predictions: Sequence[Prediction]) -> Aggregate:
    """Mean of the frames' probabilities. No frames is an error (the caller must REVIEW)."""
    if not predictions:
        raise ValueError("no predictions to aggregate")
    labels = list(predictions[0].probs)
    if any(list(p.probs) != labels for p in predictions):
        raise ValueError("predictions come from models with different labels")
    n = len(predictions)
    probs = {label: sum(p.probs[label] for p in predictions) / n for label in labels}
    best = max(labels, key=probs.__getitem__)
    agree = len({p.label for p in predictions}) == 1
    scores = [p.ood_score for p in predictions if p.ood_score is not None]
    return Aggregate(
        label=best,
        confidence=probs[best],
        probs=probs,
        agree=agree,
        n=n,
        uncertain=not agree or any(p.uncertain for p in predictions),
        ood=any(p.ood for p in predictions),
        ood_score=max(scores) if scores else None,
    )
