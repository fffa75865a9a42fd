"""A simulated indicator on a real pseudo-terminal (or a TCP port), speaking any protocol.

The gate opens ``sim.port`` exactly like a serial port: the pty slave path (/dev/pts/N) or
``socket://127.0.0.1:P``. Continuous protocols stream one frame (from the protocol's encoder)
every ``period``; command protocols (``sics``, ``sics-sir`` and ``nci`` always,
``yaohua``/``keli``/``sma`` with ``command=True``) answer the host's polls instead; after an
MT-SICS ``SIR`` the simulator streams a weight line every ``period`` until another command.
On a pty the simulator honours its own line settings (``baud``, ``parity_bit`` for 7E1): a
host that opened the port at another baud gets garbage, as from a real UART. Writes never block; dropped bytes are counted.

Fault profiles (each for the next N frames, or a duration): byte flips, truncated frames,
glued frames (terminator lost), corrupted checks, noise, stalls (silence), reboot (silence,
NUL bytes, then power-up frames) and a unit change.
"""
from __future__ import annotations

import logging
import os
import random
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Literal, cast

from hardware.scale import faults
from hardware.scale.codecs import ALWAYS_POLLED, Responder, get_codec
from hardware.scale.endpoints import Endpoint, PtyEndpoint, TcpEndpoint
from hardware.scale.frame import Unit
from hardware.scale.state import IndicatorState
from hardware.scale.toledo import encode_toledo
from hardware.sim.clock import SimClock

log = logging.getLogger(__name__)

WeightSource = Callable[[], tuple[int, bool]]  # (weight in kg, in motion)
MIN_WALL_PERIOD = 0.002
POLL_INTERVAL = 0.002  # how often a command-mode simulator looks for requests
_MAX_DIGITS = 999_999
_TO_UNIT = {"kg": Decimal(1), "t": Decimal("0.001"), "g": Decimal(1000),
            "lb": Decimal("2.20462262")}
FaultKind = Literal["flip", "truncate", "glue", "corrupt"]


@dataclass(frozen=True)
class Damage:
    """One injected fault as it went out: tests wait for these, not for a lucky moment."""

    kind: str  # a FaultKind, or "noise"
    sent: int  # frames (or poll answers) written before it: where in the stream it lies
    delivered: bool  # False when the line dropped it (nobody read, buffer full)


def displayed(weight_kg: int, unit: str) -> Decimal:
    """The kg scenario weight as the indicator shows it in ``unit``."""
    if unit == "t":
        return Decimal(weight_kg).scaleb(-3)
    if unit == "lb":
        return (Decimal(weight_kg) * _TO_UNIT["lb"]).quantize(Decimal(1))
    return Decimal(weight_kg) * _TO_UNIT[unit]


