"""The guided verification: one prompt per test step, one stable reading per step, each
compared with its MPE. The frames come from a real ScaleReader through a bounded queue."""
from __future__ import annotations

import queue
import time
from decimal import Decimal
from typing import Callable, TypeVar

from hardware.scale.frame import FrameError, WeightFrame
from hardware.scale.verification import (
    CHANGE_POINT_FRACTION, CHANGE_POINT_MAX_STEPS, AccuracyClass, StepResult, TestStep, evaluate,
    evaluate_change_point,
)
from intake.metrology.capture import StableWindow, StepCapture, capture_band

Item = WeightFrame | FrameError
T = TypeVar("T")
FrameQueue = "queue.Queue[tuple[float, Item]]"
Prompt = Callable[[int, int, TestStep], None]   # may block until the technician confirms
Report = Callable[[StepResult], None]
AddPrompt = Callable[[TestStep, Decimal, Decimal], None]  # (step, small weight, total added)


def frame_sink(frames: "queue.Queue[tuple[float, Item]]") -> Callable[[Item], None]:
    """A ScaleReader on_frame callback: timestamp and queue; never blocks the reader."""
    def on_frame(item: Item) -> None:
        try:
            frames.put_nowait((time.monotonic(), item))
        except queue.Full:
            pass  # a stalled consumer loses frames, never the reader thread
    return on_frame


def _drain(frames: "queue.Queue[tuple[float, Item]]") -> None:
    while True:
        try:
            frames.get_nowait()
        except queue.Empty:
            return


def _first(frames: "queue.Queue[tuple[float, Item]]", timeout: float,
           feed: Callable[[float, Item], T | None]) -> T | None:
    """Feed readings to `feed` until it returns something (not None); None on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            t, item = frames.get(timeout=0.05)
        except queue.Empty:
            continue
        result = feed(t, item)
        if result is not None:
            return result
    return None


def take_reading(frames: "queue.Queue[tuple[float, Item]]", capture: StepCapture,
                 timeout: float) -> None:
    _first(frames, timeout, lambda t, item: True if capture.feed(t, item) else None)


def settled(frames: "queue.Queue[tuple[float, Item]]", e: Decimal, stable_time: float,
            timeout: float) -> Decimal | None:
    """The next reading that holds (indicator flag, ±1 e, ``stable_time``); None on timeout."""
    return _first(frames, timeout, StableWindow(e, stable_time).feed)


def find_change_point(frames: "queue.Queue[tuple[float, Item]]", step: TestStep,
                      indication: Decimal, e: Decimal, *, add: AddPrompt, stable_time: float,
                      timeout: float) -> Decimal | None:
    """ΔL: 0.1 e weights added one at a time (``add`` returns once one is on) until the
    display shows exactly I + e. None if it never does within 1 e, or jumps past it."""
    small = e * CHANGE_POINT_FRACTION
    for n in range(1, CHANGE_POINT_MAX_STEPS + 1):
        add(step, small, small * n)
        _drain(frames)  # only readings with this weight on count
        reading = settled(frames, e, stable_time, timeout)
        if reading is None or reading < indication:
            return None
        if reading > indication:
            return small * n if reading == indication + e else None
    return None


def run_plan(frames: "queue.Queue[tuple[float, Item]]", plan: list[TestStep], e: Decimal,
             cls: AccuracyClass, *, in_service: bool, prompt: Prompt, report: Report,
             confirmed: bool, stable_time: float, step_timeout: float,
             change_point: AddPrompt | None = None) -> list[StepResult]:
    """Run every step. ``confirmed``: the technician confirms each placement (interactive), so
    only frames after the confirmation count; otherwise a visible load change is awaited.
    ``change_point``: judge each step on its error before rounding (R 76 change-point method);
    the callable asks for one more small weight and returns once it is on."""
    results: list[StepResult] = []
    previous: Decimal | None = None
    zero_error: Decimal | None = None
    for number, step in enumerate(plan, 1):
        prompt(number, len(plan), step)
        if confirmed:
            _drain(frames)
        capture = StepCapture(step.load, e, capture_band(step.load, e),
                              None if confirmed else previous, StableWindow(e, stable_time))
        take_reading(frames, capture, step_timeout)
        reading = capture.taken if capture.taken is not None else capture.fallback
        note = ""
        if capture.taken is None:
            note = ("settled far from the test load" if capture.fallback is not None
                    else f"no stable reading within {step_timeout:g} s")
        if change_point is not None and capture.taken is not None:
            result = _judge_change_point(frames, step, capture.taken, e, cls, in_service,
                                         change_point, zero_error, stable_time, step_timeout)
            if step.kind == "zero" and result.added is not None:
                zero_error = result.error
        else:
            result = evaluate(step, reading, e, cls, in_service=in_service, note=note)
        report(result)
        results.append(result)
        if reading is not None:
            previous = reading
    return results


def _judge_change_point(frames: "queue.Queue[tuple[float, Item]]", step: TestStep,
                        indication: Decimal, e: Decimal, cls: AccuracyClass, in_service: bool,
                        add: AddPrompt, zero_error: Decimal | None, stable_time: float,
                        timeout: float) -> StepResult:
    added = find_change_point(frames, step, indication, e, add=add, stable_time=stable_time,
                              timeout=timeout)
    if added is None:  # no change point: the step cannot be judged, so it does not pass
        return evaluate(step, None, e, cls, in_service=in_service,
                        note=f"no change point: the display did not step from {indication} "
                             f"to {indication + e} kg within 1 e added")
    return evaluate_change_point(step, indication, added, e, cls, in_service=in_service,
                                 zero_error=zero_error)
