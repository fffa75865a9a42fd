"""The public ticket page, /t/<code>: what the QR code on a weighing ticket opens.

No login: the code itself is the permission. It is 80 bits from the site's key (see
intake.ticket.issue), so it cannot be guessed, and the URL says nothing about the delivery.
The page shows the ticket's facts and whether the chain vouches for them, checked afresh on
every request, and the deck evidence snapshots of its weighings (intake.web.evidence); only codes are accepted here (a ticket number is easy to guess, so it never
opens a page). An unknown code gets the same 404 page whether or not it was ever issued.
"""
from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine

from intake.store.db import read_only
from intake.ticket.layout import REPRINT, TITLE, layout
from intake.ticket.verify import check_ticket
from intake.web.evidence import visit_evidence
from intake.web.localtime import SiteTime

_CODE = re.compile(r"^[A-Za-z2-7]{16}$")


def tickets_router(engine: Engine, templates: Jinja2Templates, tz: str = "UTC",
                   data_dir: Path | None = None) -> APIRouter:
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
        evidence = visit_evidence(engine, reader, data_dir, check.ticket.visit_id)
        return templates.TemplateResponse(request, "ticket.html", {
            "title": TITLE, "lay": lay, "check": check, "reprint": REPRINT,
            "prints": check.prints, "evidence": evidence, "evidence_base": f"/t/{code}/evidence",
            "site_time": SiteTime(tz)}, headers=headers)

    return router
