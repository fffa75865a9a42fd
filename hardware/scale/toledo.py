"""Mettler Toledo "Standard Continuous Output" codec (reference scale-protocols.md §1).

Frame: STX SWA SWB SWC weight[6] [tare[6]] CR [checksum]. Four lengths exist (18/17 with a
tare field, 12/11 "short" without) and the length is configuration, never guessed: the
checksum byte may itself be 0x02, so "the next STX" is not a frame boundary.

Decisions documented here (the reference leaves them open):
* Out of range (SWB bit 2) is reported as ``overload`` when the sign bit says positive and
  ``underload`` when it says negative. The digits are still decoded (they must still be
  digits or spaces), but ``WeightFrame.usable`` is False, so nothing may record them.
* A tare field of all spaces means "no tare": ``tare=None``. ``000000`` is a tare of 0.
  The short formats carry no tare field: ``tare=None``.
* A weight field of all spaces is a FrameError: a blank display is not a zero.
* Spaces are allowed only as leading padding ("   200"), never between digits.
* Bit 7 of every byte is a parity bit on 7E1 links and is masked before anything else.
* Byte accounting: every byte fed ends up in exactly one of: a good frame, the STX of a
  FrameError (the rest of a bad frame is rescanned, so a real frame hiding inside it is not
  lost), ``skipped_bytes``, or the pending buffer (``flush()`` counts those as skipped).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from hardware.scale.frame import FrameError, Unit, WeightFrame

STX = 0x02
CR = 0x0D
_MASK = bytes(b & 0x7F for b in range(256))  # translate table: strip the parity bit
_FIELD_RE = re.compile(rb" *[0-9]+")  # leading-space padding, then digits only
_UNITS: frozenset[str] = frozenset({"kg", "t", "lb", "g"})
_COUNT_BY_BITS = {1: 0b01, 2: 0b10, 5: 0b11}
_COUNT_BY_FROM_BITS = {v: k for k, v in _COUNT_BY_BITS.items()}


def frame_length(*, checksum: bool, short: bool) -> int:
    """18 (tare+checksum), 17 (tare), 12 (short+checksum), 11 (short)."""
    return (11 if short else 17) + (1 if checksum else 0)


def checksum_of(body: bytes) -> int:
    """2's complement of the low 7 bits of the sum of STX..CR. A parity bit (bit 7) adds a
    multiple of 128 to the sum, so it cannot change the result: no masking needed."""
    return -sum(body) & 0x7F


@dataclass(frozen=True)
class ToledoStatus:
    """The three status words, decoded. Values are after masking the parity bit."""

    dp_code: int  # SWA bits 0-2: weight = digits x 10^(2 - dp_code)
    count_by: int | None  # SWA bits 3-4: 1, 2, 5; None for the undefined code 00
    net: bool
    negative: bool
    out_of_range: bool
    motion: bool
    kg: bool  # SWB bit 4: 1 = kg, 0 = lb
    power_up: bool
    grams: bool  # SWC bit 0
    print_request: bool
    expanded: bool


def decode_status(swa: int, swb: int, swc: int) -> ToledoStatus:
    swa, swb, swc = swa & 0x7F, swb & 0x7F, swc & 0x7F
    return ToledoStatus(
        dp_code=swa & 0b111,
        count_by=_COUNT_BY_FROM_BITS.get((swa >> 3) & 0b11),
        net=bool(swb & 0x01),
        negative=bool(swb & 0x02),
        out_of_range=bool(swb & 0x04),
        motion=bool(swb & 0x08),
        kg=bool(swb & 0x10),
        power_up=bool(swb & 0x40),
        grams=bool(swc & 0x01),
        print_request=bool(swc & 0x08),
        expanded=bool(swc & 0x10),
    )


def scale_digits(count: int, dp_code: int) -> Decimal:
    """Digits -> weight per the SWA table. Code 2 = no decimals; 0/1 = fixed zeros."""
    if dp_code <= 2:
        return Decimal(count * 10 ** (2 - dp_code))
    # scaleb keeps the displayed resolution: 2350 at code 4 is Decimal("23.50").
    return Decimal(count).scaleb(2 - dp_code)


def _parse_field(field: bytes, name: str, *, blank_ok: bool) -> int | None:
    """A 6-char digit field -> int; None for all spaces when allowed. Raises ValueError."""
    if blank_ok and field.strip(b" ") == b"":
        return None
    if not _FIELD_RE.fullmatch(field):
        raise ValueError(f"bad {name} field {field!r}: digits with leading spaces expected")
    return int(field)


def _frame_shaped(frame: bytes, length: int, checksum: bool) -> bool:
    """STX, three status words with bit 5 set, CR at the configured offset (masked bytes)."""
    cr_at = length - 2 if checksum else length - 1
    return (
        len(frame) == length
        and frame[0] == STX
        and all(b & 0x20 for b in frame[1:4])
        and frame[cr_at] == CR
    )


def _unit_for(status: ToledoStatus, override: str | None) -> Unit:
    if override is not None:
        return override  # type: ignore[return-value]  # validated by the caller
    if status.grams:
        return "g"
    return "kg" if status.kg else "lb"


def decode_frame(
    frame: bytes, *, checksum: bool = True, short: bool = False, unit_override: str | None = None
) -> WeightFrame | FrameError:
    """Decode one complete frame-shaped byte run (parity bits may be present)."""
    raw = frame
    frame = frame.translate(_MASK)
    length = frame_length(checksum=checksum, short=short)
    if not _frame_shaped(frame, length, checksum):
        return FrameError(f"not a Toledo frame of {length} bytes", raw)
    if checksum:
        expected = checksum_of(frame[:-1])
        if frame[-1] != expected:
            return FrameError(f"bad checksum 0x{frame[-1]:02X}, expected 0x{expected:02X}", raw)
    status = decode_status(frame[1], frame[2], frame[3])
    try:
        digits = _parse_field(frame[4:10], "weight", blank_ok=False)
        tare_digits = None if short else _parse_field(frame[10:16], "tare", blank_ok=True)
    except ValueError as exc:
        return FrameError(str(exc), raw)
    assert digits is not None  # blank_ok=False never returns None
    weight = scale_digits(digits, status.dp_code)
    if status.negative and digits:  # never a Decimal("-0")
        weight = -weight
    return WeightFrame(
        weight=weight,
        unit=_unit_for(status, unit_override),
        stable=not status.motion,
        net=status.net,
        tare=None if tare_digits is None else scale_digits(tare_digits, status.dp_code),
        overload=status.out_of_range and not status.negative,
        underload=status.out_of_range and status.negative,
        power_up=status.power_up,
    )


class ToledoDecoder:
    """Incremental decoder: feed any chunking of the byte stream, get the same frames."""

    def __init__(
        self, checksum: bool = True, short: bool = False, unit_override: str | None = None
    ) -> None:
        if unit_override is not None and unit_override not in _UNITS:
            raise ValueError(f"unit must be one of {sorted(_UNITS)}, not {unit_override!r}")
        self.checksum = checksum
        self.short = short
        self.unit_override = unit_override
        self.length = frame_length(checksum=checksum, short=short)
        self.skipped_bytes = 0
        self.frames = 0
        self.errors = 0
        self._buf = bytearray()  # parity-masked; starts at a candidate STX or is empty
        self._raw = bytearray()  # same bytes unmasked, for FrameError.raw diagnostics

    @property
    def pending(self) -> int:
        """Bytes held back waiting for the rest of a possible frame."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[WeightFrame | FrameError]:
        self._buf += data.translate(_MASK)
        self._raw += data
        out: list[WeightFrame | FrameError] = []
        while True:
            start = self._buf.find(STX)
            if start < 0:
                self._drop(len(self._buf), skipped=True)
                return out
            self._drop(start, skipped=True)
            if len(self._buf) < self.length:
                return out  # partial frame: keep the tail for the next feed
            out.extend(self._take_candidate())

    def flush(self) -> list[WeightFrame | FrameError]:
        """End of stream: a held partial frame is no frame; count it as skipped."""
        self._drop(len(self._buf), skipped=True)
        return []

    def _take_candidate(self) -> list[WeightFrame | FrameError]:
        """The buffer starts with STX and holds at least one frame length."""
        candidate = bytes(self._raw[: self.length])
        if not _frame_shaped(bytes(self._buf[: self.length]), self.length, self.checksum):
            self._drop(1, skipped=True)  # a stray 0x02: scan on from the next byte
            return []
        result = decode_frame(
            candidate, checksum=self.checksum, short=self.short, unit_override=self.unit_override
        )
        if isinstance(result, FrameError):
            self.errors += 1
            self._drop(1, skipped=False)  # rescan: a real frame may start inside this one
        else:
            self.frames += 1
            self._drop(self.length, skipped=False)
        return [result]

    def _drop(self, n: int, *, skipped: bool) -> None:
        if n <= 0:
            return
        del self._buf[:n]
        del self._raw[:n]
        if skipped:
            self.skipped_bytes += n


