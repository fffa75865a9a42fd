"""The admin pages' additions: a supplier (/admin/suppliers), a vehicle with its RFID card and
a card bound to a vehicle or withdrawn later (/admin/vehicles), an open order (/admin/orders). Admins only,
each with a required reason, each a chained change record (intake.masterdata.single, .cards).
Answers are bilingual (intake.web.admin_words); a refusal re-renders the page, status 400."""
from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session

from intake.auth.sessions import Principal
from intake.ident.ordercodes import new_order_code
from intake.masterdata.cards import bind_card, clean_tag, withdraw_card
from intake.masterdata.edits import EditRefused
from intake.masterdata.rows import clean_reason
from intake.masterdata.single import add_row
from intake.store.tables import Vehicle
from intake.web.masterdata import MasterPages
from intake.web.staff import Staff, StaffPost


def _done(page: str, done: str) -> Response:
    return RedirectResponse(f"/admin/{page}?{urlencode({'done': done})}", status_code=303)


def _form(post: StaffPost, *names: str) -> dict[str, str]:
    return {name: post.form.get(name, "").strip() for name in names}


def masterdata_add_router(staff: Staff, engine: Engine, pages: MasterPages) -> APIRouter:
    router = APIRouter(tags=["admin"])   # included under /admin by intake.web.masterdata
    admin_post = staff.post("admin")

    @router.get("/suppliers", response_class=HTMLResponse)
    def suppliers(request: Request, done: str | None = None, who: Principal = Depends(staff.page("admin"))) -> Response:
        return pages.suppliers(request, who, done=(done or "")[:200] or None)

    @router.post("/suppliers/add")
    def supplier_add(request: Request, post: StaffPost = Depends(admin_post)) -> Response:
        cells = _form(post, "code", "name")
        try:
            code = add_row(engine, "suppliers", cells, post.principal.username, clean_reason(post.form.get("reason")))
        except (ValueError, EditRefused) as exc:
            return pages.suppliers(request, post.principal, str(exc), status=400, form=cells)
        return _done("suppliers", f"已添加供应商 {code} · supplier {code} added")

    @router.post("/vehicles/add")
    def vehicle_add(request: Request, post: StaffPost = Depends(admin_post)) -> Response:
        cells = _form(post, "plate", "supplier", "bed_length_mm", "bed_width_mm", "card")
        try:
            reason = clean_reason(post.form.get("reason"))
            tag = clean_tag(cells["card"]) if cells["card"] else None   # refused before anything is written
            plate = add_row(engine, "vehicles", cells, post.principal.username, reason)
            if tag is not None:
                bind_card(engine, plate, tag, post.principal.username, reason)
        except (ValueError, EditRefused) as exc:
            return pages.vehicles(request, post.principal, "", str(exc), status=400, form=cells)
        card = f" · 卡 card {tag}" if tag else ""
        return _done("vehicles", f"已添加车辆 {plate} · vehicle {plate} added{card}")

    @router.post("/cards/bind")
    def card_bind(request: Request, post: StaffPost = Depends(admin_post)) -> Response:
        try:
            reason = clean_reason(post.form.get("reason"))
            change = bind_card(engine, post.form.get("plate", ""), post.form.get("card", ""),
                               post.principal.username, reason)
        except (ValueError, EditRefused) as exc:
            return pages.vehicles(request, post.principal, "", str(exc), status=400)
        tag = change.new.get("tag")
        with Session(pages.reader) as session:
            vehicle = session.get(Vehicle, change.new.get("vehicle_id"))
        plate = vehicle.plate if vehicle is not None else "?"
        return _done("vehicles", f"卡 {tag} 已绑定到 {plate} · card {tag} bound to {plate}")

    @router.post("/cards/withdraw")
    def card_withdraw(request: Request, post: StaffPost = Depends(admin_post)) -> Response:
        try:
            change = withdraw_card(engine, post.form.get("card", ""), post.principal.username,
                                   clean_reason(post.form.get("reason")))
        except (ValueError, EditRefused) as exc:
            return pages.vehicles(request, post.principal, "", str(exc), status=400)
        tag = change.new.get("tag")
        return _done("vehicles", f"卡 {tag} 已注销 · card {tag} withdrawn")

    @router.post("/orders/add")
    def order_add(request: Request, post: StaffPost = Depends(admin_post)) -> Response:
        cells = _form(post, "code", "supplier", "material", "vehicle", "expected_kg")
        try:
            reason = clean_reason(post.form.get("reason"))
            code = add_row(engine, "orders", {**cells, "code": cells["code"] or new_order_code(), "open": "yes"},
                           post.principal.username, reason)
        except (ValueError, EditRefused) as exc:
            return pages.orders(request, post.principal, "", "open", str(exc), status=400, form=cells)
        return _done("orders", f"已添加送货单 {code} · order {code} added")

    return router
