"""Yaohua/Keli "=" reversed stream (reference §3.2): ``=`` then the displayed value with its
decimal point, lowest digit first, then the sign (``0`` positive, ``-`` negative).

No checksum, no terminator but the next ``=``. Rules that keep a bad frame from becoming a
weight: a frame is complete only when the next ``=`` arrives (so a frame with an extra byte
is seen as too long), the body must have exactly ``width`` characters (8 by the manuals; the
garrett-he peer's data files may use 7), and the reversed text must be a plain number. Use
``confirm=N`` on a live line: there is no checksum to catch a flipped digit.
"""
from __future__ import annotations

from decimal import Decimal

from hardware.scale.framing import FramedDecoder, Step, check_unit, parse_number
from hardware.scale.frame import FrameError, Unit, WeightFrame
from hardware.scale.state import IndicatorState, fixed

SEP = ord("=")


def decode_body(body: bytes, width: int, unit: Unit) -> WeightFrame | FrameError | None:
    """The bytes between two ``=``. None for an empty body (doubled separator)."""
    if not body:
        return None
    if len(body) != width:
        return FrameError(f"frame of {len(body)} characters, expected {width}", body)
    text = body[::-1]
    value = parse_number(text) if text[:1] in b"-0123456789" else None
    if value is None:
        return FrameError("not a reversed number", body)
    return WeightFrame(weight=value, unit=unit, stable=None, net=False, tare=None,
                       overload=False, underload=False)


class YaohuaEqDecoder(FramedDecoder):
    def __init__(self, *, unit: str | None = None, width: int = 8, confirm: int = 1) -> None:
        super().__init__(confirm=confirm)
        if not 2 <= width <= 16:
            raise ValueError(f"width must be 2..16, not {width}")
        self.unit: Unit = check_unit(unit) or "kg"
        self.width = width
        self.max_pending = 2 * (width + 1)

    def _step(self, buf: bytearray) -> Step | None:
        start = buf.find(SEP)
        if start != 0:  # bytes before the first "=": a frame we saw only the end of
            return Step(len(buf) if start < 0 else start)
        end = buf.find(SEP, 1, self.width + 2)
        if end < 0:
            if len(buf) > self.width + 1:  # no separator where one must be: too long
                return Step(self.width + 1, FrameError("frame too long", bytes(buf[1:self.width + 2])))
            return None
        body = bytes(buf[1:end])
        return Step(end, decode_body(body, self.width, self.unit))

    def _final_step(self, buf: bytearray) -> Step | None:
        # the end of a capture delimits its last frame: accept it only at exactly full width
        if buf[:1] == b"=" and len(buf) == self.width + 1:
            return Step(len(buf), decode_body(bytes(buf[1:]), self.width, self.unit))
        return None


def encode_body(weight: Decimal | int, width: int = 8) -> bytes:
    """Sign slot (``0``/``-``) + value zero-padded to width-1 characters, then reversed."""
    weight = Decimal(weight)
    exponent = weight.as_tuple().exponent
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    text = ("-" if weight < 0 else "0") + fixed(weight, decimals, width - 1)
    return text[::-1].encode("ascii")


def encode_frame(weight: Decimal | int, width: int = 8) -> bytes:
    return b"=" + encode_body(weight, width)


def encode(state: IndicatorState) -> bytes:
    if state.overload or state.underload:
        return b""  # the format has no flag; the indicator stops sending weights
    return encode_frame(state.weight)
