"""The sampling plan and its register image."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.modbus.plan import SamplePlan, decode_plan, header_registers, point_registers


@st.composite
def plans(draw: st.DrawFn) -> SamplePlan:
    length = draw(st.integers(2, 65535))
    width = draw(st.integers(2, 65535))
    pts = draw(st.lists(st.tuples(st.integers(1, length - 1), st.integers(1, width - 1)),
                        min_size=1, max_size=8))
    return SamplePlan.of(draw(st.integers(0, 0xFFFF_FFFF)), pts, (length, width))


@given(plans())
def test_register_image_round_trips(plan: SamplePlan) -> None:
    assert decode_plan(header_registers(plan), point_registers(plan)) == plan
    assert all(0 <= r <= 0xFFFF for r in header_registers(plan) + point_registers(plan))


def test_unused_point_slots_are_zeroed() -> None:
    regs = point_registers(SamplePlan.of(1, [(10, 20)], (100, 100)))
    assert regs[:2] == [10, 20] and regs[2:] == [0] * 14


@pytest.mark.parametrize("code, points, bed", [
    (1, [], (6000, 2400)),                        # no points
    (1, [(100, 100)] * 9, (6000, 2400)),          # too many
    (1, [(6000, 100)], (6000, 2400)),             # on the bed's edge
    (1, [(100, 0)], (6000, 2400)),
    (1, [(100, 100)], (0, 2400)),                 # no bed
    (2**32, [(100, 100)], (6000, 2400)),          # code too big
])
def test_invalid_plans_are_refused(code: int, points: list[tuple[int, int]],
                                   bed: tuple[int, int]) -> None:
    with pytest.raises(ValueError):
        SamplePlan.of(code, points, bed)


def test_decode_refuses_what_a_plc_would() -> None:
    plan = SamplePlan.of(7, [(100, 100)], (6000, 2400))
    head = header_registers(plan)
    with pytest.raises(ValueError):
        decode_plan([head[0], head[1], 0, head[3], head[4]], point_registers(plan))
    with pytest.raises(ValueError):
        decode_plan([head[0], head[1], 2, head[3], head[4]], point_registers(plan))
