"""ScaleReader over real pyserial against the simulated indicator (pty and TCP)."""
from __future__ import annotations

import socket
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterator

import pytest

from hardware.scale.codecs import UnknownProtocol
from hardware.scale.frame import FrameError, WeightFrame
from hardware.scale.reader import PeriodEstimator, ScaleReader, next_backoff, weight_known
from hardware.scale.simulator import IndicatorSimulator

Wait = Callable[..., object]


class Weight:
    """A weight source the test can change while the simulator runs."""

    def __init__(self, kg: int, motion: bool = False) -> None:
        self.value = (kg, motion)

    def __call__(self) -> tuple[int, bool]:
        return self.value


def known_weight(reader: ScaleReader) -> Decimal | None:
    reading = reader.latest()
    return reading.frame.weight if reading.known and reading.frame else None


@pytest.fixture
def sim() -> Iterator[IndicatorSimulator]:
    with IndicatorSimulator(Weight(1560), period=0.02) as s:
        yield s


# --- pure parts -------------------------------------------------------------------------

def test_weight_known_boundaries() -> None:
    assert weight_known(10.0, 10.2, 0.1)
    assert not weight_known(10.0, 10.2001, 0.1)
    assert not weight_known(None, 0.0, 0.1)


def test_backoff_doubles_and_is_capped() -> None:
    delays, d = [], 0.1
    for _ in range(6):
        d = next_backoff(d, 0.1, 1.0)
        delays.append(d)
    assert delays == pytest.approx([0.2, 0.4, 0.8, 1.0, 1.0, 1.0])


def test_period_estimator_ignores_bursts_and_one_gap() -> None:
    est = PeriodEstimator()
    assert est.period is None
    for t in (0.0, 0.1, 0.1, 0.2, 0.3, 5.0, 5.1, 5.2):  # a read with two frames; one outage
        est.add(t)
    assert est.period == pytest.approx(0.1)


def test_bad_configuration_fails_at_construction() -> None:
    with pytest.raises(UnknownProtocol):
        ScaleReader("loop://", "nope")
    with pytest.raises(ValueError):
        ScaleReader("loop://", parity="X")
    with pytest.raises(ValueError):
        ScaleReader("nosuchscheme://x")
    with pytest.raises(ValueError):
        ScaleReader("loop://", frame_period=0)


# --- over a real pty --------------------------------------------------------------------

def test_reads_frames_over_pyserial(sim: IndicatorSimulator, wait_for: Wait) -> None:
    seen: list[WeightFrame | FrameError] = []
    with ScaleReader(sim.port, on_frame=seen.append, ring_size=4) as reader:
        assert wait_for(lambda: known_weight(reader)) == Decimal(1560)
        wait_for(lambda: len(seen) >= 5)
        reading = reader.latest()
        assert reading.frame is not None and reading.frame.stable and reading.epoch == 1
        stats = reader.stats()
        assert stats.connected and stats.errors == 0 and stats.frames >= 5
        assert 0 < len(reader.raw_tail()) <= 4  # bounded ring of raw chunks
        assert all(isinstance(item, WeightFrame) for item in seen)


def test_unknown_within_two_configured_frame_periods_of_silence(
    sim: IndicatorSimulator, wait_for: Wait
) -> None:
    period = 0.05
    with ScaleReader(sim.port, frame_period=period) as reader:
        wait_for(lambda: reader.latest().known)
        sim.silence(0.5)
        wait_for(lambda: not reader.latest().known, interval=0.001)
        went_unknown = time.monotonic()
        last = reader.stats().last_frame_at
        assert last is not None
        # not earlier than 2 periods after the last frame, and not much later
        assert 2 * period <= went_unknown - last <= 2 * period + 0.04
        assert reader.latest().frame is None  # unknown never carries the stale weight
        assert wait_for(lambda: known_weight(reader), timeout=2) == 1560  # back after silence


