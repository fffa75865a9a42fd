"""Camera and model faults: the sample photos of truck 0 (good sand, a PASS without faults)
are removed, frozen, blacked out or blurred before the gate grabs them; or the model is gone."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hardware.modbus.registers import SamplerCommand
from intake.demo.runner import PROJECT_ROOT
from intake.web.health import health_payload
from .injector import FaultSpec
from .harness import check_invariants, run_scenario

MODEL_DIR = PROJECT_ROOT / "models" / "intake-classifier"


def _camera(tmp: Path, action: str):
    o = run_scenario(tmp, 2, [FaultSpec(0, action, at="presented")])  # type: ignore[arg-type]
    check_invariants(o, touched={0})
    return o


def test_camera_removed_sends_the_truck_to_review(tmp_path):
    o = _camera(tmp_path, "camera.remove")
    assert o.first(0).verdict == "review"
    assert any(r.startswith("camera:") for r in o.first(0).reasons[-1])


def test_black_frames_fail_the_quality_gate(tmp_path):
    o = _camera(tmp_path, "camera.black")
    assert o.first(0).verdict == "review"
    assert all(r.startswith("quality:") for r in o.first(0).reasons[-1])


def test_blurred_frames_are_not_passed(tmp_path):
    o = _camera(tmp_path, "camera.blur")
    assert o.first(0).verdict == "review"


def test_frozen_frames_are_not_passed(tmp_path):
    _camera(tmp_path, "camera.freeze")


def _model_scenario(tmp: Path, model: Path):
    """Every truck is drawn (rate 1.0), none is probed: each is recorded not sampled, with the
    reason, and drives in unsampled (no PASS); the sampler PLC never hears a START."""
    o = run_scenario(tmp, 2, [], model=model)
    check_invariants(o, touched={0, 1}, fired=0)
    for i in (0, 1):
        assert o.first(i).verdict is None and o.first(i).reasons[-1] == ["not_sampled:model_unavailable"]
    assert not [c for _, c in o.devices["sampler"].heard if c == SamplerCommand.START]
    assert all(not s["sampled"] and s["received"] for s in o.summaries)
    health = health_payload(o.gate.hub, o.gate.health)
    assert health["status"] == "degraded" and health["sampling"] == "not sampled: model unavailable"
    return o


def test_model_missing_means_trucks_are_not_probed(tmp_path):
    o = _model_scenario(tmp_path, tmp_path / "absent" / "model.onnx")
    assert o.gate.problems() == [("model_unavailable", o.gate.model.problem)]


def test_truncated_model_file_means_trucks_are_not_probed(tmp_path):
    broken = tmp_path / "model"
    shutil.copytree(MODEL_DIR, broken)
    onnx = broken / "model.onnx"
    data = onnx.read_bytes()
    onnx.write_bytes(data[: len(data) // 2])  # a copy cut short, e.g. by a full disk
    _model_scenario(tmp_path, onnx)
