"""JSON API for machines (monitoring, other screens): read-only lane status for now."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response

from intake.lane.status import LaneStatus, StatusHub


def api_router(hub: StatusHub) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["api"])

    @router.get("/lanes")
    async def list_lanes(response: Response) -> dict[str, Any]:
        response.headers["Cache-Control"] = "no-store"
        return {"lanes": hub.lanes()}

    @router.get("/lanes/{lane}", response_model=LaneStatus)
    async def get_lane(lane: str, response: Response) -> LaneStatus:
        status = hub.latest(lane)
        if status is None:
            raise HTTPException(status_code=404, detail=f"unknown lane {lane!r}")
        response.headers["Cache-Control"] = "no-store"
        return status

    return router
