"""/lanes: every lane on one screen for any logged-in staff (state, weight, plate, last decision),
kept live over one Server-Sent Events stream of all lanes (/lanes/events, the kiosk's stream
with the hub's every-lane subscription); /lanes/<lane>/frames.json: the lane's latest sample
frames, which the overview and the attendant console fetch when a lane's truck is decided.

The page renders the current state (right before its script runs); lanes.js applies every
later snapshot with the kiosk's word table.
"""
from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine

from intake.auth.sessions import Principal
from intake.lane.status import ALL_LANES, LaneStatus, StatusHub
from intake.store.db import read_only
from intake.web import i18n
from intake.web.events import LaneEventStream, StreamRegistry
from intake.web.lanes_read import last_decisions, latest_frames
from intake.web.staff import Staff


async def lane_context(hub: StatusHub, engine: Engine, reader: Engine) -> dict[str, object]:
    """What both the overview and the console render: the lanes now (read on the event loop,
    like every hub read), and their last decisions (the store, in a worker thread)."""
    statuses: list[LaneStatus] = [s for s in (hub.latest(lane) for lane in hub.lanes()) if s is not None]
    last = await run_in_threadpool(last_decisions, engine, reader)
    return {"statuses": statuses, "last": last, "table": i18n.client_table(), "format_weight": i18n.format_weight,
            "steps": i18n.STEP_LABELS, "kiosk_reason": i18n.reason}


def lanes_router(staff: Staff, engine: Engine, templates: Jinja2Templates, hub: StatusHub,
                 streams: StreamRegistry, heartbeat_s: float) -> APIRouter:
    router = APIRouter(tags=["lanes"])
    anyone = staff.page("staff")
    reader = read_only(engine)

    @router.get("/lanes", response_class=HTMLResponse)
    async def overview(request: Request, who: Principal = Depends(anyone)) -> Response:
        context = {"who": who, **await lane_context(hub, engine, reader)}
        response = templates.TemplateResponse(request, "lanes.html", context)
        response.headers["Cache-Control"] = "no-store"
        return response

    @router.get("/lanes/events")
    async def lane_events(request: Request, who: Principal = Depends(anyone)) -> Response:
        stop = streams.admit(request.client.host if request.client else "?")
        if stop is None:
            raise HTTPException(status_code=503, detail="too many open lane streams")
        return LaneEventStream(hub, ALL_LANES, heartbeat_s, streams, stop)

    @router.get("/lanes/{lane}/frames.json")
    async def frames(lane: str, who: Principal = Depends(anyone)) -> Response:
        if hub.latest(lane) is None:
            raise HTTPException(status_code=404, detail=f"unknown lane {lane!r}")
        found = await run_in_threadpool(latest_frames, engine, reader, lane)
        shown = [{**asdict(f), "url": f"/frames/{f.id}"} for f in found]
        return JSONResponse({"lane": lane, "frames": shown}, headers={"Cache-Control": "no-store"})

    return router
