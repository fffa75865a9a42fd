"""SMA SCP-0499 standard response (reference §8): 20 bytes,
``LF s r n m f weight[10] unit[3] CR``.

s: ``Z`` centre of zero, ``O`` over / ``U`` under capacity (digits decoded, frame not usable),
``E``/``I``/``T`` zero/initial-zero/tare error (dashes: refused), ``e`` not displayed
(refused), space ok. n: ``G``/``N`` (``g``/``n`` high resolution); ``T`` is a tare reply,
skipped. m: ``M`` motion. The indicator answers ``LF W CR`` (one reading) or, after
``LF R CR``, repeats until the next command: both are decoded the same way.
"""
from __future__ import annotations

import re
from decimal import Decimal

from hardware.scale.commands import CommandLines
from hardware.scale.framing import FramedDecoder, Step, check_unit, parse_number
from hardware.scale.frame import FrameError, Unit, WeightFrame
from hardware.scale.state import IndicatorState

LF, CR = 0x0A, 0x0D
LENGTH = 20
REQUEST = b"\nW\r"
_SHAPE = re.compile(rb"\n([ ZOUEITe])([0-9])([GNTgn])([ M]).([ 0-9.+\-]{10})([a-z ]{3})\r",
                    re.DOTALL)
_UNITS: dict[bytes, Unit] = {b"kg": "kg", b"t": "t", b"lb": "lb", b"g": "g"}
_ERRORS = {b"E": "zero error (E)", b"I": "initial zero error (I)", b"T": "tare error (T)",
           b"e": "weight not displayed (e)"}


def decode_frame(frame: bytes, unit_override: Unit | None = None) -> WeightFrame | FrameError | None:
    """One 20-byte response. None when it is not SMA-shaped or is a tare reply."""
    m = _SHAPE.fullmatch(frame)
    if m is None:
        if len(frame) == LENGTH and frame[0] == LF and frame[-1] == CR:
            return FrameError("bad SMA field", frame)
        return None
    status, _range, mode, motion, weight_text, unit_text = m.groups()
    if status in _ERRORS:
        return FrameError(_ERRORS[status], frame)
    if mode == b"T":
        return None
    value = parse_number(weight_text.strip(b" "))
    if value is None:
        return FrameError("bad SMA weight field", frame)
    unit = _UNITS.get(unit_text.strip(b" "))
    if unit is None:
        return FrameError(f"unsupported unit {unit_text!r}", frame)
    return WeightFrame(weight=value, unit=unit_override or unit, stable=motion != b"M",
                       net=mode in b"Nn", tare=None, overload=status == b"O",
                       underload=status == b"U")


class SmaDecoder(FramedDecoder):
    max_pending = 2 * LENGTH

    def __init__(self, *, unit: str | None = None, poll: bool = False, confirm: int = 1) -> None:
        super().__init__(confirm=confirm)
        self.unit_override = check_unit(unit)
        self.request = REQUEST if poll else None  # else the indicator repeats (R mode)

    def _step(self, buf: bytearray) -> Step | None:
        start = buf.find(LF)
        if start != 0:
            return Step(len(buf) if start < 0 else start)
        if len(buf) < LENGTH:
            cr = buf.find(CR)
            return Step(cr + 1) if cr > 0 else None  # a short reply (?, !, about): not ours
        item = decode_frame(bytes(buf[:LENGTH]), self.unit_override)
        if item is None:
            return Step(1)
        return Step(LENGTH if isinstance(item, WeightFrame) else 1, item)


def encode_frame(weight: Decimal | int, unit: str = "lb", *, status: str = " ",
                 mode: str = "G", motion: bool = False) -> bytes:
    weight = Decimal(weight)
    exponent = weight.as_tuple().exponent
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    text = ("-" if weight < 0 else "") + f"{abs(weight):.{decimals}f}"
    if len(text) > 10:
        raise ValueError(f"{weight} does not fit the 10-character weight field")
    body = f"{status}1{mode}{'M' if motion else ' '} {text:>10}{unit:<3}"
    return b"\n" + body.encode("ascii") + b"\r"


def encode(state: IndicatorState) -> bytes:
    status = "O" if state.overload else "U" if state.underload else " "
    if state.weight == 0 and status == " ":
        status = "Z"
    return encode_frame(state.weight, state.unit, status=status,
                        mode="N" if state.net else "G", motion=state.motion)


class SmaResponder:
    """Answers ``LF W CR``; anything else unknown gets ``LF ? CR``."""

    def __init__(self) -> None:
        self._lines = CommandLines(b"\r", 32)

    def feed(self, data: bytes, state: IndicatorState) -> bytes:
        out = bytearray()
        for line in self._lines.feed(data):
            command = line.rsplit(b"\n", 1)[-1]  # LF starts a command
            if command in (b"W", b"H"):
                out += encode(state)
            elif command == b"Z":
                out += encode(IndicatorState(Decimal(0), state.unit))
            elif command:
                out += b"\n?\r"
        return bytes(out)
