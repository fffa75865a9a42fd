"""The review queries on a gate database in PostgreSQL (and the same on SQLite): search, PASS browsing, spot-checks and
flagged loads (counted by the exact SQL there), and the supplier totals with the site's months
and anti-cheat holds apart, on a real server started by the sync suite's fixture."""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from intake.store import reviews
from intake.store.reviews import QueueFilter
from intake.store.spotchecks import SpotCheckRequest, record_spot_check
from intake.store.supplier_rates import reject_rates
from intake.sync.devserver import DevServer
from tests.intake.sync.conftest import pg_server   # noqa: F401 (the session's PostgreSQL server)
from tests.intake.web.review_seed import AUDIT_KEY, add_item, make_engine, plates, seed_master

_names = itertools.count(1)


@pytest.fixture
def pg_engine(pg_server: DevServer) -> Iterator[Engine]:   # noqa: F811
    from intake.store.db import open_engine

    engine = open_engine(pg_server.create_database(f"gate_review_{next(_names)}"), AUDIT_KEY)
    seed_master(engine)
    yield engine
    engine.dispose()


def test_search_spot_checks_and_supplier_totals_on_postgresql(pg_engine: Engine, tmp_path: Path) -> None:
    check_review_queries(pg_engine, tmp_path)


def test_the_same_on_sqlite(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "gate.db")
    seed_master(engine)
    check_review_queries(engine, tmp_path)


def check_review_queries(pg_engine: Engine, tmp_path: Path) -> None:
    sand, gravel = plates()
    # 2026-03-31 20:00 UTC is April 1st in Shanghai: the site's month, not UTC's
    late = datetime(2026, 3, 31, 20, 0, tzinfo=timezone.utc)
    passed = add_item(pg_engine, tmp_path, plate=sand, verdict="pass", label="clean_sand", reasons=[], at=late)
    add_item(pg_engine, tmp_path, plate=sand, verdict="reject", label="muddy", reasons=["muddy"], at=late)
    add_item(pg_engine, tmp_path, plate=gravel, verdict="review", label=None, reasons=["repeat_weighing"], at=late,
             sampled=False)
    found = reviews.queue_page(pg_engine, QueueFilter(search=sand.replace("·", ""), status="all"))
    assert {r.visit_id for r in found} >= {passed.visit} and len(found) == 2      # PASS and REJECT of that plate
    assert [r.visit_id for r in reviews.queue_page(pg_engine, QueueFilter(search=passed.visit[:8]))] == [passed.visit]
    record_spot_check(pg_engine, SpotCheckRequest(passed.visit, passed.decision, 1, "rev", False, "muddy",
                                                  "fines on the tray"))
    flagged = QueueFilter(verdict="pass", status="flagged")
    assert [r.visit_id for r in reviews.queue_page(pg_engine, flagged)] == [passed.visit]
    assert reviews.queue_counts(pg_engine, flagged).total == 1
    assert reviews.queue_counts(pg_engine, QueueFilter(verdict="pass")).total == 0   # looked at: not pending
    rows = {(r.supplier, r.month): r for r in reject_rates(pg_engine, date(2026, 3, 1), date(2026, 4, 30),
                                                           "Asia/Shanghai")}
    sand_row, gravel_row = rows[("hx-sand", "2026-04")], rows[("ds-stone", "2026-04")]
    assert (sand_row.trucks, sand_row.sampled, sand_row.rejected, sand_row.anti_cheat) == (2, 2, 1, 0)
    assert (gravel_row.trucks, gravel_row.sampled, gravel_row.held, gravel_row.anti_cheat) == (1, 0, 0, 1)
