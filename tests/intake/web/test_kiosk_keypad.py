"""The keypad endpoint without a browser: a lane with too many wrong codes waits (429, no
database lookup), a mistyped code never reaches the database, and a gate that wires no
keypad shows none."""
from __future__ import annotations

from fastapi.testclient import TestClient

from intake.ident.guesses import GuessLimit
from intake.ident.ordercodes import check_char
from intake.lane.status import LaneStatus, StatusHub
from intake.web.app import create_app
from intake.web.kiosk_keypad import OrderCodeHooks, keypad_router


def _code(body: str) -> str:
    return f"PO-{body[:5]}-{body[5:]}{check_char(body)}"


def test_wrong_codes_make_the_lane_wait_and_typos_never_ask_the_database() -> None:
    asked: list[str] = []
    now = [0.0]

    def lookup(code: str) -> str | None:
        asked.append(code)
        return None

    app = create_app(StatusHub())
    app.include_router(keypad_router(OrderCodeHooks(lookup, lambda lane, plate: True),
                                     guesses=GuessLimit(per_lane=2, clock=lambda: now[0])))
    with TestClient(app) as client:
        typo = _code("ABCDEFGHJK")[:-1] + ("0" if _code("ABCDEFGHJK")[-1] != "0" else "1")
        assert client.post("/kiosk/1/order-code", json={"code": typo}).status_code == 422
        assert asked == []
        for body in ("ABCDEFGHJK", "BCDEFGHJKM"):
            assert client.post("/kiosk/1/order-code", json={"code": _code(body)}).status_code == 404
        held = client.post("/kiosk/1/order-code", json={"code": _code("CDEFGHJKMN")})
        assert held.status_code == 429 and int(held.headers["retry-after"]) > 0 and len(asked) == 2
        assert held.json() == {"detail": "code_wait"}      # JSON for the page's script
        now[0] = 61.0
        assert client.post("/kiosk/1/order-code", json={"code": _code("CDEFGHJKMN")}).status_code == 404


def test_without_the_hooks_the_kiosk_has_no_keypad() -> None:
    hub = StatusHub()
    hub.publish(LaneStatus(lane="1"))
    with TestClient(create_app(hub)) as client:
        assert 'data-testid="keypad"' not in client.get("/kiosk/1").text
        assert client.post("/kiosk/1/order-code", json={"code": _code("ABCDEFGHJK")}).status_code in (404, 405)
