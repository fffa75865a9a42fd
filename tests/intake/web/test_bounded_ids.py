"""Record IDs from the URL or a form are bounded ASCII integers: anything else is a 4xx, never a
500 (SQLite refuses integers above 2**63-1 and `int()` refuses the digits `str.isdigit` admits)."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from intake.lab.api import lab_router
from intake.lane.status import StatusHub
from intake.web.app import create_app
from intake.web.ids import MAX_ID, parse_id
from intake.web.server import WebServer
from tests.intake.web.staff_support import Store, csrf_of, login

HUGE = "99999999999999999999999"


@pytest.mark.parametrize("raw", [HUGE, str(MAX_ID + 1), "²", "١٢", "-1", "+1", " 1", "1e3", "", "0x10"])
def test_parse_id_refuses_what_is_not_a_bounded_ascii_integer(raw: str) -> None:
    assert parse_id(raw) is None


@pytest.mark.parametrize("raw,value", [("0", 0), ("42", 42), (str(MAX_ID), MAX_ID), ("007", 7)])
def test_parse_id_accepts_plain_digits(raw: str, value: int) -> None:
    assert parse_id(raw) == value


@pytest.mark.parametrize("path", [f"/review?before={HUGE}", "/review?before=%C2%B2", f"/review/next?after={HUGE}",
                                  "/review/next?after=%C2%B2", f"/review/{HUGE}", f"/frames/{HUGE}"])
def test_huge_or_odd_ids_in_staff_urls_are_refused_not_crashed(staff_server: WebServer, path: str) -> None:
    reply = login(staff_server.url, "rev").get(path, follow_redirects=False)
    assert reply.status_code in (400, 404, 422), (path, reply.status_code)
    assert HUGE not in reply.text


@pytest.mark.parametrize("seen", [HUGE, "²"])
def test_an_odd_seen_id_in_the_decide_form_is_refused(staff_server: WebServer, store: Store, seen: str) -> None:
    client = login(staff_server.url, "rev")
    item = store.items[0]
    page = client.get(f"/review/{item.inspection}")
    reply = client.post("/review/decide", data={"csrf": csrf_of(page.text), "visit": item.visit, "seen": seen,
                                                "verdict": "pass", "label": "clean_sand", "reason": "probe"},
                        headers={"Origin": staff_server.url})
    assert reply.status_code == 400


def test_a_huge_lab_code_is_refused_not_crashed(store: Store) -> None:
    app = create_app(StatusHub())   # as the gate serves it: the app's own error answers
    app.include_router(lab_router(store.engine, "lab-t0ken"))
    with TestClient(app, raise_server_exceptions=False) as client:
        reply = client.get(f"/api/lab/{HUGE}", headers={"Authorization": "Bearer lab-t0ken"})
    assert reply.status_code in (404, 422) and HUGE not in reply.text
