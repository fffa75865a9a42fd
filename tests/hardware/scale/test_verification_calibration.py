"""Multi-point load-cell calibration: least squares, linearity in e, and every refusal."""
from __future__ import annotations

import pytest
from hypothesis import assume, given, strategies as st

from hardware.scale.calibration import ADC_MAX, CalPoint, Limits, fit_points, least_squares, settle

E, MAX = 20.0, 60_000.0


def points(loads, zero=120_000.0, per_kg=40.0, bow=0.0):
    return [CalPoint(kg, zero + kg * per_kg + bow * (kg / MAX) ** 2) for kg in loads]


@given(st.floats(-1e6, 1e6), st.floats(0.001, 1000), st.lists(st.integers(-10**6, 10**6), min_size=2,
                                                               max_size=12, unique=True))
def test_least_squares_recovers_an_exact_line(intercept: float, slope: float, xs: list[int]) -> None:
    ys = [slope * x + intercept for x in xs]
    got_slope, got_intercept = least_squares([float(x) for x in xs], ys)
    assert got_slope == pytest.approx(slope, rel=1e-6)
    assert got_intercept == pytest.approx(intercept, rel=1e-6, abs=1e-3 * (1 + abs(slope) * 1e6))


def test_least_squares_needs_two_distinct_x() -> None:
    with pytest.raises(ValueError):
        least_squares([1.0], [2.0])
    with pytest.raises(ValueError):
        least_squares([1.0, 1.0], [2.0, 3.0])


@given(st.floats(1000, 5_000_000), st.floats(0.5, 100), st.lists(
    st.integers(1, 3000).map(lambda n: n * E), min_size=1, max_size=6, unique=True))
def test_a_linear_cell_fits_with_no_residual(zero: float, per_kg: float, loads: list[float]) -> None:
    assume(zero + MAX * per_kg < ADC_MAX)
    result = fit_points(points([0.0, *loads], zero, per_kg), E, MAX)
    assert result.ok, result.problems
    assert result.fit.gain_kg_per_count == pytest.approx(1 / per_kg, rel=1e-9)
    assert result.fit.worst_residual_e < 1e-6
    assert result.fit.to_kg(zero + 12_340 * per_kg) == pytest.approx(12_340, abs=1e-3)


def test_bowed_cell_fails_linearity_and_names_the_residual() -> None:
    good = fit_points(points([0, 20_000, 40_000, 60_000], bow=100.0), E, MAX)
    assert good.ok and 0 < good.fit.worst_residual_e <= 0.5
    bad = fit_points(points([0, 20_000, 40_000, 60_000], bow=2000.0), E, MAX)
    assert not bad.ok and any(p.startswith("linearity") for p in bad.problems)
    assert bad.fit.worst_residual_e > 0.5
    assert fit_points(points([0, 20_000, 40_000, 60_000], bow=2000.0), E, MAX,
                      Limits(max_residual_e=20)).ok


def test_refusals() -> None:
    def problems(pts, **kw):
        return " | ".join(fit_points(pts, E, MAX, Limits(**kw)).problems)
    assert "saturated" in problems([CalPoint(0, 1000), CalPoint(60_000, ADC_MAX)])
    assert "saturated" in problems([CalPoint(0, 1000), CalPoint(60_000, 5000, saturated=True)])
    assert "non-monotonic" in problems([CalPoint(0, 5000), CalPoint(30_000, 9000), CalPoint(60_000, 8000)])
    assert "non-monotonic" in problems([CalPoint(0, 9000), CalPoint(60_000, 1000)])
    assert "span too small" in problems(points([0, 60_000], per_kg=0.05))
    assert "no zero point" in problems(points([20_000, 60_000]))
    assert "at least two points" in problems(points([0]))
    assert "same load" in problems([CalPoint(0, 1), CalPoint(0, 2)])
    assert "beyond the ADC range" in problems(points([0, 1000], zero=8_000_000, per_kg=40))
    assert fit_points(points([0, 60_000]), E, MAX).problems == ()
    with pytest.raises(ValueError):
        fit_points(points([0, 1]), 0, MAX)


@given(st.lists(st.integers(-1000, 1000), min_size=1, max_size=50), st.integers(0, 2000))
def test_settle(samples: list[int], tolerance: int) -> None:
    got = settle(samples, tolerance)
    spread = max(samples) - min(samples)
    assert (got is None) == (spread > tolerance)
    if got is not None:
        assert min(samples) <= got[0] <= max(samples) and got[1] == spread
    assert settle([], 5) is None
