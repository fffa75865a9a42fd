"""The web app factory: explicit collaborators in, a FastAPI app out, one router per audience.

Routers: kiosk (drivers), api (machines), health (monitoring) always; with a database engine
also login, review, frames, suppliers and admin (staff), each behind a session and a role.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Final
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from sqlalchemy.engine import Engine

from intake.lane.status import StatusHub
from intake.web.api import api_router
from intake.web.degraded import Problems, none
from intake.web.errors import install_error_handlers
from intake.web.events import StreamRegistry
from intake.web.headers import SecurityHeaders
from intake.web.health import HealthProbe, health_router
from intake.web.kiosk import kiosk_router
from intake.web.kiosk_keypad import OrderCodeHooks, keypad_router
from intake.web.localtime import SiteTime
from intake.web.staff import LoginRequired, StaffSettings, login_redirect
from intake.web.staff_i18n import install as install_words

HERE: Final[Path] = Path(__file__).resolve().parent


def create_app(
    hub: StatusHub,
    *,
    health: HealthProbe | None = None,
    heartbeat_s: float = 10.0,
    max_streams: int = 32,
    max_streams_per_client: int = 4,
    kiosk_display_token: str = "",
    hold: Callable[[], str | None] = lambda: None,
    engine: Engine | None = None,
    data_dir: Path | None = None,
    staff: StaffSettings | None = None,
    ticket_tz: str = "UTC",
    site_tz: str = "UTC",
    degraded: Problems = none,
    order_code: OrderCodeHooks | None = None,
) -> FastAPI:
    """Build the app.

    hub: lane snapshots; a lane exists for the web once the gate has published it.
    health: optional probe merged into /health; called on the event loop, so it must be quick
        and non-blocking. A "status" it returns can only make /health worse, never better.
    heartbeat_s: quiet interval after which a kiosk stream sends a heartbeat event.
    max_streams: open kiosk streams allowed at once (each holds a hub queue).
    max_streams_per_client: open kiosk streams one client address may hold; a further one
        replaces its oldest.
    kiosk_display_token: a kiosk screen whose page URL carries ?display=<this> keeps its stream
        when others fill max_streams; empty: no screen is preferred.
    hold: a gate-wide reason no lane takes trucks (records_fail_verification), shown on every
        kiosk; None while there is none. Called on the event loop: must be quick.
    engine: the gate's database; without it only the kiosk, API and health are served.
    data_dir: the site's data_dir, under which frame files are recorded.
    staff: session, cookie and throttling settings for the staff pages.
    ticket_tz: the zone the public ticket pages (/t/<code>) show times in.
    site_tz: the site's zone (sampling.timezone): staff pages and CSV exports show stored UTC
        times in it (intake.web.localtime).
    degraded: what the gate cannot do now, as (code, detail) pairs: a banner on every staff
        page (intake.web.degraded). Called while a page renders: must be quick.
    order_code: how a code keyed on the kiosk's keypad finds its truck and hands it to the
        lane (intake.web.kiosk_keypad); without it the kiosk shows no keypad.
    """
    # No interactive docs: nothing here needs them, and they load scripts from a CDN.
    app = FastAPI(title="Intake gate", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=HERE / "templates")
    site_time = SiteTime(site_tz)
    install_words(templates.env, site_time, degraded)
    streams = StreamRegistry(max_streams, max_streams_per_client)
    # The server helper calls this as it stops, so open streams end cleanly (see server.py).
    app.state.close_streams = streams.close_all
    install_error_handlers(app, templates)

    app.include_router(kiosk_router(hub, templates, streams, heartbeat_s=heartbeat_s,
                                    display_token=kiosk_display_token, hold=hold, keypad=order_code is not None))
    if order_code is not None:
        app.include_router(keypad_router(order_code, kiosk_display_token))
    app.include_router(api_router(hub))
    app.include_router(health_router(hub, health))
    if engine is not None:
        from intake.web.tickets import tickets_router

        from intake.web.evidence import ticket_evidence_router

        app.include_router(tickets_router(engine, templates, ticket_tz, data_dir))   # public: the code is the key
        app.include_router(ticket_evidence_router(engine, data_dir))
        _mount_staff(app, templates, engine, data_dir, staff or StaffSettings(), site_time)
        _mount_lanes(app, templates, engine, hub, streams, heartbeat_s)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        # Browsers ask for this on pages without an icon link (JSON error pages, say).
        return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml")

    @app.get("/", include_in_schema=False)
    async def root() -> Response:
        lanes = hub.lanes()
        if not lanes:
            return PlainTextResponse("no lane is running yet", status_code=503)
        return RedirectResponse(f"/kiosk/{quote(lanes[0], safe='')}", status_code=303)

    app.add_middleware(SecurityHeaders)
    return app


def _mount_staff(app: FastAPI, templates: Jinja2Templates, engine: Engine, data_dir: Path | None,
                 settings: StaffSettings, site_time: SiteTime) -> None:
    from intake.web.admin import admin_router
    from intake.web.evidence import evidence_router
    from intake.web.frames import frames_router
    from intake.web.login import login_router
    from intake.web.masterdata import masterdata_router
    from intake.web.review import review_router
    from intake.web.staff import Staff
    from intake.web.suppliers import suppliers_router
    from intake.web.verified import require_verified

    if settings.today == date.today:    # not injected: the plant's date, not the server's
        settings = replace(settings, today=site_time.today)
    staff = Staff(engine, settings)
    app.state.staff = staff
    app.include_router(login_router(staff, templates))
    app.include_router(review_router(staff, engine, templates, site_time.tz, data_dir))
    app.include_router(frames_router(staff, engine, data_dir))
    app.include_router(evidence_router(staff, engine, data_dir))
    # Exports carry whole periods: they wait for a whole-chain verify (intake.web.verified).
    app.include_router(suppliers_router(staff, engine, templates, site_time),
                       dependencies=[Depends(lambda: require_verified(engine))])
    app.include_router(admin_router(staff, templates))
    app.include_router(masterdata_router(staff, engine, templates))

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(login_redirect(exc.next_url), status_code=303)


def _mount_lanes(app: FastAPI, templates: Jinja2Templates, engine: Engine, hub: StatusHub,
                 streams: StreamRegistry, heartbeat_s: float) -> None:
    """The lane overview, the attendant console and the kiosk's call button (they need the store)."""
    from intake.web.calls import calls_router
    from intake.web.console import console_router
    from intake.web.lanes import lanes_router

    staff = app.state.staff
    app.include_router(lanes_router(staff, engine, templates, hub, streams, heartbeat_s))
    app.include_router(console_router(staff, engine, templates, hub))
    app.include_router(calls_router(engine, hub))
