"""Model faults at run time, with real ONNX files built here (tests/faults/faulty_models.py):
NaN outputs, inference past its deadline, and a model whose input shape is not the card's.
Truck 0 is good sand and truck 1 good gravel: both PASS with the shipped model."""
from __future__ import annotations

import time

from intake.web.health import health_payload
from .faulty_models import nan_model, slow_model, wrong_shape_model
from .harness import check_invariants, run_scenario


def _reasons(o, truck: int) -> list[str]:
    return o.first(truck).reasons[-1]


def test_nan_outputs_send_every_sample_to_review(tmp_path):
    o = run_scenario(tmp_path, 2, [], model=nan_model(tmp_path / "nan"))
    check_invariants(o, touched={0, 1}, fired=0)
    for i in (0, 1):
        assert o.first(i).verdict == "review"
        assert _reasons(o, i) == ["model:model produced NaN or infinite outputs"], _reasons(o, i)
    assert o.gate.model.problem is None   # it loaded: the fault shows only on real photos


def test_slow_inference_misses_its_deadline_and_the_lane_goes_on(tmp_path):
    # One to two seconds of matrix products per photo against a 0.2 s deadline.
    def setup(gate) -> None:
        gate.lanes[0].inspector.inference_deadline_s = 0.2

    started = time.monotonic()
    o = run_scenario(tmp_path, 2, [], model=slow_model(tmp_path / "slow"), setup=setup)
    check_invariants(o, touched={0, 1}, fired=0)
    # Truck 0's first photo times out and no other photo of it is tried. Truck 1 is not passed
    # either (the invariants): its photo times out too, finds the first inference still
    # running, or the spinning model starved its weighing of CPU.
    assert o.first(0).verdict == "review" and _reasons(o, 0) == ["model:inference_timeout"], _reasons(o, 0)
    assert time.monotonic() - started < 60   # both trucks through: the lane was never stuck


def test_wrong_input_shape_stops_inspections_with_a_message(tmp_path):
    o = run_scenario(tmp_path, 2, [], model=wrong_shape_model(tmp_path / "shape"))
    check_invariants(o, touched={0, 1}, fired=0)
    for i in (0, 1):   # no model in service: drawn, not probed, recorded not sampled
        assert o.first(i).verdict is None and _reasons(o, i) == ["not_sampled:model_unavailable"]
    problem = o.gate.model.problem
    assert problem is not None and "input shape mismatch" in problem
    health = health_payload(o.gate.hub, o.gate.health)
    assert health["status"] == "degraded" and "input shape mismatch" in health["model"]
