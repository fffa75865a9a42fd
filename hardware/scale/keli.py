"""Keli XK3118T1 "=" stream, normal digit order (reference §4; also Yaohua A26 format 2).

``=5123.45(kg)`` + CR LF, or bare ``=0003.000`` / ``=-0001.00`` repeated. A frame ends at CR,
LF or the next ``=``; the unit in brackets is optional (else configuration). No checksum: use
``confirm=N`` on a live line. Keli's command mode (XK3118K9) is the Yaohua one (§3.4):
``get_decoder("keli", command=True)`` gives the Yaohua command-mode decoder.
``line_end=True`` (the T1 form) requires every frame to end with CR/LF, so a frame cut short
and glued to the next ``=`` is refused instead of read as a smaller number.
"""
from __future__ import annotations

import re
from decimal import Decimal

from hardware.scale.framing import FramedDecoder, Step, check_unit, parse_number
from hardware.scale.frame import FrameError, Unit, WeightFrame
from hardware.scale.state import IndicatorState, fixed

MAX_BODY = 20
_BODY = re.compile(rb"([-+]?[0-9.]+)(?:\(([A-Za-z]+)\))?")
_UNITS: dict[bytes, Unit] = {b"kg": "kg", b"t": "t", b"lb": "lb", b"g": "g"}


def decode_body(body: bytes, unit: Unit) -> WeightFrame | FrameError | None:
    if not body:
        return None
    m = _BODY.fullmatch(body)
    value = parse_number(m.group(1)) if m else None
    if m is None or value is None:
        return FrameError("not a Keli weight", body)
    frame_unit = unit
    if m.group(2) is not None:
        found = _UNITS.get(m.group(2).lower())
        if found is None:
            return FrameError(f"unsupported unit {m.group(2)!r}", body)
        frame_unit = found
    return WeightFrame(weight=value, unit=frame_unit, stable=None, net=False, tare=None,
                       overload=False, underload=False)


class KeliDecoder(FramedDecoder):
    max_pending = 2 * MAX_BODY
    trailer = b"\n"

    def __init__(self, *, unit: str | None = None, line_end: bool = False,
                 confirm: int = 1) -> None:
        super().__init__(confirm=confirm)
        self.unit: Unit = check_unit(unit) or "kg"
        self.line_end = line_end  # frames must end with CR/LF: a cut frame cannot pass

    def _step(self, buf: bytearray) -> Step | None:
        start = buf.find(b"=")
        if start != 0:
            return Step(len(buf) if start < 0 else start)
        end = next((i for i in range(1, min(len(buf), MAX_BODY + 2)) if buf[i] in b"=\r\n"), -1)
        if end < 0:
            if len(buf) > MAX_BODY + 1:
                return Step(MAX_BODY + 1, FrameError("frame too long", bytes(buf[1:MAX_BODY + 2])))
            return None
        if self.line_end and buf[end] == ord("="):
            return Step(end, FrameError("frame without its line end", bytes(buf[1:end])))
        item = decode_body(bytes(buf[1:end]), self.unit)
        # a CR/LF ends this frame and is part of it; "=" is the next frame's start
        return Step(end if buf[end] == ord("=") else end + 1, item)


def encode_frame(weight: Decimal | int, unit: str | None = "kg", *, line_end: bool = True,
                 width: int = 7) -> bytes:
    """``=5123.45(kg)`` CR LF; ``unit=None`` leaves the bracket out."""
    weight = Decimal(weight)
    exponent = weight.as_tuple().exponent
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    text = ("-" if weight < 0 else "") + fixed(weight, decimals, width)
    tail = ("" if unit is None else f"({unit})") + ("\r\n" if line_end else "")
    return f"={text}{tail}".encode("ascii")


def encode(state: IndicatorState) -> bytes:
    if state.overload or state.underload:
        return b""
    return encode_frame(state.weight, state.unit)
