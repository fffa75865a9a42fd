"""A copy of the database edited with sqlite3 (a weighing +5,000 kg, a REJECT turned to PASS) is
not served as fact: the item page names the failing rows instead of the forged values, no review
can be recorded on it, the queue warns, exports refuse, /health is down and the kiosk is closed."""
from __future__ import annotations

import csv
import io
import sqlite3
import threading
from collections.abc import Iterator

import httpx
import pytest

from intake.lane.status import StatusHub
from intake.store.chain import key_for
from intake.store.integrity import REFUSAL, state_for, verify_whole
from intake.web.app import create_app
from intake.web.server import WebServer
from tests.intake.web.staff_support import Store, csrf_of, login, read_csv


@pytest.fixture
def forged(store: Store) -> Store:
    item = store.items[0]                       # a REJECT
    con = sqlite3.connect(store.engine.url.database)
    with con:
        con.execute("UPDATE weighing SET weight_kg = weight_kg + 5000 WHERE visit_id = ? AND kind = 'in'",
                    (item.visit,))
        con.execute("UPDATE decision SET verdict = 'pass', reasons = '[]' WHERE id = ?", (item.decision,))
    con.close()
    return store


@pytest.fixture
def gate_web(hub: StatusHub, forged: Store) -> Iterator[WebServer]:
    """Wired as the gate's runtime wires it: the chain's state on /health and every kiosk."""
    state = state_for(forged.engine)
    app = create_app(hub, heartbeat_s=0.3, engine=forged.engine, data_dir=forged.data_dir,
                     health=state.health, hold=lambda: None if state.ok else REFUSAL)
    server = WebServer(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_the_item_page_shows_the_failure_not_the_forged_pass(gate_web: WebServer, forged: Store) -> None:
    client = login(gate_web.url, "rev")
    page = client.get(f"/review/{forged.items[0].inspection}")
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="fails-verification"' in html and "decision #" in html and "weighing #" in html
    assert "37480" not in html and ">PASS<" not in html.replace(" ", "")
    assert 'data-testid="decide"' not in html
    seen = forged.items[0].decision
    reply = client.post("/review/decide", data={"csrf": csrf_of(client.get("/review").text),
                                                "visit": forged.items[0].visit, "seen": str(seen),
                                                "verdict": "reject", "label": "muddy", "reason": "forged?"},
                        headers={"Origin": gate_web.url})
    assert reply.status_code == 409
    # Having seen it, the gate is closed: /health and the kiosk say why.
    health = httpx.get(f"{gate_web.url}/health", timeout=10)
    assert health.status_code == 503 and health.json()["integrity"].startswith("failed")
    kiosk = httpx.get(f"{gate_web.url}/kiosk/1", timeout=10).text
    assert "Records fail verification" in kiosk


def test_the_background_verify_finds_the_forgery_the_queue_no_longer_lists(gate_web: WebServer,
                                                                            forged: Store) -> None:
    client = login(gate_web.url, "rev")
    assert httpx.get(f"{gate_web.url}/health", timeout=10).json()["integrity"] == "ok"   # not yet seen
    verify_whole(forged.engine, key_for(forged.engine))
    queue = client.get("/review").text
    assert 'data-testid="integrity-failed"' in queue
    assert client.get("/export/visits.csv").status_code == 409
    assert httpx.get(f"{gate_web.url}/health", timeout=10).status_code == 503


def test_exports_verify_the_whole_chain_first(gate_web: WebServer, forged: Store) -> None:
    client = login(gate_web.url, "rev")
    reply = client.get("/export/visits.csv")          # nothing verified yet: the export does it
    assert reply.status_code == 409 and "fail verification" in reply.text and "37480" not in reply.text


def test_an_untouched_store_is_served_as_before(hub: StatusHub, store: Store) -> None:
    server = WebServer(create_app(hub, engine=store.engine, data_dir=store.data_dir))
    server.start()
    try:
        client = login(server.url, "rev")
        html = client.get(f"/review/{store.items[0].inspection}").text
        assert 'data-testid="fails-verification"' not in html and 'data-testid="decide"' in html
        assert client.get("/export/visits.csv").status_code == 200
        assert state_for(store.engine).ok and state_for(store.engine).whole_verified_at is not None
    finally:
        server.stop()


def test_an_edit_made_after_the_start_verify_is_not_exported_as_fact(staff_server: WebServer, store: Store) -> None:
    """The whole chain verified at the first export; then a weighing is raised by 5,000 kg with
    sqlite3. The next export checks each line's rows as it reads them: the forged visit's line
    says it fails verification and carries no weight, the others are verified; exports stop."""
    client = login(staff_server.url, "rev")
    before = list(csv.DictReader(io.StringIO(read_csv(client.get("/export/visits.csv")))))
    assert before and all(r["verified"] == "yes" for r in before)
    item = store.items[0]
    gross = next(r["gross_kg"] for r in before if r["visit"] == item.visit)
    con = sqlite3.connect(store.engine.url.database)
    with con:
        con.execute("UPDATE weighing SET weight_kg = weight_kg + 5000 WHERE visit_id = ? AND kind = 'in'",
                    (item.visit,))
    con.close()
    reply = client.get("/export/visits.csv")
    assert reply.status_code == 200
    after = {r["visit"]: r for r in csv.DictReader(io.StringIO(read_csv(reply)))}
    forged = after[item.visit]
    assert forged["verified"] == "record fails verification"
    assert forged["gross_kg"] == forged["net_kg"] == forged["verdict"] == ""
    assert str(int(gross) + 5000) not in reply.text
    assert all(r["verified"] == "yes" for v, r in after.items() if v != item.visit)
    assert not state_for(store.engine).ok
    assert client.get("/export/visits.csv").status_code == 409


def test_a_forged_inspection_label_is_not_exported_as_training_data(staff_server: WebServer, store: Store) -> None:
    """The inspections export is the training label set: a label forged after the start verify
    is exported as failing verification, without the label."""
    client = login(staff_server.url, "rev")
    before = list(csv.DictReader(io.StringIO(read_csv(client.get("/export/inspections.csv")))))
    assert before and all(r["verified"] == "yes" for r in before)
    item = store.items[0]
    con = sqlite3.connect(store.engine.url.database)
    with con:
        con.execute("UPDATE inspection SET label = 'clean_sand', confidence = 0.99 WHERE id = ?", (item.inspection,))
    con.close()
    after = {r["inspection"]: r for r in csv.DictReader(io.StringIO(read_csv(client.get("/export/inspections.csv"))))}
    forged = after[str(item.inspection)]
    assert forged["verified"] == "record fails verification" and forged["label"] == forged["confidence"] == ""
    assert all(r["verified"] == "yes" for i, r in after.items() if i != str(item.inspection))


def test_the_gates_web_app_verifies_in_the_background_and_closes_the_lanes(
        hub: StatusHub, forged: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """intake run and the demo serve runtime.web_app: its background verify finds the forgery
    on its own, /health goes down and every kiosk says why."""
    from types import SimpleNamespace

    from intake.config import IdentificationConfig, TicketConfig
    from intake.runtime import web_app
    from tests.intake.web.review_seed import AUDIT_KEY

    monkeypatch.setenv("INTAKE_PROBE_KEY", AUDIT_KEY.decode())
    site = SimpleNamespace(audit_key="env:INTAKE_PROBE_KEY", database=str(forged.engine.url),
                           data_dir=forged.data_dir, kiosk_display_token="")
    gate = SimpleNamespace(hub=hub, health=lambda: {"model": "ok"}, problems=lambda: [],
                           records=SimpleNamespace(engine=forged.engine, plate_for_order_code=lambda code: None),
                           cfg=SimpleNamespace(site=site, identification=IdentificationConfig(),
                                              tickets=TicketConfig(), sampling=SimpleNamespace(timezone="UTC")),
                           lanes=[])
    server = WebServer(web_app(gate))  # type: ignore[arg-type]
    server.start()
    try:
        deadline = 200   # the verify runs in a worker thread: wait for its outcome, bounded
        while state_for(forged.engine).ok and deadline:
            threading.Event().wait(0.05)
            deadline -= 1
        health = httpx.get(f"{server.url}/health", timeout=10)
        assert health.status_code == 503 and health.json()["integrity"].startswith("failed: mismatch")
        assert "Records fail verification" in httpx.get(f"{server.url}/kiosk/1", timeout=10).text
    finally:
        server.stop()
