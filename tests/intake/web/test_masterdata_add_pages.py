"""The admin pages' additions on a real SQLite store: a supplier, a vehicle with its RFID card,
a card bound and withdrawn, an open order; each a chained change record naming the admin and
the reason, which `intake audit verify` accepts. Refusals answer in Chinese first, English
beside, and write nothing; a reviewer cannot add."""
from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from intake.ident.tags import plate_for_tag
from intake.store.records import Records
from intake.store.tables import DeliveryOrder, Vehicle
from tests.intake.web.staff_support import Store, csrf_of
from tests.intake.web.test_masterdata_pages import app_client, last_change, log_in, verify  # noqa: F401 (fixture)

CARD = "0A1B2C3D4E"


def post(client: TestClient, page: str, action: str, **form: str):
    csrf = csrf_of(client.get(page).text)
    return client.post(action, data={"csrf": csrf, "reason": "new haulier contract", **form})


def test_an_admin_adds_a_supplier_a_vehicle_with_its_card_and_an_order(app_client: TestClient, store: Store) -> None:
    log_in(app_client, "adm")
    done = post(app_client, "/admin/suppliers", "/admin/suppliers/add", code="xy-sand", name="新源砂场 Xinyuan")
    assert done.status_code == 200 and "已添加供应商 xy-sand" in done.text and 'data-code="xy-sand"' in done.text
    done = post(app_client, "/admin/vehicles", "/admin/vehicles/add", plate="沪c·8001", supplier="xy-sand",
                bed_length_mm="7200", bed_width_mm="2350", card=CARD.lower())
    assert done.status_code == 200 and "已添加车辆 沪C·8001" in done.text and CARD in done.text
    change = last_change(store)
    assert (change.table_name, change.by, change.why) == ("vehicletag", "adm", "new haulier contract")
    assert plate_for_tag(store.engine, CARD) == "沪C·8001"
    done = post(app_client, "/admin/orders", "/admin/orders/add", supplier="xy-sand", material="sand",
                vehicle="沪C·8001", expected_kg="24000", code="")
    assert done.status_code == 200 and "已添加送货单 PO-" in done.text
    with Session(store.engine) as s:
        order = s.exec(select(DeliveryOrder).order_by(DeliveryOrder.id.desc())).first()  # type: ignore[union-attr]
    assert order is not None and order.is_open and Records(store.engine).plate_for_order_code(order.code) == "沪C·8001"
    assert verify(store)["ok"]


def test_a_card_is_bound_then_withdrawn(app_client: TestClient, store: Store) -> None:
    log_in(app_client, "adm")
    with Session(store.engine) as s:
        vehicle = s.exec(select(Vehicle).order_by(Vehicle.id)).first()  # type: ignore[arg-type]
    assert vehicle is not None
    bound = post(app_client, "/admin/vehicles", "/admin/cards/bind", plate=vehicle.plate, card=CARD)
    assert bound.status_code == 200 and plate_for_tag(store.engine, CARD) == vehicle.plate
    assert f"已绑定到 {vehicle.plate}" in bound.text and CARD in bound.text.split('data-testid="vehicles"', 1)[1]
    again = post(app_client, "/admin/vehicles", "/admin/cards/bind", plate=vehicle.plate, card=CARD)
    assert again.status_code == 400 and "已绑定到" in again.text and "already bound" in again.text
    gone = post(app_client, "/admin/vehicles", "/admin/cards/withdraw", card=CARD)
    assert gone.status_code == 200 and "已注销" in gone.text and plate_for_tag(store.engine, CARD) is None
    assert verify(store)["ok"]


@pytest.mark.parametrize("action, form, zh, en", [
    ("/admin/suppliers/add", {"code": "hx-sand", "name": "again"}, "已存在", "exists already"),
    ("/admin/vehicles/add", {"plate": "沪C·1", "supplier": "nobody", "bed_length_mm": "7200",
                             "bed_width_mm": "2350"}, "没有供应商 nobody", "no supplier 'nobody'"),
    ("/admin/vehicles/add", {"plate": "沪C·2", "supplier": "hx-sand", "bed_length_mm": "7200",
                             "bed_width_mm": "2350", "card": "xyz"}, "卡号须为", "not a card number"),
    ("/admin/orders/add", {"supplier": "hx-sand", "material": "sand", "vehicle": "沪Z·0",
                           "expected_kg": "2000"}, "没有车辆 沪Z·0", "no vehicle '沪Z·0'"),
])
def test_a_refused_addition_says_why_in_both_languages_and_writes_nothing(
        app_client: TestClient, store: Store, action: str, form: dict, zh: str, en: str) -> None:
    log_in(app_client, "adm")
    before = last_change(store).id
    page = "/admin/" + action.split("/")[2]
    reply = post(app_client, page, action, **form)
    error = html.unescape(reply.text.split('data-testid="admin-error"', 1)[1].split("</p>", 1)[0])
    assert reply.status_code == 400 and error.find(zh) < error.find(en) and zh in error and en in error
    assert last_change(store).id == before


def test_a_reviewer_cannot_add(app_client: TestClient, store: Store) -> None:
    log_in(app_client, "rev")
    before = last_change(store).id
    csrf = csrf_of(app_client.get("/review").text)
    reply = app_client.post("/admin/suppliers/add", data={"csrf": csrf, "code": "x1", "name": "x", "reason": "test it"})
    assert reply.status_code == 403 and last_change(store).id == before


def test_the_users_page_refusals_read_in_chinese_too(app_client: TestClient) -> None:
    log_in(app_client, "adm")
    csrf = csrf_of(app_client.get("/admin/users").text)
    reply = app_client.post("/admin/users/adm/disable", data={"csrf": csrf})
    detail = reply.text.split('data-testid="error-detail"', 1)[1].split("</ul>", 1)[0]
    assert reply.status_code == 400 and detail.find("不能停用自己的账户") < detail.find("you cannot disable yourself")
