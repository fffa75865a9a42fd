"""/admin/orders (open or close a delivery order) and /admin/vehicles (correct a stored tare):
admins only, every change with a required reason, each a chained change record
(intake.masterdata.edits). Listing reads without the write lock; rows that differ from their
change record are marked and offer no change (the guards would refuse it anyway).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine

from intake.auth.sessions import Principal
from intake.masterdata.edits import (
    EditRefused, correct_tare, list_orders, list_vehicles, recent_changes, set_order_open, tare_time,
)
from intake.masterdata.cards import cards_by_vehicle
from intake.masterdata.rows import clean_reason, clean_tare
from intake.masterdata.single import choices
from intake.store.db import read_only
from intake.store.master_changes import MasterChange
from intake.web.ids import PathId
from intake.web.staff import Staff, StaffPost
from intake.web.verified import failing

STATES = ("open", "closed", "all")
# page -> the tables whose change records it lists
PAGE_TABLES: dict[str, tuple[str, ...]] = {"admin_orders.html": ("deliveryorder",),
                                           "admin_vehicles.html": ("vehicle", "vehicletag"),
                                           "admin_suppliers.html": ("supplier",)}


def _shown(value: Any) -> str:
    """A watched value as the change record holds it (canonical JSON: times as {"$t": iso})."""
    if isinstance(value, dict) and set(value) == {"$t"}:
        return str(value["$t"]).replace("T", " ")[:19]
    return "—" if value is None else str(value)


def _changes(engine: Engine, reader: Engine, tables: tuple[str, ...]) -> list[dict[str, Any]]:
    """The tables' newest change records as the page lists them; one that fails its chain link
    is named, its content not shown as fact."""
    changes = sorted((c for table in tables for c in recent_changes(reader, table)),
                     key=lambda c: c.id or 0, reverse=True)[:20]
    bad = failing(engine, reader, MasterChange, [c.id for c in changes])
    out = []
    for c in changes:
        old = c.old or {}
        lines = ["created"] if c.old is None else [
            f"{k} {_shown(old.get(k))} → {_shown(v)}" for k, v in c.new.items() if old.get(k) != v]
        shown = c.id not in bad
        out.append({"at": c.at, "by": c.by, "lines": lines, "why": c.why, "bad": not shown,
                    "row": (c.new.get("plate") or c.new.get("code") or c.new.get("tag") if shown else None) or c.row_pk})
    return out


class MasterPages:
    """Rendering the two pages, with an error or a done notice (a post's answer)."""

    def __init__(self, staff: Staff, engine: Engine, templates: Jinja2Templates) -> None:
        self.staff, self.engine, self.templates = staff, engine, templates
        self.reader = read_only(engine)   # listing only reads: never the gate's write lock

    def page(self, request: Request, who: Principal, name: str, context: dict[str, Any], status: int,
             form: dict[str, str] | None = None) -> Response:
        response = self.templates.TemplateResponse(request, name, {
            "who": who, "changes": _changes(self.engine, self.reader, PAGE_TABLES[name]),
            "choices": choices(self.reader), "form": form or {}, **context}, status_code=status)
        response.headers["Cache-Control"] = "no-store"
        return response

    def orders(self, request: Request, who: Principal, q: str, state: str, error: str | None = None,
               done: str | None = None, status: int = 200, form: dict[str, str] | None = None) -> Response:
        state = state if state in STATES else "open"
        return self.page(request, who, "admin_orders.html", {
            "orders": list_orders(self.reader, q[:64], state), "q": q[:64], "state": state, "states": STATES,
            "error": error, "done": done}, status, form)

    def vehicles(self, request: Request, who: Principal, q: str, error: str | None = None,
                 done: str | None = None, status: int = 200, form: dict[str, str] | None = None) -> Response:
        return self.page(request, who, "admin_vehicles.html", {
            "vehicles": list_vehicles(self.reader, q[:64]), "cards": cards_by_vehicle(self.reader), "q": q[:64],
            "error": error, "done": done, "today": self.staff.settings.today().isoformat()}, status, form)

    def suppliers(self, request: Request, who: Principal, error: str | None = None, done: str | None = None,
                  status: int = 200, form: dict[str, str] | None = None) -> Response:
        return self.page(request, who, "admin_suppliers.html", {"error": error, "done": done}, status, form)


def masterdata_router(staff: Staff, engine: Engine, templates: Jinja2Templates) -> APIRouter:
    router = APIRouter(prefix="/admin", tags=["admin"])
    from intake.web.masterdata_add import masterdata_add_router

    admin = staff.page("admin")
    pages = MasterPages(staff, engine, templates)
    router.include_router(masterdata_add_router(staff, engine, pages))

    @router.get("/orders", response_class=HTMLResponse)
    def orders(request: Request, q: str = "", state: str = "open", done: str | None = None,
               who: Principal = Depends(admin)) -> Response:
        return pages.orders(request, who, q, state, done=(done or "")[:200] or None)

    @router.post("/orders/{order_id}/{action}")
    def order_action(request: Request, order_id: PathId, action: str,
                     post: StaffPost = Depends(staff.post("admin"))) -> Response:
        q, state = post.form.get("q", "")[:64], post.form.get("state", "open")
        if action not in ("open", "close"):
            return pages.orders(request, post.principal, q, state, "no such action", status=404)
        try:
            change = set_order_open(engine, order_id, action == "open", post.principal.username,
                                    clean_reason(post.form.get("reason")))
        except (ValueError, EditRefused) as exc:
            return pages.orders(request, post.principal, q, state, str(exc), status=400)
        code, opened = change.new.get("code"), action == "open"
        done = (f"送货单 {code} 已{'打开' if opened else '关闭'}（修改记录 {change.id}） · "
                f"order {code} {'opened' if opened else 'closed'} (change record {change.id})")
        return RedirectResponse(f"/admin/orders?{_query(q=q, state=state, done=done)}", status_code=303)

    @router.get("/vehicles", response_class=HTMLResponse)
    def vehicles(request: Request, q: str = "", done: str | None = None,
                 who: Principal = Depends(admin)) -> Response:
        return pages.vehicles(request, who, q, done=(done or "")[:200] or None)

    @router.post("/vehicles/{vehicle_id}/tare")
    def tare(request: Request, vehicle_id: PathId, post: StaffPost = Depends(staff.post("admin"))) -> Response:
        form, q = post.form, post.form.get("q", "")[:64]
        try:
            reason = clean_reason(form.get("reason"))
            kg = clean_tare(form.get("tare_kg"))
            weighed = tare_time(_date(form.get("weighed_on")), staff.settings.today())
            change = correct_tare(engine, vehicle_id, kg, weighed, post.principal.username, reason)
        except (ValueError, EditRefused) as exc:
            return pages.vehicles(request, post.principal, q, str(exc), status=400)
        plate, before = change.new.get("plate"), (change.old or {}).get("stored_tare_kg")
        done = (f"车辆 {plate} 存储皮重 {before} → {kg} kg（修改记录 {change.id}） · "
                f"vehicle {plate}: stored tare {before} → {kg} kg (change record {change.id})")
        return RedirectResponse(f"/admin/vehicles?{_query(q=q, done=done)}", status_code=303)

    return router


def _date(text: str | None) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise ValueError("weighed on: a date as YYYY-MM-DD is needed") from None


def _query(**params: str) -> str:
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in params.items() if v})
