"""Where: points inside the bed and its margin, apart, off obstacles, reproducible, uniform."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.sampling.keyed import uniforms
from intake.sampling.points import Bed, PlanError, PointSpec, Rect, place_points

seeds = st.binary(min_size=32, max_size=32)
rects = st.builds(Rect, x_m=st.floats(0, 12), y_m=st.floats(0, 2.5), length_m=st.floats(0.05, 1.5),
                  width_m=st.floats(0.05, 2.5))


@settings(max_examples=300, deadline=None)
@given(seed=seeds, visit=st.text(min_size=1, max_size=12), length=st.floats(2.0, 14.0),
       width=st.floats(1.5, 3.0), n=st.integers(3, 8), margin=st.floats(0.0, 0.6),
       sep=st.floats(0.0, 1.5), obstacles=st.lists(rects, max_size=3))
def test_points_obey_every_rule_or_the_plan_fails_cleanly(seed, visit, length, width, n, margin, sep, obstacles):
    bed = Bed(length, width)
    spec = PointSpec(n=n, margin_m=margin, min_separation_m=sep, obstacles=tuple(obstacles), max_attempts=3000)
    try:
        pts = place_points(uniforms(seed, visit), bed, spec)
    except PlanError as exc:
        assert "could not place" in str(exc) or "no room" in str(exc)
        return
    assert len(pts) == n
    def edge(v: float) -> float:   # edges to the micrometre, as the plan compares them (points.py _r)
        return round(v, 6)

    for x, y in pts:
        assert edge(margin) <= x <= edge(length - margin) and edge(margin) <= y <= edge(width - margin)
        assert x == round(x, 3) and y == round(y, 3)                 # whole millimetres
        for o in obstacles:
            inside = (edge(o.x_m - margin) <= x <= edge(o.x_m + o.length_m + margin)
                      and edge(o.y_m - margin) <= y <= edge(o.y_m + o.width_m + margin))
            assert not inside
    for i, a in enumerate(pts):
        for b in pts[i + 1:]:
            assert math.dist(a, b) >= sep
    assert pts == place_points(uniforms(seed, visit), bed, spec)      # same seed and visit, same plan


@settings(max_examples=200, deadline=None)
@given(seed=seeds, visit=st.text(min_size=1, max_size=12), n=st.integers(3, 8))
def test_a_real_truck_bed_with_cross_bars_always_gets_a_plan(seed, visit, n):
    bars = (Rect(x_m=2.4, y_m=0, length_m=0.1, width_m=2.35), Rect(x_m=4.8, y_m=0, length_m=0.1, width_m=2.35))
    spec = PointSpec(n=n, margin_m=0.3, min_separation_m=0.5, obstacles=bars)
    pts = place_points(uniforms(seed, visit), Bed(7.2, 2.35), spec)
    assert len(pts) == n and not any(2.1 <= x <= 2.8 or 4.5 <= x <= 5.2 for x, _ in pts)


def test_infeasible_plans_are_plan_errors_not_endless_loops():
    with pytest.raises(PlanError, match="no room"):
        place_points(uniforms(b"k" * 32, "v"), Bed(0.5, 2.0), PointSpec(n=3, margin_m=0.3))
    with pytest.raises(PlanError, match="could not place 8 points 3.0 m apart"):
        place_points(uniforms(b"k" * 32, "v"), Bed(7.2, 2.35), PointSpec(n=8, margin_m=0.3, min_separation_m=3.0))
    whole_bed = Rect(x_m=0, y_m=0, length_m=7.2, width_m=2.35)
    with pytest.raises(PlanError, match="1 obstacle"):
        place_points(uniforms(b"k" * 32, "v"), Bed(7.2, 2.35), PointSpec(n=3, margin_m=0.3, obstacles=(whole_bed,)))


def test_points_depend_on_the_seed_and_the_visit():
    spec, bed = PointSpec(n=3, margin_m=0.3, min_separation_m=0.5), Bed(7.2, 2.35)
    a = place_points(uniforms(b"a" * 32, "v1"), bed, spec)
    assert a != place_points(uniforms(b"b" * 32, "v1"), bed, spec)
    assert a != place_points(uniforms(b"a" * 32, "v2"), bed, spec)


def test_single_points_are_uniform_over_the_usable_bed():
    """Quarters of the usable rectangle each get a quarter of 4000 points (5 sigma)."""
    bed, spec = Bed(7.2, 2.35), PointSpec(n=1, margin_m=0.3)
    counts = [0, 0, 0, 0]
    n = 4000
    for i in range(n):
        (x, y), = place_points(uniforms(b"u" * 32, f"v{i}"), bed, spec)
        counts[2 * (x >= 3.6) + (y >= 1.175)] += 1
    sigma = math.sqrt(n * 0.25 * 0.75)
    assert all(abs(c - n / 4) <= 5 * sigma for c in counts), counts
