"""Rows read with their own chain links in one query (intake.store.linked) on a real SQLite file:
intact rows verify, an edited row, a row without a link and a row with a forged second link
fail and are remembered by the integrity state; without a key every row fails and nothing is
remembered."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from intake.store.db import open_engine
from intake.store.integrity import state_for
from intake.store.linked import read_checked
from intake.store.master_changes import MasterChange
from intake.store.records import Records
from intake.store.tables import Supplier
from tests.intake.store.conftest import KEY

CHANGE = MasterChange.__table__   # chained: one change record per supplier added


def _gate(tmp_path: Path) -> tuple[Records, Path]:
    db = tmp_path / "gate.db"
    records = Records(open_engine(f"sqlite:///{db}", KEY))
    for i in range(6):
        records._add(Supplier(code=f"s{i}", name=f"Supplier {i}"))
    return records, db


def _read(records: Records, key: bytes | None = KEY):
    with records.engine.connect() as conn:
        return read_checked(records.engine, conn, key, CHANGE, CHANGE.c.id > 0, (CHANGE.c.id,))


def test_intact_rows_verify_in_order(tmp_path: Path) -> None:
    records, _ = _gate(tmp_path)
    found = _read(records)
    assert [r["id"] for r in found.rows] == list(range(1, 7)) and found.bad == set()
    assert state_for(records.engine).ok


def test_edited_unlinked_and_doubly_linked_rows_fail(tmp_path: Path) -> None:
    records, db = _gate(tmp_path)
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE master_change SET why = 'forged' WHERE id = 2")
        raw.execute("INSERT INTO master_change (id, table_name, row_pk, old, new, by, why, at) SELECT 9, table_name, "
                    "row_pk, old, new, by, why, at FROM master_change WHERE id = 1")   # a copy without a link
        raw.execute("INSERT INTO chainlink (seq, record_uuid, table_name, row_pk, mac) SELECT max(seq) + 1, "
                    "'00000000-0000-0000-0000-000000000000', 'master_change', '4', '0' FROM chainlink")
    found = _read(records)
    assert found.bad == {"2", "4", "9"} and [r["id"] for r in found.rows] == [1, 2, 3, 4, 5, 6, 9]   # 4 once
    state = state_for(records.engine)
    assert not state.ok and ("master_change", "2") in state.bad_rows


def test_without_a_key_nothing_verifies_and_nothing_is_remembered(tmp_path: Path) -> None:
    records, _ = _gate(tmp_path)
    found = _read(records, key=None)
    assert len(found.bad) == 6 and state_for(records.engine).ok
