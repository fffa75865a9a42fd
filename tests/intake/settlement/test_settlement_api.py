"""GET /api/settlement/... on a real uvicorn over a real SQLite file: bearer token, cursor paging
while new deliveries arrive between polls (no gap, no double), bad arguments named (400), and the
summary."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import sqlite3

from intake.lane.status import StatusHub
from intake.settlement.lines import decode_cursor, encode_cursor
from intake.store.records import Records
from intake.web.app import create_app
from intake.web.server import WebServer
from intake.web.settlement import settlement_router
from tests.intake.settlement.plant import DAY0, GRAVEL, SAND, Delivered, deliver

TOKEN = "erp-test-token-7f3a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def api(records: Records) -> Iterator[str]:
    """The gate's app as `intake run` builds it, with the settlement router of runtime.web_app."""
    app = create_app(StatusHub(), engine=records.engine)
    app.include_router(settlement_router(records.engine, TOKEN, "Plant 7", "Asia/Shanghai"))
    server = WebServer(app)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def poll(url: str, after: str | None, limit: int) -> dict:
    params = {"limit": str(limit), **({"after": after} if after is not None else {})}
    response = httpx.get(f"{url}/api/settlement/deliveries", params=params, headers=AUTH, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()


def more_trucks(records: Records, n: int, hour: int) -> list[str]:
    return [deliver(records, (SAND, GRAVEL)[i % 2].plate, 40_000 + i, 15_000, "pass", DAY0 + timedelta(days=9, hours=hour, minutes=i))
            for i in range(n)]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}])
def test_no_token_no_deliveries(api, plant, headers):
    for path in ("deliveries", "summary?from=2026-11-01&to=2026-11-30"):
        response = httpx.get(f"{api}/api/settlement/{path}", headers=headers, timeout=10)
        assert response.status_code == 401 and "net_kg" not in response.text


def test_polling_while_trucks_arrive_misses_and_doubles_nothing(api, records, plant: list[Delivered]):
    expected = [d.visit for d in plant]
    seen: list[str] = []
    cursor = None
    polls = 0
    while True:
        page = poll(api, cursor, 4)
        seen += [d["record_id"] for d in page["deliveries"]]
        cursor = page["next"]
        polls += 1
        if polls in (2, 4):   # deliveries arrive between polls: the ERP gets each once, in issue order
            expected += more_trucks(records, 3, polls)
        if not page["more"] and polls > 4:
            break
    assert seen == expected and len(set(seen)) == len(seen) == 24
    quiet = poll(api, cursor, 4)
    assert quiet == {"deliveries": [], "next": cursor, "more": False}   # nothing new: the same cursor back
    late = more_trucks(records, 2, 9)
    after = poll(api, cursor, 100)
    assert [d["record_id"] for d in after["deliveries"]] == late and after["more"] is False


def test_a_retried_poll_gets_the_same_page(api, plant):
    first = poll(api, None, 5)
    again = poll(api, None, 5)
    assert first == again
    tickets = [d["ticket"] for d in first["deliveries"]]
    assert tickets == [1, 2, 3, 4, 5] and decode_cursor(first["next"]) == {"t": 5}
    line = first["deliveries"][1]
    assert line["net_kg"] == 0 and line["received"] is False and line["second_kind"] == "exit"
    assert line["weighed_out_at"].endswith("+08:00") and line["site"] == "Plant 7" and line["verified"] is True


def test_a_forged_weight_is_flagged_on_the_page(api, db_path, plant):
    con = sqlite3.connect(db_path)
    con.execute("UPDATE weighing SET weight_kg = 1 WHERE visit_id = ? AND kind = 'out'", (plant[0].visit,))
    con.commit()
    con.close()
    lines = poll(api, None, 3)["deliveries"]
    assert (lines[0]["verified"], lines[0]["net_kg"], lines[0]["gross_kg"]) == (False, None, None)
    assert [x["verified"] for x in lines[1:]] == [True, True]


@pytest.mark.parametrize("params,message", [
    ({"after": "not-a-cursor"}, "after: not a cursor"),
    ({"after": encode_cursor({"t": 3})[:-2] + "!!"}, "after: not a cursor"),
    ({"limit": "0"}, "limit: a whole number from 1 to 1000"),
    ({"limit": "1001"}, "limit: a whole number from 1 to 1000"),
    ({"limit": "ten"}, "limit: a whole number from 1 to 1000"),
])
def test_bad_paging_arguments_are_named(api, plant, params, message):
    response = httpx.get(f"{api}/api/settlement/deliveries", params=params, headers=AUTH, timeout=10)
    assert response.status_code == 400 and message in response.text


def test_summary_on_the_api(api, plant):
    response = httpx.get(f"{api}/api/settlement/summary", params={"from": "2026-11-03", "to": "2026-11-03", "supplier": "hx-sand"},
                         headers=AUTH, timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["timezone"] == "Asia/Shanghai" and body["supplier"] == "hx-sand"
    day = [d for d in plant if d.out_at.date().isoformat() == "2026-11-03" and d.plate == SAND.plate]
    assert body["days"] == [{"day": "2026-11-03", "supplier": "hx-sand", "trucks": 3, "received_trucks": 3,
                             "received_kg": sum(d.net_kg for d in day), "rejected": 0, "held": 0, "unverified": 0,
                             "tonnes": sum(d.net_kg for d in day) / 1000}]
    assert (body["page_to"], body["next"]) == ("2026-11-03", None)
    for bad, message in (({"from": "2026-11-03"}, "from, to"), ({"from": "2026-11-04", "to": "2026-11-03"}, "is before"),
                         ({"from": "2026-11-03", "to": "2026-11-03", "supplier": " "}, "supplier: empty")):
        refused = httpx.get(f"{api}/api/settlement/summary", params=bad, headers=AUTH, timeout=10)
        assert refused.status_code == 400 and message in refused.text


def test_a_summary_of_any_period_comes_in_pages_of_31_days(api, records, plant):
    """A year: twelve pages, each at most 31 days, following `next`; together the same rows as
    the whole period folded at once, and every delivery counted once."""
    from zoneinfo import ZoneInfo

    from intake.settlement.lines import summarise, summary_json, window
    from intake.settlement.local import chain_check, deliveries

    pages, rows, since = [], [], "2025-12-20"
    while since is not None:
        response = httpx.get(f"{api}/api/settlement/summary", params={"from": since, "to": "2026-12-19"},
                             headers=AUTH, timeout=10)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append((since, body["page_to"]))
        rows += body["days"]
        since = body["next"]
    assert len(pages) == 12 and pages[0] == ("2025-12-20", "2026-01-19") and pages[-1][1] == "2026-12-19"
    zone = ZoneInfo("Asia/Shanghai")
    whole = window("2025-12-20", "2026-12-19", zone)
    assert rows == [summary_json(r) for r in summarise(deliveries(records.engine, whole, "Plant 7",
                                                                  chain_check(records.engine)), zone)]
    assert sum(r["trucks"] for r in rows) == len(plant)
