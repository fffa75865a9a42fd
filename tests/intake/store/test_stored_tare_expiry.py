"""W8 on a real SQLite file: a stored tare has a date and expires; a matching tare keeps it
fresh, a mismatching one never replaces it; the scale's identity rides on every weighing."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from hardware.sim.trucks import DEMO_MIX
from intake.config import ScaleConfig
from intake.demo import masterdata
from intake.store.db import open_engine
from intake.store.records import Admission, Records
from intake.store.tables import Vehicle, Weighing, utcnow

KEY = b"test-site-audit-key-0123456789"
TRUCK = DEMO_MIX[0]


def weighed_in(tmp_path, tare_age: timedelta | None) -> tuple[Records, str]:
    """A visit weighed in, its vehicle's stored tare dated ``tare_age`` ago (None: undated)."""
    records = Records(open_engine(f"sqlite:///{tmp_path / 'gate.db'}", KEY))
    masterdata.seed(records.engine, [TRUCK])
    with Session(records.engine) as session:
        vehicle = session.exec(select(Vehicle).where(Vehicle.plate == TRUCK.plate)).one()
        vehicle.stored_tare_at = None if tare_age is None else utcnow() - tare_age
        session.add(vehicle)
        session.commit()
    adm = records.admit(TRUCK.plate, "1")
    assert isinstance(adm, Admission)
    records.record_weight(adm.visit, "in", TRUCK.tare_kg + TRUCK.load_kg, "pty")
    return records, adm.visit


def stored(records: Records) -> Vehicle:
    with Session(records.engine) as session:
        return session.exec(select(Vehicle).where(Vehicle.plate == TRUCK.plate)).one()


def test_demo_master_data_dates_every_stored_tare(tmp_path):
    records, _ = weighed_in(tmp_path, timedelta(0))
    masterdata.seed(records.engine, list(DEMO_MIX[:3]))
    with Session(records.engine) as session:
        vehicles = session.exec(select(Vehicle)).all()
    assert vehicles and all(v.stored_tare_at is not None for v in vehicles)


def test_a_fresh_matching_tare_passes_and_is_stored_with_its_date(tmp_path):
    records, visit = weighed_in(tmp_path, timedelta(days=10))
    before = utcnow()
    assert records.checks_at_weigh_out(visit, TRUCK.tare_kg + 120, 500, 90) == []
    vehicle = stored(records)
    assert vehicle.stored_tare_kg == TRUCK.tare_kg + 120
    assert vehicle.stored_tare_at is not None
    assert vehicle.stored_tare_at.replace(tzinfo=before.tzinfo) >= before - timedelta(seconds=1)


def test_a_stored_tare_older_than_the_limit_holds_the_visit(tmp_path):
    records, visit = weighed_in(tmp_path, timedelta(days=91))
    assert records.checks_at_weigh_out(visit, TRUCK.tare_kg, 500, 90) == ["stored_tare_expired"]
    # The visit goes to REVIEW; the tare it measured (matching) becomes the dated reference.
    assert records.checks_at_weigh_out(visit, TRUCK.tare_kg, 500, 90) == []


def test_just_inside_the_limit_is_not_expired(tmp_path):
    records, visit = weighed_in(tmp_path, timedelta(days=89, hours=23))
    assert records.checks_at_weigh_out(visit, TRUCK.tare_kg, 500, 90) == []


def test_an_undated_stored_tare_counts_as_expired(tmp_path):
    records, visit = weighed_in(tmp_path, None)
    assert records.checks_at_weigh_out(visit, TRUCK.tare_kg, 500, 90) == ["stored_tare_expired"]


def test_a_mismatching_tare_never_replaces_the_stored_one(tmp_path):
    records, visit = weighed_in(tmp_path, timedelta(days=200))
    found = records.checks_at_weigh_out(visit, TRUCK.tare_kg + 2_000, 500, 90)
    assert found == ["tare_mismatch", "stored_tare_expired"]
    vehicle = stored(records)
    assert vehicle.stored_tare_kg == TRUCK.tare_kg
    assert found == records.checks_at_weigh_out(visit, TRUCK.tare_kg + 2_000, 500, 90)


def test_a_loaded_truck_sent_back_is_not_a_tare(tmp_path):
    records, visit = weighed_in(tmp_path, timedelta(days=200))
    records.record_decision(visit, "reject", ["muddy"], "muddy")
    assert records.checks_at_weigh_out(visit, TRUCK.tare_kg + TRUCK.load_kg, 500, 90) == []
    assert stored(records).stored_tare_kg == TRUCK.tare_kg


def test_every_weighing_carries_the_scale_identity(tmp_path):
    records, visit = weighed_in(tmp_path, timedelta(0))
    scale = ScaleConfig(port="loop://", protocol="yaohua", model="XK3190-A9+", e_kg=20)
    records.record_weight(visit, "out", TRUCK.tare_kg, "pty", scale.identity(60_000))
    with Session(records.engine) as session:
        out = session.exec(select(Weighing).where(Weighing.kind == "out")).one()
    assert (out.indicator, out.scale_max_kg, out.scale_e_kg) == ("yaohua:XK3190-A9+", 60_000, 20.0)
