"""ScaleReader: owns one indicator port, decodes it in a thread, reports the latest weight.

Fail-safe rules it enforces (reference reliability-and-security.md §1.E):
* L3 — a port error closes the port; it is reopened by URL (use a stable by-id link) with
  capped exponential backoff. Bytes buffered while nobody read are discarded on open.
* L4 — the weight is UNKNOWN (``known=False``, ``frame=None``) when no good frame arrived
  within ``2 x frame_period``; never the last value seen.
* L6 — ``Reading.epoch`` counts port opens; a change means the link dropped, and the lane
  must void a transaction in progress. Losing the port also makes the weight unknown at once.
  ``Reading.power_ups`` counts power-up frames (an indicator that restarted and has not zeroed):
  counted as they arrive, so a reboot is seen even when its few frames all fall between two
  looks at ``latest()``.

Command protocols (MT-SICS; Yaohua/Keli/SMA in command mode) are polled: the decoder's
``request`` is written every ``poll_period`` seconds, and each reply is one reading. Repeat
modes (MT-SICS ``SIR``) write the decoder's ``start_request`` on connect and again whenever
no good frame came for ``max(1 s, 5 x poll_period)``.
"""
from __future__ import annotations

import logging
import statistics
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

import serial

from hardware.scale.codecs import Decoder, get_decoder
from hardware.scale.frame import FrameError, WeightFrame
from hardware.threads import DeviceThread

log = logging.getLogger(__name__)

FrameCallback = Callable[[WeightFrame | FrameError], None]
STALE_FACTOR = 2.0


@dataclass(frozen=True)
class Reading:
    """The weight as of now. ``at``: monotonic arrival of ``frame`` when known, else the
    time of evaluation. ``epoch``: number of port opens so far (0 = never connected).
    ``power_ups``: power-up frames received so far."""

    frame: WeightFrame | None
    at: float
    known: bool
    epoch: int = 0
    power_ups: int = 0


@dataclass(frozen=True)
class ReaderStats:
    frames: int
    errors: int
    skipped_bytes: int
    reconnects: int  # successful re-opens after a lost or failed connection
    polls: int  # requests written (command protocols)
    open_failures: int
    callback_errors: int
    connected: bool
    frame_period: float | None  # configured, or measured; None before two frames
    last_frame_at: float | None


def weight_known(last_at: float | None, now: float, period: float) -> bool:
    """L4: a frame is current for STALE_FACTOR frame periods after it arrived."""
    return last_at is not None and now - last_at <= STALE_FACTOR * period


def next_backoff(delay: float, initial: float, cap: float) -> float:
    """Doubling backoff, never below ``initial`` nor above ``cap``."""
    return min(cap, max(initial, delay * 2))


class PeriodEstimator:
    """Frame period from arrival times: median of the non-zero gaps among the last N.

    Zero gaps (several frames in one read) are ignored and the median ignores a silence
    gap, so one outage does not stretch the staleness deadline afterwards."""

    def __init__(self, window: int = 16) -> None:
        self._times: deque[float] = deque(maxlen=window)

    def add(self, at: float) -> None:
        self._times.append(at)

    @property
    def period(self) -> float | None:
        t = list(self._times)
        gaps = [b - a for a, b in zip(t, t[1:]) if b > a]
        return statistics.median(gaps) if gaps else None


_PARITIES = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}


@dataclass(frozen=True)
class LineSettings:
    baudrate: int
    bytesize: int
    parity: str
    stopbits: float
    timeout: float  # read timeout: bounds how long stop() waits for the thread

    def port(self, url: str, *, do_not_open: bool = False) -> serial.Serial:
        """Any pyserial URL; socket:// and loop:// ignore the line settings."""
        return serial.serial_for_url(
            url, baudrate=self.baudrate, bytesize=self.bytesize, parity=self.parity,
            stopbits=self.stopbits, timeout=self.timeout, do_not_open=do_not_open)


