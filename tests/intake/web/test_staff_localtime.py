"""Stored UTC times shown in the site's zone: one formatter (intake.web.localtime), used by the
queue, the inspection page and the CSV exports. The seeds' times are fixed (review_seed.SEED_NOW):
no test reads the wall clock."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, timezone

import httpx
import pytest
from zoneinfo import ZoneInfoNotFoundError

from intake.lane.status import StatusHub
from intake.web.app import create_app
from intake.web.localtime import SiteTime
from intake.web.server import WebServer
from intake.web.staff import StaffSettings
from tests.intake.web.review_seed import SEED_NOW, add_item, plates
from tests.intake.web.staff_support import Store, login, read_csv, visible_text

SHANGHAI = SiteTime("Asia/Shanghai")
# Late evening in UTC is the next morning in Shanghai: the date a person reads changes too.
LATE_UTC = datetime(2026, 3, 16, 18, 30, tzinfo=timezone.utc)


def test_a_utc_time_reads_in_the_site_zone() -> None:
    at = datetime(2026, 12, 4, 6, 3, 22, 512_000, tzinfo=timezone.utc)
    assert SHANGHAI.minute(at) == "2026-12-04 14:03"
    assert SHANGHAI.second(at) == "2026-12-04 14:03:22"
    assert SHANGHAI.iso(at) == "2026-12-04T14:03:22+08:00"
    assert SHANGHAI.titled(at) == "2026-12-04 14:03 (UTC+08:00)"
    assert SHANGHAI.offset(at) == "UTC+08:00"
    assert SHANGHAI.minute(at.replace(tzinfo=None)) == "2026-12-04 14:03"   # naive, as SQLite returns: UTC
    assert SHANGHAI.day(LATE_UTC) == "2026-03-17" and SiteTime("UTC").day(LATE_UTC) == "2026-03-16"
    assert SHANGHAI.day(date(2026, 3, 16)) == "2026-03-16"                    # a date is already local
    assert SHANGHAI.minute(None) == "—"
    assert SHANGHAI.today(LATE_UTC) == date(2026, 3, 17)                     # the plant's date, not UTC's


def test_a_zone_with_summer_time_shows_the_offset_of_that_moment() -> None:
    berlin = SiteTime("Europe/Berlin")
    assert berlin.iso(datetime(2026, 1, 10, 12, 0, tzinfo=timezone.utc)) == "2026-01-10T13:00:00+01:00"
    assert berlin.iso(datetime(2026, 7, 10, 12, 0, tzinfo=timezone.utc)) == "2026-07-10T14:00:00+02:00"
    assert SiteTime("America/New_York").offset(datetime(2026, 1, 10, tzinfo=timezone.utc)) == "UTC-05:00"


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(ZoneInfoNotFoundError):
        SiteTime("Asia/Atlantis")


@pytest.fixture
def shanghai_server(hub: StatusHub, store: Store) -> Iterator[WebServer]:
    sand, _ = plates()
    store.items.append(add_item(store.engine, store.data_dir, plate=sand, verdict="reject", label="muddy",
                                reasons=["muddy"], at=LATE_UTC))
    server = WebServer(create_app(hub, engine=store.engine, data_dir=store.data_dir, site_tz="Asia/Shanghai",
                                  staff=StaffSettings(today=SEED_NOW.date)))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def rev(shanghai_server: WebServer) -> Iterator[httpx.Client]:
    client = login(shanghai_server.url, "rev")
    yield client
    client.close()


def test_the_queue_shows_decision_times_in_the_site_zone(rev: httpx.Client, store: Store) -> None:
    html = rev.get("/review").text
    assert "UTC+08:00" in html.split('data-testid="col-decided"', 1)[1].split("</th>", 1)[0]
    # Seeded decisions: SEED_NOW (12:00 UTC) + 30 s; the late one at 18:30:30 UTC on 03-16.
    assert f'href="/review/{store.items[0].inspection}" title="2026-03-18 20:00 (UTC+08:00)" ' \
           f'data-testid="decided-at">2026-03-18 20:00</a>' in html
    assert f'href="/review/{store.items[-1].inspection}" title="2026-03-17 02:30 (UTC+08:00)" ' \
           f'data-testid="decided-at">2026-03-17 02:30</a>' in html
    assert "2026-03-18 12:00" not in html and "18:30" not in html    # no UTC time left on the page


def test_the_inspection_page_shows_its_times_in_the_site_zone(rev: httpx.Client, store: Store) -> None:
    text = visible_text(rev.get(f"/review/{store.items[-1].inspection}").text)
    assert "2026-03-17 02:30 (UTC+08:00)" in text       # the visit opened and the gate decided
    assert "2026-03-17 02:30:30" in text                # the audit trail, to the second
    assert "UTC " not in text and "18:30" not in text


def test_csv_exports_carry_local_times_with_their_offset_and_a_bom(rev: httpx.Client, store: Store) -> None:
    reply = rev.get("/export/visits.csv?since=2026-03-10&until=2026-03-18")
    assert reply.headers["content-type"] == "text/csv; charset=utf-8"
    visits = {r["visit"]: r for r in csv.DictReader(io.StringIO(read_csv(reply)))}
    assert visits[store.items[-1].visit]["opened_at"] == "2026-03-17T02:30:00+08:00"
    assert visits[store.items[0].visit]["opened_at"] == "2026-03-18T20:00:00+08:00"
    assert all(r["opened_at"].endswith("+08:00") for r in visits.values())
    inspections = list(csv.DictReader(io.StringIO(read_csv(rev.get("/export/inspections.csv?since=2026-03-10")))))
    assert inspections and all(r["recorded_at"].endswith("+08:00") for r in inspections)
    # A Chinese plate survives the round trip Excel makes (UTF-8 after the BOM).
    assert visits[store.items[0].visit]["plate"] == plates()[0] and not plates()[0].isascii()


def test_date_filters_select_the_sites_days(rev: httpx.Client, store: Store) -> None:
    """"2026-03-17" is the plant's 17th: the truck decided 02:30 plant time (18:30 UTC on the 16th)
    is under it, and the counts agree with the rows."""
    page = rev.get("/review?date_from=2026-03-17&date_to=2026-03-17")
    assert f'href="/review/{store.items[-1].inspection}?' in page.text      # the filter rides along
    rows = page.text.count('data-testid="queue-row"')
    assert f'data-testid="count-total">{rows}<' in page.text and rows >= 2
    assert f'href="/review/{store.items[-1].inspection}?' not in rev.get("/review?date_to=2026-03-16").text
    reply = rev.get("/export/visits.csv?since=2026-03-17&until=2026-03-17")
    visits = {r["visit"] for r in csv.DictReader(io.StringIO(read_csv(reply)))}
    assert store.items[-1].visit in visits and store.items[0].visit not in visits


def test_the_kept_counts_match_sql_on_the_sites_days(store: Store) -> None:
    from intake.store import reviews
    from intake.store.db import read_only
    from intake.web.counts import QueueCounter

    sand, _ = plates()
    add_item(store.engine, store.data_dir, plate=sand, verdict="reject", label="muddy", reasons=["muddy"], at=LATE_UTC)
    counter = QueueCounter(read_only(store.engine), "Asia/Shanghai")
    for first, last in ((date(2026, 3, 17), date(2026, 3, 17)), (date(2026, 3, 16), date(2026, 3, 16)),
                        (date(2026, 3, 13), date(2026, 3, 18)), (None, date(2026, 3, 16))):
        f = reviews.QueueFilter(date_from=first, date_to=last, status="all", zone="Asia/Shanghai")
        assert counter.counts(f) == reviews.queue_counts(store.engine, f), (first, last)
        assert counter.counts(f).total == len(reviews.queue_page(store.engine, f, limit=500))


def test_without_an_injected_today_the_pages_use_the_sites_date(hub: StatusHub, store: Store) -> None:
    app = create_app(hub, engine=store.engine, data_dir=store.data_dir, site_tz="Asia/Shanghai")
    today = app.state.staff.settings.today
    assert isinstance(today.__self__, SiteTime) and today.__self__.tz == "Asia/Shanghai"
    injected = create_app(hub, engine=store.engine, site_tz="Asia/Shanghai", staff=StaffSettings(today=SEED_NOW.date))
    assert injected.state.staff.settings.today() == SEED_NOW.date()
