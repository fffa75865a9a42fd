"""Rice Lake RLWS stream (reference §6.1; Cardinal "IQ355" is the same layout):
``STX pol weight[7] unit g/n status CR [LF]``, 13 bytes + optional LF.

pol space/``-``; weight right-justified, decimal point included, leading zeros as spaces;
unit ``L`` lb, ``K`` kg, ``G`` g (``T`` tons and ``O`` ounces are refused); ``G``/``N``;
status space ok, ``M`` motion, ``O`` over/under range (by the sign; digits kept but the frame
is not usable), ``I`` invalid (refused), ``Z`` centre of zero. No checksum: ``confirm=N``.
"""
from __future__ import annotations

import re
from decimal import Decimal

from hardware.scale.framing import FramedDecoder, Step, check_unit, parse_number
from hardware.scale.frame import FrameError, Unit, WeightFrame
from hardware.scale.state import IndicatorState, fixed

STX, CR = 0x02, 0x0D
LENGTH = 13
_FRAME = re.compile(rb"\x02([ -])([ 0-9.]{7})([A-Z])([GN])([ A-Z])\r")
_UNITS: dict[bytes, Unit] = {b"L": "lb", b"K": "kg", b"G": "g"}
_LETTERS: dict[str, str] = {"lb": "L", "kg": "K", "g": "G"}


def decode_frame(frame: bytes, unit_override: Unit | None = None) -> WeightFrame | FrameError | None:
    m = _FRAME.fullmatch(frame)
    if m is None:
        return None
    sign, weight_text, unit_text, mode, status = m.groups()
    if status == b"I":
        return FrameError("invalid weight (I)", frame)
    if status not in b" MOZ":
        return FrameError(f"unknown status {status!r}", frame)
    value = parse_number(weight_text.lstrip(b" "))
    if value is None:
        return FrameError("bad RLWS weight field", frame)
    unit = _UNITS.get(unit_text)
    if unit is None:
        return FrameError(f"unsupported unit {unit_text!r}", frame)
    negative = sign == b"-"
    return WeightFrame(weight=-value if negative and value else value,
                       unit=unit_override or unit, stable=status != b"M", net=mode == b"N",
                       tare=None, overload=status == b"O" and not negative,
                       underload=status == b"O" and negative)


class RiceLakeDecoder(FramedDecoder):
    max_pending = 2 * LENGTH
    trailer = b"\n"

    def __init__(self, *, unit: str | None = None, confirm: int = 1) -> None:
        super().__init__(confirm=confirm)
        self.unit_override = check_unit(unit)

    def _step(self, buf: bytearray) -> Step | None:
        start = buf.find(STX)
        if start != 0:
            return Step(len(buf) if start < 0 else start)
        if len(buf) < LENGTH:
            return None
        item = decode_frame(bytes(buf[:LENGTH]), self.unit_override)
        if item is None:
            return Step(1)
        return Step(LENGTH if isinstance(item, WeightFrame) else 1, item)


def encode_frame(weight: Decimal | int, unit: str = "lb", *, net: bool = False,
                 status: str = " ", line_end: bytes = b"\r\n") -> bytes:
    if unit not in _LETTERS:
        raise ValueError(f"RLWS frames carry lb, kg or g, not {unit!r}")
    weight = Decimal(weight)
    exponent = weight.as_tuple().exponent
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    sign = "-" if weight < 0 else " "
    text = f"\x02{sign}{fixed(weight, decimals, 7, pad=' ')}{_LETTERS[unit]}{'N' if net else 'G'}"
    return (text + status).encode("ascii") + line_end


def encode(state: IndicatorState) -> bytes:
    over = state.overload or state.underload
    status = "O" if over else "M" if state.motion else " "
    weight = state.weight if not state.underload else -abs(state.weight) or Decimal(-1)
    return encode_frame(weight, state.unit, net=state.net, status=status)
