"""The pure safety core: barrier supervision (arms against their orders) and the probe
interlocks from raw signals, exhaustively and by property."""
from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.modbus.gateio import ArmLimits
from intake.lane.barriers import ArmOrder, all_down, arm_faults, stamped
from intake.lane.interlocks import InterlockView, ProbeSignals, failing, view_of

DOWN, UP, MOVING, BOTH = ArmLimits(True, False), ArmLimits(False, True), ArmLimits(False, False), ArmLimits(True, True)
TRAVEL = 8.0


def orders(**open_at: float) -> dict:
    """Every arm ordered closed at 0.0, except those given: ordered open at that time."""
    return {n: ArmOrder(n in open_at, open_at.get(n, 0.0)) for n in ("entry", "plant", "return")}


def limits(**at: ArmLimits) -> dict:
    return {n: at.get(n, DOWN) for n in ("entry", "plant", "return")}


def test_an_arm_following_its_order_is_no_fault():
    assert arm_faults(orders(), limits(), 100.0, TRAVEL) == ()
    assert arm_faults(orders(plant=10.0), limits(plant=UP), 100.0, TRAVEL) == ()


def test_an_arm_gets_its_travel_time_then_is_a_fault():
    for at in (DOWN, MOVING):   # never left, or stopped halfway
        assert arm_faults(orders(plant=10.0), limits(plant=at), 18.0, TRAVEL) == ()
        assert arm_faults(orders(plant=10.0), limits(plant=at), 18.1, TRAVEL) == ("barrier_plant_not_open",)
    assert arm_faults(orders(), limits(entry=MOVING), 9.0, TRAVEL) == ("barrier_entry_not_closed",)


def test_travel_counts_from_the_first_heartbeat_after_the_write_not_from_before_it():
    # Ordered open (written) but no heartbeat read since: however long our own side stalled,
    # the arm is not yet judged; stamped at the next read, it gets its whole travel from there.
    pending = orders() | {"entry": ArmOrder(True, None)}
    assert arm_faults(pending, limits(entry=DOWN), 1_000.0, TRAVEL) == ()
    now = stamped(pending, 1_000.0)
    assert now["entry"] == ArmOrder(True, 1_000.0) and now["plant"] == pending["plant"]
    assert arm_faults(now, limits(entry=MOVING), 1_008.0, TRAVEL) == ()
    assert arm_faults(now, limits(entry=MOVING), 1_008.1, TRAVEL) == ("barrier_entry_not_open",)
    # A wiring fault needs no travel time, stamped or not.
    assert arm_faults(pending, limits(entry=BOTH), 0.0, TRAVEL) == ("barrier_entry_limits",)


def test_an_arm_that_leaves_its_position_later_is_a_fault_at_once():
    # Ordered closed long ago, now lifted by hand or by a failing brake.
    assert arm_faults(orders(), limits(**{"return": MOVING}), 500.0, TRAVEL) == ("barrier_return_not_closed",)


def test_both_limits_made_is_a_wiring_fault_immediately():
    assert arm_faults(orders(), limits(entry=BOTH), 0.0, TRAVEL) == ("barrier_entry_limits",)


def test_all_down_needs_every_order_closed_and_every_switch_down():
    assert all_down(orders(), limits())
    assert not all_down(orders(entry=1.0), limits())
    for at in (UP, MOVING, BOTH):
        assert not all_down(orders(), limits(plant=at))


SAFE = ProbeSignals(inspecting=True, recorded_kg=39_800, weight_kg=39_800, unknown_for_s=0.0, motion=False, positioned=True,
                    arms_down=True, driver_out=True, zone_intrusion=False, io_stale=False, lane_faults=(),
                    boom_clear=None)


def test_all_interlocks_hold_when_everything_is_safe():
    assert failing(view_of(SAFE, 100, 5.0)) == []
    assert failing(view_of(replace(SAFE, boom_clear=True), 100, 5.0)) == []


def test_each_unsafe_signal_breaks_its_own_interlock():
    cases = {
        "weight_recorded": dict(inspecting=False),
        "truck_steady": dict(motion=True),
        "barriers_closed": dict(arms_down=False),
        "driver_out": dict(driver_out=False),
        "boom_clear": dict(boom_clear=False),
        "zone_clear": dict(zone_intrusion=True),
        "io_alive": dict(io_stale=True),
        "lane_ok": dict(lane_faults=("barrier_plant_not_closed",)),
    }
    assert set(cases) == set(vars(view_of(SAFE, 100, 5.0)))
    for name, change in cases.items():
        assert failing(view_of(replace(SAFE, **change), 100, 5.0)) == [name]
    for change in (dict(weight_kg=None, unknown_for_s=5.1), dict(weight_kg=39_901), dict(positioned=False),
                   dict(recorded_kg=None, inspecting=True)):
        assert "truck_steady" in failing(view_of(replace(SAFE, **change), 100, 5.0))


def test_a_short_gap_in_the_indicator_frames_is_no_break():
    assert failing(view_of(replace(SAFE, weight_kg=None, unknown_for_s=5.0), 100, 5.0)) == []


signals = st.builds(
    ProbeSignals, inspecting=st.booleans(), recorded_kg=st.one_of(st.none(), st.just(39_800)),
    weight_kg=st.one_of(st.none(), st.integers(39_600, 40_000)), unknown_for_s=st.sampled_from([0.0, 4.9, 5.1, 60.0]),
    motion=st.sampled_from([None, False, True]),
    positioned=st.booleans(), arms_down=st.booleans(), driver_out=st.booleans(), zone_intrusion=st.booleans(),
    io_stale=st.booleans(), lane_faults=st.sampled_from([(), ("gate_io_frozen",)]),
    boom_clear=st.sampled_from([None, True, False]))


@settings(max_examples=500, deadline=None)
@given(st.lists(signals, min_size=1, max_size=40))
def test_no_probe_motion_while_any_interlock_is_broken(seq):
    """A probe cycle driven by the interlocks, for any sequence of signals: it may start only
    when nothing is unsafe, and it stops at the first unsafe signal. The oracle below says
    what unsafe is in its own words, not through the code under test."""
    moving = False
    for s in seq:
        blind = s.weight_kg is None and s.unknown_for_s > 5.0
        shifted = s.weight_kg is not None and (s.motion is True or abs(s.weight_kg - (s.recorded_kg or 0)) > 100)
        unsafe = (not s.inspecting or s.recorded_kg is None or blind or shifted
                  or not s.positioned or not s.arms_down
                  or not s.driver_out or s.zone_intrusion or s.io_stale or bool(s.lane_faults)
                  or (not moving and s.boom_clear is False))
        broken = failing(view_of(replace(s, boom_clear=None) if moving else s, 100, 5.0))
        moving = not broken                    # start when all hold, stop on any break
        assert not (moving and unsafe), f"probe moving on {s}"
        assert moving or unsafe, f"probe refused on safe signals {s}"


def test_the_view_names_the_interlocks_in_a_stable_order():
    assert list(vars(InterlockView(*(True,) * 5))) == [
        "weight_recorded", "truck_steady", "barriers_closed", "driver_out", "boom_clear",
        "zone_clear", "io_alive", "lane_ok"]
