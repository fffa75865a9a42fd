"""Mettler Toledo MT-SICS, request/response (reference scale-protocols.md §2).

The host sends ``SI CR LF``; the indicator answers ``S S <value> <unit>`` (stable) or
``S D ...`` (dynamic). Spacing varies between implementations, so fields are split on runs
of spaces, never on columns. ``S +``/``S -`` (over/underload), ``S I`` (not executable) and
``ES``/``ET``/``EL`` carry no weight: they are refused frames with the reason, never a 0.
Replies that are not weights (``Z A``, ``TAC A``, ``@ A "..."``) are skipped.

``repeat=True`` is the ``SIR`` mode (§2.1): the host sends ``SIR`` once and the indicator
streams ``S S``/``S D`` lines until ``@`` or another command. The reader sends it again on
every (re)connect and whenever the stream goes quiet (a rebooted indicator forgets it).
"""
from __future__ import annotations

import re

from hardware.scale.commands import CommandLines
from hardware.scale.framing import FramedDecoder, Step, check_unit, parse_number
from hardware.scale.frame import FrameError, Unit, WeightFrame
from hardware.scale.state import IndicatorState

REQUEST = b"SI\r\n"
REPEAT_REQUEST = b"SIR\r\n"
MAX_LINE = 64
_WEIGHT = re.compile(rb"S +([SD]) *(-?[0-9.]+) +([A-Za-z]+) *")
_STATUS = {b"S +": "overload (S +)", b"S -": "underload (S -)",
           b"S I": "weight not available (S I)"}
_ERRORS = {b"ES": "syntax error (ES)", b"ET": "transmission error (ET)",
           b"EL": "logical error (EL)"}
_UNITS: dict[bytes, Unit] = {b"g": "g", b"kg": "kg", b"t": "t", b"lb": "lb"}


def parse_line(line: bytes, unit_override: Unit | None = None) -> WeightFrame | FrameError | None:
    """One reply line without its CR LF -> a frame, a refused frame, or None (not a weight)."""
    squeezed = re.sub(rb" +", b" ", line.strip(b" "))
    if squeezed in _STATUS:
        return FrameError(_STATUS[squeezed], line)
    if squeezed in _ERRORS:
        return FrameError(_ERRORS[squeezed], line)
    if not line.startswith(b"S "):
        return None
    m = _WEIGHT.fullmatch(line)
    value = parse_number(m.group(2)) if m else None
    if m is None or value is None:
        return FrameError("bad MT-SICS weight reply", line)
    unit = _UNITS.get(m.group(3))
    if unit is None:
        return FrameError(f"unsupported unit {m.group(3)!r}", line)
    return WeightFrame(weight=value, unit=unit_override or unit, stable=m.group(1) == b"S",
                       net=False, tare=None, overload=False, underload=False)


class SicsDecoder(FramedDecoder):
    """Reply lines end with LF (normally CR LF); an over-long line without one is garbage."""

    max_pending = MAX_LINE

    def __init__(self, *, unit: str | None = None, confirm: int = 1, repeat: bool = False) -> None:
        super().__init__(confirm=confirm)
        self.unit_override = check_unit(unit)
        self.request = None if repeat else REQUEST
        self.start_request = REPEAT_REQUEST if repeat else None

    def _step(self, buf: bytearray) -> Step | None:
        end = buf.find(b"\n")
        if end < 0:
            return Step(len(buf)) if len(buf) > MAX_LINE else None
        line = bytes(buf[:end]).rstrip(b"\r")
        return Step(end + 1, parse_line(line, self.unit_override))


def encode_weight(state: IndicatorState) -> bytes:
    """The ``S``/``SI`` reply for this state: value right-aligned in 10 characters."""
    if state.overload:
        return b"S +\r\n"
    if state.underload:
        return b"S -\r\n"
    value = f"{state.weight:.{state.decimals}f}"
    kind = "D" if state.motion else "S"
    return f"S {kind} {value:>10} {state.unit}\r\n".encode("ascii")


def encode(state: IndicatorState) -> bytes:
    """The continuous form (what ``SIR`` streams): one weight reply per frame."""
    return encode_weight(state)


class SicsResponder:
    """The indicator side: answers command lines from the current state."""

    def __init__(self, serial_number: str = "SIM0001") -> None:
        self._lines = CommandLines(b"\n", MAX_LINE)
        self._serial = serial_number
        self.streaming = False  # after SIR: the simulator sends a weight line every period

    def feed(self, data: bytes, state: IndicatorState) -> bytes:
        return b"".join(self._answer(line.strip(), state) for line in self._lines.feed(data))

    def _answer(self, command: bytes, state: IndicatorState) -> bytes:
        if command:
            self.streaming = command == b"SIR"  # any other command (@ too) ends the repeat
        if command in (b"SI", b"SIR"):
            return encode_weight(state)
        if command == b"S":  # stable only: a moving scale times out with S I
            return b"S I\r\n" if state.motion and not state.overload else encode_weight(state)
        if command in (b"Z", b"ZI"):
            return b"Z A\r\n"
        if command == b"TAC":
            return b"TAC A\r\n"
        if command in (b"@", b"I4"):
            return f'{command.decode()} A "{self._serial}"\r\n'.encode("ascii")
        return b"ES\r\n" if command else b""
