"""CAS / A&D-style ``ST,GS,+001.234kg`` lines (reference §5).

``S1,S2[,]sign data unit CR LF``: S1 ``ST`` stable / ``US`` unstable / ``OL`` overload, S2
``GS`` gross / ``NT`` net (``TR`` tare lines are skipped). The comma after S2 may be missing,
the sign may stand before or after the padding, the unit case varies: one tolerant pattern,
applied from the last ``ST,``/``US,``/``OL,`` on the line so leading noise is dropped. No
checksum: use ``confirm=N`` on a live line. An ``OL`` line carries no weight: refused.
"""
from __future__ import annotations

import re
from decimal import Decimal

from hardware.scale.framing import FramedDecoder, Step, check_unit, parse_number
from hardware.scale.frame import FrameError, Unit, WeightFrame
from hardware.scale.state import IndicatorState, fixed

MAX_LINE = 48
_LINE = re.compile(rb"(ST|US|OL), ?(GS|NT|TR),? *([-+])? *([0-9.]+)? *([A-Za-z]{1,2})? *")
_STARTS = (b"ST,", b"US,", b"OL,")
_UNITS: dict[bytes, Unit] = {b"kg": "kg", b"t": "t", b"lb": "lb", b"g": "g"}


def parse_line(line: bytes, unit: Unit) -> WeightFrame | FrameError | None:
    """One line without CR LF -> frame, refused frame, or None (no CAS line at all)."""
    start = max(line.rfind(s) for s in _STARTS)
    if start < 0:
        return None
    line = line[start:]
    m = _LINE.fullmatch(line)
    if m is None:
        return FrameError("bad CAS line", line)
    status, mode, sign, digits, unit_text = m.groups()
    if status == b"OL":
        return FrameError("overload (OL)", line)
    if mode == b"TR":
        return None
    value = parse_number(digits) if digits else None
    if value is None:
        return FrameError("no weight in CAS line", line)
    frame_unit = unit
    if unit_text is not None:
        found = _UNITS.get(unit_text.lower())
        if found is None:
            return FrameError(f"unsupported unit {unit_text!r}", line)
        frame_unit = found
    return WeightFrame(weight=-value if sign == b"-" and value else value, unit=frame_unit,
                       stable=status == b"ST", net=mode == b"NT", tare=None,
                       overload=False, underload=False)


class CasDecoder(FramedDecoder):
    max_pending = MAX_LINE

    def __init__(self, *, unit: str | None = None, confirm: int = 1) -> None:
        super().__init__(confirm=confirm)
        self.unit: Unit = check_unit(unit) or "kg"

    def _step(self, buf: bytearray) -> Step | None:
        end = buf.find(b"\n")
        if end < 0:
            return Step(len(buf)) if len(buf) > MAX_LINE else None
        line = bytes(buf[:end]).rstrip(b"\r")
        start = max(line.rfind(s) for s in _STARTS)
        if start > 0:  # noise in front of the line: skipped, the line itself decoded next
            return Step(start)
        return Step(end + 1, parse_line(line, self.unit))


def encode_line(weight: Decimal | int, unit: str = "kg", *, stable: bool = True,
                net: bool = False, overload: bool = False, width: int = 7) -> bytes:
    """``ST,GS,+001.234kg`` CR LF (zero-padded like C1)."""
    if overload:
        return f"OL,{'NT' if net else 'GS'},+{' ' * width}{unit}\r\n".encode("ascii")
    weight = Decimal(weight)
    exponent = weight.as_tuple().exponent
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    sign = "-" if weight < 0 else "+"
    return (f"{'ST' if stable else 'US'},{'NT' if net else 'GS'},{sign}"
            f"{fixed(weight, decimals, width)}{unit}\r\n").encode("ascii")


def encode(state: IndicatorState) -> bytes:
    if state.underload:
        return b""  # the format has no underload status: no weight line
    return encode_line(state.weight, state.unit, stable=not state.motion, net=state.net,
                       overload=state.overload)
