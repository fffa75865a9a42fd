"""The public ticket page, /t/<code>: what the QR code on a weighing ticket opens.

No login: the code itself is the permission. It is 80 bits from the site's key (see
intake.ticket.issue), so it cannot be guessed, and the URL says nothing about the delivery.
The page shows the ticket's facts and whether the chain vouches for them, checked afresh on
every request; only codes are accepted here (a ticket number is easy to guess, so it never
opens a page). An unknown code gets the same 404 page whether or not it was ever issued.
"""
from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine

from intake.store.db import read_only
from intake.ticket.layout import REPRINT, TITLE, layout
from intake.ticket.verify import check_ticket

_CODE = re.compile(r"^[A-Za-z2-7]{16}$")


def tickets_router(engine: Engine, templates: Jinja2Templates, tz: str = "UTC") -> APIRouter:
    router = APIRouter()
    reader = read_only(engine)

    @router.get("/t/{code}", response_class=HTMLResponse, include_in_schema=False)
    def ticket_page(request: Request, code: str) -> HTMLResponse:
        # Sync handler: FastAPI runs it in its thread pool, so the HMACs and queries of the
        # check never block the event loop the lanes run on.
        check = check_ticket(engine, code.upper(), reader) if _CODE.match(code) else None
        headers = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
        if check is None:
            return templates.TemplateResponse(request, "ticket_missing.html", {"title": TITLE},
                                              status_code=404, headers=headers)
        lay = layout(check.ticket, "", tz)
        return templates.TemplateResponse(request, "ticket.html", {
            "title": TITLE, "lay": lay, "check": check, "reprint": REPRINT,
            "prints": check.prints}, headers=headers)

    return router
