"""The lane overview, the attendant console and the kiosk's call button on a real uvicorn and a
real SQLite store: who may see and act, what an answer writes (a request row only; the gate's
lane machine carries it out), the refusals, the call's rate limit and the every-lane stream."""
from __future__ import annotations

import json

import httpx
import pytest
from sqlmodel import Session, select

from intake.auth.users import Users
from intake.lane.status import LaneStatus, LaneStep, StatusHub
from intake.store.attendant import AttendantEvent
from intake.web.server import WebServer
from tests.intake.web.staff_support import STAFF_PASSWORD, Store, csrf_of, login, visible_text


@pytest.fixture
def att(staff_server: WebServer, store: Store) -> httpx.Client:
    Users(store.engine).add("att", STAFF_PASSWORD, "attendant")
    return login(staff_server.url, "att")


def hold(server: WebServer, hub: StatusHub, visit: str) -> None:
    status = LaneStatus(lane="1", step=LaneStep.HELD, visit=visit, plate="沪A·H0001", verdict="review",
                        reasons=["low_confidence"], hold_left_s=90)
    server.call(hub.publish, status)


def rows(store: Store) -> list[AttendantEvent]:
    with Session(store.engine) as session:
        return list(session.exec(select(AttendantEvent).order_by(AttendantEvent.id)))  # type: ignore[arg-type]


def test_the_overview_shows_every_lane_with_its_last_decision_to_any_staff(staff_server: WebServer, att: httpx.Client,
                                                                          store: Store) -> None:
    rev = login(staff_server.url, "rev")
    for client in (rev, att):
        page = client.get("/lanes")
        assert page.status_code == 200
        text = visible_text(page.text)
        assert "车道总览" in text and "Lane overview" in text and 'data-testid="lane-card-1"' in page.text
        # The seeds' newest decision on lane 1, in the site's time zone (UTC here).
        assert "上一判定" in text and "—" not in page.text.split('data-testid="last-1"')[1][:300]


def test_only_attendants_and_admins_get_the_console(staff_server: WebServer, att: httpx.Client) -> None:
    assert login(staff_server.url, "rev").get("/console").status_code == 403
    assert login(staff_server.url, "adm").get("/console").status_code == 200
    page = att.get("/console")
    assert page.status_code == 200 and "远程值守台" in page.text
    assert 'data-testid="deck-1"' in page.text   # the deck snapshots' place on the lane's card
    assert att.get("/review").status_code == 403   # an attendant is no reviewer
    assert att.get("/console/log").status_code == 200
    assert login(staff_server.url, "rev").get("/console/log").status_code == 403


def test_an_attendant_logging_in_starts_on_the_console(staff_server: WebServer, store: Store) -> None:
    Users(store.engine).add("att2", STAFF_PASSWORD, "attendant")
    client = httpx.Client(base_url=staff_server.url, headers={"Sec-Fetch-Site": "same-origin"}, timeout=10)
    form = client.get("/login")
    reply = client.post("/login", data={"csrf": csrf_of(form.text), "username": "att2", "password": STAFF_PASSWORD,
                                        "next": "/review"})
    assert reply.status_code == 303 and reply.headers["location"] == "/console"


def test_an_answer_is_a_request_row_naming_the_attendant_the_truck_and_the_reason(
        staff_server: WebServer, hub: StatusHub, att: httpx.Client, store: Store) -> None:
    visit = store.items[0].visit
    hold(staff_server, hub, visit)
    csrf = csrf_of(att.get("/console").text)
    reply = att.post("/console/1/decide", data={"csrf": csrf, "visit": visit, "action": "release",
                                                "reason": "  photos show clean sand  "})
    assert reply.status_code == 303 and "sent=" in reply.headers["location"]
    [row] = rows(store)
    assert (row.kind, row.visit_id, row.action, row.by, row.reason) == (
        "request", visit, "release", "att", "photos show clean sand")
    assert "已提交" in att.get(reply.headers["location"]).text


