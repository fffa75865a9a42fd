"""A toy indicator protocol, written the way a real one is added: this one module plus one
registry row. Polled: the host sends ``W\\r``, the indicator answers ``T<sign><6 digits><unit>
<S|M>\\r\\n`` (no checksum, so live reading confirms)."""
from __future__ import annotations

import re

from hardware.scale.codecs import Codec
from hardware.scale.frame import FrameError, WeightFrame
from hardware.scale.framing import FramedDecoder, Step, check_unit, parse_number
from hardware.scale.state import IndicatorState

REQUEST = b"W\r"
_REPLY = re.compile(rb"T([+-]\d{6})(kg|lb|t|g) ([SM])")


class ToyDecoder(FramedDecoder):
    max_pending = 32
    request = REQUEST

    def __init__(self, *, unit: str | None = None, confirm: int = 1) -> None:
        super().__init__(confirm=confirm)
        self.unit_override = check_unit(unit)

    def _step(self, buf: bytearray) -> Step | None:
        start = buf.find(b"T")
        if start != 0:
            return Step(len(buf) if start < 0 else start)
        end = buf.find(b"\r\n")
        if end < 0:
            return None
        match = _REPLY.fullmatch(bytes(buf[:end]))
        weight = parse_number(match.group(1)) if match else None
        if match is None or weight is None:
            return Step(end + 2, FrameError("bad toy reply", bytes(buf[:end + 2])))
        unit = self.unit_override or match.group(2).decode()
        return Step(end + 2, WeightFrame(weight=weight, unit=unit, stable=match.group(3) == b"S",
                                         net=False, tare=None, overload=False, underload=False))


def encode(state: IndicatorState) -> bytes:
    sign = "-" if state.weight < 0 else "+"
    flag = "M" if state.motion else "S"
    return f"T{sign}{abs(int(state.weight)):06d}{state.unit} {flag}\r\n".encode("ascii")


class ToyResponder:
    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes, state: IndicatorState) -> bytes:
        self._buf += data
        replies = self._buf.count(REQUEST)
        del self._buf[: self._buf.rfind(b"\r") + 1]
        return encode(state) * replies


CODEC = Codec("toy", ToyDecoder, encode, False, ToyResponder, "always", units=("kg", "lb"),
              detect_listen=False, detect_ask=())