def test_measured_frame_period_drives_the_staleness_deadline(
    sim: IndicatorSimulator, wait_for: Wait
) -> None:
    with ScaleReader(sim.port) as reader:  # no frame_period: measured
        wait_for(lambda: reader.stats().frames >= 10)
        period = reader.frame_period
        assert period is not None and 0.01 < period < 0.04
        sim.silence(0.5)
        wait_for(lambda: not reader.latest().known, interval=0.001)
        last = reader.stats().last_frame_at
        assert last is not None and time.monotonic() - last <= 2 * period + 0.04


def test_noise_alone_never_makes_the_weight_known(sim: IndicatorSimulator, wait_for: Wait) -> None:
    with ScaleReader(sim.port, frame_period=0.02) as reader:
        wait_for(lambda: reader.latest().known)
        sim.silence(0.4)
        wait_for(lambda: not reader.latest().known)
        for _ in range(5):
            sim.inject_noise(50)
            time.sleep(0.03)
            assert not reader.latest().known
        wait_for(lambda: reader.stats().skipped_bytes >= 200)


def test_noise_is_skipped_and_frames_keep_coming(sim: IndicatorSimulator, wait_for: Wait) -> None:
    with ScaleReader(sim.port) as reader:
        wait_for(lambda: reader.stats().frames >= 3)
        sim.inject_noise(300)
        wait_for(lambda: sim.pending_faults() == 0)
        assert [(d.kind, d.delivered) for d in sim.damage()] == [("noise", True)]
        wait_for(lambda: reader.stats().skipped_bytes >= 300)  # the reader met the noise
        frames = reader.stats().frames
        wait_for(lambda: reader.stats().frames >= frames + 5)
        stats = reader.stats()
        assert stats.skipped_bytes == 300 and stats.errors == 0
        assert known_weight(reader) == 1560


def test_corrupted_frames_are_counted_and_never_become_weights(
    sim: IndicatorSimulator, wait_for: Wait
) -> None:
    seen: list[WeightFrame | FrameError] = []
    with ScaleReader(sim.port, on_frame=seen.append) as reader:
        wait_for(lambda: reader.stats().frames >= 2)
        sim.corrupt_next(3)
        wait_for(lambda: reader.stats().errors == 3)
        frames = reader.stats().frames
        wait_for(lambda: reader.stats().frames >= frames + 3)
        assert sum(isinstance(i, FrameError) for i in seen) == 3
        assert {i.weight for i in seen if isinstance(i, WeightFrame)} == {1560}


def test_7e1_line_with_parity_bits(wait_for: Wait) -> None:
    with IndicatorSimulator(Weight(880, motion=True), period=0.02, parity_bit=True) as s, \
            ScaleReader(s.port, bytesize=7, parity="E") as reader:
        frame = wait_for(lambda: reader.latest().frame)
        assert isinstance(frame, WeightFrame) and (frame.weight, frame.stable) == (880, False)
        assert reader.stats().errors == 0


def test_bytes_queued_while_nobody_read_are_discarded_on_open(wait_for: Wait) -> None:
    weight = Weight(1000)
    with IndicatorSimulator(weight, period=0.01) as s:
        wait_for(lambda: s.frames_sent >= 10)  # queued in the pty, nobody reading
        weight.value = (2000, False)
        time.sleep(0.05)  # a frame built just before the change has gone out by now
        seen: list[WeightFrame | FrameError] = []
        with ScaleReader(s.port, on_frame=seen.append):
            wait_for(lambda: len(seen) >= 3)
    assert {i.weight for i in seen if isinstance(i, WeightFrame)} == {2000}


def test_a_raising_callback_does_not_stop_the_reader(
    sim: IndicatorSimulator, wait_for: Wait
) -> None:
    def bad(_: object) -> None:
        raise RuntimeError("consumer bug")

    with ScaleReader(sim.port, on_frame=bad) as reader:
        wait_for(lambda: reader.stats().callback_errors >= 3)
        assert reader.latest().known