def _digits_field(count: int, pad: str) -> bytes:
    if not 0 <= count <= 999_999:
        raise ValueError(f"{count} does not fit the 6-digit field")
    return str(count).rjust(6, pad).encode("ascii")


def _to_digits(value: Decimal | int, dp_code: int, what: str) -> int:
    """Weight in its unit -> the integer the 6 digits carry, exactly or not at all."""
    scaled = Decimal(value).scaleb(dp_code - 2)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{what} {value} is not representable at DP code {dp_code}")
    return int(scaled)


def _status_words(
    *, unit: str, dp_code: int, count_by: int, net: bool, negative: bool,
    out_of_range: bool, motion: bool, power_up: bool,
) -> bytes:
    if unit not in ("kg", "lb", "g"):
        raise ValueError(f"Toledo frames carry kg, lb or g, not {unit!r}")
    if not 0 <= dp_code <= 7:
        raise ValueError(f"dp_code must be 0..7, not {dp_code}")
    if count_by not in _COUNT_BY_BITS:
        raise ValueError(f"count_by must be 1, 2 or 5, not {count_by}")
    swa = 0x20 | (_COUNT_BY_BITS[count_by] << 3) | dp_code
    swb = (0x20 | net * 0x01 | negative * 0x02 | out_of_range * 0x04 | motion * 0x08
           | (unit == "kg") * 0x10 | power_up * 0x40)
    swc = 0x20 | (unit == "g") * 0x01
    return bytes((swa, swb, swc))


