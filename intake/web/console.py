"""/console: the remote attendant's screen (role `attendant`, or an admin). Every lane live, as
on the overview, with each lane's latest sample frames and a place for its deck snapshots; for
a truck held in REVIEW three answers (release to the plant, send back, park in the parking bay),
each with a required reason. A driver's call from the kiosk raises the lane's card (visible and
audible, console.js).

An answer is only a request row (intake.store.attendant): the gate's lane machine takes it,
checks it (the truck still held, the lane without fault) and records the new decision before it
moves any barrier. So this page never opens a barrier and never edits a decision.
"""
from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine

from intake.auth.sessions import Principal
from intake.evidence.store import latest_deck_snapshots
from intake.lane.status import LaneStep, StatusHub
from intake.store import attendant
from intake.store.db import read_only
from intake.web.lanes import lane_context
from intake.web.lanes_read import attendant_log
from intake.web.staff import Staff, StaffPost

# Why the console did not send an answer (a message key each, staff_i18n "console.refused.*").
REFUSALS = ("reason_required", "bad_action", "not_held")


def _deck_snapshots(reader: Engine, lanes: Iterable[str]) -> dict[str, list[dict[str, object]]]:
    """Each lane's latest photographed weighing, the views that have a photo (intake.evidence)."""
    return {lane: [{"url": f"/evidence/{row.id}", "camera": row.view, "at": row.taken_at}
                   for row in latest_deck_snapshots(reader, lane) if row.path is not None]
            for lane in lanes}


def console_router(staff: Staff, engine: Engine, templates: Jinja2Templates, hub: StatusHub) -> APIRouter:
    router = APIRouter(tags=["console"])
    reader = read_only(engine)

    @router.get("/console", response_class=HTMLResponse)
    async def console(request: Request, refused: str | None = None, sent: int | None = None,
                      who: Principal = Depends(staff.page("attendant"))) -> Response:
        log = await run_in_threadpool(attendant_log, engine, reader)
        deck = await run_in_threadpool(_deck_snapshots, reader, hub.lanes())
        context = {"who": who, **await lane_context(hub, engine, reader), "log": log, "actions": attendant.ACTIONS,
                   "deck_snapshots": deck,
                   "refused": refused if refused in REFUSALS else None, "sent": sent}
        response = templates.TemplateResponse(request, "console.html", context)
        response.headers["Cache-Control"] = "no-store"
        return response

    @router.get("/console/log", response_class=HTMLResponse)
    def log_rows(request: Request, who: Principal = Depends(staff.page("attendant"))) -> Response:
        """The log's rows alone, for the page to refresh when a lane moves on."""
        response = templates.TemplateResponse(request, "_attendant_log.html", {"log": attendant_log(engine, reader)})
        response.headers["Cache-Control"] = "no-store"
        return response

    @router.post("/console/{lane}/decide")
    async def decide(lane: str, post: StaffPost = Depends(staff.post("attendant"))) -> Response:
        visit, action = post.form.get("visit", ""), post.form.get("action", "")
        reason = post.form.get("reason", "").strip()
        status = hub.latest(lane)
        refused = None
        if action not in attendant.ACTIONS:
            refused = "bad_action"
        elif not reason:
            refused = "reason_required"
        elif status is None or status.step is not LaneStep.HELD or status.visit != visit:
            refused = "not_held"   # the gate would refuse it too; say so now
        if refused is not None:
            return RedirectResponse(f"/console?refused={refused}#lane-{quote(lane, safe='')}", status_code=303)
        request_id = await run_in_threadpool(attendant.request, engine, lane, visit, action, reason,
                                             post.principal.username, post.principal.user_id)
        return RedirectResponse(f"/console?sent={request_id}#lane-{quote(lane, safe='')}", status_code=303)

    return router
