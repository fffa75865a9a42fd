"""The ONNX image classifier, checked against its model card before it is trusted.

Any mismatch between the card and the file (hash, input, output, labels) raises ModelError
at load time, so a gate never runs a model it cannot vouch for. Any numeric trouble at run
time (NaN, inf) also raises ModelError: the caller turns every error into REVIEW.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from vision.model_card import LABELS, ModelCard, card_path, sha256_file
from vision.preprocess import preprocess, preprocess_batch, tiles


class ModelError(RuntimeError):
    """The model or its card is missing, damaged, inconsistent, or produced garbage."""


class Prediction(BaseModel):
    """One frame's result. `confidence` is the temperature-scaled softmax maximum."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    confidence: float
    probs: dict[str, float]
    uncertain: bool  # below the abstain threshold, or out of distribution: the gate must REVIEW
    ood_score: float | None = None  # distance from the training data; None: model has no OOD head
    ood: bool = False  # ood_score above the card's threshold: not an image this model can judge


class OnnxClassifier:
    """One onnxruntime session (CPU) plus the card that describes it."""

    def __init__(self, session: object, card: ModelCard, dynamic_batch: bool) -> None:
        self._session = session
        self.card = card
        self._dynamic_batch = dynamic_batch
        self._output_name: str = session.get_outputs()[0].name  # type: ignore[attr-defined]

    @property
    def labels(self) -> list[str]:
        return list(self.card.labels)

    @classmethod
    def load(
        cls,
        model_path: Path,
        *,
        intra_op_threads: int = 1,
        expected_labels: Sequence[str] | None = LABELS,
    ) -> OnnxClassifier:
        """Load and verify. `expected_labels=None` accepts any label set (tools, not the gate)."""
        model_path = Path(model_path)
        card = _read_card(model_path)
        _check_file(model_path, card)
        if expected_labels is not None and list(card.labels) != list(expected_labels):
            raise ModelError(f"labels mismatch: card has {card.labels}, expected {list(expected_labels)}")
        session = _open_session(model_path, intra_op_threads)
        dynamic = _check_session(session, card)
        classifier = cls(session, card, dynamic)
        classifier._self_test()
        return classifier

    def classify(self, image_bgr: np.ndarray) -> Prediction:
        return self._predict(preprocess(image_bgr, self.card))[0]

    def classify_batch(self, images_bgr: Sequence[np.ndarray]) -> list[Prediction]:
        if not images_bgr:
            return []
        if self._dynamic_batch:
            return self._predict(preprocess_batch(images_bgr, self.card))
        return [self.classify(image) for image in images_bgr]

    def classify_tiles(self, image_bgr: np.ndarray) -> list[Prediction]:
        """The whole frame first, then its overlapping tiles (`vision.preprocess.tiles`).

        A small foreign object is a few pixels of a 96 px whole-frame input but many of a
        tile's; any confident contaminated tile condemns the sample under the material rules.
        """
        return self.classify_batch(tiles(image_bgr))

    def logits(self, batch: np.ndarray) -> np.ndarray:
        """Raw outputs for an already preprocessed (N, 3, H, W) batch; checked finite."""
        return self.run(batch)[0]

    def run(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(logits, OOD scores or None when the card declares no OOD head); checked finite."""
        names = [self._output_name] + ([self.card.ood.output] if self.card.ood else [])
        try:
            outs = self._session.run(names, {self.card.input_name: batch})  # type: ignore[attr-defined]
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"inference failed: {exc}") from exc
        out = np.asarray(outs[0], dtype=np.float64).reshape(batch.shape[0], -1)
        if out.shape[1] != len(self.card.labels):
            raise ModelError(f"model produced {out.shape[1]} outputs for {len(self.card.labels)} labels")
        ood = np.asarray(outs[1], dtype=np.float64).reshape(-1) if self.card.ood else None
        if not np.all(np.isfinite(out)) or (ood is not None and not np.all(np.isfinite(ood))):
            raise ModelError("model produced NaN or infinite outputs")
        if ood is not None and ood.shape[0] != batch.shape[0]:
            raise ModelError(f"model produced {ood.shape[0]} OOD scores for {batch.shape[0]} images")
        return out, ood

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        return softmax(logits / self.card.temperature)

    def _predict(self, batch: np.ndarray) -> list[Prediction]:
        logits, ood = self.run(batch)
        probs = self.probabilities(logits)
        labels = self.card.labels
        threshold = self.card.abstain_confidence
        results = []
        for i, row in enumerate(probs):
            best = int(np.argmax(row))
            confidence = float(row[best])
            score = None if ood is None else float(ood[i])
            # NaN-safe: a score that is not clearly below the threshold counts as unfamiliar.
            far = score is not None and not score <= self.card.ood.threshold  # type: ignore[union-attr]
            results.append(
                Prediction(
                    label=labels[best],
                    confidence=confidence,
                    probs={label: float(p) for label, p in zip(labels, row)},
                    uncertain=confidence < threshold or far,
                    ood_score=score,
                    ood=far,
                )
            )
        return results

    def _self_test(self) -> None:
        # One run on a blank input proves the graph executes and has the declared output size.
        self.run(np.zeros((1, *self.card.input_shape[1:]), np.float32))


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def _read_card(model_path: Path) -> ModelCard:
    path = card_path(model_path)
    if not path.is_file():
        raise ModelError(f"model card not found: {path}")
    try:
        return ModelCard.load(path)
    except (ValidationError, json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        raise ModelError(f"model card {path} is invalid: {exc}") from exc


def _check_file(model_path: Path, card: ModelCard) -> None:
    if not model_path.is_file():
        raise ModelError(f"model file not found: {model_path}")
    actual = sha256_file(model_path)
    if actual != card.sha256:
        raise ModelError(f"sha256 mismatch for {model_path.name}: card says {card.sha256}, file is {actual}")


def _open_session(model_path: Path, intra_op_threads: int) -> object:
    import onnxruntime as ort  # here, so importing vision never pays for it

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, intra_op_threads)
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        return ort.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ModelError(f"cannot load ONNX model {model_path.name}: {exc}") from exc


def _check_session(session: object, card: ModelCard) -> bool:
    """Compare the graph's declared input/output with the card; returns True for a dynamic batch."""
    inputs = session.get_inputs()  # type: ignore[attr-defined]
    if len(inputs) != 1:
        raise ModelError(f"model has {len(inputs)} inputs, expected 1")
    spec = inputs[0]
    if spec.name != card.input_name:
        raise ModelError(f"input name mismatch: model has {spec.name!r}, card says {card.input_name!r}")
    if spec.type != "tensor(float)":
        raise ModelError(f"input dtype mismatch: model has {spec.type}, card says {card.input_dtype}")
    shape = list(spec.shape)
    if len(shape) != 4 or shape[1:] != list(card.input_shape[1:]):
        raise ModelError(f"input shape mismatch: model has {shape}, card says {list(card.input_shape)}")
    dynamic = not isinstance(shape[0], int)
    if not dynamic and shape[0] != 1:
        raise ModelError(f"input shape mismatch: model batch is {shape[0]}, card says 1")
    outputs = [o.name for o in session.get_outputs()]  # type: ignore[attr-defined]
    if card.ood is not None and card.ood.output not in outputs:
        raise ModelError(f"card declares OOD output {card.ood.output!r}; the model has {outputs}")
    out_shape = list(session.get_outputs()[0].shape)  # type: ignore[attr-defined]
    if not out_shape or (isinstance(out_shape[-1], int) and out_shape[-1] != len(card.labels)):
        raise ModelError(f"output size mismatch: model has {out_shape}, card has {len(card.labels)} labels")
    _check_metadata(session, card)
    return dynamic


def _check_metadata(session: object, card: ModelCard) -> None:
    # Our exporter writes the labels into the ONNX file too, so a card copied from another
    # model with the same shapes is still caught.
    meta = session.get_modelmeta().custom_metadata_map  # type: ignore[attr-defined]
    if "labels" in meta and json.loads(meta["labels"]) != list(card.labels):
        raise ModelError(f"labels mismatch: model file has {meta['labels']}, card has {card.labels}")
