"""Pure byte-level faults the simulated indicator can inject into its own frames."""
from __future__ import annotations

import random


def flip_bits(frame: bytes, rng: random.Random, flips: int = 1) -> bytes:
    """Line noise: ``flips`` random single-bit errors anywhere in the frame."""
    out = bytearray(frame)
    for _ in range(flips):
        if out:
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def truncate(frame: bytes, rng: random.Random) -> bytes:
    """A frame cut short (a dropped tail), keeping at least one byte."""
    return frame[: rng.randrange(1, len(frame))] if len(frame) > 1 else frame


def glue(frame: bytes) -> bytes:
    """The frame's last byte (its terminator or check) lost, so the next frame is glued on."""
    return frame[:-1]


def even_parity(data: bytes) -> bytes:
    """What a 7E1 line looks like to a port read as 8N1: bit 7 makes the 1-count even."""
    return bytes(b | 0x80 if bin(b).count("1") % 2 else b for b in data)


def garble(data: bytes, rng: random.Random) -> bytes:
    """What a receiver set to the wrong baud rate sees: bytes with no relation to the frame."""
    return bytes(rng.randrange(256) for _ in range(max(1, len(data) * 2 // 3)))
