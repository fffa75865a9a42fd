"""Reading small url-encoded form posts without an extra dependency, with a size limit."""
from __future__ import annotations

from typing import Final
from urllib.parse import parse_qsl

from fastapi import HTTPException, Request

MAX_FORM_BYTES: Final[int] = 16 * 1024


async def read_form(request: Request) -> dict[str, str]:
    """The posted fields (last value wins). 415 for other encodings, 413 when too large."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise HTTPException(status_code=415, detail="form posts only")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(status_code=413, detail="form too large")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HTTPException(status_code=400, detail="form is not UTF-8") from exc
    return dict(parse_qsl(text, keep_blank_values=True, max_num_fields=50))
