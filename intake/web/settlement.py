"""The ERP's settlement API, bearer-token protected like the other machine APIs
(`identification.erp_token`; without one the router is not mounted).

  GET /api/settlement/deliveries?after=<cursor>&limit=N
      {"deliveries": [...], "next": "<cursor>", "more": true|false}
  GET /api/settlement/summary?from=YYYY-MM-DD&to=YYYY-MM-DD[&supplier=CODE]
      {"from", "to", "timezone", "days": [{"day", "supplier", "trucks", ...}]}

The cursor contract: `next` is opaque; hand it back as `after` to get the deliveries issued
since. Lines come in the order their tickets were issued (a keyset on the ticket's id, which
the gate assigns in increasing order), so a poll never misses or repeats a delivery, however
many arrive between polls. An empty page hands back the same cursor. Each line's `record_id`
is the delivery's id: an ERP that saves a page twice (a poll retried after a timeout) upserts
by it. Each line says whether the chain vouches for it (`verified`); one that does not carries
no figures.
"""
from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request, Response
from sqlalchemy.engine import Engine

from intake.settlement.lines import BadArgument, as_json, decode_cursor, encode_cursor, summarise, summary_json, window
from intake.settlement.local import deliveries, page
from intake.store.db import read_only
from intake.web.jsonbody import require_bearer
from intake.web.verified import failing

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
SUMMARY_MAX_DAYS = 31   # the summary checks every line of its period against the chain on request


def settlement_router(engine: Engine, token: str, site: str, tz: str = "UTC") -> APIRouter:
    router = APIRouter(prefix="/api/settlement", tags=["settlement"])
    reader = read_only(engine)     # never the gate's write lock
    zone = ZoneInfo(tz)

    def check(table: Any, ids: list[Any]) -> set[Any]:
        return failing(engine, reader, table, ids)

    @router.get("/deliveries")
    def list_deliveries(request: Request, response: Response, after: str | None = None,
                        limit: str | None = None) -> dict[str, object]:
        response.headers["Cache-Control"] = "no-store"
        require_bearer(token, request.headers.get("authorization"))
        try:
            position = decode_cursor(after).get("t", 0)
            count = _limit(limit)
        except BadArgument as exc:
            raise HTTPException(400, str(exc)) from None
        lines, last, more = page(reader, position, count, site, check)
        return {"deliveries": [as_json(d, zone) for d in lines], "next": encode_cursor({"t": last}), "more": more}

    @router.get("/summary")
    def summary(request: Request, response: Response, supplier: str | None = None) -> dict[str, object]:
        response.headers["Cache-Control"] = "no-store"
        require_bearer(token, request.headers.get("authorization"))
        since, until = request.query_params.get("from"), request.query_params.get("to")   # Python keywords
        try:
            if not since or not until:
                raise BadArgument("from, to: both days are needed (YYYY-MM-DD)")
            w = window(since, until, zone, supplier, max_days=SUMMARY_MAX_DAYS)
        except BadArgument as exc:
            raise HTTPException(400, str(exc)) from None
        rows = summarise(deliveries(reader, w, site, check), zone)
        return {"from": since, "to": until, "timezone": tz, "supplier": w.supplier,
                "days": [summary_json(r) for r in rows]}

    return router


def _limit(text: str | None) -> int:
    if text is None or text == "":
        return DEFAULT_LIMIT
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise BadArgument(f"limit: a whole number from 1 to {MAX_LIMIT}")
    return int(text)
