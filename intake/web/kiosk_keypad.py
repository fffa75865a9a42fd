"""The kiosk's on-screen keypad: a driver whose RFID card is not read keys the delivery order
code (PO-XXXXX-XXXXXX, intake.ident.ordercodes) on the kiosk screen, and the lane identifies
the truck by it, as the plate camera would.

POST /kiosk/<lane>/order-code {"code": "..."} (JSON). No login: the kiosk is the driver's page.
Where the site sets `kiosk_display_token`, only the kiosk's own screen (its page URL carries
?display=<token>, sent back as the `display` query parameter) may key codes. A code whose check
character fails is a typo, answered at once without asking the database; a wrong code or an
unknown lane get the same answer (no oracle for open codes), and a lane with too many wrong
codes waits (429), as the keypad API does (intake.ident.webhook)."""
from __future__ import annotations

import hmac
import math
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from intake.ident.guesses import GuessLimit
from intake.ident.ordercodes import well_formed
from intake.web.jsonbody import read_json


@dataclass(frozen=True)
class OrderCodeHooks:
    """plate_for_code(code): the vehicle of an open order (blocking: a database read);
    identify(lane, plate): hand the plate to the lane, False for an unknown lane."""
    plate_for_code: Callable[[str], str | None]
    identify: Callable[[str, str], bool]


class KeyedCode(BaseModel):
    code: str = Field(min_length=3, max_length=32)


def keypad_router(hooks: OrderCodeHooks, display_token: str = "", guesses: GuessLimit | None = None) -> APIRouter:
    router = APIRouter(tags=["kiosk"])
    limit = guesses or GuessLimit()

    @router.post("/kiosk/{lane}/order-code", status_code=202)
    async def keyed(request: Request, lane: str, display: str = "") -> dict[str, str]:
        if display_token and not hmac.compare_digest(display.encode(), display_token.encode()):
            raise HTTPException(403, "codes are keyed on the kiosk's own screen")
        event = await read_json(request, KeyedCode)
        code = event.code.strip().upper()
        if not well_formed(code):
            raise HTTPException(422, "code_mistyped")
        wait = limit.retry_after(lane[:16])
        if wait > 0:
            raise HTTPException(429, "code_wait", headers={"Retry-After": str(math.ceil(wait))})
        plate = await run_in_threadpool(hooks.plate_for_code, code)
        if plate is None or not hooks.identify(lane, plate):
            limit.failed(lane[:16])
            raise HTTPException(404, "code_not_accepted")
        return {"status": "accepted"}

    return router
