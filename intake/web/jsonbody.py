"""Machine API requests: the bearer token first, then a bounded, strict JSON body.

FastAPI parses a declared body before any dependency runs, so a client without a token could
make the gate read, parse and answer arbitrary JSON. Routes here take the raw Request instead:
the token is checked before a byte of body is read, the body is capped, NaN and Infinity (which
Python's json accepts) are refused, and a 422 names the bad field without echoing it.
"""
from __future__ import annotations

import hmac
import json
import math
from typing import Final, NoReturn, TypeVar

from fastapi import HTTPException, Request
from pydantic import BaseModel, ValidationError

from intake.web.errors import field_errors

M = TypeVar("M", bound=BaseModel)

MAX_JSON_BYTES: Final[int] = 64 * 1024


def require_bearer(token: str, authorization: str | None) -> None:
    """401 unless `Authorization: Bearer <token>` matches (constant time); no token set = closed."""
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not token or not hmac.compare_digest(given.encode(), token.encode()):
        raise HTTPException(401, "bad token")


def _not_a_number(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)   # 1e999 parses as inf: as bad as a literal Infinity
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


async def read_body(request: Request, limit: int = MAX_JSON_BYTES) -> bytes:
    """The body, 413 as soon as it passes `limit` (the declared length is checked first)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, "body too large")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, "body too large")
    return bytes(body)


async def read_json(request: Request, model: type[M], limit: int = MAX_JSON_BYTES) -> M:
    """The body validated as `model`: 413 too large, 422 not JSON / NaN / invalid."""
    body = await read_body(request, limit)
    try:
        data = json.loads(body, parse_constant=_not_a_number, parse_float=_finite)
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(422, [{"loc": ["body"], "msg": "not strict JSON", "type": "json_invalid"}]) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise HTTPException(422, field_errors(exc.errors())) from None
