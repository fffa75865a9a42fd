"""The review pages on a real uvicorn and a real SQLite store: queue filters, counts and keyset
pages, the inspection page, the append-only review write, the next item, suppliers and CSV."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session, select

from tests.intake.web.staff_support import Store, csrf_of, login, read_csv, visible_text
from intake.store import reviews
from intake.store.reviews import QueueFilter, Review
from intake.store.tables import Decision
from intake.web.server import WebServer
from tests.intake.web.review_seed import SEED_NOW, add_item, day, plates, supplier_codes


def rows(html: str) -> list[str]:
    """The item links of the queue table, in order."""
    return re.findall(r'<tr class="row[^"]*" data-href="([^"]+)"', html)


def count(html: str, name: str) -> int:
    return int(re.search(rf'data-testid="count-{name}">(\d+)<', html).group(1))  # type: ignore[union-attr]


@pytest.fixture
def rev(staff_server: WebServer) -> httpx.Client:
    return login(staff_server.url, "rev")


def test_queue_lists_rejects_and_reviews_newest_first_with_counts(rev: httpx.Client, store: Store) -> None:
    html = rev.get("/review").text
    links = rows(html)
    assert len(links) == 9                                   # 6 reject + 3 review; no pass, no unsampled
    assert (count(html, "total"), count(html, "reject"), count(html, "review")) == (9, 6, 3)
    # newest first: today's reject (12:00) then today's review (09:00) then yesterday's ...
    expected = [store.items[0], store.items[6], store.items[1], store.items[7], store.items[2], store.items[8]]
    assert links[:6] == [f"/review/{i.inspection}" for i in expected]


@pytest.mark.parametrize("query, n", [
    ("verdict=review", 3), ("verdict=reject", 6), ("label=muddy", 6), ("label=clean_gravel", 3),
    ("supplier=hx-sand", 6), ("supplier=ds-stone", 3), ("material=gravel", 3), ("material=sand", 6),
    ("supplier=ds-stone&material=sand", 0), ("label=foreign", 0),
])
def test_queue_filters(rev: httpx.Client, query: str, n: int) -> None:
    html = rev.get(f"/review?{query}").text
    assert len(rows(html)) == n and count(html, "total") == (n if "verdict" not in query else 9)
    for link in rows(html):
        assert link.endswith("?" + query) or "&" in link     # links carry the filter to the item


def test_queue_date_filter_is_inclusive_by_day(rev: httpx.Client) -> None:
    today, yesterday = day(0).date(), day(1).date()
    assert len(rows(rev.get(f"/review?date_from={yesterday}&date_to={yesterday}").text)) == 2
    assert len(rows(rev.get(f"/review?date_from={yesterday}").text)) == 4
    assert len(rows(rev.get(f"/review?date_to={today - timedelta(days=3)}").text)) == 3


def test_bad_filter_values_are_400(rev: httpx.Client) -> None:
    for query in ("date_from=yesterday", "verdict=maybe", "label=rocks", "status=x", "before=1;drop"):
        assert rev.get(f"/review?{query}").status_code == 400, query


def test_keyset_pages_cover_the_queue_once(store: Store) -> None:
    sand, _ = plates()
    for i in range(60):   # more than a page, some sharing one timestamp
        add_item(store.engine, store.data_dir, plate=sand, verdict="reject", label="foreign",
                 reasons=["foreign_matter"], at=day(10) - timedelta(minutes=i // 3), frames=0)
    seen: list[int] = []
    before = None
    while True:
        page = reviews.queue_page(store.engine, QueueFilter(), before=before, limit=7)
        if not page:
            break
        seen += [r.decision_id for r in page]
        before = page[-1].decision_id
    assert len(seen) == 69 and len(set(seen)) == 69
    keys = [(r.decided_at, r.decision_id) for r in reviews.queue_page(store.engine, QueueFilter(), limit=100)]
    assert keys == sorted(keys, reverse=True)


def test_queue_older_link_pages_through_the_web(rev: httpx.Client, store: Store) -> None:
    sand, _ = plates()
    for i in range(55):
        add_item(store.engine, store.data_dir, plate=sand, verdict="reject", label="foreign",
                 reasons=["foreign_matter"], at=day(20) - timedelta(minutes=i), frames=0)
    first = rev.get("/review")
    older = re.search(r'href="([^"]+)" data-testid="older"', first.text)
    assert older and len(rows(first.text)) == 50
    second = rev.get(older.group(1).replace("&amp;", "&"))
    assert len(rows(second.text)) == 14 and not set(rows(second.text)) & set(rows(first.text))


def test_inspection_page_shows_everything_the_reviewer_needs(rev: httpx.Client, store: Store) -> None:
    item = store.items[0]
    html = rev.get(f"/review/{item.inspection}").text
    for fid in item.frames:
        assert f'src="/frames/{fid}"' in html
    assert re.search(r'data-label="muddy" data-value="0.9000"', html)          # probability bar chart
    assert html.count('data-testid="bed-point"') == 3                          # sampling points on the bed
    assert 'data-testid="gross">32480 kg' in html
    assert "沪A·S1001" in html or "·S" in html
    rules = visible_text(html.split('data-testid="rules">', 1)[1].split("</ul>", 1)[0])
    assert rules == "含泥量超标 Too much mud or clay muddy"                     # words first, the code beside
    assert "sharpness 210" in html and "quality ok" in html
    assert 'name="verdict" value="pass"' in html and 'name="label" value="muddy" required data-key="3" checked' in html


def test_unknown_items_are_404(rev: httpx.Client) -> None:
    assert rev.get("/review/999999").status_code == 404
    assert rev.get("/review/visit/not-a-visit").status_code == 404


def decide(client: httpx.Client, base: str, link: str, verdict: str, label: str, reason: str) -> httpx.Response:
    page = client.get(link)
    seen = re.search(r'name="seen" value="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    visit = re.search(r'name="visit" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    q = re.search(r'name="q" value="([^"]*)"', page.text).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    return client.post("/review/decide", data={"csrf": csrf_of(page.text), "visit": visit, "seen": seen, "q": q,
                                               "verdict": verdict, "label": label, "reason": reason},
                       headers={"Origin": base})


def test_overturn_appends_a_review_and_a_decision_and_opens_the_next_item(
        rev: httpx.Client, staff_server: WebServer, store: Store) -> None:
    item = store.items[0]
    with Session(store.engine) as session:
        before = [(d.id, d.verdict, list(d.reasons)) for d in session.exec(select(Decision))]
    reply = decide(rev, staff_server.url, f"/review/{item.inspection}", "pass", "clean_sand", "clean, photo glare")
    assert reply.status_code == 303
    nxt = rev.get(reply.headers["location"])
    assert nxt.status_code == 303 and nxt.headers["location"] == f"/review/{store.items[6].inspection}"
    with Session(store.engine) as session:
        after = session.exec(select(Decision).order_by(Decision.id)).all()
        review = session.exec(select(Review)).one()
    assert [(d.id, d.verdict, list(d.reasons)) for d in after[:len(before)]] == before   # nothing edited
    new = after[-1]
    assert (new.visit_id, new.verdict, new.reasons, new.label) == (item.visit, "pass", ["reviewed:clean, photo glare"],
                                                                    "clean_sand")
    assert (review.old_verdict, review.new_verdict, review.label, review.reviewer, review.decision_id,
            review.previous_decision_id, review.inspection_id) == ("reject", "pass", "clean_sand", "rev", new.id,
                                                                   item.decision, item.inspection)
    page = rev.get(f"/review/{item.inspection}").text
    assert re.search(r'data-testid="current-verdict"><span class="i18n" title="pass"><span lang="zh-CN">合格</span>', page)
    assert re.search(r'data-testid="gate-verdict"><span class="i18n" title="reject"><span lang="zh-CN">不合格</span>', page)
    assert "不合格 REJECT → 合格 PASS , 标签 Label 洁净砂 Clean sand" in visible_text(page)
    queue = rev.get("/review").text
    assert f"/review/{item.inspection}" not in rows(queue) and count(queue, "total") == 8
    assert f"/review/{item.inspection}?status=reviewed" in rows(rev.get("/review?status=reviewed").text)


def test_next_item_follows_the_filter_and_ends_with_a_notice(
        rev: httpx.Client, staff_server: WebServer, store: Store) -> None:
    link = f"/review/{store.items[6].inspection}?verdict=review"
    for expected in (store.items[7], store.items[8]):
        reply = decide(rev, staff_server.url, link, "reject", "muddy", "fines visible on the tray")
        link = rev.get(reply.headers["location"]).headers["location"]
        assert link == f"/review/{expected.inspection}?verdict=review"
    reply = decide(rev, staff_server.url, link, "reject", "muddy", "fines visible on the tray")
    end = rev.get(reply.headers["location"])
    assert end.headers["location"] == "/review?verdict=review&done=1"
    assert 'data-testid="queue-done"' in rev.get(end.headers["location"]).text


def test_a_stale_or_invalid_review_is_refused_and_writes_nothing(
        rev: httpx.Client, staff_server: WebServer, store: Store) -> None:
    link = f"/review/{store.items[1].inspection}"
    stale_page = rev.get(link)
    assert decide(rev, staff_server.url, link, "pass", "clean_sand", "first reviewer").status_code == 303
    seen = re.search(r'name="seen" value="(\d+)"', stale_page.text).group(1)  # type: ignore[union-attr]
    late = rev.post("/review/decide", data={"csrf": csrf_of(stale_page.text), "visit": store.items[1].visit,
                                            "seen": seen, "verdict": "reject", "label": "muddy",
                                            "reason": "second reviewer"}, headers={"Origin": staff_server.url})
    assert late.status_code == 409 and 'data-testid="review-error"' in late.text
    assert "打开后此记录已有变化" in late.text or "已有其他人先复核了此记录" in late.text    # Chinese first
    for verdict, label, reason in (("review", "muddy", "undecided"), ("pass", "gold", "shiny"), ("pass", "muddy", "")):
        bad = decide(rev, staff_server.url, f"/review/{store.items[2].inspection}", verdict, label, reason)
        assert bad.status_code == 400
    with Session(store.engine) as session:
        assert len(session.exec(select(Review)).all()) == 1


def test_supplier_page_draws_reject_rates(rev: httpx.Client, store: Store) -> None:
    html = rev.get("/suppliers").text
    assert '<svg class="chart lines"' in html
    names = supplier_codes(store.engine)
    sand, gravel = f"{names['hx-sand']} / 砂 Sand 0/4", f"{names['ds-stone']} / 碎石 Crushed stone 5/25"
    assert f'data-series="{sand}"' in html and f'data-series="{gravel}"' in html    # names, not codes
    # trucks, sampled, rejected, held for quality, reject rate, anti-cheat holds:
    # hx-sand: 7 trucks (one not sampled), 6 sampled, 6 rejected; ds-stone: 4 sampled (3 review + 1 pass)
    assert f'<td title="hx-sand / sand">{sand}</td><td>7</td><td>6</td><td>6</td><td>0</td><td>100.0%</td><td data-testid="anti-cheat">0</td>' in html
    assert f'<td title="ds-stone / gravel">{gravel}</td><td>4</td><td>4</td><td>0</td><td>3</td><td>0.0%</td><td data-testid="anti-cheat">0</td>' in html
    assert rev.get("/suppliers?since=2026-13-01").status_code == 400


def test_csv_exports(rev: httpx.Client, staff_server: WebServer, store: Store) -> None:
    decide(rev, staff_server.url, f"/review/{store.items[0].inspection}", "pass", "clean_sand", "=cmd|' /C calc'!A0")
    visits = list(csv.DictReader(io.StringIO(read_csv(rev.get("/export/visits.csv")))))
    assert len(visits) == 11
    reviewed = next(v for v in visits if v["visit"] == store.items[0].visit)
    assert (reviewed["verdict"], reviewed["label"], reviewed["reviewed"]) == ("pass", "clean_sand", "yes")
    assert reviewed["reasons"] == "reviewed:=cmd|' /C calc'!A0"      # text inside a cell, not a formula
    rejected = [v for v in visits if v["verdict"] == "reject"]
    assert rejected and all((v["received"], v["net_kg"], v["tare_kg"]) == ("no", "0", "") for v in rejected)
    export = rev.get("/export/inspections.csv")
    assert export.headers["content-disposition"].startswith("attachment;")
    insp = list(csv.DictReader(io.StringIO(read_csv(export))))
    assert len(insp) == 10
    row = next(r for r in insp if r["inspection"] == str(store.items[0].inspection))
    assert (row["review_verdict"], row["review_label"], row["reviewer"], row["frames"]) == ("pass", "clean_sand",
                                                                                         "rev", "2")


def test_csv_cells_that_would_run_as_formulas_are_defused() -> None:
    text = "".join(reviews._csv_lines(["a", "b"], iter([["=1+1", "@SUM(A1)"], ["-2", "ok"]])))
    assert list(csv.reader(io.StringIO(text))) == [["a", "b"], ["'=1+1", "'@SUM(A1)"], ["'-2", "ok"]]


def test_measurements_have_their_own_block(rev: httpx.Client, store: Store) -> None:
    # The block is the measurement module's (templates/_measurements.html); here only its place.
    html = rev.get(f"/review/{store.items[0].inspection}").text
    section = html.split('data-testid="measurements"', 1)[1].split("</section>", 1)[0]
    assert 'data-testid="particles"' in section


def test_frame_quality_figures_show_on_each_frame(rev: httpx.Client, store: Store) -> None:
    html = rev.get(f"/review/{store.items[0].inspection}").text
    assert visible_text(html).count("图像质量合格 quality ok · sharpness 210 · mean luma 120") == 2
    assert "2 of 2 frames passed the quality gate" in html


def test_photos_removed_by_retention_are_named_not_shown_as_broken_images(rev: httpx.Client, store: Store) -> None:
    from intake.config import RetentionConfig
    from intake.store.retention import prune_frames

    # Rejects decided 0-5 days before noon of the seeds' today; an hour later, keeping them
    # 3 days removes the three oldest loads' photos (whatever the hour the suite runs at).
    [total] = prune_frames(store.engine, store.data_dir, RetentionConfig(reject_days=3, min_free_gb=0),
                           now=SEED_NOW + timedelta(hours=1))
    assert (total.rule, total.loads, total.files) == ("reject older than 3 days", 3, 6)
    old, young = store.items[5], store.items[0]
    html = rev.get(f"/review/{old.inspection}").text
    assert 'data-testid="frames-removed"' in html and "reject older than 3 days" in html
    assert 'data-testid="frame"' not in html and "2 of 2 frames passed the quality gate" in html
    assert rev.get(f"/frames/{old.frames[0]}").status_code == 404
    html = rev.get(f"/review/{young.inspection}").text
    assert 'data-testid="frames-removed"' not in html and html.count('data-testid="frame"') == 2
    assert rev.get(f"/frames/{young.frames[0]}").status_code == 200
