"""The staff pages read through a read-only engine: a read left open (a CSV export a browser is
still downloading, say) must not hold SQLite's write lock, so the gate's writes never wait."""
from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from intake.store import reviews
from intake.store.db import read_only
from intake.store.tables import Decision
from tests.intake.web.review_seed import day, make_engine
from tests.intake.web.staff_support import Store


def make_writer(store: Store) -> Engine:
    """The gate's own engine on the same file (another process in production)."""
    return make_engine(store.data_dir.parent / "gate.db")


def gate_write(engine: Engine, visit: str) -> threading.Thread:
    """A decision written the way the gate writes (its own engine: BEGIN IMMEDIATE), in a thread."""
    def write() -> None:
        with Session(engine) as session:
            session.add(Decision(visit_id=visit, verdict="review", reasons=["test"]))
            session.commit()

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def open_export(engine: Engine) -> tuple[list[str], Iterator[str]]:
    """An export stream stopped after its first row: its read transaction is open."""
    lines = reviews.export_visits(engine, day(10).date(), (day(0) + timedelta(days=1)).date(), chunk_rows=1)
    return [next(lines)], lines


def test_a_long_open_read_does_not_block_the_gate(store: Store) -> None:
    writer = make_writer(store)
    chunks, lines = open_export(read_only(store.engine))
    thread = gate_write(writer, store.items[0].visit)
    # The reader stays open throughout: a write it blocked could not end before it, however long
    # this waits (a loaded machine may take seconds to run the thread); its row is checked below.
    thread.join(timeout=60)
    assert not thread.is_alive(), "the gate's write waited for a reader"
    chunks.extend(lines)
    exported = list(csv.reader(io.StringIO("".join(chunks))))
    assert len(exported) == 1 + len(store.items)            # the reader's snapshot, complete
    with Session(writer) as session:
        assert session.get(Decision, store.items[-1].decision + 1) is not None


def test_the_same_read_on_a_writing_engine_would_block_it(store: Store) -> None:
    # The control: without read_only the open export holds the write lock and the gate waits.
    writer = make_writer(store)
    _chunks, lines = open_export(store.engine)
    thread = gate_write(writer, store.items[0].visit)
    thread.join(timeout=1)
    assert thread.is_alive()
    lines.close()                                          # type: ignore[attr-defined]  (a generator)
    thread.join(timeout=10)
    assert not thread.is_alive()
