from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.sampling import Bed, PlanError, keyed_draw, make_plan, sample_points


@given(visit=st.text(min_size=1, max_size=20), n=st.integers(1, 8),
       length=st.floats(2.0, 14.0), width=st.floats(1.5, 3.0), margin=st.floats(0.0, 0.7))
def test_points_inside_bed_with_margin_and_reproducible(visit, n, length, width, margin):
    bed = Bed(length, width)
    pts = sample_points("secret-1", visit, bed, n, margin)
    assert len(pts) == n
    for x, y in pts:
        assert margin - 1e-3 <= x <= length - margin + 1e-3
        assert margin - 1e-3 <= y <= width - margin + 1e-3
    assert pts == sample_points("secret-1", visit, bed, n, margin)


def test_selection_rate_is_honoured_and_depends_on_the_secret():
    draws = [keyed_draw("s3cret-a", f"visit-{i}") for i in range(4000)]
    share = sum(d < 0.25 for d in draws) / len(draws)
    assert 0.22 < share < 0.28
    assert keyed_draw("s3cret-a", "v") != keyed_draw("s3cret-b", "v")


def test_plan_unsampled_has_no_points_and_rate_one_always_samples():
    assert make_plan("s3cret", "v", 0.0, Bed(7, 2.3), 3, 0.3).points_m == ()
    plan = make_plan("s3cret", "v", 1.0, Bed(7, 2.3), 3, 0.3)
    assert plan.sampled and len(plan.points_m) == 3


def test_margin_larger_than_bed_is_an_error():
    with pytest.raises(PlanError, match="no room"):
        sample_points("s", "v", Bed(1.0, 0.5), 3, 0.3)
