"""Yaohua XK3190 12-byte STX frame (tF=0) and its command mode (reference §3.1, §3.4).

Continuous: STX, sign, 6 digits, decimal count '0'..'4', XOR high/low as ASCII hex, ETX. The
XOR covers sign..decimal count. Byte 9 is a decimal COUNT, not a seventh digit (the ×10 trap).
Command mode (A9 tF=1, A23P, Keli XK3118K9): the host sends STX addr cmd XOR XOR ETX; the
reply to B (gross) / D (net) is STX addr cmd sign 6 digits dec XOR XOR ETX (14 bytes), XOR over
addr..dec. Neither form carries a unit or a motion flag: ``stable`` is None, the unit is
configuration, and an overloaded indicator sends nothing we could read as a weight.
"""
from __future__ import annotations

from decimal import Decimal

from hardware.scale.framing import FramedDecoder, Step, check_unit, hex_pair, xor_of
from hardware.scale.frame import FrameError, Unit, WeightFrame
from hardware.scale.state import IndicatorState

STX, ETX = 0x02, 0x03
LENGTH = 12
REPLY_LENGTH = 14
_HEX = frozenset(b"0123456789ABCDEF")
_DIGITS = frozenset(b"0123456789")


def _payload_shaped(payload: bytes) -> bool:
    """sign + 6 digits + decimal count 0..4."""
    return (len(payload) == 8 and payload[0] in b"+-" and _DIGITS.issuperset(payload[1:7])
            and payload[7] in b"01234")


def _weight(payload: bytes) -> Decimal:
    value = Decimal(int(payload[1:7])).scaleb(-(payload[7] - 0x30))
    return -value if payload[0] == ord("-") and value else value


def decode_frame(frame: bytes, unit: Unit = "kg") -> WeightFrame | FrameError | None:
    """One 12-byte continuous frame. None when it is not frame-shaped at all."""
    if not (len(frame) == LENGTH and frame[0] == STX and frame[11] == ETX
            and _payload_shaped(frame[1:9]) and _HEX.issuperset(frame[9:11])):
        return None
    expected = hex_pair(xor_of(frame[1:9]))
    if frame[9:11] != expected:
        return FrameError(f"bad checksum {frame[9:11].decode()}, expected {expected.decode()}",
                          frame)
    return WeightFrame(weight=_weight(frame[1:9]), unit=unit, stable=None, net=False,
                       tare=None, overload=False, underload=False)


def decode_reply(frame: bytes, address: int, unit: Unit = "kg") -> WeightFrame | FrameError | None:
    """One command-mode reply. None for replies that are not weights (handshake, tare,
    another address's) and for byte runs that are not replies."""
    if not (len(frame) == REPLY_LENGTH and frame[0] == STX and frame[13] == ETX
            and frame[1] == address and frame[2] in b"BD" and _payload_shaped(frame[3:11])
            and _HEX.issuperset(frame[11:13])):
        return None
    expected = hex_pair(xor_of(frame[1:11]))
    if frame[11:13] != expected:
        return FrameError(f"bad checksum {frame[11:13].decode()}, expected {expected.decode()}",
                          frame)
    return WeightFrame(weight=_weight(frame[3:11]), unit=unit, stable=None,
                       net=frame[2] == ord("D"), tare=None, overload=False, underload=False)


def _address_byte(address: str) -> int:
    if len(address) != 1 or not "A" <= address <= "Z":
        raise ValueError(f"address must be a letter A..Z, not {address!r}")
    return ord(address)


