"""Alarms on the running gate (the demo plant): every REJECT the gate decides reaches the robot
endpoint once, with its plate and reasons; a channel that is down changes nothing for the
trucks (the verdicts of a run without alarms, every truck through, the run succeeds) and its
alarms wait in the outbox."""
from __future__ import annotations

import asyncio

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from intake.alarms.outbox import recent
from intake.alarms.service import worker_for
from intake.config import load_config
from intake.demo.runner import DemoOptions, run_demo
from intake.metrics import metrics_router
from intake.store.db import open_engine
from tests.intake.alarms.conftest import Capture, free_port, site_toml


def test_demo_rejects_reach_the_robot_and_a_dead_channel_holds_no_truck(tmp_path, capture: Capture) -> None:
    config = site_toml(tmp_path, f"""
[alarms]
timezone = "Asia/Shanghai"
poll_s = 0.1
[alarms.channels.qa]
kind = "wecom"
url = "{capture.url('/qa?key=k')}"
[alarms.channels.dead]
kind = "json"
url = "http://127.0.0.1:{free_port()}/nobody"
[[alarms.rules]]
event = "reject"
channels = ["qa", "dead"]
every_min = 0
""")
    out: list[dict] = []
    db = f"sqlite:///{tmp_path / 'gate.db'}"
    opts = DemoOptions(trucks=4, speed=50, db=db, web=False, sampling_rate=1.0, data_dir=tmp_path / "data",
                       config=config)
    gates: list = []
    code = asyncio.run(asyncio.wait_for(run_demo(opts, out.append, on_gate=lambda g, _u: gates.append(g)),
                                        timeout=240))
    assert code == 0 and len(out) == 4
    plain: list[dict] = []   # the same plant without [alarms]: the same trucks, the same verdicts
    bare = DemoOptions(trucks=4, speed=50, db=f"sqlite:///{tmp_path / 'bare.db'}", web=False, sampling_rate=1.0,
                       data_dir=tmp_path / "bare")
    assert asyncio.run(asyncio.wait_for(run_demo(bare, plain.append), timeout=240)) == 0
    assert sorted((s["plate"], s["verdict"], s["reasons"]) for s in out) == sorted(
        (s["plate"], s["verdict"], s["reasons"]) for s in plain)
    rejected = sorted(s["plate"] for s in out if s["verdict"] == "reject")
    assert rejected, "the demo's first four trucks include a rejected load"
    engine = open_engine(db, migrate=False)
    cfg = load_config(config)
    worker_for(cfg, engine).run_once()   # what the run's last seconds raised, after it
    texts = [p.body["text"]["content"] for p in capture.posts]
    assert sorted(next(line.split(": ", 1)[1] for line in t.splitlines() if line.startswith("车牌 Plate"))
                  for t in texts) == rejected   # each REJECT exactly once
    assert all("拒收 Load rejected" in t and "原因 Reason: " in t for t in texts)
    alarms = recent(engine)
    assert len(alarms) == len(rejected)
    for item in alarms:
        assert {d.channel: d.status for d in item.deliveries} == {"qa": "sent", "dead": "pending"}
    # The dead channel is tried once a pass: at least one of its deliveries says why it waits.
    dead = [d.last_error for item in alarms for d in item.deliveries if d.channel == "dead"]
    assert any(e and "Connection" in e for e in dead), dead
    app = FastAPI()
    app.include_router(metrics_router(gates[0]))
    samples = {(m.name, tuple(m.labels.items())): m.value
               for family in text_string_to_metric_families(TestClient(app).get("/metrics").text) for m in family.samples}
    assert samples[("intake_alarm_deliveries", (("status", "pending"),))] == len(rejected)   # the dead channel's
    assert samples[("intake_alarm_deliveries", (("status", "failed"),))] == 0
    engine.dispose()
