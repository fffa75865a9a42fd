"""Columns added to a chained table by a later migration: rows linked before the column existed
still verify after the upgrade, and a value written into such a column later is covered."""
from __future__ import annotations

import sqlite3

from alembic import command
from sqlalchemy import MetaData, create_engine
from sqlmodel import Session

from intake.store.audit import verify
from intake.store.chain import append, late_columns
from intake.store.db import open_engine
from intake.store.migrate import alembic_config
from intake.store.tables import Weighing
from tests.intake.store.conftest import KEY


def _database_at_0006_with_one_weighing(path) -> None:
    """Made as the gate of revision 0006 made it: no identity columns on `weighing`."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0006")
        conn.exec_driver_sql("INSERT INTO supplier (id, code, name) VALUES (1, 's1', 'Sand Co')")
        conn.exec_driver_sql("INSERT INTO material (id, code, name, name_zh) VALUES (1, 'sand', 'Sand', '砂')")
        conn.exec_driver_sql("INSERT INTO vehicle (id, plate, supplier_id, bed_length_mm, bed_width_mm)"
                             " VALUES (1, 'A1', 1, 6000, 2400)")
        conn.exec_driver_sql("INSERT INTO deliveryorder (id, code, supplier_id, material_id, vehicle_id,"
                             " expected_kg, is_open) VALUES (1, 'o1', 1, 1, 1, 20000, 1)")
        conn.exec_driver_sql("INSERT INTO visit (id, lane, vehicle_id, order_id, opened_at)"
                             " VALUES ('v1', '1', 1, 1, '2026-11-01 08:00:00.000000')")
        conn.exec_driver_sql("INSERT INTO weighing (id, visit_id, kind, weight_kg, scale_port, cal_counter,"
                             " cfg_counter, sw_version, sw_hash, recorded_at) VALUES (1, 'v1', 'in', 31000,"
                             " 'pty', 0, 0, '0.1.0', 'ab', '2026-11-01 08:01:00.000000')")
        old = MetaData()
        old.reflect(conn, only=["weighing"])
        assert "indicator" not in old.tables["weighing"].columns
        append(conn, KEY, old.tables["weighing"], ["1"])
    engine.dispose()


def test_rows_linked_before_a_late_column_verify_after_the_upgrade(tmp_path):
    path = tmp_path / "gate.db"
    _database_at_0006_with_one_weighing(path)
    engine = open_engine(f"sqlite:///{path}", KEY)  # migrates to head, backing up first
    assert late_columns("weighing") == {"indicator", "scale_max_kg", "scale_e_kg"}
    with Session(engine) as session:
        session.add(Weighing(visit_id="v1", kind="out", weight_kg=12000, scale_port="pty",
                             indicator="toledo", scale_max_kg=60000, scale_e_kg=20.0))
        session.commit()
    report = verify(engine, KEY)
    # The old weighing and the new one, plus what the first start after migration 0011 sealed:
    # the visit and the supplier, material, vehicle and order it stands on.
    assert report.ok and report.records == 2 + 5, report.problems
    engine.dispose()


def test_a_value_later_written_into_an_old_rows_late_column_is_caught(tmp_path):
    path = tmp_path / "gate.db"
    _database_at_0006_with_one_weighing(path)
    open_engine(f"sqlite:///{path}", KEY).dispose()
    con = sqlite3.connect(path)
    with con:
        con.execute("UPDATE weighing SET scale_max_kg = 80000 WHERE id = 1")
    con.close()
    report = verify(open_engine(f"sqlite:///{path}", KEY, migrate=False), KEY)
    assert not report.ok
    assert (report.problems[0].kind, report.problems[0].table, report.problems[0].pk) == ("mismatch", "weighing", "1")
