"""POST /kiosk/<lane>/call: the driver's call button on the kiosk asks for the remote attendant.

No login (the kiosk has none) and nothing it sends decides anything: the call is a chained
`call` row (intake.store.attendant) naming the lane and the truck on its deck, which the lane
takes as an `AttendantCalled` event and the console shows and sounds. Calls from another site
are refused, and one lane's calls are kept at one per CALL_EVERY_S, so a stuck or hammered
button is one call.
"""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy.engine import Engine

from intake.auth.csrf import same_origin
from intake.lane.status import StatusHub
from intake.store import attendant


def calls_router(engine: Engine, hub: StatusHub) -> APIRouter:
    router = APIRouter(tags=["kiosk"])

    @router.post("/kiosk/{lane}/call")
    async def call(request: Request, lane: str) -> Response:
        if not same_origin(request.headers, request.url.scheme):
            raise HTTPException(status_code=403, detail="cross-site request refused")
        status = hub.latest(lane)
        if status is None:
            raise HTTPException(status_code=404, detail=f"unknown lane {lane!r}")
        recorded = await run_in_threadpool(attendant.record_call, engine, lane, status.visit)
        return JSONResponse({"lane": lane, "called": True, "recorded": recorded}, status_code=202)

    return router
