"""Licence-plate events posted by a plate camera (a generic JSON webhook).

POST /api/ident/plate  {"lane": "1", "plate": "沪A·S1001", "confidence": 0.97}
with `Authorization: Bearer <token>` (the site's `identification.webhook_token`).
Reads below the configured confidence are logged and ignored: a wrong plate must not admit.
"""
from __future__ import annotations

import logging
import math
from typing import Callable

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from intake.ident.guesses import GuessLimit
from intake.web.jsonbody import read_json, require_bearer

log = logging.getLogger(__name__)


class PlateEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")  # cameras add their own fields; we need these
    lane: str = Field(min_length=1, max_length=16)
    plate: str = Field(min_length=2, max_length=16)
    confidence: float = Field(1.0, ge=0, le=1)


def plate_router(token: str, min_confidence: float, identify: Callable[[str, str], bool]) -> APIRouter:
    """`identify(lane, plate)` returns False for an unknown lane."""
    router = APIRouter()

    @router.post("/api/ident/plate", status_code=202)
    async def plate_event(request: Request) -> dict[str, str]:
        require_bearer(token, request.headers.get("authorization"))
        event = await read_json(request, PlateEvent)
        if event.confidence < min_confidence:
            log.info("plate %s on lane %s ignored: confidence %.2f", event.plate, event.lane, event.confidence)
            return {"status": "ignored", "reason": "low_confidence"}
        if not identify(event.lane, event.plate.strip().upper()):
            raise HTTPException(404, "unknown lane")
        return {"status": "accepted"}

    return router


class OrderCodeEvent(BaseModel):
    lane: str = Field(min_length=1, max_length=16)
    code: str = Field(min_length=3, max_length=32)


NOT_ACCEPTED = "code not accepted on this lane"


def order_code_router(token: str, plate_for_code: Callable[[str], str | None],
                      identify: Callable[[str, str], bool], guesses: GuessLimit | None = None) -> APIRouter:
    """Fallback identification: the driver keys the delivery order code on the kiosk keypad.

    POST /api/ident/order-code  {"lane": "1", "code": "PO-7K2QX-MD94RT"} with the same bearer token.
    The code stands for its order's vehicle; admission then checks order and route as always.
    A wrong code and an unknown lane get the same answer (no oracle for open codes), and a lane
    with too many wrong codes waits (429) before its next try.
    """
    router = APIRouter()
    limit = guesses or GuessLimit()

    @router.post("/api/ident/order-code", status_code=202)
    async def order_code(request: Request) -> dict[str, str]:
        require_bearer(token, request.headers.get("authorization"))
        event = await read_json(request, OrderCodeEvent)
        wait = limit.retry_after(event.lane)
        if wait > 0:
            raise HTTPException(429, "too many wrong codes; wait", headers={"Retry-After": str(math.ceil(wait))})
        plate = await run_in_threadpool(plate_for_code, event.code.strip().upper())
        if plate is None or not identify(event.lane, plate):
            limit.failed(event.lane)
            raise HTTPException(404, NOT_ACCEPTED)
        return {"status": "accepted"}

    return router
