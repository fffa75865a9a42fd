"""The machine API (plate camera, order-code keypad, lab) checks its token before it reads a
body, caps the body, refuses NaN/Infinity as 422 without a traceback, and never echoes input."""
from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from intake.ident.webhook import order_code_router, plate_router
from intake.lab.api import lab_router
from intake.lane.status import StatusHub
from intake.store.db import open_engine
from intake.web.app import create_app
from intake.web.jsonbody import MAX_JSON_BYTES

TOKEN = "t0ken-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
NAN_BODIES = {
    "/api/ident/plate": '{"lane": "1", "plate": "AB123", "confidence": NaN}',
    "/api/ident/order-code": '{"lane": NaN, "code": "PO-1"}',
    "/api/lab/1/results": '{"property": "silt", "value": "1", "unit": "%", "lab": "L", "verdict": NaN}',
}


@pytest.fixture
def client(tmp_path) -> TestClient:
    engine = open_engine(f"sqlite:///{tmp_path / 'gate.db'}", b"k" * 32)
    app = create_app(StatusHub())
    app.include_router(plate_router(TOKEN, 0.5, lambda lane, plate: True))
    app.include_router(order_code_router(TOKEN, lambda code: None, lambda lane, plate: True))
    app.include_router(lab_router(engine, TOKEN))
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("path", sorted(NAN_BODIES))
def test_without_a_token_the_body_is_not_even_parsed(client: TestClient, path: str) -> None:
    for body in (NAN_BODIES[path], "{not json", "x" * 1000):
        reply = client.post(path, content=body, headers={"Content-Type": "application/json"})
        assert reply.status_code == 401, (path, body[:20], reply.status_code)


@pytest.mark.parametrize("path", sorted(NAN_BODIES))
def test_nan_and_infinity_are_a_422_without_a_traceback(client: TestClient, path: str,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for body in (NAN_BODIES[path], NAN_BODIES[path].replace("NaN", "Infinity"), NAN_BODIES[path].replace("NaN", "1e999")):
        reply = client.post(path, content=body, headers=AUTH)
        assert reply.status_code == 422, (path, body, reply.status_code)
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


def test_a_large_field_is_refused_without_echo(client: TestClient) -> None:
    plate = "Z" * 20_000
    reply = client.post("/api/ident/plate", json={"lane": "1", "plate": plate}, headers=AUTH)
    assert reply.status_code == 422 and "ZZZZ" not in reply.text and len(reply.content) < 1000


def test_a_body_over_the_limit_is_413(client: TestClient) -> None:
    big = '{"lane": "1", "plate": "' + "Z" * (5 * 1024 * 1024) + '"}'
    reply = client.post("/api/ident/plate", content=big, headers=AUTH)
    assert reply.status_code == 413 and len(reply.content) < 1000
    chunked = client.post("/api/ident/plate", content=iter([b"Z" * 4096] * (MAX_JSON_BYTES // 4096 + 2)),
                          headers=AUTH)
    assert chunked.status_code == 413
