"""The ERP's settlement API, bearer-token protected like the other machine APIs
(`identification.erp_token`; without one the router is not mounted).

  GET /api/settlement/deliveries?after=<cursor>&limit=N
      {"deliveries": [...], "next": "<cursor>", "more": true|false}
  GET /api/settlement/summary?from=YYYY-MM-DD&to=YYYY-MM-DD[&supplier=CODE]
      {"from", "to", "timezone", "days": [{"day", "supplier", "trucks", ...}], "page_to", "next"}

The cursor contract: `next` is opaque; hand it back as `after` to get the deliveries issued
since. Lines come in the order their tickets were issued (a keyset on the ticket's id, which
the gate assigns in increasing order), so a poll never misses or repeats a delivery, however
many arrive between polls. An empty page hands back the same cursor. Each line's `record_id`
is the delivery's id: an ERP that saves a page twice (a poll retried after a timeout) upserts
by it. Each line says whether the chain vouches for it (`verified`); one that does not carries
no figures.

The summary takes any period. It reads (and checks against the chain) at most 31 days a
request: a longer period answers its first 31 days with `next` = the day to ask `from` next
(the same `to`), and `next` null on the last page. So no request holds more than one page's
day x supplier rows, or runs longer than one page's checks.

`central_settlement_router` is the same API over the central PostgreSQL for every gate that
syncs to it (intake.settlement.central): its cursor holds one position per site.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from intake.settlement.lines import (
    BadArgument, Delivery, Window, as_json, decode_cursor, encode_cursor, summarise, summary_json, summary_pages,
)
from intake.store.db import read_only
from intake.web.jsonbody import require_bearer

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100

# (positions after, limit) -> (lines, positions after them, more)
Pager = Callable[[dict[str, int], int], tuple[list[Delivery], dict[str, int], bool]]
Lines = Callable[[Window], Iterator[Delivery]]


def settlement_router(engine: Engine, token: str, site: str, tz: str = "UTC") -> APIRouter:
    """The API over the gate's own database."""
    from intake.settlement.local import chain_check, deliveries, page

    reader = read_only(engine)     # never the gate's write lock
    check = chain_check(engine)    # the key and the integrity state are the gate engine's

    def pager(after: dict[str, int], limit: int) -> tuple[list[Delivery], dict[str, int], bool]:
        lines, last, more = page(reader, after.get("t", 0), limit, site, check)
        return lines, {"t": last}, more

    return _router(token, tz, pager, lambda w: deliveries(reader, w, site, check))


def central_settlement_router(engine: Engine, token: str, tz: str = "UTC", site: str | None = None) -> APIRouter:
    """The API over the central PostgreSQL: every site's deliveries (or one site's)."""
    from intake.settlement.central import central_deliveries, central_page

    def pager(after: dict[str, int], limit: int) -> tuple[list[Delivery], dict[str, int], bool]:
        return central_page(engine, after, limit, site)

    return _router(token, tz, pager, lambda w: central_deliveries(engine, w, site))


def _router(token: str, tz: str, pager: Pager, lines_of: Lines) -> APIRouter:
    router = APIRouter(prefix="/api/settlement", tags=["settlement"])
    zone = ZoneInfo(tz)

    @router.get("/deliveries", response_class=JSONResponse)
    def list_deliveries(request: Request, response: Response, after: str | None = None,
                        limit: str | None = None) -> JSONResponse:
        response.headers["Cache-Control"] = "no-store"
        require_bearer(token, request.headers.get("authorization"))
        try:
            positions = decode_cursor(after)
            count = _limit(limit)
        except BadArgument as exc:
            raise HTTPException(400, str(exc)) from None
        lines, following, more = pager(positions, count)
        # Straight to JSON text: the lines are plain already (times as ISO text), and FastAPI's
        # own encoder walking a page of them cost more than the page's queries.
        return JSONResponse({"deliveries": [as_json(d, zone) for d in lines], "next": encode_cursor(following),
                             "more": more}, headers={"Cache-Control": "no-store"})

    @router.get("/summary")
    def summary(request: Request, response: Response, supplier: str | None = None) -> dict[str, object]:
        response.headers["Cache-Control"] = "no-store"
        require_bearer(token, request.headers.get("authorization"))
        since, until = request.query_params.get("from"), request.query_params.get("to")   # Python keywords
        try:
            if not since or not until:
                raise BadArgument("from, to: both days are needed (YYYY-MM-DD)")
            first = next(summary_pages(since, until, zone, supplier))
        except BadArgument as exc:
            raise HTTPException(400, str(exc)) from None
        rows = summarise(lines_of(first.window), zone)
        return {"from": since, "to": until, "timezone": tz, "supplier": first.window.supplier,
                "days": [summary_json(r) for r in rows], "page_to": first.last.isoformat(),
                "next": first.next.isoformat() if first.next else None}

    return router


def _limit(text: str | None) -> int:
    if text is None or text == "":
        return DEFAULT_LIMIT
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise BadArgument(f"limit: a whole number from 1 to {MAX_LIMIT}")
    return int(text)