class IndicatorSimulator:
    """Frames every ``period`` simulated seconds from ``weight_source`` (kg, motion)."""

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
        protocol: str = "toledo",
        command: bool = False,
        checksum: bool = True,
        short: bool = False,
        unit: str = "kg",
        baud: int | None = None,
        parity_bit: bool = False,
        seed: int = 0,
    ) -> None:
        if transport not in ("pty", "tcp"):
            raise ValueError(f"transport must be 'pty' or 'tcp', not {transport!r}")
        codec = get_codec(protocol)
        command = command or protocol in ALWAYS_POLLED
        if command and codec.responder is None:
            raise ValueError(f"protocol {protocol!r} has no command mode")
        if unit not in codec.units:
            raise ValueError(f"{protocol} frames carry {', '.join(codec.units)}, not {unit!r}")
        if protocol.startswith("toledo") and short != (protocol == "toledo-short"):
            short = protocol == "toledo-short"
        self._source = weight_source
        self._clock = clock or SimClock()
        self.period = period
        self.protocol = protocol
        self._encode = codec.encode
        make_responder = codec.responder  # checked above: not None when command is set
        self._responder: Responder | None = (
            make_responder() if command and make_responder is not None else None)
        self._transport = transport
        self._tcp = (host, tcp_port)
        self._link = None if link is None else os.fspath(link)
        self._checksum, self._short = checksum, short
        self._unit = cast(Unit, unit)  # checked against the codec's units above
        self._baud, self._parity_bit = baud, parity_bit
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._endpoint: Endpoint | None = None
        self._noise = bytearray()
        self._silent_until = 0.0
        self._faults: dict[str, int] = {"flip": 0, "truncate": 0, "glue": 0, "corrupt": 0,
                                        "power_up": 0}
        self._damage: list[Damage] = []
        # Damage taken from the queue but not yet written and logged: still pending, so a test
        # that waits for pending_faults() == 0 never looks between the two.
        self._in_flight = 0
        self.frames_sent = 0
        self.polls_answered = 0
        self.dropped_bytes = 0
        self.source_errors = 0
        self.port = ""

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def wall_period(self) -> float:
        return max(MIN_WALL_PERIOD, self._clock.wall(self.period))

    @property
    def unit(self) -> str:
        return self._unit

    def start(self) -> str:
        """Open the pty/port, start streaming; return the URL the gate should open."""
        if self._thread is not None:
            raise RuntimeError("simulator already started")
        self._endpoint = TcpEndpoint(*self._tcp) if self._transport == "tcp" else PtyEndpoint()
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
        """Random bytes (any value, start bytes included) before the next frame."""
        with self._lock:
            self._noise += self._rng.randbytes(n_bytes)

    def silence(self, seconds: float) -> None:
        """No frames for ``seconds`` simulated seconds (injected noise still goes out)."""
        with self._lock:
            self._silent_until = time.monotonic() + self._clock.wall(seconds)

    def corrupt_next(self, n: int) -> None:
        """The next ``n`` frames go out broken: a bad check, or a bad digit without one."""
        self.fault("corrupt", n)

    def fault(self, kind: FaultKind, n: int) -> None:
        """The next ``n`` frames: ``flip`` (one random bit error each), ``truncate`` (cut
        short), ``glue`` (last byte lost, the next frame glued on), ``corrupt``."""
        if kind not in ("flip", "truncate", "glue", "corrupt"):
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            self._faults[kind] += n

    def damage(self) -> list[Damage]:
        """Every fault and noise burst written so far, in stream order."""
        with self._lock:
            return list(self._damage)

    def pending_faults(self) -> int:
        """Damaged frames and noise still to go out."""
        with self._lock:
            return (sum(n for k, n in self._faults.items() if k != "power_up") + bool(self._noise)
                    + self._in_flight)

    def reboot(self, seconds: float, power_up_frames: int = 5) -> None:
        """Power cycle: silence, a few NUL bytes at power-up, then ``power_up_frames``
        frames flagged not-yet-zeroed (where the protocol has that flag)."""
        with self._lock:
            self._silent_until = time.monotonic() + self._clock.wall(seconds)
            self._faults["power_up"] = power_up_frames
            self._noise += b"\x00" * 4
            if self._responder is not None and hasattr(self._responder, "streaming"):
                self._responder.streaming = False  # a power cycle forgets SIR

    def set_unit(self, unit: str) -> None:
        """The operator switches the display unit: frames follow (weight converted)."""
        if unit not in _TO_UNIT:
            raise ValueError(f"unit must be one of {sorted(_TO_UNIT)}")
        with self._lock:
            self._unit = cast(Unit, unit)  # checked against _TO_UNIT above

    # -- thread ----------------------------------------------------------------------
    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            if self._responder is not None:
                self._stop.wait(POLL_INTERVAL)
                self._answer()
                if getattr(self._responder, "streaming", False) and time.monotonic() >= next_at:
                    next_at = max(next_at + self.wall_period, time.monotonic())
                    self._tick()  # SIR: asked once, the indicator repeats every period
                continue
            if self._stop.wait(max(0.0, next_at - time.monotonic())):
                return
            next_at += self.wall_period
            if time.monotonic() > next_at + self.wall_period:
                next_at = time.monotonic()  # fell behind: skip ticks rather than burst
            self._tick()

    def _state(self) -> IndicatorState | None:
        try:
            weight, motion = self._source()
        except Exception:  # a broken scenario must not kill the indicator
            log.exception("weight source failed")
            self.source_errors += 1
            return None
        return self._state_for(int(weight), bool(motion))

    def _state_for(self, weight: int, motion: bool) -> IndicatorState:
        over = abs(weight) > _MAX_DIGITS
        if over:
            weight = _MAX_DIGITS if weight > 0 else -_MAX_DIGITS
        with self._lock:
            unit = self._unit
            power_up = self._faults["power_up"] > 0
        return IndicatorState(displayed(weight, unit), unit=unit, motion=motion,
                              overload=over and weight > 0, underload=over and weight < 0,
                              power_up=power_up)

    def _answer(self) -> None:
        endpoint, responder = self._endpoint, self._responder
        if endpoint is None or responder is None:
            return
        request = endpoint.read()
        with self._lock:
            silent = time.monotonic() < self._silent_until
        if not request or silent or not self._line_ok():
            return  # a silent (rebooting) indicator or a wrong baud gets no answer
        state = self._state()
        if state is not None:
            reply = responder.feed(request, state)
            if reply:
                reply, kinds = self._apply_faults(reply)
                delivered = self._send(self._line(reply)) == 0
                self._log_damage(kinds, delivered)
                self.polls_answered += delivered

    def _tick(self) -> None:
        with self._lock:
            noise, self._noise = bytes(self._noise), bytearray()
            self._in_flight += bool(noise)
            silent = time.monotonic() < self._silent_until
        if noise:
            self._log_damage(["noise"], self._send(self._line(noise)) < len(noise))
        if silent:
            return
        state = self._state()
        if state is None:
            return
        frame, kinds = self._apply_faults(self._encode_state(state))
        delivered = bool(frame) and self._send(self._line(frame)) == 0
        self._log_damage(kinds, delivered)
        self.frames_sent += delivered

    def _encode_state(self, state: IndicatorState) -> bytes:
        if self.protocol.startswith("toledo"):
            return encode_toledo(
                state.weight if not state.underload else -state.weight, unit=state.unit,
                dp_code=2 + state.decimals, motion=state.motion,
                overload=state.overload or state.underload, power_up=state.power_up,
                checksum=self._checksum, short=self._short)
        return self._encode(state)

    def _frame(self, weight: int, motion: bool, corrupt: bool) -> bytes:
        """One frame as it would go out (faults other than ``corrupt`` not applied)."""
        frame = self._encode_state(self._state_for(weight, motion))
        frame = self._corrupt(frame) if corrupt else frame
        return faults.even_parity(frame) if self._parity_bit else frame

    def _log_damage(self, kinds: list[str], delivered: bool) -> None:
        sent = self.frames_sent + self.polls_answered
        with self._lock:
            self._damage.extend(Damage(kind, sent, delivered) for kind in kinds)
            self._in_flight -= bool(kinds)

    def _apply_faults(self, frame: bytes) -> tuple[bytes, list[str]]:
        """The frame with this frame's share of the pending faults, and their kinds."""
        with self._lock:
            active = [k for k, n in self._faults.items() if n > 0]
            for kind in active:
                self._faults[kind] -= 1
            self._in_flight += any(k != "power_up" for k in active)
        for kind in active:
            if kind == "flip":
                frame = faults.flip_bits(frame, self._rng)
            elif kind == "truncate":
                frame = faults.truncate(frame, self._rng)
            elif kind == "glue":
                frame = faults.glue(frame)
            elif kind == "corrupt":
                frame = self._corrupt(frame)
        return frame, [k for k in active if k != "power_up"]

    def _corrupt(self, frame: bytes) -> bytes:
        out = bytearray(frame)
        if self.protocol.startswith("toledo") and self._checksum:
            out[-1] = (out[-1] + 1) & 0x7F
        elif self.protocol == "yaohua":
            out[-2] = ord("G")  # not a hex digit: the check cannot pass
        else:  # no check to break: make a digit no digit, so the frame is refused
            digit = next((i for i, b in enumerate(out) if 0x31 <= b <= 0x39), None)
            if digit is not None:
                out[digit] = ord("?")
        return bytes(out)

    def _line_ok(self) -> bool:
        endpoint = self._endpoint
        host = None if endpoint is None else endpoint.host_line()
        return host is None or self._baud is None or host.baud in (None, self._baud)

    def _line(self, data: bytes) -> bytes:
        """The bytes as the host's UART delivers them given both sides' line settings."""
        endpoint = self._endpoint
        host = None if endpoint is None else endpoint.host_line()
        if host is not None and not self._line_ok():
            return faults.garble(data, self._rng)
        if not self._parity_bit:
            return data
        if host is not None and host.bytesize == 7:
            return data  # the host's UART takes the parity bit off
        return faults.even_parity(data)

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
