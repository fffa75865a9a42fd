"""Licence-plate events posted by a plate camera (a generic JSON webhook).

POST /api/ident/plate  {"lane": "1", "plate": "沪A·S1001", "confidence": 0.97}
with `Authorization: Bearer <token>` (the site's `identification.webhook_token`).
Reads below the configured confidence are logged and ignored: a wrong plate must not admit.
"""
from __future__ import annotations

import hmac
import logging
from typing import Callable

from fastapi import APIRouter, Header, HTTPException
from pydantic import BaseModel, ConfigDict, Field

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
    async def plate_event(event: PlateEvent, authorization: str = Header("")) -> dict[str, str]:
        given = authorization.removeprefix("Bearer ").strip()
        if not token or not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(401, "bad token")
        if event.confidence < min_confidence:
            log.info("plate %s on lane %s ignored: confidence %.2f", event.plate, event.lane, event.confidence)
            return {"status": "ignored", "reason": "low_confidence"}
        if not identify(event.lane, event.plate.strip().upper()):
            raise HTTPException(404, "unknown lane")
        return {"status": "accepted"}

    return router
