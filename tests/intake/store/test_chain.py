"""The keyed hash chain on a real SQLite file: automatic links, append-only, and every kind of
tampering done with plain sqlite3 (what someone with the file can do) is caught by the verifier."""
from __future__ import annotations

import shutil
import sqlite3

import pytest
from sqlmodel import Session, select, update

from intake.store.audit import verify
from intake.store.chain import ChainError, chained_tables
from intake.store.db import open_engine
from intake.store.records import Records
from intake.store.software import software_hash, software_version
from intake.store.tables import Decision, Weighing
from tests.intake.store.conftest import KEY, fill

CHAINED = {"weighing", "sample", "sampleresult", "inspection", "frame", "decision"}


def tamper(db_path, *sql: str) -> None:
    con = sqlite3.connect(db_path)
    with con:
        for statement in sql:
            con.execute(statement)
    con.close()


def first_bad(db_path, head: str | None = None):
    report = verify(open_engine(f"sqlite:///{db_path}", KEY, migrate=False), KEY, head)
    assert not report.ok
    return report.problems[0]


def test_every_chained_insert_gets_a_link_in_order(filled, db_path):
    assert CHAINED <= {t.name for t in chained_tables()}
    report = verify(filled.engine, KEY)
    # The seed's master data: 2 suppliers, 2 materials, 3 vehicles, 3 tags, 3 orders = 13 change
    # records; then 3 trucks x (visit + 2 weighings + sample + result + inspection + 2 frames +
    # decision) = 27.
    assert report.ok and report.records == 13 + 27
    con = sqlite3.connect(db_path)
    seqs = [r[0] for r in con.execute("SELECT seq FROM chainlink ORDER BY seq")]
    tables = [r[0] for r in con.execute("SELECT table_name FROM chainlink ORDER BY seq")]
    assert seqs == list(range(1, 41))
    assert set(tables[:13]) == {"master_change"}
    assert tables[13:24] == ["visit", "weighing", "sample", "sampleresult", "inspection", "frame", "frame",
                             "decision", "weighing", "visit", "weighing"]


def test_weighing_carries_counters_and_software_identity(filled):
    with Session(filled.engine) as session:
        w = session.exec(select(Weighing)).first()
    assert (w.cal_counter, w.cfg_counter) == (0, 0)
    assert w.sw_version == software_version() and w.sw_hash == software_hash() and len(w.sw_hash) == 64


def test_updates_and_deletes_through_the_orm_are_refused(filled):
    with Session(filled.engine) as session:
        w = session.exec(select(Weighing)).first()
        w.weight_kg += 20
        session.add(w)
        with pytest.raises(ChainError, match="append-only"):
            session.commit()
    with Session(filled.engine) as session:
        session.delete(session.exec(select(Decision)).first())
        with pytest.raises(ChainError, match="cannot be deleted"):
            session.commit()
    with Session(filled.engine) as session, pytest.raises(ChainError):
        session.exec(update(Weighing).values(weight_kg=1))
    assert verify(filled.engine, KEY).ok


def test_a_chained_write_without_the_key_is_refused(tmp_path):
    records = Records(open_engine(f"sqlite:///{tmp_path / 'nokey.db'}"))
    with pytest.raises(ChainError, match="no audit key"):
        fill(records, 1)


def test_changed_byte_is_caught_at_that_record(filled, db_path):
    tamper(db_path, "UPDATE weighing SET weight_kg = weight_kg + 20 WHERE id = 2")
    bad = first_bad(db_path)
    assert (bad.kind, bad.table, bad.pk) == ("mismatch", "weighing", "2")


def test_changed_json_inside_a_record_is_caught(filled, db_path):
    tamper(db_path, """UPDATE inspection SET probs = '{"clean_sand": 0.99, "muddy": 0.01}' WHERE id = 3""")
    bad = first_bad(db_path)
    assert (bad.kind, bad.table, bad.pk) == ("mismatch", "inspection", "3")


def test_deleted_row_is_caught(filled, db_path):
    tamper(db_path, "PRAGMA foreign_keys=OFF", "DELETE FROM decision WHERE id = 2")
    bad = first_bad(db_path)
    assert (bad.kind, bad.table, bad.pk) == ("missing_row", "decision", "2")


