"""The plate-camera webhook: authenticated, confidence-gated, lane-checked."""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from intake.ident.webhook import plate_router

TOKEN = "t0ken-for-tests"


def client(seen: list[tuple[str, str]]) -> TestClient:
    app = FastAPI()

    def identify(lane: str, plate: str) -> bool:
        if lane != "1":
            return False
        seen.append((lane, plate))
        return True

    app.include_router(plate_router(TOKEN, 0.9, identify))
    return TestClient(app)


def post(c: TestClient, body: dict, token: str = TOKEN):
    return c.post("/api/ident/plate", json=body, headers={"Authorization": f"Bearer {token}"})


def test_a_confident_plate_identifies_the_truck_on_its_lane():
    seen: list = []
    r = post(client(seen), {"lane": "1", "plate": "沪a·s1001", "confidence": 0.97, "camera": "cam-3"})
    assert r.status_code == 202 and r.json() == {"status": "accepted"}
    assert seen == [("1", "沪A·S1001")]


def test_wrong_token_unknown_lane_low_confidence_and_bad_body_admit_nothing():
    seen: list = []
    c = client(seen)
    assert post(c, {"lane": "1", "plate": "沪A·S1001"}, token="nope").status_code == 401
    assert post(c, {"lane": "9", "plate": "沪A·S1001"}).status_code == 404
    r = post(c, {"lane": "1", "plate": "沪A·S1001", "confidence": 0.5})
    assert r.json() == {"status": "ignored", "reason": "low_confidence"}
    assert post(c, {"lane": "1"}).status_code == 422
    assert seen == []


def test_order_code_fallback_identifies_the_orders_vehicle(tmp_path):
    from hardware.sim.trucks import DEMO_MIX
    from intake.demo import masterdata
    from intake.ident.webhook import order_code_router
    from intake.store.db import open_engine
    from intake.store.records import Records
    from intake.store.tables import DeliveryOrder
    from sqlmodel import Session, select

    records = Records(open_engine(f"sqlite:///{tmp_path / 'gate.db'}", b"k" * 32))
    masterdata.seed(records.engine, list(DEMO_MIX[:1]))
    with Session(records.engine) as session:
        code = session.exec(select(DeliveryOrder.code)).one()
    seen: list[tuple[str, str]] = []
    app = FastAPI()
    app.include_router(order_code_router(TOKEN, records.plate_for_order_code,
                                         lambda lane, plate: seen.append((lane, plate)) or lane == "1"))
    c = TestClient(app)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert c.post("/api/ident/order-code", json={"lane": "1", "code": code.lower()}, headers=auth).status_code == 202
    assert seen == [("1", DEMO_MIX[0].plate)]
    assert c.post("/api/ident/order-code", json={"lane": "1", "code": "PO-NOPE"}, headers=auth).status_code == 404
    assert c.post("/api/ident/order-code", json={"lane": "1", "code": code}, headers={}).status_code == 401
