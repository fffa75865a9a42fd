"""Lots on the supplier page: the sampling plan's lots per supplier and material, each with
its status from the current verdicts of its sampled trucks (a review changes it)."""
from __future__ import annotations

import re

import httpx
import pytest

from intake.store import reviews
from intake.store.reviews import ReviewRequest
from intake.web.server import WebServer
from tests.intake.web.review_seed import add_selection, day
from tests.intake.web.staff_support import Store, login

# (item index in the seeded store, supplier, material, lot, sampled); see conftest.store_template
LOTS = [
    (5, "hx-sand", "sand", 1, True), (4, "hx-sand", "sand", 1, True),
    (3, "hx-sand", "sand", 2, True), (2, "hx-sand", "sand", 2, False), (10, "hx-sand", "sand", 3, True),
    (9, "ds-stone", "gravel", 1, True),
    (8, "ds-stone", "gravel", 2, True), (7, "ds-stone", "gravel", 2, True),
    (6, "ds-stone", "gravel", 3, False),
]


@pytest.fixture
def lots_store(store: Store) -> Store:
    for i, (item, supplier, material, lot, sampled) in enumerate(LOTS):
        add_selection(store.engine, store.items[item].visit, supplier=supplier, material=material, lot_no=lot,
                      sampled=sampled, at=day(6).replace(hour=6 + i))
    return store


def lot_rows(html: str) -> dict[str, tuple[str, str]]:
    """lot id -> (open|closed, status)."""
    found = re.findall(r'<tr data-testid="lot-row"><td class="mono">([^<]+)</td><td data-state="(\w+)">.*?</td>\s*'
                       r'<td><span class="pill lot-\w+" data-testid="lot-status" data-status="(\w+)"', html)
    return {lot: (state, status) for lot, state, status in found}


def lot_counts(html: str) -> list[dict[str, int]]:
    blocks = re.findall(r'data-testid="lot-counts">(.*?)</p>', html, re.S)
    return [{s: int(n) for s, n in re.findall(r'data-testid="lot-count-(\w+)" data-count="(\d+)"', b)} for b in blocks]


def decide(store: Store, item: int, verdict: str) -> None:
    detail = reviews.visit_detail(store.engine, store.items[item].visit)
    assert detail is not None and detail.current.id is not None
    reviews.record_review(store.engine, ReviewRequest(detail.visit.id, detail.current.id, 1, "rev", verdict,
                                                      "clean_gravel", "looked at the tray"))


def test_lots_and_their_status_per_supplier_and_material(staff_server: WebServer, lots_store: Store) -> None:
    rev: httpx.Client = login(staff_server.url, "rev")
    html = rev.get("/suppliers").text
    assert lot_rows(html) == {
        "hx-sand/sand/3": ("open", "sampling"), "hx-sand/sand/2": ("closed", "rejected"),
        "hx-sand/sand/1": ("closed", "rejected"),
        "ds-stone/gravel/3": ("open", "unsampled"), "ds-stone/gravel/2": ("closed", "held"),
        "ds-stone/gravel/1": ("closed", "passed"),
    }
    assert lot_counts(html) == [   # ds-stone / gravel first (sorted by supplier code)
        {"rejected": 0, "held": 1, "passed": 1, "sampling": 0, "unsampled": 1},
        {"rejected": 2, "held": 0, "passed": 0, "sampling": 1, "unsampled": 0},
    ]
    # A reviewer's decisions are the lot's current verdicts: both held loads passed -> lot passed.
    decide(lots_store, 8, "pass")
    assert lot_rows(rev.get("/suppliers").text)["ds-stone/gravel/2"] == ("closed", "held")
    decide(lots_store, 7, "pass")
    assert lot_rows(rev.get("/suppliers").text)["ds-stone/gravel/2"] == ("closed", "passed")


def test_lots_outside_the_period_are_not_listed(staff_server: WebServer, lots_store: Store) -> None:
    rev = login(staff_server.url, "rev")
    since = day(2).date()
    html = rev.get(f"/suppliers?since={since}&until={day(0).date()}").text
    assert lot_rows(html) == {} and "No lots in this period." in html
