"""The review workflow beyond the queue of holds, on a real uvicorn and a real SQLite store:
PASS loads browsed and spot-checked (a chained record, never a decision), a disagreeing
spot-check flagging the load for someone else's review, search by plate, order, visit and blind
code, thumbnails in the queue, lab results recorded with `intake sample result` on the page,
a repeat weighing linked to its earlier visit both ways."""
from __future__ import annotations

import re
from datetime import timedelta

import cv2
import httpx
import numpy as np
import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from intake.cli.main import app as cli
from intake.store import reviews
from intake.store.db import read_only
from intake.store.reviews import QueueFilter, Review
from intake.store.spotchecks import SpotCheck
from intake.store.tables import Decision, DeliveryOrder, Sample, Weighing
from intake.web.counts import QueueCounter
from intake.web.server import WebServer
from tests.intake.web.review_seed import AUDIT_KEY, SEED_NOW, add_item, day, plates
from tests.intake.web.staff_support import Store, csrf_of, login, visible_text


def rows(html: str) -> list[str]:
    return [link.replace("&amp;", "&") for link in re.findall(r'<tr class="row[^"]*" data-href="([^"]+)"', html)]


@pytest.fixture
def rev(staff_server: WebServer) -> httpx.Client:
    return login(staff_server.url, "rev")


def post_form(client: httpx.Client, base: str, link: str, action: str, **fields: str) -> httpx.Response:
    page = client.get(link)
    form = page.text.split(f'action="{action}"', 1)
    assert len(form) == 2, f"no {action} form on {link}"
    seen = re.search(r'name="seen" value="(\d+)"', form[1]).group(1)  # type: ignore[union-attr]
    visit = re.search(r'name="visit" value="([^"]+)"', form[1]).group(1)  # type: ignore[union-attr]
    return client.post(action, data={"csrf": csrf_of(page.text), "visit": visit, "seen": seen, **fields},
                       headers={"Origin": base})


def decisions(store: Store) -> list[tuple[int | None, str | None]]:
    with Session(store.engine) as session:
        return [(d.id, d.verdict) for d in session.exec(select(Decision).order_by(Decision.id))]


def test_pass_loads_are_browsed_and_counted_apart(rev: httpx.Client, store: Store) -> None:
    passed = store.items[9]
    queue = rev.get("/review").text
    assert f"/review/{passed.inspection}" not in rows(queue)                 # the queue itself: holds only
    assert 'data-testid="count-pass">1<' in queue
    html = rev.get("/review?verdict=pass").text
    assert rows(html) == [f"/review/{passed.inspection}?verdict=pass"]
    assert 'data-testid="count-total">1<' in html


def test_an_agreeing_spot_check_is_a_record_and_writes_no_decision(
        rev: httpx.Client, staff_server: WebServer, store: Store) -> None:
    passed, before = store.items[9], decisions(store)
    link = f"/review/{passed.inspection}?verdict=pass"
    assert 'action="/review/decide"' not in rev.get(link).text                # a PASS is not overturned unseen
    reply = post_form(rev, staff_server.url, link, "/review/spot-check", agrees="yes", label="clean_gravel",
                      reason="", q="verdict=pass")
    assert reply.status_code == 303
    assert decisions(store) == before                                          # the decision stands, untouched
    with Session(store.engine) as session:
        check = session.exec(select(SpotCheck)).one()
    assert (check.visit_id, check.decision_id, check.agrees, check.reviewer) == (passed.visit, passed.decision,
                                                                                 True, "rev")
    page = rev.get(link).text
    assert 'data-testid="spot-check-record"' in page and 'action="/review/spot-check"' not in page
    assert rows(rev.get("/review?verdict=pass").text) == []                    # nothing left to spot-check
    assert rows(rev.get("/review?verdict=pass&status=reviewed").text) == [
        f"/review/{passed.inspection}?verdict=pass&status=reviewed"]


