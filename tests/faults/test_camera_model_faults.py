"""Camera and model faults: the sample photos of truck 0 (good sand, a PASS without faults)
are removed, frozen, blacked out or blurred before the gate grabs them; or the model is gone."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from intake.demo.runner import PROJECT_ROOT
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
    o = run_scenario(tmp, 2, [], model=model)
    check_invariants(o, touched={0, 1}, fired=0)
    for i in (0, 1):
        assert o.first(i).verdict == "review" and o.first(i).reasons[-1] == ["model_unavailable"]


def test_model_missing_holds_every_sample(tmp_path):
    _model_scenario(tmp_path, tmp_path / "absent" / "model.onnx")


def test_truncated_model_file_holds_every_sample(tmp_path):
    broken = tmp_path / "model"
    shutil.copytree(MODEL_DIR, broken)
    onnx = broken / "model.onnx"
    data = onnx.read_bytes()
    onnx.write_bytes(data[: len(data) // 2])  # a copy cut short, e.g. by a full disk
    _model_scenario(tmp_path, onnx)
