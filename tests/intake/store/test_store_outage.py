"""Telling store failures apart and noticing when the store is back, on a real SQLite file:
SQLite's own page limit makes it answer SQLITE_FULL as on a full disk, a second connection holds
the write lock, `query_only` refuses writes as a read-only file does."""
from __future__ import annotations

import errno
import sqlite3
from contextlib import closing

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from intake.store.db import open_engine
from intake.store.faults import classify, probe
from intake.store.outage import StoreOutage
from intake.store.records import Admission, Records
from intake.store.tables import Decision
from tests.intake.store.conftest import KEY, fill


@pytest.fixture
def store(db_path):
    # A short busy timeout: a held lock shows in a quarter of a second.
    engine = open_engine(f"sqlite:///{db_path}?timeout=0.25", KEY)
    limits: dict[str, int] = {}

    @event.listens_for(engine, "connect")
    def _limit(dbapi_conn, _record) -> None:
        for pragma, value in limits.items():
            dbapi_conn.execute(f"PRAGMA {pragma} = {value}")

    yield Records(engine), limits
    engine.dispose()


def restrict(records: Records, limits: dict[str, int], **pragmas: int) -> None:
    limits.clear()
    limits.update(pragmas)
    records.engine.dispose()   # pooled connections take the new settings when they reconnect


def test_a_full_database_is_told_apart_and_noticed_when_space_returns(store, db_path):
    records, limits = store
    visits = fill(records, 2)
    pages = sqlite3.connect(db_path).execute("PRAGMA page_count").fetchone()[0]
    restrict(records, limits, max_page_count=pages)      # not one page more: the disk is full
    assert probe(records.engine) == "full"
    with pytest.raises(OperationalError) as failed:
        for _ in range(200):                              # enough rows to need a new page
            records.record_decision(visits[0], "review", ["x" * 200], None)
    assert classify(failed.value) == "full"
    restrict(records, limits)                             # space returns
    assert probe(records.engine) is None
    records.record_decision(visits[0], "review", ["after"], None)


def test_a_lock_held_by_another_process_is_told_apart_and_its_release_noticed(store, db_path):
    records, _ = store
    fill(records, 1)
    with closing(sqlite3.connect(db_path, isolation_level=None)) as other:
        other.execute("BEGIN EXCLUSIVE")
        assert probe(records.engine) == "locked"
        with pytest.raises(OperationalError) as failed:
            records.record_decision("nobody", "review", [], None)
        assert classify(failed.value) == "locked"
        other.execute("ROLLBACK")
    assert probe(records.engine) is None


def test_a_read_only_database_and_os_errors_are_told_apart(store):
    records, limits = store
    fill(records, 1)
    restrict(records, limits, query_only=1)
    assert probe(records.engine) == "read_only"
    assert classify(OSError(errno.ENOSPC, "No space left on device")) == "full"
    assert classify(OSError(errno.EFBIG, "File too large")) == "full"
    assert classify(OSError(errno.EROFS, "Read-only file system")) == "read_only"
    assert classify(RuntimeError("something else")) == "error"


def test_an_outage_holds_the_visit_in_flight_for_review_once_records_go_in(store):
    records, limits = store
    earlier = fill(records, 1)
    adm = records.admit(_plate(records), "1")
    assert isinstance(adm, Admission) and adm.visit not in earlier
    outage = StoreOutage(records, retry_s=5.0)
    restrict(records, limits, query_only=1)
    with pytest.raises(OperationalError) as failed:
        records.record_weight(adm.visit, "in", 40_000, "pty")
    outage.fail(failed.value, adm.visit, now=100.0)
    assert outage.fault == "store:read_only" and outage.owed == adm.visit
    assert not outage.due(102.0) and outage.due(105.0)
    assert not outage.retry(105.0)                        # still read-only: nothing written
    assert not outage.due(106.0)                          # next try one interval later
    restrict(records, limits)
    assert outage.retry(110.0)
    with Session(records.engine) as session:
        decisions = session.exec(select(Decision).where(Decision.visit_id == adm.visit)).all()
    assert [(d.verdict, d.reasons) for d in decisions] == [("review", ["store_read_only"])]


def _plate(records: Records) -> str:
    """A registered truck with an open order and no open visit (the second of the demo mix)."""
    from hardware.sim.trucks import DEMO_MIX
    from intake.demo import masterdata

    masterdata.seed(records.engine, list(DEMO_MIX[:2]))
    return DEMO_MIX[1].plate