def encode_toledo(
    weight: Decimal | int,
    *,
    unit: str = "kg",
    dp_code: int = 2,
    count_by: int = 1,
    net: bool = False,
    tare: Decimal | int | None = 0,
    motion: bool = False,
    overload: bool = False,
    power_up: bool = False,
    checksum: bool = True,
    short: bool = False,
    pad: str = "0",
) -> bytes:
    """One frame. ``overload`` sets the out-of-range bit; with a negative weight it decodes
    as underload (the protocol shares the bit and tells them apart by the sign).
    ``tare=None`` sends an all-spaces tare field; short frames carry no tare (must be 0/None).
    ``pad`` is "0" or " " for the leading padding of the digit fields."""
    if pad not in ("0", " "):
        raise ValueError("pad must be '0' or ' '")
    digits = _to_digits(weight, dp_code, "weight")
    body = bytearray([STX])
    body += _status_words(
        unit=unit, dp_code=dp_code, count_by=count_by, net=net, negative=digits < 0,
        out_of_range=overload, motion=motion, power_up=power_up,
    )
    body += _digits_field(abs(digits), pad)
    if short:
        if tare not in (0, None):
            raise ValueError("short frames carry no tare field")
    elif tare is None:
        body += b" " * 6
    else:
        body += _digits_field(_to_digits(tare, dp_code, "tare"), pad)
    body.append(CR)
    if checksum:
        body.append(checksum_of(bytes(body)))
    return bytes(body)
