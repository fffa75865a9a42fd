"""The web app factory: explicit collaborators in, a FastAPI app out, one router per audience.

Routers: kiosk (drivers), api (machines), health (monitoring). Review and login come later
as their own routers.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote
from typing import Final

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from intake.lane.status import StatusHub
from intake.web.api import api_router
from intake.web.events import StreamRegistry
from intake.web.headers import SecurityHeaders
from intake.web.health import HealthProbe, health_router
from intake.web.kiosk import kiosk_router

HERE: Final[Path] = Path(__file__).resolve().parent


def create_app(
    hub: StatusHub,
    *,
    health: HealthProbe | None = None,
    heartbeat_s: float = 10.0,
    max_streams: int = 32,
) -> FastAPI:
    """Build the app.

    hub: lane snapshots; a lane exists for the web once the gate has published it.
    health: optional probe merged into /health; called on the event loop, so it must be quick
        and non-blocking. A "status" it returns can only make /health worse, never better.
    heartbeat_s: quiet interval after which a kiosk stream sends a heartbeat event.
    max_streams: open kiosk streams allowed at once (each holds a hub queue).
    """
    # No interactive docs: nothing here needs them, and they load scripts from a CDN.
    app = FastAPI(title="Intake gate", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=HERE / "templates")
    streams = StreamRegistry(max_streams)
    # The server helper calls this as it stops, so open streams end cleanly (see server.py).
    app.state.close_streams = streams.close_all

    app.include_router(kiosk_router(hub, templates, streams, heartbeat_s=heartbeat_s))
    app.include_router(api_router(hub))
    app.include_router(health_router(hub, health))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/", include_in_schema=False)
    async def root() -> Response:
        lanes = hub.lanes()
        if not lanes:
            return PlainTextResponse("no lane is running yet", status_code=503)
        return RedirectResponse(f"/kiosk/{quote(lanes[0], safe='')}", status_code=303)

    app.add_middleware(SecurityHeaders)
    return app
