"""The store on a real SQLite file: durability pragmas, admission, append-only records."""
from __future__ import annotations

import sqlite3
from datetime import timedelta

from hardware.sim.trucks import DEMO_MIX
from intake.demo import masterdata
from intake.store.db import open_engine
from intake.store.records import Admission, Records, Refusal
from intake.store.tables import Decision, utcnow


KEY = b"test-site-audit-key-0123456789"


def make(tmp_path) -> Records:
    records = Records(open_engine(f"sqlite:///{tmp_path / 'gate.db'}", KEY))
    masterdata.seed(records.engine, list(DEMO_MIX[:2]))
    return records


def test_every_connection_runs_wal_with_full_sync(tmp_path):
    records = make(tmp_path)
    with records.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    raw = sqlite3.connect(tmp_path / "gate.db")
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persisted in the file


def test_admission_opens_a_visit_then_the_weigh_out_finds_it(tmp_path):
    records = make(tmp_path)
    plate = DEMO_MIX[0].plate
    first = records.admit(plate, "1")
    assert isinstance(first, Admission) and first.kind == "in" and first.material == "sand"
    records.record_weight(first.visit, "in", 39_800, "pty")
    again = records.admit(plate, "1")
    assert isinstance(again, Admission) and again.kind == "out" and again.visit == first.visit
    records.record_weight(first.visit, "out", 14_200, "pty")
    records.record_decision(first.visit, "pass", [], "clean_sand")
    summary = records.visit_summary(first.visit)
    assert (summary["gross_kg"], summary["tare_kg"], summary["net_kg"]) == (39_800, 14_200, 25_600)
    assert summary["verdict"] == "pass" and summary["sampled"] is False
    next_visit = records.admit(plate, "1")
    assert isinstance(next_visit, Admission) and next_visit.kind == "in" and next_visit.visit != first.visit


def test_a_truck_sent_back_with_its_load_received_nothing(tmp_path):
    records = make(tmp_path)
    visit = records.admit(DEMO_MIX[0].plate, "1")
    assert isinstance(visit, Admission)
    records.record_weight(visit.visit, "in", 39_800, "pty")
    records.record_decision(visit.visit, "reject", ["muddy"], "muddy")
    records.record_weight(visit.visit, "out", 39_780, "pty")   # leaves loaded, one division lighter
    summary = records.visit_summary(visit.visit)
    assert (summary["received"], summary["gross_kg"], summary["tare_kg"], summary["exit_kg"], summary["net_kg"]) \
        == (False, 39_800, None, 39_780, 0)
    assert (summary["verdict"], summary["reasons"]) == ("reject", ["muddy"])


def test_unknown_plate_is_refused(tmp_path):
    records = make(tmp_path)
    assert records.admit("京X·00000", "1") == Refusal("unknown_vehicle")


def test_a_later_decision_is_a_new_row_and_the_newest_wins(tmp_path):
    records = make(tmp_path)
    adm = records.admit(DEMO_MIX[1].plate, "1")
    assert isinstance(adm, Admission)
    records.record_decision(adm.visit, "review", ["low_confidence"], "clean_gravel")
    records.record_decision(adm.visit, "pass", ["reviewed"], "clean_gravel")
    with records.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM decision").scalar() == 2
    assert records.visit_summary(adm.visit)["verdict"] == "pass"


def test_anti_cheat_repeat_weighing_and_tare_mismatch(tmp_path):
    records = make(tmp_path)
    truck = DEMO_MIX[0]
    first = records.admit(truck.plate, "1")
    assert isinstance(first, Admission) and records.checks_at_admission(first.visit, 600) == []
    records.record_weight(first.visit, "in", 39_800, "pty")
    records.record_decision(first.visit, "pass", [], "clean_sand")
    assert records.checks_at_weigh_out(first.visit, truck.tare_kg + 300, 500) == []
    assert records.checks_at_weigh_out(first.visit, truck.tare_kg + 900, 500) == ["tare_mismatch"]
    records.record_weight(first.visit, "out", truck.tare_kg + 300, "pty")
    again = records.admit(truck.plate, "1")
    assert isinstance(again, Admission) and again.kind == "in"
    assert records.checks_at_admission(again.visit, 600) == ["repeat_weighing"]
    assert records.checks_at_admission(again.visit, 0) == []


def test_a_rejected_truck_leaving_loaded_is_no_tare_mismatch(tmp_path):
    records = make(tmp_path)
    truck = DEMO_MIX[1]
    adm = records.admit(truck.plate, "1")
    assert isinstance(adm, Admission)
    records.record_weight(adm.visit, "in", 42_400, "pty")
    records.record_decision(adm.visit, "reject", ["muddy"], "muddy")
    assert records.checks_at_weigh_out(adm.visit, 42_400, 500) == []


def test_a_held_load_passed_by_a_reviewer_after_it_left_is_still_not_received(tmp_path):
    records = make(tmp_path)
    visit = records.admit(DEMO_MIX[0].plate, "1")
    assert isinstance(visit, Admission)
    records.record_weight(visit.visit, "in", 39_800, "pty")
    records.record_decision(visit.visit, "review", ["abstain"], None)
    records.record_weight(visit.visit, "out", 39_800, "pty")      # sent back down the return lane
    records._add(Decision(visit_id=visit.visit, verdict="pass", reasons=["reviewed:fine sand"], label="clean_sand",
                          decided_at=utcnow() + timedelta(minutes=5)))
    summary = records.visit_summary(visit.visit)
    assert summary["verdict"] == "pass"                              # the record's verdict now
    assert (summary["received"], summary["tare_kg"], summary["net_kg"]) == (False, None, 0)   # the load left
