"""Integrity in service on a real SQLite file: the signed checkpoint, the start-up verify from it,
the whole verify, row checks on read, and the lanes refusing trucks on a chain that fails."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlmodel import Session, select

from hardware.sim.trucks import DEMO_MIX
from intake.store.checkpoint import checkpoint_path, read_checkpoint
from intake.store.db import open_engine
from intake.store.integrity import REFUSAL, check_rows, state_for, verify_at_start, verify_whole
from intake.store.records import Records, Refusal
from intake.store.tables import Weighing
from tests.intake.store.conftest import KEY, fill


def reopen(db_path: Path) -> Records:
    """The gate started again on the same file: a fresh engine, so a fresh integrity state."""
    return Records(open_engine(f"sqlite:///{db_path}", KEY))


def sql(db_path: Path, statement: str) -> None:
    con = sqlite3.connect(db_path)
    with con:
        con.execute(statement)
    con.close()


def cp(db_path: Path) -> Path:
    return checkpoint_path(f"sqlite:///{db_path}", db_path.parent)


def test_the_first_start_verifies_everything_and_signs_a_checkpoint(filled: Records, db_path: Path) -> None:
    state = verify_at_start(filled.engine, KEY, cp(db_path))
    assert state.ok and state.records == 40   # 13 master-data records, 3 trucks x 9
    assert read_checkpoint(cp(db_path), KEY) is not None and oct(cp(db_path).stat().st_mode)[-3:] == "600"
    fill(filled, 4)   # four more trucks (4 x 9 links) and the fourth truck's vehicle, tag and order
    again = reopen(db_path)
    later = verify_at_start(again.engine, KEY, cp(db_path))
    assert later.ok and later.records == 36 + 3   # only the links written since the checkpoint, not the 40


def test_a_record_edited_after_the_checkpoint_closes_the_lanes_at_start(filled: Records, db_path: Path) -> None:
    verify_at_start(filled.engine, KEY, cp(db_path))
    fill(filled, 4)
    sql(db_path, "UPDATE weighing SET weight_kg = weight_kg + 5000 WHERE id = (SELECT max(id) FROM weighing)")
    records = reopen(db_path)
    state = verify_at_start(records.engine, KEY, cp(db_path))
    assert not state.ok and "mismatch" in (state.problem or "")
    refused = records.admit(DEMO_MIX[0].plate, "1")
    assert isinstance(refused, Refusal) and refused.reason == REFUSAL
    assert state.health()["status"] == "down" and state.health()["integrity"].startswith("failed")


def test_an_old_record_edited_is_found_by_the_whole_verify(filled: Records, db_path: Path) -> None:
    verify_at_start(filled.engine, KEY, cp(db_path))
    sql(db_path, "UPDATE decision SET verdict = 'reject' WHERE id = 1")
    records = reopen(db_path)
    assert verify_at_start(records.engine, KEY, cp(db_path)).ok    # behind the checkpoint: not reread
    state = verify_whole(records.engine, KEY)
    assert not state.ok and "decision" in (state.problem or "")


@pytest.mark.parametrize("attack", ["forged", "rolled_back", "garbled"])
def test_a_checkpoint_that_is_not_ours_or_ahead_of_the_chain_fails(filled: Records, db_path: Path,
                                                                   attack: str) -> None:
    verify_at_start(filled.engine, KEY, cp(db_path))
    data = json.loads(cp(db_path).read_text())
    if attack == "forged":
        data["seq"] = 3
    elif attack == "rolled_back":   # the database replaced by an older copy than the checkpoint
        sql(db_path, "DELETE FROM chainlink WHERE seq > 20")
    cp(db_path).write_text("{not json" if attack == "garbled" else json.dumps(data))
    state = verify_at_start(reopen(db_path).engine, KEY, cp(db_path))
    assert not state.ok


def test_a_row_read_by_a_page_is_checked_against_its_link(filled: Records, db_path: Path) -> None:
    with Session(filled.engine) as session:
        ids = [w.id for w in session.exec(select(Weighing))]
    with filled.engine.connect() as conn:
        assert check_rows(filled.engine, conn, KEY, Weighing.__table__, ids) == set()
    sql(db_path, f"UPDATE weighing SET weight_kg = weight_kg + 5000 WHERE id = {ids[2]}")
    with filled.engine.connect() as conn:
        assert check_rows(filled.engine, conn, KEY, Weighing.__table__, ids) == {str(ids[2])}
    state = state_for(filled.engine)
    assert not state.ok and ("weighing", str(ids[2])) in state.bad_rows


def test_a_checkpoint_of_an_empty_chain_lets_the_first_records_verify(db_path: Path) -> None:
    records = Records(open_engine(f"sqlite:///{db_path}", KEY))
    assert verify_at_start(records.engine, KEY, cp(db_path)).ok     # signs seq 0
    fill(records, 1)
    assert verify_at_start(reopen(db_path).engine, KEY, cp(db_path)).ok


def test_the_whole_verify_also_catches_a_rollback_past_the_checkpoint(filled: Records, db_path: Path) -> None:
    verify_at_start(filled.engine, KEY, cp(db_path))
    sql(db_path, "DELETE FROM chainlink WHERE seq > 20")   # links and rows of an older copy
    for table in ("weighing", "decision", "frame", "inspection", "sampleresult", "sample"):
        sql(db_path, f"DELETE FROM {table} WHERE id NOT IN (SELECT CAST(row_pk AS INTEGER) FROM chainlink "
                     f"WHERE table_name = '{table}')")
    sql(db_path, "DELETE FROM visit WHERE id NOT IN (SELECT row_pk FROM chainlink WHERE table_name = 'visit')")
    state = verify_whole(reopen(db_path).engine, KEY, cp(db_path))
    assert not state.ok and "rollback" in (state.problem or "")


def test_a_verify_that_could_not_run_closes_the_lanes_until_one_passes(filled: Records, db_path: Path) -> None:
    """A busy or unreadable database proves nothing either way: lanes closed, reopened by the
    next verify that passes. A mismatch found meanwhile is evidence and is never lifted."""
    verify_at_start(filled.engine, KEY, cp(db_path))
    state = state_for(filled.engine)
    state.fail("verify could not run: OperationalError", could_not_run=True)
    assert isinstance(filled.admit(DEMO_MIX[0].plate, "1"), Refusal)
    assert verify_whole(filled.engine, KEY).ok and state.problem is None
    sql(db_path, "UPDATE weighing SET weight_kg = weight_kg + 5000 WHERE id = (SELECT min(id) FROM weighing)")
    state.fail("verify could not run: OperationalError", could_not_run=True)
    assert not verify_whole(filled.engine, KEY).ok and "mismatch" in (state.problem or "")
    sql(db_path, "UPDATE weighing SET weight_kg = weight_kg - 5000 WHERE id = (SELECT min(id) FROM weighing)")
    assert not verify_whole(filled.engine, KEY).ok   # put back by hand: still closed until a restart verifies
