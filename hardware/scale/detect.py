"""Find an indicator's protocol and line settings by listening (and asking).

For each baud rate, most common first: open the port 8N1 and listen; if nothing decodes,
send each command protocol's poll and listen again. Every protocol's decoder sees the same
bytes; a protocol scores by how much of the stream its good frames explain and how few
frames it refuses. 7E1 needs no second pass: decoders strip bit 7, and whether the bytes
carry even parity in bit 7 tells 7E1 from 8N1. Bounded by ``budget`` seconds in total.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Callable

import serial

from hardware.scale.codecs import CODECS, Decoder, get_decoder
from hardware.scale.frame import WeightFrame

BAUDS = (9600, 4800, 2400, 1200, 19200, 38400, 600, 57600, 115200)
MIN_FRAMES = 3


def polled_options() -> dict[str, dict[str, object]]:
    """protocol -> decoder options for the command mode we may ask in (from the registry)."""
    return {name: dict(c.detect_ask) for name, c in CODECS.items() if c.detect_ask is not None}


@dataclass(frozen=True)
class Candidate:
    protocol: str
    options: dict[str, object]
    frames: int
    errors: int
    coverage: float  # share of the received bytes inside good frames
    median_weight: float | None
    confidence: float


@dataclass(frozen=True)
class Detection:
    protocol: str | None
    options: dict[str, object]
    baud: int | None
    bytesize: int
    parity: str
    confidence: float
    frames: int
    tried: list[str] = field(default_factory=list)  # "9600 listen", "9600 ask", ...
    alternatives: list[Candidate] = field(default_factory=list)


def score(data: bytes, protocol: str, options: dict[str, object]) -> Candidate:
    """How well ``protocol`` explains ``data`` (0..1)."""
    decoder: Decoder = get_decoder(protocol, **options)
    items = decoder.feed(data) + decoder.flush()
    frames = [i for i in items if isinstance(i, WeightFrame)]
    coverage = 1 - decoder.skipped_bytes / len(data) if data else 0.0
    good = len(frames)
    confidence = 0.0
    if good:
        confidence = coverage * good / (good + decoder.errors) * min(1.0, good / MIN_FRAMES)
    weights = [float(abs(f.weight)) for f in frames]
    return Candidate(protocol, options, good, decoder.errors, round(coverage, 3),
                     statistics.median(weights) if weights else None, round(confidence, 3))


def rank(data: bytes, polled: bool = False) -> list[Candidate]:
    """All protocols scored on ``data``, best first. Ties (the "=" stream read forward or
    reversed) go to the smaller weights: read the wrong way round, the reversed form's
    zero padding becomes trailing zeros and inflates the number."""
    if polled:
        candidates = [score(data, p, o) for p, o in polled_options().items()]
    else:
        candidates = [score(data, p, {}) for p, c in CODECS.items() if c.detect_listen]
    return sorted(candidates, key=lambda c: (-c.confidence, c.median_weight or 0.0))


def line_format(data: bytes) -> tuple[int, str]:
    """(bytesize, parity) from bit 7: set on some bytes and parity-consistent on all."""
    if not any(b & 0x80 for b in data):
        return 8, "N"
    ones = [bin(b).count("1") % 2 for b in data]
    if all(o == 0 for o in ones):
        return 7, "E"
    if all(o == 1 for o in ones):
        return 7, "O"
    return 8, "N"


def _collect(port: serial.Serial, seconds: float) -> bytes:
    out = bytearray()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        out += port.read(max(1, min(port.in_waiting, 4096)))
    return bytes(out)


def _ask(port: serial.Serial, protocol: str, options: dict[str, object],
         seconds: float) -> tuple[Candidate, bytes]:
    """Poll one command protocol a few times; score only that protocol's replies (one
    lost reply, e.g. to a poll that crossed a half-received earlier one, is tolerated)."""
    # `request` is not on the Decoder protocol: only polled decoders have it.
    request: bytes = getattr(get_decoder(protocol, **options), "request")  # noqa: B009
    port.reset_input_buffer()
    data = bytearray()
    for _ in range(MIN_FRAMES + 1):
        port.write(request)
        data += _collect(port, seconds / (MIN_FRAMES + 1))
    return score(bytes(data), protocol, options), bytes(data)


def detect(url: str, *, budget: float = 9.0, listen: float = 0.3, ask: float = 0.16,
           bauds: tuple[int, ...] = BAUDS,
           opener: Callable[..., serial.Serial] = serial.serial_for_url) -> Detection:
    """Try each baud until a protocol is confident (>= 0.8) or the budget is spent."""
    end = time.monotonic() + budget
    tried: list[str] = []
    best: tuple[list[Candidate], int, bytes] | None = None

    def consider(ranked: list[Candidate], baud: int, data: bytes) -> bool:
        nonlocal best
        if best is None or ranked[0].confidence > best[0][0].confidence:
            best = (ranked, baud, data)
        return ranked[0].confidence >= 0.8

    for baud in bauds:
        if time.monotonic() + listen > end:
            break
        with opener(url, baudrate=baud, bytesize=8, parity="N", timeout=0.02) as port:
            port.reset_input_buffer()
            data = _collect(port, listen)
            tried.append(f"{baud} listen")
            if consider(rank(data, polled=False), baud, data):
                break
            for protocol, options in polled_options().items():
                if time.monotonic() + ask > end:
                    break
                candidate, data = _ask(port, protocol, options, ask)
                tried.append(f"{baud} ask {protocol}")
                if consider([candidate], baud, data):
                    return _result(best, tried)
    return _result(best, tried)


def _result(best: tuple[list[Candidate], int, bytes] | None, tried: list[str]) -> Detection:
    if best is None or best[0][0].confidence == 0:
        return Detection(None, {}, None, 8, "N", 0.0, 0, tried)
    ranked, baud, data = best
    top = ranked[0]
    bytesize, parity = line_format(data)
    return Detection(top.protocol, top.options, baud, bytesize, parity, top.confidence,
                     top.frames, tried, [c for c in ranked[1:4] if c.confidence > 0])
