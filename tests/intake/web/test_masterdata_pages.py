"""/admin/orders and /admin/vehicles through FastAPI's TestClient on a real SQLite store: login,
CSRF, the admin role, a required reason, and each change a chained change record (who, why,
old -> new) that `intake audit verify` accepts."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from intake.lane.status import StatusHub
from intake.store.master_changes import MasterChange
from intake.store.tables import DeliveryOrder, Vehicle
from intake.web.app import create_app
from intake.web.staff import StaffSettings
from tests.intake.web.review_seed import AUDIT_KEY, SEED_NOW
from tests.intake.web.staff_support import STAFF_PASSWORD, Store, csrf_of

BASE = "http://testserver"


@pytest.fixture
def app_client(hub: StatusHub, store: Store) -> Iterator[TestClient]:
    app = create_app(hub, engine=store.engine, data_dir=store.data_dir, staff=StaffSettings(today=SEED_NOW.date))
    with TestClient(app, base_url=BASE, headers={"Origin": BASE, "Sec-Fetch-Site": "same-origin"}) as client:
        yield client


def log_in(client: TestClient, user: str) -> None:
    form = client.get("/login")
    reply = client.post("/login", data={"csrf": csrf_of(form.text), "username": user, "password": STAFF_PASSWORD,
                                        "next": "/review"}, follow_redirects=False)
    assert reply.status_code == 303, reply.text


def last_change(store: Store) -> MasterChange:
    with Session(store.engine) as s:
        change = s.exec(select(MasterChange).order_by(col(MasterChange.id).desc())).first()
    assert change is not None
    return change


def first(store: Store, table: type[DeliveryOrder] | type[Vehicle]):
    with Session(store.engine) as s:
        return s.exec(select(table).order_by(col(table.id))).first()


def verify(store: Store) -> dict:
    key = store.data_dir.parent / "audit.key"
    key.write_bytes(AUDIT_KEY)
    url = store.engine.url.render_as_string(hide_password=False)
    done = subprocess.run([sys.executable, "-m", "intake", "audit", "verify", "--db", url, "--key", f"file:{key}",
                           "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def test_closing_an_order_is_recorded_with_who_why_old_and_new(app_client: TestClient, store: Store) -> None:
    log_in(app_client, "adm")
    order = first(store, DeliveryOrder)
    page = app_client.get("/admin/orders")
    assert page.status_code == 200 and order.code in page.text and page.headers["cache-control"] == "no-store"
    reply = app_client.post(f"/admin/orders/{order.id}/close", data={"csrf": csrf_of(page.text), "reason": "supplier cancelled the order"})
    assert reply.status_code == 200 and "closed (change record" in reply.text   # followed the 303
    change = last_change(store)
    assert (change.table_name, change.row_pk, change.by, change.why) == (
        "deliveryorder", str(order.id), "adm", "supplier cancelled the order")
    assert (change.old["is_open"], change.new["is_open"]) == (True, False)
    assert "is_open True → False" in app_client.get("/admin/orders?state=all").text
    reopened = app_client.post(f"/admin/orders/{order.id}/open", data={"csrf": csrf_of(page.text), "reason": "cancelled by mistake"})
    assert reopened.status_code == 200 and last_change(store).new["is_open"] is True
    assert verify(store)["ok"]


def test_correcting_a_stored_tare_is_recorded_and_dated(app_client: TestClient, store: Store) -> None:
    log_in(app_client, "adm")
    vehicle = first(store, Vehicle)
    page = app_client.get("/admin/vehicles")
    assert vehicle.plate in page.text
    day = (SEED_NOW - timedelta(days=3)).date().isoformat()
    reply = app_client.post(f"/admin/vehicles/{vehicle.id}/tare", data={
        "csrf": csrf_of(page.text), "tare_kg": str(vehicle.stored_tare_kg - 40), "weighed_on": day,
        "reason": "re-weighed empty on the certified scale"})
    assert reply.status_code == 200 and f"{vehicle.stored_tare_kg} → {vehicle.stored_tare_kg - 40} kg" in reply.text
    assert f"stored_tare_at {vehicle.stored_tare_at:%Y-%m-%d %H:%M:%S} → {day} 00:00:00" in reply.text
    change = last_change(store)
    assert (change.table_name, change.by, change.why) == ("vehicle", "adm", "re-weighed empty on the certified scale")
    assert (change.old["stored_tare_kg"], change.new["stored_tare_kg"]) == (vehicle.stored_tare_kg, vehicle.stored_tare_kg - 40)
    stored = first(store, Vehicle)
    assert stored.stored_tare_at.replace(tzinfo=timezone.utc) == datetime.fromisoformat(day).replace(tzinfo=timezone.utc)
    assert verify(store)["ok"]


@pytest.mark.parametrize("form, words", [
    ({"reason": ""}, "a reason is required"),
    ({"reason": "ok"}, "a reason is required"),
    ({"tare_kg": "14.5"}, "not a whole number"),
    ({"tare_kg": "99999"}, "outside 500-60000 kg"),
    ({"weighed_on": "2099-01-01"}, "in the future"),
    ({"weighed_on": "yesterday"}, "YYYY-MM-DD"),
])
def test_a_bad_tare_form_changes_nothing(app_client: TestClient, store: Store, form: dict, words: str) -> None:
    log_in(app_client, "adm")
    vehicle, before = first(store, Vehicle), last_change(store).id
    page = app_client.get("/admin/vehicles")
    data = {"csrf": csrf_of(page.text), "tare_kg": "14000", "weighed_on": SEED_NOW.date().isoformat(),
            "reason": "re-weighed empty", **form}
    reply = app_client.post(f"/admin/vehicles/{vehicle.id}/tare", data=data)
    assert reply.status_code == 400 and words in reply.text
    assert last_change(store).id == before and first(store, Vehicle).stored_tare_kg == vehicle.stored_tare_kg


def test_the_reason_is_required_to_close_an_order(app_client: TestClient, store: Store) -> None:
    log_in(app_client, "adm")
    order, before = first(store, DeliveryOrder), last_change(store).id
    page = app_client.get("/admin/orders")
    reply = app_client.post(f"/admin/orders/{order.id}/close", data={"csrf": csrf_of(page.text), "reason": "   "})
    assert reply.status_code == 400 and "a reason is required" in reply.text
    assert last_change(store).id == before and first(store, DeliveryOrder).is_open


def test_a_second_open_order_for_a_vehicle_is_refused(app_client: TestClient, store: Store) -> None:
    log_in(app_client, "adm")
    order = first(store, DeliveryOrder)
    csrf = csrf_of(app_client.get("/admin/orders").text)
    assert app_client.post(f"/admin/orders/{order.id}/close", data={"csrf": csrf, "reason": "to reopen"}).status_code == 200
    with Session(store.engine) as s:   # another open order for the same truck, made through the gate
        from intake.store.master_changes import as_actor
        with as_actor(s, "test", "second order"):
            s.add(DeliveryOrder(code="PO-SECOND", supplier_id=order.supplier_id, material_id=order.material_id,
                                vehicle_id=order.vehicle_id, expected_kg=1000))
            s.commit()
    reply = app_client.post(f"/admin/orders/{order.id}/open", data={"csrf": csrf, "reason": "reopen it"})
    assert reply.status_code == 400 and "already has open order PO-SECOND" in reply.text


def test_a_row_edited_outside_the_gate_is_marked_and_not_changed(app_client: TestClient, store: Store) -> None:
    vehicle = first(store, Vehicle)
    con = sqlite3.connect(Path(store.engine.url.database))
    with con:
        con.execute("UPDATE vehicle SET stored_tare_kg = stored_tare_kg - 2000 WHERE id = ?", (vehicle.id,))
    con.close()
    log_in(app_client, "adm")
    page = app_client.get(f"/admin/vehicles?q={vehicle.plate}")
    assert "differs from its record" in page.text and f"/admin/vehicles/{vehicle.id}/tare" not in page.text
    reply = app_client.post(f"/admin/vehicles/{vehicle.id}/tare", data={
        "csrf": csrf_of(page.text), "tare_kg": "14000", "weighed_on": SEED_NOW.date().isoformat(),
        "reason": "launder the forged tare"})
    assert reply.status_code == 400 and "differs from its change record" in reply.text


def test_reviewers_anonymous_and_forged_posts_are_refused(app_client: TestClient, store: Store) -> None:
    order, before = first(store, DeliveryOrder), last_change(store).id
    anonymous = app_client.get("/admin/orders", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert app_client.post(f"/admin/orders/{order.id}/close", data={"csrf": "x", "reason": "no login"}).status_code == 403
    log_in(app_client, "rev")
    for path in ("/admin/orders", "/admin/vehicles"):
        assert app_client.get(path).status_code == 403
    csrf = csrf_of(app_client.get("/review").text)
    assert app_client.post(f"/admin/orders/{order.id}/close", data={"csrf": csrf, "reason": "reviewer"}).status_code == 403
    log_in(app_client, "adm")
    assert app_client.post(f"/admin/orders/{order.id}/close", data={"csrf": "wrong", "reason": "bad token"}).status_code == 403
    page = app_client.get("/admin/orders")
    cross = app_client.post(f"/admin/orders/{order.id}/close", data={"csrf": csrf_of(page.text), "reason": "cross site"},
                            headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    assert last_change(store).id == before and first(store, DeliveryOrder).is_open


def test_a_tampered_change_record_is_not_shown_as_fact(app_client: TestClient, store: Store) -> None:
    con = sqlite3.connect(Path(store.engine.url.database))
    with con:
        con.execute("UPDATE master_change SET why = 'nobody asked' WHERE id = "
                    "(SELECT max(id) FROM master_change WHERE table_name = 'vehicle')")
    con.close()
    log_in(app_client, "adm")
    page = app_client.get("/admin/vehicles")
    assert page.status_code == 200 and "fails verification" in page.text and "nobody asked" not in page.text
