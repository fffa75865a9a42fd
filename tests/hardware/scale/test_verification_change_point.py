"""The R 76 change-point method (error before rounding), as pure code: the formula, the zero
correction, and recovery of a scale's hidden error from a display rounded to e."""
from __future__ import annotations

import queue
import threading
import time
from decimal import ROUND_HALF_UP, Decimal as D

import pytest
from hypothesis import given, settings, strategies as st

from hardware.scale.frame import WeightFrame
from hardware.scale.verification import (
    TestStep, change_point_error, evaluate, evaluate_change_point,
)
from intake.metrology.verify_flow import find_change_point

E = D(20)


def shown(true_kg: D, e: D = E) -> D:
    """A display rounded to e (half up), as an indicator shows it."""
    return (true_kg / e).quantize(D(1), rounding=ROUND_HALF_UP) * e


def change_point(true_kg: D, e: D = E) -> D:
    """What the technician finds: 0.1 e weights added until the display steps up by e."""
    start, n = shown(true_kg, e), 1
    while shown(true_kg + n * e / 10, e) == start:
        n += 1
    return n * e / 10


def test_error_before_rounding_formula() -> None:
    assert change_point_error(D(10_000), D(10_000), D(6), E) == D(4)   # I + e/2 - dL - L
    with pytest.raises(ValueError):
        change_point_error(D(0), D(0), D(0), E)
    with pytest.raises(ValueError):
        change_point_error(D(0), D(0), D(21), E)


def test_zero_error_corrects_the_load_error() -> None:
    zero = evaluate_change_point(TestStep("zero", D(0)), D(0), D(6), E)
    assert (zero.error, zero.mpe, zero.passed, zero.added) == (D(4), D(5), True, D(6))
    load = evaluate_change_point(TestStep("rising", D(10_000)), D(10_020), D(16), E,
                                 zero_error=zero.error)
    assert (load.error, load.mpe, load.passed) == (D(10), D(10), True)   # 14 - 4, on the MPE
    assert "E0 4" in load.note and load.to_json()["change_point_kg"] == "16"
    uncorrected = evaluate_change_point(TestStep("rising", D(10_000)), D(10_020), D(16), E)
    assert uncorrected.error == D(14) and not uncorrected.passed and "uncorrected" in uncorrected.note


def test_a_rounded_display_hides_an_error_the_change_point_finds() -> None:
    load, true_error = D(40_000), D(25)                    # 2000 e: MPE 1 e = 20 kg
    indication = shown(load + true_error)
    assert evaluate(TestStep("rising", load), indication, E).passed   # rounded: 20, passes
    added = change_point(load + true_error)
    result = evaluate_change_point(TestStep("rising", load), indication, added, E, zero_error=D(0))
    assert result.error == D(24) and not result.passed


@settings(max_examples=200, deadline=None)
@given(st.integers(20, 3000), st.integers(-150, 150), st.integers(-40, 40))
def test_the_method_recovers_the_hidden_error_within_a_tenth_of_e(load_e: int, err10: int,
                                                                 zero10: int) -> None:
    """Any scale: true error (in 0.1 kg) at the load, a zero offset; Ec within 0.1 e of it."""
    load, error, offset = load_e * E, D(err10) / 10, D(zero10) / 10
    zero = evaluate_change_point(TestStep("zero", D(0)), shown(offset), change_point(offset), E)
    at_load = load + offset + error
    result = evaluate_change_point(TestStep("rising", load), shown(at_load), change_point(at_load),
                                   E, zero_error=zero.error)
    assert abs(result.error - error) <= E / 10 + E / 10   # each of E and E0 within 0.1 e


class Display:
    """An indicator thread: a stable frame of the rounded display every 20 ms into the queue."""

    def __init__(self, display) -> None:
        self.frames: queue.Queue = queue.Queue()
        self.added, self.asked = D(0), []
        self._display, self._stop = display, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            kg = self._display(self.added)
            self.frames.put((time.monotonic(), WeightFrame(kg, "kg", True, False, None, False, False)))

    def add(self, step: TestStep, small: D, total: D) -> None:  # one more small weight on
        self.asked.append(total)
        self.added = total

    def close(self) -> None:
        self._stop.set()
        self._thread.join(1)


def test_find_change_point_asks_until_the_display_steps_up_once() -> None:
    true_kg = D(10_014)
    display = Display(lambda added: shown(true_kg + added))
    try:
        got = find_change_point(display.frames, TestStep("rising", D(10_000)), shown(true_kg), E,
                                add=display.add, stable_time=0.1, timeout=2)
    finally:
        display.close()
    assert got == D(16) and display.asked == [D(2) * n for n in range(1, 9)]


@pytest.mark.parametrize("jump", [D(40), D(0)])   # two e at once / never moves
def test_find_change_point_refuses_a_display_that_jumps_or_never_moves(jump: D) -> None:
    display = Display(lambda added: D(10_000) + (jump if added >= 6 else 0))
    try:
        got = find_change_point(display.frames, TestStep("rising", D(10_000)), D(10_000), E,
                                add=display.add, stable_time=0.1, timeout=2)
    finally:
        display.close()
    assert got is None and display.asked[-1] == (D(6) if jump else D(20))
