"""Error answers that tell what was wrong without echoing what was sent.

FastAPI's own 422 repeats each bad input (a 5 MB field comes back whole) and its `ctx`, and a
NaN among them cannot even be encoded (a 500). Here a 422 names the field and the rule only.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


def field_errors(errors: Iterable[Any]) -> list[dict[str, Any]]:
    """Validation errors as location, message and type: no input, no context."""
    return [{"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", "invalid")),
             "type": str(e.get("type", "value_error"))} for e in errors]


def unprocessable(errors: Iterable[Any]) -> JSONResponse:
    return JSONResponse({"detail": field_errors(errors)}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation_failed(request: Request, exc: RequestValidationError) -> JSONResponse:
        return unprocessable(exc.errors())
