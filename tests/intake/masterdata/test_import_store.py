"""The write side of an import on its own (intake.masterdata.store.run_import): the plan made
again inside the write transaction refuses rows edited or inserted outside the gate, by line,
even when the read-only plan before it did not see them; nothing is written."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from intake.masterdata.csvfile import read_table
from intake.masterdata.rows import VehicleRow, parse
from intake.masterdata.store import ImportFailed, plan_import, row_drift, run_import
from intake.store.audit import verify
from intake.store.db import open_engine
from intake.store.master_changes import MasterChange, as_actor
from intake.store.tables import Supplier, Vehicle

KEY = b"test-site-audit-key-0123456789"
HEAD = "plate,supplier,bed_length_mm,bed_width_mm\n"


@pytest.fixture
def engine(tmp_path: Path):
    engine = open_engine(f"sqlite:///{tmp_path / 'gate.db'}", KEY)
    with as_actor(Session(engine), "test", "fixture") as s:
        s.add(Supplier(code="hx-sand", name="Huaxin Sand"))
        s.commit()
    rows, _ = vehicles("A1,hx-sand,7200,2350\nA2,hx-sand,7200,2350\n")
    run_import(engine, "vehicles", rows, "test", "fixture")
    yield engine
    engine.dispose()


def vehicles(text: str):
    return parse(VehicleRow, read_table(HEAD + text, "UTF-8", VehicleRow.required()).records)


def sql(engine, statement: str) -> None:
    con = sqlite3.connect(engine.url.database)
    with con:
        con.execute(statement)
    con.close()


def changes(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(MasterChange)).one()


@pytest.mark.parametrize("statement, words", [
    ("UPDATE vehicle SET stored_tare_kg = 1 WHERE plate = 'A2'", "differs from its change record: stored_tare_kg"),
    ("INSERT INTO vehicle (plate, supplier_id, bed_length_mm, bed_width_mm) VALUES ('A3', 1, 7200, 2350)",
     "has no change record"),
])
def test_rows_tampered_after_the_dry_plan_are_refused_in_the_write(engine, statement, words):
    rows, errors = vehicles("A1,hx-sand,7200,2350\nA2,hx-sand,7300,2350\nA3,hx-sand,7300,2350\n")
    assert errors == [] and plan_import(engine, "vehicles", rows, []).errors == []   # before the tamper
    sql(engine, statement)
    before = changes(engine)
    with pytest.raises(ImportFailed) as caught:
        run_import(engine, "vehicles", rows, "test", "after the tamper")
    (error,) = caught.value.plan.errors
    assert error.line in (3, 4) and words in error.message and "edited outside the gate" in error.message
    assert changes(engine) == before


def test_row_drift_per_row(engine):
    with Session(engine) as s:
        a1 = s.exec(select(Vehicle).where(Vehicle.plate == "A1")).one()
    with engine.connect() as conn:
        assert row_drift(conn, Vehicle, str(a1.id)) is None
    sql(engine, "UPDATE vehicle SET plate = 'B1' WHERE plate = 'A1'")
    with engine.connect() as conn:
        assert "plate" in (row_drift(conn, Vehicle, str(a1.id)) or "")


def test_each_row_names_its_line_and_the_chain_verifies(engine):
    # A2's bed length is not a settlement fact (master_changes.WATCHED): it changes, unrecorded.
    rows, _ = vehicles("A1,hx-sand,7200,2350\nA2,hx-sand,7300,2350\nA4,hx-sand,7300,2350\n")
    plan = run_import(engine, "vehicles", rows, "王工", "new beds")
    assert (plan.count("unchanged"), plan.count("changed"), plan.count("added")) == (1, 1, 1)
    with Session(engine) as s:
        whys = [c.why for c in s.exec(select(MasterChange).where(MasterChange.by == "王工"))]
    assert whys == ["new beds (line 4)"]
    assert verify(engine, KEY).ok
