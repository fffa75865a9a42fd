"""The master-data admin pages in a real browser: an admin corrects a vehicle's stored tare and
closes an order with a reason, each change is listed with who, why and old -> new, and
`intake audit verify` still reports nothing. Its own small store (the demo's master data):
these pages need no trucks. Screenshots: test-artifacts/screenshots/review-admin-*.png."""
from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, col, select

from intake.auth.users import Users
from intake.lane.status import LaneStatus, StatusHub
from intake.store.tables import DeliveryOrder, Vehicle
from intake.web.app import create_app
from intake.web.server import WebServer
from tests.e2e.test_review_browser import PASSWORD, log_in, page, shot  # noqa: F401  (page: fixture)
from tests.intake.web.review_seed import AUDIT_KEY, make_engine, seed_master


@pytest.fixture(scope="module")
def admin_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    tmp = tmp_path_factory.mktemp("masterdata")
    engine = make_engine(tmp / "gate.db")
    seed_master(engine)
    Users(engine).add("wang.gong", PASSWORD, "admin")
    hub = StatusHub()
    hub.publish(LaneStatus(lane="1"))
    server = WebServer(create_app(hub, engine=engine, data_dir=tmp / "data"))
    server.start()
    yield server.url, tmp / "gate.db"
    server.stop()
    engine.dispose()


def test_an_admin_corrects_a_tare_and_closes_an_order(admin_site: tuple[str, Path], page: Page) -> None:  # noqa: F811
    url, db = admin_site
    engine = make_engine(db)
    with Session(engine) as s:
        vehicle = s.exec(select(Vehicle).order_by(col(Vehicle.plate))).first()
        order = s.exec(select(DeliveryOrder).order_by(col(DeliveryOrder.id).desc())).first()
    assert vehicle is not None and vehicle.stored_tare_kg is not None and order is not None
    new_tare = vehicle.stored_tare_kg - 60

    log_in(page, url, "wang.gong")
    page.get_by_role("link", name="Vehicles").click()
    row = page.locator(f'tr[data-plate="{vehicle.plate}"]')
    row.get_by_label("tare kg").fill(str(new_tare))
    row.get_by_label("reason").fill("re-weighed empty on the certified scale")
    row.get_by_role("button", name="Correct").click()
    expect(page.get_by_test_id("admin-done")).to_contain_text(f"{vehicle.stored_tare_kg} → {new_tare} kg")
    expect(page.get_by_test_id("master-change").first).to_contain_text(
        f"stored_tare_kg {vehicle.stored_tare_kg} → {new_tare}")
    expect(page.get_by_test_id("master-change").first).to_contain_text("wang.gong")
    shot(page, "admin-vehicles")

    page.get_by_role("link", name="Orders").click()
    line = page.locator(f'tr[data-code="{order.code}"]')
    line.get_by_role("button", name="Close").click()       # the browser asks for the reason first
    expect(page).to_have_url(f"{url}/admin/orders")
    line.get_by_label("reason").fill("supplier cancelled")
    line.get_by_role("button", name="Close").click()
    expect(page.get_by_test_id("admin-done")).to_contain_text(f"order {order.code} closed")
    expect(page.locator(f'tr[data-code="{order.code}"]')).to_have_count(0)   # the list shows open orders
    expect(page.get_by_test_id("master-change").first).to_contain_text("is_open True → False")
    shot(page, "admin-orders")

    (db.parent / "audit.key").write_bytes(AUDIT_KEY)
    done = subprocess.run([sys.executable, "-m", "intake", "audit", "verify", "--db", f"sqlite:///{db}",
                           "--key", f"file:{db.parent / 'audit.key'}", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and json.loads(done.stdout)["problems"] == [], done.stdout + done.stderr
    engine.dispose()
