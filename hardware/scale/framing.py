"""Machinery shared by the incremental decoders (everything except Toledo, which predates it).

A subclass only says how to cut one frame off the head of the buffer (``_step``); this base
strips the parity bit, keeps the buffer bounded, counts every byte exactly once (a good frame,
a refused frame, skipped, or still pending) and applies the optional ``confirm`` rule.

``confirm=N`` (protocols without a checksum): a frame is passed on only once N consecutive
frames decoded identical. One flipped digit then cannot become a weight, at the price of
N-1 frames of latency. A refused frame or skipped bytes break the run.
"""
from __future__ import annotations

from abc import ABC, abstractmethod

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from hardware.scale.frame import FrameError, Unit, WeightFrame

Item = WeightFrame | FrameError
MASK = bytes(b & 0x7F for b in range(256))  # translate table: strip the parity bit (7E1 lines)
UNITS: frozenset[str] = frozenset({"kg", "t", "lb", "g"})


@dataclass(frozen=True)
class Step:
    """What ``_step`` decided about the head of the buffer: ``consumed`` bytes are either the
    frame ``item`` or, with ``item=None``, skipped (not a frame at all)."""

    consumed: int
    item: Item | None = None


def check_unit(unit: str | None) -> Unit | None:
    if unit is not None and unit not in UNITS:
        raise ValueError(f"unit must be one of {sorted(UNITS)}, not {unit!r}")
    return unit  # type: ignore[return-value]  # checked just above


def check_confirm(confirm: int) -> int:
    if not isinstance(confirm, int) or not 1 <= confirm <= 50:
        raise ValueError(f"confirm must be an integer 1..50, not {confirm!r}")
    return confirm


def parse_number(text: bytes) -> Decimal | None:
    """ASCII ``[-+]digits[.digits]`` -> Decimal, else None. Never a float, never a guess."""
    body = text.lstrip(b"+-")
    if not body or body.count(b".") > 1 or body.startswith(b".") or body.endswith(b"."):
        return None
    if not body.replace(b".", b"").isdigit() or len(text) - len(body) > 1:
        return None
    try:
        value = Decimal(text.decode("ascii"))
    except (InvalidOperation, UnicodeDecodeError):
        return None
    return value if value != 0 else abs(value)  # never a Decimal("-0")


def xor_of(data: bytes) -> int:
    out = 0
    for b in data:
        out ^= b
    return out


def hex_pair(value: int) -> bytes:
    """A byte as two upper-case ASCII hex digits (the +0x30 / +0x37 nibble rule)."""
    return f"{value & 0xFF:02X}".encode("ascii")


class FramedDecoder(ABC):
    """Base class: subclasses implement ``_step`` and set ``max_pending``."""

    max_pending = 256  # more held bytes than this without a frame: they are garbage
    trailer = b""  # a byte allowed right after a good frame (LF after CR), not counted
    request: bytes | None = None  # command protocols: what to send to get one reading
    start_request: bytes | None = None  # repeat modes: sent once to start the stream

    def __init__(self, *, confirm: int = 1) -> None:
        self.confirm = check_confirm(confirm)
        self.skipped_bytes = 0
        self.frames = 0
        self.errors = 0
        self.unconfirmed = 0  # good frames held back by the confirm rule
        self._buf = bytearray()
        self._after_frame = False
        self._run: list[WeightFrame] = []

    @property
    def pending(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[Item]:
        self._buf += data.translate(MASK)
        out: list[Item] = []
        buf = self._buf
        while buf:
            if self._after_frame and self.trailer and buf[0] in self.trailer:
                del buf[:1]  # the frame's own line ending: neither garbage nor frame
                self._after_frame = False
                continue
            self._after_frame = False
            step = self._step(buf)
            if step is None:
                if len(buf) > self.max_pending:
                    self._skip(1)  # never hold unbounded garbage
                    continue
                break
            self._take(step, out)
        return out

    def flush(self) -> list[Item]:
        """End of stream: subclasses may finish a frame only the stream's end delimits."""
        out: list[Item] = []
        step = self._final_step(self._buf) if self._buf else None
        if step is not None:
            self._take(step, out)
        self._skip(len(self._buf))
        return out

    # -- for subclasses --------------------------------------------------------------
    @abstractmethod
    def _step(self, buf: bytearray) -> Step | None:
        """Cut the head of ``buf``: a Step, or None to wait for more bytes."""

    def _final_step(self, buf: bytearray) -> Step | None:
        return None

    # -- internals -------------------------------------------------------------------
    def _skip(self, n: int) -> None:
        if n > 0:
            del self._buf[:n]
            self.skipped_bytes += n
            self._run.clear()

    def _take(self, step: Step, out: list[Item]) -> None:
        n = max(1, step.consumed)  # always progress
        item = step.item
        if item is None:
            self._skip(n)
            return
        del self._buf[:n]
        if isinstance(item, FrameError):
            self.errors += 1
            self._run.clear()
            out.append(item)
            return
        self._after_frame = True
        if self.confirm > 1 and not self._confirmed(item):
            self.unconfirmed += 1
            return
        self.frames += 1
        out.append(item)

    def _confirmed(self, frame: WeightFrame) -> bool:
        if self._run and self._run[-1] != frame:
            self._run.clear()
        self._run.append(frame)
        del self._run[: -self.confirm]
        return len(self._run) >= self.confirm
