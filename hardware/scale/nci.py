"""NCI standard protocol (NCI 3835/7800, Weigh-Tronix, Brecknell, Ohaus, Fairbanks ECR mode;
reference scale-protocols.md §11). Always polled.

The host sends ``W CR``; the scale answers ``LF weight units CR LF status CR ETX``, or only
``LF status CR ETX`` when it has no weight to give (Ohaus: negative, moving, over capacity),
or ``LF ? CR ETX`` for a command it does not know. Status bytes have bits 4-5 set (``0``..``?``
normally; Ohaus prefixes them with ``S``): byte 1 bit 0 motion, bit 1 at zero, bits 2-3
RAM/EEPROM error; byte 2 bit 0 under / bit 1 over capacity, bits 2-3 ROM / calibration error;
optional byte 3 bit 2 net. A weight field of ``^`` / ``_`` / ``-`` (over, under, zero error)
is no weight. No checksum: the reader's confirm rule guards against a flipped digit.
"""
from __future__ import annotations

import re
from decimal import Decimal

from hardware.scale.commands import CommandLines
from hardware.scale.framing import FramedDecoder, Step, check_unit, parse_number
from hardware.scale.frame import FrameError, Unit, WeightFrame
from hardware.scale.state import IndicatorState

LF, CR, ETX = 0x0A, 0x0D, 0x03
REQUEST = b"W\r"
MAX_REPLY = 32
_REPLY = re.compile(rb"\n(?:([ -~]{1,16})\r\n)?S?([0-\x7f]{2,3})\r\x03", re.DOTALL)
_WEIGHT = re.compile(rb" *(-?[0-9]+(?:\.[0-9]+)?) *([A-Za-z]{1,3}) *")
_FILLED = {ord("^"): "over capacity (^)", ord("_"): "under capacity (_)",
           ord("-"): "zero error (-)"}
_UNITS: dict[bytes, Unit] = {b"lb": "lb", b"kg": "kg", b"g": "g", b"t": "t"}
_ERRORS = ((0, 0x04, "RAM error"), (0, 0x08, "EEPROM error"), (1, 0x04, "ROM error"),
           (1, 0x08, "faulty calibration"))


def _status_problem(status: bytes) -> str | None:
    """Why these status bytes are not a status, or name the error they report."""
    if any(b & 0x30 != 0x30 for b in status) or status[0] & 0x40:
        return "bad status byte"
    if len(status) == 3 and not status[1] & 0x40:
        return "third status byte not announced"
    for index, bit, what in _ERRORS:
        if status[index] & bit:
            return what
    return None


def decode_reply(reply: bytes, unit_override: Unit | None = None) -> WeightFrame | FrameError | None:
    """One reply from its LF to its ETX. None when it is not NCI-shaped at all."""
    if reply == b"\n?\r\x03":
        return FrameError("command not understood (?)", reply)
    m = _REPLY.fullmatch(reply)
    if m is None:
        return None
    line, status = m.groups()
    problem = _status_problem(status)
    if problem is not None:
        return FrameError(problem, reply)
    motion, under, over = bool(status[0] & 1), bool(status[1] & 1), bool(status[1] & 2)
    if line is None:  # status only: the scale declines to give a weight
        why = ("over capacity" if over else "under capacity" if under
               else "in motion" if motion else "no weight")
        return FrameError(f"status only: {why}", reply)
    filled = next((_FILLED[b] for b in line if b in _FILLED), None)
    if filled is not None and not any(0x30 <= b <= 0x39 for b in line):
        return FrameError(filled, reply)
    w = _WEIGHT.fullmatch(line)
    value = parse_number(w.group(1)) if w else None
    if w is None or value is None:
        return FrameError("bad NCI weight field", reply)
    unit = _UNITS.get(w.group(2).lower())
    if unit is None:
        return FrameError(f"unsupported unit {w.group(2)!r}", reply)
    return WeightFrame(weight=value, unit=unit_override or unit, stable=not motion,
                       net=len(status) == 3 and bool(status[2] & 0x04), tare=None,
                       overload=over, underload=under)


class NciDecoder(FramedDecoder):
    """A reply runs from LF to ETX; an LF inside it not after a CR starts a new one."""

    max_pending = 2 * MAX_REPLY
    request = REQUEST

    def __init__(self, *, unit: str | None = None, confirm: int = 1) -> None:
        super().__init__(confirm=confirm)
        self.unit_override = check_unit(unit)

    def _step(self, buf: bytearray) -> Step | None:
        start = buf.find(LF)
        if start != 0:
            return Step(len(buf) if start < 0 else start)
        end = buf.find(ETX, 0, MAX_REPLY)
        if end < 0:
            return Step(1) if len(buf) >= MAX_REPLY else None
        restart = next((i for i in range(1, end) if buf[i] == LF and buf[i - 1] != CR), None)
        if restart is not None:
            return Step(restart)  # a cut reply followed by a whole one
        item = decode_reply(bytes(buf[:end + 1]), self.unit_override)
        return Step(end + 1, item)


def status_bytes(state: IndicatorState) -> bytes:
    first = 0x30 | (1 if state.motion else 0) | (2 if state.weight == 0 else 0)
    second = 0x30 | (1 if state.underload else 0) | (2 if state.overload else 0)
    if state.net:
        return bytes([first, second | 0x40, 0x30 | 0x04])
    return bytes([first, second])


def encode(state: IndicatorState) -> bytes:
    """The reply to ``W``: the weight field filled with ^ / _ when over / under capacity."""
    if state.overload or state.underload:
        text = ("^" if state.overload else "_") * 7
    else:
        text = ("-" if state.weight < 0 else "") + f"{abs(state.weight):.{state.decimals}f}"
        text = text.rjust(7, "0") if state.weight >= 0 else text
    unit = state.unit
    return b"\n" + f"{text}{unit}".encode("ascii") + b"\r\n" + status_bytes(state) + b"\r\x03"


class NciResponder:
    """The scale side: ``W`` weight, ``S`` status, ``Z`` zero; anything else ``?``."""

    def __init__(self) -> None:
        self._lines = CommandLines(b"\r", MAX_REPLY)

    def feed(self, data: bytes, state: IndicatorState) -> bytes:
        out = bytearray()
        for line in self._lines.feed(data):
            command = line.strip(b"\n ")
            if command == b"W":
                out += encode(state)
            elif command == b"S":
                out += b"\n" + status_bytes(state) + b"\r\x03"
            elif command == b"Z":
                out += b"\n" + status_bytes(IndicatorState(Decimal(0), state.unit)) + b"\r\x03"
            elif command:
                out += b"\n?\r\x03"
        return bytes(out)
