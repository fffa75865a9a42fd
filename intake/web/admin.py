"""/admin: user accounts (list, disable, enable). Admins only; a reviewer gets 403.

Adding users and setting passwords stays on the CLI (`intake users ...`), run by someone with
shell access to the gate, so a stolen browser session cannot mint new accounts.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from intake.auth.sessions import Principal
from intake.auth.users import UserError, normalise
from intake.web.staff import Staff, StaffPost


def admin_router(staff: Staff, templates: Jinja2Templates) -> APIRouter:
    router = APIRouter(prefix="/admin", tags=["admin"])

    @router.get("/users", response_class=HTMLResponse)
    def users(request: Request, who: Principal = Depends(staff.page("admin"))) -> Response:
        response = templates.TemplateResponse(request, "admin_users.html", {"who": who, "users": staff.users.list()})
        response.headers["Cache-Control"] = "no-store"
        return response

    @router.post("/users/{username}/{action}")
    def set_state(username: str, action: str, post: StaffPost = Depends(staff.post("admin"))) -> Response:
        if action not in ("disable", "enable", "unlock"):
            raise HTTPException(status_code=404, detail="no such action")
        if action == "unlock":   # clears the login delay bad passwords put on the account
            staff.throttle.unlock(username)
            return RedirectResponse("/admin/users", status_code=303)
        if normalise(username) == normalise(post.principal.username):  # the name as stored
            raise HTTPException(status_code=400, detail="you cannot disable yourself")
        try:
            staff.users.set_disabled(username, action == "disable")
        except UserError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc
        return RedirectResponse("/admin/users", status_code=303)

    return router
