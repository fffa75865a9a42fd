"""GET /health: is the gate able to take trucks? JSON, no login, for monitoring and watchdogs.

"ok": every lane is in service. "degraded": some lane is out of service, or a collaborator
reported trouble. "down": no lane can take a truck (none known, or all out of service).
A "down" answer uses HTTP 503 so a plain HTTP probe sees it without parsing JSON.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Final, Literal

from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from intake.lane.status import LaneStep, StatusHub

log = logging.getLogger(__name__)

HealthStatus = Literal["ok", "degraded", "down"]
_RANK: Final[dict[str, int]] = {"ok": 0, "degraded": 1, "down": 2}

HealthProbe = Callable[[], dict[str, Any]]


def worst(a: str, b: str) -> HealthStatus:
    """The worse of two statuses; anything unrecognised counts as degraded, never as ok."""
    rank = max(_RANK.get(a, 1), _RANK.get(b, 1))
    return "ok" if rank == 0 else "degraded" if rank == 1 else "down"


def lanes_status(steps: dict[str, LaneStep]) -> HealthStatus:
    out = [lane for lane, step in steps.items() if step is LaneStep.OUT_OF_SERVICE]
    if not steps or len(out) == len(steps):
        return "down"
    return "degraded" if out else "ok"


def _probe(health: HealthProbe | None) -> dict[str, Any]:
    if health is None:
        return {}
    try:
        extra = dict(health())
    except Exception as exc:  # a failing probe must still yield an answer, just not "ok"
        log.exception("health probe failed")
        return {"status": "degraded", "health_error": type(exc).__name__}
    return jsonable_encoder(extra)


def health_payload(hub: StatusHub, health: HealthProbe | None) -> dict[str, Any]:
    steps, faults = {}, {}
    for lane in hub.lanes():
        status = hub.latest(lane)
        if status is not None:
            steps[lane] = status.step
            if status.fault:
                faults[lane] = status.fault   # why the lane is closed: store:full, gate_io:..., ...
    extra = _probe(health)
    overall = worst(lanes_status(steps), str(extra.pop("status", "ok")))
    extra.pop("lanes", None)  # ours is authoritative
    extra.pop("faults", None)
    closed = {"faults": faults} if faults else {}
    return {"status": overall, "lanes": {lane: str(step) for lane, step in steps.items()}, **closed, **extra}


def health_router(hub: StatusHub, health: HealthProbe | None) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health")
    async def get_health() -> JSONResponse:
        payload = health_payload(hub, health)
        code = 503 if payload["status"] == "down" else 200
        return JSONResponse(payload, status_code=code, headers={"Cache-Control": "no-store"})

    return router
