"""Exact queue counts: the web's incremental counter against one exact SQL count, under every
filter combination, before and after new decisions and reviews are recorded."""
from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import timedelta

from intake.store import reviews
from intake.store.db import read_only
from intake.store.reviews import QueueFilter, ReviewRequest
from intake.web.counts import QueueCounter
from intake.web.server import WebServer
from tests.intake.web.review_seed import add_item, day, plates
from tests.intake.web.staff_support import Store, login


def every_filter() -> list[QueueFilter]:
    days = [(None, None), (day(2).date(), day(0).date()), (day(1).date(), day(1).date()), (day(30).date(), None)]
    out = []
    for status, supplier, material, label, (start, end) in itertools.product(
            ("pending", "reviewed", "all"), (None, "hx-sand", "ds-stone"), (None, "sand", "gravel"),
            (None, "muddy", "clean_gravel"), days):
        out.append(QueueFilter(date_from=start, date_to=end, supplier=supplier, material=material, label=label,
                               status=status))  # type: ignore[arg-type]
    return out


def assert_exact(counter: QueueCounter, store: Store) -> None:
    for f in every_filter():
        assert counter.counts(f) == reviews.queue_counts(store.engine, f), f


def review(store: Store, visit: str, verdict: str, label: str) -> None:
    detail = reviews.visit_detail(store.engine, visit)
    assert detail is not None and detail.current.id is not None
    reviews.record_review(store.engine, ReviewRequest(visit, detail.current.id, 1, "rev", verdict, label,
                                                      "checked the tray"))


def test_counts_match_the_exact_sql_under_every_filter(store: Store) -> None:
    counter = QueueCounter(read_only(store.engine))
    first = counter.counts(QueueFilter())
    assert (first.total, first.by_verdict) == (9, {"reject": 6, "review": 3})
    assert_exact(counter, store)


def test_counts_follow_new_decisions_and_reviews(store: Store) -> None:
    counter = QueueCounter(read_only(store.engine))
    assert counter.counts(QueueFilter()).total == 9
    sand, gravel = plates()
    add_item(store.engine, store.data_dir, plate=gravel, verdict="reject", label="foreign", reasons=["foreign"],
             at=day(0).replace(hour=13))
    add_item(store.engine, store.data_dir, plate=sand, verdict="pass", label="clean_sand", reasons=[], at=day(0))
    review(store, store.items[0].visit, "reject", "muddy")       # a review that writes a REJECT decision
    review(store, store.items[6].visit, "pass", "clean_gravel")
    review(store, store.items[6].visit, "reject", "muddy")       # a second review of the same item
    pending, reviewed = counter.counts(QueueFilter()), counter.counts(QueueFilter(status="reviewed"))
    assert (pending.total, pending.by_verdict) == (8, {"reject": 6, "review": 2})
    assert (reviewed.total, reviewed.by_verdict) == (2, {"reject": 1, "review": 1})
    assert counter.counts(QueueFilter(label="foreign", supplier="ds-stone")).total == 1
    assert_exact(counter, store)


def facet_oracle(store: Store, f: QueueFilter, name: str, value: str) -> int:
    """Items that choosing `value` for filter `name` would show, by the exact SQL count."""
    counts = reviews.queue_counts(store.engine, replace(f, **{name: value}))
    verdict = value if name == "verdict" else f.verdict
    return counts.by_verdict[verdict] if verdict else counts.total


def test_each_filter_choice_shows_how_many_items_it_would_give(store: Store) -> None:
    counter = QueueCounter(read_only(store.engine))
    assert counter.facets(QueueFilter())["label"] == {"muddy": 6, "clean_gravel": 3}
    choices = {"verdict": ("reject", "review"), "supplier": ("hx-sand", "ds-stone"), "material": ("sand", "gravel"),
               "label": ("muddy", "clean_gravel", "foreign")}
    filters = [QueueFilter(), QueueFilter(verdict="review"), QueueFilter(label="muddy", status="all"),
               QueueFilter(supplier="ds-stone", date_from=day(1).date()), QueueFilter(material="sand", verdict="reject")]
    for f in filters:
        facets = counter.facets(f)
        for name, values in choices.items():
            for value in values:
                assert facets[name][value] == facet_oracle(store, f, name, value), (f, name, value)


def test_the_queue_page_shows_the_choice_counts(store: Store, staff_server: WebServer) -> None:
    html = login(staff_server.url, "rev").get("/review?supplier=ds-stone").text
    assert re.search(r'<option value="clean_gravel">洁净碎石 Clean gravel \(3\)</option>', html)
    assert re.search(r'<option value="muddy">含泥 Muddy \(0\)</option>', html)
    assert re.search(r'<option value="hx-sand">[^<]+ \(6\)</option>', html)   # what switching supplier gives


def test_date_ranges_over_whole_months_and_cut_months(store: Store) -> None:
    """Ranges are summed from month buckets plus the days of cut months: every way a range
    can fall on month edges gives the exact count."""
    sand, gravel = plates()
    for n, plate in ((35, sand), (47, gravel), (61, sand), (62, sand), (95, gravel), (120, sand)):
        add_item(store.engine, store.data_dir, plate=plate, verdict="reject", label="muddy", reasons=["muddy"],
                 at=day(n), sampled=False)
    counter = QueueCounter(read_only(store.engine))
    today = day(0).date()
    month = today.replace(day=1)
    edges = sorted({month, month - timedelta(days=1), (month - timedelta(days=40)).replace(day=1),
                    (month - timedelta(days=70)).replace(day=1), (month - timedelta(days=70)).replace(day=1)
                    - timedelta(days=1), day(61).date(), day(130).date(), today})
    for start, end in itertools.combinations_with_replacement(edges, 2):
        for f in (QueueFilter(date_from=start, date_to=end), QueueFilter(date_from=start, status="all"),
                  QueueFilter(date_to=end, supplier="hx-sand")):
            assert counter.counts(f) == reviews.queue_counts(store.engine, f), f
    assert counter.counts(QueueFilter(date_from=day(130).date())).total == 9 + 6
