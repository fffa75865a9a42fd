"""Two weighbridge decks on one gate: a device fault on one deck's lane leaves the other lane's
trucks untouched, and with no fault both lanes serve their own trucks at once."""
from __future__ import annotations

from sqlmodel import Session, create_engine, select

from intake.store.tables import Visit

from .harness import check_invariants, run_scenario
from .injector import FaultSpec

# Reasons a device, the store or a watchdog give a load, never the material's own.
FAULT_REASONS = ("gate_io", "interlock:", "sampler:", "camera:", "weight_unknown", "watchdog", "store",
                 "inspection_timeout", "indicator_reset", "truck_not_on_deck", "no_stable_weight")


def _lanes(tmp_path) -> dict[str, set[str]]:
    with Session(create_engine(f"sqlite:///{tmp_path / 'gate.db'}")) as session:
        rows = session.exec(select(Visit.vehicle_id, Visit.lane)).all()
        from intake.store.tables import Vehicle
        plates = dict(session.exec(select(Vehicle.id, Vehicle.plate)).all())
    out: dict[str, set[str]] = {}
    for vehicle, lane in rows:
        out.setdefault(lane, set()).add(plates[vehicle])
    return out


def test_the_io_module_of_one_deck_gone_leaves_the_other_lanes_trucks_untouched(tmp_path):
    o = run_scenario(tmp_path, 4, [FaultSpec(0, "gateio.offline", at="sampling", delay_s=2.0, duration_s=12.0)],
                     lanes=2)
    check_invariants(o, touched={0})
    by_lane = _lanes(tmp_path)
    assert by_lane.keys() == {"1", "2"}
    assert by_lane["2"] == {o.trucks[1].plate, o.trucks[3].plate}   # dealt in turn: 1, 3 to the second deck
    for i in (1, 3):
        for visit in o.of(i):
            reasons = [r for rs in visit.reasons for r in rs]
            assert not [r for r in reasons if r.startswith(FAULT_REASONS)], (o.trucks[i].plate, reasons)
