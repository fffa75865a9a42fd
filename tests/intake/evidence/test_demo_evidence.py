"""The simulated plant with deck evidence cameras and the real gate: every weighing (weigh-in
and weigh-out, PASS and sent back) gets a snapshot per view; a camera that hangs (an RTSP
server that accepts and never answers) leaves its view recorded as missing, the lanes finish
every truck, the chain verifies, and /metrics counts both."""
from __future__ import annotations

import asyncio
import hashlib
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session, select

from intake.demo.runner import DEMO_CONFIG, DemoOptions, run_demo
from intake.evidence.tables import DeckSnapshot
from intake.metrics import metrics_router
from intake.store.audit import verify
from intake.store.chain import key_for
from intake.store.tables import Weighing


@pytest.fixture
def silent_rtsp() -> Iterator[int]:
    """A TCP server that takes connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def config_with_hanging_cab(tmp_path: Path, port: int) -> Path:
    text = re.sub(r'\[\[lanes\.evidence\]\]\nview = "(top|cab)"\nsource = "sim"\n\n', "", DEMO_CONFIG.read_text())
    text = text.replace("[lanes.printer]", f'[[lanes.evidence]]\nview = "cab"\nsource = "rtsp://127.0.0.1:{port}/live"\n'
                                           f"timeout_s = 0.3\n\n[lanes.printer]", 1)
    path = tmp_path / "gate.toml"
    path.write_text(text)
    return path


def test_every_weighing_is_photographed_and_a_hanging_camera_is_a_missing_view(tmp_path, silent_rtsp):
    gates: list = []
    out: list[dict] = []
    data = tmp_path / "data"
    opts = DemoOptions(trucks=3, speed=50, db=f"sqlite:///{tmp_path / 'gate.db'}", web=False, data_dir=data,
                       sampling_rate=1.0,   # every load judged: the muddy one is sent back with its load
                       config=config_with_hanging_cab(tmp_path, silent_rtsp))
    assert asyncio.run(run_demo(opts, out.append, on_gate=lambda g, _u: gates.append(g))) == 0
    assert len(out) == 3 and any(not o["received"] for o in out)   # one truck was sent back with its load
    engine = gates[0].records.engine
    with Session(engine) as session:
        weighings = list(session.exec(select(Weighing)))
        shots = list(session.exec(select(DeckSnapshot)))
    assert len(weighings) == 6
    by_weighing = {w.id: {s.view: s for s in shots if s.weighing_id == w.id} for w in weighings}
    for w in weighings:
        views = by_weighing[w.id]
        assert sorted(views) == ["cab", "front", "rear"], w
        assert all(s.kind == w.kind and s.visit_id == w.visit_id for s in views.values())
        for name in ("front", "rear"):
            shot = views[name]
            assert shot.missing is None and hashlib.sha256((data / shot.path).read_bytes()).hexdigest() == shot.sha256
        assert views["cab"].path is None and "timed out" in (views["cab"].missing or "")
    assert verify(engine, key_for(engine)).ok
    app = FastAPI()
    app.include_router(metrics_router(gates[0]))
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(TestClient(app).get("/metrics").text) for s in family.samples}
    assert samples[("intake_deck_snapshots_total", (("lane", "1"), ("outcome", "ok"), ("view", "front")))] == 6
    assert samples[("intake_deck_snapshots_total", (("lane", "1"), ("outcome", "missing"), ("view", "cab")))] == 6
