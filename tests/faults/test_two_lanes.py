"""Two weighbridge decks on one gate: a device fault, a watchdog restart or a store retry on one
deck's lane leaves the other lane's trucks untouched, and with no fault both lanes serve their
own trucks at once, judging their frames on one bounded pool of ONNX sessions."""
from __future__ import annotations

import sqlite3

from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine, select

from intake.store.tables import Visit

from .harness import check_invariants, run_scenario
from .injector import FaultSpec
from .test_watchdog import _fast_watchdog

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


def _untouched(o, lane_two: tuple[int, ...] = (1, 3)) -> None:
    """The second deck's trucks: each weighed in and out, none with a device or store reason."""
    for i in lane_two:
        assert o.of(i), f"truck {i} on the second deck has no visit"
        for visit in o.of(i):
            assert {"in", "out"} <= set(visit.weights), (o.trucks[i].plate, visit)
            reasons = [r for rs in visit.reasons for r in rs]
            assert not [r for r in reasons if r.startswith(FAULT_REASONS)], (o.trucks[i].plate, reasons)


def test_a_hung_lane_loop_is_restarted_on_its_own_and_the_other_lane_never_stops(tmp_path):
    o = run_scenario(tmp_path, 4, [FaultSpec(0, "lane.hang", at="positioned", amount=1)], lanes=2,
                     setup=_fast_watchdog(3))
    check_invariants(o, touched={0})
    assert "watchdog_restart" in sum(o.first(0).reasons, []), o.first(0)
    restarts = o.gate.watchdog.restarts()
    assert restarts["lane 1"] == 1
    assert {name: n for name, n in restarts.items() if name.endswith(" 2")} == \
        {"lane 2": 0, "inspection 2": 0, "scale 2": 0, "rfid 2": 0}
    _untouched(o)


def test_a_dead_scale_thread_on_one_deck_is_restarted_and_the_other_decks_reader_runs_on(tmp_path):
    o = run_scenario(tmp_path, 4, [FaultSpec(0, "scale.thread_crash", at="positioned")], lanes=2,
                     setup=_fast_watchdog(3))
    check_invariants(o, touched={0})
    restarts = o.gate.watchdog.restarts()
    assert restarts["scale 1"] == 1 and restarts["scale 2"] == 0
    second = o.gate.lanes[1].scale.stats()
    assert second.reconnects == 0 and second.errors == 0   # its port never dropped, no frame refused
    _untouched(o)


class FailsOnce:
    """One lane's view of the store in which its first weigh-in commit fails (a locked or
    failing write for that lane's transaction only); every other call goes to the real store."""

    def __init__(self, records) -> None:
        self._records, self.failed = records, 0

    def record_weight(self, *args, **kwargs):
        if not self.failed:
            self.failed += 1
            raise OperationalError("INSERT INTO weighing", {}, sqlite3.OperationalError("disk I/O error"))
        return self._records.record_weight(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._records, name)


def test_a_store_retry_on_one_lane_leaves_the_other_lane_judging_on_the_one_bounded_session_pool(tmp_path):
    """One run for two things (the suite's time): the first lane's weigh-in commit fails and it
    retries while the second serves on, and both lanes judge their frames on a one-session pool."""
    failing: list[FailsOnce] = []

    def setup(gate) -> None:
        failing.append(FailsOnce(gate.lanes[0].records))
        gate.lanes[0].records = failing[0]

    o = run_scenario(tmp_path, 4, [], lanes=2, setup=setup, rate=1.0,
                     config_text=lambda text: text.replace("[model]\n", "[model]\nsessions = 1\n"))
    check_invariants(o, touched={0}, fired=0)
    assert failing[0].failed == 1
    assert "store" in " ".join(sum(o.first(0).reasons, [])), o.first(0)   # held for review, not lost
    assert all({"in", "out"} <= set(v.weights) for v in o.of(2)), "the first lane did not come back"
    _untouched(o)
    pool, lanes = o.gate.pool.stats(), o.gate.lanes
    assert pool.sessions == 1 and pool.sessions_created == 1 and pool.generations == 1
    per_lane = [lane.inspector.inferences for lane in lanes]
    assert all(n > 0 for n in per_lane), per_lane          # both lanes judged frames
    assert pool.borrows == sum(per_lane) and pool.busy == 0
    assert pool.peak_in_flight == 1 and pool.in_flight == 0
    assert {lane.inspector.classifier for lane in lanes} == {o.gate.model.classifier}
