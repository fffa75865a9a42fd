"""The guided verification: one prompt per test step, one stable reading per step, each
compared with its MPE. The frames come from a real ScaleReader through a bounded queue."""
from __future__ import annotations

import queue
import time
from decimal import Decimal
from typing import Callable

from hardware.scale.frame import FrameError, WeightFrame
from hardware.scale.verification import AccuracyClass, StepResult, TestStep, evaluate
from intake.metrology.capture import StableWindow, StepCapture, capture_band

Item = WeightFrame | FrameError
FrameQueue = "queue.Queue[tuple[float, Item]]"
Prompt = Callable[[int, int, TestStep], None]   # may block until the technician confirms
Report = Callable[[StepResult], None]


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


def take_reading(frames: "queue.Queue[tuple[float, Item]]", capture: StepCapture,
                 timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            t, item = frames.get(timeout=0.05)
        except queue.Empty:
            continue
        if capture.feed(t, item):
            return


def run_plan(frames: "queue.Queue[tuple[float, Item]]", plan: list[TestStep], e: Decimal,
             cls: AccuracyClass, *, in_service: bool, prompt: Prompt, report: Report,
             confirmed: bool, stable_time: float, step_timeout: float) -> list[StepResult]:
    """Run every step. ``confirmed``: the technician confirms each placement (interactive), so
    only frames after the confirmation count; otherwise a visible load change is awaited."""
    results: list[StepResult] = []
    previous: Decimal | None = None
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
        result = evaluate(step, reading, e, cls, in_service=in_service, note=note)
        report(result)
        results.append(result)
        if reading is not None:
            previous = reading
    return results
