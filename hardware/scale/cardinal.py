"""Cardinal continuous stream as Rice Lake documents it (reference §6.2, cf. Cardinal SB-200,
§7): ``CR pol weight status SP unit SP g/n SP SP ETX``.

pol ``+``/``-``; weight 6 digits right-justified with leading zeros (a ``.`` may be added when
the indicator shows decimals: 7 characters); status ``m`` motion, ``o`` over/under capacity
(by the sign), ``e`` weight not displayed (refused), space ok; unit ``lb kg g t`` (``tn``
short tons and ``oz`` are refused: no such unit in the domain); ``g``/``n`` gross/net.
No checksum: use ``confirm=N`` on a live line.
"""
from __future__ import annotations

import re
from decimal import Decimal

from hardware.scale.framing import FramedDecoder, Step, check_unit, parse_number
from hardware.scale.frame import FrameError, Unit, WeightFrame
from hardware.scale.state import IndicatorState, fixed

CR, ETX = 0x0D, 0x03
MAX_LENGTH = 18
_FRAME = re.compile(rb"\r([+-])([0-9 .]{6,7})([mo e]) ([a-z]{1,2}) ([gn])  \x03")
_UNITS: dict[bytes, Unit] = {b"kg": "kg", b"t": "t", b"lb": "lb", b"g": "g"}


def decode_frame(frame: bytes, unit_override: Unit | None = None) -> WeightFrame | FrameError:
    m = _FRAME.fullmatch(frame)
    if m is None:
        return FrameError("bad Cardinal frame", frame)
    sign, weight_text, status, unit_text, mode = m.groups()
    if status == b"e":
        return FrameError("weight not displayed (e)", frame)
    value = parse_number(weight_text.lstrip(b" "))
    if value is None:
        return FrameError("bad Cardinal weight field", frame)
    unit = _UNITS.get(unit_text)
    if unit is None:
        return FrameError(f"unsupported unit {unit_text!r}", frame)
    negative = sign == b"-"
    return WeightFrame(weight=-value if negative and value else value,
                       unit=unit_override or unit, stable=status != b"m", net=mode == b"n",
                       tare=None, overload=status == b"o" and not negative,
                       underload=status == b"o" and negative)


class CardinalDecoder(FramedDecoder):
    max_pending = 2 * MAX_LENGTH

    def __init__(self, *, unit: str | None = None, confirm: int = 1) -> None:
        super().__init__(confirm=confirm)
        self.unit_override = check_unit(unit)

    def _step(self, buf: bytearray) -> Step | None:
        start = buf.find(CR)
        if start != 0:
            return Step(len(buf) if start < 0 else start)
        end = buf.find(ETX, 1, MAX_LENGTH)
        nxt = buf.find(CR, 1, MAX_LENGTH)
        if 0 < nxt < end or (end < 0 and nxt > 0):
            return Step(nxt)  # a new frame starts before this one ended: a cut frame
        if end < 0:
            return Step(1) if len(buf) >= MAX_LENGTH else None
        item = decode_frame(bytes(buf[: end + 1]), self.unit_override)
        return Step(end + 1 if isinstance(item, WeightFrame) else 1, item)


def encode_frame(weight: Decimal | int, unit: str = "lb", *, status: str = " ",
                 net: bool = False) -> bytes:
    weight = Decimal(weight)
    exponent = weight.as_tuple().exponent
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    width = 7 if decimals else 6
    sign = "-" if weight < 0 else "+"
    text = f"\r{sign}{fixed(weight, decimals, width)}{status} {unit} {'n' if net else 'g'}  \x03"
    return text.encode("ascii")


def encode(state: IndicatorState) -> bytes:
    over = state.overload or state.underload
    status = "o" if over else "m" if state.motion else " "
    weight = state.weight if not state.underload else -abs(state.weight) or Decimal(-1)
    return encode_frame(weight, state.unit, status=status, net=state.net)
