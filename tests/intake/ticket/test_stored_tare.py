"""One weighing on a stored tare, end to end on a real SQLite file: the lane machine says the
load is accepted before the plant arm opens; a vehicle with a valid stored tare ends its delivery
there (a chained record); its ticket says the tare is stored, with its date, and the net is gross
minus that tare; the ticket verifies, the settlement line carries the net, `audit verify` passes,
and the truck is not taken for a weigh-out when it comes back. An expired tare, a rejected load
or a plant that does not allow it make no such record; a stored tare edited afterwards is found."""
from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlmodel import Session, select

from hardware.sim.trucks import DEMO_MIX
from intake.config import WeighingConfig
from intake.demo import masterdata
from intake.lane.events import Barrier, InspectionDone, LoadAccepted, Phase
from intake.lane.passes import on_inspected
from intake.lane.state import LaneState
from intake.masterdata.edits import correct_tare
from intake.settlement.local import chain_check, page
from intake.store.audit import verify
from intake.store.records import Admission, Records
from intake.store.stored_tare import use_stored_tare
from intake.store.tables import Vehicle
from intake.ticket.issue import issue_ticket
from intake.ticket.layout import layout
from intake.ticket.verify import check_ticket
from tests.intake.store.conftest import KEY
from tests.intake.ticket.conftest import BASE_URL, IDENTITY, PLANT

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
TARE, GROSS = 14_360, 41_220
MAX_AGE = WeighingConfig().stored_tare_max_age_days


def _truck(records: Records, index: int, tare_weighed: datetime) -> str:
    truck = DEMO_MIX[index]
    masterdata.seed(records.engine, [truck])
    with Session(records.engine) as session:
        vehicle = session.exec(select(Vehicle).where(Vehicle.plate == truck.plate)).one()
    assert vehicle.id is not None
    correct_tare(records.engine, vehicle.id, TARE, tare_weighed, "technician", "weighed empty on the test")
    return truck.plate


def _weighed_in(records: Records, plate: str, verdict: str | None) -> str:
    adm = records.admit(plate, "1")
    assert isinstance(adm, Admission) and adm.kind == "in"
    records.record_weight(adm.visit, "in", GROSS, "pty", IDENTITY)
    records.record_decision(adm.visit, verdict, [] if verdict in (None, "pass") else ["muddy"], None)
    return adm.visit


def test_the_machine_says_a_let_in_load_is_accepted_before_the_plant_arm() -> None:
    inspecting = replace(LaneState(), phase=Phase.INSPECTING, visit="v1", kind="in", weight_kg=GROSS)
    for verdict in ("pass", None):
        _, commands = on_inspected(inspecting, InspectionDone(10.0, verdict))
        assert commands == [LoadAccepted("v1"), Barrier("plant", True)]
    _, back = on_inspected(inspecting, InspectionDone(10.0, "reject", ("muddy",)))
    assert not any(isinstance(c, LoadAccepted) for c in back)


def test_a_delivery_on_the_stored_tare_is_ticketed_netted_and_chained(records: Records, db_path: Path) -> None:
    plate = _truck(records, 0, NOW - timedelta(days=10))
    visit = _weighed_in(records, plate, "pass")
    used = use_stored_tare(records.engine, visit, MAX_AGE, now=NOW)
    assert used is not None and (used.tare_kg, used.recorded_at) == (TARE, NOW)
    assert use_stored_tare(records.engine, visit, MAX_AGE, now=NOW + timedelta(hours=1)).id == used.id   # once

    ticket = issue_ticket(records.engine, visit, PLANT)
    assert (ticket.gross_kg, ticket.second_kg, ticket.second_kind, ticket.tare_source) == (GROSS, TARE, "tare", "stored")
    assert ticket.net_kg == GROSS - TARE and ticket.received
    assert ticket.tare_at is not None and ticket.tare_at.replace(tzinfo=timezone.utc) == NOW - timedelta(days=10)
    rows = {r.en: r.value for r in layout(ticket, BASE_URL, "Asia/Shanghai").rows}
    assert rows["Tare (stored)"].endswith(" kg (2026-11-21)") and "360" in rows["Tare (stored)"]   # its date, site zone
    check = check_ticket(records.engine, ticket.code)
    assert check is not None and check.vouched, check.summary()
    [line], _, _ = page(records.engine, 0, 10, "Plant 7", chain_check(records.engine))
    assert (line.net_kg, line.second_kind, line.verified) == (GROSS - TARE, "tare", True)
    assert verify(records.engine, KEY).ok

    again = records.admit(plate, "1")   # back at the gate: a new delivery, not this one's weigh-out
    assert isinstance(again, Admission) and again.kind == "in" and again.visit != visit

    with sqlite3.connect(db_path) as raw:   # the tare it was paid on, lowered by 2 t
        raw.execute("UPDATE stored_tare_use SET tare_kg = tare_kg - 2000")
    check = check_ticket(records.engine, ticket.code)
    assert check is not None and not check.vouched and "stored_tare_use" in check.bad_rows
    [line], _, _ = page(records.engine, 0, 10, "Plant 7", chain_check(records.engine))
    assert line.verified is False and line.net_kg is None
    assert not verify(records.engine, KEY).ok


