"""Error answers that tell what was wrong without echoing what was sent.

FastAPI's own 422 repeats each bad input (a 5 MB field comes back whole) and its `ctx`, and a
NaN among them cannot even be encoded (a 500). Here a 422 names the field and the rule only.

Who asked decides the form: machines (/api/*, /health, /metrics, a kiosk's event stream) get
JSON as before (the keypad's /kiosk/<lane>/order-code too); a kiosk screen (/kiosk/*) gets a bilingual page in the kiosk's style; every
other route is a staff page and gets a bilingual page in the staff style. A 500 never carries
a traceback or the exception's text, only the status's words.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from intake.web.staff_i18n import error_words

log = logging.getLogger(__name__)
MACHINE_PREFIXES = ("/api/", "/health", "/metrics")


def field_errors(errors: Iterable[Any]) -> list[dict[str, Any]]:
    """Validation errors as location, message and type: no input, no context."""
    return [{"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", "invalid")),
             "type": str(e.get("type", "value_error"))} for e in errors]


def unprocessable(errors: Iterable[Any]) -> JSONResponse:
    return JSONResponse({"detail": field_errors(errors)}, status_code=422)


def audience(path: str) -> str:
    """"json", "kiosk" or "staff": the form an error on this path takes."""
    if path == "/api" or path.startswith(MACHINE_PREFIXES) or (
            path.startswith("/kiosk/") and path.endswith(("/events", "/order-code"))):   # the kiosk script's own calls
        return "json"
    return "kiosk" if path.startswith("/kiosk/") else "staff"


def _detail_lines(detail: Any) -> list[str]:
    """An HTTPException's detail as lines a person can read (field errors: field and rule)."""
    if isinstance(detail, list):
        return [f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body') or 'input'}: {e.get('msg', 'invalid')}"
                if isinstance(e, dict) else str(e) for e in detail]
    return [str(detail)] if detail else []


def error_page(templates: Jinja2Templates, request: Request, status: int, lines: list[str],
               headers: dict[str, str] | None = None) -> Response:
    kind = audience(request.url.path)
    name = "error_kiosk.html" if kind == "kiosk" else "error_staff.html"
    context = {"status": status, "words": error_words(status), "lines": lines, "who": None}
    response = templates.TemplateResponse(request, name, context, status_code=status, headers=headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def install_error_handlers(app: FastAPI, templates: Jinja2Templates) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation_failed(request: Request, exc: RequestValidationError) -> Response:
        if audience(request.url.path) == "json":
            return unprocessable(exc.errors())
        return error_page(templates, request, 422, _detail_lines(field_errors(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers) if exc.headers else None
        if audience(request.url.path) == "json":
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)
        lines = _detail_lines(exc.detail) if exc.status_code < 500 else []
        return error_page(templates, request, exc.status_code, lines, headers)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        # Logged here with its traceback; the answer carries neither (Starlette re-raises it
        # after this response for the server's log, which is where an engineer looks).
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        if audience(request.url.path) == "json":
            return JSONResponse({"detail": "internal error"}, status_code=500)
        return error_page(templates, request, 500, [])
