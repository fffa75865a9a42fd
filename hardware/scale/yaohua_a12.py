"""Yaohua XK3190-A12(E) 15-byte frame with checksum (reference scale-protocols.md §3.3).

``W`` ``G``/``N``, a 7-byte weight field (decimal point included; ``-`` first when negative;
the last byte is a space when there is no decimal point), the unit ``kg``, the XOR of bytes
1..11 as two ASCII hex digits, CR LF. The manual's own example only fits an XOR, not a sum.
Overload and underload frames carry no weight at all: nine spaces then ``OL`` / ``LO``; they
are refused frames with the reason, never a weight. No motion flag: ``stable`` is None.

``lower=True`` reads the other A12 firmware's lower-case lines instead (§3.3: ``ww000.000lb``,
``wn-0000.1kg``, ``wn 0002.02kg``): ``ww`` gross, ``wn`` net, ``wt`` a tare display (skipped),
one line per LF, no checksum, so use it with ``confirm`` of 2 or more on a live line.
"""
from __future__ import annotations

import re
from decimal import Decimal

from hardware.scale.framing import FramedDecoder, Step, check_unit, hex_pair, parse_number, xor_of
from hardware.scale.frame import FrameError, Unit, WeightFrame
from hardware.scale.state import IndicatorState

LENGTH = 15
_SHAPE = re.compile(rb"[ -~]{11}[0-9A-F]{2}\r\n")
_FIELD = re.compile(rb"-?[0-9]*\.[0-9]+|-?[0-9]{1,5}[0-9] ")  # dotted, or digits + a space
_UNITS: dict[bytes, Unit] = {b"kg": "kg", b"lb": "lb"}
_NO_WEIGHT = {b"OL": "overload (OL)", b"LO": "underload (LO)"}
BLANK = b" " * 9
MAX_LOWER = 24
_LOWER = re.compile(rb"w([wnt]) ?(-?[0-9]+(?:\.[0-9]+)?)(kg|lb)")


def decode_frame(frame: bytes, unit_override: Unit | None = None) -> WeightFrame | FrameError | None:
    """One 15-byte frame with its CR LF. None when it is not A12-shaped at all."""
    if len(frame) != LENGTH or not _SHAPE.fullmatch(frame):
        return None
    expected = hex_pair(xor_of(frame[:11]))
    if frame[11:13] != expected:
        return FrameError(f"bad checksum {frame[11:13].decode()}, expected {expected.decode()}",
                          frame)
    if frame[:9] == BLANK and frame[9:11] in _NO_WEIGHT:
        return FrameError(_NO_WEIGHT[frame[9:11]], frame)
    field = frame[2:9]
    value = parse_number(field.rstrip(b" ")) if _FIELD.fullmatch(field) else None
    if frame[0:1] != b"W" or frame[1:2] not in (b"G", b"N") or value is None:
        return FrameError("bad A12 weight field", frame)
    unit = _UNITS.get(frame[9:11])
    if unit is None:
        return FrameError(f"unsupported unit {frame[9:11]!r}", frame)
    return WeightFrame(weight=value, unit=unit_override or unit, stable=None,
                       net=frame[1:2] == b"N", tare=None, overload=False, underload=False)


class YaohuaA12Decoder(FramedDecoder):
    """Frames end with LF; bytes before the last 15 of a longer line are garbage."""

    max_pending = 2 * LENGTH

    def __init__(self, *, unit: str | None = None, confirm: int = 1, lower: bool = False) -> None:
        super().__init__(confirm=confirm)
        self.unit_override = check_unit(unit)
        self.lower = lower

    def _step(self, buf: bytearray) -> Step | None:
        end = buf.find(b"\n")
        if end < 0:
            return None  # the base drops the oldest byte once max_pending is exceeded
        if self.lower:
            return self._lower_step(buf, end)
        if end + 1 > LENGTH:
            return Step(end + 1 - LENGTH)  # garbage glued before a frame-length line
        if end + 1 < LENGTH:
            return Step(end + 1)  # a cut frame: no frame at all
        item = decode_frame(bytes(buf[:LENGTH]), self.unit_override)
        return Step(LENGTH, item)


    def _lower_step(self, buf: bytearray, end: int) -> Step:
        line = bytes(buf[:end]).rstrip(b"\r")
        start = max(line.rfind(b"ww"), line.rfind(b"wn"), line.rfind(b"wt"))
        if start < 0 or len(line) - start > MAX_LOWER:
            return Step(end + 1)  # no frame in this line
        if start > 0:
            return Step(start)  # garbage before the frame
        return Step(end + 1, decode_lower(line, self.unit_override))


def decode_lower(line: bytes, unit_override: Unit | None = None) -> WeightFrame | FrameError | None:
    """One lower-case line without its line end. None for a tare display (``wt``)."""
    m = _LOWER.fullmatch(line)
    value = parse_number(m.group(2)) if m else None
    if m is None or value is None:
        return FrameError("bad A12 lower-case line", line)
    if m.group(1) == b"t":
        return None
    return WeightFrame(weight=value, unit=unit_override or _UNITS[m.group(3)], stable=None,
                       net=m.group(1) == b"n", tare=None, overload=False, underload=False)


def _field(weight: Decimal) -> bytes:
    exponent = weight.as_tuple().exponent
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    sign = "-" if weight < 0 else ""
    if decimals:
        text = sign + f"{abs(weight):.{decimals}f}".rjust(7 - len(sign), "0")
    else:
        text = sign + f"{abs(weight):.0f}".rjust(6 - len(sign), "0") + " "
    if len(text) != 7:
        raise ValueError(f"{weight} does not fit the 7-byte A12 weight field")
    return text.encode("ascii")


def _framed(body: bytes) -> bytes:
    return body + hex_pair(xor_of(body)) + b"\r\n"


def encode_frame(weight: Decimal | int, *, net: bool = False, unit: str = "kg") -> bytes:
    if unit not in ("kg", "lb"):
        raise ValueError(f"A12 frames carry kg or lb, not {unit!r}")
    body = b"W" + (b"N" if net else b"G") + _field(Decimal(weight)) + unit.encode("ascii")
    return _framed(body)


def encode(state: IndicatorState) -> bytes:
    if state.overload:
        return _framed(BLANK + b"OL")
    if state.underload:
        return _framed(BLANK + b"LO")
    return encode_frame(state.weight, net=state.net, unit=state.unit)
