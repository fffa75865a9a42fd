"""Who may do what on the staff pages: the session cookie, the role checks and CSRF.

Pages ask for a Principal through `Staff.page(role)` (anonymous -> redirect to /login) and
state-changing posts through `Staff.post(role)` (anonymous or bad token -> 403). The kiosk
routes use none of this and no staff route trusts anything the kiosk can send.
"""
from __future__ import annotations

import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Final
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.engine import Engine

from intake.auth.csrf import same_origin, tokens_match
from intake.auth.sessions import Principal, SessionPolicy, SessionStore
from intake.auth.throttle import LoginThrottle, ThrottlePolicy
from intake.auth.users import Users
from intake.web.forms import read_form

ROLE_RANK: Final[dict[str, int]] = {"reviewer": 1, "admin": 2}
# Roles beside the ranks: the remote attendant's console is for attendants and admins, and an
# attendant (rank 0) gets no reviewer page; "staff" is any logged-in account (the lane overview,
# the sample photos the console shows).
ROLE_MEMBERS: Final[dict[str, frozenset[str]]] = {
    "attendant": frozenset({"attendant", "admin"}),
    "staff": frozenset({"reviewer", "attendant", "admin"}),
}
HASHING_SLOTS: Final[int] = 2


@dataclass(frozen=True)
class StaffSettings:
    """secure_cookies: None = Secure + __Host- prefix whenever the request came over HTTPS
    (plain HTTP is only for a loopback demo); True forces it. today: the plant's date, where
    a page's default period ends (injected so tests do not depend on the day they run)."""
    secure_cookies: bool | None = None
    sessions: SessionPolicy = field(default_factory=SessionPolicy)
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    today: Callable[[], date] = date.today


class LoginRequired(Exception):
    """Raised by page dependencies; the app turns it into a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


@dataclass(frozen=True)
class StaffPost:
    """A checked state-changing request: who, and the form fields."""
    principal: Principal
    form: dict[str, str]


class Staff:
    def __init__(self, engine: Engine, settings: StaffSettings, users: Users | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.users = users or Users(engine)
        self.sessions = SessionStore(engine, settings.sessions)
        self.throttle = LoginThrottle(engine, settings.throttle)
        # Password hashes are slow and memory-hungry by design: two at a time, the rest queue.
        self.hashing = threading.BoundedSemaphore(HASHING_SLOTS)

    # ---- cookies ------------------------------------------------------------------------

    def secure(self, request: Request) -> bool:
        forced = self.settings.secure_cookies
        return forced if forced is not None else request.url.scheme == "https"

    def cookie_name(self, request: Request, base: str = "session") -> str:
        return f"__Host-intake-{base}" if self.secure(request) else f"intake-{base}"

    def set_cookie(self, request: Request, response: Response, base: str, value: str) -> None:
        response.set_cookie(self.cookie_name(request, base), value, path="/", httponly=True,
                            samesite="strict", secure=self.secure(request))

    def clear_cookie(self, request: Request, response: Response, base: str) -> None:
        response.delete_cookie(self.cookie_name(request, base), path="/", httponly=True,
                               samesite="strict", secure=self.secure(request))

    def session_token(self, request: Request) -> str | None:
        return request.cookies.get(self.cookie_name(request))

    def new_login_token(self) -> str:
        return secrets.token_urlsafe(32)

    # ---- checks -------------------------------------------------------------------------

    def current(self, request: Request) -> Principal | None:
        return self.sessions.lookup(self.session_token(request))

    @staticmethod
    def _allowed(principal: Principal, role: str) -> bool:
        if role in ROLE_MEMBERS:
            return principal.role in ROLE_MEMBERS[role]
        return ROLE_RANK.get(principal.role, 0) >= ROLE_RANK[role]

    def page(self, role: str = "reviewer") -> Callable[[Request], Principal]:
        def dependency(request: Request) -> Principal:
            principal = self.current(request)
            if principal is None:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                raise LoginRequired(target)
            if not self._allowed(principal, role):
                raise HTTPException(status_code=403, detail="not allowed for your role")
            return principal
        return dependency

    def post(self, role: str = "reviewer") -> Callable[[Request], Awaitable[StaffPost]]:
        async def dependency(request: Request) -> StaffPost:
            if not same_origin(request.headers, request.url.scheme):
                raise HTTPException(status_code=403, detail="cross-site request refused")
            form = await read_form(request)
            principal = await run_in_threadpool(self.current, request)  # DB work off the loop
            if principal is None:
                raise HTTPException(status_code=403, detail="not logged in")
            if not tokens_match(principal.csrf_token, form.get("csrf")):
                raise HTTPException(status_code=403, detail="missing or wrong CSRF token")
            if not self._allowed(principal, role):
                raise HTTPException(status_code=403, detail="not allowed for your role")
            return StaffPost(principal, form)
        return dependency


def login_redirect(next_url: str) -> str:
    return f"/login?next={quote(next_url, safe='')}"


def safe_next(value: str | None) -> str:
    """Only a local path may follow a login: never another site (open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/review"
    return value