def test_an_answer_without_reason_or_for_a_truck_not_held_is_refused_and_writes_nothing(
        staff_server: WebServer, hub: StatusHub, att: httpx.Client, store: Store) -> None:
    visit = store.items[0].visit
    csrf = csrf_of(att.get("/console").text)
    reply = att.post("/console/1/decide", data={"csrf": csrf, "visit": visit, "action": "release", "reason": "x"})
    assert "refused=not_held" in reply.headers["location"]
    hold(staff_server, hub, visit)
    for form, why in (({"reason": "   "}, "reason_required"), ({"action": "open_all"}, "bad_action"),
                      ({"visit": "another"}, "not_held")):
        data = {"csrf": csrf, "visit": visit, "action": "release", "reason": "ok", **form}
        reply = att.post("/console/1/decide", data=data)
        assert reply.status_code == 303 and f"refused={why}" in reply.headers["location"], why
    assert "必须填写理由" in att.get("/console?refused=reason_required").text
    assert rows(store) == []


def test_a_reviewer_or_a_stranger_cannot_answer(staff_server: WebServer, hub: StatusHub, store: Store) -> None:
    visit = store.items[0].visit
    hold(staff_server, hub, visit)
    rev = login(staff_server.url, "rev")
    csrf = csrf_of(rev.get("/review").text)
    data = {"csrf": csrf, "visit": visit, "action": "release", "reason": "trust me"}
    assert rev.post("/console/1/decide", data=data).status_code == 403
    anonymous = httpx.Client(base_url=staff_server.url, headers={"Sec-Fetch-Site": "same-origin"})
    assert anonymous.post("/console/1/decide", data=data).status_code == 403
    assert rows(store) == []


def test_the_kiosk_call_is_recorded_and_refused_cross_site(staff_server: WebServer, store: Store) -> None:
    # One call per lane per burst: tests/intake/store/test_attendant_log.py, on an injected clock.
    kiosk = httpx.Client(base_url=staff_server.url, headers={"Sec-Fetch-Site": "same-origin"})
    first = kiosk.post("/kiosk/1/call")
    assert first.status_code == 202 and first.json()["recorded"] is not None
    assert kiosk.post("/kiosk/9/call").status_code == 404
    assert httpx.post(f"{staff_server.url}/kiosk/1/call", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert [r.kind for r in rows(store)] == ["call"]


def test_the_latest_sample_frames_of_a_lane(att: httpx.Client, store: Store) -> None:
    frames = att.get("/lanes/1/frames.json").json()["frames"]
    assert frames and all(f["url"].startswith("/frames/") for f in frames)
    assert att.get(frames[0]["url"]).status_code == 200   # an attendant may open them
    assert att.get("/lanes/9/frames.json").status_code == 404


def test_one_stream_carries_every_lane(staff_server: WebServer, hub: StatusHub, att: httpx.Client) -> None:
    staff_server.call(hub.publish, LaneStatus(lane="2", step=LaneStep.WEIGHING_IN, weight_kg=31_000))
    seen: set[str] = set()
    with att.stream("GET", "/lanes/events") as stream:
        for line in stream.iter_lines():
            if line.startswith("data: {") and '"lane"' in line:
                seen.add(json.loads(line[6:])["lane"])
            if seen == {"1", "2"}:
                break
    assert seen == {"1", "2"}


def test_the_console_shows_the_lanes_latest_deck_snapshots(staff_server: WebServer, att: httpx.Client,
                                                          store: Store) -> None:
    from intake.evidence.tables import DeckSnapshot
    from intake.store.tables import Weighing

    with Session(store.engine) as session:
        weighing = session.exec(select(Weighing).order_by(Weighing.id.desc())).first()  # type: ignore[union-attr]
        assert weighing is not None and weighing.id is not None
        shots = [DeckSnapshot(weighing_id=weighing.id, visit_id=weighing.visit_id, lane="1", kind=weighing.kind,
                              view="front", path="evidence/front.jpg", sha256="0" * 64),
                 DeckSnapshot(weighing_id=weighing.id, visit_id=weighing.visit_id, lane="1", kind=weighing.kind,
                              view="cab", missing="timeout")]
        session.add_all(shots)
        session.commit()
        front = shots[0].id
    deck = att.get("/console").text.split('data-testid="deck-1"')[1].split("</div>")[0]
    assert f'src="/evidence/{front}"' in deck and "front" in deck
    assert "cab" not in deck   # a missing view has no picture to show
    assert att.get(f"/evidence/{front}").status_code != 403   # the attendant may open it
