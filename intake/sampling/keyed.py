"""Daily seeds and the numbers drawn from them. Pure.

A day's seed is 32 random bytes. Its SHA-256 (the commitment) is published before the day, the
seed itself after it. Every number the plan uses is an HMAC-SHA256 of the seed over a labelled
message, read as a 64-bit fraction, so anyone holding the revealed seed can recompute it in any
language (no Mersenne Twister, no library-specific stream):

    draw(visit)      = u64(HMAC(seed, "select:" + visit)) / 2^64     -> is the truck sampled
    uniform(visit,i) = u64(HMAC(seed, "points:" + visit + ":" + i)) / 2^64   -> i-th point number

u64(x) is the first 8 bytes of x, big-endian.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator

SEED_BYTES = 32


def new_seed() -> bytes:
    return secrets.token_bytes(SEED_BYTES)


def commitment(seed: bytes) -> str:
    """The hex SHA-256 published in advance; it binds the site to the seed without revealing it."""
    return hashlib.sha256(seed).hexdigest()


def seed_from_hex(text: str) -> bytes:
    seed = bytes.fromhex(text)
    if len(seed) != SEED_BYTES:
        raise ValueError(f"a seed is {SEED_BYTES} bytes, got {len(seed)}")
    return seed


def _fraction(seed: bytes, message: str) -> float:
    digest = hmac.new(seed, message.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def draw(seed: bytes, visit_id: str) -> float:
    """The number in [0, 1) compared with the rate to select this visit."""
    return _fraction(seed, f"select:{visit_id}")


def uniforms(seed: bytes, visit_id: str) -> Iterator[float]:
    """An endless keyed stream of numbers in [0, 1) for placing this visit's probe points."""
    i = 0
    while True:
        yield _fraction(seed, f"points:{visit_id}:{i}")
        i += 1
