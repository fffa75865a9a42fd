from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from vision.model_card import LABELS, ModelCard, card_path, sha256_file


def _card_dict(committed_model: Path) -> dict:
    return json.loads(card_path(committed_model).read_text())


def test_committed_card_is_valid_and_complete(committed_model: Path) -> None:
    card = ModelCard.load(card_path(committed_model))
    assert card.labels == list(LABELS)
    assert card.input_name == "input"
    assert card.input_shape[:2] == (1, 3)
    assert (card.input_dtype, card.layout, card.colour) == ("float32", "NCHW", "RGB")
    assert card.sha256 == sha256_file(committed_model)
    assert card.metrics.seed != card.seed  # measured on a held-out seed
    assert card.temperature > 0 and 0.5 <= card.abstain_confidence < 1
    assert sum(map(sum, card.metrics.confusion)) == card.metrics.n


def test_card_path_is_same_stem_json() -> None:
    assert card_path(Path("models/x/model.onnx")) == Path("models/x/model.json")


def test_unknown_key_rejected(committed_model: Path) -> None:
    data = _card_dict(committed_model)
    data["colour_space"] = "sRGB"
    with pytest.raises(ValidationError, match="colour_space"):
        ModelCard.model_validate(data)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("input_shape", [1, 1, 96, 96]),
        ("input_dtype", "float16"),
        ("layout", "NHWC"),
        ("sha256", "abc"),
        ("temperature", 0),
        ("abstain_confidence", 1.5),
        ("labels", ["a", "a"]),
    ],
)
def test_bad_values_rejected(committed_model: Path, field: str, value: object) -> None:
    data = _card_dict(committed_model)
    data[field] = value
    with pytest.raises(ValidationError):
        ModelCard.model_validate(data)


def test_metrics_must_match_labels(committed_model: Path) -> None:
    data = _card_dict(committed_model)
    data["metrics"]["confusion"] = data["metrics"]["confusion"][:-1]
    with pytest.raises(ValidationError, match="confusion"):
        ModelCard.model_validate(data)


def test_save_load_round_trip(committed_model: Path, tmp_path: Path) -> None:
    card = ModelCard.load(card_path(committed_model))
    card.save(tmp_path / "m.json")
    assert ModelCard.load(tmp_path / "m.json") == card
