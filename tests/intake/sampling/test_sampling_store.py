"""The sampling decision on a real SQLite file: history from the gate's records, lots from the
weighings, modes from the decisions, seeds committed before use, and the record of every input."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from intake.sampling.audit import recompute
from intake.sampling.keyed import draw
from intake.sampling.policy import PolicyParams, SupplierHistory, after_truck
from intake.sampling.seeds import published
from intake.sampling.service import inputs_of
from intake.sampling.tables import SamplingSeed, SamplingSelection

from sampling_gate import SAND, SITE

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY1 = datetime(2025, 3, 1, 7, 0, tzinfo=SHANGHAI)


def rows(gate) -> list[SamplingSelection]:
    with Session(gate.records.engine) as session:
        return list(session.exec(select(SamplingSelection).order_by(SamplingSelection.id)))


def test_store_history_matches_the_pure_twin_truck_by_truck(gate_factory):
    """Lots fill from real nets (a rejected truck delivers nothing), results come from the newest
    decisions; the recorded history before each truck equals the pure model's."""
    gate = gate_factory(rate=0.3, lot_tonnes=100)
    params = PolicyParams(rate=0.3, lot_size_kg=100_000)
    twin = SupplierHistory(supplier="hx-sand", material="sand")
    rejects_left = 2
    for i in range(48):
        truck = SAND[i % len(SAND)]
        sampled_before = len([r for r in rows(gate) if r.sampled])
        verdict = "reject" if rejects_left and sampled_before >= 3 else "pass"
        decided = gate.deliver(truck, DAY1 + timedelta(minutes=10 * i), verdict=verdict)
        row = rows(gate)[-1]
        _, recorded, _ = inputs_of(row)
        assert recorded == twin, f"truck {i}"
        assert row.load_kg == truck.load_kg                       # gross - the vehicle's stored tare
        sampled = decided.selection.sampled
        result = verdict if sampled else None
        if sampled and verdict == "reject":
            rejects_left -= 1
        twin = after_truck(twin, params, 0 if result == "reject" else truck.load_kg, sampled, result)
    modes = [r.mode for r in rows(gate)]
    assert "tightened" in modes and modes[0] == "normal"
    closed = {r.lot_id for r in rows(gate)} - {rows(gate)[-1].lot_id}
    for lot in closed:
        assert any(r.sampled for r in rows(gate) if r.lot_id == lot), lot


def test_lot_ends_are_forced_at_rate_zero(gate_factory):
    gate = gate_factory(rate=0.0, lot_tonnes=100)
    for i in range(20):
        gate.deliver(SAND[i % len(SAND)], DAY1 + timedelta(minutes=10 * i))
    delivered, expect = 0, []
    for i in range(20):
        delivered += SAND[i % len(SAND)].load_kg
        expect.append(delivered >= 100_000)
        delivered = 0 if delivered >= 100_000 else delivered
    assert [r.sampled for r in rows(gate)] == expect
    assert {r.reason for r in rows(gate) if r.sampled} == {"lot_end"}
    assert [r.lot_no for r in rows(gate) if r.sampled] == list(range(1, sum(expect) + 1))


def test_the_seed_in_use_was_committed_the_day_before(gate_factory):
    gate = gate_factory(rate=0.5)
    first = gate.deliver(SAND[0], DAY1)
    engine = gate.records.engine
    with Session(engine) as session:
        seeds = {s.day: bytes.fromhex(s.seed_hex) for s in session.exec(select(SamplingSeed))}
    assert set(seeds) == {"2025-03-01", "2025-03-02"}          # today's, and tomorrow's already
    for day, seed in seeds.items():
        com, rev = published(engine, SITE, datetime.fromisoformat(day).date())
        assert com is not None and com.sha256 == hashlib.sha256(seed).hexdigest() and rev is None
    assert first.selection.draw == draw(seeds["2025-03-01"], rows(gate)[0].visit_id)
    gate.deliver(SAND[1], DAY1 + timedelta(days=1))             # first truck of day 2
    com, rev = published(engine, SITE, DAY1.date())
    assert rev is not None and rev.seed_hex == seeds["2025-03-01"].hex()   # yesterday revealed
    assert published(engine, SITE, (DAY1 + timedelta(days=1)).date())[1] is None
    assert rows(gate)[1].draw == draw(seeds["2025-03-02"], rows(gate)[1].visit_id)


