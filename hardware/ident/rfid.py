"""RFID reader frames: decoders (pure, incremental) and encoders for the simulator.

Two common frame formats:

* ``em4100`` — 125 kHz readers in ASCII mode (RDM6300-style): ``STX``, ten ASCII hex digits
  (version byte + 32-bit card number), two ASCII hex digits of the XOR of those five bytes,
  ``ETX``. Some readers add ``CR LF`` before ``ETX``; both are accepted.
* ``uhf`` — UHF (EPC Gen2) reader modules in notification mode: ``BB 02 22``, a 16-bit
  big-endian payload length, payload = RSSI (1) + PC (2) + EPC (n) + CRC16 (2), then a checksum
  byte = low byte of the sum of every byte from the type (``02``) to the end of the payload,
  then ``7E``. The tag is the EPC in upper-case hex.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable, Protocol

STX, ETX = 0x02, 0x03
UHF_HEAD, UHF_TAIL = 0xBB, 0x7E
_HEX = frozenset(b"0123456789ABCDEFabcdef")


@dataclass(frozen=True)
class TagRead:
    tag: str          # EM4100: 10 hex digits; UHF: the EPC in hex
    rssi: int | None = None


@dataclass(frozen=True)
class TagError:
    error: str


class TagDecoder(Protocol):
    skipped_bytes: int

    def feed(self, data: bytes) -> list[TagRead | TagError]: ...


class _FrameScanner(ABC):
    """Incremental: bytes in any chunking give the same reads; bytes before a frame start are
    skipped and counted. Subclasses cut one frame from the buffer's start."""

    start_byte = 0

    def __init__(self) -> None:
        self._buf = bytearray()
        self.skipped_bytes = 0

    def feed(self, data: bytes) -> list[TagRead | TagError]:
        self._buf += data
        out: list[TagRead | TagError] = []
        while True:
            start = self._buf.find(self.start_byte)
            if start < 0:
                self.skipped_bytes += len(self._buf)
                self._buf.clear()
                return out
            self.skipped_bytes += start
            del self._buf[:start]
            cut = self._cut()
            if cut is None:
                return out          # wait for more bytes
            if isinstance(cut, (TagRead, TagError)):  # not _RESYNC: scan on
                out.append(cut)

    @abstractmethod
    def _cut(self) -> TagRead | TagError | object | None:
        """Cut one frame from the buffer's start, or None to wait for more bytes."""

    def _resync(self) -> object:
        """Not a frame after all: drop the start byte and scan again."""
        self.skipped_bytes += 1
        del self._buf[:1]
        return _RESYNC


_RESYNC = object()


class Em4100Decoder(_FrameScanner):
    start_byte = STX

    def _cut(self) -> TagRead | TagError | object | None:
        end = self._buf.find(ETX, 1)
        if end < 0:
            return self._resync() if len(self._buf) > 32 else None  # no frame is this long
        body = bytes(self._buf[1:end]).rstrip(b"\r\n")
        del self._buf[:end + 1]
        return _em4100_body(body)


def _em4100_body(body: bytes) -> TagRead | TagError:
    if len(body) != 12 or not set(body) <= _HEX:
        return TagError(f"em4100: expected 12 hex digits, got {body!r}")
    raw = bytes.fromhex(body.decode())
    check = 0
    for b in raw[:5]:
        check ^= b
    if check != raw[5]:
        return TagError(f"em4100: checksum {raw[5]:02X} != {check:02X}")
    return TagRead(body[:10].decode().upper())


def encode_em4100(tag: str) -> bytes:
    raw = bytes.fromhex(tag)
    if len(raw) != 5:
        raise ValueError("an EM4100 tag is 5 bytes (10 hex digits)")
    check = 0
    for b in raw:
        check ^= b
    return bytes([STX]) + tag.upper().encode() + f"{check:02X}".encode() + b"\r\n" + bytes([ETX])


class UhfDecoder(_FrameScanner):
    """Notification frames of UHF reader modules; anything else (command replies) is skipped."""

    start_byte = UHF_HEAD

    def _cut(self) -> TagRead | TagError | object | None:
        if len(self._buf) < 5:
            return None
        length = int.from_bytes(self._buf[3:5], "big")
        if length > 64:
            return self._resync()
        total = 5 + length + 2
        if len(self._buf) < total:
            return None
        frame = bytes(self._buf[:total])
        del self._buf[:total]
        read = _uhf_frame(frame)
        if read is None:
            self.skipped_bytes += total
            return _RESYNC
        return read


def _uhf_frame(frame: bytes) -> TagRead | TagError | None:
    if frame[-1] != UHF_TAIL:
        return TagError("uhf: frame does not end in 7E")
    if (sum(frame[1:-2]) & 0xFF) != frame[-2]:
        return TagError(f"uhf: checksum {frame[-2]:02X} != {sum(frame[1:-2]) & 0xFF:02X}")
    if frame[1:3] != b"\x02\x22":
        return None  # a command reply, not a tag notification
    payload = frame[5:-2]
    if len(payload) < 1 + 2 + 2 + 2:
        return TagError("uhf: payload too short for RSSI, PC, EPC and CRC")
    rssi = payload[0] - 256 if payload[0] > 127 else payload[0]
    return TagRead(payload[3:-2].hex().upper(), rssi=rssi)


def encode_uhf(epc: str, rssi: int = -60) -> bytes:
    payload = bytes([rssi & 0xFF]) + b"\x30\x00" + bytes.fromhex(epc) + b"\x00\x00"
    body = b"\x02\x22" + len(payload).to_bytes(2, "big") + payload
    return bytes([UHF_HEAD]) + body + bytes([sum(body) & 0xFF, UHF_TAIL])


DECODERS: dict[str, Callable[[], TagDecoder]] = {"em4100": Em4100Decoder, "uhf": UhfDecoder}
ENCODERS: dict[str, Callable[[str], bytes]] = {"em4100": encode_em4100, "uhf": encode_uhf}
