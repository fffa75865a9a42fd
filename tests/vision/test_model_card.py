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


def _gate(**overrides: object) -> dict:
    gate = {"pass_confidence": {"clean_gravel": [0.98, 0.8, 0.7]}, "tile_doubt": 0.9}
    gate.update(overrides)
    return gate


def test_a_card_without_the_gate_calibration_still_loads(committed_model: Path) -> None:
    data = _card_dict(committed_model)
    data.pop("gate", None)
    assert ModelCard.model_validate(data).gate is None


def test_gate_thresholds_by_label_and_views(committed_model: Path) -> None:
    data = _card_dict(committed_model)
    data["abstain_confidence"] = 0.98
    card = ModelCard.model_validate({**data, "gate": _gate()})
    gate = card.gate
    assert gate is not None
    assert [gate.pass_threshold("clean_gravel", v, 0.98) for v in (0, 1, 2, 3, 9)] == [0.98, 0.98, 0.8, 0.7, 0.7]
    assert gate.pass_threshold("clean_sand", 3, 0.98) == 0.98  # not calibrated: the per-image threshold


@pytest.mark.parametrize("steps", [[0.9, 0.8], [0.98, 0.8, 0.85], [], [0.98, 1.2]])
def test_gate_thresholds_must_not_rise_nor_undercut_one_image(committed_model: Path, steps: list) -> None:
    data = _card_dict(committed_model)
    data["abstain_confidence"] = 0.98
    with pytest.raises(ValidationError):
        ModelCard.model_validate({**data, "gate": _gate(pass_confidence={"clean_gravel": steps})})
    with pytest.raises(ValidationError):
        ModelCard.model_validate({**data, "gate": _gate(pass_confidence={"gold": [0.99]})})


def test_the_committed_card_carries_a_gate_calibration(committed_model: Path) -> None:
    card = ModelCard.load(card_path(committed_model))
    assert card.gate is not None and card.gate.validation and card.gate.calibration
    for steps in card.gate.pass_confidence.values():
        assert steps[0] >= card.abstain_confidence
