"""The model card: the JSON file beside an ONNX model that says how to feed it and what it knows.

`models/<name>/model.onnx` is described by `models/<name>/model.json`. The classifier refuses
a model whose card does not match it (sha256, input, labels), so the card is the contract
between training and the gate.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# The shipped model's classes, in output order (DESIGN.md "Contracts").
LABELS: tuple[str, ...] = ("clean_sand", "clean_gravel", "muddy", "foreign", "empty")

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Normalisation(_Strict):
    """Per-channel (R, G, B) statistics applied to pixel values scaled to [0, 1]."""

    mean: tuple[float, float, float]
    std: tuple[Annotated[float, Field(gt=0.0)], Annotated[float, Field(gt=0.0)], Annotated[float, Field(gt=0.0)]]


class ClassMetrics(_Strict):
    precision: Probability
    recall: Probability
    support: Annotated[int, Field(ge=0)]


class Metrics(_Strict):
    """Measured on a held-out set generated with a seed used neither for training nor validation."""

    dataset: str
    seed: int | None = Field(description="generator seed of the set; None for a folder of photos")
    n: Annotated[int, Field(gt=0)]
    accuracy: Probability
    per_class: dict[str, ClassMetrics]
    confusion: list[list[int]] = Field(description="rows = true label, columns = predicted, in label order")
    coverage: Probability = Field(description="share of images with confidence >= abstain_confidence")
    selective_accuracy: Probability = Field(description="accuracy on the images not abstained on")
    nll: Annotated[float, Field(ge=0.0)] = Field(description="mean negative log-likelihood after temperature")


class OodCalibration(_Strict):
    """How far from the training data an image may be before the model abstains.

    The ONNX file has a second output (`output`) with a score per image: the smallest
    Mahalanobis distance (squared) of the image's pooled features to a class mean, with the
    covariance of the training features. `threshold` is the `percentile` of the per-frame
    maximum score over the validation frames and their tiles, so about (100 - percentile) %
    of familiar frames are held for review while unfamiliar pictures land far above it.
    """

    method: Literal["mahalanobis"] = "mahalanobis"
    output: str = "ood_score"
    threshold: Annotated[float, Field(gt=0.0)]
    percentile: Annotated[float, Field(gt=0.0, lt=100.0)]
    calibration: str


class GateMetrics(_Strict):
    """What the gate would decide on a held-out set, by the demo rules (sand, gravel)."""

    dataset: str
    n: Annotated[int, Field(gt=0)]
    tiles: bool = Field(description="whole frame plus the tiles of vision.aggregate.tiles")
    accuracy: Probability = Field(description="whole-frame top-1")
    ece: Probability = Field(description="expected calibration error, 15 bins, whole frame")
    coverage: Probability | None = Field(
        None, description="whole frames neither below abstain_confidence nor out of distribution")
    selective_accuracy: Probability | None = Field(None, description="whole-frame top-1 on the covered frames")
    false_pass_rate: Probability = Field(description="PASS given to (image, material) pairs that must not pass")
    false_pass: dict[str, int] = Field(description="false passes by true label")
    abstention_rate: Probability = Field(description="share of (image, material) decisions that are REVIEW")
    ood_review_rate: Probability | None = Field(None, description="share of out-of-distribution images -> REVIEW")
    ood_pass_rate: Probability | None = Field(None, description="share of out-of-distribution images -> PASS")


class GateFigures(_Strict):
    """Validation figures of the gate's decision on loads of `frames` distinct photos."""

    frames: Annotated[int, Field(ge=1)]
    loads: Annotated[int, Field(ge=0)] = Field(description="loads per label (photos of one true label)")
    false_pass_rate: Probability = Field(description="PASS given to (load, material) pairs that must not pass")
    good_review: dict[str, Probability] = Field(description="share of good loads sent to REVIEW, by material")
    good_reject: dict[str, Probability] = Field(description="share of good loads REJECTed, by material")
    ood_pass: Annotated[int, Field(ge=0)] = Field(description="non-tray loads PASSed under any material")
    ood_review_rate: Probability = Field(description="share of non-tray loads REVIEWed under every material")


class Generalisation(_Strict):
    """The shipped file on data no training or calibration step saw (vision.generalisation)."""

    dataset: str
    n: Annotated[int, Field(gt=0)]
    quality_failed: Annotated[int, Field(ge=0)] = Field(description="photos the frame-quality gate turned away")
    label_accuracy: Probability = Field(description="load label (mean over whole frame + tiles) of each judged photo")
    per_label: dict[str, int] = Field(description="photos per true label")
    loads: list[GateFigures] = Field(description="the gate's verdicts on loads of 1 and 3 photos, demo rules")