class YaohuaDecoder(FramedDecoder):
    """``command=True`` reads the replies to polls (``request``) instead of the stream."""

    max_pending = 2 * REPLY_LENGTH

    def __init__(self, *, unit: str | None = None, command: bool = False, address: str = "A",
                 confirm: int = 1) -> None:
        super().__init__(confirm=confirm)
        self.unit: Unit = check_unit(unit) or "kg"
        self.command = command
        self.address = _address_byte(address)
        self.request = request_frame(address, "B") if command else None

    def _step(self, buf: bytearray) -> Step | None:
        start = buf.find(STX)
        if start != 0:
            return Step(len(buf) if start < 0 else start)
        length = REPLY_LENGTH if self.command else LENGTH
        if self.command:  # short non-weight replies (handshake) end early: cut at their ETX
            end = buf.find(ETX, 1, REPLY_LENGTH)
            if 0 < end < REPLY_LENGTH - 1:
                return Step(1)  # not a weight reply: rescan from the next byte
        if len(buf) < length:
            return None
        frame = bytes(buf[:length])
        item = (decode_reply(frame, self.address, self.unit) if self.command
                else decode_frame(frame, self.unit))
        if item is None:
            return Step(1)  # a stray STX
        return Step(length if isinstance(item, WeightFrame) else 1, item)


def _payload(weight: Decimal, decimals: int) -> bytes:
    if not 0 <= decimals <= 4:
        raise ValueError(f"decimals must be 0..4, not {decimals}")
    digits = abs(weight).scaleb(decimals)
    if digits != digits.to_integral_value() or digits > 999_999:
        raise ValueError(f"{weight} does not fit 6 digits with {decimals} decimals")
    sign = "-" if weight < 0 else "+"
    return f"{sign}{int(digits):06d}{decimals}".encode("ascii")


def encode_frame(weight: Decimal | int, decimals: int | None = None) -> bytes:
    """One continuous frame; decimals default to the exponent of ``weight``."""
    weight = Decimal(weight)
    payload = _payload(weight, _decimals(weight) if decimals is None else decimals)
    return bytes([STX]) + payload + hex_pair(xor_of(payload)) + bytes([ETX])


def _decimals(weight: Decimal) -> int:
    exponent = weight.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def encode(state: IndicatorState) -> bytes:
    """Continuous output for this state; an over/underloaded indicator sends no weight."""
    if state.overload or state.underload:
        return b""
    return encode_frame(state.weight)


def request_frame(address: str = "A", command: str = "B") -> bytes:
    """Host -> indicator: STX addr cmd XOR-hi XOR-lo ETX (XOR over addr and cmd)."""
    body = bytes([_address_byte(address)]) + command.encode("ascii")
    if len(body) != 2:
        raise ValueError(f"command must be one letter, not {command!r}")
    return bytes([STX]) + body + hex_pair(xor_of(body)) + bytes([ETX])


def encode_reply(state: IndicatorState, address: str = "A", command: str = "B") -> bytes:
    """Indicator -> host: the reply to B (gross), C (tare) or D (net)."""
    value = {"B": state.weight, "D": state.weight, "C": state.tare}[command]
    body = (bytes([_address_byte(address)]) + command.encode("ascii")
            + _payload(value, state.decimals))
    return bytes([STX]) + body + hex_pair(xor_of(body)) + bytes([ETX])


class YaohuaResponder:
    """The indicator side of command mode: answers valid polls for its address only."""

    def __init__(self, address: str = "A") -> None:
        self._address = address
        self._byte = _address_byte(address)
        self._buf = bytearray()

    def feed(self, data: bytes, state: IndicatorState) -> bytes:
        self._buf += data
        out = bytearray()
        while (start := self._buf.find(STX)) >= 0 and len(self._buf) >= start + 6:
            request = bytes(self._buf[start:start + 6])
            del self._buf[: start + 1]
            if (request[5] != ETX or request[1] != self._byte
                    or request[3:5] != hex_pair(xor_of(request[1:3]))):
                continue
            del self._buf[:5]
            out += self._answer(chr(request[2]), state)
        del self._buf[:-16]
        return bytes(out)

    def _answer(self, command: str, state: IndicatorState) -> bytes:
        if command == "A":  # handshake: echo address and command
            body = bytes([self._byte]) + b"A"
            return bytes([STX]) + body + hex_pair(xor_of(body)) + bytes([ETX])
        if command in "BCD" and not (state.overload or state.underload):
            if command == "D" and not state.net:
                return b""
            return encode_reply(state, self._address, command)
        return b""
