"""/login and /logout.

The login form carries its own CSRF token (double-submit: a SameSite=Strict cookie and the same
value in the form), so a foreign site cannot log a browser into an account of its choosing.
A successful login always issues a fresh session ID and ends any ID the browser brought.
"""
from __future__ import annotations

import logging
import math

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from intake.auth.csrf import same_origin, tokens_match
from intake.auth.users import normalise
from intake.web.forms import read_form
from intake.web.i18n import Text
from intake.web.staff import Staff, StaffPost, safe_next
from intake.web.staff_i18n import text

log = logging.getLogger(__name__)


def login_router(staff: Staff, templates: Jinja2Templates) -> APIRouter:
    router = APIRouter(tags=["login"])

    def form_page(request: Request, next_url: str, error: Text | None, status: int = 200) -> Response:
        token = staff.new_login_token()
        response = templates.TemplateResponse(
            request, "login.html", {"next": next_url, "error": error, "login_csrf": token}, status_code=status)
        staff.set_cookie(request, response, "login", token)
        response.headers["Cache-Control"] = "no-store"
        return response

    @router.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str | None = None) -> Response:
        return form_page(request, safe_next(next), None)

    @router.post("/login")
    async def login(request: Request) -> Response:
        if not same_origin(request.headers, request.url.scheme):
            raise HTTPException(status_code=403, detail="cross-site request refused")
        form = await read_form(request)
        if not tokens_match(request.cookies.get(staff.cookie_name(request, "login")), form.get("csrf")):
            raise HTTPException(status_code=403, detail="missing or wrong CSRF token")
        username, password = form.get("username", "")[:64], form.get("password", "")
        client = request.client.host if request.client else "?"
        next_url = safe_next(form.get("next"))
        token = await run_in_threadpool(_authenticate, staff, username, password, client,
                                        staff.session_token(request))
        if token is None:
            return form_page(request, next_url, text("login.wrong"), status=401)
        if isinstance(token, float):
            wait = max(1, math.ceil(token))
            zh, en = text("login.throttled")
            response = form_page(request, next_url, (zh.format(wait=wait), en.format(wait=wait)), status=429)
            response.headers["Retry-After"] = str(wait)
            return response
        if next_url == safe_next(None):
            # The default start: an attendant has no review queue, so starts on the console.
            next_url = await run_in_threadpool(_start_page, staff, token, next_url)
        response = RedirectResponse(next_url, status_code=303)
        staff.set_cookie(request, response, "session", token)
        staff.clear_cookie(request, response, "login")
        return response

    @router.post("/logout")
    async def logout(request: Request, post: StaffPost = Depends(staff.post("staff"))) -> Response:
        await run_in_threadpool(staff.sessions.end, staff.session_token(request))
        response = RedirectResponse("/login", status_code=303)
        staff.clear_cookie(request, response, "session")
        return response

    return router


def _start_page(staff: Staff, token: str, default: str) -> str:
    principal = staff.sessions.lookup(token)
    return "/console" if principal is not None and principal.role == "attendant" else default


def _authenticate(staff: Staff, username: str, password: str, client: str,
                  planted: str | None) -> str | float | None:
    """A new session token; seconds to wait when throttled; None when the credentials are wrong."""
    name = normalise(username)
    verdict = staff.throttle.reserve(name, client)
    if not verdict.allowed:
        log.warning("login throttled for %r from %s (%.0f s)", name, client, verdict.retry_after_s)
        return verdict.retry_after_s
    with staff.hashing:   # bounded: parallel logins cannot make the gate hash N passwords at once
        user = staff.users.authenticate(name, password)
    staff.throttle.settle(verdict, ok=user is not None)
    if user is None:
        log.info("failed login for %r from %s", name, client)
        return None
    return staff.sessions.create(user.id, replacing=planted)
