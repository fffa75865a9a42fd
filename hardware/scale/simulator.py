"""A simulated Toledo indicator on a real pseudo-terminal (or a TCP port).

The gate opens ``sim.port`` exactly like a serial port: the pty slave path (/dev/pts/N) or
``socket://127.0.0.1:P``. Writes are non-blocking; with nobody reading, the pty or socket
buffer fills and frames are dropped and counted instead of stalling the simulator.
"""
from __future__ import annotations

import errno
import logging
import os
import random
import socket
import threading
import time
import tty
from typing import Callable, Literal, Protocol

from hardware.scale.toledo import encode_toledo
from hardware.sim.clock import SimClock

log = logging.getLogger(__name__)

WeightSource = Callable[[], tuple[int, bool]]  # (weight in kg, in motion)
MIN_WALL_PERIOD = 0.002
_MAX_DIGITS = 999_999


class _Endpoint(Protocol):
    port: str

    def write(self, data: bytes) -> int:
        """Write without blocking; return the number of bytes dropped."""
        ...

    def close(self) -> None: ...


class _PtyEndpoint:
    """Writes to the pty master; the gate opens the slave path."""

    def __init__(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no CR->LF, all 8 bits pass unchanged
        os.set_blocking(self._master, False)
        self.port = os.ttyname(self._slave)  # we keep the slave open so the pty survives

    def write(self, data: bytes) -> int:
        try:
            return len(data) - os.write(self._master, data)
        except BlockingIOError:
            return len(data)  # nobody reads and the buffer is full
        except OSError as exc:
            if exc.errno != errno.EIO:
                log.warning("pty write failed: %s", exc)
            return len(data)

    def close(self) -> None:
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass


class _TcpEndpoint:
    """A raw TCP "device server": every connected client receives the stream."""

    def __init__(self, host: str, port: int) -> None:
        self._server = socket.create_server((host, port))  # SO_REUSEADDR: restart on same port
        self._server.setblocking(False)
        self.port = f"socket://{host}:{self._server.getsockname()[1]}"
        self._clients: list[socket.socket] = []

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except (BlockingIOError, OSError):
                return
            client.setblocking(False)
            self._clients.append(client)

    def write(self, data: bytes) -> int:
        self._accept()
        if not self._clients:
            return len(data)
        dropped = 0
        for client in list(self._clients):
            try:
                dropped = max(dropped, len(data) - client.send(data))
            except BlockingIOError:
                dropped = len(data)
            except OSError:  # peer went away
                client.close()
                self._clients.remove(client)
        return dropped

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()
        self._server.close()


def _with_even_parity(data: bytes) -> bytes:
    """What a 7E1 line looks like to a port read as 8N1: bit 7 makes the 1-count even."""
    return bytes(b | 0x80 if bin(b).count("1") % 2 else b for b in data)


class IndicatorSimulator:
    """Streams Toledo frames every ``period`` simulated seconds from ``weight_source``."""

    def __init__(
        self,
        weight_source: WeightSource,
        *,
        clock: SimClock | None = None,
        period: float = 0.1,
        transport: Literal["pty", "tcp"] = "pty",
        host: str = "127.0.0.1",
        tcp_port: int = 0,
        link: str | os.PathLike[str] | None = None,
        checksum: bool = True,
        short: bool = False,
        unit: str = "kg",
        parity_bit: bool = False,
        seed: int = 0,
    ) -> None:
        if transport not in ("pty", "tcp"):
            raise ValueError(f"transport must be 'pty' or 'tcp', not {transport!r}")
        self._source = weight_source
        self._clock = clock or SimClock()
        self.period = period
        self._transport = transport
        self._tcp = (host, tcp_port)
        self._link = None if link is None else os.fspath(link)
        self._checksum, self._short, self._unit = checksum, short, unit
        self._parity_bit = parity_bit
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._endpoint: _Endpoint | None = None
        self._noise = bytearray()
        self._silent_until = 0.0
        self._corrupt = 0
        self.frames_sent = 0
        self.dropped_bytes = 0
        self.source_errors = 0
        self.port = ""

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def wall_period(self) -> float:
        return max(MIN_WALL_PERIOD, self._clock.wall(self.period))

    def start(self) -> str:
        """Open the pty/port, start streaming; return the URL the gate should open."""
        if self._thread is not None:
            raise RuntimeError("simulator already started")
        self._endpoint = _TcpEndpoint(*self._tcp) if self._transport == "tcp" else _PtyEndpoint()
        self.port = self._endpoint.port
        if self._link is not None and self._transport == "pty":
            tmp = f"{self._link}.{os.getpid()}.tmp"
            os.symlink(self.port, tmp)
            os.replace(tmp, self._link)  # atomic, like a udev by-id link moving
        self._thread = threading.Thread(target=self._run, name="indicator-sim", daemon=True)
        self._thread.start()
        return self.port

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        if self._endpoint is not None:
            self._endpoint.close()
            self._endpoint = None
        if self._link is not None and _points_to(self._link, self.port):
            os.unlink(self._link)

    def __enter__(self) -> IndicatorSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- fault injection -------------------------------------------------------------
    def inject_noise(self, n_bytes: int) -> None:
        """Random bytes (any value, STX included) before the next frame."""
        with self._lock:
            self._noise += self._rng.randbytes(n_bytes)

    def silence(self, seconds: float) -> None:
        """No frames for ``seconds`` simulated seconds (injected noise still goes out)."""
        with self._lock:
            self._silent_until = time.monotonic() + self._clock.wall(seconds)

    def corrupt_next(self, n: int) -> None:
        """The next ``n`` frames go out broken: bad checksum (or a bad digit without one)."""
        with self._lock:
            self._corrupt += n

    # -- thread ----------------------------------------------------------------------
    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.wait(max(0.0, next_at - time.monotonic())):
            next_at += self.wall_period
            if time.monotonic() > next_at + self.wall_period:
                next_at = time.monotonic()  # fell behind: skip ticks rather than burst
            self._tick()

    def _tick(self) -> None:
        with self._lock:
            noise, self._noise = bytes(self._noise), bytearray()
            silent = time.monotonic() < self._silent_until
            corrupt = not silent and self._corrupt > 0
            self._corrupt -= corrupt
        if noise:
            self._send(noise)
        if silent:
            return
        try:
            weight, motion = self._source()
        except Exception:  # a broken scenario must not kill the indicator
            log.exception("weight source failed")
            self.source_errors += 1
            return
        if self._send(self._frame(int(weight), bool(motion), corrupt)) == 0:
            self.frames_sent += 1

    def _frame(self, weight: int, motion: bool, corrupt: bool) -> bytes:
        overload = abs(weight) > _MAX_DIGITS
        if overload:
            weight = _MAX_DIGITS if weight > 0 else -_MAX_DIGITS
        frame = bytearray(encode_toledo(weight, motion=motion, overload=overload, unit=self._unit,
                                        checksum=self._checksum, short=self._short))
        if corrupt:
            if self._checksum:
                frame[-1] = (frame[-1] + 1) & 0x7F
            else:
                frame[9] = ord("?")
        return _with_even_parity(bytes(frame)) if self._parity_bit else bytes(frame)

    def _send(self, data: bytes) -> int:
        endpoint = self._endpoint
        dropped = len(data) if endpoint is None else endpoint.write(data)
        self.dropped_bytes += dropped
        return dropped


def _points_to(link: str, target: str) -> bool:
    try:
        return os.readlink(link) == target
    except OSError:
        return False