def test_stop_is_prompt_and_ends_the_thread(sim: IndicatorSimulator, wait_for: Wait) -> None:
    reader = ScaleReader(sim.port)
    reader.start()
    wait_for(lambda: reader.latest().known)
    started = time.monotonic()
    assert reader.stop(timeout=1.0)
    assert time.monotonic() - started < 0.5
    assert not any(t.name.startswith("scale-reader") and t.is_alive()
                   for t in threading.enumerate())


# --- reconnects -------------------------------------------------------------------------

def test_reconnects_through_a_stable_link_when_the_pty_changes(
    tmp_path: Path, wait_for: Wait
) -> None:
    link = tmp_path / "ttyScale0"  # what a udev by-id link is to a USB adapter
    weight = Weight(1000)
    first = IndicatorSimulator(weight, period=0.02, link=link)
    first.start()
    # a long frame period: only losing the port can make the weight unknown this fast
    reader = ScaleReader(str(link), frame_period=5.0, backoff_initial=0.02, backoff_max=0.1)
    reader.start()
    try:
        assert wait_for(lambda: known_weight(reader)) == 1000
        first.stop()  # the device disappears
        wait_for(lambda: not reader.latest().known, timeout=1.0)
        assert reader.latest().epoch == 1
        weight.value = (2000, False)
        with IndicatorSimulator(weight, period=0.02, link=link):
            assert wait_for(lambda: known_weight(reader)) == 2000
            stats = reader.stats()
            assert stats.reconnects == 1 and reader.latest().epoch == 2
    finally:
        reader.stop()
        first.stop()


def test_reconnects_to_a_restarted_tcp_device_server(wait_for: Wait) -> None:
    weight = Weight(1000)
    with IndicatorSimulator(weight, period=0.02, transport="tcp") as server:
        url = server.port
        tcp_port = int(url.rsplit(":", 1)[1])
        reader = ScaleReader(url, backoff_initial=0.02, backoff_max=0.1)
        reader.start()
        assert wait_for(lambda: known_weight(reader)) == 1000
    try:
        wait_for(lambda: not reader.latest().known, timeout=1.0)
        wait_for(lambda: reader.stats().open_failures >= 2)  # server down: refused, retried
        weight.value = (3000, False)
        with IndicatorSimulator(weight, period=0.02, transport="tcp", tcp_port=tcp_port):
            assert wait_for(lambda: known_weight(reader)) == 3000
            assert reader.stats().reconnects == 1
    finally:
        reader.stop()


def test_missing_port_is_retried_with_capped_backoff(tmp_path: Path, wait_for: Wait) -> None:
    path = tmp_path / "ttyUSB-absent"
    reader = ScaleReader(str(path), backoff_initial=0.01, backoff_max=0.04)
    started = time.monotonic()
    reader.start()
    try:
        wait_for(lambda: reader.stats().open_failures >= 10, timeout=20)
        taken = time.monotonic() - started
        # Ten tries wait 0.02 + 8 x 0.04 = 0.34 s at least: a busy loop takes milliseconds.
        # Uncapped (0.02, 0.04, ... 5.12) they would take over 10 s; a loaded machine slows the
        # capped ones, but not fifteenfold.
        assert 0.3 <= taken < 5.0, taken
        assert not reader.latest().known and reader.latest().epoch == 0
        with IndicatorSimulator(Weight(42), period=0.02, link=path):
            assert wait_for(lambda: known_weight(reader), timeout=2) == 42
    finally:
        assert reader.stop()


def test_tcp_peer_that_accepts_then_closes_is_survived(wait_for: Wait) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    reader = ScaleReader(f"socket://127.0.0.1:{port}", backoff_initial=0.01, backoff_max=0.05)
    reader.start()
    try:
        for _ in range(3):
            conn, _ = server.accept()
            conn.close()  # drops every connection at once, like a flaky device server
        wait_for(lambda: reader.stats().reconnects >= 2)
        assert not reader.latest().known
    finally:
        reader.stop()
        server.close()