def test_a_disagreeing_spot_check_flags_the_load_for_another_persons_review(
        rev: httpx.Client, staff_server: WebServer, store: Store) -> None:
    passed = store.items[9]
    link = f"/review/{passed.inspection}?verdict=pass"
    bare = post_form(rev, staff_server.url, link, "/review/spot-check", agrees="no", label="muddy", reason="")
    assert bare.status_code == 400 and "请填写" in bare.text                    # disagreeing needs a reason
    early = rev.post("/review/decide", data={"csrf": csrf_of(rev.get(link).text), "visit": passed.visit,
                                             "seen": str(passed.decision), "verdict": "reject", "label": "muddy",
                                             "reason": "looks muddy"}, headers={"Origin": staff_server.url})
    assert early.status_code == 400 and "合格车辆须先抽检" in early.text        # no review before a spot-check
    assert post_form(rev, staff_server.url, link, "/review/spot-check", agrees="no", label="muddy",
                     reason="fines on the tray").status_code == 303
    flagged = rev.get("/review?verdict=pass&status=flagged").text
    assert rows(flagged) == [f"/review/{passed.inspection}?verdict=pass&status=flagged"]
    assert 'data-testid="count-flagged">1<' in rev.get("/review").text
    page = rev.get(link).text
    assert 'data-testid="flagged"' in page and 'action="/review/decide"' not in page   # not the flagger's to settle
    forced = rev.post("/review/decide", data={"csrf": csrf_of(page), "visit": passed.visit,
                                              "seen": str(passed.decision), "verdict": "reject", "label": "muddy",
                                              "reason": "fines on the tray"}, headers={"Origin": staff_server.url})
    assert forced.status_code == 400 and "须由他人复核" in forced.text
    adm = login(staff_server.url, "adm")
    assert post_form(adm, staff_server.url, link, "/review/decide", verdict="reject", label="muddy",
                     reason="confirmed: muddy").status_code == 303
    with Session(store.engine) as session:
        review = session.exec(select(Review)).one()
    assert (review.old_verdict, review.new_verdict, review.reviewer) == ("pass", "reject", "adm")
    assert rows(rev.get("/review?verdict=pass&status=flagged").text) == []     # settled: no longer flagged


def test_kept_counts_match_sql_with_pass_loads_and_spot_checks(
        rev: httpx.Client, staff_server: WebServer, store: Store) -> None:
    counter = QueueCounter(read_only(store.engine))
    counter.counts(QueueFilter())                                              # counted before the checks
    sand, gravel = plates()
    other = add_item(store.engine, store.data_dir, plate=sand, verdict="pass", label="clean_sand", reasons=[],
                     at=day(3))
    post_form(rev, staff_server.url, f"/review/{store.items[9].inspection}", "/review/spot-check", agrees="no",
              label="muddy", reason="fines on the tray")
    post_form(rev, staff_server.url, f"/review/{other.inspection}", "/review/spot-check", agrees="yes",
              label="clean_sand", reason="")
    reviews.record_review(store.engine, reviews.ReviewRequest(store.items[0].visit, store.items[0].decision, 1, "rev",
                                                              "pass", "clean_sand", "photo glare"))
    fresh = QueueCounter(read_only(store.engine))                             # built after them
    for status in ("pending", "reviewed", "flagged", "all"):
        for verdict in (None, "pass", "reject"):
            for supplier in (None, "hx-sand", "ds-stone"):
                f = QueueFilter(status=status, verdict=verdict, supplier=supplier)  # type: ignore[arg-type]
                assert counter.counts(f) == reviews.queue_counts(store.engine, f) == fresh.counts(f), f
                listed = len(reviews.queue_page(store.engine, f, limit=500))
                counts = counter.counts(f)
                assert (counts.by_verdict[verdict] if verdict == "reject" else counts.total) == listed, f
    assert counter.facets(QueueFilter(verdict="pass", status="all"))["supplier"] == {"hx-sand": 1, "ds-stone": 1}


