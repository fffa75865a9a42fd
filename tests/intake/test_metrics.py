"""/metrics after real trucks: counts match what the gate did, in valid Prometheus text."""
from __future__ import annotations

import asyncio

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from intake.demo.runner import DemoOptions, run_demo
from intake.metrics import metrics_router


def test_metrics_count_trucks_inspections_frames_and_inference(tmp_path):
    gates: list = []
    out: list[dict] = []
    opts = DemoOptions(trucks=2, speed=50, db=f"sqlite:///{tmp_path / 'gate.db'}", web=False,
                       sampling_rate=1.0, data_dir=tmp_path / "data")
    assert asyncio.run(run_demo(opts, out.append, on_gate=lambda g, _u: gates.append(g))) == 0
    app = FastAPI()
    app.include_router(metrics_router(gates[0]))
    reply = TestClient(app).get("/metrics")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/plain")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(reply.text) for s in family.samples}
    lane = (("lane", "1"),)
    assert samples[("intake_trucks_total", lane)] == len(out) == 2
    inspected = sum(v for (name, _), v in samples.items() if name == "intake_inspections_total")
    assert inspected == 2
    assert samples[("intake_scale_frames_total", lane)] > 100
    assert samples[("intake_inference_total", lane)] == 10          # 5 frames per sampled truck
    assert samples[("intake_inference_seconds_total", lane)] > 0
    assert samples[("intake_lane_out_of_service", lane)] == 0
    # The shared session pool: every frame borrowed a session, none are out now.
    pool = gates[0].pool.stats()
    assert samples[("intake_inference_pool_sessions", ())] == pool.sessions >= 1
    assert samples[("intake_inference_in_flight", ())] == 0 and samples[("intake_inference_waiting", ())] == 0
    assert 1 <= samples[("intake_inference_in_flight_peak", ())] <= pool.sessions
    assert samples[("intake_inference_busy_total", ())] == 0 and pool.borrows == 10
