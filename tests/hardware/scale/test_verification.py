"""OIML R 76 class III MPE, step evaluation, plans and the stable-reading capture: pure core."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, strategies as st

from hardware.scale.frame import FrameError, WeightFrame
from hardware.scale.verification import (
    AccuracyClass, TestStep, build_plan, default_loads, evaluate, is_decade_value, mpe_e, mpe_kg,
    parse_plan, scale_problems, verdict,
)
from intake.metrology.capture import StableWindow, StepCapture, capture_band

III = AccuracyClass.III
E = D(20)
loads_in_e = st.decimals(min_value=0, max_value=20_000, places=3, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize(("m", "expected"), [
    (D(0), D("0.5")), (D(500), D("0.5")), (D("500.001"), D(1)), (D(2000), D(1)),
    (D("2000.001"), D("1.5")), (D(10_000), D("1.5")),
])
def test_class_iii_bands_on_their_boundaries(m: D, expected: D) -> None:
    assert mpe_e(m, III) == expected
    assert mpe_e(m, III, in_service=True) == 2 * expected


def test_weighbridge_60t_20kg_in_kg() -> None:
    assert mpe_kg(D(10_000), E) == D(10) and mpe_kg(D(10_020), E) == D(20)
    assert mpe_kg(D(40_000), E) == D(20) and mpe_kg(D(60_000), E) == D(30)
    assert mpe_kg(D(60_000), E, in_service=True) == D(60)


@pytest.mark.parametrize(("cls", "first", "second"), [
    (AccuracyClass.I, 50_000, 200_000), (AccuracyClass.II, 5_000, 20_000),
    (AccuracyClass.IIII, 50, 200)])
def test_other_classes_band_limits(cls: AccuracyClass, first: int, second: int) -> None:
    assert mpe_e(D(first), cls) == D("0.5") and mpe_e(D(first + 1), cls) == 1
    assert mpe_e(D(second), cls) == 1 and mpe_e(D(second + 1), cls) == D("1.5")


@given(loads_in_e, loads_in_e, st.booleans(), st.sampled_from(list(AccuracyClass)))
def test_mpe_never_shrinks_as_the_load_grows(a: D, b: D, in_service: bool, cls: AccuracyClass) -> None:
    lo, hi = sorted((a, b))
    assert mpe_e(lo, cls, in_service=in_service) <= mpe_e(hi, cls, in_service=in_service)
    assert mpe_e(a, cls, in_service=True) == 2 * mpe_e(a, cls)
    assert mpe_e(a, cls) in (D("0.5"), D(1), D("1.5"))


def test_negative_load_is_refused() -> None:
    with pytest.raises(ValueError):
        mpe_e(D(-1))
    with pytest.raises(ValueError):
        mpe_kg(D(1), D(0))


@given(st.integers(0, 3000).map(lambda n: D(n) * E), st.integers(-100, 100).map(lambda n: D(n) * 5),
       st.booleans())
def test_a_step_passes_exactly_when_its_error_is_within_mpe(load: D, error: D, in_service: bool) -> None:
    step = TestStep("rising", load)
    result = evaluate(step, load + error, E, III, in_service=in_service)
    assert result.error == error
    assert result.passed == (abs(error) <= mpe_kg(load, E, III, in_service=in_service))


def test_zero_step_uses_the_quarter_division_and_no_reading_never_passes() -> None:
    zero = TestStep("zero", D(0))
    assert evaluate(zero, D(5), E).passed and not evaluate(zero, D(6), E).passed
    missing = evaluate(TestStep("rising", D(400)), None, E)
    assert not missing.passed and missing.note == "no stable reading"
    assert not verdict([evaluate(zero, D(0), E), missing]).passed
    assert not verdict([]).passed


def test_verdict_reports_the_worst_error_against_its_mpe() -> None:
    ok = [evaluate(TestStep("rising", D(40_000)), D(40_020), E), evaluate(TestStep("zero", D(0)), D(0), E)]
    summary = verdict(ok)
    assert summary.passed and summary.failed_steps == 0 and summary.worst_ratio == 1
    bad = verdict(ok + [evaluate(TestStep("rising", D(60_000)), D(60_040), E)])
    assert not bad.passed and bad.failed_steps == 1 and bad.worst_ratio == D(40) / D(30)


@given(st.integers(-6, 6), st.sampled_from([1, 2, 5]))
def test_decade_values(exp: int, mantissa: int) -> None:
    assert is_decade_value(D(mantissa).scaleb(exp))
    assert not is_decade_value(D(3).scaleb(exp)) and not is_decade_value(D(25).scaleb(exp))


def test_scale_identity_checks() -> None:
    assert scale_problems(D(60_000), E) == []
    assert any("not 1, 2 or 5" in p for p in scale_problems(D(60_000), D(30)))
    assert any("outside 500..10000" in p for p in scale_problems(D(300_000), E))
    assert any("whole number" in p for p in scale_problems(D(60_010), E))
    assert scale_problems(D(0), E) == ["Max and e must be > 0"]


def test_plan_goes_up_down_then_round_the_deck() -> None:
    plan = build_plan(D(60_000), E, [D(10_000), D(400), D(60_000)], sections=4)
    assert [(s.kind, s.load, s.section) for s in plan] == [
        ("zero", 0, None), ("rising", 400, None), ("rising", 10_000, None), ("rising", 60_000, None),
        ("falling", 10_000, None), ("falling", 400, None), ("zero", 0, None),
        ("eccentric", 20_000, 1), ("eccentric", 20_000, 2), ("eccentric", 20_000, 3),
        ("eccentric", 20_000, 4)]
    assert build_plan(D(60_000), E, [D(1000)], sections=6)[-1].load == D(12_000)
    with pytest.raises(ValueError):
        build_plan(D(60_000), E, [D(60_020)])
    assert default_loads(D(60_000), E) == [D(400), D(10_000), D(30_000), D(40_000), D(60_000)]


def test_printed_plan_parses_and_rejects_nonsense() -> None:
    plan = parse_plan("# morning check\nzero 0\nrising 400\n\neccentric 20000 3  # rear left\n", D(60_000))
    assert plan == [TestStep("zero", D(0)), TestStep("rising", D(400)), TestStep("eccentric", D(20_000), 3)]
    for bad in ("lift 400", "rising", "rising abc", "rising 70000", "zero 20", "rising -1", "", "rising 1 x"):
        with pytest.raises(ValueError):
            parse_plan(bad, D(60_000))


def frame(kg: int, stable: bool | None = True, **flags: bool) -> WeightFrame:
    return WeightFrame(D(kg), "kg", stable, False, None, flags.get("overload", False), False,
                       flags.get("power_up", False))


def test_window_needs_the_flag_and_the_time_and_restarts_on_a_jump() -> None:
    w = StableWindow(E, 0.4)
    assert w.feed(0.0, frame(1000)) is None and w.feed(0.3, frame(1020)) is None
    assert w.feed(0.4, frame(1000)) == 1000
    assert w.feed(0.5, frame(1000, stable=False)) is None   # motion restarts
    assert w.feed(0.6, frame(1000)) is None and w.feed(1.0, frame(1000)) == 1000
    assert w.feed(1.125, frame(1100)) is None                # beyond ±1 e: restart here
    assert w.feed(1.5, frame(1100)) is None and w.feed(1.625, frame(1100)) == 1100
    for bad in (FrameError("checksum"), frame(1100, overload=True), frame(1100, power_up=True)):
        w.feed(1.6, bad)
        assert w.feed(1.7, frame(1100)) is None


def test_window_without_motion_flag_wants_identical_frames() -> None:
    w = StableWindow(E, 0.4)
    w.feed(0.0, frame(1000, None))
    assert w.feed(0.25, frame(1020, None)) is None and w.feed(0.5, frame(1020, None)) is None
    assert w.feed(0.75, frame(1020, None)) == 1020


def test_capture_waits_for_a_change_then_for_the_load() -> None:
    cap = StepCapture(D(10_000), E, capture_band(D(10_000), E), D(400), StableWindow(E, 0.4))
    t = 0.0
    for _ in range(20):                          # the previous load, steady: not this step's
        t += 0.05
        assert not cap.feed(t, frame(400))
    for kg in (3000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000):  # part stack
        t += 0.05
        assert not cap.feed(t, frame(kg))
    assert cap.fallback == 6000 and cap.taken is None
    for _ in range(9):
        t += 0.05
        done = cap.feed(t, frame(10_020))
    assert done and cap.taken == 10_020


def test_capture_of_the_same_load_needs_motion_between() -> None:
    cap = StepCapture(D(20_000), E, capture_band(D(20_000), E), D(20_000), StableWindow(E, 0.4))
    assert not any(cap.feed(i * 0.05, frame(20_000)) for i in range(20))
    cap.feed(1.05, frame(19_000, stable=False))
    assert any(cap.feed(1.1 + i * 0.05, frame(20_000)) for i in range(10))
