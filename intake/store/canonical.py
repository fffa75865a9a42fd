"""Canonical serialisation of a record for hashing: one byte string per value, whatever the
database or the Python version. Sorted keys, compact separators, UTF-8.

Types JSON cannot carry exactly are tagged with a one-key object whose key starts with "$":
floats as their shortest round-trip repr (`{"$f": "0.1"}`), datetimes as UTC ISO-8601 with
microseconds (`{"$t": ...}`; a naive datetime is UTC, which is how the store writes them),
Decimals and bytes likewise. A user dict key that starts with "$" gets one more "$", so no
stored value can imitate a tag: the encoding stays injective.
"""
from __future__ import annotations

import json
import math
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any


_PLAIN = frozenset({str, int, bool, type(None)})


def canon(value: Any) -> Any:
    # The exact types a row is made of first, by one set lookup: pages check hundreds of rows a
    # request, and the isinstance chain below was most of a MAC's cost. Same answers either way.
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {(("$" + k if k.startswith("$") else k) if type(k) is str else _key(k)): canon(v)
                for k, v in value.items()}
    return _canon_other(value)


def _canon_other(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return {"$f": repr(value) if math.isfinite(value) else str(value)}
    if isinstance(value, Decimal):
        return {"$d": str(value)}
    if isinstance(value, datetime):
        utc = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        return {"$t": utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b": bytes(value).hex()}
    if isinstance(value, dict):
        return {_key(k): canon(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canon(v) for v in value]
    raise TypeError(f"no canonical form for {type(value).__name__}")


def _key(key: object) -> str:
    if not isinstance(key, str):
        raise TypeError(f"dict keys must be strings, got {type(key).__name__}")
    return "$" + key if key.startswith("$") else key


def canonical_bytes(value: Any) -> bytes:
    return json.dumps(canon(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")