def sand_order_code(store: Store) -> str:
    from intake.store.tables import Vehicle

    with Session(store.engine) as session:
        vehicle = session.exec(select(Vehicle).where(Vehicle.plate == plates()[0])).one()
        return session.exec(select(DeliveryOrder).where(DeliveryOrder.vehicle_id == vehicle.id)).first().code  # type: ignore[union-attr]


def test_search_finds_plate_order_visit_and_blind_code(rev: httpx.Client, store: Store) -> None:
    sand, gravel = plates()
    with Session(store.engine) as session:
        code = session.exec(select(Sample.blind_code)).first()

    def found(term: str) -> set[str]:
        return {link.split("?")[0] for link in rows(rev.get("/review", params={"search": term, "status": "all"}).text)}

    all_sand = {f"/review/{i.inspection}" for i in store.items[:6]}
    all_gravel = {f"/review/{i.inspection}" for i in store.items[6:10]}   # the PASS too: a search finds loads
    assert found(sand) == all_sand and found(gravel) == all_gravel
    assert found(sand.replace("·", "").lower()) == all_sand                   # the dot left out, lower case
    assert found(sand[:3]) == all_sand | all_gravel                           # a prefix: 沪A·
    assert found(sand_order_code(store)) == all_sand
    assert found(store.items[3].visit[:8]) == {f"/review/{store.items[3].inspection}"}
    assert found(str(code)) == all_sand | all_gravel                          # the seed gives every sample one code
    assert found("no-such-thing") == set()
    # a search keeps its filters and its term through the item links
    html = rev.get(f"/review?search={store.items[3].visit[:8]}&verdict=reject").text
    assert rows(html) == [f"/review/{store.items[3].inspection}?verdict=reject&search={store.items[3].visit[:8]}"]