class ScaleReader(DeviceThread):
    """Background reader of one indicator. ``latest()``, ``stats()`` and ``raw_tail()`` are
    safe from any thread. ``on_frame`` runs in the reader thread for every decoded item,
    refused frames (FrameError) included; keep it short, it must not block."""

    def __init__(
        self,
        url: str,
        protocol: str = "toledo",
        *,
        protocol_options: dict[str, Any] | None = None,
        baudrate: int = 9600,
        bytesize: int = 8,
        parity: str = "N",
        stopbits: float = 1,
        frame_period: float | None = None,
        fallback_period: float = 1.0,
        on_frame: FrameCallback | None = None,
        ring_size: int = 64,
        backoff_initial: float = 0.1,
        backoff_max: float = 5.0,
        read_timeout: float = 0.05,
        poll_period: float = 0.2,
    ) -> None:
        options = dict(protocol_options or {})
        get_decoder(protocol, **options)  # fail now on a bad protocol or option, not in the thread
        if poll_period <= 0:
            raise ValueError("poll_period must be > 0")
        if parity not in _PARITIES:
            raise ValueError(f"parity must be N, E or O, not {parity!r}")
        if frame_period is not None and frame_period <= 0:
            raise ValueError("frame_period must be > 0")
        super().__init__(f"scale-reader {url}")
        self.url = url
        self._new_decoder: Callable[[], Decoder] = lambda: get_decoder(protocol, **options)
        self._line = LineSettings(baudrate, bytesize, _PARITIES[parity], stopbits, read_timeout)
        self._line.port(url, do_not_open=True)  # validates URL and settings now
        self._fixed_period = frame_period
        self._fallback_period = fallback_period
        self._poll_period = poll_period
        # SIR-style streams: ask again after this long without a good frame (a reboot ends them)
        self._restart_after = max(1.0, 5 * poll_period)
        self._on_frame = on_frame
        self._backoff = (backoff_initial, backoff_max)
        self._lock = threading.Lock()
        self._ring: deque[tuple[float, bytes]] = deque(maxlen=ring_size)
        self._periods = PeriodEstimator()
        self._last: tuple[WeightFrame, float] | None = None
        self._counts = dict(frames=0, errors=0, skipped_bytes=0, reconnects=0, polls=0,
                            open_failures=0, callback_errors=0)
        self._epoch = 0
        self._power_ups = 0
        self._connected = False
        self._last_frame_at: float | None = None

    # -- public API ------------------------------------------------------------------
    def __enter__(self) -> ScaleReader:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def frame_period(self) -> float | None:
        with self._lock:
            return self._period_locked()

    def latest(self) -> Reading:
        now = time.monotonic()
        with self._lock:
            period = self._period_locked() or self._fallback_period
            if self._last is not None and weight_known(self._last[1], now, period):
                return Reading(self._last[0], self._last[1], True, self._epoch, self._power_ups)
            return Reading(None, now, False, self._epoch, self._power_ups)

    def stats(self) -> ReaderStats:
        with self._lock:
            return ReaderStats(**self._counts, connected=self._connected,
                               frame_period=self._period_locked(),
                               last_frame_at=self._last_frame_at)

    def raw_tail(self) -> list[tuple[float, bytes]]:
        """The last ``ring_size`` raw chunks as (monotonic time, bytes), oldest first."""
        with self._lock:
            return list(self._ring)

    # -- thread ----------------------------------------------------------------------
    def _period_locked(self) -> float | None:
        return self._fixed_period if self._fixed_period is not None else self._periods.period

    def _run(self) -> None:
        initial, cap = self._backoff
        delay = initial
        had_connection = False
        while not self._stop.is_set():
            self.beat()
            port = self._open()
            if port is not None:
                with self._lock:
                    self._epoch += 1
                    self._connected = True
                    self._counts["reconnects"] += had_connection
                had_connection = True
                got_frame = self._pump(port)
                self._lost(port)
                delay = initial if got_frame else next_backoff(delay, initial, cap)
            else:
                had_connection = True  # the next successful open is a re-connect
                delay = next_backoff(delay, initial, cap)
            self._stop.wait(delay)

    def _open(self) -> serial.Serial | None:
        try:
            port = self._line.port(self.url)
            port.reset_input_buffer()  # what queued while nobody read is stale
            return port
        except (serial.SerialException, OSError, ValueError) as exc:
            with self._lock:
                self._counts["open_failures"] += 1
                first = self._counts["open_failures"] == 1
            (log.warning if first else log.debug)("cannot open %s: %s", self.url, exc)
            return None

    def _pump(self, port: serial.Serial) -> bool:
        """Read until stop or a port error. Returns whether any good frame arrived."""
        decoder = self._new_decoder()
        request: bytes | None = getattr(decoder, "request", None)
        start: bytes | None = getattr(decoder, "start_request", None)
        next_poll = time.monotonic()
        quiet_since = float("-inf")  # a repeat mode is (re)started when the stream is quiet
        got_frame = False
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                self.beat_at = now
                if request is not None and now >= next_poll:
                    next_poll = max(next_poll + self._poll_period, now)
                    self._write(port, request)
                if start is not None and now - quiet_since >= self._restart_after:
                    quiet_since = now
                    self._write(port, start)
                data = port.read(max(1, min(port.in_waiting, 4096)))
                if data and self._ingest(data, decoder):
                    got_frame = True
                    quiet_since = time.monotonic()
        except (serial.SerialException, OSError) as exc:
            log.warning("scale port %s lost: %s", self.url, exc)
        except Exception:  # a bug must not end the reader for good: log, reopen, go on
            log.exception("scale reader failed on %s", self.url)
        before = decoder.skipped_bytes
        decoder.flush()  # a partial frame left at the break is no frame
        with self._lock:
            self._counts["skipped_bytes"] += decoder.skipped_bytes - before
        return got_frame

    def _write(self, port: serial.Serial, request: bytes) -> None:
        port.write(request)
        with self._lock:
            self._counts["polls"] += 1

    def _ingest(self, data: bytes, decoder: Decoder) -> bool:
        now = time.monotonic()
        skipped_before = decoder.skipped_bytes
        items = decoder.feed(data)
        good = [i for i in items if isinstance(i, WeightFrame)]
        with self._lock:
            self._ring.append((now, data))
            self._counts["frames"] += len(good)
            self._counts["errors"] += len(items) - len(good)
            self._counts["skipped_bytes"] += decoder.skipped_bytes - skipped_before
            for frame in good:
                self._power_ups += frame.power_up
                self._periods.add(now)
                self._last = (frame, now)
                self._last_frame_at = now
        self._notify(items)
        return bool(good)

    def _notify(self, items: list[WeightFrame | FrameError]) -> None:
        if self._on_frame is None:
            return
        for item in items:
            try:
                self._on_frame(item)
            except Exception:  # a faulty consumer must not kill the reader
                log.exception("scale frame callback failed")
                with self._lock:
                    self._counts["callback_errors"] += 1

    def _lost(self, port: serial.Serial) -> None:
        try:
            port.close()
        except (serial.SerialException, OSError):
            pass
        with self._lock:
            self._connected = False
            self._last = None  # no link, no weight: unknown at once, not after 2 periods