def test_deleted_row_and_link_is_caught_as_a_gap(filled, db_path):
    seq = sqlite3.connect(db_path).execute(
        "SELECT seq FROM chainlink WHERE table_name = 'decision' AND row_pk = '3'").fetchone()[0]
    tamper(db_path, "PRAGMA foreign_keys=OFF", "DELETE FROM decision WHERE id = 3",
           "DELETE FROM chainlink WHERE table_name = 'decision' AND row_pk = '3'")
    bad = first_bad(db_path)
    assert bad.kind == "gap" and bad.seq == seq


def test_deleting_the_newest_record_and_link_is_caught_against_the_exported_head(filled, db_path):
    head = verify(filled.engine, KEY).head
    tamper(db_path, "DELETE FROM weighing WHERE id = 6", "DELETE FROM chainlink WHERE seq = 40")
    assert verify(open_engine(f"sqlite:///{db_path}", KEY, migrate=False), KEY).ok  # a clean prefix...
    assert first_bad(db_path, head).kind == "rollback"                             # ...but not the head


def test_reordered_links_are_caught(filled, db_path):
    tamper(db_path, "UPDATE chainlink SET seq = -1 WHERE seq = 5", "UPDATE chainlink SET seq = 5 WHERE seq = 6",
           "UPDATE chainlink SET seq = 6 WHERE seq = -1")
    bad = first_bad(db_path)
    assert bad.kind == "mismatch" and bad.seq == 5


def test_swapped_values_between_rows_are_caught(filled, db_path):
    tamper(db_path, "UPDATE weighing SET weight_kg = (SELECT weight_kg FROM weighing WHERE id = 1) WHERE id = 3")
    assert first_bad(db_path).pk == "3"


def test_row_written_behind_the_chain_is_reported_unchained(filled, db_path, tmp_path):
    con = sqlite3.connect(db_path)
    row = con.execute("SELECT visit_id, decided_at FROM decision WHERE id = 1").fetchone()
    con.close()
    tamper(db_path, f"INSERT INTO decision (visit_id, verdict, reasons, label, decided_at) "
                    f"VALUES ('{row[0]}', 'pass', '[]', 'clean_sand', '{row[1]}')")
    bad = first_bad(db_path)
    assert (bad.kind, bad.table, bad.pk) == ("unchained", "decision", "4")


def test_rehashing_the_chain_without_the_key_does_not_help(filled, db_path):
    """An attacker who edits a row and re-chains everything with a key of their own."""
    tamper(db_path, "UPDATE weighing SET weight_kg = 1000 WHERE id = 1")
    forged = b"attacker-guess-of-the-site-key!!"
    engine = open_engine(f"sqlite:///{db_path}", forged, migrate=False)
    from intake.store.chain import GENESIS, link_mac, read_row
    from sqlalchemy import text
    from intake.store.audit import _Tables

    with engine.begin() as conn:
        tables, prev = _Tables(conn), GENESIS
        for seq, uuid, name, pk in conn.execute(text("SELECT seq, record_uuid, table_name, row_pk FROM chainlink ORDER BY seq")).all():
            prev = link_mac(forged, seq, prev, name, pk, uuid, read_row(conn, tables.get(name), pk))
            conn.execute(text("UPDATE chainlink SET mac = :m WHERE seq = :s"), {"m": prev, "s": seq})
    assert verify(engine, forged).ok                      # consistent under the forged key...
    assert first_bad(db_path).seq == 1                    # ...but not under the site's key


def test_restored_older_copy_is_caught_as_rollback(filled, db_path, tmp_path):
    old = tmp_path / "yesterday.db"
    filled.engine.dispose()
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    shutil.copy(db_path, old)
    fill_more = Records(open_engine(f"sqlite:///{db_path}", KEY))
    fill(fill_more, 4)  # the fourth truck is new; the first three get new visits
    head = verify(fill_more.engine, KEY).head
    fill_more.engine.dispose()
    shutil.copy(old, db_path)
    for suffix in ("-wal", "-shm"):
        (db_path.parent / (db_path.name + suffix)).unlink(missing_ok=True)
    assert verify(open_engine(f"sqlite:///{db_path}", KEY, migrate=False), KEY).ok
    bad = first_bad(db_path, head)
    assert bad.kind == "rollback" and "rolled back" in bad.detail