def test_search_reads_indexes_not_the_history(store: Store) -> None:
    """Every table the search reaches is read by an index (SQLite's plan says SEARCH, never SCAN)."""
    from sqlalchemy import text

    from intake.store.search import matching_visits, terms

    sand, _ = plates()
    with store.engine.connect() as conn:
        for term in (sand, sand_order_code(store), store.items[0].visit[:8], "12345678"):
            sql = str(select(Decision.id).where(Decision.visit_id.in_(matching_visits(terms(term))))  # type: ignore[union-attr]
                      .compile(store.engine, compile_kwargs={"literal_binds": True}))
            plan = " | ".join(r[-1] for r in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
            assert "SCAN" not in plan.replace("SCAN CONSTANT", ""), (term, plan)


def test_the_queue_shows_thumbnails_and_names_removed_photos(rev: httpx.Client, store: Store) -> None:
    from intake.config import RetentionConfig
    from intake.store.retention import prune_frames

    html = rev.get("/review").text
    thumbs = re.findall(r'<img src="(/frames/\d+/thumb)"', html)
    assert len(thumbs) == 9
    reply = rev.get(thumbs[0])
    assert reply.status_code == 200 and reply.headers["content-type"] == "image/jpeg"
    image = cv2.imdecode(np.frombuffer(reply.content, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and max(image.shape[:2]) <= 128
    prune_frames(store.engine, store.data_dir, RetentionConfig(reject_days=3, min_free_gb=0),
                 now=SEED_NOW + timedelta(hours=1))
    html = rev.get("/review").text
    assert html.count('data-testid="thumb-removed"') == 3 and len(re.findall(r'/frames/\d+/thumb', html)) == 6
    old = store.items[5]
    assert rev.get(f"/frames/{old.frames[0]}/thumb").status_code == 404        # no copy outlives the photo


def test_a_lab_result_recorded_with_the_cli_shows_on_the_inspection(
        rev: httpx.Client, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    item = store.items[0]
    assert "尚无化验结果" in rev.get(f"/review/{item.inspection}").text
    monkeypatch.setenv("TEST_AUDIT_KEY", AUDIT_KEY.decode())
    done = CliRunner().invoke(cli, ["sample", "result", "12345678", "--property", "silt_pct", "--value", "4.2",
                                    "--unit", "%", "--lab", "central lab", "--verdict", "fail",
                                    "--db", str(store.engine.url), "--key", "env:TEST_AUDIT_KEY"])
    assert done.exit_code == 0, done.output
    html = rev.get(f"/review/{item.inspection}").text
    lab = visible_text(html.split('data-testid="lab-results"', 1)[1].split("</dd>", 1)[0])
    assert "含泥量 % Silt content % 4.2 % · central lab · 化验不合格 lab fail" in lab
    assert 'title="silt_pct"' in html                                          # the lab's code beside the words


def test_a_repeat_weighing_links_its_earlier_visit_both_ways(rev: httpx.Client, store: Store) -> None:
    sand, _ = plates()
    first = add_item(store.engine, store.data_dir, plate=sand, verdict="pass", label="clean_sand", reasons=[],
                     at=day(0).replace(hour=6))
    again = add_item(store.engine, store.data_dir, plate=sand, verdict="review", label=None,
                     reasons=["repeat_weighing"], at=day(0).replace(hour=6, minute=20), sampled=False)
    with Session(store.engine) as session:
        session.add(Weighing(visit_id=first.visit, kind="out", weight_kg=14_200, scale_port="pty",
                             recorded_at=day(0).replace(hour=6, minute=10)))
        session.commit()
    html = rev.get(f"/review/visit/{again.visit}").text
    assert re.search(rf'data-testid="repeat-earlier">.*?href="/review/visit/{first.visit}"', html, re.S)
    back = rev.get(f"/review/visit/{first.visit}").text
    assert re.search(rf'data-testid="repeat-later">.*?href="/review/visit/{again.visit}"', back, re.S)
    assert 'data-testid="repeat' not in rev.get(f"/review/{store.items[0].inspection}").text


def test_suppliers_count_anti_cheat_holds_apart_from_quality(rev: httpx.Client, store: Store) -> None:
    sand, gravel = plates()
    add_item(store.engine, store.data_dir, plate=gravel, verdict="review", label=None, reasons=["repeat_weighing"],
             at=day(1), sampled=False)
    tare = add_item(store.engine, store.data_dir, plate=gravel, verdict="pass", label="clean_gravel", reasons=[],
                    at=day(2))
    with Session(store.engine) as session:    # held at the weigh-out: a second gate decision, one truck
        session.add(Decision(visit_id=tare.visit, verdict="review", reasons=["tare_mismatch"],
                             decided_at=day(2) + timedelta(minutes=5)))
        session.commit()
    html = rev.get("/suppliers").text
    row = next(r for r in re.findall(r'<tr data-testid="totals-row">(.*?)</tr>', html) if "ds-stone" in r)
    # trucks 6, sampled 5, rejected 0, held for quality 3 (as before), 0 %, anti-cheat 2
    assert re.findall(r"<td[^>]*>([^<]*)</td>", row)[1:] == ["6", "5", "0", "3", "0.0%", "2"]


def test_a_spot_checks_label_is_a_training_label_until_a_review_settles_it(store: Store) -> None:
    from intake.learning.export import labelled_loads
    from intake.store.spotchecks import SpotCheckRequest, record_spot_check

    passed = store.items[9]
    record_spot_check(store.engine, SpotCheckRequest(passed.visit, passed.decision, 1, "rev", False, "muddy",
                                                     "fines on the tray"))
    labels, _ = labelled_loads(store.engine, {}, lambda visit: "gravel")
    assert (labels[passed.visit].label, labels[passed.visit].source) == ("muddy", "spot_check")
    reviews.record_review(store.engine, reviews.ReviewRequest(passed.visit, passed.decision, 2, "adm", "pass",
                                                              "clean_gravel", "clean after all"))
    labels, _ = labelled_loads(store.engine, {}, lambda visit: "gravel")
    assert (labels[passed.visit].label, labels[passed.visit].source) == ("clean_gravel", "review")
