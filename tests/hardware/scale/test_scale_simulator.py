"""The simulated indicator on a real pty (and TCP): bytes pass unchanged, faults are real."""
from __future__ import annotations

import os
import select
import socket
import time
from typing import Callable

import pytest

from hardware.scale.frame import WeightFrame
from hardware.scale.simulator import MIN_WALL_PERIOD, IndicatorSimulator
from hardware.scale.toledo import ToledoDecoder
from hardware.sim.clock import SimClock


def _read_for(fd: int, seconds: float) -> bytes:
    out = bytearray()
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if select.select([fd], [], [], left)[0]:
            out += os.read(fd, 4096)
    return bytes(out)


def _hung_up(fd: int) -> bool:
    for _ in range(1000):
        try:
            if os.read(fd, 65536) == b"":
                return True
        except BlockingIOError:
            return False  # still connected, just nothing to read
        except OSError:
            return True
    return False


def _decode(data: bytes) -> tuple[list, ToledoDecoder]:
    d = ToledoDecoder()
    return d.feed(data), d


def test_pty_passes_frames_byte_exact_including_cr_and_bit_7() -> None:
    # Read the slave with plain os.read (no pyserial, which would set raw mode itself):
    # proves the simulator made the pty raw, so CR is not turned into LF and bit 7 survives.
    with IndicatorSimulator(lambda: (1560, False), period=0.01, parity_bit=True) as sim:
        assert sim.port.startswith("/dev/pts/")
        fd = os.open(sim.port, os.O_RDONLY | os.O_NOCTTY)
        try:
            data = _read_for(fd, 0.15)
        finally:
            os.close(fd)
    items, d = _decode(data)
    assert d.frames >= 5 and d.errors == 0
    assert all(isinstance(i, WeightFrame) and i.weight == 1560 for i in items)
    assert b"\x8d" in data  # CR with its parity bit, untouched
    assert d.skipped_bytes == 0  # with CR->LF translation every frame would be skipped


def test_tcp_mode_serves_frames_to_a_client() -> None:
    with IndicatorSimulator(lambda: (2500, True), period=0.01, transport="tcp") as sim:
        host, port = sim.port.removeprefix("socket://").split(":")
        with socket.create_connection((host, int(port)), timeout=2) as client:
            client.settimeout(2)
            data = b""
            while len(data) < 18 * 3:
                data += client.recv(4096)
    items, _ = _decode(data)
    assert items and all(isinstance(i, WeightFrame) and (i.weight, i.stable) == (2500, False)
                         for i in items)


def test_frames_follow_the_weight_source() -> None:
    weights = iter(range(1000, 10_000_000, 10))
    with IndicatorSimulator(lambda: (next(weights), False), period=0.01) as sim:
        fd = os.open(sim.port, os.O_RDONLY | os.O_NOCTTY)
        try:
            data = _read_for(fd, 0.1)
        finally:
            os.close(fd)
    got = [i.weight for i in _decode(data)[0]]
    assert len(got) >= 3 and got == sorted(got) and len(set(got)) == len(got)


def test_weight_beyond_six_digits_is_sent_as_overload() -> None:
    sim = IndicatorSimulator(lambda: (0, False))
    (item,) = ToledoDecoder().feed(sim._frame(2_000_000, False, corrupt=False))
    assert isinstance(item, WeightFrame) and item.overload and item.weight == 999_999


def test_corrupted_frame_without_checksum_has_a_bad_digit() -> None:
    sim = IndicatorSimulator(lambda: (0, False), checksum=False)
    (item,) = ToledoDecoder(checksum=False).feed(sim._frame(1234, False, corrupt=True))
    assert not isinstance(item, WeightFrame)


def test_wall_period_scales_with_the_clock_and_is_clamped() -> None:
    assert IndicatorSimulator(lambda: (0, False), clock=SimClock(10), period=0.1).wall_period \
        == pytest.approx(0.01)
    assert IndicatorSimulator(lambda: (0, False), clock=SimClock(1000), period=0.1).wall_period \
        == MIN_WALL_PERIOD


def test_nobody_reading_drops_bytes_instead_of_blocking(wait_for: Callable) -> None:
    with IndicatorSimulator(lambda: (1, False), period=0.005) as sim:
        sim.inject_noise(300_000)  # far more than a pty buffers
        wait_for(lambda: sim.dropped_bytes > 0)
        progress = sim.frames_sent + sim.dropped_bytes
        time.sleep(0.05)
        # still ticking (frames sent or dropped), not stuck in a blocking write()
        assert sim.running and sim.frames_sent + sim.dropped_bytes > progress
        started = time.monotonic()
    assert not sim.running
    assert time.monotonic() - started < 1.0


def test_a_failing_weight_source_is_counted_not_fatal(wait_for: Callable) -> None:
    def broken() -> tuple[int, bool]:
        raise RuntimeError("scenario bug")

    with IndicatorSimulator(broken, period=0.005) as sim:
        wait_for(lambda: sim.source_errors >= 3)
        assert sim.running


def test_stop_closes_the_pty() -> None:
    sim = IndicatorSimulator(lambda: (1, False), period=0.005)
    port = sim.start()
    fd = os.open(port, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        sim.stop()
        assert not sim.running
        # master closed: the slave reads EOF or EIO once the buffer drains (hang-up)
        assert _hung_up(fd)
    finally:
        os.close(fd)


def test_link_follows_the_current_pty_and_is_removed(tmp_path) -> None:
    link = tmp_path / "ttyScale"
    with IndicatorSimulator(lambda: (1, False), link=link) as sim:
        assert os.readlink(link) == sim.port
    assert not link.exists() and not link.is_symlink()