def test_no_stored_tare_exit_without_a_valid_tare_or_a_let_in_load(records: Records) -> None:
    expired = _truck(records, 0, NOW - timedelta(days=MAX_AGE + 1))
    assert use_stored_tare(records.engine, _weighed_in(records, expired, "pass"), MAX_AGE, now=NOW) is None
    fresh = _truck(records, 1, NOW - timedelta(days=1))
    rejected = _weighed_in(records, fresh, "reject")
    assert use_stored_tare(records.engine, rejected, MAX_AGE, now=NOW) is None
    again = records.admit(fresh, "1")   # no record: the rejected truck still weighs out (exit weight)
    assert isinstance(again, Admission) and (again.kind, again.visit) == ("out", rejected)


def test_the_demo_gate_closes_let_in_loads_on_their_stored_tare(tmp_path: Path) -> None:
    """The whole gate on the simulated plant with one weighing allowed: every load let in gets a
    stored-tare ticket at its weigh-in (net = gross - the vehicle's stored tare, the chain
    vouching), every load sent back still weighs out, and the records verify."""
    import asyncio

    from intake.config import load_config
    from intake.demo.runner import DEMO_CONFIG, DemoOptions, run_demo
    from intake.store.db import open_engine
    from intake.store.keys import load_key
    from intake.store.stored_tare import StoredTareUse
    from intake.ticket.tables import Ticket
    from hardware.sim.plant import PlantTiming

    text = DEMO_CONFIG.read_text(encoding="utf-8").replace("[lanes.weighing]\n", "[lanes.weighing]\nstored_tare_exit = true\n", 1)
    config = tmp_path / "gate.toml"
    config.write_text(text, encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'gate.db'}"
    out: list[dict] = []
    opts = DemoOptions(trucks=4, speed=50, db=db, web=False, sampling_rate=1.0, data_dir=tmp_path / "data",
                       config=config, plant_timing=PlantTiming(one_weighing=True))
    code = asyncio.run(asyncio.wait_for(run_demo(opts, out.append), timeout=240))
    assert code == 0 and len(out) == 4
    engine = open_engine(db, load_key(load_config(DEMO_CONFIG).site.audit_key), migrate=False)
    with Session(engine) as session:
        tickets = {t.plate: t for t in session.exec(select(Ticket))}
        used = {u.visit_id: u for u in session.exec(select(StoredTareUse))}
        tares = {v.plate: v.stored_tare_kg for v in session.exec(select(Vehicle))}
    assert len(tickets) == 4 and any(t.received for t in tickets.values())
    for plate, t in tickets.items():
        if t.received:
            assert (t.tare_source, t.second_kg, t.net_kg) == ("stored", used[t.visit_id].tare_kg, t.gross_kg - t.second_kg)
            assert t.second_kg == tares[plate] and t.tare_at is not None
        else:
            assert t.second_kind == "exit" and t.visit_id not in used   # sent back: weighed out with its load
        check = check_ticket(engine, t.code)
        assert check is not None and check.vouched, check.summary()
    assert verify(engine, load_key(load_config(DEMO_CONFIG).site.audit_key)).ok
    engine.dispose()
