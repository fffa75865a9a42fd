"""Delivery-order codes a driver keys in: random, with a check character.

Sequential codes let anyone who has seen one guess the next open order. These carry 50 random
bits in Crockford base32 (no I, L, O, U: nothing to misread on a keypad) and a Luhn mod 32
check character, which catches every single mistyped character and most swapped pairs
before the database is asked.
"""
from __future__ import annotations

import secrets
from typing import Final

ALPHABET: Final[str] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_CHARS: Final[int] = 10
PREFIX: Final[str] = "PO-"


def check_char(body: str) -> str:
    """Luhn mod N over ALPHABET (N = 32) for `body` (characters of ALPHABET only)."""
    n = len(ALPHABET)
    total, factor = 0, 2
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def new_order_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_CHARS))
    return f"{PREFIX}{body[:5]}-{body[5:]}{check_char(body)}"


def well_formed(code: str) -> bool:
    """A code in this module's shape whose check character holds (case and dashes ignored)."""
    text = code.strip().upper()
    if not text.startswith(PREFIX):
        return False
    chars = text[len(PREFIX):].replace("-", "")
    if len(chars) != RANDOM_CHARS + 1 or any(c not in ALPHABET for c in chars):
        return False
    return check_char(chars[:-1]) == chars[-1]