class GateCalibration(_Strict):
    """How the gate turns every frame and tile of one sample into PASS (vision.judging.judge).

    `abstain_confidence` is a per-image figure; a load photographed from several distinct
    views carries more evidence than one image. A PASS needs: no fault, nothing out of
    distribution, every whole frame's top label equal to the sample's, no tile that disagrees
    with at least `tile_doubt` confidence, no confident contaminant (a view at
    `abstain_confidence` or more showing a rejected label condemns the load, as before), and
    the mean over every view of every frame of the sample label's probability at or above
    `pass_confidence[label][views - 1]` (the last entry for more views). A label without an
    entry, or one view, needs `abstain_confidence`. REJECT on the aggregate alone still needs
    `abstain_confidence`. Written by scripts/calibrate_gate.py from validation data only.
    """

    aggregate: Literal["mean_over_views"] = "mean_over_views"
    pass_confidence: dict[str, list[Probability]] = Field(
        description="per accepted label: [i] is the mean confidence a PASS needs with i + 1 distinct frames")
    tile_doubt: Probability = Field(
        description="a tile whose top label differs from the sample's with at least this confidence holds the load")
    same_view: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.9, description="frames whose thumbnails correlate at least this much count as one view (vision.quality)")
    max_false_pass: Probability = Field(0.001, description="validation false-pass rate each threshold had to keep")
    calibration: str = Field("", description="data, seeds and how the thresholds were chosen")
    validation: list[GateFigures] = Field(default_factory=list, description="at the chosen thresholds")
    baseline: list[GateFigures] = Field(
        default_factory=list, description="the same loads by the per-image rule (abstain_confidence, any tile)")

    @field_validator("pass_confidence")
    @classmethod
    def _steps_never_rise(cls, value: dict[str, list[float]]) -> dict[str, list[float]]:
        # More distinct views never need more confidence; an empty list would mean nothing.
        for label, steps in value.items():
            if not steps or any(b > a for a, b in zip(steps, steps[1:])):
                raise ValueError(f"pass_confidence[{label!r}] must be a non-empty, non-increasing list")
        return value

    def pass_threshold(self, label: str, views: int, fallback: float) -> float:
        """The mean confidence a PASS of `label` needs from `views` distinct frames;
        `fallback` (the card's abstain_confidence) for a label the calibration did not cover."""
        steps = self.pass_confidence.get(label)
        if not steps:
            return fallback
        return steps[min(max(views, 1), len(steps)) - 1]


class ModelCard(_Strict):
    card_version: Literal[1] = 1
    name: str
    version: str
    labels: list[str]
    input_name: str
    input_shape: tuple[Literal[1], Literal[3], Annotated[int, Field(ge=8)], Annotated[int, Field(ge=8)]]
    input_dtype: Literal["float32"] = "float32"
    layout: Literal["NCHW"] = "NCHW"
    colour: Literal["RGB"] = "RGB"
    normalisation: Normalisation
    centre_crop: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        1.0, description="side of the centred square kept before resizing, as a share of the short side"
    )
    temperature: Annotated[float, Field(gt=0.0)]
    abstain_confidence: Probability
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    training_data: str
    seed: int
    architecture: str
    metrics: Metrics
    created: datetime
    ood: OodCalibration | None = None
    heldout: list[GateMetrics] = Field(default_factory=list, description="gate-level results on held-out sets")
    selection: str | None = Field(None, description="why this network ships rather than the alternatives")
    generalisation: list[Generalisation] = Field(
        default_factory=list, description="real validation series and trays drawn another way, as the gate judges")
    gate: GateCalibration | None = Field(
        None, description="multi-frame decision thresholds; None: every load is judged by abstain_confidence alone")

    @field_validator("labels")
    @classmethod
    def _labels_unique(cls, labels: list[str]) -> list[str]:
        if len(labels) < 2 or len(set(labels)) != len(labels):
            raise ValueError("labels must be at least two distinct names")
        return labels

    @model_validator(mode="after")
    def _metrics_match_labels(self) -> ModelCard:
        n = len(self.labels)
        if set(self.metrics.per_class) != set(self.labels):
            raise ValueError("metrics.per_class must have exactly the card's labels")
        if len(self.metrics.confusion) != n or any(len(row) != n for row in self.metrics.confusion):
            raise ValueError(f"metrics.confusion must be {n}x{n}")
        if self.gate is not None:
            # One view is one image: never judged more leniently than the per-image threshold.
            for label, steps in self.gate.pass_confidence.items():
                if label not in self.labels or steps[0] < self.abstain_confidence:
                    raise ValueError(f"gate.pass_confidence[{label!r}]: unknown label or one view below abstain_confidence")
        return self

    @property
    def height(self) -> int:
        return self.input_shape[2]

    @property
    def width(self) -> int:
        return self.input_shape[3]

    @classmethod
    def load(cls, path: Path) -> ModelCard:
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))

    def save(self, path: Path) -> None:
        Path(path).write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")


def card_path(model_path: Path) -> Path:
    """`model.onnx` -> `model.json` (same folder, same stem)."""
    return Path(model_path).with_suffix(".json")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
