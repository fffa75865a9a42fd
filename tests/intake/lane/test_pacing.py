"""Liveness limits on a fast clock: the plant's values at 1x, a wall-time floor above it."""
from __future__ import annotations

from hypothesis import given, strategies as st

from intake.config import load_config
from intake.demo.runner import DEMO_CONFIG
from intake.lane.pacing import LIVENESS_MIN_WALL_S, liveness_s, paced


@given(st.floats(0.01, 600.0), st.floats(0.01, 1.0))
def test_at_plant_speed_and_slower_the_configured_limit_stands(limit, speed):
    assert liveness_s(limit, speed) == limit


@given(st.floats(0.01, 600.0), st.floats(1.0, 200.0, exclude_min=True))
def test_above_1x_a_limit_is_never_under_the_wall_floor_nor_under_its_value(limit, speed):
    got = liveness_s(limit, speed)
    assert got >= limit and got / speed >= LIVENESS_MIN_WALL_S - 1e-12
    assert got in (limit, speed * LIVENESS_MIN_WALL_S)


def test_the_demo_lane_at_50x_keeps_its_limits_at_half_a_second_of_wall_time():
    lane = load_config(DEMO_CONFIG).lanes[0]
    fast = paced(lane, 50.0)
    assert fast.weighing.unknown_timeout_s == 25.0 and lane.weighing.unknown_timeout_s == 5.0
    assert fast.safety.io_heartbeat_timeout_s == 25.0 and fast.sampler.heartbeat_timeout_s == 25.0
    assert fast.safety.barrier_travel_s == 25.0
    # Everything else is the lane's own, and the original is untouched.
    assert fast.weighing.stable_time_s == lane.weighing.stable_time_s and fast.scale == lane.scale
    assert paced(lane, 1.0) == lane