def test_local_midnight_starts_the_day(gate_factory):
    gate = gate_factory(rate=0.5)
    gate.deliver(SAND[0], datetime(2025, 3, 1, 23, 59, tzinfo=SHANGHAI))
    gate.deliver(SAND[1], datetime(2025, 3, 1, 16, 1, tzinfo=ZoneInfo("UTC")))   # 00:01 on the 2nd, local
    assert [r.day for r in rows(gate)] == ["2025-03-01", "2025-03-02"]


def test_deciding_a_visit_twice_returns_the_recorded_decision(gate_factory):
    gate = gate_factory(rate=0.5)
    decided = gate.deliver(SAND[0], DAY1)
    row = rows(gate)[0]
    again = gate.sampling.decide(row.visit_id, "hx-sand", "sand", SAND[0].plate, (7200, 2350), now=DAY1 + timedelta(days=3))
    assert again == decided and len(rows(gate)) == 1


def test_sampled_trucks_get_points_for_their_material(gate_factory):
    gate = gate_factory(rate=1.0, materials={"sand": {"points": 5}}, obstacles=[
        {"x_m": 3.5, "y_m": 0, "length_m": 0.1, "width_m": 2.35, "plates": [SAND[0].plate]}])
    decided = gate.deliver(SAND[0], DAY1)
    assert decided.selection.sampled and len(decided.points_m) == 5 and decided.plan_error is None
    assert not any(3.2 <= x <= 3.9 for x, _ in decided.points_m)
    assert decided.points_mm == [(round(x * 1000), round(y * 1000)) for x, y in decided.points_m]
    assert rows(gate)[0].point_spec["obstacles"][0]["x_m"] == 3.5
    other = gate.deliver(SAND[1], DAY1 + timedelta(minutes=5))
    assert rows(gate)[1].point_spec["obstacles"] == []          # the bar is only on the first truck
    assert len(other.points_m) == 5


def test_an_infeasible_plan_is_recorded_as_such(gate_factory):
    gate = gate_factory(rate=1.0, min_separation_m=5.0, max_attempts=200)
    decided = gate.deliver(SAND[0], DAY1)
    assert decided.selection.sampled and decided.points_m == () and "could not place" in decided.plan_error
    assert rows(gate)[0].plan_error == decided.plan_error


def test_a_gate_without_a_model_records_drawn_trucks_not_sampled(gate_factory):
    """Drawn all the same (the day's draws stay auditable), recorded not sampled with the
    reason and its input, no probe points; the audit recomputes it, and catches the input
    removed; the model back, the next truck is sampled again."""
    gate = gate_factory(rate=1.0)
    decided = gate.deliver(SAND[0], DAY1, unavailable="model_unavailable")
    assert not decided.selection.sampled and decided.selection.reason == "model_unavailable"
    assert decided.points_m == () and decided.plan_error is None
    row = rows(gate)[0]
    assert row.unavailable == "model_unavailable" and not row.sampled and row.points_m == []
    with Session(gate.records.engine) as session:
        seed = bytes.fromhex(session.exec(select(SamplingSeed).where(SamplingSeed.day == row.day)).one().seed_hex)
    assert recompute(row, seed) == []
    forged = row.model_copy(update={"unavailable": None})
    assert {m.field for m in recompute(forged, seed)} >= {"reason", "sampled"}
    assert gate.deliver(SAND[1], DAY1 + timedelta(minutes=10)).selection.sampled
