"""GET /suppliers (reject rate per supplier and material per month, as an SVG chart and a
table; lots and their status) and the CSV exports /export/visits.csv and /export/inspections.csv."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine

from intake.auth.sessions import Principal
from intake.store import reviews
from intake.store.db import read_only
from intake.store.supplier_rates import RateRow, reject_rates
from intake.web.charts import line_chart
from intake.web.localtime import SiteTime
from intake.web.lots import LOTS_SHOWN, STATUSES
from intake.web.lots import lots as lot_groups
from intake.web.staff import Staff
from intake.web.verified import failing

MAX_SPAN_DAYS = 3 * 366
BOM = "\ufeff"   # Excel on a Chinese Windows reads a CSV as GBK unless it starts with this


def with_bom(lines: Iterable[str]) -> Iterator[str]:
    yield BOM
    yield from lines


def _window(since: str | None, until: str | None, default_days: int,
            today: Callable[[], date]) -> tuple[date, date]:
    try:
        end = date.fromisoformat(until) if until else today()
        start = date.fromisoformat(since) if since else end - timedelta(days=default_days)
    except ValueError:
        raise HTTPException(status_code=400, detail="since/until: dates as YYYY-MM-DD") from None
    if start > end or (end - start).days > MAX_SPAN_DAYS:
        raise HTTPException(status_code=400, detail=f"since..until: at most {MAX_SPAN_DAYS} days, in order")
    return start, end


def _months(start: date, end: date) -> list[str]:
    out, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def rate_context(rows: list[RateRow], start: date, end: date) -> dict[str, object]:
    """The chart's series (reject rate per month, of sampled loads) and the period's totals per
    supplier and material: [trucks, sampled, rejected, held, anti-cheat holds], by name."""
    series: dict[str, dict[str, float]] = {}
    notes: dict[str, dict[str, str]] = {}
    totals: dict[str, list[int]] = {}
    codes: dict[str, str] = {}
    for r in rows:
        codes[r.key] = f"{r.supplier} / {r.material}"
        t = totals.setdefault(r.key, [0, 0, 0, 0, 0])
        for i, n in enumerate((r.trucks, r.sampled, r.rejected, r.held, r.anti_cheat)):
            t[i] += n
        if r.sampled:
            series.setdefault(r.key, {})[r.month] = r.reject_rate
            notes.setdefault(r.key, {})[r.month] = f"({r.rejected}/{r.sampled})"
    return {"rows": rows, "totals": totals, "codes": codes,
            "chart": line_chart(_months(start, end), series, notes) if series else None}


def suppliers_router(staff: Staff, engine: Engine, templates: Jinja2Templates,
                     site_time: SiteTime | None = None) -> APIRouter:
    router = APIRouter(tags=["suppliers"])
    reviewer = staff.page("reviewer")
    reader = read_only(engine)     # these pages only read: never the gate's write lock
    stamp = (site_time or SiteTime()).iso   # exported times: the site's local time with its offset
    zone = (site_time or SiteTime()).tz     # and the days asked for are the site's days

    @router.get("/suppliers", response_class=HTMLResponse)
    def suppliers(request: Request, since: str | None = None, until: str | None = None,
                  who: Principal = Depends(reviewer)) -> Response:
        start, end = _window(since, until, 365, staff.settings.today)
        suppliers, materials = reviews.queue_choices(reader)
        context = {"who": who, "since": start, "until": end, "lot_groups": lot_groups(reader, start, end, zone),
                   "lot_statuses": STATUSES, "lots_shown": LOTS_SHOWN,
                   "supplier_names": dict(suppliers), "material_names": dict(materials),
                   **rate_context(reject_rates(reader, start, end, zone), start, end)}
        response = templates.TemplateResponse(request, "suppliers.html", context)
        response.headers["Cache-Control"] = "no-store"
        return response

    def csv_response(lines: Iterable[str], name: str) -> Response:
        return StreamingResponse(with_bom(lines), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="{name}"',
                                          "Cache-Control": "no-store"})

    @router.get("/export/visits.csv")
    def export_visits(since: str | None = None, until: str | None = None,
                      who: Principal = Depends(reviewer)) -> Response:
        start, end = _window(since, until, 31, staff.settings.today)
        # The whole chain verified since start (the router's guard); each line's rows are checked
        # again as they are read, so an edit made since is not exported as fact.
        lines = reviews.export_visits(reader, start, end, check=lambda table, ids: failing(engine, reader, table, ids), stamp=stamp,
                                     zone=zone)
        return csv_response(lines, f"visits-{start}-{end}.csv")

    @router.get("/export/inspections.csv")
    def export_inspections(since: str | None = None, until: str | None = None,
                           who: Principal = Depends(reviewer)) -> Response:
        start, end = _window(since, until, 31, staff.settings.today)
        lines = reviews.export_inspections(reader, start, end,
                                           check=lambda table, ids: failing(engine, reader, table, ids),
                                           stamp=stamp, zone=zone)
        return csv_response(lines, f"inspections-{start}-{end}.csv")

    return router
